"""params/: typed and validated, one source of every value, derived values derived, Chinese messages."""

from __future__ import annotations

import shutil

import pytest
import yaml

from helpers import REPO, shipped_params
from tqa.params import SECTIONS, ParamsError, load_params, override, params_hash, view
from tqa.params.loading import param_files

TERM = "2023-2"


def copy_params(tmp_path, term_text: str | None = None):
    d = tmp_path / "params"
    shutil.copytree(REPO / "params", d)
    for f in (d / "terms").glob("*.yaml"):
        f.unlink()
    if term_text is not None:
        (d / "terms" / f"{TERM}.yaml").write_text(term_text, encoding="utf-8")
    return d


def edit_default(d, old: str, new: str) -> None:
    f = d / "methodology.yaml"
    text = f.read_text(encoding="utf-8")
    assert old in text, old
    f.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(d) -> list[str]:
    with pytest.raises(ParamsError) as e:
        load_params(TERM, d)
    return [p.text() for p in e.value.problems]


def line_of(d, needle: str) -> int:
    return next(
        i
        for i, line in enumerate((d / "methodology.yaml").read_text(encoding="utf-8").splitlines(), 1)
        if needle in line
    )


# ---- the shipped parameters ------------------------------------------------------------------------------
def test_shipped_params_are_valid_and_complete():
    p = shipped_params()
    assert p.rates.default.pass_ == 0.60 and p.reporting.min_rank_n == 30
    assert set(p.appendix()) == set(SECTIONS)
    # derived, not written: the public band's minimum and cut follow reporting and bands
    assert p.public.min_band_n == p.reporting.min_published_n and p.public.band_strong == p.bands.mean_well_cut_z
    text = (REPO / "params" / "methodology.yaml").read_text(encoding="utf-8")
    assert "min_band_n" not in text and "band_strong" not in text and "&" not in text.split("#")[0]


def test_appendix_keeps_the_yaml_order_and_the_values_as_written():
    p = shipped_params()
    raw = yaml.safe_load((REPO / "params" / "methodology.yaml").read_text(encoding="utf-8"))
    appendix = p.appendix()
    assert list(appendix) == list(raw)
    assert appendix["composite"]["scale"] == 100 and isinstance(appendix["composite"]["scale"], int)
    assert list(appendix["public"]) == ["marker", "min_band_n", "band_strong", "drop_columns"]


def test_no_package_module_carries_a_copy_of_a_default():
    """The YAML is the one source: no DEFAULTS dict, no dict.get(section) fallbacks in the package."""
    import re

    src = REPO / "src" / "tqa"
    offenders = []
    for f in src.rglob("*.py"):
        text = f.read_text(encoding="utf-8")
        if re.search(r"^\w*DEFAULTS\w*\s*[:=]", text, flags=re.M) or re.search(r"params(\.get|\[)\(?[\"']", text):
            offenders.append(f.relative_to(src).as_posix())
    assert offenders == [], offenders


# ---- thresholds and targets by grade band, grade and subject ---------------------------------------------
def test_threshold_overrides_by_band_and_subject(with_params):
    p = with_params(
        {
            "rates": {
                "overrides": [{"band": "小学低段", "excellent": 0.9}, {"band": "初中", "subject": "数学", "low": 0.3}]
            }
        }
    )
    assert p.rate_thresholds(1, "语文") == {"pass": 0.6, "excellent": 0.9, "low": 0.4}
    assert p.rate_thresholds(8, "数学") == {"pass": 0.6, "excellent": 0.85, "low": 0.3}
    assert p.rate_thresholds(8, "语文") == {"pass": 0.6, "excellent": 0.85, "low": 0.4}
    assert p.grade_band(5) == "小学高段"


def test_targets_and_status_cuts_follow_the_grade(params):
    assert params.targets_for(6, "数学") == {"pass_rate": 0.8, "excellent_rate": 0.3, "low_rate_max": 0.05}
    assert params.targets_for(1, "语文")["pass_rate"] == 0.9
    assert params.status_cuts(8) == [0.85, 0.75, 0.6, 0.45] and params.status_cuts(4) == [0.95, 0.9, 0.8, 0.67]


def test_term_file_overrides_and_changes_hash(tmp_path):
    d = copy_params(tmp_path)
    before = params_hash(TERM, d)
    (d / "terms" / f"{TERM}.yaml").write_text("rates:\n  default: {pass: 0.5}\n", encoding="utf-8")
    p = load_params(TERM, d)
    assert p.rates.default.model_dump(by_alias=True) == {"pass": 0.5, "excellent": 0.85, "low": 0.4}
    assert params_hash(TERM, d) != before
    assert load_params("2023-1", d).rates.default.pass_ == 0.60
    assert [f.name for f in param_files(TERM, d)] == ["methodology.yaml", f"{TERM}.yaml"]


def test_a_comment_does_not_change_the_hash(tmp_path):
    d = copy_params(tmp_path)
    before = params_hash(TERM, d)
    with open(d / "methodology.yaml", "a", encoding="utf-8") as f:
        f.write("# a comment\n")
    assert params_hash(TERM, d) == before


def test_a_term_override_of_the_source_reaches_the_derived_value(tmp_path):
    d = copy_params(tmp_path, "reporting:\n  min_published_n: 20\n")
    assert load_params(TERM, d).public.min_band_n == 20  # a YAML anchor would have stayed at 10


