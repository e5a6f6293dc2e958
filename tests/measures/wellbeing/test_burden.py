"""Burden against results: the share over the homework limit beside the mean standardised paper mean, per grade
across schools, with Spearman's rho computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import params_with
from tqa.measures.wellbeing.burden import burden
from tqa.schema.tables import SCORES


def wellbeing(rows) -> pd.DataFrame:
    """School rows of wellbeing_stats: (code, grade, homework_n, over_n), plus a district row (ignored)."""
    df = pd.DataFrame(rows, columns=["unit_code", "grade", "homework_n", "homework_over_n"])
    df = df.assign(level="school", unit_name="校" + df["unit_code"], category="城区")
    df["homework_over_share"] = df["homework_over_n"] / df["homework_n"]
    district = pd.DataFrame([{"level": "district", "unit_code": "district", "grade": 5, "homework_n": 400,
                              "homework_over_n": 100, "homework_over_share": 0.25}])  # fmt: skip
    return pd.concat([df, district], ignore_index=True)


def results(rows) -> pd.DataFrame:
    """School rows of results: (code, grade, subject, tested_n, mean_z)."""
    df = pd.DataFrame(rows, columns=["unit_code", "grade", "subject", "tested_n", "mean_z"])
    return df.assign(level="school")


def test_spearman_by_hand_and_the_mean_of_paper_z():
    wb = wellbeing([("001", 5, 20, 2), ("002", 5, 20, 4), ("003", 5, 20, 6), ("004", 5, 20, 8)])
    res = results(
        [
            ("001", 5, "语文", 20, 0.2), ("001", 5, "数学", 20, 0.6),  # mean z 0.4
            ("002", 5, "语文", 20, 0.3), ("002", 5, "数学", 20, 0.3),
            ("003", 5, "语文", 20, 0.1), ("003", 5, "数学", 20, 0.1),
            ("004", 5, "语文", 20, 0.0), ("004", 5, "数学", 20, 0.4),
            ("001", 5, "英语", 5, 3.0),  # a withheld paper (5 tested) does not count
        ]
    )  # fmt: skip
    points, summary = burden(wb, res, params_with())
    assert points["mean_z"].tolist() == pytest.approx([0.4, 0.3, 0.1, 0.2])
    assert points["papers_n"].tolist() == [2, 2, 2, 2]
    # shares 0.1..0.4 rank 1..4; mean z ranks 4, 3, 1, 2: d² = 9 + 1 + 4 + 4 = 18; rho = 1 − 6·18 / (4·15)
    s = summary.iloc[0]
    assert (s["grade"], s["n_schools"]) == (5, 4)
    assert s["spearman_rho"] == pytest.approx(-0.8)
    assert list(points.columns) == list(SCORES["wellbeing_burden"].names)


def test_small_schools_and_too_few_schools():
    wb = wellbeing([("001", 5, 20, 2), ("002", 5, 5, 4), ("003", 5, 20, 6)])  # 002: 5 answers, withheld
    res = results([("001", 5, "语文", 20, 0.2), ("002", 5, "语文", 20, 0.3), ("003", 5, "语文", 20, 0.1)])
    points, summary = burden(wb, res, params_with())
    assert points["school_code"].tolist() == ["001", "003"]
    assert summary.iloc[0]["n_schools"] == 2 and pd.isna(summary.iloc[0]["spearman_rho"])  # two points: no rho
