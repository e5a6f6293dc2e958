"""Each staff member's term against the minimums of their role, and the share of each role meeting them.

A role's minimums come from params ``routine``: lessons observed and evaluated for the roles listed there (the
district plan: 校长, 业务副校长, 中层), teaching-research hours (hours a week × teaching weeks) for the roles of
``research_roles``. A staff member meets the minimums when every minimum of their role is reached (exactly at
the minimum meets it); a number left blank where a minimum applies counts as not reaching it (nothing is
recorded). Roles without any minimum are counted and described, never judged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tqa.core import units
from tqa.core.ordering import order_key, sort_rows
from tqa.core.vocabulary import ROLES
from tqa.measures import cohorts
from tqa.measures import intervals as unc
from tqa.measures.equity import coefficient_of_variation
from tqa.params import Params

LEADERS = "校级和中层干部"  # every role with a lesson minimum, together
ALL_STAFF = "全体教职工"
NO_ROLE = "未填职务"
ROLE_GROUPS = (*ROLES, LEADERS, ALL_STAFF)
NOT_JUDGED = "不评判"  # sample_status of a group nobody of which has a minimum

STAFF_COLUMNS = [
    "school_code", "school_name", "category", "excel_row", "staff_name", "role", "lessons_observed",
    "lessons_evaluated", "research_hours", "observed_min", "evaluated_min", "research_min", "leader", "judged",
    "meets_observed", "meets_evaluated", "meets_research", "meets",
]  # fmt: skip
_LESSONS = (("observed", "lessons_observed"), ("evaluated", "lessons_evaluated"))
_MEDIANS = {"observed_median": "lessons_observed", "evaluated_median": "lessons_evaluated",
            "research_median": "research_hours"}  # fmt: skip


def minimums(params: Params) -> pd.DataFrame:
    """One row per role with a minimum (ROLES order, then any other role the params name): observed_min,
    evaluated_min (Int64, NA: no such minimum), research_min (hours a term, NaN: none)."""
    p = params.routine
    roles = [*ROLES, *sorted({*p.lessons_observed_min, *p.lessons_evaluated_min, *p.research_roles} - set(ROLES))]
    rows = [
        (
            r,
            p.lessons_observed_min.get(r),
            p.lessons_evaluated_min.get(r),
            p.research_hours_min if r in p.research_roles else np.nan,
        )
        for r in roles
    ]
    out = pd.DataFrame(rows, columns=["role", "observed_min", "evaluated_min", "research_min"])
    out = out.astype({"observed_min": "Int64", "evaluated_min": "Int64", "research_min": "float64"})
    judged = out["observed_min"].notna() | out["evaluated_min"].notna() | out["research_min"].notna()
    return out[judged].reset_index(drop=True)


def _reaches(value: pd.Series, minimum: pd.Series) -> pd.Series:
    """value >= minimum; NA where no minimum applies, False where one applies and the value is blank."""
    v = pd.to_numeric(value, errors="coerce").astype("float64")
    m = pd.to_numeric(minimum, errors="coerce").astype("float64")
    out = pd.Series((v >= m).to_numpy(), index=value.index, dtype="boolean")
    return out.where(m.notna().to_numpy(), pd.NA)


def staff_table(routine: pd.DataFrame, returns: pd.DataFrame, params: Params) -> pd.DataFrame:
    """The checked 教学常规 rows with each person's minimums and whether they are met (staff-level: internal).

    leader: the role has a lesson minimum (the 校级和中层干部 of the reports); judged: the role has any minimum;
    meets_observed / meets_evaluated / meets_research: NA where that minimum does not apply; meets: every
    applicable minimum reached (NA when not judged). Rows in school, role (ROLES order), Excel row order."""
    names = returns.drop_duplicates("school_code").set_index("school_code")
    df = routine[["school_code", "excel_row", "staff_name", "role", *(c for _, c in _LESSONS), "research_hours"]].copy()
    df["role"] = df["role"].astype("string").fillna(NO_ROLE)
    df["school_name"] = df["school_code"].map(names["school_name"]).astype("string")
    df["category"] = df["school_code"].map(names["category"]).astype("string")
    df = df.merge(minimums(params), on="role", how="left", sort=False)
    for short, col in _LESSONS:
        df[f"meets_{short}"] = _reaches(df[col], df[f"{short}_min"])
    df["meets_research"] = _reaches(df["research_hours"], df["research_min"])
    parts = df[["meets_observed", "meets_evaluated", "meets_research"]]
    df["judged"] = parts.notna().any(axis=1).astype(bool)
    df["leader"] = (df["observed_min"].notna() | df["evaluated_min"].notna()).astype(bool)
    # every applicable minimum reached (NA parts do not count); NA when nothing applies
    met = parts.fillna(True).all(axis=1)
    df["meets"] = pd.Series(met.to_numpy(), index=df.index, dtype="boolean").where(df["judged"], pd.NA)
    df = df.assign(_r=order_key(df["role"], ROLES))
    df = df.sort_values(["school_code", "_r", "excel_row"], kind="stable").drop(columns="_r")
    return df[STAFF_COLUMNS].reset_index(drop=True)


def _grouped(staff: pd.DataFrame) -> pd.DataFrame:
    """staff rows repeated per role group: their own role, 校级和中层干部 (leaders), 全体教职工 (everyone)."""
    return pd.concat(
        [
            staff,
            staff[staff["leader"].astype(bool)].assign(role=LEADERS),
            staff.assign(role=ALL_STAFF),
        ],
        ignore_index=True,
    )


def _medians(grouped: pd.DataFrame) -> pd.DataFrame:
    """Median lessons and research hours per unit (school, category, district) and role group, over the staff
    of the unit (never a median of school medians)."""
    parts = []
    for level in units.HIERARCHY:
        key = units.unit_of(level, grouped).rename("unit_code")
        g = grouped.assign(unit_code=key).groupby(["unit_code", "role"], sort=True)
        m = g[list(_MEDIANS.values())].median().rename(columns={v: k for k, v in _MEDIANS.items()})
        parts.append(m.reset_index().assign(level=level.name))
    return pd.concat(parts, ignore_index=True)


def role_shares(staff: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Per school, category and district x role group: staff_n, judged_n, meets_n and meets_share (pooled sums:
    meets_n / judged_n), its Wilson interval, the difference from the district with Newcombe's interval and
    its band (schools and categories; only where the small-cohort rule shows the share), median lessons
    observed / evaluated and research hours, the role's minimums, sample_status and publishable."""
    level = float(params.uncertainty.level)
    grouped = _grouped(staff).assign(
        staff_n=1,
        judged_n=lambda d: d["judged"].astype("int64"),
        meets_n=lambda d: d["meets"].fillna(False).astype("int64"),
    )
    sums = ["staff_n", "judged_n", "meets_n"]
    schools = grouped.groupby(["school_code", "category", "role"], sort=True, dropna=False)[sums].sum().reset_index()
    school_rows = schools.assign(level=units.SCHOOL.name, unit_code=schools["school_code"].astype("string"))
    school_rows["meets_share"] = school_rows["meets_n"] / school_rows["judged_n"].where(school_rows["judged_n"] > 0)
    pooled = units.pool(schools, by=["role"], sums=sums, rates={"meets_share": ("meets_n", "judged_n")})
    out = pd.concat([school_rows.drop(columns=["school_code"]), pooled], ignore_index=True)
    out = out.merge(_medians(grouped), on=["level", "unit_code", "role"], how="left", sort=False)

    names = staff.drop_duplicates("school_code").set_index("school_code")
    is_school = out["level"] == units.SCHOOL.name
    is_district = out["level"] == units.DISTRICT.name
    out["unit_name"] = out["unit_code"].map(names["school_name"]).where(is_school, out["unit_code"])
    out.loc[is_district, "unit_name"] = units.DISTRICT_NAME
    out["category"] = out["category"].where(is_school, out["unit_code"]).where(~is_district, pd.NA)
    out = out.merge(minimums(params), on="role", how="left", sort=False)

    out["meets_share_lo"], out["meets_share_hi"] = unc.wilson_ci(out["meets_n"], out["judged_n"], level)
    district = out[is_district.to_numpy()][["role", "judged_n", "meets_n"]]
    d = out[["role"]].merge(district.add_prefix("d_").rename(columns={"d_role": "role"}), on="role", how="left")
    diff, lo, hi = unc.rate_difference(out["meets_n"], out["judged_n"], d["d_meets_n"], d["d_judged_n"], level)
    banded = cohorts.shown(out["judged_n"], params) & ~is_district.to_numpy()
    out["meets_diff"] = np.where(banded, diff, np.nan)
    out["meets_diff_lo"] = np.where(banded, lo, np.nan)
    out["meets_diff_hi"] = np.where(banded, hi, np.nan)
    cut = float(params.bands.rate_well_cut)
    out["meets_band"] = unc.band(out["meets_diff"], out["meets_diff_lo"], out["meets_diff_hi"], cut)
    status = cohorts.sample_status(out["judged_n"], params)
    out["sample_status"] = status.where(out["judged_n"] > 0, NOT_JUDGED).astype("string")
    out["publishable"] = cohorts.shown(out["judged_n"], params)
    out["meets_n"] = out["meets_n"].astype("Int64").where(out["judged_n"] > 0, pd.NA)
    out = sort_rows(out, ["level", "unit_code", "role"], orders={"role": ROLE_GROUPS})
    return out[ROLE_COLUMNS]


