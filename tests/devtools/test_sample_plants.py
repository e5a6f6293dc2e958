"""The cases planted in the sample district for the school-life checks and reports (issue 12) are really in its
data, where tests/fixtures/sample_defects.json says (the generated district in memory, no pipeline)."""

from __future__ import annotations

import pandas as pd
import pytest

from tqa.core import vocabulary as vocab
from tqa.devtools.sample import PLANT_KINDS, build_district, build_returns
from tqa.devtools.sample.plants import IMPOSSIBLE_DAYS, LESSONS_OVER_TERM, MIN_SCHOOLS
from tqa.schema import sheets

T1, T2 = "2023-1", "2023-2"


@pytest.fixture(scope="module")
def district():
    return build_district(40, 2023, (T1, T2))


@pytest.fixture(scope="module")
def returns(district):
    return build_returns(district, messy=True)


@pytest.fixture(scope="module")
def planted(returns):
    """The plants as the JSON lists them: Defect rows of the spring term, by kind."""
    found = [x for r in returns[T2].values() for x in r.defects() if x.kind in PLANT_KINDS]
    out: dict[str, list] = {}
    for x in found:
        out.setdefault(x.kind, []).append(x)
    return out


def _grade(defect) -> int:
    return vocab.GRADE_ALIASES[defect.value]


def _by_school_grade(frame: pd.DataFrame) -> pd.Series:
    return frame.groupby(["school_code", "grade"]).size()


def test_every_plant_kind_is_in_the_spring_term(planted):
    assert set(planted) == set(PLANT_KINDS)


def test_unexplained_leavers_left_without_a_reported_reason(district, planted):
    s1, s2 = district.students[T1], district.students[T2]
    leavers = planted["unexplained_leaver"]
    (code,) = {x.school_code for x in leavers}
    ids = [x.value for x in leavers]
    assert 3 <= len(ids) <= 6 and all(x.excel_row is None for x in leavers)
    was = s1.set_index("student_id").loc[ids]
    assert (was["school_code"] == code).all() and 1 <= was["grade"].nunique() <= 2
    assert not s2["student_id"].isin(ids).any()  # in no spring return
    # Every school's 2023-1 students no longer in it are exactly its reported transfers out, dropouts and
    # deaths, plus the planted leavers: the reported movements stay explained, the plants are not.
    here = s1.merge(s2[["student_id", "school_code"]], on=["student_id", "school_code"], how="left", indicator=True)
    gone = here[here["_merge"] == "left_only"].groupby("school_code").size()
    enr = district.enrolment[T2].groupby("school_code")[["transferred_out", "dropped_out", "died"]].sum().sum(axis=1)
    planted_n = pd.Series(len(ids), index=[code])
    assert gone.reindex(enr.index, fill_value=0).equals(enr.add(planted_n, fill_value=0).astype(int))
    # the planted grades report no leaver at all
    enr = district.enrolment[T2]
    rows = enr[(enr["school_code"] == code) & enr["grade"].isin(was["grade"])]
    assert (rows[["transferred_out", "dropped_out", "died"]] == 0).all().all()


def test_unreported_arrivals_are_new_with_no_transfer_in(district, planted, returns):
    s1, s2 = district.students[T1], district.students[T2]
    arrivals = planted["unreported_arrival"]
    (code,) = {x.school_code for x in arrivals}
    ids = [x.value for x in arrivals]
    assert len(ids) == 3 and s2["student_id"].is_unique
    assert not s1["student_id"].isin(ids).any()
    now = s2.set_index("student_id").loc[ids]
    assert (now["school_code"] == code).all() and now["grade"].nunique() == 1
    (g,) = set(now["grade"])
    enr = district.enrolment[T2].set_index(["school_code", "grade"])
    assert enr.at[(code, g), "transferred_in"] == 0
    # every school's new students are its reported transfers in, plus the planted arrivals
    here = s2.merge(s1[["student_id", "school_code"]], on=["student_id", "school_code"], how="left", indicator=True)
    new = here[here["_merge"] == "left_only"].groupby("school_code").size()
    reported = enr.groupby("school_code")["transferred_in"].sum()
    assert new.reindex(reported.index, fill_value=0).equals(
        reported.add(pd.Series(3, index=[code]), fill_value=0).astype(int)
    )
    # each row plant is on its row of the return as the JSON says
    sheet = returns[T2][code].sheet(sheets.SCORES.name)
    rows = list(sheet.rows())
    for x in arrivals:
        assert x.sheet == sheets.SCORES.name and x.value in rows[x.excel_row - 1]


