"""体质健康 rates: levels at their boundaries, counts and rates per school x grade x sex, coverage, pooled
category and district figures (sums of numerators over sums of denominators), intervals, bands, carry-over."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from measures.fitness.fixtures import RETURNS, SCHOOL_A, SCHOOL_B, enrolment, fitness_rows, two_schools
from tqa.measures.fitness.rates import carry_over, fitness_levels, fitness_stats


def row(stats: pd.DataFrame, level: str, unit: str, sex: str = "全部", grade: int = 7) -> pd.Series:
    hit = stats[
        (stats["level"] == level) & (stats["unit_code"] == unit) & (stats["sex"] == sex) & (stats["grade"] == grade)
    ]
    assert len(hit) == 1
    return hit.iloc[0]


def test_levels_at_every_boundary(params):
    scores = pd.Series([59.9, 60.0, 79.9, 80.0, 89.9, 90.0, 0.0, 120.0, np.nan])
    assert fitness_levels(scores, params).tolist() == [
        "fail", "pass", "pass", "good", "good", "excellent", "fail", "excellent", pd.NA,
    ]  # fmt: skip


def test_levels_compare_on_one_decimal(params):
    # float noise from a spreadsheet formula: 89.99999999 is 90.0 (优秀), 59.9500000001 rounds to 60.0 (及格),
    # 0.1 * 3 * 300 = 90.00000000000001 stays 优秀 and 79.94999 is 79.9 (及格)
    scores = pd.Series([89.99999999, 59.9500000001, 0.1 * 3 * 300, 79.94999, 59.94])
    assert fitness_levels(scores, params).tolist() == ["excellent", "pass", "excellent", "pass", "fail"]


def test_school_counts_rates_and_coverage(params):
    fit, enr = two_schools()
    stats = fitness_stats(fit, enr, RETURNS, {}, "2023-2", params)
    a = row(stats, "school", "001")
    assert (a["tested_n"], a["enrolled"], a["coverage_n"]) == (10, 12, 10)
    assert a["coverage"] == pytest.approx(10 / 12)
    assert (a["excellent_n"], a["good_n"], a["pass_n"], a["fail_n"]) == (3, 2, 3, 2)
    assert (a["good_or_better_n"], a["pass_or_better_n"]) == (5, 8)
    assert a["excellent_rate"] == pytest.approx(0.3) and a["fail_rate"] == pytest.approx(0.2)
    assert a["good_or_better_rate"] == pytest.approx(0.5) and a["pass_or_better_rate"] == pytest.approx(0.8)
    assert a["mean"] == pytest.approx(sum(SCHOOL_A) / 10)
    assert a["sd"] == pytest.approx(float(np.std(SCHOOL_A, ddof=1)))
    # the sexes: 男 are positions 0, 2, 4, 6, 8 (59.9, 79.9, 89.9, 95.0, 45.0), 女 the others
    m, f = row(stats, "school", "001", "男"), row(stats, "school", "001", "女")
    assert (m["tested_n"], m["excellent_n"], m["good_n"], m["pass_n"], m["fail_n"]) == (5, 1, 1, 1, 2)
    assert (f["tested_n"], f["excellent_n"], f["good_n"], f["pass_n"], f["fail_n"]) == (5, 2, 1, 2, 0)
    assert pd.isna(m["enrolled"]) and np.isnan(m["coverage"])  # enrolment is per grade, not per sex
    # a school that is not usable counts nowhere
    assert "003" not in set(stats["unit_code"])


def test_intervals(params):
    fit, enr = two_schools()
    stats = fitness_stats(fit, enr, RETURNS, {}, "2023-2", params)
    a = row(stats, "school", "001")
    for rate, k in (("good_or_better_rate", 5), ("pass_or_better_rate", 8), ("excellent_rate", 3), ("fail_rate", 2)):
        lo, hi = proportion_confint(k, 10, alpha=0.05, method="wilson")
        assert (a[f"{rate}_lo"], a[f"{rate}_hi"]) == (pytest.approx(lo), pytest.approx(hi))
    lo, hi = proportion_confint(10, 12, alpha=0.05, method="wilson")
    assert (a["coverage_lo"], a["coverage_hi"]) == (pytest.approx(lo), pytest.approx(hi))
    from scipy import stats as sps

    half = sps.t.ppf(0.975, 9) * np.std(SCHOOL_A, ddof=1) / np.sqrt(10)
    assert a["mean_lo"] == pytest.approx(np.mean(SCHOOL_A) - half)
    assert a["mean_hi"] == pytest.approx(np.mean(SCHOOL_A) + half)


def test_pooled_rates_are_sums_over_sums(params):
    fit, enr = two_schools()
    stats = fitness_stats(fit, enr, RETURNS, {}, "2023-2", params)
    d = row(stats, "district", "district")
    assert (d["tested_n"], d["enrolled"], d["good_or_better_n"], d["pass_or_better_n"]) == (40, 42, 29, 38)
    # 29 / 40, not the mean of 0.5 and 0.8
    assert d["good_or_better_rate"] == pytest.approx(29 / 40)
    assert d["pass_or_better_rate"] == pytest.approx(38 / 40)
    assert d["coverage"] == pytest.approx(40 / 42)
    assert d["mean"] == pytest.approx((sum(SCHOOL_A) + sum(SCHOOL_B)) / 40)
    rural = row(stats, "category", "农村")
    assert (rural["tested_n"], rural["good_or_better_n"], rural["fail_n"]) == (30, 24, 0)
    dm = row(stats, "district", "district", "男")
    assert (dm["tested_n"], dm["good_or_better_n"]) == (20, 2 + 12)  # 001: 2 of its 5 男; 002: 6 + 6


def test_bands_against_the_district(params):
    # 001: 5 of 10 优良 against a district of 29 of 40: the interval contains 0 (持平); a school of 200 with
    # 40 优良 in a district of 1200 with 840 is clearly and much below (明显低于: more than 10 points)
    fit, enr = two_schools()
    stats = fitness_stats(fit, enr, RETURNS, {}, "2023-2", params)
    assert row(stats, "school", "001")["good_or_better_rate_band"] == "持平"
    big = fitness_rows({("001", 8): [85.0] * 40 + [70.0] * 160, ("002", 8): [85.0] * 800 + [70.0] * 200})
    stats = fitness_stats(big, enrolment({("001", 8): 200, ("002", 8): 1000}), RETURNS, {}, "2023-2", params)
    a, b = row(stats, "school", "001", grade=8), row(stats, "school", "002", grade=8)
    assert a["good_or_better_rate_diff"] == pytest.approx(0.2 - 0.7)
    assert a["good_or_better_rate_band"] == "明显低于"
    assert b["good_or_better_rate_band"] in ("高于", "明显高于")
    assert pd.isna(row(stats, "district", "district", grade=8)["good_or_better_rate_band"])
    # 达标率 is 100% everywhere: no difference, 持平
    assert a["pass_or_better_rate_band"] == "持平"


def test_small_cohorts_are_marked(params):
    fit, enr = two_schools()
    stats = fitness_stats(fit, enr, RETURNS, {}, "2023-2", params)
    assert row(stats, "school", "001", "男")["sample_status"] == "人数过少，不公布"  # 5 students
    assert row(stats, "school", "001")["sample_status"] == "样本较小"  # 10
    assert row(stats, "school", "002")["sample_status"] == "公布"  # 30


def test_school_with_enrolment_and_nobody_tested(params):
    fit, _ = two_schools()
    enr = enrolment({("001", 7): 12, ("001", 8): 20, ("002", 7): 30})
    stats = fitness_stats(fit, enr, RETURNS, {}, "2023-2", params)
    r = row(stats, "school", "001", grade=8)
    assert (r["tested_n"], r["enrolled"], r["coverage"]) == (0, 20, 0.0)
    assert np.isnan(r["good_or_better_rate"])


def test_a_term_without_fitness_data_uses_the_latest_earlier_term(params):
    fit, enr = two_schools()
    t1 = fitness_stats(fit, enr, RETURNS, {}, "2022-2", params)
    t2 = fitness_stats(fit.iloc[:20], enr, RETURNS, {}, "2023-1", params)
    empty = fit.iloc[0:0]
    now = fitness_stats(empty, enr, RETURNS, {"2022-2": t1, "2023-1": t2}, "2023-2", params)
    assert set(now["data_term"]) == {"2023-1"}
    assert row(now, "district", "district")["tested_n"] == 20
    # an earlier term that itself carried data over still names the term the data are from
    later = fitness_stats(empty, enr, RETURNS, {"2022-2": t1, "2023-1": t2, "2023-2": now}, "2024-1", params)
    assert set(later["data_term"]) == {"2023-1"}
    # this term's own data win over any earlier term
    own = fitness_stats(fit, enr, RETURNS, {"2023-1": t2}, "2023-2", params)
    assert set(own["data_term"]) == {"2023-2"} and row(own, "district", "district")["tested_n"] == 40
    # nothing anywhere: this term's empty table (enrolment only, nobody tested)
    none = carry_over(fitness_stats(empty, enr, RETURNS, {}, "2023-2", params), {})
    assert (none["tested_n"] == 0).all() and set(none["data_term"]) == {"2023-2"}
