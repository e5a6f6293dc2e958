"""教学常规 tables for the reports: the share of each role meeting its minimums per unit, the schools against the
district, and (internal edition only) the leaders below their minimums by name.

Pure functions of the statistics (``routine_roles``, as a view reads it: withheld cohorts already blanked) and
of the staff-level table (``routine_staff``, which only the internal views can read).
"""

from __future__ import annotations

import pandas as pd

from tqa.core import units
from tqa.core.ordering import category_key, order_key
from tqa.measures.routine import ALL_STAFF, LEADERS, ROLE_GROUPS
from tqa.reports.disclosure import suppress_tree
from tqa.reports.labels import band_words, pct_text

SHARE_COLUMNS = ("meets_n", "meets_share", "meets_share_lo", "meets_share_hi", "meets_diff", "meets_diff_lo",
                 "meets_diff_hi", "meets_band")  # fmt: skip
NO_MINIMUM = "不评判"
OWN_ROLE = "按各自职务的要求"
HIDDEN = "为防止由合计反推而隐去"


def minimum_text(observed_min, evaluated_min, research_min) -> str:
    """A role's minimums in words: '听课 30 节、评课 10 节' / '教研 36 小时' / '不评判'."""
    parts = []
    if pd.notna(observed_min):
        parts.append(f"听课 {int(observed_min)} 节")
    if pd.notna(evaluated_min):
        parts.append(f"评课 {int(evaluated_min)} 节")
    if pd.notna(research_min):
        parts.append(f"教研 {float(research_min):g} 小时")
    return "、".join(parts) if parts else NO_MINIMUM


def _number(v, unit: str = "") -> str:
    return "—" if pd.isna(v) else f"{float(v):g}{unit}"


def share_text(rows: pd.DataFrame) -> list[str]:
    """'60.0%（35.1%–80.2%）'; the sample status where the share is not shown (样本过少, 不评判)."""
    out = []
    for r in rows.itertuples():
        if pd.isna(r.meets_share):
            out.append(str(r.sample_status) if pd.notna(r.sample_status) else "—")
        else:
            lo, hi = pct_text([r.meets_share_lo, r.meets_share_hi])
            out.append(f"{pct_text([r.meets_share])[0]}（{lo}–{hi}）")
    return out


def _count(v) -> str:
    return "—" if pd.isna(v) else str(int(v))


