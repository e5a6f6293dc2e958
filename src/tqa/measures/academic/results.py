"""The methodology's result tables: the mechanics modules composed into what the scores step writes.

Pure functions, DataFrames in / DataFrames out, each delegating to the mechanics:
``tqa.scoring`` (一分三率, ranks), ``tqa.uncertainty`` (intervals, bands, rank intervals, 差异系数),
``tqa.composite`` (平均标准分, 比均率, 综合得分, 分数段, weight sensitivity), ``tqa.students`` (tiers, 临界生,
targets), ``tqa.valueadded`` (增值). Only the status-by-change grid (``change_since``) and the funnel-plot
control limits (``funnel_limits``) are computed here.

``stats`` is ``scoring.subject_stats`` output (levels school / category / district); ``scores`` the checked
scores table; ``exam_spec`` the office exam spec; ``params`` ``tqa.params.load_params(term)``.
Small samples (``reporting``): below ``min_rank_n`` tested students a school gets no rank, band or colour;
below ``min_published_n`` its row is flagged 样本过少（不公布） (the public output suppresses it through
``tqa.disclosure``). Every output is sorted; every simulation is seeded (params uncertainty.rank_seed).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from tqa.measures.academic import composite, rates as scoring, students as stu, valueadded as va
from tqa.measures import intervals as unc
from tqa.params import grade_band
from tqa.schema import EXAM_MODE_LEVEL

PAPER = ["grade", "subject"]
UNIT = ["unit_code", "grade", "subject"]
RANK_COLUMNS = ("rank_district", "rank_category",
                *(f"{m}_rank_{s}" for m in scoring.RATE_METRICS for s in ("district", "category")),
                "n_ranked_district", "n_ranked_category")
BAND_COLUMNS = ("mean_diff", "mean_diff_z", "mean_diff_z_lo", "mean_diff_z_hi", "mean_band",
                *(f"{r}_rate_{c}" for r in unc.RATE_NAMES for c in ("diff", "diff_lo", "diff_hi", "band")),
                "rank_metric", "rank_lo", "rank_hi", "rank_median", "rank_n")

STATUS_LABELS = ("很高", "高", "中等", "低", "很低")
CHANGE_LABELS = ("显著下降", "下降", "持平", "上升", "显著上升")
COLOUR_LABELS = {"Blue": "蓝", "Green": "绿", "Yellow": "黄", "Orange": "橙", "Red": "红"}
NOTE_SMALL = "样本过少，不着色"
NOTE_NO_PRIOR = "上学期无可比数据"
CHANGE_DEFAULTS: dict[str, Any] = {
    "metric": "pass_rate",
    "status_cuts": {"default": [0.95, 0.90, 0.80, 0.67]},
    "significant": 0.05,
    "changed": 0.01,
    "grid": [["Yellow", "Green", "Blue", "Blue", "Blue"],
             ["Orange", "Yellow", "Green", "Green", "Blue"],
             ["Orange", "Orange", "Yellow", "Green", "Green"],
             ["Red", "Orange", "Orange", "Yellow", "Yellow"],
             ["Red", "Red", "Red", "Orange", "Yellow"]],
}
FUNNEL_DEFAULTS: dict[str, Any] = {"levels": [0.95, 0.998], "grid_points": 60}
DECIMALS = 9  # compare rates and changes on rounded values (0.85 - 0.80 is not exactly 0.05 in floats)


def _block(params: dict[str, Any] | None, key: str, defaults: dict[str, Any]) -> dict[str, Any]:
    out = dict(defaults)
    out.update((params or {}).get(key) or {})
    return out


def _level_key(level: pd.Series) -> pd.Series:
    return level.map({lv: i for i, lv in enumerate(scoring.LEVEL_ORDER)}).fillna(9)


def _sort(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Stable sort with the project's subject and level order."""
    def key(col: pd.Series) -> pd.Series:
        if col.name == "subject":
            return scoring.subject_sort_key(col)
        if col.name == "level":
            return _level_key(col)
        if col.name == "borderline":
            return col.map({stu.BORDER_PASS: 0, stu.BORDER_EXCELLENT: 1})
        return col
    return df.sort_values(by, key=key, kind="stable").reset_index(drop=True)


