"""一分三率 (mean, pass / excellent / low-score rates), participation and ranks.

Pure functions on the checked tables (``tqa.schema.tables``):

- ``score_with_lines``: each score row with its paper's full marks, mode, lines in marks and flags;
- ``subject_stats``: one row per (level, unit, grade, subject), level school / category / district,
  with ranks among schools;
- ``class_stats``: the same statistics per school x grade x class x subject (for school reports).

Counts are kept beside rates. A category or district rate is sum(numerators) / sum(denominators) over its
schools (``tqa.core.units.pool``) and its mean / sd are over all its students' scores, never an average of
school figures.
Absent, exempt and invalid entries are counted but excluded from every score statistic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tqa.core import units
from tqa.core import vocabulary as vocab
from tqa.core.ordering import category_key, sort_rows
from tqa.params import Params
from tqa.schema.tables import PAPER_COLUMNS, SCORES

# Rate metrics and whether a higher value is better (for ranking).
RATE_METRICS = {"pass_rate": True, "excellent_rate": True, "low_rate": False}
HIGHER_IS_BETTER = {"mean": True, **RATE_METRICS}

# Lines are share x full marks; rounding removes float noise such as 0.57 * 100 = 56.99999999999999.
LINE_DECIMALS = 6
# Means of equal true value can differ in the last bit (summation order); rank on rounded values.
RANK_DECIMALS = 9

STAT_COLUMNS = (
    "listed_n",
    "exempt_n",
    "absent_n",
    "invalid_n",
    "tested_n",
    "mean",
    "sd",
    "min",
    "max",
    "pass_n",
    "pass_rate",
    "excellent_n",
    "excellent_rate",
    "low_n",
    "low_rate",
)
COUNT_COLUMNS = ("listed_n", "exempt_n", "absent_n", "invalid_n", "tested_n", "pass_n", "excellent_n", "low_n")
MOMENTS = ("mean", "sd", "min", "max")  # over the students: not additive over schools
POOLED_RATES = {f"{r}_rate": (f"{r}_n", "tested_n") for r in ("pass", "excellent", "low")}

# What class_stats gives (class_results adds the intervals and the school grade's figures).
CLASS_STATS_COLUMNS = (
    "school_code",
    "grade",
    "class_no",
    "subject",
    *PAPER_COLUMNS,
    *STAT_COLUMNS[:5],
    "participation",
    *STAT_COLUMNS[5:],
)
# The scores columns score_with_lines reads.
SCORE_INPUT_COLUMNS = ("school_code", "grade", "subject", "status", "score", "level")


# ---- per-row lines and flags ---------------------------------------------------------------


def exam_lines(exam_spec: pd.DataFrame, params: Params) -> pd.DataFrame:
    """The exam spec with pass / excellent / low lines in marks (NaN for level-graded subjects)."""
    spec = exam_spec[["grade", "subject", "full_marks", "mode"]].copy()
    spec["grade"] = spec["grade"].astype("int64")
    spec["full_marks"] = spec["full_marks"].astype("float64")
    lines = {"pass_line": [], "excellent_line": [], "low_line": []}
    for grade, subject, full, mode in spec.itertuples(index=False):
        th = params.rate_thresholds(grade, subject)
        is_level = mode == vocab.EXAM_MODE_LEVEL
        for key, share in (("pass_line", th["pass"]), ("excellent_line", th["excellent"]), ("low_line", th["low"])):
            lines[key].append(np.nan if is_level else round(float(share) * full, LINE_DECIMALS))
    for key, values in lines.items():
        spec[key] = pd.Series(values, index=spec.index, dtype="float64")
    return spec


def score_input(scores: pd.DataFrame, *extra: str) -> pd.DataFrame:
    """The columns of ``scores`` that score_with_lines reads, plus those of ``extra`` it has. A caller that
    needs no other column passes only these: every copy, filter and merge of the 500k-row table costs
    per column (text columns most)."""
    return scores[[c for c in scores.columns if c in SCORE_INPUT_COLUMNS or c in extra]]


def score_with_lines(scores: pd.DataFrame, exam_spec: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Each score row with full_marks, mode, the three lines and the flags the statistics add up.

    Rows whose (grade, subject) is not in the exam spec are dropped: without full marks no rate exists
    (the checks step reports such subjects). A row counts as tested when its status matches the paper's
    mode (scored for 分数, level for 等级); a mismatched status is counted as invalid.
    Flags is_pass / is_excellent / is_low are False for rows that were not tested.
    """
    spec = exam_lines(exam_spec, params)
    out = scores.copy()
    out["grade"] = out["grade"].astype("int64")
    out = out.merge(spec, on=["grade", "subject"], how="inner", validate="many_to_one")
    status = out["status"].astype("string")
    is_level_mode = (out["mode"] == vocab.EXAM_MODE_LEVEL).to_numpy()
    tested = np.where(is_level_mode, status == vocab.STATUS_LEVEL, status == vocab.STATUS_SCORED)
    tested = pd.Series(tested, index=out.index).fillna(False).astype(bool)
    out["is_exempt"] = (status == vocab.STATUS_EXEMPT).fillna(False).astype(bool)
    out["is_absent"] = (status == vocab.STATUS_ABSENT).fillna(False).astype(bool)
    out["is_invalid"] = ~(tested | out["is_exempt"] | out["is_absent"])
    out["is_tested"] = tested

    score = pd.to_numeric(out["score"], errors="coerce").astype("float64")
    out["score"] = score.where(tested & ~pd.Series(is_level_mode, index=out.index))
    levels = {"pass": params.levels.pass_, "excellent": params.levels.excellent, "low": params.levels.low}
    lvl = out["level"].astype("string")

    def by_mode(score_flag: pd.Series, level_set: list[str]) -> pd.Series:
        level_flag = lvl.isin(level_set).fillna(False)
        flag = pd.Series(np.where(is_level_mode, level_flag, score_flag.fillna(False)), index=out.index)
        return (flag & tested).astype(bool)

    out["is_pass"] = by_mode(out["score"] >= out["pass_line"], levels["pass"])
    out["is_excellent"] = by_mode(out["score"] >= out["excellent_line"], levels["excellent"])
    out["is_low"] = by_mode(out["score"] < out["low_line"], levels["low"])
    return out


