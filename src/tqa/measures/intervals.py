"""Uncertainty around school statistics: intervals, rank intervals, Progress-8-style bands, 差异系数.

Pure functions, DataFrames in / DataFrames out. Inputs are ``tqa.scoring.subject_stats`` rows (columns
level, unit_code, grade, subject, tested_n, mean, sd, pass_n, excellent_n, low_n, ...).

Parameters (a dict, normally ``tqa.params.load_params(term)``; defaults in brackets):
- ``uncertainty.level`` [0.95]: confidence level of every interval;
- ``uncertainty.rank_draws`` [2000], ``uncertainty.rank_seed`` [20240901]: rank-interval simulation;
- ``reporting.min_published_n`` [10]: below this many tested students nothing is published;
- ``reporting.min_rank_n`` [30]: below this many tested students no rank and no band ("样本过少");
- ``bands.mean_well_cut_z`` [0.5]: |school mean - district mean| in district-SD units for 明显高于 / 明显低于;
- ``bands.rate_well_cut`` [0.10]: the same for a rate difference (0.10 = 10 percentage points);
- ``equity.cv_threshold`` [0.15], ``equity.cv_weighted`` [true]: 差异系数 flag and weighting.
"""
from __future__ import annotations

import zlib
from typing import Any, Iterable

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

DEFAULTS: dict[str, dict[str, Any]] = {
    "uncertainty": {"level": 0.95, "rank_draws": 2000, "rank_seed": 20240901},
    "reporting": {"min_published_n": 10, "min_rank_n": 30},
    "bands": {"mean_well_cut_z": 0.5, "rate_well_cut": 0.10},
    "equity": {"cv_threshold": 0.15, "cv_weighted": True},
}


def param(params: dict[str, Any] | None, section: str, key: str) -> Any:
    """params[section][key], or the documented default when the key is absent."""
    value = ((params or {}).get(section) or {}).get(key)
    return DEFAULTS[section][key] if value is None else value


def _z(level: float) -> float:
    return float(sps.norm.ppf(0.5 + level / 2))


def _float(values: Any) -> pd.Series | np.ndarray:
    if isinstance(values, pd.Series):
        return pd.to_numeric(values, errors="coerce").astype("float64")
    return np.asarray(values, dtype="float64")


# ---- intervals -------------------------------------------------------------------------------

def mean_ci(mean: Any, sd: Any, n: Any, level: float = 0.95) -> tuple[Any, Any]:
    """t-interval mean ± t_{n-1} sd / sqrt(n); NaN where n < 2 (no SD). Vectorised over Series/arrays."""
    m, s, k = _float(mean), _float(sd), _float(n)
    k = np.where(k >= 2, k, np.nan)
    t = sps.t.ppf(0.5 + level / 2, k - 1)
    half = t * s / np.sqrt(k)
    lo, hi = m - half, m + half
    if isinstance(mean, pd.Series):
        return pd.Series(np.asarray(lo), index=mean.index), pd.Series(np.asarray(hi), index=mean.index)
    return lo, hi


def wilson_ci(k: Any, n: Any, level: float = 0.95) -> tuple[Any, Any]:
    """Wilson score interval for k successes out of n; NaN where n <= 0. Vectorised.

    centre = (p + z²/2n) / (1 + z²/n), half = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/4n²).
    Unlike the Wald interval it stays inside [0, 1] and is not zero-width at p = 0 or 1.
    """
    kk, nn = _float(k), _float(n)
    nn = np.where(nn > 0, nn, np.nan)
    z = _z(level)
    p = kk / nn
    denom = 1 + z * z / nn
    centre = (p + z * z / (2 * nn)) / denom
    half = z / denom * np.sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn))
    lo, hi = np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
    if isinstance(k, pd.Series):
        return pd.Series(np.asarray(lo), index=k.index), pd.Series(np.asarray(hi), index=k.index)
    return lo, hi


