"""The term's 巩固率 and 辍学率 per school x grade and pooled (category, district), from 学校信息's counts.

在籍人数 is the count at the time of filling (the term's end), so the term's start is derived (as the checks do):
    start = enrolled − transferred in + transferred out + dropped out + died.
Transfers are not losses and a death is not a dropout, so both rates rest on the students who could have stayed:
    base = start − died;  巩固率 = (enrolled − transferred in + transferred out) / base = (base − dropped out) / base;
    辍学率 = dropped out / base = 1 − 巩固率.
This is the term form of the consolidation formula in use (graduates − transfers in + transfers out) / (intake −
deaths), read over one term instead of three years. Rates are pooled sums (units.pool), with Wilson intervals, the
school's band against the district (Newcombe difference, higher 巩固率 is better), the target from params and
whether the interval supports meeting it. The reconciliation's 疑似流失 and unexplained arrivals sit beside them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tqa.core import ordering, units
from tqa.measures import cohorts
from tqa.measures import intervals as unc
from tqa.params import Params

MOVES = ("transferred_in", "transferred_out", "dropped_out", "died")
SUMS = ("start_n", "enrolled", *MOVES, "base_n", "retained_n")
REC_SUMS = ("suspected_leavers_n", "unexplained_arrivals_n", "missing_n", "unchecked_n")
TARGET_MET, TARGET_MISSED, TARGET_UNSURE = "区间支持达到", "区间支持未达到", "区间不能确定"


def school_rows(enrolment: pd.DataFrame, returns: pd.DataFrame) -> pd.DataFrame:
    """The usable schools' grade rows with a known 在籍人数: counts, start, base and retained."""
    usable = returns.loc[returns["usable"].astype(bool), ["school_code", "school_name", "category"]]
    df = enrolment.merge(usable, on="school_code", how="inner")
    df = df.assign(grade=pd.to_numeric(df["grade"], errors="coerce"))
    df = df.dropna(subset=["grade", "enrolled"]).astype({"grade": "int64"})
    out = df[["school_code", "school_name", "category", "grade"]].copy()
    out["enrolled"] = pd.to_numeric(df["enrolled"]).astype("int64")
    for c in MOVES:
        out[c] = pd.to_numeric(df[c], errors="coerce").fillna(0).astype("int64")
    out["start_n"] = out["enrolled"] - out["transferred_in"] + out["transferred_out"] + out["dropped_out"] + out["died"]
    out["base_n"] = out["start_n"] - out["died"]
    out["retained_n"] = out["base_n"] - out["dropped_out"]
    return out.sort_values(["school_code", "grade"], kind="stable").reset_index(drop=True)


def _with_all_grades(df: pd.DataFrame, keys: list[str], sums: list[str]) -> pd.DataFrame:
    """Each unit's grades and one more row (grade NA) for the unit's grades together."""
    total = df.groupby(keys, sort=True, dropna=False)[sums].sum(min_count=1).reset_index()
    out = pd.concat([df.astype({"grade": "Int64"}), total.assign(grade=pd.NA).astype({"grade": "Int64"})])
    return out.reset_index(drop=True)


