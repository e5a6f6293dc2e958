"""总分: each student's total over the score-graded papers of their grade, and its 一分三率 per school,
category and district x grade.

Pure functions on the checked tables (``tqa.schema.tables``):

- ``grade_papers``: per grade, the score-graded papers (exam spec mode 分数) and what their total is made of:
  n_papers, full marks and the three lines, each the sum over the papers;
- ``student_totals``: one row per student (school_code, grade, student_id) with the total, or none;
- ``total_stats``: the table ``total_stats``, one row per school / category / district x grade.

The choices, also in docs/methodology.md (三、一分三率, 总分):

- Papers: all the papers of the grade whose mode is 分数 in the exam spec. Level-graded papers (grades 1-2,
  mode 等级) have no marks, so a grade with only those has no total and no row.
- Who has a total: a student tested (status scored) on every one of those papers, with exactly one row per
  paper. A student absent, exempt or invalid on any paper, with no row for a paper (the school's sheet lacks
  the subject), or listed twice on a paper under one 全国学籍号 (which row would count is unknown) has no total
  and is counted in ``incomplete_n``. Never a total over fewer papers: it would not be comparable with the
  others (nor a missing paper as 0 marks, which would pull the mean down as an absence does not).
- Full marks and lines: full_marks = the sum of the papers' full marks; pass / excellent / low line = the sum of
  the papers' lines in marks (``rates.exam_lines``: the share of params ``rates`` for each paper x its full
  marks), so with the default shares 60% / 85% / 40% of every paper the total's lines are the same shares of
  its full marks, and a paper with its own share (``rates.overrides``) counts with that share. Passing the
  total is not passing every paper: a high mark on one paper can make up for a low one on another.
  Totals and lines are rounded to ``rates.LINE_DECIMALS`` (float noise of sums of decimals); pass and
  excellent are >= their line, low is < its line, as for a paper.
- Pooling: a category or district count is the sum over its schools (``units.pool``) and its mean / sd are
  over all its students' totals, as ``rates.subject_stats`` does. Only usable schools count.
- Uncertainty and bands: as for a paper (``intervals.add_intervals``: t interval of the mean clipped to
  0..full_marks, Wilson intervals of the rates; ``standing.mean_bands``: the school minus the district in
  district-SD units with its interval and band); the small-cohort rule of ``cohorts`` on tested_n (students
  with a total). No rank.
"""

from __future__ import annotations

import pandas as pd

from tqa.core import units
from tqa.core.ordering import category_key, sort_rows, subject_sort_key
from tqa.core.vocabulary import EXAM_MODE_SCORE
from tqa.measures import cohorts
from tqa.measures import intervals as unc
from tqa.measures.academic import rates, standing
from tqa.params import Params
from tqa.schema.tables import SCORES

LINES = ("pass_line", "excellent_line", "low_line")
PAPERS_COLUMNS = ("grade", "subjects", "n_papers", "full_marks", *LINES)
STUDENT_KEYS = ["school_code", "grade", "student_id"]
STUDENT_COLUMNS = (
    *STUDENT_KEYS,
    "n_papers",
    "papers_tested",
    "complete",
    "total",
    "is_pass",
    "is_excellent",
    "is_low",
)
COUNTS = ("tested_n", "incomplete_n", "pass_n", "excellent_n", "low_n")
POOLED_RATES = {f"{r}_rate": (f"{r}_n", "tested_n") for r in unc.RATE_NAMES}
SUBJECT_SEPARATOR = "、"


