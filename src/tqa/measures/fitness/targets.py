"""体质健康 targets: the national 优良率 goals and the district's own per grade band, met or not, with the gap.

A target is called missed for certain only where the rate's whole interval lies below it (``STATUS_MISSED``);
a rate below its target whose interval reaches the target is below it "within chance" (``STATUS_WITHIN``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tqa.core.ordering import sort_rows
from tqa.measures.cohorts import sample_status
from tqa.measures.fitness.rates import RATES, SEX_ALL, unit_key
from tqa.params import Params
from tqa.schema.tables import SCORES

STATUS_MET = "达成"
STATUS_MISSED = "未达成（区间支持）"
STATUS_WITHIN = "低于目标，但在随机波动范围内"
RATE_DECIMALS = 9  # a gap of 0.5 - 0.5 must be 0, not -1e-17


def target_list(grade: int, params: Params) -> list[tuple[str, str, str, float]]:
    """(target_id, label, indicator, value) of the targets that apply to ``grade``: the national goals, then the
    district's for the grade's band (a band without an entry, or an indicator left out, has none)."""
    out = [
        (f"national_{t.year}", f"国家目标（{t.year} 年）", "good_or_better_rate", float(t.good_or_better_rate))
        for t in params.fitness.national_targets
    ]
    band = params.grade_band(grade)
    own = params.fitness.district_targets.get(band) if band else None
    for indicator in ("good_or_better_rate", "pass_or_better_rate"):
        value = getattr(own, indicator, None) if own is not None else None
        if value is not None:
            out.append(("district", f"本区目标（{band}）", indicator, float(value)))
    return out


def attainment_status(actual, lo, hi, target) -> tuple[pd.Series, pd.Series, pd.Series]:
    """met (actual >= target), gap (actual - target, >= 0 when met) and the status words; NA where no rate."""
    a, h, t = (pd.Series(np.asarray(v, dtype="float64")) for v in (actual, hi, target))
    gap = (a - t).round(RATE_DECIMALS)
    met = (gap >= 0).astype("boolean").mask(a.isna())
    status = np.select([gap >= 0, h < t, a.notna()], [STATUS_MET, STATUS_MISSED, STATUS_WITHIN], default="")
    status = pd.Series(status, dtype="string").replace("", pd.NA)
    return met, gap, status


def fitness_targets(stats: pd.DataFrame, params: Params) -> pd.DataFrame:
    """One row per unit x grade (sexes pooled, someone tested) x target: target, actual 优良率 / 达标率 with its
    interval, met, gap (actual - target) and status (达成 / 未达成（区间支持） / 低于目标，但在随机波动范围内)."""
    base = stats[(stats["sex"] == SEX_ALL) & (stats["tested_n"] > 0)]
    parts = []
    for grade, rows in base.groupby("grade", sort=True):
        for target_id, label, indicator, value in target_list(int(grade), params):
            parts.append(
                rows.assign(
                    target_id=target_id,
                    target_label=label,
                    indicator=indicator,
                    indicator_label=RATES[indicator][1],
                    target=value,
                    actual=rows[indicator],
                    lo=rows[f"{indicator}_lo"],
                    hi=rows[f"{indicator}_hi"],
                )
            )
    if not parts:
        return SCORES["fitness_targets"].empty()
    out = pd.concat(parts, ignore_index=True)
    out["met"], out["gap"], out["status"] = attainment_status(out["actual"], out["lo"], out["hi"], out["target"])
    out["sample_status"] = sample_status(out["tested_n"], params)
    out = SCORES["fitness_targets"].conform(out[list(SCORES["fitness_targets"].names)])
    national = out["target_id"].str.startswith("national_")
    key = unit_key(out)
    out = out.assign(_u=key, _t=np.where(national, 0, 1))
    return sort_rows(out, ["level", "_u", "grade", "_t", "target_id", "indicator"]).drop(columns=["_u", "_t"])