def consolidation(
    enrolment: pd.DataFrame, returns: pd.DataFrame, reconciliation: pd.DataFrame, params: Params
) -> pd.DataFrame:
    """``enrolment_rates``: per level (school, category, district) x grade (NA: the unit's grades together)."""
    level = float(params.uncertainty.level)
    schools = school_rows(enrolment, returns)
    rec = reconciliation.groupby(["school_code", "grade"], sort=True)[list(REC_SUMS)].sum().reset_index()
    schools = schools.merge(rec, on=["school_code", "grade"], how="left")
    reconciled = len(reconciliation) > 0
    for c in REC_SUMS:  # no reconciliation (no previous term): unknown, not 0
        schools[c] = schools[c].fillna(0).astype("int64") if reconciled else pd.array([pd.NA] * len(schools), "Int64")
    sums = [*SUMS, *REC_SUMS]
    by_school = _with_all_grades(schools, ["school_code", "school_name", "category"], sums)
    # (category, district): from the school x grade rows, then their grades together
    pooled = units.pool(schools, ["grade"], sums)
    pooled_all = units.pool(schools.assign(grade=0), ["grade"], sums).assign(grade=pd.NA)
    pooled = pd.concat([pooled, pooled_all], ignore_index=True).astype({"grade": "Int64"})
    names = {units.DISTRICT_CODE: units.DISTRICT_NAME}
    pooled["unit_name"] = pooled["unit_code"].map(names).fillna(pooled["unit_code"])
    pooled["category"] = np.where(pooled["level"] == "category", pooled["unit_code"], pd.NA)
    by_school = by_school.assign(level="school", unit_code=by_school["school_code"], unit_name=by_school["school_name"])
    out = pd.concat([by_school.drop(columns=["school_code", "school_name"]), pooled], ignore_index=True)
    for c in SUMS:
        out[c] = out[c].astype("int64")
    for c in REC_SUMS:
        out[c] = out[c].astype("Int64")
    out["reconciled"] = reconciled

    base = out["base_n"].astype("float64")
    out["consolidation_rate"] = out["retained_n"] / base.where(base > 0)
    out["consolidation_lo"], out["consolidation_hi"] = unc.wilson_ci(out["retained_n"], out["base_n"], level)
    out["dropout_rate"] = out["dropped_out"] / base.where(base > 0)
    out["dropout_lo"], out["dropout_hi"] = unc.wilson_ci(out["dropped_out"], out["base_n"], level)
    out = _bands(out, params)
    target = float(params.enrolment.consolidation_target)
    out["target"] = target
    out["gap"] = out["consolidation_rate"] - target
    out["met"] = pd.array([None if v != v else bool(v >= target) for v in out["consolidation_rate"]], "boolean")
    status = np.select(
        [out["consolidation_lo"] >= target, out["consolidation_hi"] < target, out["consolidation_rate"].notna()],
        [TARGET_MET, TARGET_MISSED, TARGET_UNSURE],
        default="",
    )
    out["target_status"] = pd.Series(status, index=out.index).replace("", pd.NA).astype("string")
    out["sample_status"] = cohorts.sample_status(out["base_n"], params)
    out["publishable"] = cohorts.shown(out["base_n"], params)
    # schools by code, categories in the vocabulary's order (城区, 乡镇, 农村), grades then the grades together
    unit = out["unit_code"].astype("string")
    key = unit.where(out["level"] != units.CATEGORY.name, ordering.category_key(unit))
    out = out.assign(_lv=ordering.level_key(out["level"]), _u=key)
    out = out.sort_values(["_lv", "_u", "grade"], kind="stable", na_position="last")
    return out.drop(columns=["_lv", "_u"]).reset_index(drop=True)


def _bands(out: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Each school row's 巩固率 against the district's for the same grade (NA grade: all grades)."""
    level = float(params.uncertainty.level)
    d = out.loc[out["level"] == "district", ["grade", "retained_n", "base_n"]]
    d = d.rename(columns={"retained_n": "d_retained_n", "base_n": "d_base_n"})
    m = out[["grade"]].merge(d, on="grade", how="left")
    school = (out["level"] == "school").to_numpy()
    diff, lo, hi = unc.rate_difference(out["retained_n"], out["base_n"], m["d_retained_n"], m["d_base_n"], level)
    publish = cohorts.shown(out["base_n"], params) & school
    out["consolidation_diff"] = np.where(publish, diff, np.nan)
    out["consolidation_diff_lo"] = np.where(publish, lo, np.nan)
    out["consolidation_diff_hi"] = np.where(publish, hi, np.nan)
    cut = float(params.bands.rate_well_cut)
    b = unc.band(out["consolidation_diff"], out["consolidation_diff_lo"], out["consolidation_diff_hi"], cut)
    out["consolidation_band"] = b.where(pd.Series(publish, index=out.index)).astype("string")
    return out