def grade_papers(exam_spec: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Per grade with at least one score-graded paper: subjects (in subject order, joined by 、), n_papers, and
    full_marks, pass_line, excellent_line, low_line summed over its papers (NaN if a paper lacks them)."""
    spec = rates.exam_lines(exam_spec, params)
    spec = spec[spec["mode"] == EXAM_MODE_SCORE]
    spec = spec.assign(_order=subject_sort_key(spec["subject"])).sort_values(["grade", "_order"], kind="stable")
    g = spec.groupby("grade", sort=True)
    out = pd.DataFrame(
        {
            "subjects": g["subject"].agg(SUBJECT_SEPARATOR.join),
            "n_papers": g["subject"].size().astype("int64"),
            **{c: g[c].sum(min_count=1).where(g[c].count() == g[c].size()) for c in ("full_marks", *LINES)},
        }
    ).reset_index()
    for c in ("full_marks", *LINES):
        out[c] = out[c].astype("float64").round(rates.LINE_DECIMALS)
    return out[list(PAPERS_COLUMNS)]


def student_totals(scores: pd.DataFrame, exam_spec: pd.DataFrame, params: Params) -> pd.DataFrame:
    """One row per student (school_code, grade, student_id) with a row on a score-graded paper of their grade.

    papers_tested: papers with a score; complete: one row on each of the grade's n_papers papers and a score on
    every one; total: the sum of the scores (NaN unless complete); is_pass / is_excellent / is_low: the total
    against the summed lines (False without a total). Sorted by school, grade, student."""
    papers = grade_papers(exam_spec, params)
    rows = rates.score_with_lines(rates.score_input(scores, "student_id"), exam_spec, params)
    rows = rows[rows["mode"] == EXAM_MODE_SCORE]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in STUDENT_COLUMNS})
    score = rows["score"].where(rows["is_tested"])
    g = rows.assign(_score=score).groupby(STUDENT_KEYS, sort=True)
    per = pd.DataFrame(
        {
            "rows_n": g["subject"].size(),
            "subjects_n": g["subject"].nunique(),
            "papers_tested": g["_score"].count(),
            "total": g["_score"].sum(),
        }
    ).reset_index()
    per = per.merge(papers, on="grade", how="left", validate="many_to_one")
    n = per["n_papers"]
    complete = (per["rows_n"] == n) & (per["subjects_n"] == n) & (per["papers_tested"] == n)
    per["complete"] = complete.astype(bool)
    per["total"] = per["total"].astype("float64").round(rates.LINE_DECIMALS).where(per["complete"])
    per["is_pass"] = (per["total"] >= per["pass_line"]).fillna(False).astype(bool)
    per["is_excellent"] = (per["total"] >= per["excellent_line"]).fillna(False).astype(bool)
    per["is_low"] = (per["total"] < per["low_line"]).fillna(False).astype(bool) & per["complete"]
    per["papers_tested"] = per["papers_tested"].astype("int64")
    return per[list(STUDENT_COLUMNS)].reset_index(drop=True)


def _aggregate(students: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Counts, mean and sd of the totals per group of ``student_totals`` rows."""
    g = students.assign(incomplete=~students["complete"]).groupby(keys, sort=True, dropna=False)
    out = pd.DataFrame(
        {
            "tested_n": g["complete"].sum(),
            "incomplete_n": g["incomplete"].sum(),
            "mean": g["total"].mean(),
            "sd": g["total"].std(ddof=1),
            "pass_n": g["is_pass"].sum(),
            "excellent_n": g["is_excellent"].sum(),
            "low_n": g["is_low"].sum(),
        }
    ).reset_index()
    for c in COUNTS:
        out[c] = out[c].astype("int64")
    return out


def total_stats(scores: pd.DataFrame, returns: pd.DataFrame, exam_spec: pd.DataFrame, params: Params) -> pd.DataFrame:
    """总分 per school, category and district x grade (the table ``total_stats``).

    Columns: level, unit_code, unit_name, category, grade (as subject_stats); subjects, n_papers, full_marks,
    pass_line, excellent_line, low_line (what the total is made of, ``grade_papers``); tested_n (students with
    a total), incomplete_n (students of the grade's papers without one); mean, sd, mean_lo / mean_hi;
    pass_n, pass_rate (+ _lo / _hi) and the same for excellent and low; school rows only: mean_diff (marks,
    school - district), mean_diff_z (+ _lo / _hi) and mean_band (``standing.mean_bands``); sample_status and
    publishable (``cohorts`` on tested_n). A school x grade is present when any of its students has a row on
    the grade's score-graded papers; usable schools only (returns.usable). Statistics of small cohorts are kept
    (internal table): ``cohorts.withhold`` with the table's WITHHOLD rule blanks them where a report reads it.
    """
    level = float(params.uncertainty.level)
    spec = SCORES["total_stats"]
    schools = rates.usable_schools(returns)
    students = student_totals(scores[scores["school_code"].isin(schools["school_code"])], exam_spec, params)
    if students.empty:
        return spec.empty()
    students = students.merge(schools[["school_code", "category"]], on="school_code", how="left")

    # schools
    school = _aggregate(students, ["school_code", "grade"]).merge(schools, on="school_code", how="left")
    school = school.assign(level=units.SCHOOL.name, unit_code=school["school_code"], unit_name=school["school_name"])
    for name, (num, den) in POOLED_RATES.items():
        school[name] = school[num].astype("float64") / school[den].astype("float64").where(school[den] > 0)

    # categories and the district: counts and rates summed over the schools, mean and sd over their students
    pooled = units.pool(school, ["grade"], sums=list(COUNTS), rates=POOLED_RATES)
    moments = []
    for lv in units.POOLED:
        keys = [*([lv.key] if lv.key else []), "grade"]
        m = _aggregate(students, keys)
        moments.append(
            m.assign(level=lv.name, unit_code=units.unit_of(lv, m))[["level", "unit_code", "grade", "mean", "sd"]]
        )
    pooled = pooled.merge(pd.concat(moments, ignore_index=True), on=["level", "unit_code", "grade"], how="left")
    is_category = units.is_level(pooled, units.CATEGORY)
    pooled["category"] = pooled["unit_code"].where(is_category)
    pooled["unit_name"] = pooled["unit_code"].where(is_category, units.DISTRICT_NAME)
    for c in COUNTS:
        pooled[c] = pooled[c].astype("int64")

    out = pd.concat([school, pooled], ignore_index=True)
    out = out.merge(grade_papers(exam_spec, params), on="grade", how="left", validate="many_to_one")
    out["mean"], out["sd"] = out["mean"].astype("float64"), out["sd"].astype("float64")
    out = unc.add_intervals(out, level)

    # the school against the district, as for a paper
    m = standing.school_district(out, keys=("grade",))
    bands = pd.concat([m[["unit_code", "grade"]], standing.mean_bands(m, params)], axis=1)
    out = out.merge(bands.assign(level=units.SCHOOL.name), on=["level", "unit_code", "grade"], how="left")
    out["mean_band"] = out["mean_band"].astype("string")
    out["sample_status"] = cohorts.sample_status(out["tested_n"], params)
    out["publishable"] = cohorts.shown(out["tested_n"], params)
    out["category"] = out["category"].astype("str")
    out = spec.conform(out[list(spec.names)])
    key = category_key(out["unit_code"]).where(units.is_level(out, units.CATEGORY), out["unit_code"].astype("string"))
    return sort_rows(out.assign(_cat=key), ["level", "_cat", "grade"]).drop(columns="_cat")
