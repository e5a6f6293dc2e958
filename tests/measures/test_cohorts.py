"""tqa.measures.cohorts: one small-cohort rule, applied where a report reads a table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tqa.measures import cohorts
from tqa.schema.tables import SCORES


def test_kinds_and_labels(params):
    n = pd.Series([0, 9, 10, 29, 30, pd.NA], dtype="Int64")
    assert list(cohorts.kind(n, params)) == ["none", "withheld", "small", "small", "full", "none"]
    assert list(cohorts.sample_status(n, params)) == [
        "无实考学生",
        "人数过少，不公布",
        "样本较小",
        "样本较小",
        "公布",
        "无实考学生",
    ]
    assert list(cohorts.shown(n, params)) == [False, False, True, True, True, False]
    assert list(cohorts.rankable(n, params)) == [False, False, False, False, True, False]


def test_withhold_blanks_results_of_withheld_cohorts_and_keeps_the_headcounts(params):
    targets = pd.DataFrame(
        {
            "unit_code": ["001", "002"],
            "tested_n": [1, 40],
            "actual": [1.0, 0.8],
            "met": [True, False],
            "gap": [0.2, -0.1],
        }  # fmt: skip
    )
    out = cohorts.withhold(targets, SCORES["targets"].withhold, params)
    # one student: "100.0%（达成）" must never reach a page
    assert out.loc[0, "tested_n"] == 1 and pd.isna(out.loc[0, "actual"]) and pd.isna(out.loc[0, "met"])
    assert pd.isna(out.loc[0, "gap"]) and out.loc[1, "actual"] == 0.8 and not out.loc[1, "met"]
    assert targets.loc[0, "actual"] == 1.0  # the input is not changed
    untouched = targets.iloc[[1]]
    assert cohorts.withhold(untouched, SCORES["targets"].withhold, params) is untouched


def test_withhold_follows_both_terms_of_a_change(params):
    change = pd.DataFrame(
        {
            "tested_n": [40, 5, 40],
            "prior_tested_n": pd.array([5, 40, 40], dtype="Int64"),
            "current_value": [0.9, 0.9, 0.9],
            "prior_value": [0.8, 0.8, 0.8],
            "change": [0.1, 0.1, 0.1],
            "colour": pd.array(["Blue", "Blue", "Blue"], dtype="string"),
        }  # fmt: skip
    )
    out = cohorts.withhold(change, SCORES["change"].withhold, params)
    assert out["current_value"].isna().tolist() == [False, True, False]
    assert out["prior_value"].isna().tolist() == [True, False, False]
    assert out["change"].isna().tolist() == [True, True, False] and out["colour"].isna().tolist() == [True, True, False]


def test_every_statistics_table_with_a_cohort_declares_what_to_withhold():
    # a scores table that carries a count of students (or staff) must say which of its figures rest on it
    for name, spec in SCORES.items():
        # (each family counts its cohort under its own name: 学籍变动 base_n, 作业与睡眠 homework_n / sleep_n, 入学率
        # the catchment's school-age population)
        counts = [
            c
            for c in ("tested_n", "n", "n_j", "base_n", "homework_n", "sleep_n", "population", "judged_n")
            if c in spec.names
        ]
        skipped = ("equity", "fitness_equity", "wellbeing_equity", "wellbeing_burden_summary", "sensitivity",
                   "funnel_curves", "borderline", "va_models", "routine_staff", "routine_equity")  # fmt: skip
        if name in skipped:
            continue  # over schools (the equity tables, the burden correlation), ranked cohorts only, control limits, students, model fits, staff
        assert counts and spec.withhold, name
        for n_col, cols in spec.withhold:
            assert n_col in spec.names and set(cols) <= set(spec.names), name
            assert n_col not in cols


def test_results_withhold_keeps_the_rows_identity_and_hides_every_result():
    ((n_col, cols),) = SCORES["results"].withhold
    assert n_col == "tested_n"
    for kept in ("unit_code", "grade", "subject", "tested_n", "absent_n", "sample_status"):
        assert kept not in cols
    for hidden in ("mean", "mean_lo", "pass_rate", "pass_n", "mean_band", "rank_district", "composite", "mean_z"):
        assert hidden in cols
    assert np.isin(["rank_lo", "rank_hi"], cols).all()