def test_roll_mismatch(district, planted):
    (x,) = planted["roll_mismatch"]
    enr = district.enrolment[T2].set_index(["school_code", "grade"])["enrolled"]
    listed = _by_school_grade(district.scores[T2])
    off = enr[enr != listed.reindex(enr.index, fill_value=0)]  # the only grade whose roll is not its students
    assert len(off) == 1 and off.index[0][0] == x.school_code and str(off.iloc[0]) == x.value
    assert off.iloc[0] / listed[off.index[0]] == pytest.approx(1.25, abs=0.01)


def test_roll_mismatch_is_on_its_grade_row(returns, planted):
    (x,) = planted["roll_mismatch"]
    info = returns[T2][x.school_code].sheet(sheets.INFO.name)
    row = list(info.rows())[x.excel_row - 1]
    header = info.header
    assert row[header.index(sheets.INFO.columns["enrolled"])] == int(x.value)
    assert row[header.index(sheets.INFO.columns["grade"])] in vocab.GRADE_LABELS.values()


def test_fitness_low_coverage(district, planted):
    (x,) = planted["fitness_low_coverage"]
    tested = _by_school_grade(district.fitness[T2])
    enrolled = _by_school_grade(district.students[T2])
    share = tested.reindex(enrolled.index, fill_value=0) / enrolled
    key = (x.school_code, _grade(x))
    assert enrolled[key] >= 20 and share[key] == pytest.approx(0.5, abs=0.02)
    assert (share.drop(index=[key]) == 1).all()  # everyone else tested


def test_fitness_implausible(district, planted):
    fit = district.fitness[T2]
    all_sixty, none_below = sorted(planted["fitness_implausible"], key=lambda x: x.value is None)
    rows = fit[(fit["school_code"] == all_sixty.school_code) & (fit["grade"] == _grade(all_sixty))]
    assert len(rows) >= 20 and (rows["total_score"] == 60.0).all()
    # no other grade of the district is all one score
    assert (fit.groupby(["school_code", "grade"])["total_score"].nunique() == 1).sum() == 1
    assert none_below.value is None and none_below.excel_row is None
    mine = fit[fit["school_code"] == none_below.school_code]
    sizes = fit.groupby("school_code").size()
    assert sizes[none_below.school_code] >= sizes.quantile(0.9)  # a large school
    assert (mine["total_score"] >= 60).all()
    others = fit[~fit["school_code"].isin([none_below.school_code, all_sixty.school_code])]
    big = sizes[sizes >= 600].index.difference([none_below.school_code])
    assert (others[others["school_code"].isin(big)].groupby("school_code")["total_score"].min() < 60).all()


def test_survey_low_response(district, planted):
    (x,) = planted["survey_low_response"]
    answered = _by_school_grade(district.survey[T2])
    enrolled = _by_school_grade(district.students[T2])
    key = (x.school_code, _grade(x))
    assert answered[key] / enrolled[key] == pytest.approx(0.4, abs=0.02)
    assert (answered.drop(index=[key]) == enrolled.drop(index=[key])).all()


def test_survey_identical(district, planted):
    (x,) = planted["survey_identical"]
    sv = district.survey[T2]
    pairs = sv.groupby("school_code")[["homework_minutes", "sleep_hours"]].nunique()
    assert pairs.loc[x.school_code].tolist() == [1, 1]
    assert (pairs.drop(index=[x.school_code]) > 1).all().all()
    assert (sv["school_code"] == x.school_code).sum() > 100


