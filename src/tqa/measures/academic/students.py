"""学生层面: tiers (优生 / 中等生 / 学困生) and 临界生 near the pass or excellence line (internal only).

Student-level tables are for the school's own report: ``tqa.reports.disclosure.public_tables`` leaves them out
of anything public.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tqa.core.ordering import sort_rows
from tqa.measures.academic import rates as scoring
from tqa.params import Params

DECIMALS = 6  # as scoring.LINE_DECIMALS: lines in marks are rounded to remove float noise

CLASS_KEYS = ["school_code", "grade", "class_no", "subject"]

TIER_TOP, TIER_MIDDLE, TIER_LOW = "优生", "中等生", "学困生"
TIERS = (TIER_TOP, TIER_MIDDLE, TIER_LOW)

TIER_COLUMNS = {TIER_TOP: "top", TIER_MIDDLE: "middle", TIER_LOW: "struggling"}
BORDER_PASS, BORDER_EXCELLENT = "临界及格", "临界优秀"
BORDERLINES = (BORDER_PASS, BORDER_EXCELLENT)


def _scored(rows: pd.DataFrame) -> pd.DataFrame:
    """Tested rows with a numeric score (level-graded papers have none)."""
    return rows[rows["is_tested"].astype(bool) & rows["score"].notna()]


def student_tiers(rows: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Tested score rows with share = score / full marks and tier: 优生 share >= top, 学困生 share <
    struggling_below, else 中等生 (params tiers, shares of full marks)."""
    return _tiers(rows, params).sort_values([*CLASS_KEYS, "student_id"]).reset_index(drop=True)


def _tiers(rows: pd.DataFrame, params: Params) -> pd.DataFrame:
    """``student_tiers`` in the rows' order (enough for counting)."""
    out = _scored(rows)
    full = out["full_marks"].astype("float64")
    top_line = (float(params.tiers.top) * full).round(DECIMALS)
    low_line = (float(params.tiers.struggling_below) * full).round(DECIMALS)
    out["share"] = out["score"] / full
    out["tier"] = pd.Series(
        np.where(out["score"] >= top_line, TIER_TOP, np.where(out["score"] < low_line, TIER_LOW, TIER_MIDDLE)),
        index=out.index,
        dtype="string",
    )
    return out


def class_tier_counts(rows: pd.DataFrame, params: Params) -> pd.DataFrame:
    """``tier_counts(student_tiers(rows, params))`` without sorting the students first (counts do not
    depend on their order)."""
    return tier_counts(_tiers(rows, params))


def tier_counts(tiered: pd.DataFrame, keys: list[str] | None = None) -> pd.DataFrame:
    """Per class x subject (or ``keys``): tested_n, top_n / middle_n / struggling_n and their shares."""
    keys = keys or CLASS_KEYS
    counts = tiered.groupby([*keys, "tier"]).size().unstack("tier", fill_value=0)
    out = pd.DataFrame(index=counts.index)
    for tier, name in TIER_COLUMNS.items():
        out[f"{name}_n"] = counts[tier] if tier in counts.columns else 0
    out["tested_n"] = out[[f"{n}_n" for n in TIER_COLUMNS.values()]].sum(axis=1)
    for name in TIER_COLUMNS.values():
        out[f"{name}_n"] = out[f"{name}_n"].astype("int64")
        out[f"{name}_share"] = out[f"{name}_n"] / out["tested_n"]
    return out.reset_index().sort_values(keys).reset_index(drop=True)


def borderline_students(rows: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Students with line - margin x full <= score < line, for the pass and the excellence line.

    ``rows``: scoring.score_with_lines output (pass_line / excellent_line in marks). One row per student
    and line (a student can be near both when the lines are closer than the margin). gap = line - score.
    """
    margin = float(params.borderline.margin)
    out = []
    scored = _scored(rows)
    for line_col, label in (("pass_line", BORDER_PASS), ("excellent_line", BORDER_EXCELLENT)):
        line = scored[line_col].astype("float64")
        lower = (line - margin * scored["full_marks"].astype("float64")).round(DECIMALS)
        near = (scored["score"] >= lower) & (scored["score"] < line)
        part = scored.loc[near.fillna(False)].assign(borderline=label, line=line[near.fillna(False)])
        out.append(part)
    res = pd.concat(out, ignore_index=True)
    res["gap"] = (res["line"] - res["score"]).round(DECIMALS)
    res["borderline"] = res["borderline"].astype("string")
    cols = [*CLASS_KEYS, "student_id", "score", "full_marks", "borderline", "line", "gap"]
    return res[cols].sort_values([*CLASS_KEYS, "borderline", "gap", "student_id"]).reset_index(drop=True)


def borderline_counts(border: pd.DataFrame, keys: list[str] | None = None) -> pd.DataFrame:
    """Per class x subject (or ``keys``): number of 临界及格 and 临界优秀 students."""
    keys = keys or CLASS_KEYS
    counts = border.groupby([*keys, "borderline"]).size().unstack("borderline", fill_value=0)
    out = pd.DataFrame(index=counts.index)
    for label, name in ((BORDER_PASS, "near_pass_n"), (BORDER_EXCELLENT, "near_excellent_n")):
        out[name] = counts[label] if label in counts.columns else 0
        out[name] = out[name].astype("int64")
    return out.reset_index().sort_values(keys).reset_index(drop=True)


def student_lists(
    scores: pd.DataFrame, students: pd.DataFrame, exam_spec: pd.DataFrame, params: Params
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """学生层面, for school reports only (student-level: never public). Returns (class_counts, borderline).

    class_counts: school_code, grade, class_no, subject, top_n / middle_n / struggling_n (tiers,
      ``students.student_tiers``) with their shares, tested_n, near_pass_n, near_excellent_n.
    borderline (临界生): school_code, grade, class_no, subject, student_id, name, score, full_marks,
      borderline (临界及格 / 临界优秀), line, gap (marks short of the line); sorted by class, kind, gap.
    """
    rows = scoring.score_with_lines(scoring.score_input(scores, "class_no", "student_id"), exam_spec, params)
    counts = class_tier_counts(rows, params)
    border = borderline_students(rows, params)
    near = borderline_counts(border)
    counts = counts.merge(near, on=CLASS_KEYS, how="left")
    for col in ("near_pass_n", "near_excellent_n"):
        counts[col] = counts[col].fillna(0).astype("int64")
    names = students[["school_code", "student_id", "name"]].drop_duplicates(["school_code", "student_id"])
    border = border.merge(names, on=["school_code", "student_id"], how="left")
    border = border[[*CLASS_KEYS, "student_id", "name", "score", "full_marks", "borderline", "line", "gap"]]
    counts = sort_rows(counts, ["school_code", "grade", "subject", "class_no"])
    border = sort_rows(
        border,
        ["school_code", "grade", "subject", "class_no", "borderline", "gap", "student_id"],
        orders={"borderline": BORDERLINES},
    )
    return counts, border