def _ordered(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.assign(_r=order_key(rows["role"], ROLE_GROUPS)).sort_values("_r", kind="stable").drop(columns="_r")


def unit_roles(roles: pd.DataFrame, level: str, code: str, *, public: bool) -> pd.DataFrame:
    """One unit's rows, one per role group it has: staff, judged, meeting, the share with its interval, the band
    against the district (not for the district itself), the medians and the role's minimums."""
    rows = _ordered(roles[(roles["level"] == level) & (roles["unit_code"] == code)])
    out = pd.DataFrame(
        {
            "职务": rows["role"].to_numpy(),
            "人数": rows["staff_n"].to_numpy(),
            "最低要求": [
                OWN_ROLE if role in GROUPS_SHOWN else minimum_text(*v)
                for role, v in zip(rows["role"], rows[["observed_min", "evaluated_min", "research_min"]].to_numpy())
            ],
            "达到要求": [_count(v) for v in rows["meets_n"]],
            "达到要求的比例（区间）": share_text(rows),
        }
    )
    if level != units.DISTRICT.name:
        bands = band_words(rows["meets_band"].tolist(), public)
        out["与全区比较"] = [b if isinstance(b, str) else s for b, s in zip(bands, rows["sample_status"].astype(str))]
    out["听课中位数"] = [_number(v) for v in rows["observed_median"]]
    out["评课中位数"] = [_number(v) for v in rows["evaluated_median"]]
    out["教研时数中位数"] = [_number(v) for v in rows["research_median"]]
    return out.reset_index(drop=True)


def category_roles(roles: pd.DataFrame, role: str) -> pd.DataFrame:
    """One role group per category and the district: counts and shares (pooled), no school."""
    rows = roles[(roles["role"] == role) & (roles["level"] != units.SCHOOL.name)]
    rows = rows.assign(_c=category_key(rows["unit_code"]), _l=(rows["level"] == units.DISTRICT.name))
    rows = rows.sort_values(["_l", "_c"], kind="stable")
    return pd.DataFrame(
        {
            "范围": rows["unit_name"].to_numpy(),
            "人数": rows["staff_n"].to_numpy(),
            "达到要求": [_count(v) for v in rows["meets_n"]],
            "达到要求的比例（区间）": share_text(rows),
            "教研时数中位数": [_number(v) for v in rows["research_median"]],
        }
    )


def suppress_complements(roles: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """The public edition: per role group, the shares of the units whose counts could be recovered from a
    total and the other parts (one school withheld in a category) blanked too (``disclosure.suppress_tree`` on
    school -> category -> district, by judged staff), as the exam results' public tables are."""
    out = roles.copy()
    for _, g in out.groupby("role", sort=True):
        node = (g["level"] + ":" + g["unit_code"].astype(str)).tolist()
        parent = [
            f"category:{c}" if lv == units.SCHOOL.name else (f"district:{units.DISTRICT_CODE}" if lv == "category" else pd.NA)
            for lv, c in zip(g["level"], g["category"].astype(str))
        ]  # fmt: skip
        tree = pd.DataFrame({"node": node, "parent": parent, "n": g["judged_n"].astype("int64").to_numpy()})
        reason = suppress_tree(tree, min_n).to_numpy()
        hit = out.index.isin(g.index[reason == "complementary"])
        for c in SHARE_COLUMNS:
            out[c] = out[c].mask(hit)  # (the missing value of each column's dtype)
        out["sample_status"] = out["sample_status"].mask(hit, HIDDEN)
    return out


def school_bands(roles: pd.DataFrame, returns: pd.DataFrame, groups: tuple[str, ...], *, public: bool) -> pd.DataFrame:
    """Every school against the district, one column per role group (band, or why there is none), in category and
    school-code order: nothing to order schools by."""
    s = roles[roles["level"] == units.SCHOOL.name]
    schools = returns.loc[returns["usable"].astype(bool), ["school_code", "school_name", "category"]]
    schools = schools.assign(_c=category_key(schools["category"])).sort_values(["_c", "school_code"], kind="stable")
    out = pd.DataFrame(
        {"代码": schools["school_code"].to_numpy(), "学校": schools["school_name"].to_numpy(),
         "类别": schools["category"].to_numpy()}
    )  # fmt: skip
    for group in groups:
        rows = s[s["role"] == group].set_index("unit_code")
        cell = []
        for code in out["代码"]:
            if code not in rows.index:
                cell.append("—")
                continue
            r = rows.loc[code]
            band = band_words([r["meets_band"]], public)[0]
            cell.append(band if isinstance(band, str) else str(r["sample_status"]))
        out[group] = cell
    return out


def leader_rows(staff: pd.DataFrame, *, furthest_first: bool = False) -> pd.DataFrame:
    """The leaders (roles with a lesson minimum) below any of their minimums (staff-level: internal only),
    by school and role, or ``furthest_first``: by role (校长 first: the plan's first-named duty), within a role the
    largest shortfall first (the smallest share of a lesson minimum reached; a blank number counts as none)."""
    below = staff[staff["leader"].astype(bool) & ~staff["meets"].fillna(True).astype(bool)]
    below = below.assign(_r=order_key(below["role"], ROLE_GROUPS))
    keys = ["school_code", "_r", "excel_row"]
    if furthest_first:
        reached = [
            (below[v].astype("float64").fillna(0) / below[m].astype("float64")).where(below[m].astype("float64") > 0)
            for v, m in (("lessons_observed", "observed_min"), ("lessons_evaluated", "evaluated_min"))
        ]
        below = below.assign(_reached=pd.concat(reached, axis=1).min(axis=1).fillna(1.0))
        keys = ["_r", "_reached", "school_code", "excel_row"]
    return below.sort_values(keys, kind="stable").drop(columns=[c for c in ("_r", "_reached") if c in below])


def _against(value, minimum) -> str:
    if pd.isna(minimum):
        return "—" if pd.isna(value) else str(int(value))
    shown = "未填" if pd.isna(value) else str(int(value))
    return f"{shown} / {int(minimum)}"


def leaders_below(staff: pd.DataFrame, *, with_school: bool) -> pd.DataFrame:
    """Internal: each leader below a minimum, by name: 听课 and 评课 as 'done / required'."""
    rows = leader_rows(staff)
    out = pd.DataFrame(
        {
            "姓名": rows["staff_name"].to_numpy(),
            "职务": rows["role"].to_numpy(),
            "听课（实际 / 要求）": [_against(v, m) for v, m in zip(rows["lessons_observed"], rows["observed_min"])],
            "评课（实际 / 要求）": [_against(v, m) for v, m in zip(rows["lessons_evaluated"], rows["evaluated_min"])],
        }
    )
    if with_school:
        out.insert(0, "学校", rows["school_name"].fillna("").to_numpy())
        out.insert(0, "代码", rows["school_code"].to_numpy())
    return out


def staff_by_role(staff: pd.DataFrame) -> pd.DataFrame:
    """Internal school report: every leader's numbers against the minimums, by name (teachers are counted in the
    role table, not listed)."""
    rows = staff[staff["leader"].astype(bool)]
    rows = rows.assign(_r=order_key(rows["role"], ROLE_GROUPS)).sort_values(["_r", "excel_row"], kind="stable")
    return pd.DataFrame(
        {
            "姓名": rows["staff_name"].to_numpy(),
            "职务": rows["role"].to_numpy(),
            "听课（实际 / 要求）": [_against(v, m) for v, m in zip(rows["lessons_observed"], rows["observed_min"])],
            "评课（实际 / 要求）": [_against(v, m) for v, m in zip(rows["lessons_evaluated"], rows["evaluated_min"])],
            "教研时数": [_number(v) for v in rows["research_hours"]],
            "是否达到要求": ["是" if m is True else "否" for m in rows["meets"].astype(object)],
        }
    )


def shortfall_text(row) -> str:
    """One leader's shortfall in words: '听课 12 节，低于每学期 30 节的要求；评课 3 节，低于每学期 10 节的要求'."""
    parts = []
    for what, value, minimum in (("听课", row.lessons_observed, row.observed_min),
                                 ("评课", row.lessons_evaluated, row.evaluated_min)):  # fmt: skip
        if pd.isna(minimum):
            continue
        if pd.isna(value):
            parts.append(f"{what}未填（每学期要求 {int(minimum)} 节）")
        elif value < minimum:
            parts.append(f"{what} {int(value)} 节，低于每学期 {int(minimum)} 节的要求")
    return "；".join(parts)


GROUPS_SHOWN = (LEADERS, ALL_STAFF)
