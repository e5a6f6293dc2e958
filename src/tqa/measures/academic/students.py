"""学生层面: tiers (优生 / 中等生 / 学困生), 临界生 near the pass or excellence line, and targets (目标达成).

Pure functions on ``tqa.scoring`` outputs. Student-level tables are for internal and school reports only:
``tqa.disclosure.public_tables`` leaves them out of anything public.

- ``student_tiers(rows, params)`` / ``tier_counts(tiered)``: tier per tested student and counts per class;
- ``borderline_students(rows, params)`` / ``borderline_counts(border)``: students within a margin below a line;
- ``targets_for(grade, subject, params)`` / ``target_attainment(stats, params)``: met or not, with the gap.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tqa.params import resolve_overrides

DECIMALS = 6  # as scoring.LINE_DECIMALS: lines in marks are rounded to remove float noise
RATE_DECIMALS = 9
CLASS_KEYS = ["school_code", "grade", "class_no", "subject"]

TIER_TOP, TIER_MIDDLE, TIER_LOW = "优生", "中等生", "学困生"
TIERS = (TIER_TOP, TIER_MIDDLE, TIER_LOW)
TIER_COLUMNS = {TIER_TOP: "top", TIER_MIDDLE: "middle", TIER_LOW: "struggling"}
BORDER_PASS, BORDER_EXCELLENT = "临界及格", "临界优秀"

DEFAULTS: dict[str, Any] = {
    "tiers": {"top": 0.85, "struggling_below": 0.60},
    "borderline": {"margin": 0.05},
}
TARGET_INDICATORS = {  # params key -> (stats column, floor or ceiling, Chinese label)
    "pass_rate": ("pass_rate", "floor", "及格率"),
    "excellent_rate": ("excellent_rate", "floor", "优秀率"),
    "low_rate_max": ("low_rate", "ceiling", "低分率"),
}
KIND_LABELS = {"floor": "不低于", "ceiling": "不高于"}
TARGET_COLUMNS = ("level", "unit_code", "unit_name", "category", "grade", "subject", "tested_n", "indicator",
                  "indicator_label", "kind", "target", "actual", "met", "gap")


def _block(params: dict[str, Any] | None, key: str) -> dict[str, Any]:
    out = dict(DEFAULTS.get(key, {}))
    out.update((params or {}).get(key) or {})
    return out


def _scored(rows: pd.DataFrame) -> pd.DataFrame:
    """Tested rows with a numeric score (level-graded papers have none)."""
    return rows[rows["is_tested"].astype(bool) & rows["score"].notna()]


# ---- tiers -----------------------------------------------------------------------------------------

def student_tiers(rows: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Tested score rows with share = score / full marks and tier: 优生 share >= top, 学困生 share <
    struggling_below, else 中等生 (params tiers, shares of full marks)."""
    return _tiers(rows, params).sort_values([*CLASS_KEYS, "student_id"]).reset_index(drop=True)


def _tiers(rows: pd.DataFrame, params: dict[str, Any] | None) -> pd.DataFrame:
    """``student_tiers`` in the rows' order (enough for counting)."""
    t = _block(params, "tiers")
    out = _scored(rows)
    full = out["full_marks"].astype("float64")
    top_line = (float(t["top"]) * full).round(DECIMALS)
    low_line = (float(t["struggling_below"]) * full).round(DECIMALS)
    out["share"] = out["score"] / full
    out["tier"] = pd.Series(np.where(out["score"] >= top_line, TIER_TOP,
                                     np.where(out["score"] < low_line, TIER_LOW, TIER_MIDDLE)),
                            index=out.index, dtype="string")
    return out


def class_tier_counts(rows: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """``tier_counts(student_tiers(rows, params))`` without sorting the students first (counts do not
    depend on their order)."""
    return tier_counts(_tiers(rows, params))


def tier_counts(tiered: pd.DataFrame, keys: list[str] | None = None) -> pd.DataFrame:
    """Per class x subject (or ``keys``): tested_n, top_n / middle_n / struggling_n and their shares."""
    keys = keys or CLASS_KEYS
    counts = tiered.groupby([*keys, "tier"]).size().unstack("tier", fill_value=0)
    out = pd.DataFrame(index=counts.index)
    for tier, name in TIER_COLUMNS.items():
        out[f"{name}_n"] = (counts[tier] if tier in counts.columns else 0)
    out["tested_n"] = out[[f"{n}_n" for n in TIER_COLUMNS.values()]].sum(axis=1)
    for name in TIER_COLUMNS.values():
        out[f"{name}_n"] = out[f"{name}_n"].astype("int64")
        out[f"{name}_share"] = out[f"{name}_n"] / out["tested_n"]
    return out.reset_index().sort_values(keys).reset_index(drop=True)


# ---- 临界生 -----------------------------------------------------------------------------------------

def borderline_students(rows: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Students with line - margin x full <= score < line, for the pass and the excellence line.

    ``rows``: scoring.score_with_lines output (pass_line / excellent_line in marks). One row per student
    and line (a student can be near both when the lines are closer than the margin). gap = line - score.
    """
    margin = float(_block(params, "borderline")["margin"])
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
        out[name] = (counts[label] if label in counts.columns else 0)
        out[name] = out[name].astype("int64")
    return out.reset_index().sort_values(keys).reset_index(drop=True)


# ---- targets ---------------------------------------------------------------------------------------

def targets_for(grade: int, subject: str, params: dict[str, Any]) -> dict[str, float]:
    """The targets for one grade and subject: targets.default, then targets.overrides in order (each with
    optional band / grade / subject, as rates.overrides). A key set to null removes that target."""
    t = (params or {}).get("targets") or {}
    out = resolve_overrides(t.get("default"), t.get("overrides"), TARGET_INDICATORS, grade, subject, params)
    return {k: float(v) for k, v in out.items() if k in TARGET_INDICATORS and v is not None}


def target_attainment(stats: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """One row per stats row (tested_n > 0) and target: target, actual, met and gap.

    Floors (pass_rate, excellent_rate): met when actual >= target, gap = actual - target. Ceiling
    (low_rate_max): met when actual <= target, gap = target - actual. So gap >= 0 always means met.
    """
    rows = []
    base = stats[stats["tested_n"] > 0]
    for rec in base.itertuples(index=False):
        for key, target in targets_for(int(rec.grade), rec.subject, params).items():
            col, kind, label = TARGET_INDICATORS[key]
            actual = getattr(rec, col)
            if pd.isna(actual):
                gap, met = np.nan, pd.NA
            else:
                gap = round((actual - target) if kind == "floor" else (target - actual), RATE_DECIMALS)
                met = bool(gap >= 0)
            rows.append({"level": rec.level, "unit_code": rec.unit_code, "unit_name": rec.unit_name,
                         "category": rec.category, "grade": rec.grade, "subject": rec.subject,
                         "tested_n": rec.tested_n, "indicator": col, "indicator_label": label,
                         "kind": KIND_LABELS[kind], "target": target, "actual": actual, "met": met, "gap": gap})
    out = pd.DataFrame(rows, columns=list(TARGET_COLUMNS))
    out["met"] = out["met"].astype("boolean")
    out["gap"] = out["gap"].astype("float64")
    return out.reset_index(drop=True)
