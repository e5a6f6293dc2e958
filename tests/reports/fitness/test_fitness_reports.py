"""体质健康 in the reports: the public edition's bands (schools in category and code order, never by a result; no
student data), the schools below the district, the tables' wording, the first-page statements and the charts."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure

from measures.fitness.fixtures import enrolment, fitness_rows
from tqa.core.terms import parse_term
from tqa.measures.cohorts import withhold
from tqa.measures.fitness.equity import fitness_equity
from tqa.measures.fitness.rates import fitness_stats
from tqa.measures.fitness.targets import fitness_targets
from tqa.measures.fitness.trend import fitness_trend
from tqa.reports.charts.fitness import level_stack_chart, school_rate_chart
from tqa.reports.sections.fitness import FitnessDistrict, FitnessPublicDistrict, FitnessSchool
from tqa.reports.tables import fitness as tf
from tqa.schema.tables import SCORES

RETURNS = pd.DataFrame(
    {
        "school_code": ["001", "002", "003", "004"],
        "school_name": ["甲校", "乙校", "丙校", "丁校"],
        "category": ["乡镇", "农村", "城区", "城区"],
        "usable": [True, True, True, True],
    }
)
# grade 7: 001 half 优良 of 100; 002 five students (withheld); 003 20 % of 200 (clearly below); 004 80 % of 200
SCORES_7 = {
    ("001", 7): [85.0] * 50 + [70.0] * 50,
    ("002", 7): [85.0] * 5,
    ("003", 7): [85.0] * 40 + [70.0] * 160,
    ("004", 7): [85.0] * 160 + [70.0] * 40,
}


@pytest.fixture
def params(with_params):
    # the district's own 初中 target at 40 % (met); the national goals as shipped (50 %, 60 %)
    return with_params(
        {"fitness": {"district_targets": {"初中": {"good_or_better_rate": 0.40, "pass_or_better_rate": 0.90}}}}
    )


def tables(params, term="2023-2", earlier=None):
    fit = fitness_rows(SCORES_7)
    enr = enrolment({k: len(v) for k, v in SCORES_7.items()})
    stats = fitness_stats(fit, enr, RETURNS, earlier or {}, term, params)
    return {
        "fitness_stats": stats,
        "fitness_targets": fitness_targets(stats, params),
        "fitness_equity": fitness_equity(stats, params),
        "fitness_trend": fitness_trend({term: stats}, params),
    }


def as_read(frames, params):
    """What a view reads: withheld cohorts blanked (tqa.reports.views.View.read)."""
    return {k: withhold(v, SCORES[k].withhold, params) for k, v in frames.items()}


class NoCache:
    """Catalog.derive without a cache (the frames here were never read from files)."""

    @staticmethod
    def derive(build, *frames, **options):
        return build(*frames, **options)


class Stub:
    public = False
    level = 0.95
    catalog = NoCache()

    def __init__(self, frames, params, term="2023-2", code=None):
        self.frames, self.params, self.term, self.code = as_read(frames, params), params, parse_term(term), code
        self.name = "丙校"
        self.school = pd.Series({"category": "城区"})

    def read(self, stage, name):
        return self.frames[name]


class District(FitnessDistrict, Stub):
    pass


class PublicDistrict(FitnessPublicDistrict, District):
    public = True


class School(FitnessSchool, Stub):
    pass


class PublicSchool(School):
    public = True


def test_public_bands_in_category_and_code_order(params):
    stats = as_read(tables(params), params)["fitness_stats"]
    matrix = tf.public_band_matrix(stats, "good_or_better_rate")
    # 城区 (003, 004), 乡镇 (001), 农村 (002): not the order of the rates (004 best, 003 worst)
    assert matrix.values.tolist() == [
        ["003", "丙校", "城区", "明显低于全区"],
        ["004", "丁校", "城区", "明显高于全区"],
        ["001", "甲校", "乡镇", "与全区相当"],
        ["002", "乙校", "农村", "人数过少，不公布"],
    ]
    assert list(matrix.columns) == ["代码", "学校", "类别", "七年级"]


def test_public_district_section_shows_no_ordering_and_no_student_data(params):
    view = PublicDistrict(tables(params), params)
    items = view.fitness_section()
    shown = [i.df for i in items if hasattr(i, "df")]
    assert not any(isinstance(i, Figure) for i in items)  # the internal chart orders schools by their rate
    for df in shown:
        assert not {"student_id", "name", "学籍号", "姓名", "名次"} & set(df.columns)
    bands = [df for df in shown if "七年级" in df.columns]
    assert [df["代码"].tolist() for df in bands] == [["003", "004", "001", "002"]] * 2
    assert view.fitness_concern_statements() == []


def test_concern_list_names_the_school_below_the_district(params):
    stats = as_read(tables(params), params)["fitness_stats"]
    concern = tf.concern_schools(stats)
    assert concern[["代码", "学校", "年级", "参加测试"]].values.tolist() == [["003", "丙校", "七年级", 200]]
    assert concern["优良率与全区比较"].tolist() == ["明显低于（-30.5 个百分点）"]  # 20 % against 255 / 505


def test_district_first_page(params):
    view = District(tables(params), params)
    group = view.fitness_group()
    assert [s.text for s in group.statements] == [
        "全区参加体质测试 505 人：优良率 50.5%，达标率 100.0%（各年级合计）。",
        "未达到国家目标（2030 年）优良率 60.0%（区间支持）：七年级（50.5%）",
        "1 所学校有年级的优良率或达标率低于全区（区间支持）：003 丙校。",
    ]
    assert PublicDistrict(tables(params), params).fitness_group().statements[-1].text.startswith("未达到")


def test_school_first_page_says_only_what_the_intervals_support(params):
    internal = School(tables(params), params, code="003").fitness_group()
    assert [s.text for s in internal.statements] == [
        "优良率明显低于全区：七年级（20.0%，差 -30.5 个百分点）",
        "未达到国家目标（2022 年）优良率 50.0%（区间支持）：七年级（20.0%）",
        "未达到国家目标（2030 年）优良率 60.0%（区间支持）：七年级（20.0%）",
        "未达到本区目标优良率 40.0%（区间支持）：七年级（20.0%）",
    ]
    public = PublicSchool(tables(params), params, code="003").fitness_group()
    assert [s.text for s in public.statements] == ["优良率明显低于全区：七年级（20.0%，差 -30.5 个百分点）"]
    # 001 is level with the district (持平: no band statement), but its 50 of 100 has a Wilson interval whose top
    # (59.7 %) is under 60 %; 002's five students are withheld: nothing to say
    assert [s.text for s in School(tables(params), params, code="001").fitness_group().statements] == [
        "未达到国家目标（2030 年）优良率 60.0%（区间支持）：七年级（50.0%）"
    ]
    assert School(tables(params), params, code="002").fitness_group().statements == []


def test_school_section_public_shows_bands_not_figures(params):
    items = PublicSchool(tables(params), params, code="003").fitness_section()
    table = next(i.df for i in items if hasattr(i, "df"))
    own = table[table["范围"] == "本校"].iloc[0]
    assert own["优良率（区间）"] == "（只公布与全区比较）" and own["优良率与全区比较"] == "明显低于全区"
    assert not any(isinstance(i, Figure) for i in items)
    internal = School(tables(params), params, code="003").fitness_section()
    rows = next(i.df for i in internal if hasattr(i, "df"))
    assert rows["范围"].tolist() == ["本校男生", "本校女生", "本校", "同类学校", "全区"]
    assert any(isinstance(i, Figure) for i in internal)


def test_withheld_school_shows_its_status_not_a_number(params):
    items = School(tables(params), params, code="002").fitness_section()
    rows = next(i.df for i in items if hasattr(i, "df"))
    own = rows[rows["范围"] == "本校"].iloc[0]
    assert own["优良率（区间）"] == "人数过少，不公布" and own["平均学年总分（区间）"] == "人数过少，不公布"
    assert own["优良率与全区比较"] == "人数过少，不公布" and own["参加测试"] == "5"
    # its boys (3) and girls (2) are withheld: neither row is shown (the total would give the other away)
    assert rows["范围"].tolist() == ["本校", "同类学校", "全区"]
    # the district's table shows each level's count with its rate
    grades = tf.district_grades(as_read(tables(params), params)["fitness_stats"])
    assert grades.loc[grades["范围"] == "全区", "良好"].tolist() == ["255（50.5%）"]


def test_a_term_without_data_says_whose_data_it_shows(params):
    earlier = tables(params, "2023-1")["fitness_stats"]
    fit = fitness_rows(SCORES_7).iloc[0:0]
    stats = fitness_stats(fit, enrolment({("001", 7): 100}), RETURNS, {"2023-1": earlier}, "2023-2", params)
    frames = {"fitness_stats": stats, "fitness_targets": fitness_targets(stats, params),
              "fitness_equity": fitness_equity(stats, params),
              "fitness_trend": fitness_trend({"2023-1": earlier, "2023-2": stats}, params)}  # fmt: skip
    view = District(frames, params)
    notes = [i.text for i in view.fitness_section() if hasattr(i, "text")]
    assert notes[0] == "本学期没有体质健康测试数据（体质测试每学年一次），以下使用 2023-1 学期的数据。"
    assert view.fitness_group().statements[0].text.startswith("全区参加体质测试 505 人（2023-1 学期数据）")


def test_targets_table_wording(params):
    t = as_read(tables(params), params)["fitness_targets"]
    d = tf.targets_table(t[t["level"] == "district"])
    assert d["目标"].tolist() == [
        "国家目标（2022 年） 优良率 ≥ 50%", "国家目标（2030 年） 优良率 ≥ 60%",
        "本区目标（初中） 优良率 ≥ 40%", "本区目标（初中） 达标率 ≥ 90%",
    ]  # fmt: skip
    assert d["结论"].tolist() == ["达成", "未达成（区间支持）", "达成", "达成"]
    assert d["与目标之差"].tolist()[:2] == ["+0.5 个百分点", "-9.5 个百分点"]


def test_charts_draw(params):
    stats = tables(params)["fitness_stats"]
    pooled = stats[stats["sex"] == "全部"]
    fig = level_stack_chart(pooled[pooled["unit_code"].isin(["003", "district"])], "丙校")
    assert isinstance(fig, Figure)
    schools = pooled[(pooled["level"] == "school") & pooled["publishable"]]
    fig = school_rate_chart(schools, pooled[pooled["level"] == "district"], [("national", 7, 0.5)], "t", 0.95)
    assert isinstance(fig, Figure)


def test_missed_targets_are_one_statement_per_target():
    from tqa.reports.sections.fitness import missed_targets

    t = pd.DataFrame(
        {
            "grade": [1, 2, 3, 1, 2, 3],
            "target_id": ["national_2022"] * 3 + ["district"] * 3,
            "target_label": ["国家目标（2022 年）"] * 3 + ["本区目标（小学低段）"] * 2 + ["本区目标（小学中段）"],
            "indicator_label": ["优良率"] * 6,
            "target": [0.5, 0.5, 0.5, 0.55, 0.55, 0.6],
            "actual": [0.31, 0.38, 0.35, 0.31, 0.38, 0.35],
            "status": ["未达成（区间支持）"] * 3 + ["未达成（区间支持）", "低于目标，但在随机波动范围内", "达成"],
        }
    )
    assert [s.text for s in missed_targets(t)] == [
        "未达到国家目标（2022 年）优良率 50.0%（区间支持）：全部 3 个年级（31.0%–38.0%）",
        "未达到本区目标优良率 55.0%（区间支持）：一年级（31.0%）",
    ]


def test_band_statements_group_the_grades():
    from tqa.reports.sections.fitness import band_statements

    rows = pd.DataFrame(
        {
            "grade": [1, 2, 3],
            "good_or_better_rate": [0.05, 0.0, 0.4],
            "good_or_better_rate_band": ["明显低于", "明显低于", "持平"],
            "good_or_better_rate_diff": [-0.31, -0.36, 0.02],
            "pass_or_better_rate": [0.99, 0.98, 0.97],
            "pass_or_better_rate_band": ["高于", "高于", "高于"],
            "pass_or_better_rate_diff": [0.04, 0.03, 0.02],
        }
    )
    assert [(s.text, s.tone) for s in band_statements(rows)] == [
        ("优良率明显低于全区：一年级、二年级（0.0%–5.0%，差 -36.0 至 -31.0 个百分点）", "bad"),
        ("达标率高于全区：全部 3 个年级（97.0%–99.0%，差 +2.0 至 +4.0 个百分点）", "good"),
    ]


def test_no_fitness_data_anywhere(params):
    fit = fitness_rows(SCORES_7).iloc[0:0]
    stats = fitness_stats(fit, enrolment({("001", 7): 100}), RETURNS, {}, "2023-2", params)
    frames = {"fitness_stats": stats, "fitness_targets": fitness_targets(stats, params),
              "fitness_equity": fitness_equity(stats, params), "fitness_trend": fitness_trend({"2023-2": stats}, params)}  # fmt: skip
    notes = [i.text for i in District(frames, params).fitness_section()]
    assert notes == ["本学期及以前各学期都没有体质健康测试数据。"]
    assert District(frames, params).fitness_group().empty == "本学期没有体质健康测试数据。"
    assert [i.text for i in School(frames, params, code="001").fitness_section()] == notes
