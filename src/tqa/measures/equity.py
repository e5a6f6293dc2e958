"""差异系数 (coefficient of variation of the school values): the equity statistic of the national 义务教育均衡
evaluation, for any school-level value of any family of measures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tqa.core import units
from tqa.core.ordering import sort_rows
from tqa.params import Params


def coefficient_of_variation(
    school_means: pd.DataFrame, params: Params, value_col: str = "mean", weight_col: str = "tested_n"
) -> pd.DataFrame:
    """差异系数 CV = S / X̄ of school means per grade x subject, with the threshold flag.

    Weighted (params equity.cv_weighted) as in the 义务教育均衡 evaluation formula: X̄ = Σ P_i X_i / P
    and S = sqrt(Σ P_i (X_i - X̄)² / P) with P_i the school's students (here tested_n; a population SD, so
    the weighted X̄ equals the district mean). Unweighted: each school counts once, S with ddof = 1.
    Accepts subject_stats output (only level == school rows are used). Columns: grade, subject, n_schools,
    weighted, mean_of_means, sd_of_means, cv, cv_threshold, cv_over (cv > threshold; NA if < 2 schools).
    """
    threshold = float(params.equity.cv_threshold)
    weighted = bool(params.equity.cv_weighted)
    df = school_means
    if "level" in df.columns:
        df = units.rows(df, units.SCHOOL)
    df = df[df[value_col].notna() & (df[weight_col].fillna(0) > 0)]
    rows = []
    for (grade, subject), g in df.groupby(["grade", "subject"], sort=True):
        x = g[value_col].astype("float64").to_numpy()
        w = g[weight_col].astype("float64").to_numpy() if weighted else np.ones(len(x))
        k = len(x)
        if weighted:
            mean = float(np.sum(w * x) / np.sum(w))
            sd = float(np.sqrt(np.sum(w * (x - mean) ** 2) / np.sum(w)))
        else:
            mean = float(np.mean(x))
            sd = float(np.std(x, ddof=1)) if k >= 2 else np.nan
        cv = sd / mean if k >= 2 and mean != 0 else np.nan
        rows.append(
            {
                "grade": grade,
                "subject": subject,
                "n_schools": k,
                "weighted": weighted,
                "mean_of_means": mean,
                "sd_of_means": sd if k >= 2 else np.nan,
                "cv": cv,
                "cv_threshold": threshold,
                "cv_over": pd.NA if np.isnan(cv) else bool(cv > threshold),
            }
        )
    cols = [
        "grade",
        "subject",
        "n_schools",
        "weighted",
        "mean_of_means",
        "sd_of_means",
        "cv",
        "cv_threshold",
        "cv_over",
    ]
    out = pd.DataFrame(rows, columns=cols)
    out["cv_over"] = out["cv_over"].astype("boolean")
    return out


def equity(stats: pd.DataFrame, params: Params) -> pd.DataFrame:
    """差异系数 of school means per grade x subject with the threshold flag (``coefficient_of_variation``), sorted.

    Columns: grade, subject, n_schools, weighted, mean_of_means, sd_of_means, cv, cv_threshold, cv_over.
    Level-graded papers (no mean) have no row.
    """
    return sort_rows(coefficient_of_variation(stats, params), ["grade", "subject"])