def test_survey_impossible_days(district, planted, returns):
    sv = district.survey[T2]
    day = sv["homework_minutes"] / 60 + sv["sleep_hours"]
    rows = planted["survey_impossible"]
    assert len(rows) == len(IMPOSSIBLE_DAYS)
    assert set(sv.loc[day >= 23, "student_id"]) == {x.value for x in rows}
    assert day[day < 23].max() < 20  # every other answer leaves hours for school
    assert sv["homework_minutes"].between(0, 600).all() and sv["sleep_hours"].between(0, 16).all()  # sheet ranges
    for x in rows:
        sheet = returns[T2][x.school_code].sheet(sheets.SURVEY.name)
        row = list(sheet.rows())[x.excel_row - 1]
        at = {h: row[j] for j, h in enumerate(sheet.header)}
        minutes = at[sheet.renames.get(sheets.SURVEY.columns["homework_minutes"], "日均书面作业时间（分钟）")]
        hours = at[sheet.renames.get(sheets.SURVEY.columns["sleep_hours"], "日均睡眠时间（小时）")]
        assert x.value in row and (minutes, hours) in IMPOSSIBLE_DAYS


def test_routine_rows(district, planted, returns):
    rt = district.routine[T2]
    (over,) = planted["routine_evaluated_over_observed"]
    (days,) = planted["routine_over_teaching_days"]
    bad = rt[rt["lessons_evaluated"] > rt["lessons_observed"]]
    assert bad[["school_code", "staff_name"]].values.tolist() == [[over.school_code, over.value]]
    many = rt[rt["lessons_observed"] > 100]
    assert many[["school_code", "staff_name", "lessons_observed"]].values.tolist() == [
        [days.school_code, days.value, LESSONS_OVER_TERM]
    ]
    assert LESSONS_OVER_TERM <= 500  # within the sheet's range, so it reaches the check
    for x in (over, days):
        row = list(returns[T2][x.school_code].sheet(sheets.ROUTINE.name).rows())[x.excel_row - 1]
        assert x.value in row


def test_the_plants_that_were_there_before(district, planted):
    fit, sv, rt = district.fitness[T2], district.survey[T2], district.routine[T2]
    for x in planted["weak_fitness"]:
        assert fit.loc[fit["school_code"] == x.school_code, "total_score"].mean() < fit["total_score"].mean() - 5
    # share over the 双减 limits of grades 3-9 (60 minutes in 3-6, 90 in 7-9)
    upper = sv[sv["grade"] >= 3]
    over = upper["homework_minutes"] > upper["grade"].map(lambda g: 60 if g <= 6 else 90)
    share = over.groupby(upper["school_code"]).mean()
    for x in planted["heavy_homework"]:
        assert share[x.school_code] > 2 * share.median()
    heads = rt[rt["role"] == "校长"].set_index("staff_name")
    for x in planted["lazy_principal"]:
        # the district plan's minimum for a 校长 is 30 lessons a term
        assert heads.at[x.value, "school_code"] == x.school_code and heads.at[x.value, "lessons_observed"] < 30


def test_school_plants_have_no_row_and_row_plants_name_theirs(planted):
    for found in planted.values():
        for x in found:
            assert x.term == T2 and x.sheet in sheets.SHEETS_BY_NAME and x.detail
            if x.excel_row is not None:
                assert x.value and x.column


def test_new_plants_each_in_a_school_of_its_own(planted):
    before = ("weak_fitness", "heavy_homework", "lazy_principal")
    kinds_of: dict[str, set] = {}
    for x in (x for kind, found in planted.items() if kind not in before for x in found):
        kinds_of.setdefault(x.school_code, set()).add("routine" if x.kind.startswith("routine") else x.kind)
    assert len(kinds_of) == 10 and all(len(kinds) == 1 for kinds in kinds_of.values())
    weak_or_heavy = {x.school_code for kind in before[:2] for x in planted[kind]}
    assert not weak_or_heavy & set(kinds_of)


@pytest.mark.parametrize(("schools", "seed"), [(MIN_SCHOOLS, 1), (8, 5)])
def test_small_districts_get_every_plant(schools, seed):
    d = build_district(schools, seed, (T1, T2))
    assert {p.kind for p in d.plants[T2]} == set(PLANT_KINDS)


def test_below_the_size_or_without_the_autumn_term():
    before = {"weak_fitness", "heavy_homework", "lazy_principal"}
    assert {p.kind for p in build_district(5, 11, (T1, T2)).plants[T2]} <= before  # the e2e scratch district
    spring_only = {p.kind for p in build_district(8, 5, (T2,)).plants[T2]}
    assert spring_only == set(PLANT_KINDS) - {"unexplained_leaver", "unreported_arrival"}
