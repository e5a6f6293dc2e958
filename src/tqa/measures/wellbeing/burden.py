"""Burden against results, per grade across schools: each school's share of students over the homework limit
beside its results, and Spearman's rank correlation of the two.

The results: the mean of the school's standardised paper means (results.mean_z: the school's mean minus the
district's, in district-student standard deviations, one per score-graded paper of the grade), so papers with
different full marks count alike. A school counts in a grade when both figures are shown (homework_n and every
paper's tested_n at least reporting.min_published_n: the small-cohort rule). Spearman's rho (``scipy.stats``)
needs at least three schools and is NaN otherwise (or when either figure does not vary).

This is an association across schools, not a cause: schools that give more homework may differ in their intake,
their teachers and their families in ways that also move results. The reports say so beside every figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from tqa.core import units
from tqa.core.ordering import sort_rows
from tqa.measures import cohorts
from tqa.params import Params
from tqa.schema.tables import SCORES

MIN_SCHOOLS = 3  # a rank correlation of two points is always ±1


def burden(wellbeing: pd.DataFrame, results: pd.DataFrame, params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tables ``wellbeing_burden`` (one row per grade x school with both figures shown) and
    ``wellbeing_burden_summary`` (per grade: schools and Spearman's rho with its p-value)."""
    schools = units.rows(wellbeing, units.SCHOOL)
    schools = schools[cohorts.shown(schools["homework_n"], params)]
    papers = units.rows(results, units.SCHOOL)
    papers = papers[papers["mean_z"].notna() & cohorts.shown(papers["tested_n"], params)]
    score = (
        papers.groupby(["unit_code", "grade"], sort=True)
        .agg(papers_n=("subject", "size"), tested_n=("tested_n", "min"), mean_z=("mean_z", "mean"))
        .reset_index()
        .rename(columns={"unit_code": "school_code"})
    )
    points = schools.rename(columns={"unit_code": "school_code", "unit_name": "school_name"})
    points = points[["grade", "school_code", "school_name", "category", "homework_n", "homework_over_n",
                     "homework_over_share"]]  # fmt: skip
    points = points.merge(score, on=["school_code", "grade"], how="inner")
    spec = SCORES["wellbeing_burden"]
    points = sort_rows(
        spec.conform(points.astype({"papers_n": "int64", "tested_n": "int64"})), ["grade", "school_code"]
    )

    rows = []
    for grade, g in points.groupby("grade", sort=True):
        rho, p = np.nan, np.nan
        x, y = g["homework_over_share"].to_numpy(), g["mean_z"].to_numpy()
        if len(g) >= MIN_SCHOOLS and np.ptp(x) > 0 and np.ptp(y) > 0:
            res = sps.spearmanr(x, y)
            rho, p = float(res.statistic), float(res.pvalue)
        rows.append({"grade": int(grade), "n_schools": len(g), "spearman_rho": rho, "p_value": p})
    summary = SCORES["wellbeing_burden_summary"]
    out = pd.DataFrame(rows, columns=list(summary.names))
    return points, summary.conform(out) if len(out) else summary.empty()