# ---- aggregation ---------------------------------------------------------------------------


def _aggregate(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Counts, mean / sd / min / max and rates per group of student rows (output of score_with_lines)."""
    g = rows.assign(
        listed=1,
        tested_score=rows["score"].where(rows["is_tested"]),
    ).groupby(keys, sort=False, dropna=False)
    out = pd.DataFrame(
        {
            "listed_n": g["listed"].sum(),
            "exempt_n": g["is_exempt"].sum(),
            "absent_n": g["is_absent"].sum(),
            "invalid_n": g["is_invalid"].sum(),
            "tested_n": g["is_tested"].sum(),
            "mean": g["tested_score"].mean(),
            "sd": g["tested_score"].std(ddof=1),
            "min": g["tested_score"].min(),
            "max": g["tested_score"].max(),
            "pass_n": g["is_pass"].sum(),
            "excellent_n": g["is_excellent"].sum(),
            "low_n": g["is_low"].sum(),
        }
    ).reset_index()
    return _add_rates(out)


def _add_rates(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in COUNT_COLUMNS:
        out[col] = out[col].fillna(0).astype("int64")
    tested = out["tested_n"].astype("float64").where(out["tested_n"] > 0)
    for name in ("pass", "excellent", "low"):
        out[f"{name}_rate"] = out[f"{name}_n"].astype("float64") / tested
    for col in ("mean", "sd", "min", "max"):
        out[col] = out[col].astype("float64")
    return out


def _participation(
    tested: pd.Series, enrolled: pd.Series, exempt: pd.Series, params: Params
) -> tuple[pd.Series, pd.Series]:
    """Denominator (enrolled, minus exempt if params say so) and tested / denominator; NaN when <= 0."""
    enrolled = enrolled.astype("float64")
    exclude = params.participation.exclude_exempt_from_enrolled
    denom = enrolled - exempt.astype("float64") if exclude else enrolled
    denom = denom.where(denom > 0)
    return denom, tested.astype("float64") / denom


# ---- ranks ---------------------------------------------------------------------------------


def _rank(values: pd.Series, groups: list[pd.Series], higher_is_better: bool, method: str) -> pd.Series:
    vals = values.astype("float64").round(RANK_DECIMALS)
    ranked = vals.groupby(groups, dropna=False).rank(method=method, ascending=not higher_is_better)
    return ranked.astype("Int64")


def add_ranks(stats: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Ranks among schools (district-wide and within category) per grade x subject.

    Only school rows with tested_n > 0 and a value are ranked; ties share a rank (params ranking.tie_method).
    rank_district / rank_category rank by params ranking.rank_by; the rate ranks sit in
    <metric>_rank_district / <metric>_rank_category (low_rate: lower is better).
    """
    rank_by, method = params.ranking.rank_by, params.ranking.tie_method
    out = stats.copy()
    out["rank_by"] = rank_by
    eligible = units.is_level(out, units.SCHOOL) & (out["tested_n"] > 0)
    cand = out[eligible]
    scopes = {
        "district": [cand["grade"], cand["subject"]],
        "category": [cand["grade"], cand["subject"], cand["category"]],
    }
    targets = {"rank": rank_by, **{f"{m}_rank": m for m in RATE_METRICS}}
    for prefix, metric in targets.items():
        for scope, groups in scopes.items():
            col = f"{prefix}_{scope}"
            out[col] = pd.Series(pd.NA, index=out.index, dtype="Int64")
            out.loc[eligible, col] = _rank(cand[metric], groups, HIGHER_IS_BETTER[metric], method)
    for scope, groups in scopes.items():
        has_value = cand[rank_by].notna()
        n = has_value.groupby(groups, dropna=False).transform("sum")
        col = f"n_ranked_{scope}"
        out[col] = pd.Series(pd.NA, index=out.index, dtype="Int64")
        out.loc[eligible, col] = n.astype("Int64")
    return out


# ---- public statistics ---------------------------------------------------------------------


def usable_schools(returns: pd.DataFrame) -> pd.DataFrame:
    """school_code, school_name, category of the usable schools (returns.usable; all if the column is absent)."""
    schools = returns[["school_code", "school_name", "category"]].copy()
    if "usable" in returns.columns:
        schools = schools[returns["usable"].fillna(False).astype(bool).to_numpy()]
    return schools.drop_duplicates("school_code")


def _school_skeleton(
    rows: pd.DataFrame, enrolment: pd.DataFrame, spec: pd.DataFrame, schools: pd.DataFrame
) -> pd.DataFrame:
    """Every (school, grade, subject) that has score rows, or enrolment > 0 and a paper in the spec."""
    enr = enrolment[enrolment["school_code"].isin(schools["school_code"])].copy()
    enr["grade"] = enr["grade"].astype("int64")
    enr = enr.groupby(["school_code", "grade"], as_index=False)["enrolled"].sum(min_count=1)
    enr["enrolled"] = enr["enrolled"].astype("Int64")
    from_enrolment = enr[enr["enrolled"].fillna(0) > 0][["school_code", "grade"]].merge(
        spec[["grade", "subject"]], on="grade"
    )
    from_scores = rows[["school_code", "grade", "subject"]].drop_duplicates()
    skel = pd.concat([from_enrolment, from_scores], ignore_index=True).drop_duplicates()
    skel = skel.merge(enr, on=["school_code", "grade"], how="left")
    return skel.merge(schools, on="school_code", how="inner")


def subject_stats(
    scores: pd.DataFrame, enrolment: pd.DataFrame, returns: pd.DataFrame, exam_spec: pd.DataFrame, params: Params
) -> pd.DataFrame:
    """一分三率 and participation per school, category and district x grade x subject, with school ranks.

    Only usable schools count (returns.usable; all schools if the column is absent). A school with
    enrolment but nobody tested gets a row with tested_n 0, NaN rates and no rank. Pooled (category /
    district) enrolment and participation denominators are sums over schools whose enrolment is known.
    """
    schools = usable_schools(returns)
    spec = exam_lines(exam_spec, params)
    scores = score_input(scores)
    rows = score_with_lines(scores[scores["school_code"].isin(schools["school_code"])], exam_spec, params)
    rows = rows.merge(schools[["school_code", "category"]], on="school_code", how="left")
    paper_cols = ["full_marks", "mode", "pass_line", "excellent_line", "low_line"]

    # schools
    skel = _school_skeleton(rows, enrolment, spec, schools)
    per_school = _aggregate(rows, ["school_code", "grade", "subject"])
    school = skel.merge(per_school, on=["school_code", "grade", "subject"], how="left")
    school = _add_rates(school)
    school["participation_denominator"], school["participation"] = _participation(
        school["tested_n"], school["enrolled"], school["exempt_n"], params
    )
    school = school.assign(level=units.SCHOOL.name, unit_code=school["school_code"], unit_name=school["school_name"])

    # pooled levels (category, district): counts and rates summed over the schools (units.pool); enrolment and
    # participation over the schools whose enrolment is known; mean, sd, min and max over all their students
    by = ["grade", "subject"]
    pooled = units.pool(school, by, sums=["enrolled", *COUNT_COLUMNS], rates=POOLED_RATES)
    known = school[school["participation_denominator"].notna()]
    denom = units.pool(
        known,
        by,
        sums=["participation_denominator", "tested_n"],
        rates={"participation": ("tested_n", "participation_denominator")},
    )
    pooled = pooled.merge(denom.drop(columns="tested_n"), on=["level", "unit_code", *by], how="left")
    moments = []
    for level in units.POOLED:
        keys = [*([level.key] if level.key else []), *by]
        m = _aggregate(rows, keys) if len(rows) else pd.DataFrame(columns=[*keys, *STAT_COLUMNS])
        m = m.assign(level=level.name, unit_code=units.unit_of(level, m))
        moments.append(m[["level", "unit_code", *by, *MOMENTS]])
    pooled = pooled.merge(pd.concat(moments, ignore_index=True), on=["level", "unit_code", *by], how="left")
    for col in MOMENTS:
        pooled[col] = pooled[col].astype("float64")
    category = units.is_level(pooled, units.CATEGORY)
    pooled["category"] = pooled["unit_code"].where(category)
    pooled["unit_name"] = pooled["unit_code"].where(category, units.DISTRICT_NAME)

    out = pd.concat([school, pooled], ignore_index=True)
    out = out.drop(columns=paper_cols, errors="ignore").merge(spec, on=["grade", "subject"], how="left")
    out = add_ranks(out, params)
    out["participation_denominator"] = out["participation_denominator"].astype("float64")
    out["category"] = out["category"].astype("str")
    out = out[list(SCORES["subject_stats"].names)]
    out = out.assign(
        _cat=category_key(out["unit_code"]).where(
            units.is_level(out, units.CATEGORY), out["unit_code"].astype("string")
        )
    )
    return sort_rows(out, ["level", "_cat", "grade", "subject"]).drop(columns="_cat")


def class_stats(scores: pd.DataFrame, exam_spec: pd.DataFrame, params: Params) -> pd.DataFrame:
    """The same statistics per school x grade x class x subject (no ranks, no enrolment).

    Class participation = tested / (students listed for the paper, minus exempt if params say so): the
    class roster is the score sheet itself. The caller passes checked scores (usable schools only).
    """
    rows = score_with_lines(score_input(scores, "class_no"), exam_spec, params)
    keys = ["school_code", "grade", "class_no", "subject"]
    out = _aggregate(rows, keys)
    _, out["participation"] = _participation(out["tested_n"], out["listed_n"], out["exempt_n"], params)
    out = out.merge(exam_lines(exam_spec, params), on=["grade", "subject"], how="left")
    return sort_rows(out[list(CLASS_STATS_COLUMNS)], keys)