def add_intervals(stats: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """subject_stats rows with mean_lo / mean_hi (t) and <rate>_lo / <rate>_hi (Wilson) for the three rates.

    For a school the interval describes the school's cohort as a sample of its possible cohorts (the usual
    reading of a school league-table interval); for the district, which is a census, it is only indicative.
    """
    out = stats.copy()
    out["mean_lo"], out["mean_hi"] = mean_ci(out["mean"], out["sd"], out["tested_n"], level)
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


def rank_intervals(estimates: pd.DataFrame, group_cols: Iterable[str], value_col: str, se_col: str,
                   higher_is_better: bool = True, draws: int = 2000, seed: int = 20240901,
                   level: float = 0.95) -> pd.DataFrame:
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
    grouped = (out.assign(_pos=positions)[ok].groupby(group_cols, sort=True, dropna=False)["_pos"]
               if group_cols else [((), out.assign(_pos=positions)[ok]["_pos"])])
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
    e, l, h = (np.asarray(_float(v), dtype="float64") for v in (estimate, lo, hi))
    conditions = [
        (l > 0) & (e >= well_cut),
        l > 0,
        (h < 0) & (e < -well_cut),
        h < 0,
        (l <= 0) & (h >= 0),
    ]
    labels = [BAND_WELL_ABOVE, BAND_ABOVE, BAND_WELL_BELOW, BAND_BELOW, BAND_AVERAGE]
    chosen = np.select(conditions, labels, default="")
    missing = ~(np.isfinite(e) & np.isfinite(l) & np.isfinite(h))
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
    ms, ss, ns, md, sd, nd = (np.asarray(_float(v), dtype="float64")
                              for v in (mean_s, sd_s, n_s, mean_d, sd_d, n_d))
    nr = nd - ns
    f = ns / nd
    with np.errstate(invalid="ignore", divide="ignore"):
        mr = (nd * md - ns * ms) / nr
        ss_total = (nd - 1) * sd ** 2
        ss_rest = ss_total - (ns - 1) * ss ** 2 - ns * (ms - md) ** 2 - nr * (mr - md) ** 2
        var_r = np.where(nr >= 2, np.maximum(ss_rest, 0) / (nr - 1), ss ** 2)
        diff = np.where(nr > 0, ms - md, 0.0)
        se = np.where(nr > 0, (1 - f) * np.sqrt(ss ** 2 / ns + var_r / np.where(nr > 0, nr, np.nan)), 0.0)
    bad = ~(np.isfinite(ms) & np.isfinite(md) & np.isfinite(ss) & (ns >= 2))
    return np.where(bad, np.nan, diff), np.where(bad, np.nan, se)


def rate_difference(k_s, n_s, k_d, n_d, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def _school_district(stats: pd.DataFrame) -> pd.DataFrame:
    school = stats[stats["level"] == "school"]
    district = stats[stats["level"] == "district"][
        ["grade", "subject", "tested_n", "mean", "sd", *(f"{r}_n" for r in RATE_NAMES)]]
    district = district.rename(columns=lambda c: c if c in ("grade", "subject") else f"d_{c}")
    return school.merge(district, on=["grade", "subject"], how="left", validate="many_to_one")


def school_bands(stats: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Each school's difference from the district per grade x subject, with intervals, bands and ranks.

    Columns: unit_code, unit_name, category, grade, subject, tested_n, sample_status,
      mean_diff (marks), mean_diff_z / _lo / _hi (district-SD units; SE from ``mean_difference``, t quantile
      with tested_n - 1 df), mean_band;
      <rate>_rate_diff / _lo / _hi (proportions, school - district, ``rate_difference``), <rate>_rate_band;
      rank_metric, rank_lo, rank_hi, rank_median, rank_n: rank interval among schools with a band, by
      params ranking.rank_by (mean: SE sd / sqrt(n); a rate: Wilson half-width / z).
    Bands always read "better than the district": for the low-score rate a lower rate is 高于.
    sample_status: 公布; 样本过少（不排名、不分档） below reporting.min_rank_n (bands say 样本过少, no rank);
    样本过少（不公布） below reporting.min_published_n (differences set to NaN too); 无实考学生.
    """
    level = float(param(params, "uncertainty", "level"))
    min_pub = int(param(params, "reporting", "min_published_n"))
    min_rank = int(param(params, "reporting", "min_rank_n"))
    cut_z = float(param(params, "bands", "mean_well_cut_z"))
    cut_rate = float(param(params, "bands", "rate_well_cut"))
    rank_by = ((params or {}).get("ranking") or {}).get("rank_by", "mean")

    m = _school_district(stats)
    n = m["tested_n"].astype("float64").to_numpy()
    out = m[["unit_code", "unit_name", "category", "grade", "subject", "tested_n"]].copy()
    out["sample_status"] = np.select(
        [n <= 0, n < min_pub, n < min_rank], [STATUS_NONE_TESTED, STATUS_SUPPRESSED, STATUS_NO_RANK],
        STATUS_PUBLISHED)
    out["sample_status"] = out["sample_status"].astype("string")
    publish = n >= min_pub
    rankable = n >= min_rank
    small = (n > 0) & ~rankable

    def finish_band(b: pd.Series) -> pd.Series:
        b = b.where(pd.Series(rankable, index=b.index))
        return b.mask(pd.Series(small, index=b.index), BAND_SMALL).astype("string")

    diff, se = mean_difference(m["mean"], m["sd"], m["tested_n"], m["d_mean"], m["d_sd"], m["d_tested_n"])
    with np.errstate(invalid="ignore", divide="ignore"):
        t = sps.t.ppf(0.5 + level / 2, np.where(n >= 2, n - 1, np.nan))
        sd_d = m["d_sd"].astype("float64").to_numpy()
        dz, sez = diff / sd_d, se / sd_d
    out["mean_diff"] = np.where(publish, diff, np.nan)
    out["mean_diff_z"] = np.where(publish, dz, np.nan)
    out["mean_diff_z_lo"] = np.where(publish, dz - t * sez, np.nan)
    out["mean_diff_z_hi"] = np.where(publish, dz + t * sez, np.nan)
    out["mean_band"] = finish_band(band(out["mean_diff_z"], out["mean_diff_z_lo"], out["mean_diff_z_hi"], cut_z))

    for r in RATE_NAMES:
        d, lo, hi = rate_difference(m[f"{r}_n"], m["tested_n"], m[f"d_{r}_n"], m["d_tested_n"], level)
        col = f"{r}_rate"
        out[f"{col}_diff"] = np.where(publish, d, np.nan)
        out[f"{col}_diff_lo"] = np.where(publish, lo, np.nan)
        out[f"{col}_diff_hi"] = np.where(publish, hi, np.nan)
        sign = RATE_BETTER_SIGN[r]
        # Flipping the sign swaps the interval ends.
        b_lo, b_hi = (out[f"{col}_diff_lo"], out[f"{col}_diff_hi"]) if sign > 0 else \
            (-out[f"{col}_diff_hi"], -out[f"{col}_diff_lo"])
        out[f"{col}_band"] = finish_band(band(sign * out[f"{col}_diff"], b_lo, b_hi, cut_rate))

    # Rank intervals among the schools that may be ranked.
    if rank_by == "mean":
        value, se_rank, hib = m["mean"].astype("float64"), m["sd"].astype("float64") / np.sqrt(n), True
    else:
        name = rank_by.removesuffix("_rate")
        k = m[f"{name}_n"].astype("float64")
        value = k / m["tested_n"].astype("float64")
        lo_w, hi_w = wilson_ci(k, m["tested_n"], level)
        se_rank, hib = (hi_w - lo_w) / (2 * _z(level)), RATE_BETTER_SIGN[name] > 0
    est = out[["grade", "subject"]].assign(_v=value.where(rankable).to_numpy(), _se=se_rank.to_numpy())
    ranked = rank_intervals(est, ["grade", "subject"], "_v", "_se", higher_is_better=hib,
                            draws=int(param(params, "uncertainty", "rank_draws")),
                            seed=int(param(params, "uncertainty", "rank_seed")), level=level)
    out["rank_metric"] = pd.Series(rank_by, index=out.index, dtype="string")
    for col in ("rank_lo", "rank_hi", "rank_median", "rank_n"):
        out[col] = ranked[col]
    return out.sort_values(["grade", "subject", "unit_code"], kind="stable").reset_index(drop=True)


# ---- equity ------------------------------------------------------------------------------------

def coefficient_of_variation(school_means: pd.DataFrame, params: dict[str, Any] | None = None,
                             value_col: str = "mean", weight_col: str = "tested_n") -> pd.DataFrame:
    """差异系数 CV = S / X̄ of school means per grade x subject, with the threshold flag.

    Weighted (equity.cv_weighted, default true) as in the 义务教育均衡 evaluation formula: X̄ = Σ P_i X_i / P
    and S = sqrt(Σ P_i (X_i - X̄)² / P) with P_i the school's students (here tested_n; a population SD, so
    the weighted X̄ equals the district mean). Unweighted: each school counts once, S with ddof = 1.
    Accepts subject_stats output (only level == school rows are used). Columns: grade, subject, n_schools,
    weighted, mean_of_means, sd_of_means, cv, cv_threshold, cv_over (cv > threshold; NA if < 2 schools).
    """
    threshold = float(param(params, "equity", "cv_threshold"))
    weighted = bool(param(params, "equity", "cv_weighted"))
    df = school_means
    if "level" in df.columns:
        df = df[df["level"] == "school"]
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
        rows.append({"grade": grade, "subject": subject, "n_schools": k, "weighted": weighted,
                     "mean_of_means": mean, "sd_of_means": sd if k >= 2 else np.nan, "cv": cv,
                     "cv_threshold": threshold, "cv_over": pd.NA if np.isnan(cv) else bool(cv > threshold)})
    cols = ["grade", "subject", "n_schools", "weighted", "mean_of_means", "sd_of_means", "cv",
            "cv_threshold", "cv_over"]
    out = pd.DataFrame(rows, columns=cols)
    out["cv_over"] = out["cv_over"].astype("boolean")
    return out
