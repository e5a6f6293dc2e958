"""Uncertainty, for every family of measures: intervals for means and rates, differences from the district with
their intervals, Progress-8-style bands, rank intervals.

Pure functions on arrays or DataFrames. The confidence level is always passed in (params ``uncertainty.level``):
nothing here has a default for it.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

BAND_WELL_ABOVE = "明显高于"
BAND_ABOVE = "高于"
BAND_AVERAGE = "持平"
BAND_BELOW = "低于"
BAND_WELL_BELOW = "明显低于"
BAND_ORDER = (BAND_WELL_ABOVE, BAND_ABOVE, BAND_AVERAGE, BAND_BELOW, BAND_WELL_BELOW)
BAND_SMALL = "样本过少"

STATUS_PUBLISHED = "公布"
STATUS_NO_RANK = "样本过少（不排名、不分档）"
STATUS_SUPPRESSED = "样本过少（不公布）"
STATUS_NONE_TESTED = "无实考学生"

RATE_NAMES = ("pass", "excellent", "low")
# For the bands a positive difference must mean "better than the district"; a higher low-score rate is worse.
RATE_BETTER_SIGN = {"pass": 1.0, "excellent": 1.0, "low": -1.0}


def two_sided_z(level: float) -> float:
    """The normal quantile of a two-sided interval at ``level`` (0.95 -> 1.959964)."""
    return float(sps.norm.ppf(0.5 + level / 2))


def _float(values: Any) -> pd.Series | np.ndarray:
    if isinstance(values, pd.Series):
        return pd.to_numeric(values, errors="coerce").astype("float64")
    return np.asarray(values, dtype="float64")


# ---- intervals -------------------------------------------------------------------------------


def mean_ci(mean: Any, sd: Any, n: Any, level: float) -> tuple[Any, Any]:
    """t-interval mean ± t_{n-1} sd / sqrt(n); NaN where n < 2 (no SD). Vectorised over Series/arrays."""
    m, s, k = _float(mean), _float(sd), _float(n)
    k = np.where(k >= 2, k, np.nan)
    t = sps.t.ppf(0.5 + level / 2, k - 1)
    half = t * s / np.sqrt(k)
    lo, hi = m - half, m + half
    if isinstance(mean, pd.Series):
        return pd.Series(np.asarray(lo), index=mean.index), pd.Series(np.asarray(hi), index=mean.index)
    return lo, hi


def wilson_ci(k: Any, n: Any, level: float) -> tuple[Any, Any]:
    """Wilson score interval for k successes out of n; NaN where n <= 0. Vectorised.

    centre = (p + z²/2n) / (1 + z²/n), half = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/4n²).
    Unlike the Wald interval it stays inside [0, 1] and is not zero-width at p = 0 or 1.
    """
    kk, nn = _float(k), _float(n)
    nn = np.where(nn > 0, nn, np.nan)
    z = two_sided_z(level)
    p = kk / nn
    denom = 1 + z * z / nn
    centre = (p + z * z / (2 * nn)) / denom
    half = z / denom * np.sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn))
    lo, hi = np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
    if isinstance(k, pd.Series):
        return pd.Series(np.asarray(lo), index=k.index), pd.Series(np.asarray(hi), index=k.index)
    return lo, hi


def add_intervals(stats: pd.DataFrame, level: float) -> pd.DataFrame:
    """subject_stats rows with mean_lo / mean_hi (t) and <rate>_lo / <rate>_hi (Wilson) for the three rates.

    For a school the interval describes the school's cohort as a sample of its possible cohorts (the usual
    reading of a school league-table interval); for the district, which is a census, it is only indicative.
    A mean's interval stays within the paper's range, 0 to full_marks (a t interval on a small class can
    otherwise run past the full marks).
    """
    out = stats.copy()
    lo, hi = mean_ci(out["mean"], out["sd"], out["tested_n"], level)
    if "full_marks" in out:
        top = out["full_marks"].astype("float64")
        lo, hi = lo.clip(lower=0).where(lo.notna()), hi.where(~(hi > top), top)
    out["mean_lo"], out["mean_hi"] = lo, hi
    for name in RATE_NAMES:
        out[f"{name}_rate_lo"], out[f"{name}_rate_hi"] = wilson_ci(out[f"{name}_n"], out["tested_n"], level)
    return out


# ---- rank intervals --------------------------------------------------------------------------


def _group_seed(seed: int, key: Any) -> np.random.SeedSequence:
    # A stable per-group stream: results for one group do not depend on which other groups are present.
    return np.random.SeedSequence([int(seed), zlib.crc32(repr(key).encode("utf-8"))])


def min_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks within each row, 1 = largest, ties sharing the smallest rank: scipy's
    ``rankdata(-values, axis=1, method="min")``. Tied values get the same rank whatever order a sort
    leaves them in, so an unstable (faster) sort will do; scipy sorts stably."""
    order = np.argsort(-values, axis=1)
    ordered = np.take_along_axis(values, order, axis=1)
    first = np.ones(ordered.shape, dtype=bool)  # the first of a run of equal values
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=first[:, 1:])
    ranks_sorted = np.where(first, np.arange(1, values.shape[1] + 1), 0)
    np.maximum.accumulate(ranks_sorted, axis=1, out=ranks_sorted)  # each value takes its run's first rank
    ranks = np.empty_like(ranks_sorted)
    np.put_along_axis(ranks, order, ranks_sorted, axis=1)
    return ranks


