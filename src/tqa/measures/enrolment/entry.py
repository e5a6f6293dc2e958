"""入学率 from the office's school-age population (office/population.csv, optional: schools do not report it).

    入学率 = students enrolled (在籍, the term's end) in the 学段's grades of the area's schools / the area's
             school-age population of that 学段.
The returns carry no birth dates, so the numerator counts every enrolled student of the grades (the gross form):
a rate above 100 % means students from outside the age band or the catchment, and has no Wilson interval (the
count exceeds the population). An area some of whose schools sent no usable return is computed over the schools
that did, and says so. Without the file the table is empty and the reports say that 入学率 is not computed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tqa.measures import intervals as unc
from tqa.measures.enrolment.rates import TARGET_MET, TARGET_MISSED, TARGET_UNSURE
from tqa.params import Params
from tqa.schema.office import DISTRICT_AREA, STAGE_GRADES
from tqa.schema.tables import SCORES


def _areas(population: pd.DataFrame) -> pd.DataFrame:
    """The file's rows, plus a 全区 row per 学段 that has catchments but no 全区 row (their sums)."""
    rows = population[["area", "stage", "population", "schools"]].to_dict("records")
    for stage in sorted(set(population["stage"])):
        mine = population.loc[population["stage"] == stage]
        if (mine["area"] == DISTRICT_AREA).any():
            continue
        schools = tuple(sorted({c for t in mine["schools"] for c in t}))
        rows.append(
            {"area": DISTRICT_AREA, "stage": stage, "population": int(mine["population"].sum()), "schools": schools}
        )
    return pd.DataFrame(rows, columns=["area", "stage", "population", "schools"])


def entry_rates(
    enrolment: pd.DataFrame, returns: pd.DataFrame, population: pd.DataFrame | None, params: Params
) -> pd.DataFrame:
    """``enrolment_entry``: one row per area x 学段 (the district first), empty without a population file."""
    spec = SCORES["enrolment_entry"]
    if population is None or not len(population):
        return spec.empty()
    level = float(params.uncertainty.level)
    target = float(params.enrolment.enrolment_rate_target)
    usable = set(returns.loc[returns["usable"].astype(bool), "school_code"])
    enr = enrolment.assign(grade=pd.to_numeric(enrolment["grade"], errors="coerce"))
    enr = enr.loc[enr["school_code"].isin(sorted(usable))].dropna(subset=["grade", "enrolled"])
    out = []
    for rec in _areas(population).to_dict("records"):
        grades = STAGE_GRADES[rec["stage"]]
        of_stage = enr.loc[enr["grade"].isin(grades)]
        schools = list(rec["schools"]) or sorted(set(of_stage["school_code"]))
        rows = of_stage.loc[of_stage["school_code"].isin(schools)]
        missing = [c for c in schools if c not in usable]
        out.append(
            {
                "area": rec["area"],
                "stage": rec["stage"],
                "population": int(rec["population"]),
                "enrolled": int(pd.to_numeric(rows["enrolled"]).sum()),
                "n_schools": len(schools),
                "n_schools_missing": len(missing),
                "schools_missing": "、".join(missing),
            }
        )
    df = pd.DataFrame(out)
    k, n = df["enrolled"].astype("float64"), df["population"].astype("float64")
    df["rate"] = k / n
    lo, hi = unc.wilson_ci(k.clip(upper=n), n, level)
    within = (k <= n).to_numpy()
    df["rate_lo"], df["rate_hi"] = np.where(within, lo, np.nan), np.where(within, hi, np.nan)
    df["target"] = target
    df["gap"] = df["rate"] - target
    df["met"] = pd.array([bool(v >= target) for v in df["rate"]], dtype="boolean")
    status = np.select(
        [~within, df["rate_lo"] >= target, df["rate_hi"] < target],
        [TARGET_MET, TARGET_MET, TARGET_MISSED],
        TARGET_UNSURE,
    )
    df["target_status"] = pd.Series(status, index=df.index, dtype="string")
    df["_d"] = df["area"] != DISTRICT_AREA
    df = df.sort_values(["_d", "area", "stage"], kind="stable").drop(columns="_d")
    return spec.conform(df.reset_index(drop=True))
