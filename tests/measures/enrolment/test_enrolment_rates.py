"""巩固率 and 辍学率 from 学校信息's counts, by hand: the term's start, the base (start − deaths), pooled category
and district rates (sums, never means of school rates), Wilson intervals, the target and its support, the
small-cohort rule, and the reconciliation's 疑似流失 beside the rates."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from tqa.measures.enrolment.rates import TARGET_MET, TARGET_UNSURE, consolidation
from tqa.schema.tables import CHECKED, SCORES

RETURNS = pd.DataFrame(
    {
        "school_code": ["001", "002", "003"],
        "school_name": ["城东小学", "城西小学", "北岭小学"],
        "category": ["城区", "城区", "农村"],
        "usable": [True, True, False],  # 003 is set aside: not counted
    }
)


def block(rows):
    cols = ["school_code", "grade", "enrolled", "transferred_in", "transferred_out", "dropped_out", "died"]
    return pd.DataFrame(rows, columns=cols).assign(sheet="学校信息", excel_row=range(8, 8 + len(rows)))


ENROL = block(
    [
        # enrolled 398, in 2, out 3, dropped 2, died 1: start 402, base 401, retained 399
        ("001", 3, 398, 2, 3, 2, 1),
        # start 9 (a small grade), base 9, retained 9
        ("002", 3, 9, 0, 0, 0, 0),
        ("003", 3, 50, 0, 0, 10, 0),
    ]
)


def reconciliation(rows=()):
    df = CHECKED["enrolment_reconciliation"].empty()
    if rows:
        df = pd.DataFrame(rows, columns=["school_code", "grade", "suspected_leavers_n"])
        for c in CHECKED["enrolment_reconciliation"].names:
            if c not in df:
                df[c] = 0 if c != "previous_term" else "2023-1"
    return df


def row(out, level, code, grade):
    sel = (out["level"] == level) & (out["unit_code"] == code)
    sel &= out["grade"].isna() if grade is None else (out["grade"] == grade)
    assert sel.sum() == 1
    return out.loc[sel].iloc[0]


def test_rates_by_hand_and_pooled(params):
    out = SCORES["enrolment_rates"].conform(consolidation(ENROL, RETURNS, reconciliation([("001", 3, 2)]), params))
    s = row(out, "school", "001", 3)
    assert (s["start_n"], s["base_n"], s["retained_n"], s["dropped_out"]) == (402, 401, 399, 2)
    assert s["consolidation_rate"] == pytest.approx(399 / 401)
    assert s["dropout_rate"] == pytest.approx(2 / 401)
    lo, hi = proportion_confint(399, 401, alpha=0.05, method="wilson")
    assert (s["consolidation_lo"], s["consolidation_hi"]) == (pytest.approx(lo), pytest.approx(hi))
    assert s["suspected_leavers_n"] == 2 and bool(s["reconciled"])
    # the district: sums over the usable schools (003 left out), 399 + 9 of 401 + 9, not the mean of 399/401 and 1
    d = row(out, "district", "district", 3)
    assert (d["base_n"], d["retained_n"]) == (410, 408)
    assert d["consolidation_rate"] == pytest.approx(408 / 410)
    assert d["consolidation_rate"] != pytest.approx((399 / 401 + 1) / 2)
    assert row(out, "category", "城区", 3)["base_n"] == 410
    assert "农村" not in set(out["unit_code"])
    # the grades together (grade NA) equal the single grade here
    assert row(out, "district", "district", None)["retained_n"] == 408
    # target 99.5 %: 99.5 % of 401 is 399.0; the rate 0.99501 meets it, but the interval does not support it
    assert bool(s["met"]) and s["gap"] == pytest.approx(399 / 401 - 0.995)
    assert s["target_status"] == TARGET_UNSURE
    # 002's 9 students are below reporting.min_published_n (10): its rates are withheld by the spec's rule, and
    # it has no band; 001 is banded against the district
    assert row(out, "school", "002", 3)["sample_status"] == "人数过少，不公布"
    assert pd.isna(row(out, "school", "002", 3)["consolidation_band"])
    assert s["consolidation_band"] in ("持平", "低于", "高于")


def test_a_large_grade_without_dropouts_meets_the_target_with_support(params):
    enrol = block([("001", 1, 2000, 0, 0, 0, 0)])
    out = consolidation(enrol, RETURNS, reconciliation(), params)
    s = row(out, "school", "001", 1)
    lo, _ = proportion_confint(2000, 2000, alpha=0.05, method="wilson")
    assert s["consolidation_lo"] == pytest.approx(lo) and lo > 0.995
    assert s["target_status"] == TARGET_MET


def test_without_a_previous_term_the_leaver_counts_are_unknown_not_zero(params):
    out = consolidation(ENROL, RETURNS, reconciliation(), params)
    assert out["suspected_leavers_n"].isna().all() and not out["reconciled"].any()
    assert math.isclose(row(out, "school", "001", 3)["consolidation_rate"], 399 / 401)