# ---- every kind of mistake, in methodology.yaml and in a term file ------------------------------------------
def test_unknown_key_in_methodology(tmp_path):
    d = copy_params(tmp_path)
    edit_default(d, "  warn_below: 0.95", "  warn_below: 0.95\n  warn_above: 1.0")
    [msg] = problems(d)
    assert msg.startswith(
        f"params/methodology.yaml 第 {line_of(d, 'warn_above')} 行，participation.warn_above：未知的键"
    )
    assert "exclude_exempt_from_enrolled、warn_below" in msg


def test_misspelt_key_in_methodology_is_named_with_a_suggestion(tmp_path):
    d = copy_params(tmp_path)
    edit_default(d, "  min_published_n: 10", "  min_publshed_n: 10")
    msgs = problems(d)
    assert any("reporting.min_publshed_n：未知的键" in m and "是不是“min_published_n”？" in m for m in msgs), msgs
    assert any("reporting.min_published_n：缺少这个键" in m for m in msgs), msgs


def test_missing_key_in_methodology(tmp_path):
    d = copy_params(tmp_path)
    edit_default(d, "  rank_draws: 2000        # 模拟次数\n", "")
    [msg] = problems(d)
    assert "params/methodology.yaml" in msg and "uncertainty.rank_draws：缺少这个键" in msg


def test_wrong_type_in_methodology(tmp_path):
    d = copy_params(tmp_path)
    edit_default(d, "  min_rank_n: 30", "  min_rank_n: 三十")
    [msg] = problems(d)
    assert msg == (
        f'params/methodology.yaml 第 {line_of(d, "min_rank_n: 三十")} 行，reporting.min_rank_n：应为整数，现为 "三十"'
    )


def test_out_of_range_value_in_methodology(tmp_path):
    d = copy_params(tmp_path)
    edit_default(d, "  level: 0.95", "  level: 1.5")
    [msg] = problems(d)
    assert f"第 {line_of(d, 'level: 1.5')} 行，uncertainty.level：应小于 1，现为 1.5" in msg


def test_derived_key_written_is_refused(tmp_path):
    d = copy_params(tmp_path)
    edit_default(d, '  marker: "*"', '  marker: "*"\n  min_band_n: 25')
    [msg] = problems(d)
    assert "public.min_band_n：这个值由 reporting.min_published_n 推出，不单独设定" in msg


@pytest.mark.parametrize(
    "term_text, expected",
    [
        ("rates:\n  defualt: {pass: 0.5}\n", ["第 2 行，rates.defualt：未知的键", "是不是“default”？"]),
        (
            "reporting:\n  min_published: 5\n",
            ["第 2 行，reporting.min_published：未知的键", "是不是“min_published_n”？"],
        ),
        (
            "targets:\n  overrides:\n    - {band: 初中, pass_rate: 0.7}\n    - {grade: 6}\n    - {excellent_rate: 0.3, subject: 数学, low: 1}\n",
            ["第 5 行，targets.overrides[2].low：未知的键"],
        ),
        ("uncertainty:\n  rank_draws: lots\n", ['第 2 行，uncertainty.rank_draws：应为整数，现为 "lots"']),
        ("borderline:\n  margin: 0\n", ["第 2 行，borderline.margin：应大于 0，现为 0"]),
        (
            "rates:\n  overrides:\n    - {band: 高中, pass: 0.5}\n",
            ["rates.overrides[0].band：学段“高中”不在 grade_bands 中"],
        ),
        ("- just a list\n", ["（整个文件）：应为“键: 值”形式的参数表"]),
        ("public:\n  band_strong: 0.3\n", ["第 2 行，public.band_strong：这个值由 bands.mean_well_cut_z 推出"]),
    ],
)
def test_mistakes_in_a_term_override_name_the_term_file(tmp_path, term_text, expected):
    d = copy_params(tmp_path, term_text)
    msgs = problems(d)
    text = "\n".join(msgs)
    for part in expected:
        assert part in text, text
    assert all(m.startswith(f"params/terms/{TERM}.yaml") for m in msgs if "rates.overrides[0].band" not in m), msgs


def test_a_yaml_syntax_error_names_its_line(tmp_path):
    d = copy_params(tmp_path, "rates:\n  default: {pass: 0.5\n")
    [msg] = problems(d)
    assert msg.startswith(f"params/terms/{TERM}.yaml 第 ") and "YAML 格式错误" in msg


def test_the_error_is_one_readable_block():
    from tqa.params.loading import Problem

    text = str(ParamsError([Problem("params/methodology.yaml", ("a", "b"), 3, "应为整数")]))
    assert text.splitlines()[0] == "评价参数（params/）有 1 处错误，运行已停止："
    assert "  - params/methodology.yaml 第 3 行，a.b：应为整数" in text and "Traceback" not in text


# ---- views and overrides --------------------------------------------------------------------------------------
def test_a_view_reads_only_its_sections(params):
    v = view(params, ["reporting", "rates", "grade_bands"], owner="test step")
    assert v.reporting.min_rank_n == 30
    assert v.rate_thresholds(8, "数学")["pass"] == 0.6  # a method works on the view's sections
    with pytest.raises(AttributeError, match="test step reads params section 'targets' but does not declare it"):
        _ = v.targets
    with pytest.raises(AttributeError, match="does not declare it"):
        view(params, ["targets"]).rate_thresholds(8, "数学")  # needs rates and grade_bands


def test_override_validates_like_a_term_file(params):
    p = override(params, {"reporting": {"min_published_n": 20}})
    assert p.reporting.min_published_n == 20 and p.public.min_band_n == 20 and params.reporting.min_published_n == 10
    with pytest.raises(ParamsError, match="reporting.min_rank_n：应不小于 1"):
        override(params, {"reporting": {"min_rank_n": 0}})
