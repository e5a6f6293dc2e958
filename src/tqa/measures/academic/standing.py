"""Relative standing: each school against the district on the same paper.

- ``standard_scores`` / ``mean_z_by``: each tested student's z and T against the district's same paper, and
  平均标准分 per unit;
- ``add_relative_measures``: mean_share (mean / full marks), mean_z, ratio_to_mean (比均率);
- ``school_bands``: the school minus the district with intervals, Progress-8-style bands and rank intervals
  (``mean_bands``: the mean's part, also used for 总分 in ``totals``);
- ``rankable_only``: only cohorts of reporting.min_rank_n are ranked (the rule: ``tqa.measures.cohorts``);
- ``drop_level_ranks``: no ranks on level-graded papers (grades 1-2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from tqa.core import units
from tqa.core.vocabulary import EXAM_MODE_LEVEL
from tqa.measures import cohorts
from tqa.measures import intervals as unc
from tqa.measures.academic.rates import RATE_METRICS
from tqa.params import Params

PAPER_KEYS = ["grade", "subject"]


def standard_scores(rows: pd.DataFrame) -> pd.DataFrame:
    """Student rows (scoring.score_with_lines) with z = (x - district mean) / district sd and T = 50 + 10 z.

    District mean / sd (ddof=1, as subject_stats) over every tested score of the same grade x subject; rows
    not tested or without a score (level-graded papers) get NaN.
    """
    out = rows.copy()
    score = out["score"].where(out["is_tested"].astype(bool))
    g = score.groupby([out["grade"], out["subject"]])
    mean, sd = g.transform("mean"), g.transform(lambda s: s.std(ddof=1))
    out["z"] = (score - mean) / sd.where(sd > 0)
    out["t"] = 50 + 10 * out["z"]
    return out


def mean_standard_scores(rows: pd.DataFrame, keys: tuple[str, ...] = ("school_code",)) -> pd.DataFrame:
    """平均标准分 per unit x grade x subject: mean of the students' z (and T)."""
    return mean_z_by(standard_scores(rows), keys)


