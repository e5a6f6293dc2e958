"""作业与睡眠: every figure against a fixture computed by hand.

Quantiles are Hyndman and Fan's type 7 (numpy "linear", Excel's QUARTILE.INC): the p-quantile of n sorted values
x_0..x_{n-1} is at position h = (n − 1) p, x_⌊h⌋ + (h − ⌊h⌋)(x_⌊h⌋+1 − x_⌊h⌋). Limits (shipped params): grades
1-2 no written homework (0 minutes: any minute is over), grades 3-6 at most 60 minutes, 7-9 at most 90; sleep at
least 10 hours in primary, 9 in junior.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers import params_with
from tqa.measures import intervals as unc
from tqa.measures.catalog import Measures
from tqa.measures.wellbeing.survey import equity, median_interval, quartiles, survey_stats
from tqa.schema.tables import SCORES

N = None
# school, grade, homework minutes, sleep hours
ROWS = [
    ("001", 3, 30, 10.0), ("001", 3, 60, 9.5), ("001", 3, 61, 10.5), ("001", 3, 90, N), ("001", 3, 45, 9.0),
    ("001", 3, N, 10.0),
    ("002", 3, 0, 11.0), ("002", 3, 20, 10.0), ("002", 3, 40, 9.0), ("002", 3, 80, 8.0), ("002", 3, 85, N),
    ("003", 3, 100, 8.5), ("003", 3, 120, 9.0),
    ("001", 1, 0, 10.0), ("001", 1, 0, 9.0), ("001", 1, 5, 10.0),
    ("002", 7, 90, 9.0), ("002", 7, 91, 8.5),
    ("004", 3, 200, 5.0),  # a school that is not usable: in no figure
    ("001", 3, N, N),  # a row without an answer is not a respondent
]  # fmt: skip
SMALL = {"reporting": {"min_published_n": 2, "min_rank_n": 2}}  # every fixture cohort shown and banded


def survey(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame(
        [(c, "作业与睡眠", i + 2, f"S{i:03d}", g, m, h) for i, (c, g, m, h) in enumerate(rows)],
        columns=["school_code", "sheet", "excel_row", "student_id", "grade", "homework_minutes", "sleep_hours"],
    ).astype({"homework_minutes": "float64", "sleep_hours": "float64"})


def enrolment() -> pd.DataFrame:
    return pd.DataFrame(
        {"school_code": ["001", "002", "003", "001", "002"], "grade": [3, 3, 3, 1, 7], "enrolled": [8, 5, 5, 3, 2]}
    )


def returns() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "school_code": ["001", "002", "003", "004"],
            "school_name": ["甲校", "乙校", "丙校", "丁校"],
            "category": ["城区", "城区", "农村", "农村"],
            "usable": [True, True, True, False],
        }
    )


@pytest.fixture(scope="module")
def stats():
    return survey_stats(survey(), enrolment(), returns(), params_with(SMALL))


def row(table: pd.DataFrame, level: str, unit: str, **keys) -> pd.Series:
    sel = table[(table["level"] == level) & (table["unit_code"] == unit)]
    for k, v in keys.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, (level, unit, keys)
    return sel.iloc[0]


def test_quartiles_type_7():
    # [30, 45, 60, 61, 90]: h = 1, 2, 3 -> 45, 60, 61;  [0, 20, 40, 80]: h = 0.75, 1.5, 2.25 -> 15, 30, 50
    assert quartiles(pd.Series([90, 30, 61, 45, 60])) == (45.0, 60.0, 61.0)
    assert quartiles(pd.Series([0, 20, 40, 80])) == (15.0, 30.0, 50.0)
    assert all(math.isnan(v) for v in quartiles(pd.Series([], dtype="float64")))


def test_median_interval_is_the_order_statistic_interval():
    # n = 10 at 95%: the 2nd and 9th order statistics (coverage 1 − 2·P(Binom(10, ½) <= 1) = 97.9%);
    # n = 5 cannot reach 95% (the widest interval, x(1)..x(5), covers 1 − 2/32 = 93.75%)
    assert median_interval(pd.Series(range(10, 110, 10)), 0.95) == (20.0, 90.0)
    assert all(math.isnan(v) for v in median_interval(pd.Series([1, 2, 3, 4, 5]), 0.95))


def test_a_school_grade_by_hand(stats):
    s = row(stats[0], "school", "001", grade=3)
    # respondents: 6 rows with an answer (the blank row is none); 8 enrolled
    assert (s["respondents_n"], s["enrolled"], s["response_rate"]) == (6, 8, 0.75)
    lo, hi = unc.wilson_ci(6, 8, 0.95)
    assert (s["response_rate_lo"], s["response_rate_hi"]) == pytest.approx((lo, hi))
    # homework [30, 60, 61, 90, 45]: 60 is within the limit, 61 and 90 are over
    assert (s["homework_limit"], s["homework_n"], s["homework_over_n"]) == (60.0, 5, 2)
    assert s["homework_over_share"] == pytest.approx(0.4)
    assert (s["homework_q1"], s["homework_median"], s["homework_q3"]) == (45.0, 60.0, 61.0)
    lo, hi = unc.wilson_ci(2, 5, 0.95)
    assert (s["homework_over_share_lo"], s["homework_over_share_hi"]) == pytest.approx((lo, hi))
    # sleep [10.0, 9.5, 10.5, 9.0, 10.0]: 10.0 meets the 10 hours, 9.5 does not
    assert (s["sleep_min"], s["sleep_n"], s["sleep_met_n"]) == (10.0, 5, 3)
    assert (s["sleep_q1"], s["sleep_median"], s["sleep_q3"]) == (9.5, 10.0, 10.0)
    assert s["band"] == "小学中段"


def test_limits_by_grade_band(stats):
    g1 = row(stats[0], "school", "001", grade=1)  # limit 0: 0 and 0 are within, 5 minutes is over
    assert (g1["homework_limit"], g1["homework_n"], g1["homework_over_n"]) == (0.0, 3, 1)
    assert (g1["sleep_min"], g1["sleep_met_n"]) == (10.0, 2)
    g7 = row(stats[0], "school", "002", grade=7)  # 90 is within, 91 over; 9.0 h meets 9, 8.5 does not
    assert (g7["homework_limit"], g7["homework_over_n"], g7["sleep_min"], g7["sleep_met_n"]) == (90.0, 1, 9.0, 1)


def test_pooled_figures_come_from_the_pooled_students(stats):
    c = row(stats[0], "category", "城区", grade=3)
    # 001's and 002's homework: [0, 20, 30, 40, 45, 60, 61, 80, 85, 90]; median (45 + 60) / 2 = 52.5, not the
    # median of the two schools' medians (60 and 40: 50); Q1 at h = 2.25: 32.5; Q3 at h = 6.75: 75.25
    assert (c["homework_q1"], c["homework_median"], c["homework_q3"]) == (32.5, 52.5, 75.25)
    assert (c["homework_n"], c["homework_over_n"], c["homework_over_share"]) == (10, 4, 0.4)
    assert (c["homework_median_lo"], c["homework_median_hi"]) == (20.0, 85.0)  # 2nd and 9th of 10
    assert (c["sleep_n"], c["sleep_met_n"]) == (9, 5)
    assert (c["respondents_n"], c["enrolled"]) == (11, 13)
    d = row(stats[0], "district", "district", grade=3)
    # + 003's [100, 120]: 12 values, median (60 + 61) / 2; over: 6 of 12 (a sum of counts, not a mean of shares)
    assert (d["homework_n"], d["homework_over_n"], d["homework_over_share"]) == (12, 6, 0.5)
    assert (d["homework_q1"], d["homework_median"], d["homework_q3"]) == (37.5, 60.5, 86.25)
    # sleep: 11 answers [8, 8.5, 9, 9, 9, 9.5, 10, 10, 10, 10.5, 11]: median 9.5, 5 of 11 meet 10 hours
    assert (d["sleep_n"], d["sleep_met_n"], d["sleep_median"]) == (11, 5, 9.5)
    assert d["sleep_met_share"] == pytest.approx(5 / 11)
    assert (d["respondents_n"], d["enrolled"], d["response_rate"]) == (13, 18, pytest.approx(13 / 18))
    assert "004" not in set(stats[0]["unit_code"])


def test_grade_bands_pool_their_grades(stats):
    b = stats[1]
    assert list(b["band"].unique()) == ["小学低段", "小学中段", "初中"]  # params grade_bands order
    mid = row(b, "district", "district", band="小学中段")
    assert (mid["homework_n"], mid["homework_over_n"], mid["homework_median"]) == (12, 6, 60.5)


def test_bands_against_the_district():
    # 30 students of school 001 all over the limit, 30 of school 002 none: district 50%. 001's difference is
    # +0.5 with an interval far from 0 (明显高于); 002's is −0.5 (明显低于)
    rows = [("001", 4, 70, 10.0)] * 30 + [("002", 4, 30, 8.0)] * 30
    enrol = pd.DataFrame({"school_code": ["001", "002"], "grade": [4, 4], "enrolled": [30, 30]})
    out, _ = survey_stats(survey(rows), enrol, returns(), params_with())
    a, b = row(out, "school", "001", grade=4), row(out, "school", "002", grade=4)
    assert (a["homework_over_diff"], a["homework_over_band"]) == (pytest.approx(0.5), "明显高于")
    assert (b["homework_over_diff"], b["homework_over_band"]) == (pytest.approx(-0.5), "明显低于")
    assert (a["sleep_met_band"], b["sleep_met_band"]) == ("明显高于", "明显低于")
    assert a["homework_over_diff_lo"] > 0 and b["homework_over_diff_hi"] < 0


def test_small_cohorts_get_no_band_and_are_withheld_in_reports():
    params = params_with()  # min_published_n 10: every fixture cohort is below it
    out, _ = survey_stats(survey(), enrolment(), returns(), params)
    schools = out[out["level"] == "school"]
    assert schools["homework_over_band"].isna().all() and schools["homework_over_diff"].isna().all()
    assert set(schools["homework_status"]) == {"人数过少，不公布"}
    from tqa.measures.cohorts import withhold

    shown = withhold(out, SCORES["wellbeing_stats"].withhold, params)
    small_hw, small_sleep = shown["homework_n"] < 10, shown["sleep_n"] < 10
    assert (
        shown.loc[small_hw, "homework_median"].isna().all() and shown.loc[small_sleep, "sleep_met_share"].isna().all()
    )
    # the pooled grade 3 (10 and 12 homework answers) is shown; its sleep (9 answers in 城区) is not
    assert shown.loc[~small_hw, "homework_median"].tolist() == [52.5, 60.5]
    assert shown.loc[~small_sleep, "sleep_median"].tolist() == [9.5]
    assert shown["homework_n"].tolist() == out["homework_n"].tolist()  # the counts of respondents stay


def test_no_mean_is_published():
    """Survey answers are summarised by medians and shares: no column of the survey tables is a mean."""
    for name in ("wellbeing_stats", "wellbeing_band_stats"):
        assert [c for c in SCORES[name].names if "mean" in c or "avg" in c or "sd" == c] == []


def test_equity_is_the_cv_of_the_school_shares(stats):
    eq = equity(stats[0], params_with(SMALL))
    hw = eq[(eq["grade"] == 3) & (eq["indicator"] == "homework_within")].iloc[0]
    # within the limit: 001 3/5, 002 3/5, 003 0/2; weighted by respondents: mean 6/12 = 0.5,
    # SD = sqrt((5·0.1² + 5·0.1² + 2·0.5²) / 12) = sqrt(0.05)
    assert (hw["n_schools"], hw["mean_of_means"]) == (3, 0.5)
    assert hw["sd_of_means"] == pytest.approx(math.sqrt(0.05))
    assert hw["cv"] == pytest.approx(math.sqrt(0.05) / 0.5)
    assert (hw["cv_threshold"], bool(hw["cv_over"])) == (0.15, True)
    one = eq[eq["grade"] == 7]  # one school: no CV
    assert one["cv"].isna().all() and one["cv_over"].isna().all()


def test_the_catalog_runs_the_measures_with_their_declared_params():
    m = Measures(params_with(SMALL))
    by_grade, by_band = m.wellbeing(survey(), enrolment(), returns())
    assert list(by_grade.columns) == list(SCORES["wellbeing_stats"].names)
    assert list(m.wellbeing_equity(by_grade).columns) == list(SCORES["wellbeing_equity"].names)