def rank_intervals(
    estimates: pd.DataFrame,
    group_cols: Iterable[str],
    value_col: str,
    se_col: str,
    *,
    higher_is_better: bool = True,
    draws: int,
    seed: int,
    level: float,
) -> pd.DataFrame:
    """Plausible ranges of ranks by simulation: each draw takes value ~ normal(estimate, se) for every unit
    of a group and ranks them (1 = best); rank_lo / rank_hi are the (1-level)/2 and (1+level)/2 quantiles of
    a unit's simulated ranks, rank_median their median (all integers, inverted-CDF quantiles).

    Rows with a missing value or SE get NA. Deterministic for a given seed. Adds rank_lo, rank_hi,
    rank_median, rank_n (units ranked in the group) and keeps the input row order.
    """
    group_cols = list(group_cols)
    out = estimates.copy()
    res = {c: np.full(len(out), np.nan) for c in ("rank_lo", "rank_hi", "rank_median", "rank_n")}
    value = _float(out[value_col]).to_numpy()
    se = _float(out[se_col]).to_numpy()
    ok = np.isfinite(value) & np.isfinite(se) & (se >= 0)
    positions = np.arange(len(out))
    alpha = (1 - level) / 2
    grouped = (
        out.assign(_pos=positions)[ok].groupby(group_cols, sort=True, dropna=False)["_pos"]
        if group_cols
        else [((), out.assign(_pos=positions)[ok]["_pos"])]
    )
    for key, pos in grouped:
        idx = pos.to_numpy()
        rng = np.random.default_rng(_group_seed(seed, key))
        sims = rng.normal(value[idx], se[idx], size=(draws, len(idx)))
        sims = sims if higher_is_better else -sims
        ranks = min_ranks(sims)
        # One call for the three quantiles: numpy partitions the ranks once for all of them.
        q_lo, q_hi, q_med = np.quantile(ranks, [alpha, 1 - alpha, 0.5], axis=0, method="inverted_cdf")
        res["rank_lo"][idx], res["rank_hi"][idx], res["rank_median"][idx] = q_lo, q_hi, q_med
        res["rank_n"][idx] = len(idx)
    for col, values in res.items():
        out[col] = pd.array(np.where(np.isnan(values), pd.NA, values).tolist(), dtype="Int64")
    return out


# ---- bands -------------------------------------------------------------------------------------


def band(estimate: Any, lo: Any, hi: Any, well_cut: float) -> pd.Series:
    """Progress-8-style band of a difference from the district (positive = better):

    明显高于: estimate >= well_cut and lo > 0;  高于: lo > 0 and estimate < well_cut;
    持平: the interval contains 0;  低于: hi < 0 and estimate >= -well_cut;
    明显低于: estimate < -well_cut and hi < 0.  NA where any input is missing.
    """
    index = estimate.index if isinstance(estimate, pd.Series) else None
    e, low, high = (np.asarray(_float(v), dtype="float64") for v in (estimate, lo, hi))
    conditions = [
        (low > 0) & (e >= well_cut),
        low > 0,
        (high < 0) & (e < -well_cut),
        high < 0,
        (low <= 0) & (high >= 0),
    ]
    labels = [BAND_WELL_ABOVE, BAND_ABOVE, BAND_WELL_BELOW, BAND_BELOW, BAND_AVERAGE]
    chosen = np.select(conditions, labels, default="")
    missing = ~(np.isfinite(e) & np.isfinite(low) & np.isfinite(high))
    values = [None if (m or c == "") else c for c, m in zip(chosen, missing)]
    return pd.Series(values, index=index, dtype="string")


