"""Tests for tqa.measures.intervals: every expected number is hand-computed in the comments or checked against
scipy / statsmodels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from helpers import params_with
from tqa.measures import equity
from tqa.measures import intervals as unc
from tqa.measures.academic import standing

# ---- intervals ---------------------------------------------------------------------------------


def test_mean_ci_hand_and_scipy():
    # mean 70, sd 10, n 25: t_{24, 0.975} = 2.0638985616; half = 2.0638985616 * 10 / sqrt(25) = 4.1277971233
    lo, hi = unc.mean_ci(70.0, 10.0, 25, 0.95)
    assert lo == pytest.approx(65.8722028767, abs=1e-9)
    assert hi == pytest.approx(74.1277971233, abs=1e-9)
    mean = pd.Series([70.0, 50.0, 80.0, 60.0], index=[3, 5, 7, 9])
    sd = pd.Series([10.0, 5.0, 12.0, np.nan], index=mean.index)
    n = pd.Series([25, 4, 1, 30], index=mean.index)
    lo, hi = unc.mean_ci(mean, sd, n, 0.95)
    assert list(lo.index) == [3, 5, 7, 9]
    ref = sps.t.interval(0.95, 3, loc=50.0, scale=5.0 / 2)
    assert (lo[5], hi[5]) == pytest.approx(ref, abs=1e-12)
    assert math.isnan(lo[7]) and math.isnan(hi[9])  # n < 2 / no SD: no interval
    lo90, _ = unc.mean_ci(70.0, 10.0, 25, level=0.90)
    assert lo90 == pytest.approx(70 - sps.t.ppf(0.95, 24) * 2, abs=1e-12)


def test_wilson_hand():
    # k 8, n 10, z = 1.959964: z² = 3.8414588; 1 + z²/n = 1.3841459;
    # centre = (0.8 + 3.8414588 / 20) / 1.3841459 = 0.99207294 / 1.3841459 = 0.7167402;
    # half = 1.959964 / 1.3841459 * sqrt(0.8 * 0.2 / 10 + 3.8414588 / 400) = 1.4160105 * sqrt(0.0256036)
    #      = 0.2265777  ->  (0.4901625, 0.9433178)
    lo, hi = unc.wilson_ci(8, 10, 0.95)
    assert lo == pytest.approx(0.4901625, abs=1e-7)
    assert hi == pytest.approx(0.9433178, abs=1e-7)
    # k 0, n 10: centre = (z²/20) / (1 + z²/10) = 0.19207294 / 1.3841459 = 0.1387674, half the same -> (0, 0.2775)
    lo, hi = unc.wilson_ci(0, 10, 0.95)
    assert lo == pytest.approx(0.0, abs=1e-12)
    assert hi == pytest.approx(2 * 0.19207294 / 1.38414588, abs=1e-7)


def test_wilson_matches_statsmodels():
    k = pd.Series([0, 1, 5, 18, 40, 40, 7], index=list("abcdefg"))
    n = pd.Series([10, 3, 40, 20, 40, 200, 9], index=k.index)
    for level in (0.95, 0.90):
        lo, hi = unc.wilson_ci(k, n, level)
        ref_lo, ref_hi = proportion_confint(k.to_numpy(), n.to_numpy(), alpha=1 - level, method="wilson")
        np.testing.assert_allclose(lo.to_numpy(), ref_lo, atol=1e-12)
        np.testing.assert_allclose(hi.to_numpy(), ref_hi, atol=1e-12)
    lo, hi = unc.wilson_ci(pd.Series([0]), pd.Series([0]), 0.95)
    assert lo.isna().all() and hi.isna().all()


def test_add_intervals_columns_and_values():
    stats = pd.DataFrame(
        {
            "tested_n": [10, 0],
            "mean": [70.0, np.nan],
            "sd": [10.0, np.nan],
            "pass_n": [8, 0],
            "excellent_n": [0, 0],
            "low_n": [10, 0],
        }
    )
    out = unc.add_intervals(stats, 0.95)
    for c in (
        "mean_lo",
        "mean_hi",
        "pass_rate_lo",
        "pass_rate_hi",
        "excellent_rate_lo",
        "excellent_rate_hi",
        "low_rate_lo",
        "low_rate_hi",
    ):
        assert c in out.columns
        assert math.isnan(out.loc[1, c])
    # t_{9, 0.975} = 2.2621572; half = 2.2621572 * 10 / sqrt(10) = 7.1535
    assert out.loc[0, "mean_lo"] == pytest.approx(70 - 2.2621571628 * 10 / math.sqrt(10), abs=1e-8)
    assert out.loc[0, "pass_rate_lo"] == pytest.approx(0.4901625, abs=1e-7)
    assert out.loc[0, "low_rate_hi"] == pytest.approx(1.0)  # 10 / 10: upper end is 1, not beyond
    assert out.loc[0, "low_rate_lo"] == pytest.approx(1 - 2 * 0.19207294 / 1.38414588, abs=1e-7)
    assert "mean_lo" not in stats.columns  # input untouched


# ---- rank intervals ----------------------------------------------------------------------------


def _estimates():
    return pd.DataFrame(
        {
            "grade": [3] * 4 + [4] * 5 + [5],
            "subject": ["数学"] * 10,
            "unit": ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"],
            "value": [70.0, 100.0, 80.0, 90.0, 50, 50, 50, 50, 50, np.nan],
            "se": [0.5, 0.5, 0.5, 0.5, 2, 2, 2, 2, 2, 1.0],
        }
    )


def test_rank_intervals_separated_and_identical():
    out = unc.rank_intervals(_estimates(), ["grade", "subject"], "value", "se", draws=2000, seed=7, level=0.95)
    sep = out[out["grade"] == 3].set_index("unit")
    # 10 marks apart with SE 0.5 (20 SE): every draw keeps the order B > D > C > A.
    for unit, rank in {"B": 1, "D": 2, "C": 3, "A": 4}.items():
        assert (sep.loc[unit, "rank_lo"], sep.loc[unit, "rank_hi"], sep.loc[unit, "rank_median"]) == (rank, rank, rank)
    assert (sep["rank_n"] == 4).all()
    same = out[out["grade"] == 4]
    # Five identical schools: each rank is equally likely, so every interval spans 1..5.
    assert (same["rank_lo"] == 1).all() and (same["rank_hi"] == 5).all()
    assert same["rank_median"].between(2, 4).all()
    assert out.loc[out["unit"] == "J", "rank_lo"].isna().all()  # no value: no rank
    assert str(out["rank_lo"].dtype) == "Int64"


def test_min_ranks_match_scipy_with_ties():
    rng = np.random.default_rng(3)
    values = rng.normal(size=(200, 30))
    values[:, :6] = np.round(values[:, :6])  # plenty of ties
    values[:, 6:9] = 1.5  # a value shared by three units in every draw
    got = unc.min_ranks(values)
    np.testing.assert_array_equal(got, sps.rankdata(-values, axis=1, method="min"))


def test_rank_intervals_deterministic_direction_and_group_independence():
    est = _estimates()
    a = unc.rank_intervals(est, ["grade", "subject"], "value", "se", draws=2000, seed=11, level=0.95)
    b = unc.rank_intervals(est, ["grade", "subject"], "value", "se", draws=2000, seed=11, level=0.95)
    pd.testing.assert_frame_equal(a, b)
    only4 = unc.rank_intervals(
        est[est["grade"] == 4], ["grade", "subject"], "value", "se", draws=2000, seed=11, level=0.95
    )
    pd.testing.assert_frame_equal(a[a["grade"] == 4], only4)  # a group's result ignores other groups
    low = unc.rank_intervals(
        est[est["grade"] == 3], ["grade"], "value", "se", higher_is_better=False, draws=2000, seed=20240901, level=0.95
    )
    assert low.set_index("unit")["rank_median"].to_dict() == {"A": 1, "B": 4, "C": 2, "D": 3}


# ---- bands -------------------------------------------------------------------------------------


def test_band_progress8_rules():
    est = pd.Series([0.6, 0.5, 0.3, 0.3, -0.1, -0.3, -0.5, -0.6, -0.6, np.nan, 0.0])
    lo = pd.Series([0.1, 0.01, 0.05, -0.1, -0.2, -0.5, -0.7, -0.9, -0.7, -1.0, 0.0])
    hi = pd.Series([1.1, 0.99, 0.55, 0.7, 0.0, -0.1, -0.3, -0.3, 0.1, 1.0, 0.0])
    got = unc.band(est, lo, hi, well_cut=0.5).tolist()
    assert got[:9] == [
        "明显高于",  # >= 0.5, lo > 0
        "明显高于",  # exactly 0.5 counts as well above
        "高于",  # 0 < 0.3 < 0.5, lo > 0
        "持平",  # interval contains 0
        "持平",  # hi = 0 still contains 0
        "低于",  # -0.5 <= -0.3 < 0, hi < 0
        "低于",  # exactly -0.5 is below, not well below
        "明显低于",  # < -0.5, hi < 0
        "持平",
    ]  # large negative estimate but interval contains 0
    assert pd.isna(got[9])
    assert got[10] == "持平"  # a zero-width interval at 0 (a one-school district)


# ---- differences from the district -------------------------------------------------------------


def test_mean_difference_hand():
    # School 1,2,3,4 (mean 2.5, var 1.6667); rest 5..10 (mean 7.5, var 3.5); district N 10, mean 5.5.
    # diff = 2.5 - 5.5 = -3 = (1 - 0.4)(2.5 - 7.5);  SE = 0.6 sqrt(1.6667/4 + 3.5/6) = 0.6 sqrt(1) = 0.6.
    school, district = np.arange(1.0, 5.0), np.arange(1.0, 11.0)
    d, se = unc.mean_difference(school.mean(), school.std(ddof=1), 4, district.mean(), district.std(ddof=1), 10)
    assert float(d) == pytest.approx(-3.0, abs=1e-12)
    assert float(se) == pytest.approx(0.6, abs=1e-12)
    # The whole district is one school: difference 0, SE 0.
    d, se = unc.mean_difference(5.5, district.std(ddof=1), 10, 5.5, district.std(ddof=1), 10)
    assert (float(d), float(se)) == (0.0, 0.0)


def test_rate_difference_newcombe():
    # School 8/10, rest 10/40, district 18/50: f = 0.2; 0.8 - 0.36 = 0.44 = 0.8 * (0.8 - 0.25).
    d, lo, hi = unc.rate_difference(8, 10, 18, 50, 0.95)
    assert float(d) == pytest.approx(0.44, abs=1e-12)
    ref_lo, ref_hi = confint_proportions_2indep(8, 10, 10, 40, method="newcomb")
    assert float(lo) == pytest.approx(0.8 * ref_lo, abs=1e-12)
    assert float(hi) == pytest.approx(0.8 * ref_hi, abs=1e-12)


def _stats_from_students(students: dict[str, np.ndarray], pass_line=60, excellent_line=85, low_line=40):
    """subject_stats-like rows (one grade, one subject) computed from student scores."""
    rows = []
    for unit, x in [*students.items(), ("district", np.concatenate(list(students.values())))]:
        n = len(x)
        rows.append(
            {
                "level": "district" if unit == "district" else "school",
                "unit_code": unit,
                "unit_name": unit,
                "category": "城区",
                "grade": 5,
                "subject": "数学",
                "tested_n": n,
                "mean": x.mean() if n else np.nan,
                "sd": x.std(ddof=1) if n > 1 else np.nan,
                "pass_n": int((x >= pass_line).sum()),
                "excellent_n": int((x >= excellent_line).sum()),
                "low_n": int((x < low_line).sum()),
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture
def banded():
    rng = np.random.default_rng(3)
    students = {
        "S01": rng.normal(85, 8, 60),  # well above
        "S02": rng.normal(72, 10, 60),  # about the district mean
        "S03": rng.normal(45, 10, 60),  # well below, many low scores
        "S04": rng.normal(90, 5, 20),  # high, 20 students: banded by its (wider) interval, not ranked
        "S05": rng.normal(70, 10, 6),  # 6 students: nothing published
        "S06": np.array([]),  # enrolled, nobody tested
    }
    stats = _stats_from_students(students)
    return students, stats, standing.school_bands(stats, params_with())


def test_school_bands_values(banded):
    students, stats, out = banded
    out = out.set_index("unit_code")
    assert out["sample_status"].to_dict() == {
        "S01": "公布",
        "S02": "公布",
        "S03": "公布",
        "S04": "样本较小",
        "S05": "人数过少，不公布",
        "S06": "无实考学生",
    }
    # mean_diff_z against the direct formula from the raw students.
    x = students["S01"]
    rest = np.concatenate([v for k, v in students.items() if k != "S01"])
    alls = np.concatenate(list(students.values()))
    f = len(x) / len(alls)
    sd_d = alls.std(ddof=1)
    se = (1 - f) * math.sqrt(x.var(ddof=1) / len(x) + rest.var(ddof=1) / len(rest))
    t = sps.t.ppf(0.975, len(x) - 1)
    assert out.loc["S01", "mean_diff"] == pytest.approx(x.mean() - alls.mean(), abs=1e-9)
    assert out.loc["S01", "mean_diff_z"] == pytest.approx((x.mean() - alls.mean()) / sd_d, abs=1e-9)
    assert out.loc["S01", "mean_diff_z_lo"] == pytest.approx((x.mean() - alls.mean() - t * se) / sd_d, abs=1e-9)
    assert out.loc["S01", "mean_band"] == "明显高于"
    assert out.loc["S03", "mean_band"] == "明显低于"
    assert out.loc["S02", "mean_band"] == "持平"
    # 20 students, clearly above: the interval excludes 0, so the band says so; no rank interval
    assert out.loc["S04", "mean_diff_z_lo"] > 0 and out.loc["S04", "mean_band"] == "明显高于"
    assert pd.isna(out.loc["S04", "rank_lo"])
    assert pd.isna(out.loc["S05", "mean_band"]) and math.isnan(out.loc["S05", "mean_diff"])
    assert math.isnan(out.loc["S05", "pass_rate_diff"])
    assert pd.isna(out.loc["S06", "mean_band"])


def test_school_bands_rates_and_ranks(banded):
    _, stats, out = banded
    out = out.set_index("unit_code")
    st = stats.set_index("unit_code")
    k, n = st.loc["S03", "low_n"], st.loc["S03", "tested_n"]
    kd, nd = st.loc["district", "low_n"], st.loc["district", "tested_n"]
    assert out.loc["S03", "low_rate_diff"] == pytest.approx(k / n - kd / nd, abs=1e-12)
    # A low-score rate above the district's is worse: the band says 低于 / 明显低于 (better-than reading).
    assert out.loc["S03", "low_rate_diff_lo"] > 0
    assert out.loc["S03", "low_rate_band"] in ("低于", "明显低于")
    assert out.loc["S01", "pass_rate_band"] in ("高于", "明显高于")
    # Ranks only among the three schools with >= 30 tested; well separated means.
    assert out.loc[["S01", "S02", "S03"], "rank_median"].tolist() == [1, 2, 3]
    assert out.loc[["S01", "S02", "S03"], "rank_n"].tolist() == [3, 3, 3]
    assert out.loc[["S04", "S05", "S06"], "rank_lo"].isna().all()
    assert list(out.index) == ["S01", "S02", "S03", "S04", "S05", "S06"]


def test_school_bands_params_change_cut():
    stats = _stats_from_students(
        {"A": np.r_[np.full(40, 80.0), np.full(40, 90.0)], "B": np.r_[np.full(40, 60.0), np.full(40, 70.0)]}
    )
    # A mean 85, district 75: diff 10 marks; district sd = sqrt(40 (15² + 5² + 5² + 15²) / 159) = 11.215,
    # so diff_z = 0.892: 明显高于 with cut 0.5, 高于 with cut 2.0 (the interval excludes 0 either way).
    assert standing.school_bands(stats, params_with()).set_index("unit_code").loc["A", "mean_diff_z"] == pytest.approx(
        10 / math.sqrt(20000 / 159), abs=1e-12
    )
    wide = standing.school_bands(stats, params_with({"bands": {"mean_well_cut_z": 2.0}})).set_index("unit_code")
    narrow = standing.school_bands(stats, params_with({"bands": {"mean_well_cut_z": 0.5}})).set_index("unit_code")
    assert wide.loc["A", "mean_band"] == "高于" and narrow.loc["A", "mean_band"] == "明显高于"
    assert wide.loc["B", "mean_band"] == "低于" and narrow.loc["B", "mean_band"] == "明显低于"
    # below the ranking minimum a school is still banded by its interval, but gets no rank interval
    small = standing.school_bands(stats, params_with({"reporting": {"min_rank_n": 100}})).set_index("unit_code")
    assert small["mean_band"].to_dict() == narrow["mean_band"].to_dict() and small["rank_lo"].isna().all()
    withheld = standing.school_bands(stats, params_with({"reporting": {"min_published_n": 100, "min_rank_n": 100}}))
    assert withheld["mean_band"].isna().all() and withheld["mean_diff"].isna().all()


# ---- 差异系数 -------------------------------------------------------------------------------------


def test_coefficient_of_variation_hand():
    means = pd.DataFrame(
        {
            "level": ["school", "school", "district", "school"],
            "grade": [5, 5, 5, 6],
            "subject": ["数学"] * 4,
            "mean": [60.0, 80.0, 75.0, 70.0],
            "tested_n": [10, 30, 40, 25],
        }
    )
    # Weighted: X = (10*60 + 30*80) / 40 = 75; S = sqrt((10*15² + 30*5²) / 40) = sqrt(75) = 8.6603;
    # CV = 8.6603 / 75 = 0.11547 (< 0.15).
    w = equity.coefficient_of_variation(means, params_with()).set_index("grade")
    assert w.loc[5, "mean_of_means"] == pytest.approx(75.0)
    assert w.loc[5, "sd_of_means"] == pytest.approx(math.sqrt(75))
    assert w.loc[5, "cv"] == pytest.approx(math.sqrt(75) / 75)
    assert not w.loc[5, "cv_over"] and w.loc[5, "n_schools"] == 2
    assert pd.isna(w.loc[6, "cv"]) and pd.isna(w.loc[6, "cv_over"])  # one school: no CV
    # Unweighted: X = 70, S = sqrt((10² + 10²) / 1) = 14.142; CV = 0.20203 (> 0.15).
    u = equity.coefficient_of_variation(means, params_with({"equity": {"cv_weighted": False}})).set_index("grade")
    assert u.loc[5, "cv"] == pytest.approx(math.sqrt(200) / 70)
    assert u.loc[5, "cv_over"]
    t = equity.coefficient_of_variation(means, params_with({"equity": {"cv_weighted": False, "cv_threshold": 0.25}}))
    assert not t.set_index("grade").loc[5, "cv_over"]


def test_a_means_interval_stays_within_the_papers_range():
    # 4 students, 3 at full marks: the t interval would run past 100
    stats = pd.DataFrame(
        {"mean": [97.5, 3.0], "sd": [5.0, 4.0], "tested_n": [4, 4], "full_marks": [100.0, 100.0]}
        | {f"{r}_n": [4, 0] for r in unc.RATE_NAMES}
    )
    raw_lo, raw_hi = unc.mean_ci(stats["mean"], stats["sd"], stats["tested_n"], 0.95)
    assert raw_hi[0] > 100 and raw_lo[1] < 0
    out = unc.add_intervals(stats, 0.95)
    assert out.loc[0, "mean_hi"] == 100 and out.loc[0, "mean_lo"] == pytest.approx(raw_lo[0])
    assert out.loc[1, "mean_lo"] == 0 and out.loc[1, "mean_hi"] == pytest.approx(raw_hi[1])
