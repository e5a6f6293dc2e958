import json
import shutil

import pandas as pd

from helpers import REPO
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


def _results_for_bands():
    rows = []
    for code, cat, mean, band, n, status in [
        ("003", "城区", 60.0, "低于", 40, "公布"),
        ("001", "城区", 90.0, "明显高于", 40, "公布"),
        ("002", "乡镇", 95.0, pd.NA, 5, "人数过少，不公布"),
        ("004", "农村", 70.0, "持平", 20, "样本较小"),
    ]:
        for subject in ("语文", "数学"):
            rows.append({"level": "school", "unit_code": code, "unit_name": f"{code}校", "category": cat, "grade": 3,
                         "subject": subject, "mean": mean, "mean_band": band, "pass_rate_band": pd.NA, "tested_n": n,
                         "publishable": n >= 10, "sample_status": status})  # fmt: skip
    return pd.DataFrame(rows)


def test_public_school_bands_follow_category_and_code_never_a_result():
    r = _results_for_bands()
    out = district.school_bands(r, 3, "语文")
    assert list(out["代码"]) == ["001", "003", "002", "004"]  # 城区, 乡镇, 农村; within: code (not mean 90 > 60)
    assert list(out["与全区比较"]) == ["明显高于全区", "低于全区", "人数过少，不公布", "与全区相当"]
    assert list(out.columns) == ["代码", "学校", "类别", "与全区比较"]  # no figure beside a name
    matrix = district.school_band_matrix(r, 3)
    assert list(matrix.columns) == ["代码", "学校", "类别", "语文", "数学"] and list(matrix["代码"]) == list(
        out["代码"]
    )


def test_internal_table_leaves_unpublished_schools_out_and_counts_them():
    r = _results_for_bands().assign(
        mean_lo=50.0, mean_hi=99.0, pass_rate=0.9, pass_rate_lo=0.8, pass_rate_hi=0.95, excellent_rate=0.3,
        low_rate=0.01, rank_district=pd.NA, n_ranked_district=pd.NA, rank_lo=pd.NA, rank_hi=pd.NA, composite=pd.NA,
        mode="分数",
    )  # fmt: skip
    out = district.ranking_with_uncertainty(r, 3, "语文", 0.95, "mean")
    assert list(out["代码"]) == ["001", "004", "003"]  # best mean first, the withheld school not a row
    assert district.unpublished_count(r, 3, "语文") == 1
    assert "平均分名次（全区）" in out.columns and list(out["样本"]) == ["", "样本较小", ""]


def test_score_band_counts_by_category_then_the_district():
    rows = []
    for unit, level, counts in [("乡镇", "category", [1, 9]), ("城区", "category", [0, 10]), ("district", "district", [1, 19]),
                                ("001", "school", [0, 10])]:  # fmt: skip
        for no, (label, n) in enumerate(zip(["[0%, 50%)", "[50%, 100%]"], counts)):
            rows.append({"level": level, "unit_code": unit, "grade": 3, "subject": "语文", "band_no": no,
                         "band": label, "n": n, "tested_n": sum(counts)})  # fmt: skip
    out = district.score_band_counts(pd.DataFrame(rows), 3)
    assert list(out.columns) == ["学科", "范围", "实考", "[0%, 50%)", "[50%, 100%]"]
    assert out.values.tolist() == [["语文", "城区", 10, 0, 10], ["语文", "乡镇", 10, 1, 9], ["语文", "全区", 20, 1, 19]]


def test_totals_rows_in_the_order_asked_and_the_public_matrix_gains_a_total_column():
    from tqa.reports.tables import common

    totals = pd.DataFrame(
        {"level": ["school", "school", "category", "district"], "unit_code": ["001", "002", "城区", "district"],
         "unit_name": ["甲校", "乙校", "城区", "全区"], "category": "城区", "grade": 3, "subjects": "语文、数学",
         "full_marks": 200.0, "pass_line": 120.0, "tested_n": [40, 5, 45, 45], "incomplete_n": [1, 0, 1, 1],
         "mean": [150.0, float("nan"), 148.0, 148.0], "mean_lo": [140.0, float("nan"), 144.0, 144.0],
         "mean_hi": [160.0, float("nan"), 152.0, 152.0], "pass_rate": [0.9, float("nan"), 0.9, 0.9],
         "excellent_rate": 0.2, "low_rate": 0.0, "mean_diff": [2.0, float("nan"), float("nan"), float("nan")],
         "mean_band": ["持平", pd.NA, pd.NA, pd.NA], "sample_status": ["公布", "人数过少，不公布", "公布", "公布"],
         "publishable": [True, False, True, True]}
    )  # fmt: skip
    shown = pd.DataFrame({"level": ["district", "school", "school"], "unit_code": ["district", "001", "002"]})
    out = common.total_rows(totals, 3, shown, 0.95, public=True, named=True)
    assert list(out["范围"]) == ["全区", "001 甲校", "002 乙校"]
    assert out.iloc[1]["总分平均（95%区间）"] == "150.0（140.0–160.0）" and out.iloc[1]["与全区比较"] == "与全区相当"
    assert out.iloc[2]["总分平均（95%区间）"] == "人数过少，不公布"  # withheld: its status, not a figure
    assert common.total_caption(totals, 3) == "三年级总分（语文、数学，满分 200，及格线 120）"
    assert common.total_caption(totals, 1) is None
    matrix = district.school_band_matrix(
        _results_for_bands(), 3, totals.assign(unit_code=["001", "003", "城区", "district"])
    )
    assert matrix.set_index("代码")["总分"].to_dict() == {
        "001": "与全区相当",
        "003": "人数过少，不公布",
        "002": "—",
        "004": "—",
    }


def test_a_long_paper_table_prints_only_the_schools_below_the_district():
    bands = ["明显高于", "高于", "持平", "低于", "明显低于", "持平"]
    table = pd.DataFrame({"学校": [f"校{i}" for i in range(6)], "与全区比较": bands}, index=range(10, 16))
    assert district.printed_schools(table, most=6) == (None, None)  # up to the limit every school prints
    rows, note = district.printed_schools(table, most=5)
    assert rows.tolist() == [False, False, False, True, True, False]
    assert note == (
        "打印版只列出与全区比较为“低于”或“明显低于”的 2 所学校；"
        "全部 6 所学校的成绩见网页版报告（与本报告同一目录的 district.html），可按任一列排序。"
    )
    rows, note = district.printed_schools(table.iloc[:3], most=2)
    assert not rows.any() and note.startswith("打印版只列出低于全区的学校，这里没有；全部 3 所学校")
    # A 总分 table: the district's and categories' rows always print and are not counted as schools.
    rows, note = district.printed_schools(table, most=3, always=[True, False, False, False, False, True])
    assert rows.tolist() == [True, False, False, True, True, True] and "全部 4 所学校" in note
    assert district.printed_schools(table, most=4, always=[True, True, False, False, False, False]) == (None, None)
