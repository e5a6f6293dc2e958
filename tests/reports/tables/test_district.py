import json
import shutil

import pandas as pd

from helpers import REPO, shipped_params
from tqa.io.catalog import Catalog
from tqa.io.provenance import build_manifest, code_hash, inputs_hash, provenance, write_inputs_record
from tqa.reports import labels
from tqa.reports.tables import common as rp
from tqa.reports.tables import district


def test_suppress_small_and_rank_text():
    df = pd.DataFrame({"tested_n": [9, 10], "mean": [80.0, 70.0], "pass_rate": [0.9, 0.8]})
    out = rp.suppress_small(df, 10, ["mean", "pass_rate"])
    assert out["mean"].tolist() == [labels.TOO_FEW, 70.0]
    assert out["pass_rate"].tolist() == [labels.TOO_FEW, 0.8]
    assert labels.rank_text(3, 25) == "3/25"
    assert labels.rank_text(pd.NA, 25) == "—"
    assert labels.percent(0.95) == "95%" and labels.percent(0.998) == "99.8%" and labels.percent(0.9) == "90%"
    masked = rp.mask_small(df.assign(sd=1.0, excellent_rate=0.1, low_rate=0.0), 10)
    assert masked["mean"].isna().tolist() == [True, False]


def test_returns_summary_counts_by_category():
    returns = pd.DataFrame(
        {"category": ["城区", "城区", "农村"], "submitted": [True, False, True], "usable": [True, False, False]}
    )
    out = district.returns_summary(returns).set_index("类别")
    assert out.loc["城区"].tolist() == [2, 1, 1, 1, 0]
    assert out.loc["农村"].tolist() == [1, 1, 0, 0, 1]
    assert out.loc["全区"].tolist() == [3, 2, 1, 1, 1]


def test_params_table_lists_every_effective_value_in_yaml_order():
    out = district.params_table(shipped_params())
    assert out.values.tolist()[:2] == [["grade_bands.小学低段", "[1, 2]"], ["grade_bands.小学中段", "[3, 4]"]]
    rows = dict(out.values.tolist())
    assert rows["rates.default.pass"] == "0.6" and rows["rates.overrides"] == "[]"
    assert rows["public.min_band_n"] == "10"  # derived values are shown where they apply


def test_provenance_is_content_based(tmp_path):
    raw = tmp_path / "data" / "raw" / "2023-2"
    (raw / "office").mkdir(parents=True)
    (raw / "001.xlsx").write_bytes(b"a")
    (raw / "office" / "registry.csv").write_bytes(b"b")
    params = tmp_path / "params"
    shutil.copytree(REPO / "params", params)
    cat = Catalog("2023-2", tmp_path)
    h1 = inputs_hash(cat)
    (raw / "001.xlsx").write_bytes(b"a2")
    assert inputs_hash(cat) != h1
    write_inputs_record(cat)
    p = provenance(cat, params)
    assert p["学期"] == "2023-2" and "2 个文件" in p["输入数据"]
    m1 = build_manifest(cat, [], params)
    m2 = build_manifest(cat, [], params)
    assert json.dumps(m1) == json.dumps(m2)
    assert [e["path"] for e in m1["inputs"]] == ["data/raw/2023-2/001.xlsx", "data/raw/2023-2/office/registry.csv"]
    assert code_hash(tmp_path) == code_hash(tmp_path)