def sample_status(n: pd.Series, params: dict[str, Any] | None) -> pd.Series:
    """公布 / 样本过少（不排名、不分档） / 样本过少（不公布） / 无实考学生 from the number tested."""
    min_pub = int(unc.param(params, "reporting", "min_published_n"))
    min_rank = int(unc.param(params, "reporting", "min_rank_n"))
    k = n.fillna(0).astype("float64").to_numpy()
    status = np.select([k <= 0, k < min_pub, k < min_rank],
                       [unc.STATUS_NONE_TESTED, unc.STATUS_SUPPRESSED, unc.STATUS_NO_RANK], unc.STATUS_PUBLISHED)
    return pd.Series(status, index=n.index, dtype="string")


def _rankable_only(stats: pd.DataFrame, params: dict[str, Any] | None) -> pd.DataFrame:
    """stats with tested_n set to 0 on school rows below min_rank_n: the mechanics rank only tested_n > 0,
    so small schools drop out of the ranking and the others' ranks close up."""
    min_rank = int(unc.param(params, "reporting", "min_rank_n"))
    out = stats.copy()
    small = (out["level"] == scoring.LEVEL_SCHOOL) & (out["tested_n"] < min_rank)
    out.loc[small, "tested_n"] = 0
    return out


# Rank columns of every table here (results, change, trend); blanked on level-graded papers.
LEVEL_BLANKED_RANKS = (*(c for c in RANK_COLUMNS if not c.startswith("n_ranked")), "composite_rank_district",
                       "composite_rank_category", "rank_lo", "rank_hi", "rank_median", "rank_n",
                       "prior_rank", "current_rank", "rank_change")


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


# ---- per school: the main result table --------------------------------------------------------------

def _student_mean_z(stats: pd.DataFrame, scores: pd.DataFrame, exam_spec: pd.DataFrame,
                    params: dict[str, Any]) -> pd.DataFrame:
    """平均标准分 per level x unit x paper: the mean of the students' z against the district paper."""
    school = stats[stats["level"] == scoring.LEVEL_SCHOOL][["unit_code", "category"]].drop_duplicates()
    school = school.rename(columns={"unit_code": "school_code"})
    scores = scoring.score_input(scores)
    rows = scoring.score_with_lines(scores[scores["school_code"].isin(school["school_code"])], exam_spec, params)
    rows = rows.merge(school, on="school_code", how="left").assign(district=scoring.DISTRICT_CODE)
    z = composite.standard_scores(rows)  # the same z for every level: computed once
    parts = []
    for level, key in ((scoring.LEVEL_SCHOOL, "school_code"), (scoring.LEVEL_CATEGORY, "category"),
                       (scoring.LEVEL_DISTRICT, "district")):
        part = composite.mean_z_by(z, (key,)).rename(columns={key: "unit_code"})
        parts.append(part.assign(level=level))
    out = pd.concat(parts, ignore_index=True)
    out["unit_code"] = out["unit_code"].astype("str")
    return out[["level", *UNIT, "mean_z", "mean_t"]]