def mean_difference(mean_s, sd_s, n_s, mean_d, sd_d, n_d) -> tuple[np.ndarray, np.ndarray]:
    """School mean minus district mean and its SE, allowing for the school being part of the district.

    With f = n_s / N and the rest of the district r (N - n_s students):
        mean_s - mean_d = (1 - f) (mean_s - mean_r),
        SE = (1 - f) sqrt(sd_s² / n_s + sd_r² / (N - n_s)),
    where mean_r and sd_r are recovered exactly from the district and school moments (sum-of-squares
    decomposition). Treating the district mean as a fixed constant would overstate the SE by 1 / (1 - f)
    for large schools only slightly, but ignoring the overlap in a small district is wrong, hence this form.
    """
    ms, ss, ns, md, sd, nd = (np.asarray(_float(v), dtype="float64") for v in (mean_s, sd_s, n_s, mean_d, sd_d, n_d))
    nr = nd - ns
    f = ns / nd
    with np.errstate(invalid="ignore", divide="ignore"):
        mr = (nd * md - ns * ms) / nr
        ss_total = (nd - 1) * sd**2
        ss_rest = ss_total - (ns - 1) * ss**2 - ns * (ms - md) ** 2 - nr * (mr - md) ** 2
        var_r = np.where(nr >= 2, np.maximum(ss_rest, 0) / (nr - 1), ss**2)
        diff = np.where(nr > 0, ms - md, 0.0)
        se = np.where(nr > 0, (1 - f) * np.sqrt(ss**2 / ns + var_r / np.where(nr > 0, nr, np.nan)), 0.0)
    bad = ~(np.isfinite(ms) & np.isfinite(md) & np.isfinite(ss) & (ns >= 2))
    return np.where(bad, np.nan, diff), np.where(bad, np.nan, se)


def rate_difference(k_s, n_s, k_d, n_d, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """School rate minus district rate with Newcombe's hybrid-score interval (method 10).

    The school is compared with the rest of the district (k_d - k_s out of n_d - n_s), using the Wilson
    intervals of both; rate_s - rate_d = (1 - f)(p_s - p_r), so the interval is scaled by (1 - f).
    """
    ks, ns, kd, nd = (np.asarray(_float(v), dtype="float64") for v in (k_s, n_s, k_d, n_d))
    kr, nr = kd - ks, nd - ns
    with np.errstate(invalid="ignore", divide="ignore"):
        f = ns / nd
        ps, pr = ks / ns, kr / nr
        l1, u1 = wilson_ci(ks, ns, level)
        l2, u2 = wilson_ci(kr, nr, level)
        d = ps - pr
        lo = d - np.sqrt((ps - l1) ** 2 + (u2 - pr) ** 2)
        hi = d + np.sqrt((u1 - ps) ** 2 + (pr - l2) ** 2)
        scale = 1 - f
    only = (nr == 0) & (ns > 0)  # the school is the whole district
    out = [np.where(only, 0.0, scale * v) for v in (d, lo, hi)]
    bad = ~(ns > 0)
    return tuple(np.where(bad, np.nan, v) for v in out)  # type: ignore[return-value]


def rate_change(k_1, n_1, k_2, n_2, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The change of a rate between two independent cohorts (p2 - p1, e.g. last term to this term) with
    Newcombe's hybrid-score interval (method 10, from the two Wilson intervals); NaN where either n is 0."""
    k1, n1, k2, n2 = (np.asarray(_float(v), dtype="float64") for v in (k_1, n_1, k_2, n_2))
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = k1 / n1, k2 / n2
        l1, u1 = wilson_ci(k1, n1, level)
        l2, u2 = wilson_ci(k2, n2, level)
        d = p2 - p1
        lo = d - np.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
        hi = d + np.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    bad = ~((n1 > 0) & (n2 > 0))
    return tuple(np.where(bad, np.nan, v) for v in (d, lo, hi))  # type: ignore[return-value]


# ---- equity ------------------------------------------------------------------------------------