def mean_z_by(z: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """``mean_standard_scores`` from rows that already have z and t (``standard_scores``): several units
    (school, category, district) can share one computation of the z-scores."""
    z = z.loc[z["z"].notna(), [*keys, *PAPER_KEYS, "z", "t"]]  # only what is aggregated: cheaper to filter
    out = z.groupby([*keys, *PAPER_KEYS], as_index=False).agg(mean_z=("z", "mean"), mean_t=("t", "mean"))
    return out.sort_values([*keys, *PAPER_KEYS]).reset_index(drop=True)


def add_relative_measures(stats: pd.DataFrame) -> pd.DataFrame:
    """subject_stats with mean_share = mean / full marks, mean_z = (mean - district mean) / district sd
    (equal to the mean of the students' z) and ratio_to_mean = mean / district mean (比均率)."""
    dist = units.rows(stats, units.DISTRICT)[[*PAPER_KEYS, "mean", "sd"]].rename(columns={"mean": "_dm", "sd": "_dsd"})
    out = stats.merge(dist, on=PAPER_KEYS, how="left")
    out.index = stats.index
    out["mean_share"] = out["mean"] / out["full_marks"]
    out["mean_z"] = (out["mean"] - out["_dm"]) / out["_dsd"].where(out["_dsd"] > 0)
    out["ratio_to_mean"] = out["mean"] / out["_dm"].where(out["_dm"] > 0)
    return out.drop(columns=["_dm", "_dsd"])


# ---- the school against the district ----------------------------------------------------------------


MEAN_BAND_COLUMNS = ("mean_diff", "mean_diff_z", "mean_diff_z_lo", "mean_diff_z_hi", "mean_band")


def school_district(stats: pd.DataFrame, keys: tuple[str, ...] = tuple(PAPER_KEYS)) -> pd.DataFrame:
    """The school rows of ``stats`` with their district row's tested_n, mean, sd and rate counts beside them
    (d_tested_n, d_mean, d_sd, d_<rate>_n), matched on ``keys`` (a paper; the grade for a total)."""
    keys = list(keys)
    school = units.rows(stats, units.SCHOOL)
    district = units.rows(stats, units.DISTRICT)[[*keys, "tested_n", "mean", "sd", *(f"{r}_n" for r in unc.RATE_NAMES)]]
    district = district.rename(columns=lambda c: c if c in keys else f"d_{c}")
    return school.merge(district, on=keys, how="left", validate="many_to_one")


def mean_bands(m: pd.DataFrame, params: Params) -> pd.DataFrame:
    """The school mean against the district's, for rows of ``school_district``: mean_diff (marks), mean_diff_z
    / _lo / _hi (district-SD units; SE from ``unc.mean_difference``, t quantile with tested_n - 1 df) and
    mean_band (``unc.band`` with bands.mean_well_cut_z). NaN / NA where the cohort is not shown
    (``cohorts.shown``). Same index as ``m``."""
    level = float(params.uncertainty.level)
    cut_z = float(params.bands.mean_well_cut_z)
    n = m["tested_n"].astype("float64").to_numpy()
    publish = cohorts.shown(m["tested_n"], params)
    diff, se = unc.mean_difference(m["mean"], m["sd"], m["tested_n"], m["d_mean"], m["d_sd"], m["d_tested_n"])
    with np.errstate(invalid="ignore", divide="ignore"):
        t = sps.t.ppf(0.5 + level / 2, np.where(n >= 2, n - 1, np.nan))
        sd_d = m["d_sd"].astype("float64").to_numpy()
        dz, sez = diff / sd_d, se / sd_d
    out = pd.DataFrame(index=m.index)
    out["mean_diff"] = np.where(publish, diff, np.nan)
    out["mean_diff_z"] = np.where(publish, dz, np.nan)
    out["mean_diff_z_lo"] = np.where(publish, dz - t * sez, np.nan)
    out["mean_diff_z_hi"] = np.where(publish, dz + t * sez, np.nan)
    b = unc.band(out["mean_diff_z"], out["mean_diff_z_lo"], out["mean_diff_z_hi"], cut_z)
    out["mean_band"] = b.where(pd.Series(publish, index=b.index)).astype("string")
    return out


def school_bands(stats: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Each school's difference from the district per grade x subject, with intervals, bands and ranks.

    Columns: unit_code, unit_name, category, grade, subject, tested_n, sample_status,
      mean_diff (marks), mean_diff_z / _lo / _hi (district-SD units; SE from ``unc.mean_difference``, t quantile
      with tested_n - 1 df), mean_band;
      <rate>_rate_diff / _lo / _hi (proportions, school - district, ``unc.rate_difference``), <rate>_rate_band;
      rank_metric, rank_lo, rank_hi, rank_median, rank_n: rank interval among schools with a band, by
      params ranking.rank_by (mean: SE sd / sqrt(n); a rate: Wilson half-width / z).
    Bands always read "better than the district": for the low-score rate a lower rate is 高于.
    The small-cohort rule (``tqa.measures.cohorts``): from reporting.min_published_n a school is banded by its
    interval (a wide interval gives 持平 unless the difference is clear); below it nothing is computed; only
    from reporting.min_rank_n is it ranked. sample_status says which (公布 / 样本较小 / 人数过少，不公布 / 无实考学生).
    """
    level = float(params.uncertainty.level)
    cut_rate = float(params.bands.rate_well_cut)
    rank_by = params.ranking.rank_by

    m = school_district(stats)
    n = m["tested_n"].astype("float64").to_numpy()
    out = m[["unit_code", "unit_name", "category", "grade", "subject", "tested_n"]].copy()
    out["sample_status"] = cohorts.sample_status(m["tested_n"], params)
    publish = cohorts.shown(m["tested_n"], params)
    rankable = cohorts.rankable(m["tested_n"], params)

    def finish_band(b: pd.Series) -> pd.Series:
        return b.where(pd.Series(publish, index=b.index)).astype("string")

    mean = mean_bands(m, params)
    for col in MEAN_BAND_COLUMNS:
        out[col] = mean[col]

    for r in unc.RATE_NAMES:
        d, lo, hi = unc.rate_difference(m[f"{r}_n"], m["tested_n"], m[f"d_{r}_n"], m["d_tested_n"], level)
        col = f"{r}_rate"
        out[f"{col}_diff"] = np.where(publish, d, np.nan)
        out[f"{col}_diff_lo"] = np.where(publish, lo, np.nan)
        out[f"{col}_diff_hi"] = np.where(publish, hi, np.nan)
        sign = unc.RATE_BETTER_SIGN[r]
        # Flipping the sign swaps the interval ends.
        b_lo, b_hi = (
            (out[f"{col}_diff_lo"], out[f"{col}_diff_hi"])
            if sign > 0
            else (-out[f"{col}_diff_hi"], -out[f"{col}_diff_lo"])
        )
        out[f"{col}_band"] = finish_band(unc.band(sign * out[f"{col}_diff"], b_lo, b_hi, cut_rate))

    # Rank intervals among the schools that may be ranked.
    if rank_by == "mean":
        value, se_rank, hib = m["mean"].astype("float64"), m["sd"].astype("float64") / np.sqrt(n), True
    else:
        name = rank_by.removesuffix("_rate")
        k = m[f"{name}_n"].astype("float64")
        value = k / m["tested_n"].astype("float64")
        lo_w, hi_w = unc.wilson_ci(k, m["tested_n"], level)
        se_rank, hib = (hi_w - lo_w) / (2 * unc.two_sided_z(level)), unc.RATE_BETTER_SIGN[name] > 0
    est = out[["grade", "subject"]].assign(_v=value.where(rankable).to_numpy(), _se=se_rank.to_numpy())
    ranked = unc.rank_intervals(
        est,
        ["grade", "subject"],
        "_v",
        "_se",
        higher_is_better=hib,
        draws=int(params.uncertainty.rank_draws),
        seed=int(params.uncertainty.rank_seed),
        level=level,
    )
    out["rank_metric"] = pd.Series(rank_by, index=out.index, dtype="string")
    for col in ("rank_lo", "rank_hi", "rank_median", "rank_n"):
        out[col] = ranked[col]
    return out.sort_values(["grade", "subject", "unit_code"], kind="stable").reset_index(drop=True)


# ---- small cohorts and level-graded papers -----------------------------------------------------------


def rankable_only(stats: pd.DataFrame, params: Params) -> pd.DataFrame:
    """stats with tested_n set to 0 on school rows below min_rank_n: the mechanics rank only tested_n > 0,
    so small schools drop out of the ranking and the others' ranks close up."""
    out = stats.copy()
    small = units.is_level(out, units.SCHOOL) & ~cohorts.rankable(out["tested_n"], params)
    out.loc[small, "tested_n"] = 0
    return out


RANK_COLUMNS = (
    "rank_district",
    "rank_category",
    *(f"{m}_rank_{s}" for m in RATE_METRICS for s in ("district", "category")),
    "n_ranked_district",
    "n_ranked_category",
)

# Rank columns of every table here (results, change, trend); blanked on level-graded papers.
LEVEL_BLANKED_RANKS = (
    *(c for c in RANK_COLUMNS if not c.startswith("n_ranked")),
    "composite_rank_district",
    "composite_rank_category",
    "rank_lo",
    "rank_hi",
    "rank_median",
    "rank_n",
    "prior_rank",
    "current_rank",
    "rank_change",
)


def level_graded(df: pd.DataFrame) -> pd.Series:
    """True on rows of a level-graded paper (grades 1-2: 优秀/良好/合格/待合格, ``mode`` 等级); False where the
    table has no ``mode`` column."""
    if "mode" not in df.columns:
        return pd.Series(False, index=df.index)
    return (df["mode"].astype("string") == EXAM_MODE_LEVEL).fillna(False).astype(bool)


def drop_level_ranks(df: pd.DataFrame, level_rows: pd.Series | None = None) -> pd.DataFrame:
    """Every rank column set to NA on level-graded rows (default ``level_graded(df)``).

    教育部 2021: grades 1-2 are assessed by levels and not ranked. scoring ranks the three rates on every
    paper; this is where the level-graded papers lose those ranks (their rates, bands and colours stay).
    """
    rows = (level_graded(df) if level_rows is None else level_rows).to_numpy(dtype=bool)
    if not rows.any():
        return df
    out = df.copy()
    for col in LEVEL_BLANKED_RANKS:
        if col in out.columns:
            values = out[col].astype("Int64") if pd.api.types.is_integer_dtype(out[col]) else out[col]
            out[col] = values.mask(rows)
    return out
