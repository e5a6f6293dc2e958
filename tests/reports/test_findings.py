"""The first pages (tqa.reports.findings) on a district with known results: every statement is backed by an
interval that excludes the district, every statement carries its number, and withheld cohorts never appear.

One grade (3), three papers, full marks 100; schools A, B, E with 40 students, C with 5 (withheld):
  paper  A (mean)          B    E    -> A against the district
  语文   20x95 + 20x85 = 90  70   75   clearly above
  数学   20x55 + 20x45 = 50  80   75   clearly below
  英语   20x90 + 20x60 = 75  75   75   the same mean: no statement
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from helpers import REPO
from helpers.rows import score_row
from tqa.core.issues import ACT_KEPT as KEPT
from tqa.measures.academic import rates as scoring
from tqa.measures.academic import results as results_mod
from tqa.params import load_params
from tqa.reports import findings

SCORES = {
    "语文": {"A": [95] * 20 + [85] * 20, "B": [75] * 20 + [65] * 20, "E": [80] * 20 + [70] * 20, "C": [100] * 5},
    "数学": {"A": [55] * 20 + [45] * 20, "B": [85] * 20 + [75] * 20, "E": [80] * 20 + [70] * 20, "C": [100] * 5},
    "英语": {"A": [90] * 20 + [60] * 20, "B": [80] * 20 + [70] * 20, "E": [85] * 20 + [65] * 20, "C": [100] * 5},
}
CATEGORY = {"A": "城区", "B": "城区", "E": "乡镇", "C": "乡镇"}
SPEC = pd.DataFrame({"grade": 3, "subject": list(SCORES), "full_marks": 100.0, "mode": "分数"})


@pytest.fixture(scope="module")
def params():
    return load_params("1999-1", params_dir=REPO / "params")


@pytest.fixture(scope="module")
def returns():
    return pd.DataFrame(
        {
            "school_code": list(CATEGORY),
            "school_name": [f"{c}校" for c in CATEGORY],
            "category": list(CATEGORY.values()),
            "submitted": True,
            "usable": True,
        }
    )


@pytest.fixture(scope="module")
def results(params, returns):
    rows = [
        score_row(school, f"{school}{i:03d}", 3, subject, float(v))
        for subject, by_school in SCORES.items()
        for school, values in by_school.items()
        for i, v in enumerate(values)
    ]
    scores = pd.DataFrame(rows)
    enrolment = pd.DataFrame({"school_code": list(CATEGORY), "grade": 3, "enrolled": [40, 40, 40, 5]})
    stats = scoring.subject_stats(scores, enrolment, returns, SPEC, params)
    return results_mod.school_results(stats, scores, SPEC, params)


def no_targets():
    cols = ["level", "unit_code", "grade", "subject", "indicator", "indicator_label", "kind", "target", "actual"]
    return pd.DataFrame(columns=[*cols, "met", "gap"])


NO_CHANGE = pd.DataFrame(
    columns=["unit_code", "grade", "subject", "change_level", "change", "prior_value", "current_value"]
)
NO_VA = pd.DataFrame(columns=["school_code", "grade", "subject", "effect", "lo", "hi", "band"])
NO_ISSUES = pd.DataFrame(columns=["school_code", "severity"])


def summary(results, params, code="A", issues=NO_ISSUES):
    papers = findings.split(findings.school_papers(results), "unit_code").get(code, results.iloc[0:0])
    below = findings.below_target(results, no_targets(), code)
    return findings.school_summary(f"{code}校", code, papers, NO_CHANGE, NO_VA, below, issues, "正常", params)


def test_strengths_and_weaknesses_are_the_papers_whose_interval_excludes_the_district(results, params):
    s = summary(results, params)
    groups = {g.title: g for g in s.groups}
    strong = [st.text for st in groups["明显强于全区的考试"].statements]
    weak = [st.text for st in groups["明显弱于全区的考试"].statements]
    assert len(strong) == 1 and strong[0].startswith("三年级语文：平均分 90.0") and "全区" in strong[0]
    assert len(weak) == 1 and weak[0].startswith("三年级数学：平均分 50.0")
    assert not any("英语" in t for g in s.groups for st in g.statements for t in [st.text])  # 持平: not named
    a = results[(results["level"] == "school") & (results["unit_code"] == "A")].set_index("subject")
    assert a.loc["语文", "mean_diff_z_lo"] > 0 and a.loc["数学", "mean_diff_z_hi"] < 0  # what the claims rest on
    assert a.loc["英语", "mean_diff_z_lo"] <= 0 <= a.loc["英语", "mean_diff_z_hi"]
    # Each claim carries its number: the school's mean with its interval, and the district's
    district = results[results["level"] == "district"].set_index("subject")
    assert f"全区 {district.loc['语文', 'mean']:.1f}" in strong[0]
    assert re.search(r"95% 区间 \d+\.\d–\d+\.\d", strong[0])
    assert "3 门考试公布成绩" in s.lead and "1 门明确高于全区，1 门明确低于全区" in s.lead
    steps = [st.text for st in groups["建议先做"].statements]
    assert steps == ["优先改进：三年级数学（低于全区最多）"]


def test_a_withheld_school_gets_no_statement_and_is_not_on_any_list(results, params, returns):
    s = summary(results, params, code="C")
    assert "没有可以公布成绩的考试" in s.lead
    assert all(not g.statements for g in s.groups if g.title != "数据质量")
    change = pd.DataFrame(
        {"unit_code": ["B"], "grade": [3], "subject": ["数学"], "change_level": ["显著下降"], "change": [-0.2],
         "prior_value": [0.95], "current_value": [0.75]}
    )  # fmt: skip
    va = pd.DataFrame(
        {"school_code": ["E", "A"], "grade": 3, "subject": "语文", "effect": [-0.4, 0.1], "lo": [-0.7, -0.1],
         "hi": [-0.1, 0.3], "band": ["低于", "持平"]}
    )  # fmt: skip
    issues = pd.DataFrame({"school_code": ["A"] * 12, "severity": ["warning"] * 12})
    table = findings.attention_list(results, no_targets(), change, va, returns, issues, params)
    by = table.set_index("代码")
    assert set(by.index) == {"A", "B", "E"}  # C: withheld, nothing to say; A: its return; E: value added; B: decline
    assert by.loc["E", "增值明显偏低"] == "1 门；最低：三年级语文 -0.40（-0.70 至 -0.10）"  # A's 持平: not a reason
    assert by.loc["B", "及格率下降超出随机波动"] == "1 门；最低：三年级数学 95.0%→75.0%"
    assert by.loc["A", "报表数据问题"] == "12 条记录因数据问题未计入统计" and by.loc["A", "增值明显偏低"] == ""
    assert list(by["原因数"]) == [1, 1, 1]


def test_the_school_life_families_add_reasons_to_the_attention_list(results, params, returns):
    """A school with no exam reason gets on the list for a school-life one; each family's reason counts once, and
    they share one column, in the families' order."""
    none = pd.DataFrame(columns=["school_code", "severity"])
    empty_change = pd.DataFrame(columns=["unit_code", "grade", "subject", "change_level", "change"])
    empty_va = pd.DataFrame(columns=["school_code", "grade", "subject", "effect", "lo", "hi", "band"])
    life = {
        "疑似流失": pd.DataFrame({"code": ["A"], "cell": ["3 人（七年级 3 人）"]}),
        "体质": pd.DataFrame({"code": ["A", "B"], "cell": ["1 个年级低于全区…", "2 个年级低于全区…"]}),
        "作业睡眠": pd.DataFrame(columns=["code", "cell"]),
    }
    table = findings.attention_list(results, no_targets(), empty_change, empty_va, returns, none, params, life)
    by = table.set_index("代码")
    assert set(by.index) == {"A", "B"}
    assert by.loc["A", findings.SCHOOL_LIFE_COLUMN] == "体质：1 个年级低于全区…；疑似流失：3 人（七年级 3 人）"
    assert by.loc["A", "原因数"] == 2 and by.loc["B", "原因数"] == 1
    assert list(table["代码"]) == ["A", "B"]  # most reasons first
    assert all(by.loc["B", r] == "" for r in findings.ATTENTION_REASONS)


