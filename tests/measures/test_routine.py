"""教学常规 (tqa.measures.routine): each staff member against the minimums of their role, the shares meeting
them per school and pooled, on a fixture whose every figure is worked out by hand below."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers import params_with
from tqa.measures import cohorts
from tqa.measures.catalog import Measures
from tqa.measures.routine import ALL_STAFF, LEADERS, equity, minimums, role_shares, staff_table
from tqa.schema import sheets
from tqa.schema.tables import CHECKED, SCORES

# (school, Excel row, name, role, observed, evaluated, research hours). Shipped minimums: 校长 30 / 10,
# 业务副校长 45 / 20, 中层 30 / 10 lessons; 教研组长 and 教师 2 hours a week x 18 weeks = 36 hours.
STAFF = [
    ("001", 2, "甲校长", "校长", 30, 10, 20.0),  # exactly at both minimums: meets
    ("001", 3, "乙副校长", "业务副校长", 44, 20, 10.0),  # one lesson observed short: does not
    ("001", 4, "丙主任", "中层", 30, 9, 30.0),  # one lesson evaluated short: does not
    ("001", 5, "丁主任", "中层", 31, 12, 24.0),  # meets
    ("001", 6, "戊组长", "教研组长", 5, 2, 36.0),  # research exactly 36: meets
    ("001", 7, "己老师", "教师", 3, 1, 35.5),  # half an hour short: does not
    ("001", 8, "庚老师", "教师", 5, 2, None),  # research blank where it is judged: does not
    ("002", 2, "辛校长", "校长", 12, 3, 8.0),  # far below: does not
    ("002", 3, "壬老师", "教师", 4, 2, 40.0),  # meets
    ("002", 4, "癸老师", "教师", 2, 0, 36.0),  # meets
]


def routine_rows(rows=STAFF) -> pd.DataFrame:
    df = pd.DataFrame(
        [(c, sheets.ROUTINE.name, r, n, role, o, e, h) for c, r, n, role, o, e, h in rows],
        columns=CHECKED["routine"].names,
    )
    return df.astype({"lessons_observed": "Int64", "lessons_evaluated": "Int64", "research_hours": "float64"})


def returns() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "school_code": ["001", "002"],
            "school_name": ["城东小学", "北岭中学"],
            "category": ["城区", "乡镇"],
        }
    )


def row(roles: pd.DataFrame, level: str, unit: str, role: str) -> pd.Series:
    (hit,) = roles.loc[(roles["level"] == level) & (roles["unit_code"] == unit) & (roles["role"] == role)].index
    return roles.loc[hit]


def test_minimums_come_from_params_and_research_hours_are_a_weekly_minimum_times_the_weeks():
    got = minimums(params_with())
    assert got["role"].tolist() == ["校长", "业务副校长", "中层", "教研组长", "教师"]
    assert got["observed_min"].tolist() == [30, 45, 30, pd.NA, pd.NA]
    assert got["evaluated_min"].tolist() == [10, 20, 10, pd.NA, pd.NA]
    r = got["research_min"].tolist()
    assert all(math.isnan(v) for v in r[:3]) and r[3:] == [36.0, 36.0]  # 2 hours a week x 18 weeks
    changed = params_with({"routine": {"research_hours_per_week": 1.5, "teaching_weeks": 20}})
    assert changed.routine.research_hours_min == 30.0
    assert minimums(changed)["research_min"].tolist()[3:] == [30.0, 30.0]
    # a role without any minimum is not judged at all
    none_for_teachers = params_with({"routine": {"research_roles": ["教研组长"]}})
    assert "教师" not in minimums(none_for_teachers)["role"].tolist()


def test_each_staff_member_is_judged_on_every_minimum_of_their_role():
    staff = staff_table(routine_rows(), returns(), params_with())
    assert list(staff.columns) == list(SCORES["routine_staff"].names)
    by = staff.set_index("staff_name")
    assert by["meets"].to_dict() == {
        "甲校长": True, "乙副校长": False, "丙主任": False, "丁主任": True, "戊组长": True, "己老师": False,
        "庚老师": False, "辛校长": False, "壬老师": True, "癸老师": True,
    }  # fmt: skip
    assert by.loc["乙副校长", ["meets_observed", "meets_evaluated"]].tolist() == [False, True]
    assert by.loc["丙主任", ["meets_observed", "meets_evaluated"]].tolist() == [True, False]
    assert by.loc["甲校长", "meets_research"] is pd.NA  # a leader's research hours are not judged
    assert by.loc["戊组长", "meets_observed"] is pd.NA
    assert by["leader"].sum() == 5 and by["judged"].all()
    assert by.loc["甲校长", "school_name"] == "城东小学"


def test_a_role_without_a_minimum_is_reported_but_not_judged():
    rows = [*STAFF, ("002", 5, "子干事", "后勤", 0, 0, 2.0)]
    staff = staff_table(routine_rows(rows), returns(), params_with())
    other = staff.set_index("staff_name").loc["子干事"]
    assert not other["judged"] and other["meets"] is pd.NA
    roles = role_shares(staff, params_with())
    r = row(roles, "school", "002", "后勤")
    assert (r["staff_n"], r["judged_n"], r["meets_n"], r["sample_status"]) == (1, 0, pd.NA, "不评判")
    assert math.isnan(r["meets_share"])
    everyone = row(roles, "school", "002", ALL_STAFF)
    assert (everyone["staff_n"], everyone["judged_n"]) == (4, 3)  # counted among the staff, not among the judged


def test_shares_per_school_and_pooled_for_category_and_district():
    roles = role_shares(staff_table(routine_rows(), returns(), params_with()), params_with())
    assert list(roles.columns) == list(SCORES["routine_roles"].names)
    # (staff, judged, meeting) counted by hand from STAFF
    expected = {
        ("school", "001", "校长"): (1, 1, 1),
        ("school", "001", "业务副校长"): (1, 1, 0),
        ("school", "001", "中层"): (2, 2, 1),
        ("school", "001", "教研组长"): (1, 1, 1),
        ("school", "001", "教师"): (2, 2, 0),
        ("school", "001", LEADERS): (4, 4, 2),
        ("school", "001", ALL_STAFF): (7, 7, 3),
        ("school", "002", "校长"): (1, 1, 0),
        ("school", "002", "教师"): (2, 2, 2),
        ("school", "002", LEADERS): (1, 1, 0),
        ("school", "002", ALL_STAFF): (3, 3, 2),
        ("category", "城区", ALL_STAFF): (7, 7, 3),
        ("category", "乡镇", "校长"): (1, 1, 0),
        ("district", "district", "校长"): (2, 2, 1),
        ("district", "district", "业务副校长"): (1, 1, 0),
        ("district", "district", "中层"): (2, 2, 1),
        ("district", "district", "教研组长"): (1, 1, 1),
        ("district", "district", "教师"): (4, 4, 2),
        ("district", "district", LEADERS): (5, 5, 2),
        ("district", "district", ALL_STAFF): (10, 10, 5),
    }
    for (level, unit, role), counts in expected.items():
        r = row(roles, level, unit, role)
        assert (r["staff_n"], r["judged_n"], r["meets_n"]) == counts, (level, unit, role)
        assert r["meets_share"] == pytest.approx(counts[2] / counts[1])
    # the district's share is pooled (5 of 10), not the mean of the schools' shares (3/7 and 2/3: 0.548)
    d = row(roles, "district", "district", ALL_STAFF)
    assert d["meets_share"] == 0.5
    # Wilson, 5 of 10 at 95%: centre 0.5, half-width z / (1 + z²/n) × sqrt(p(1-p)/n + z²/4n²) = 0.2634
    assert (d["meets_share_lo"], d["meets_share_hi"]) == (
        pytest.approx(0.2366, abs=1e-4),
        pytest.approx(0.7634, abs=1e-4),
    )
    assert d["unit_name"] == "全区" and d["meets_band"] is pd.NA  # the district is not banded against itself
    # medians over the unit's staff: 001's research hours 10, 20, 24, 30, 35.5, 36 (one blank) -> 27;
    # the district's nine -> 30 (not the median of the schools' medians)
    assert row(roles, "school", "001", ALL_STAFF)["research_median"] == 27.0
    assert d["research_median"] == 30.0
    assert row(roles, "district", "district", "校长")["observed_median"] == 21.0  # 30 and 12
    # rows: schools, categories (in category order), the district; roles in the fixed order
    assert roles["level"].drop_duplicates().tolist() == ["school", "category", "district"]
    school_roles = roles.loc[(roles["level"] == "school") & (roles["unit_code"] == "001"), "role"].tolist()
    assert school_roles == ["校长", "业务副校长", "中层", "教研组长", "教师", LEADERS, ALL_STAFF]


def test_small_cohorts_follow_the_exam_rule_and_bands_need_a_shown_share():
    shipped = params_with()  # reporting.min_published_n = 10: every school here is below it
    roles = role_shares(staff_table(routine_rows(), returns(), shipped), shipped)
    schools = roles[roles["level"] == "school"]
    assert schools["meets_band"].isna().all() and not schools["publishable"].any()
    assert set(schools["sample_status"]) == {"人数过少，不公布"}
    withheld = cohorts.withhold(roles, SCORES["routine_roles"].withhold, shipped)
    w = row(withheld, "school", "001", "校长")
    assert pd.isna(w["meets_n"]) and pd.isna(w["meets_share"]) and pd.isna(w["observed_median"])
    assert (w["staff_n"], w["judged_n"]) == (1, 1)  # how many were counted stays
    assert row(withheld, "district", "district", ALL_STAFF)["meets_share"] == 0.5  # 10 judged: shown

    small = params_with({"reporting": {"min_published_n": 2, "min_rank_n": 2}})
    roles = role_shares(staff_table(routine_rows(), returns(), small), small)
    r = row(roles, "school", "001", ALL_STAFF)
    # 3 of 7 against 5 of 10: 3/7 - 1/2 = -1/14, within chance on so few staff
    assert r["meets_diff"] == pytest.approx(-1 / 14) and r["meets_band"] == "持平"
    assert r["meets_diff_lo"] < 0 < r["meets_diff_hi"]
    assert row(roles, "school", "001", "校长")["meets_band"] is pd.NA  # one principal: below 2, not banded


def test_the_declared_measure_returns_the_declared_tables():
    staff, roles, eq = Measures(params_with()).routine(routine_rows(), returns())
    assert len(staff) == len(STAFF) and staff["staff_name"].iloc[0] == "甲校长"
    assert roles.dtypes.to_dict() == SCORES["routine_roles"].empty().dtypes.to_dict()
    assert list(eq.columns) == list(SCORES["routine_equity"].names)


def test_equity_is_the_coefficient_of_variation_of_the_shown_school_shares():
    small = params_with({"reporting": {"min_published_n": 3, "min_rank_n": 3}})
    roles = role_shares(staff_table(routine_rows(), returns(), small), small)
    eq = equity(roles, small).set_index("role")
    # everyone: 001 3 of 7, 002 2 of 3; weighted by judged staff: mean (3 + 2) / 10 = 0.5,
    # SD = sqrt((7 (3/7 - 0.5)² + 3 (2/3 - 0.5)²) / 10) = 0.10911, CV = 0.21822 (under the shipped 0.5)
    e = eq.loc[ALL_STAFF]
    assert (e["n_schools"], e["mean_of_shares"]) == (2, pytest.approx(0.5))
    assert e["cv"] == pytest.approx(0.218218, abs=1e-6) and not e["cv_over"]
    # the leaders: only 001's share (4 judged) is shown, 002's one leader is withheld: no CV from one school
    assert eq.loc[LEADERS, "n_schools"] == 1 and eq.loc[LEADERS, "cv_over"] is pd.NA
    assert "教师" not in eq.index  # both schools' 2 teachers: withheld
    strict = params_with({"reporting": {"min_published_n": 3, "min_rank_n": 3}, "routine": {"cv_threshold": 0.2}})
    assert bool(equity(roles, strict).set_index("role").loc[ALL_STAFF, "cv_over"]) is True
