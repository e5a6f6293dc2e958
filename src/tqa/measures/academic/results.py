"""The main result table per school, category and district x paper (``school_results``), and per class
(``class_results``): the measures of rates, standing and composite put side by side.

``stats`` is ``rates.subject_stats`` output (levels school / category / district); ``scores`` the checked
scores table; ``exam_spec`` the office exam spec; ``params`` ``tqa.params.load_params(term)``.
Small cohorts follow ``tqa.measures.cohorts``: banded by their interval from ``reporting.min_published_n`` tested
students, ranked from ``min_rank_n``; below ``min_published_n`` the row's figures are withheld from every report
(the table keeps them for the office's audit; ``cohorts.withhold`` blanks them where a report reads it).
Every output is sorted; every simulation is seeded (params uncertainty.rank_seed).
"""

from __future__ import annotations

import pandas as pd

from tqa.core import units
from tqa.core.ordering import sort_rows
from tqa.measures import cohorts
from tqa.measures import intervals as unc
from tqa.measures.academic import composite, standing
from tqa.measures.academic import rates as scoring
from tqa.params import Params
from tqa.schema.tables import SCORES

UNIT = ["unit_code", "grade", "subject"]


BAND_COLUMNS = (
    "mean_diff",
    "mean_diff_z",
    "mean_diff_z_lo",
    "mean_diff_z_hi",
    "mean_band",
    *(f"{r}_rate_{c}" for r in unc.RATE_NAMES for c in ("diff", "diff_lo", "diff_hi", "band")),
    "rank_metric",
    "rank_lo",
    "rank_hi",
    "rank_median",
    "rank_n",
)


def _student_mean_z(stats: pd.DataFrame, scores: pd.DataFrame, exam_spec: pd.DataFrame, params: Params) -> pd.DataFrame:
    """平均标准分 per level x unit x paper: the mean of the students' z against the district paper."""
    school = units.rows(stats, units.SCHOOL)[["unit_code", "category"]].drop_duplicates()
    school = school.rename(columns={"unit_code": "school_code"})
    scores = scoring.score_input(scores)
    rows = scoring.score_with_lines(scores[scores["school_code"].isin(school["school_code"])], exam_spec, params)
    rows = rows.merge(school, on="school_code", how="left").assign(_unit=units.DISTRICT_CODE)
    z = standing.standard_scores(rows)  # the same z for every level: computed once
    parts = []
    for level in units.HIERARCHY:
        key = level.key or "_unit"
        part = standing.mean_z_by(z, (key,)).rename(columns={key: "unit_code"})
        parts.append(part.assign(level=level.name))
    out = pd.concat(parts, ignore_index=True)
    out["unit_code"] = out["unit_code"].astype("str")
    return out[["level", *UNIT, "mean_z", "mean_t"]]


def school_results(stats: pd.DataFrame, scores: pd.DataFrame, exam_spec: pd.DataFrame, params: Params) -> pd.DataFrame:
    """One row per stats row (school, category, district x grade x subject), everything a report table needs.

    Columns: the subject_stats columns, then
      mean_lo / mean_hi (t interval), <rate>_rate_lo / _hi (Wilson), at uncertainty.level;
      mean_share (mean / full marks), mean_z (平均标准分, mean of the students' z against the district's same
        paper), mean_t (50 + 10 mean_z), ratio_to_mean (比均率);
      composite (综合得分, params composite.weights), composite_rank_district / composite_rank_category;
      school rows only: mean_diff, mean_diff_z (+ _lo / _hi), mean_band, <rate>_rate_diff (+ _lo / _hi),
        <rate>_rate_band (Progress-8-style bands against the district, ``standing.school_bands``),
        rank_metric, rank_lo, rank_hi, rank_median, rank_n (simulated rank interval);
      sample_status, publishable (n >= min_published_n), rankable (school and n >= min_rank_n).
    Every rank column (scoring's, composite's, the rank interval) ranks only the rankable schools; the
    others get NA. Level-graded papers (grades 1-2) have no rank at all (``drop_level_ranks``).
    Statistics of small rows are kept (internal table): the public view suppresses them.
    """
    level = float(params.uncertainty.level)
    base = unc.add_intervals(stats, level)
    ranked = composite.add_composite(scoring.add_ranks(standing.rankable_only(base, params), params), params)
    ranked["tested_n"] = base["tested_n"].to_numpy()
    out = ranked.drop(columns=["mean_z"]).merge(
        _student_mean_z(stats, scores, exam_spec, params), on=["level", *UNIT], how="left"
    )
    bands = standing.school_bands(stats, params).assign(level=units.SCHOOL.name)
    out = out.merge(bands[["level", *UNIT, *BAND_COLUMNS]], on=["level", *UNIT], how="left")
    out["sample_status"] = cohorts.sample_status(out["tested_n"], params)
    out["publishable"] = cohorts.shown(out["tested_n"], params)
    out["rankable"] = units.is_level(out, units.SCHOOL) & cohorts.rankable(out["tested_n"], params)
    out = standing.drop_level_ranks(out[list(SCORES["results"].names)]).assign(_cat=out["unit_code"].astype("string"))
    return sort_rows(out, ["level", "_cat", "grade", "subject"]).drop(columns="_cat")


def class_results(scores: pd.DataFrame, exam_spec: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Per class x subject (班级对比): ``scoring.class_stats`` + intervals + the school grade's figures.

    Added columns: mean_lo / mean_hi, <rate>_rate_lo / _hi; school_tested_n, school_mean, school_pass_rate
    (the school's whole grade, pooled over its classes); mean_vs_school, pass_rate_vs_school (class -
    school); sample_status (classes are never ranked; below min_published_n nothing is published).
    """
    level = float(params.uncertainty.level)
    out = unc.add_intervals(scoring.class_stats(scores, exam_spec, params), level)
    keys = ["school_code", "grade", "subject"]
    g = (
        out.assign(_sum=out["mean"].fillna(0) * out["tested_n"])
        .groupby(keys, as_index=False)
        .agg(school_tested_n=("tested_n", "sum"), _sum=("_sum", "sum"), _pass=("pass_n", "sum"))
    )
    tested = g["school_tested_n"].astype("float64").where(g["school_tested_n"] > 0)
    g["school_mean"] = g["_sum"] / tested
    g["school_pass_rate"] = g["_pass"] / tested
    out = out.merge(g.drop(columns=["_sum", "_pass"]), on=keys, how="left")
    out["school_mean"] = out["school_mean"].where(out["mean"].notna())  # level papers: no mean at all
    out["mean_vs_school"] = out["mean"] - out["school_mean"]
    out["pass_rate_vs_school"] = out["pass_rate"] - out["school_pass_rate"]
    out["sample_status"] = cohorts.sample_status(out["tested_n"], params)
    return sort_rows(out, ["school_code", "grade", "subject", "class_no"])