def school_results(stats: pd.DataFrame, scores: pd.DataFrame, exam_spec: pd.DataFrame,
                   params: dict[str, Any]) -> pd.DataFrame:
    """One row per stats row (school, category, district x grade x subject), everything a report table needs.

    Columns: the subject_stats columns, then
      mean_lo / mean_hi (t interval), <rate>_rate_lo / _hi (Wilson), at uncertainty.level;
      mean_share (mean / full marks), mean_z (平均标准分, mean of the students' z against the district's same
        paper), mean_t (50 + 10 mean_z), ratio_to_mean (比均率);
      composite (综合得分, params composite.weights), composite_rank_district / composite_rank_category;
      school rows only: mean_diff, mean_diff_z (+ _lo / _hi), mean_band, <rate>_rate_diff (+ _lo / _hi),
        <rate>_rate_band (Progress-8-style bands against the district, ``uncertainty.school_bands``),
        rank_metric, rank_lo, rank_hi, rank_median, rank_n (simulated rank interval);
      sample_status, publishable (n >= min_published_n), rankable (school and n >= min_rank_n).
    Every rank column (scoring's, composite's, the rank interval) ranks only the rankable schools; the
    others get NA. Level-graded papers (grades 1-2) have no rank at all (``drop_level_ranks``).
    Statistics of small rows are kept (internal table): the public view suppresses them.
    """
    level = float(unc.param(params, "uncertainty", "level"))
    base = unc.add_intervals(stats, level)
    ranked = composite.add_composite(scoring.add_ranks(_rankable_only(base, params), params), params)
    ranked["tested_n"] = base["tested_n"].to_numpy()
    out = ranked.drop(columns=["mean_z"]).merge(_student_mean_z(stats, scores, exam_spec, params),
                                                on=["level", *UNIT], how="left")
    bands = unc.school_bands(stats, params).assign(level=scoring.LEVEL_SCHOOL)
    out = out.merge(bands[["level", *UNIT, *BAND_COLUMNS]], on=["level", *UNIT], how="left")
    out["sample_status"] = sample_status(out["tested_n"], params)
    n = out["tested_n"].fillna(0)
    out["publishable"] = n >= int(unc.param(params, "reporting", "min_published_n"))
    out["rankable"] = (out["level"] == scoring.LEVEL_SCHOOL) & (n >= int(unc.param(params, "reporting",
                                                                                    "min_rank_n")))
    cols = [*scoring.SUBJECT_STATS_COLUMNS, "mean_lo", "mean_hi",
            *(f"{r}_rate_{e}" for r in unc.RATE_NAMES for e in ("lo", "hi")),
            "mean_share", "mean_z", "mean_t", "ratio_to_mean", "composite", "composite_rank_district",
            "composite_rank_category", *BAND_COLUMNS, "sample_status", "publishable", "rankable"]
    out = drop_level_ranks(out[cols]).assign(_cat=out["unit_code"].astype("string"))
    return _sort(out, ["level", "_cat", "grade", "subject"]).drop(columns="_cat")