def test_the_public_school_summary_has_no_data_quality_statement(results, params):
    public = summary(results, params, issues=None)
    issues = pd.DataFrame(
        {"school_code": "A", "severity": ["warning", "warning", "fixed"], "action": ["已剔除该行", KEPT, "已修正"]}
    )
    internal = summary(results, params, issues=issues)
    assert "数据质量" not in [g.title for g in public.groups]
    quality = next(g for g in internal.groups if g.title == "数据质量").statements[0]
    # what was done to the rows, as the data-quality workbook says it: one left out, one kept for checking
    assert "1 条记录因数据问题未计入统计，1 处请学校核对（记录已保留），1 处已按规则自动修正" in quality.text
    assert quality.tone == "bad"
    kept_only = summary(results, params, issues=issues.iloc[1:])
    assert next(g for g in kept_only.groups if g.title == "数据质量").statements[0].tone == ""


def test_only_changes_beyond_chance_are_named_largest_first():
    change = pd.DataFrame(
        {"unit_code": ["A", "A", "A", "B"], "grade": 3, "subject": ["语文", "数学", "英语", "语文"],
         "change_level": ["上升", "持平", "显著下降", "显著上升"], "change": [0.03, 0.12, -0.08, 0.2],
         "prior_value": [0.80, 0.70, 0.90, 0.5], "current_value": [0.83, 0.82, 0.82, 0.7]}
    )  # fmt: skip
    said = [s.text for s in findings.changes(change, "A", top_n=3)]
    # 数学 moved 12 points but its interval holds 0 (持平): within chance, so not named
    assert said == [
        "三年级英语及格率：由 90.0% 降至 82.0%（下降 8.0 个百分点，超出随机波动）",
        "三年级语文及格率：由 80.0% 升至 83.0%（上升 3.0 个百分点，超出随机波动）",
    ]
    assert [s.tone for s in findings.changes(change, "A", top_n=3)] == ["bad", "good"]


