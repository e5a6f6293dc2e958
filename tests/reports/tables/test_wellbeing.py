"""作业与睡眠 in the reports: the tables' texts from the statistics of a hand-built survey, the schools of concern,
the public edition's order (category, then code: never a result) and its suppression, the first-page statements."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import params_with
from measures.wellbeing.test_survey import SMALL, enrolment, returns, survey
from tqa.measures.wellbeing.survey import survey_stats
from tqa.reports.sections import wellbeing as sec
from tqa.reports.tables import wellbeing as tw


@pytest.fixture(scope="module")
def stats():
    return survey_stats(survey(), enrolment(), returns(), params_with(SMALL))


def heavy_district():
    """Grade 4: 001 (城区, 30 answers) all over the limit and short of sleep, 002 (城区) none, 003 (农村) half and
    half, 005 (乡镇) 6 answers (withheld below 10); district 51 over of 96."""
    rows = (
        [("001", 4, 70, 9.0)] * 30
        + [("002", 4, 30, 10.0)] * 30
        + [("003", 4, 70, 9.0)] * 15 + [("003", 4, 30, 10.0)] * 15
        + [("005", 4, 61, 10.0)] * 6
    )  # fmt: skip
    enrol = pd.DataFrame({"school_code": ["001", "002", "003", "005"], "grade": [4] * 4, "enrolled": [30, 30, 30, 6]})
    regs = pd.DataFrame(
        {
            "school_code": ["001", "002", "003", "005"],
            "school_name": ["甲校", "乙校", "丙校", "戊校"],
            "category": ["城区", "城区", "农村", "乡镇"],
            "usable": [True] * 4,
        }
    )
    return survey_stats(survey(rows), enrol, regs, params_with()), regs


def test_district_tables_print_counts_medians_quartiles_and_intervals(stats):
    t = tw.district_table(stats[0], "homework")
    d3 = t[(t["年级"] == "三年级") & (t["范围"] == "全区")].iloc[0]
    assert d3["作业时间中位数（四分位数）"] == "60.5（37.5–86.25）"
    assert d3["超时人数"] == "6/12" and d3["上限（分钟）"] == "60"
    assert d3["超时比例（区间）"].startswith("50.0%（")
    assert list(t["范围"][t["年级"] == "三年级"]) == ["全区", "城区", "农村"]  # the district, then category order
    s = tw.district_table(stats[0], "sleep")
    assert s[(s["年级"] == "三年级") & (s["范围"] == "全区")].iloc[0]["达标人数"] == "5/11"
    r = tw.response_table(stats[0])
    assert list(r.columns) == ["年级", "全区", "城区", "农村"] and r["年级"].tolist() == ["一年级", "三年级", "七年级"]
    assert r.iloc[1]["全区"].endswith("，13/18") and r.iloc[1]["全区"].startswith(f"{13 / 18:.1%}（")
    assert r.iloc[2]["农村"] == "—"  # no 农村 school has grade 7


def test_no_mean_in_any_survey_table(stats):
    tables = [tw.district_table(stats[0], "homework"), tw.district_table(stats[0], "sleep"),
              tw.response_table(stats[0]), tw.school_grade_table(stats[0], "001", "城区", 3, False)]  # fmt: skip
    assert not any("平均" in c for t in tables for c in t.columns)


def test_schools_of_concern_need_the_interval():
    (by_grade, _), _ = heavy_district()
    table = tw.concern_table(by_grade)
    # 001: all 30 over (district 51/96) and none sleeping 10 hours; 003 (half) is 持平; 005 withheld
    assert table["代码"].tolist() == ["001"]
    assert table.iloc[0]["需关注"] == "作业超时比例高于全区、睡眠达标比例低于全区"
    assert table.iloc[0]["全区作业超时比例"] == f"{51 / 96:.1%}"
    (st,) = sec.concern_statements(by_grade, limit=40)
    assert st.text.startswith("001 甲校：作业超时比例高于全区：四年级（最高为四年级 100.0%，区间 ")
    assert st.text.endswith(
        f"全区 {51 / 96 * 100:.1f}%）；睡眠达标比例低于全区：四年级（最低为四年级 0.0%，区间 0.0%–11.4%，全区 53.1%）。"
    )
    assert st.tone == "bad"


def test_the_public_matrix_is_in_category_and_code_order_with_bands_only():
    (_, by_band), regs = heavy_district()
    public = tw.public_suppression(by_band, params_with())
    m = tw.public_band_matrix(public, regs)
    # 城区 (001, 002), 乡镇 (005), 农村 (003): never by the share (002 has the lowest, 001 the highest)
    assert m["代码"].tolist() == ["001", "002", "005", "003"]
    assert list(m.columns) == ["代码", "学校", "类别", "小学中段作业超时比例", "小学中段睡眠达标比例"]
    # 005 (6 answers) is withheld, so its category 乡镇 is; the district would then give it away, so the next
    # smallest category (农村) and its only school 003 are hidden as complements, as for the exam results
    assert m["小学中段作业超时比例"].tolist() == ["明显高于全区", "明显低于全区", "样本过少", "为防止由合计反推而隐去"]
    # nothing but words beside a name: no share, no count
    assert not m.drop(columns=["代码", "学校", "类别"]).map(lambda v: any(ch.isdigit() for ch in v)).any().any()


def test_public_suppression_hides_a_complement():
    # 乡镇 has only 005 (6 answers): withheld, and the category row is the same students, so it goes too
    (by_grade, _), _ = heavy_district()
    public = tw.public_suppression(by_grade, params_with())
    cat = public[(public["level"] == "category") & (public["unit_code"] == "乡镇")].iloc[0]
    assert pd.isna(cat["homework_over_share"]) and pd.isna(cat["homework_median"])
    assert cat["suppression_note_homework"] != ""
    city = public[(public["level"] == "category") & (public["unit_code"] == "城区")].iloc[0]
    assert city["homework_over_n"] == 30 and city["suppression_note_homework"] == ""


def test_school_table_and_statements_say_only_what_the_interval_supports():
    (by_grade, _), _ = heavy_district()
    t = tw.school_grade_table(by_grade, "001", "城区", 4, public=True)
    assert t["范围"].tolist() == ["本校", "同类学校", "全区"]
    assert t.iloc[0]["作业与全区比较"] == "明显高于全区" and t.iloc[2]["作业与全区比较"] == "—"
    assert t.iloc[0]["超时人数"] == "30/30" and t.iloc[0]["作业时间中位数（四分位数）"] == "70（70–70）"
    bad = sec.school_statements(by_grade, "001")
    assert [s.tone for s in bad] == ["bad", "bad"]
    assert bad[0].text.startswith("作业超时比例高于全区：四年级（最高为四年级 100.0%，区间 ")
    assert bad[1].text.startswith("睡眠达标比例低于全区：四年级（最低为四年级 0.0%，区间 0.0%–11.4%，全区 53.1%")
    good = sec.school_statements(by_grade, "002")
    assert [s.text[:10] for s in good] == ["作业超时比例低于全区", "睡眠达标比例高于全区"]
    assert [s.tone for s in good] == ["good", "good"]
    assert sec.school_statements(by_grade, "003") == []  # 持平: nothing said
    assert sec.school_statements(by_grade, "005") == []  # withheld: nothing said


def test_concern_statements_put_the_most_reasons_first_and_cap_the_list():
    (by_grade, _), _ = heavy_district()
    # 000: a copy of 001 whose sleep share is 持平 (one reason against 001's two): 001 comes first despite its code
    copy = by_grade[by_grade["unit_code"] == "001"].assign(unit_code="000", unit_name="零校", sleep_met_band="持平")
    out = sec.concern_statements(pd.concat([by_grade, copy], ignore_index=True), limit=1)
    assert [s.text[:6] for s in out] == ["001 甲校", "另有 1 所"]
    assert out[1].text == "另有 1 所学校，见“作业与睡眠”部分。"


def test_district_statements_carry_their_counts():
    (_, by_band), _ = heavy_district()
    (s,) = sec.district_statements(by_band)
    assert s.text == "小学中段：书面作业超过 60 分钟的学生 51/96 人（53.1%）；睡眠达到 10 小时的 51/96 人（53.1%）。"


def test_limits_are_read_from_params():
    text = tw.limits_text(params_with())
    assert text.startswith("小学低段（1–2 年级）不布置书面家庭作业、睡眠不少于 10 小时；")
    assert "初中（7–9 年级）书面作业不超过 90 分钟、睡眠不少于 9 小时。" in text


def test_a_school_statement_names_every_grade_on_its_side_and_the_furthest():
    (by_grade, _), _ = heavy_district()
    # grade 5: a copy of grade 4 with 001's share over the limit 80% (diff smaller than grade 4's 100%)
    g5 = by_grade[by_grade["grade"] == 4].assign(grade=5)
    g5.loc[g5["unit_code"] == "001", ["homework_over_share", "homework_over_diff"]] = [0.8, 0.8 - 51 / 96]
    (hw, sleep) = sec.school_statements(pd.concat([by_grade, g5], ignore_index=True), "001")
    assert hw.text.startswith("作业超时比例高于全区：四年级、五年级（最高为四年级 100.0%")
    assert sleep.text.startswith("睡眠达标比例低于全区：四年级、五年级（最低为四年级 0.0%")