ROLE_COLUMNS = [
    "level", "unit_code", "unit_name", "category", "role", "staff_n", "judged_n", "meets_n", "meets_share",
    "meets_share_lo", "meets_share_hi", "meets_diff", "meets_diff_lo", "meets_diff_hi", "meets_band",
    "observed_median", "evaluated_median", "research_median", "observed_min", "evaluated_min", "research_min",
    "sample_status", "publishable",
]  # fmt: skip


def equity(roles: pd.DataFrame, params: Params) -> pd.DataFrame:
    """差异系数 of the schools' shares meeting the minimums, per role group, over the schools whose share is shown
    (the small-cohort rule: a withheld share takes no part), with the exam results' formula
    (``tqa.measures.equity.coefficient_of_variation``: weighted by judged staff when equity.cv_weighted) and the
    threshold routine.cv_threshold. Columns: role, n_schools, weighted, mean_of_shares, sd_of_shares, cv,
    cv_threshold, cv_over (NA with fewer than 2 schools)."""
    schools = roles[(roles["level"] == units.SCHOOL.name) & roles["publishable"].astype(bool)]
    frame = schools.assign(grade=0, subject=schools["role"].astype(str))
    cv = coefficient_of_variation(frame, params, value_col="meets_share", weight_col="judged_n")
    cv = cv.rename(columns={"subject": "role", "mean_of_means": "mean_of_shares", "sd_of_means": "sd_of_shares"})
    threshold = float(params.routine.cv_threshold)
    cv["cv_threshold"] = threshold
    cv["cv_over"] = pd.array([pd.NA if pd.isna(v) else bool(v > threshold) for v in cv["cv"]], dtype="boolean")
    cv = cv.drop(columns="grade").assign(_r=lambda d: order_key(d["role"], ROLE_GROUPS))
    return cv.sort_values("_r", kind="stable").drop(columns="_r").reset_index(drop=True)


def routine(
    routine: pd.DataFrame, returns: pd.DataFrame, params: Params
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The step-3 measure: (routine_staff, routine_roles, routine_equity). Only usable returns' rows reach the
    checked table."""
    staff = staff_table(routine, returns, params)
    roles = role_shares(staff, params)
    return staff, roles, equity(roles, params)