def test_the_district_names_a_change_only_when_its_interval_excludes_zero():
    trend = pd.DataFrame(
        {"term": ["2023-1", "2023-2"] * 2, "level": "district", "unit_code": "district", "grade": 3,
         "subject": ["语文", "语文", "数学", "数学"], "tested_n": [1000, 1000, 100, 100],
         "pass_rate": [0.80, 0.85, 0.80, 0.82]}
    )  # fmt: skip
    said = findings.district_changes(trend, 0.95, top_n=3)
    # 语文: +5 points on 1000 students each term, Newcombe interval about +1.4 to +8.5; 数学: +2 on 100 (holds 0)
    assert len(said) == 1 and said[0].tone == "good"
    assert re.fullmatch(
        r"三年级语文及格率：由 80\.0% 升至 85\.0%（上升 5\.0 个百分点，95% 区间 \+1\.\d 至 \+8\.\d 个百分点）",
        said[0].text,
    )
    assert findings.district_changes(trend[trend["term"] == "2023-2"], 0.95, top_n=3) == []  # one term: nothing


def test_a_family_with_a_bad_finding_adds_its_first_step():
    from tqa.reports.display import Group, Statement

    group = Group(
        "学生体质健康",
        [
            Statement("优良率高于全区：三年级（60.0%）", "good"),
            Statement("优良率明显低于全区：五年级（10.0%–20.0%），差 -30.0 至 -20.0 个百分点", "bad"),
            Statement("达标率明显低于全区：六年级", "bad"),
        ],
    )
    step = findings.first_step(group)
    assert step == Statement("关注学生体质健康：优良率明显低于全区", "bad")
    no_colon = Group("教学常规", [Statement("校长王某本学期听课 15 节，低于每学期 30 节的要求。", "bad")])
    assert findings.first_step(no_colon).text == "关注教学常规：校长王某本学期听课 15 节，低于每学期 30 节的要求"
