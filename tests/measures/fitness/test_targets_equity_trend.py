"""体质健康 targets (national 优良率 goals and the district's per band, met / missed with the interval's support),
差异系数 of the schools' rates, and the trend over the terms on disk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from measures.fitness.fixtures import RETURNS, enrolment, fitness_rows, two_schools
from tqa.measures import intervals as unc
from tqa.measures.fitness.equity import fitness_equity
from tqa.measures.fitness.rates import fitness_stats
from tqa.measures.fitness.targets import STATUS_MET, STATUS_MISSED, STATUS_WITHIN, attainment_status, fitness_targets
from tqa.measures.fitness.trend import fitness_trend


def test_status_words_follow_the_interval():
    met, gap, status = attainment_status(
        actual=[0.50, 0.45, 0.45, np.nan], lo=[0.4, 0.35, 0.40, np.nan], hi=[0.6, 0.55, 0.49, np.nan],
        target=[0.50, 0.50, 0.50, 0.50],
    )  # fmt: skip
    assert met.tolist() == [True, False, False, pd.NA]
    assert gap.iloc[:3].tolist() == pytest.approx([0.0, -0.05, -0.05])
    assert status.tolist() == [STATUS_MET, STATUS_WITHIN, STATUS_MISSED, pd.NA]


def test_targets_per_unit_and_grade(params):
    fit, enr = two_schools()
    stats = fitness_stats(fit, enr, RETURNS, {}, "2023-2", params)
    t = fitness_targets(stats, params)
    d = t[t["level"] == "district"]
    # grade 7 is 初中: the national goals (50 %, 60 % 优良率) and the district's (优良率 55 %, 达标率 92 %)
    assert d[["target_id", "indicator", "target"]].values.tolist() == [
        ["national_2022", "good_or_better_rate", 0.50],
        ["national_2030", "good_or_better_rate", 0.60],
        ["district", "good_or_better_rate", 0.55],
        ["district", "pass_or_better_rate", 0.92],
    ]
    assert d["target_label"].tolist() == [
        "国家目标（2022 年）",
        "国家目标（2030 年）",
        "本区目标（初中）",
        "本区目标（初中）",
    ]
    # the district: 优良率 29 / 40 = 72.5 %, 达标率 38 / 40 = 95 %: all met, gaps actual - target
    assert d["met"].tolist() == [True, True, True, True]
    assert d["gap"].tolist() == pytest.approx([0.225, 0.125, 0.175, 0.03])
    # school 001: 优良率 50 % of 10 meets 2022 exactly (gap 0), is below 60 % within chance (its interval
    # reaches 0.6); 达标率 80 % against 92 %: below, within chance
    a = t[(t["level"] == "school") & (t["unit_code"] == "001")]
    assert a["gap"].tolist() == pytest.approx([0.0, -0.10, -0.05, -0.12])
    assert a["status"].tolist() == [STATUS_MET, STATUS_WITHIN, STATUS_WITHIN, STATUS_WITHIN]


def test_a_target_missed_for_certain(params):
    # 200 students, 40 优良 (20 %): the interval's top is far below 50 %
    fit = fitness_rows({("001", 8): [85.0] * 40 + [70.0] * 160})
    stats = fitness_stats(fit, enrolment({("001", 8): 200}), RETURNS, {}, "2023-2", params)
    t = fitness_targets(stats, params)
    s = t[(t["level"] == "school") & (t["target_id"] == "national_2022")].iloc[0]
    assert (s["met"], s["status"]) == (False, STATUS_MISSED)
    assert s["gap"] == pytest.approx(-0.30)


def test_a_band_without_a_district_target(with_params):
    # 小学中段 without targets; 初中 with a 优良率 target only
    none = {"good_or_better_rate": None, "pass_or_better_rate": None}
    own = {"good_or_better_rate": 0.7, "pass_or_better_rate": None}
    params = with_params({"fitness": {"district_targets": {"小学中段": none, "初中": own}}})
    fit = fitness_rows({("001", 3): [85.0] * 10, ("001", 7): [85.0] * 10})
    stats = fitness_stats(fit, enrolment({("001", 3): 10, ("001", 7): 10}), RETURNS, {}, "2023-2", params)
    t = fitness_targets(stats, params)
    d = t[t["level"] == "district"]
    assert d.loc[d["grade"] == 3, "target_id"].tolist() == ["national_2022", "national_2030"]
    assert d.loc[d["grade"] == 7, "target_id"].tolist() == ["national_2022", "national_2030", "district"]


def test_equity_cv_of_school_rates(params):
    fit, enr = two_schools()
    stats = fitness_stats(fit, enr, RETURNS, {}, "2023-2", params)
    eq = fitness_equity(stats, params)
    g = eq[eq["indicator"] == "good_or_better_rate"].iloc[0]
    # weighted by the students tested (equity.cv_weighted): mean = (10 * 0.5 + 30 * 0.8) / 40 = 0.725,
    # SD = sqrt((10 * 0.225² + 30 * 0.075²) / 40)
    mean = 0.725
    sd = np.sqrt((10 * (0.5 - mean) ** 2 + 30 * (0.8 - mean) ** 2) / 40)
    assert (g["n_schools"], g["mean_of_means"]) == (2, pytest.approx(mean))
    assert g["cv"] == pytest.approx(sd / mean)
    assert g["cv"] == pytest.approx(0.1792, abs=1e-4)  # under the threshold 0.25
    assert g["cv_threshold"] == 0.25 and bool(g["cv_over"]) is False
    assert eq["indicator_label"].tolist() == ["优良率", "达标率"]


def test_trend_keeps_each_terms_own_data_and_the_change(params):
    fit, enr = two_schools()
    earlier = fitness_stats(fit.iloc[:10], enr, RETURNS, {}, "2023-1", params)  # 001 only: 5 of 10 优良
    now = fitness_stats(fit, enr, RETURNS, {}, "2023-2", params)
    carried = fitness_stats(fit.iloc[0:0], enr, RETURNS, {"2023-2": now}, "2024-1", params)
    trend = fitness_trend({"2023-1": earlier, "2023-2": now, "2024-1": carried}, params)
    d = trend[trend["level"] == "district"]
    assert d["term"].tolist() == ["2023-1", "2023-2"]  # 2024-1 has no data of its own
    assert d["good_or_better_rate"].tolist() == pytest.approx([0.5, 29 / 40])
    change, lo, hi = unc.rate_change(5, 10, 29, 40, 0.95)
    assert d["change"].iloc[1] == pytest.approx(float(change))
    assert (d["change_lo"].iloc[1], d["change_hi"].iloc[1]) == (pytest.approx(float(lo)), pytest.approx(float(hi)))
    assert np.isnan(d["change"].iloc[0])