def equity(stats: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """差异系数 of school means per grade x subject with the threshold flag (``uncertainty.coefficient_of_variation``).

    Columns: grade, subject, n_schools, weighted, mean_of_means, sd_of_means, cv, cv_threshold, cv_over.
    Level-graded papers (no mean) have no row.
    """
    return _sort(unc.coefficient_of_variation(stats, params), PAPER)


def sensitivity(stats: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """综合得分 and district rank under the main and each alternative weighting (``composite.sensitivity``),
    ranking only schools with n >= reporting.min_rank_n.

    Columns: unit_code, unit_name, category, grade, subject, scheme, composite, composite_rank, rank_change
    (rank under the scheme - main rank; positive = falls back), max_rank_change (over schemes, per school row).
    """
    out = composite.sensitivity(_rankable_only(stats, params), params)
    order = {name: i for i, (name, _) in enumerate(composite.schemes(params))}
    out = out.assign(_s=out["scheme"].map(order))
    return _sort(out, ["grade", "subject", "_s", "unit_code"]).drop(columns="_s")


def score_band_table(scores: pd.DataFrame, exam_spec: pd.DataFrame, params: dict[str, Any],
                     returns: pd.DataFrame | None = None) -> pd.DataFrame:
    """分数段 (params score_bands.edges): counts and shares per school, category and district x paper.

    ``returns`` (checked returns: school_code, category, usable) adds the category level and keeps only
    usable schools, as subject_stats does; without it there are school and district rows only (unless
    ``scores`` already has a category column). Columns: composite.BAND_COLUMNS.
    """
    rows = scoring.score_input(scores, "category")
    if returns is not None:
        schools = returns
        if "usable" in returns.columns:
            schools = returns[returns["usable"].fillna(False).astype(bool).to_numpy()]
        schools = schools[["school_code", "category"]].drop_duplicates("school_code")
        rows = rows.drop(columns=["category"], errors="ignore").merge(schools, on="school_code", how="inner")
    table = composite.score_bands(scoring.score_with_lines(rows, exam_spec, params), params)
    return _sort(table.assign(_u=table["unit_code"].astype("string")),
                 ["level", "_u", "grade", "subject", "band_no"]).drop(columns="_u")


def class_results(scores: pd.DataFrame, exam_spec: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """Per class x subject (班级对比): ``scoring.class_stats`` + intervals + the school grade's figures.

    Added columns: mean_lo / mean_hi, <rate>_rate_lo / _hi; school_tested_n, school_mean, school_pass_rate
    (the school's whole grade, pooled over its classes); mean_vs_school, pass_rate_vs_school (class -
    school); sample_status (classes are never ranked; below min_published_n nothing is published).
    """
    level = float(unc.param(params, "uncertainty", "level"))
    out = unc.add_intervals(scoring.class_stats(scores, exam_spec, params), level)
    keys = ["school_code", "grade", "subject"]
    g = out.assign(_sum=out["mean"].fillna(0) * out["tested_n"]).groupby(keys, as_index=False).agg(
        school_tested_n=("tested_n", "sum"), _sum=("_sum", "sum"), _pass=("pass_n", "sum"))
    tested = g["school_tested_n"].astype("float64").where(g["school_tested_n"] > 0)
    g["school_mean"] = g["_sum"] / tested
    g["school_pass_rate"] = g["_pass"] / tested
    out = out.merge(g.drop(columns=["_sum", "_pass"]), on=keys, how="left")
    out["school_mean"] = out["school_mean"].where(out["mean"].notna())  # level papers: no mean at all
    out["mean_vs_school"] = out["mean"] - out["school_mean"]
    out["pass_rate_vs_school"] = out["pass_rate"] - out["school_pass_rate"]
    out["sample_status"] = sample_status(out["tested_n"], params)
    return _sort(out, ["school_code", "grade", "subject", "class_no"])


def student_lists(scores: pd.DataFrame, students: pd.DataFrame, exam_spec: pd.DataFrame,
                  params: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """学生层面, for school reports only (student-level: never public). Returns (class_counts, borderline).

    class_counts: school_code, grade, class_no, subject, top_n / middle_n / struggling_n (tiers,
      ``students.student_tiers``) with their shares, tested_n, near_pass_n, near_excellent_n.
    borderline (临界生): school_code, grade, class_no, subject, student_id, name, score, full_marks,
      borderline (临界及格 / 临界优秀), line, gap (marks short of the line); sorted by class, kind, gap.
    """
    rows = scoring.score_with_lines(scoring.score_input(scores, "class_no", "student_id"), exam_spec, params)
    counts = stu.class_tier_counts(rows, params)
    border = stu.borderline_students(rows, params)
    near = stu.borderline_counts(border)
    counts = counts.merge(near, on=stu.CLASS_KEYS, how="left")
    for col in ("near_pass_n", "near_excellent_n"):
        counts[col] = counts[col].fillna(0).astype("int64")
    names = students[["school_code", "student_id", "name"]].drop_duplicates(["school_code", "student_id"])
    border = border.merge(names, on=["school_code", "student_id"], how="left")
    border = border[[*stu.CLASS_KEYS, "student_id", "name", "score", "full_marks", "borderline", "line", "gap"]]
    counts = _sort(counts, ["school_code", "grade", "subject", "class_no"])
    border = _sort(border, ["school_code", "grade", "subject", "class_no", "borderline", "gap", "student_id"])
    return counts, border


def targets(stats: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """目标达成 per unit x grade x subject and target (``students.target_attainment``; params targets).

    Columns: students.TARGET_COLUMNS (target, actual, met, gap; gap >= 0 means met) plus sample_status.
    """
    out = stu.target_attainment(stats, params)
    out["sample_status"] = sample_status(out["tested_n"], params)
    order = {k: i for i, k in enumerate(v[0] for v in stu.TARGET_INDICATORS.values())}
    out = out.assign(_u=out["unit_code"].astype("string"), _i=out["indicator"].map(order))
    return _sort(out, ["level", "_u", "grade", "subject", "_i"]).drop(columns=["_u", "_i"])


# ---- value added ------------------------------------------------------------------------------------

VA_EFFECT_COLUMNS = ("school_code", "grade", "subject", "tested_n", "matched_n", "match_rate", "n_j",
                     "shrinkage", "effect", "se", "lo", "hi", "band", "va_withheld", "note")
VA_MODEL_COLUMNS = ("grade", "subject", "n_obs", "n_groups", "b_prior", "b_prior_se", "sigma2_u", "sigma2_e",
                    "icc", "method", "notes")
CHANGE_COLUMNS = ("unit_code", "unit_name", "category", "grade", "subject", "metric", "prior_tested_n",
                  "tested_n", "prior_value", "current_value", "change", "prior_rank", "current_rank",
                  "rank_change", "status_level", "change_level", "colour", "colour_label", "note")


def value_added(current_scores: pd.DataFrame, prior_scores: pd.DataFrame,
                params: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """增值评价: this term's scores on last term's, random-intercept model per grade x subject.

    Returns (effects, models).
    effects: one row per school x grade x subject with tested students this term: tested_n, matched_n,
      match_rate, n_j (students in the fit), shrinkage, effect (empirical-Bayes school effect in z units),
      se, lo / hi (uncertainty.level), band (vs the district; 样本过少 below min_rank_n; the withheld note
      when va_withheld), va_withheld (match rate below valueadded.min_match_rate), note.
    models: grade, subject, n_obs, n_groups, b_prior, b_prior_se, sigma2_u, sigma2_e, icc, method (the
      candidate kept by the exact-REML guard), notes.
    """
    linked, rates = va.link_prior(current_scores, prior_scores, params)
    effects, models = va.school_value_added(linked, rates, params)
    out = rates.merge(effects.drop(columns=["va_withheld"]), on=["school_code", "grade", "subject"], how="left")
    out["band"] = out["band"].astype("string").mask(out["va_withheld"], va.NOTE_WITHHELD)
    out["n_j"] = out["n_j"].astype("Int64")
    return _sort(out[list(VA_EFFECT_COLUMNS)], PAPER + ["school_code"]), _sort(models, PAPER)


# ---- change since last term (status x change grid) --------------------------------------------------

def _status_level(values: pd.Series, grades: pd.Series, cfg: dict[str, Any], params: dict[str, Any]) -> pd.Series:
    cuts_by_band = cfg["status_cuts"]
    out = []
    for v, g in zip(values.round(DECIMALS), grades):
        cuts = cuts_by_band.get(grade_band(int(g), params), cuts_by_band["default"])
        if pd.isna(v):
            out.append(None)
            continue
        out.append(STATUS_LABELS[next((i for i, c in enumerate(cuts) if v >= c), len(cuts))])
    return pd.Series(out, index=values.index, dtype="string")


def _change_level(change: pd.Series, cfg: dict[str, Any]) -> pd.Series:
    d = change.astype("float64").round(DECIMALS).to_numpy()
    sig, chg = float(cfg["significant"]), float(cfg["changed"])
    level = np.select([d >= sig, d >= chg, d <= -sig, d <= -chg], [4, 3, 0, 1], 2)
    return pd.Series([None if np.isnan(x) else CHANGE_LABELS[i] for x, i in zip(d, level)],
                     index=change.index, dtype="string")


def change_since(current_stats: pd.DataFrame, prior_stats: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """较上学期变化 per school x grade x subject, coloured on a 5 x 5 status-by-change grid (params change).

    The same school, grade and subject in both terms (same grade: within a school year this is the same
    cohort). Columns: unit_code, unit_name, category, grade, subject, metric, prior_tested_n, tested_n,
    prior_value, current_value, change (current - prior), prior_rank, current_rank (district rank of the
    metric), rank_change (current - prior; positive = falls back), status_level (很高 … 很低, cut-offs per
    grade band), change_level (显著下降 … 显著上升), colour (Blue/Green/Yellow/Orange/Red), colour_label (蓝 …
    红), note. Status needs n >= min_rank_n this term; change and colour need it in both terms.

    Level-graded papers (grades 1-2, ``mode`` 等级 in either term) stay in the grid: their pass rate (合格 and
    above) is a legitimate rate and the colour compares it with fixed cut-offs, not with other schools. They
    get no ranks: prior_rank, current_rank and rank_change are NA (``drop_level_ranks``).
    """
    cfg = _block(params, "change", CHANGE_DEFAULTS)
    metric = cfg["metric"]
    if not scoring.RATE_METRICS.get(metric, False):
        raise ValueError(f"change.metric 只支持越高越好的比率：pass_rate、excellent_rate（当前为 {metric!r}）")
    min_rank = int(unc.param(params, "reporting", "min_rank_n"))
    rank_col = f"{metric}_rank_district"

    def school(df: pd.DataFrame) -> pd.DataFrame:
        return df[df["level"] == scoring.LEVEL_SCHOOL]

    cur, pri = school(current_stats), school(prior_stats)
    cur = cur.assign(_level=level_graded(cur))[["unit_code", "unit_name", "category", *PAPER, "tested_n", metric,
                                                 rank_col, "_level"]]
    cur = cur.rename(columns={metric: "current_value", rank_col: "current_rank"})
    pri = pri.assign(_prior_level=level_graded(pri))[[*UNIT, "tested_n", metric, rank_col, "_prior_level"]].rename(
        columns={"tested_n": "prior_tested_n", metric: "prior_value", rank_col: "prior_rank"})
    out = cur.merge(pri, on=UNIT, how="left", validate="one_to_one")
    level_rows = out["_level"] | out["_prior_level"].astype("boolean").fillna(False).astype(bool)
    out["metric"] = metric
    out["prior_tested_n"] = out["prior_tested_n"].astype("Int64")
    out["change"] = out["current_value"] - out["prior_value"]
    out["rank_change"] = (out["current_rank"].astype("Int64") - out["prior_rank"].astype("Int64"))
    big_now = out["tested_n"].fillna(0) >= min_rank
    big_both = big_now & (out["prior_tested_n"].fillna(0) >= min_rank).astype(bool)
    out["status_level"] = _status_level(out["current_value"].where(big_now), out["grade"], cfg, params)
    out["change_level"] = _change_level(out["change"].where(big_both), cfg)
    grid = cfg["grid"]
    colour = [None if (pd.isna(s) or pd.isna(c)) else grid[STATUS_LABELS.index(s)][CHANGE_LABELS.index(c)]
              for s, c in zip(out["status_level"], out["change_level"])]
    out["colour"] = pd.Series(colour, index=out.index, dtype="string")
    out["colour_label"] = out["colour"].map(COLOUR_LABELS).astype("string")
    no_prior = out["prior_value"].isna() & out["current_value"].notna()
    note = np.where(no_prior, NOTE_NO_PRIOR, np.where(out["current_value"].notna() & ~big_both, NOTE_SMALL, ""))
    out["note"] = pd.Series(note, index=out.index, dtype="string")
    out = drop_level_ranks(out, level_rows)  # grades 1-2: rates, status and colour, but never ranks
    return _sort(out[list(CHANGE_COLUMNS)], PAPER + ["unit_code"])


# ---- trend over terms --------------------------------------------------------------------------------

TREND_COLUMNS = ("term", "level", "unit_code", "unit_name", "category", "grade", "subject", "tested_n",
                 "mean", "pass_rate", "excellent_rate", "low_rate", "rank_district", "rank_category",
                 "pass_rate_rank_district", "excellent_rate_rank_district", "low_rate_rank_district",
                 "n_ranked_district", "composite", "composite_rank_district")


def trend(stats_by_term: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """排名统计表: every unit's rates and ranks in every term, one long table (term as a column).

    Takes subject_stats or school_results per term; columns of TREND_COLUMNS that a term lacks are NA.
    Level-graded papers (``mode`` 等级) keep their rates but no rank, also for terms written before that rule.
    Sorted by level, unit, grade, subject, term (terms sort as text: 2023-1 < 2023-2 < 2024-1).
    """
    parts = []
    for term in sorted(stats_by_term):
        df = drop_level_ranks(stats_by_term[term])
        parts.append(df.reindex(columns=[c for c in TREND_COLUMNS if c != "term"]).assign(term=term))
    if not parts:
        return pd.DataFrame(columns=list(TREND_COLUMNS))
    out = pd.concat(parts, ignore_index=True)[list(TREND_COLUMNS)]
    out = out.assign(_u=out["unit_code"].astype("string"))
    return _sort(out, ["level", "_u", "grade", "subject", "term"]).drop(columns="_u")


# ---- funnel plots --------------------------------------------------------------------------------------

def binomial_limits(p: Any, n: Any, prob: float) -> np.ndarray:
    """The ``prob`` quantile of an observed proportion among n when the true rate is p, interpolated as in
    Spiegelhalter (2005, Stat Med, appendix): r = smallest count with P(X <= r) >= prob,
    alpha = (P(X <= r) - prob) / P(X = r), limit = (r - alpha) / n. NaN where n <= 0.
    The interpolation spreads each count over (r - 1, r], so the limits sit 0.5 / n below a symmetric pair:
    a smooth curve for drawing; the classification of schools uses exact tails (``funnel_limits``)."""
    pp, nn = np.broadcast_arrays(np.asarray(p, dtype="float64"), np.asarray(n, dtype="float64"))
    ok = nn > 0
    nn_safe = np.where(ok, nn, 1)
    r = sps.binom.ppf(prob, nn_safe, pp)
    cdf, pmf = sps.binom.cdf(r, nn_safe, pp), sps.binom.pmf(r, nn_safe, pp)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(pmf > 0, (cdf - prob) / pmf, 0.0)
        limit = np.clip((r - alpha) / nn_safe, 0.0, 1.0)
    return np.where(ok, limit, np.nan)


def _funnel_grid(tested_n: pd.Series, points: int) -> np.ndarray:
    """Whole numbers of students, log-spaced from the smallest to the largest school."""
    lo_n, hi_n = int(tested_n.min()), int(tested_n.max())
    return np.unique(np.round(np.geomspace(max(lo_n, 1), max(hi_n, 1), points)))


FUNNEL_POSITIONS = ("高于外控制限", "高于内控制限", "控制限内", "低于内控制限", "低于外控制限")


def funnel_limits(stats: pd.DataFrame, params: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Funnel-plot control limits for the three rates per grade x subject. Returns (curves, points).

    p is the district rate. Limits at params funnel.levels (inner, outer; default 95 % and 99.8 %) are exact
    binomial (``binomial_limits``).
    curves: grade, subject, rate, p, n, inner_lo, inner_hi, outer_lo, outer_hi on a grid of n from the
      smallest to the largest school (funnel.grid_points, log-spaced, integers);
    points: grade, subject, rate, unit_code, unit_name, category, n, k, value, p, the four limits at the
      school's own n, position (高于外控制限 … 低于外控制限, from the exact one-sided binomial tail
      P(X >= k) or P(X <= k) against (1 - level) / 2; neutral: for low_rate 高于 is worse).
    """
    cfg = _block(params, "funnel", FUNNEL_DEFAULTS)
    inner, outer = sorted(float(x) for x in cfg["levels"])
    district = stats[stats["level"] == scoring.LEVEL_DISTRICT]
    school = stats[(stats["level"] == scoring.LEVEL_SCHOOL) & (stats["tested_n"] > 0)]
    curves, points = [], []

    def limits(p, n) -> dict[str, np.ndarray]:
        return {"inner_lo": binomial_limits(p, n, (1 - inner) / 2),
                "inner_hi": binomial_limits(p, n, (1 + inner) / 2),
                "outer_lo": binomial_limits(p, n, (1 - outer) / 2),
                "outer_hi": binomial_limits(p, n, (1 + outer) / 2)}

    for rate in unc.RATE_NAMES:
        d = district[[*PAPER, f"{rate}_n", "tested_n"]]
        d = d.assign(p=d[f"{rate}_n"] / d["tested_n"].where(d["tested_n"] > 0))[[*PAPER, "p"]]
        s = school.merge(d, on=PAPER, how="inner")
        s = s[s["p"].notna()]
        papers = [(grade, subject, float(g["p"].iloc[0]), _funnel_grid(g["tested_n"], int(cfg["grid_points"])))
                  for (grade, subject), g in s.groupby(PAPER, sort=True)]
        if papers:
            # Every paper's curve in one call: scipy's binomial functions work element by element, and a
            # call costs far more than its elements.
            sizes = [len(n) for *_, n in papers]
            p_all, n_all = np.repeat([p for _, _, p, _ in papers], sizes), np.concatenate([n for *_, n in papers])
            curves.append(pd.DataFrame({"grade": np.repeat([g for g, *_ in papers], sizes),
                                        "subject": np.repeat([sub for _, sub, *_ in papers], sizes),
                                        "rate": f"{rate}_rate", "p": p_all, "n": n_all.astype("int64"),
                                        **limits(p_all, n_all)}))
        n_s, k_s, p_s = s["tested_n"].to_numpy(), s[f"{rate}_n"].to_numpy(), s["p"].to_numpy()
        lim = limits(p_s, n_s)
        value = k_s / n_s
        # A school's position uses the exact binomial tails, not the interpolated curves: with few students
        # an ordinary 5 / 5 lies above the interpolated upper limit (which stays just below 1).
        upper_p, lower_p = sps.binom.sf(k_s - 1, n_s, p_s), sps.binom.cdf(k_s, n_s, p_s)
        pos = np.select([upper_p < (1 - outer) / 2, upper_p < (1 - inner) / 2,
                         lower_p < (1 - outer) / 2, lower_p < (1 - inner) / 2],
                        [FUNNEL_POSITIONS[0], FUNNEL_POSITIONS[1], FUNNEL_POSITIONS[4], FUNNEL_POSITIONS[3]],
                        FUNNEL_POSITIONS[2])
        points.append(pd.DataFrame({
            "grade": s["grade"].to_numpy(), "subject": s["subject"].to_numpy(), "rate": f"{rate}_rate",
            "unit_code": s["unit_code"].to_numpy(), "unit_name": s["unit_name"].to_numpy(),
            "category": s["category"].to_numpy(), "n": s["tested_n"].to_numpy(),
            "k": s[f"{rate}_n"].to_numpy(), "value": value, "p": s["p"].to_numpy(), **lim, "position": pos}))
    curve_cols = [*PAPER, "rate", "p", "n", "inner_lo", "inner_hi", "outer_lo", "outer_hi"]
    point_cols = [*PAPER, "rate", "unit_code", "unit_name", "category", "n", "k", "value", "p",
                  "inner_lo", "inner_hi", "outer_lo", "outer_hi", "position"]
    c = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=curve_cols)
    pt = pd.concat(points, ignore_index=True) if points else pd.DataFrame(columns=point_cols)
    pt["position"] = pt["position"].astype("string")
    return _sort(c[curve_cols], [*PAPER, "rate", "n"]), _sort(pt[point_cols], [*PAPER, "rate", "unit_code"])
