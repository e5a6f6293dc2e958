"""Tests for tqa.measures.academic.composite with hand-computed values.

Stats fixture: grade 3 语文, full marks 100; district mean 75, sd 10.
  school  mean  pass  excellent  low   share
  S1      80    0.90  0.40       0.00  0.80
  S2      70    0.95  0.20       0.00  0.70
  S3      75    0.80  0.30       0.10  0.75
Main weights 0.4 / 0.3 / 0.3 / -0.1 (x 100):
  S1 = 32 + 27 + 12 - 0 = 71.0;  S2 = 28 + 28.5 + 6 = 62.5;  S3 = 30 + 24 + 9 - 1 = 62.0
均分为主 0.6 / 0.2 / 0.2 / -0.1: S1 48+18+8 = 74; S2 42+19+4 = 65; S3 45+16+6-1 = 66
关注后进 0.3 / 0.4 / 0.1 / -0.2: S1 24+36+4 = 64; S2 21+38+2 = 61; S3 22.5+32+3-2 = 55.5
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tqa.measures.academic import composite, score_bands, standing


def _stats(extra=None):
    rows = [
        ("school", "S1", "城区", 80.0, 9.0, 0.90, 0.40, 0.00, 40),
        ("school", "S2", "城区", 70.0, 8.0, 0.95, 0.20, 0.00, 40),
        ("school", "S3", "乡镇", 75.0, 12.0, 0.80, 0.30, 0.10, 40),
        ("district", "district", None, 75.0, 10.0, 0.8833, 0.30, 0.0333, 120),
    ] + (extra or [])
    df = pd.DataFrame(
        rows,
        columns=["level", "unit_code", "category", "mean", "sd", "pass_rate", "excellent_rate", "low_rate", "tested_n"],
    )
    return df.assign(unit_name=df["unit_code"], grade=3, subject="语文", full_marks=100.0)


def test_relative_measures():
    rel = standing.add_relative_measures(_stats()).set_index("unit_code")
    assert rel.loc["S1", "mean_share"] == pytest.approx(0.80)
    assert rel.loc["S1", "mean_z"] == pytest.approx(0.5)  # (80 - 75) / 10
    assert rel.loc["S2", "mean_z"] == pytest.approx(-0.5)
    assert rel.loc["S1", "ratio_to_mean"] == pytest.approx(80 / 75)  # 比均率 1.0667
    assert rel.loc["district", "mean_z"] == 0 and rel.loc["district", "ratio_to_mean"] == 1


def test_composite_and_ranks(params):
    out = composite.add_composite(_stats(), params).set_index("unit_code")
    assert out.loc["S1", "composite"] == pytest.approx(71.0)
    assert out.loc["S2", "composite"] == pytest.approx(62.5)
    assert out.loc["S3", "composite"] == pytest.approx(62.0)
    assert list(out.loc[["S1", "S2", "S3"], "composite_rank_district"]) == [1, 2, 3]
    assert list(out.loc[["S1", "S2", "S3"], "composite_rank_category"]) == [1, 2, 1]
    assert pd.isna(out.loc["district", "composite_rank_district"])


def test_ties_share_the_min_rank(params):
    # S4 has S2's figures: both 62.5 -> rank 2, S3 drops to 4. 0.1 + 0.2 style float noise is rounded away.
    extra = [("school", "S4", "城区", 70.0, 8.0, 0.95, 0.2, 0.0, 30)]
    out = composite.add_composite(_stats(extra), params).set_index("unit_code")
    assert list(out.loc[["S1", "S2", "S4", "S3"], "composite_rank_district"]) == [1, 2, 2, 4]


def test_sensitivity(params):
    sens = composite.sensitivity(_stats(), params)
    assert list(sens["scheme"].unique()) == ["主方案", "均分为主", "关注后进"]
    t = sens.set_index(["scheme", "unit_code"])
    assert t.loc[("均分为主", "S3"), "composite"] == pytest.approx(66.0)
    assert t.loc[("关注后进", "S3"), "composite"] == pytest.approx(55.5)
    assert t.loc[("均分为主", "S2"), "composite_rank"] == 3 and t.loc[("均分为主", "S2"), "rank_change"] == 1
    assert t.loc[("均分为主", "S3"), "composite_rank"] == 2 and t.loc[("均分为主", "S3"), "rank_change"] == -1
    assert t.loc[("关注后进", "S2"), "rank_change"] == 0
    maxch = sens[sens["scheme"] == "主方案"].set_index("unit_code")["max_rank_change"]
    assert dict(maxch) == {"S1": 0, "S2": 1, "S3": 1}


def test_custom_weights_and_validation(with_params):
    params = with_params({"composite": {"scale": 1, "weights": {"mean_z": 1.0}, "alternatives": []}})
    out = composite.add_composite(_stats(), params).set_index("unit_code")
    assert out.loc["S2", "composite"] == pytest.approx(-0.5)
    with pytest.raises(ValueError, match="不支持的指标"):
        composite.composite_score(_stats(), {"median": 1.0})


def _rows(values, school="A", grade=3, subject="语文", full=100.0):
    return [
        {
            "school_code": school,
            "category": "城区",
            "grade": grade,
            "subject": subject,
            "full_marks": full,
            "score": v if v is not None else float("nan"),
            "is_tested": v is not None,
        }
        for v in values
    ]


def test_standard_scores():
    rows = pd.DataFrame(_rows([50, 60, None]) + _rows([70, 80, 90], school="B"))
    z = standing.standard_scores(rows)
    sd = math.sqrt(250)  # deviations -20 -10 0 10 20 -> 1000 / 4
    assert z["z"].iloc[0] == pytest.approx(-20 / sd)
    assert z["t"].iloc[4] == pytest.approx(50 + 10 * 10 / sd)
    assert pd.isna(z["z"].iloc[2])  # absent
    m = standing.mean_standard_scores(rows).set_index("school_code")
    assert m.loc["A", "mean_z"] == pytest.approx((55 - 70) / sd)  # = mean of the z
    assert m.loc["B", "mean_t"] == pytest.approx(50 + 10 * 10 / sd)


def test_score_bands(params):
    rows = pd.DataFrame(
        _rows([0, 9.99, 10, 59.5, 60, 100, None]) + _rows([84, 72], school="B", subject="数学", full=120.0)
    )
    b = score_bands.score_bands(rows, params)
    a = b[(b["level"] == "school") & (b["unit_code"] == "A")]
    assert len(a) == 10 and list(a["band"])[:2] == ["[0%, 10%)", "[10%, 20%)"]
    assert a["band"].iloc[-1] == "[90%, 100%]"
    assert list(a["n"]) == [2, 1, 0, 0, 0, 1, 1, 0, 0, 1]  # 0 and 9.99 | 10 | 59.5 | 60 | 100
    assert (a["tested_n"] == 6).all()
    assert a["share"].iloc[0] == pytest.approx(2 / 6)
    m = b[(b["level"] == "school") & (b["unit_code"] == "B")].set_index("band_no")
    assert m.loc[7, "n"] == 1 and m.loc[6, "n"] == 1  # 84/120 = 0.7, 72/120 = 0.6 exactly
    assert (m.loc[7, "lower_mark"], m.loc[7, "upper_mark"]) == (84.0, 96.0)
    d = b[b["level"] == "district"]
    assert sorted(d["subject"].unique()) == ["数学", "语文"] and int(d["n"].sum()) == 8
    assert set(b["level"]) == {"school", "category", "district"}


def test_band_index_custom_edges():
    edges = [0, 0.4, 0.6, 0.85, 1.0]
    s = pd.Series([0.39, 0.4, 0.57 * 1, 0.85, 1.0, np.nan])
    assert list(score_bands.band_index(s, edges).fillna(-1)) == [0, 1, 1, 3, 3, -1]
