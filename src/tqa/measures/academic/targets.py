"""目标达成: each unit's rates against the targets of params ``targets`` (floors and ceilings), with the gap."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tqa.core.ordering import sort_rows
from tqa.measures.cohorts import sample_status
from tqa.params import Params
from tqa.schema.tables import SCORES

RATE_DECIMALS = 9


TARGET_INDICATORS = {  # params key -> (stats column, floor or ceiling, Chinese label)
    "pass_rate": ("pass_rate", "floor", "及格率"),
    "excellent_rate": ("excellent_rate", "floor", "优秀率"),
    "low_rate_max": ("low_rate", "ceiling", "低分率"),
}

KIND_LABELS = {"floor": "不低于", "ceiling": "不高于"}


def target_attainment(stats: pd.DataFrame, params: Params) -> pd.DataFrame:
    """One row per stats row (tested_n > 0) and target: target, actual, met and gap.

    Floors (pass_rate, excellent_rate): met when actual >= target, gap = actual - target. Ceiling
    (low_rate_max): met when actual <= target, gap = target - actual. So gap >= 0 always means met.
    """
    rows = []
    base = stats[stats["tested_n"] > 0]
    for rec in base.itertuples(index=False):
        for key, target in params.targets_for(int(rec.grade), rec.subject).items():
            col, kind, label = TARGET_INDICATORS[key]
            actual = getattr(rec, col)
            if pd.isna(actual):
                gap, met = np.nan, pd.NA
            else:
                gap = round((actual - target) if kind == "floor" else (target - actual), RATE_DECIMALS)
                met = bool(gap >= 0)
            rows.append(
                {
                    "level": rec.level,
                    "unit_code": rec.unit_code,
                    "unit_name": rec.unit_name,
                    "category": rec.category,
                    "grade": rec.grade,
                    "subject": rec.subject,
                    "tested_n": rec.tested_n,
                    "indicator": col,
                    "indicator_label": label,
                    "kind": KIND_LABELS[kind],
                    "target": target,
                    "actual": actual,
                    "met": met,
                    "gap": gap,
                }
            )
    out = pd.DataFrame(rows, columns=[c for c in SCORES["targets"].names if c != "sample_status"])
    out["met"] = out["met"].astype("boolean")
    out["gap"] = out["gap"].astype("float64")
    return out.reset_index(drop=True)


def targets(stats: pd.DataFrame, params: Params) -> pd.DataFrame:
    """目标达成 per unit x grade x subject and target (``target_attainment``; params targets).

    Columns: target, actual, met, gap (gap >= 0 means met) and sample_status (the scores table ``targets``).
    """
    out = target_attainment(stats, params)
    out["sample_status"] = sample_status(out["tested_n"], params)
    order = {k: i for i, k in enumerate(v[0] for v in TARGET_INDICATORS.values())}
    out = out.assign(_u=out["unit_code"].astype("string"), _i=out["indicator"].map(order))
    return sort_rows(out, ["level", "_u", "grade", "subject", "_i"]).drop(columns=["_u", "_i"])
