"""The cases planted in the sample district for the school-life measures and checks to find (issue 12).

Each plant is a function that changes the district's tables in place and returns what it planted as
``Plant`` records; the returns (tqa.devtools.sample.returns) turn them into ``Defect`` rows of
tests/fixtures/sample_defects.json once the layout is final. Plants go in the spring term, each in a
school of its own where the district is large enough (at least ``MIN_SCHOOLS``), chosen by a generator
keyed by the plant's kind: a plant never shifts another table's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tqa.core import vocabulary as vocab
from tqa.devtools.sample import names
from tqa.schema import sheets

# The plant kinds (the Defect.kind of the planted cases; the checks and the reports find them, not cleaning).
PLANT_KINDS = (
    "weak_fitness",
    "heavy_homework",
    "lazy_principal",
    "unexplained_leaver",
    "unreported_arrival",
    "roll_mismatch",
    "fitness_low_coverage",
    "fitness_implausible",
    "survey_low_response",
    "survey_identical",
    "survey_impossible",
    "routine_evaluated_over_observed",
    "routine_over_teaching_days",
)
MIN_SCHOOLS = 6  # smaller scratch districts get none of the new plants
MIN_GRADE_SIZE = 20  # a grade-level plant needs a grade of at least this many students
ROLL_INFLATION = 1.25  # the roll reported against the students listed
FITNESS_TESTED_SHARE = 0.5
SURVEY_RESPONSE_SHARE = 0.4
# (homework minutes, sleep hours): within the sheet's ranges, with at most an hour of the day left for school.
IMPOSSIBLE_DAYS = ((480, 15.0), (540, 14.0), (600, 13.5))
LESSONS_OVER_TERM = 480  # within the sheet's range (0-500), far above a term's teaching days

_ID = sheets.SCORES.columns["student_id"]
_STAFF = sheets.ROUTINE.columns["staff_name"]
_GRADE = sheets.INFO.columns["grade"]


@dataclass(frozen=True)
class Plant:
    term: str
    kind: str  # one of PLANT_KINDS
    school_code: str
    sheet: str
    detail: str  # Chinese, what was planted
    row_key: str | None = None  # the row's key cell (学籍号, 姓名 or 年级); None for a school-level plant
    column: str | None = None
    value: str | None = None


def _label(grade) -> str:
    return vocab.GRADE_LABELS[int(grade)]


def _school_of(candidate) -> str:
    return candidate[0] if isinstance(candidate, tuple) else candidate


def _pick(rng: np.random.Generator, candidates: list, used: set[str]):
    """One candidate (a school code or a (code, grade) pair), from a school without a plant yet if any is left."""
    free = [c for c in candidates if _school_of(c) not in used] or list(candidates)
    if not free:
        return None
    choice = free[int(rng.integers(0, len(free)))]
    used.add(_school_of(choice))
    return choice


def _grades_of_size(students: pd.DataFrame, at_least: int = MIN_GRADE_SIZE) -> list[tuple[str, int]]:
    n = students.groupby(["school_code", "grade"]).size()
    return [(str(c), int(g)) for (c, g), k in n.items() if k >= at_least]


def _events_by(events, kinds) -> dict[tuple[str, int], int]:
    out: dict[tuple[str, int], int] = {}
    for kind, code, g in events:
        if kind in kinds:
            out[(code, int(g))] = out.get((code, int(g)), 0) + 1
    return out


# ---- the plants that existed before issue 12: listed, not changed --------------------------------------
def existing_plants(schools: pd.DataFrame, staff: pd.DataFrame, term: str) -> list[Plant]:
    out = []
    for code in schools.loc[schools["weak_fitness"], "school_code"]:
        out.append(Plant(term, "weak_fitness", code, sheets.FITNESS.name, "全校体测成绩整体明显低于全区其他学校"))
    for code in schools.loc[schools["heavy_homework"], "school_code"]:
        out.append(Plant(term, "heavy_homework", code, sheets.SURVEY.name, "全校书面作业时间约为一般学校的 1.7 倍"))
    for s in staff[staff["lazy"]].itertuples():
        detail = f"校长 {s.staff_name} 听课节数远低于要求"
        out.append(
            Plant(
                term, "lazy_principal", s.school_code, sheets.ROUTINE.name, detail, s.staff_name, _STAFF, s.staff_name
            )
        )
    return out


# ---- enrolment: students between the two terms ----------------------------------------------------------
def plant_unexplained_leavers(first, studs, events, rng, term, used) -> tuple[pd.DataFrame, list[Plant]]:
    """A few students of one school (two grades) in last term's return and in no return this term, with no
    transfer out, dropout or death reported: taken from a school that reports no leaver at all if there is one
    (else from grades that report none), so that the reported movements stay exactly the explained leavers."""
    leaving = _events_by(events, ("transferred_out", "dropped_out", "died"))
    stayed = studs.merge(first[["student_id", "school_code"]], on=["student_id", "school_code"])
    quiet = {  # per school, the grades that report no leaver
        c: sorted(g for g in set(part["grade"]) if (c, g) not in leaving) for c, part in stayed.groupby("school_code")
    }
    none_leaving = [c for c in quiet if c not in {school for school, _ in leaving}]
    code = _pick(rng, none_leaving or [c for c, gs in quiet.items() if gs], used)
    if code is None:
        return studs, []
    mine = stayed[stayed["school_code"] == code]
    chosen = sorted(rng.choice(quiet[code], size=min(2, len(quiet[code])), replace=False))
    gone, plants = [], []
    for g in chosen:
        ids = sorted(mine.loc[mine["grade"] == g, "student_id"])
        k = int(rng.integers(2, 4))
        for sid in sorted(rng.choice(ids, size=min(k, len(ids)), replace=False)):
            gone.append(sid)
            detail = f"学生 {sid}（{_label(g)}）上学期在本校报表中，本学期各校报表中都没有，也没有报转出、辍学或死亡"
            plants.append(Plant(term, "unexplained_leaver", code, sheets.SCORES.name, detail, None, _ID, sid))
    return studs[~studs["student_id"].isin(gone)].reset_index(drop=True), plants


def plant_unreported_arrivals(first, studs, events, rng, term, year, used):
    """Three students new this term in one school's grade that reports no transfer in."""
    from tqa.devtools.sample.model import student_ids

    arriving = _events_by(events, ("transferred_in",))
    candidates = [cg for cg in _grades_of_size(studs) if cg not in arriving]
    pick = _pick(rng, candidates, used) if candidates else None
    if pick is None:
        return studs, []
    code, g = pick
    k = 3
    same = studs[(studs["school_code"] == code) & (studs["grade"] == g)]
    new = same.iloc[:k].copy()
    new["class_no"] = rng.integers(1, int(same["class_no"].max()) + 1, k)
    new["sex"] = np.where(rng.random(k) < 0.52, "男", "女")
    new["name"] = names.person_names(k, rng)
    new["theta"] = rng.normal(float(same["theta"].mean()), 0.85, k)
    for col in ("fit", "hw", "sleep"):
        new[col] = rng.normal(0, 1, k)
    new["exempt"] = False
    taken = set(first["student_id"]) | set(studs["student_id"])
    ids = []
    while len(ids) < k:
        for sid in student_ids(np.full(k, g), year, rng):
            if sid not in taken and len(ids) < k:
                taken.add(sid)
                ids.append(sid)
    new["student_id"] = ids
    plants = [
        Plant(
            term,
            "unreported_arrival",
            code,
            sheets.SCORES.name,
            f"学生 {sid} 本学期新出现在本校{_label(g)}，本校没有报转入",
            sid,
            _ID,
            sid,
        )
        for sid in sorted(ids)
    ]
    out = pd.concat([studs, new], ignore_index=True)
    out = out.sort_values(["school_code", "grade", "class_no", "student_id"], kind="stable").reset_index(drop=True)
    return out, plants


def plant_roll_mismatch(enrolment: pd.DataFrame, studs, rng, term, used) -> list[Plant]:
    """One grade's 在籍人数 a quarter above the students listed in 学业成绩."""
    pick = _pick(rng, _grades_of_size(studs), used)
    if pick is None:
        return []
    code, g = pick
    at = enrolment.index[(enrolment["school_code"] == code) & (enrolment["grade"] == g)][0]
    listed = int(enrolment.at[at, "enrolled"])
    reported = int(round(listed * ROLL_INFLATION))
    enrolment.at[at, "enrolled"] = reported
    detail = f"{_label(g)}在籍人数填 {reported}，学业成绩中只有 {listed} 名学生"
    column = sheets.INFO.columns["enrolled"]
    return [Plant(term, "roll_mismatch", code, sheets.INFO.name, detail, _label(g), column, str(reported))]


# ---- fitness --------------------------------------------------------------------------------------------
def plant_fitness_low_coverage(fitness: pd.DataFrame, rng, term, used) -> tuple[pd.DataFrame, list[Plant]]:
    """One grade where only half the students have a 体质健康 row."""
    pick = _pick(rng, _grades_of_size(fitness), used)
    if pick is None:
        return fitness, []
    code, g = pick
    rows = fitness.index[(fitness["school_code"] == code) & (fitness["grade"] == g)].to_numpy()
    drop = rng.choice(rows, size=len(rows) - int(round(len(rows) * FITNESS_TESTED_SHARE)), replace=False)
    detail = f"{_label(g)}在籍 {len(rows)} 人，只有 {len(rows) - len(drop)} 人有体测成绩"
    plant = Plant(term, "fitness_low_coverage", code, sheets.FITNESS.name, detail, None, _GRADE, _label(g))
    return fitness.drop(index=drop).reset_index(drop=True), [plant]


def plant_fitness_all_sixty(fitness: pd.DataFrame, rng, term, used) -> list[Plant]:
    """One grade where every 学年总分 is exactly 60.0."""
    pick = _pick(rng, _grades_of_size(fitness), used)
    if pick is None:
        return []
    code, g = pick
    rows = (fitness["school_code"] == code) & (fitness["grade"] == g)
    fitness.loc[rows, "total_score"] = 60.0
    detail = f"{_label(g)} {int(rows.sum())} 名学生的学年总分全部是 60.0"
    return [Plant(term, "fitness_implausible", code, sheets.FITNESS.name, detail, None, _GRADE, _label(g))]


def plant_fitness_none_below_sixty(fitness: pd.DataFrame, rng, term, used) -> list[Plant]:
    """The largest school (without another plant): every score below 60 lifted to 60.0-64.9."""
    sizes = fitness.groupby("school_code").size()
    free = [c for c in sizes.index if c not in used]
    if not free:
        return []
    code = max(free, key=lambda c: (sizes[c], c))
    used.add(code)
    low = fitness.index[(fitness["school_code"] == code) & (fitness["total_score"] < 60)]
    fitness.loc[low, "total_score"] = np.round(rng.uniform(60.0, 64.9, len(low)), 1)
    detail = (
        f"全校 {int(sizes[code])} 名学生没有一人学年总分低于 60 分（{len(low)} 个低于 60 分的成绩被改成 60 分以上）"
    )
    return [Plant(term, "fitness_implausible", code, sheets.FITNESS.name, detail)]


# ---- homework and sleep ---------------------------------------------------------------------------------
def plant_survey_low_response(survey: pd.DataFrame, rng, term, used) -> tuple[pd.DataFrame, list[Plant]]:
    """One grade where only 40 % of the students answered."""
    pick = _pick(rng, _grades_of_size(survey), used)
    if pick is None:
        return survey, []
    code, g = pick
    rows = survey.index[(survey["school_code"] == code) & (survey["grade"] == g)].to_numpy()
    keep = int(round(len(rows) * SURVEY_RESPONSE_SHARE))
    drop = rng.choice(rows, size=len(rows) - keep, replace=False)
    detail = f"{_label(g)}在籍 {len(rows)} 人，只有 {keep} 人填写了作业与睡眠调查"
    plant = Plant(term, "survey_low_response", code, sheets.SURVEY.name, detail, None, _GRADE, _label(g))
    return survey.drop(index=drop).reset_index(drop=True), [plant]


def plant_survey_identical(survey: pd.DataFrame, rng, term, used) -> list[Plant]:
    """One school whose every row has the same homework minutes and sleep hours (its own medians)."""
    code = _pick(rng, sorted(survey["school_code"].unique()), used)
    if code is None:
        return []
    rows = survey["school_code"] == code
    minutes = int(survey.loc[rows, "homework_minutes"].median() // 5 * 5)
    hours = float(np.round(survey.loc[rows, "sleep_hours"].median() * 2) / 2)
    survey.loc[rows, "homework_minutes"] = minutes
    survey.loc[rows, "sleep_hours"] = hours
    detail = f"全校 {int(rows.sum())} 行的作业时间都是 {minutes} 分钟、睡眠时间都是 {hours:g} 小时"
    return [Plant(term, "survey_identical", code, sheets.SURVEY.name, detail)]


def plant_survey_impossible(survey: pd.DataFrame, rng, term, used) -> list[Plant]:
    """A few rows of one school whose homework and sleep leave at most an hour of the day for school."""
    answers = survey.groupby("school_code")[["homework_minutes", "sleep_hours"]].nunique()
    varied = answers.index[(answers > 1).any(axis=1)]  # never the all-identical school (small districts)
    code = _pick(rng, sorted(varied), used)
    if code is None:
        return []
    rows = survey.index[survey["school_code"] == code].to_numpy()
    chosen = np.sort(rng.choice(rows, size=min(len(IMPOSSIBLE_DAYS), len(rows)), replace=False))
    plants = []
    for at, (minutes, hours) in zip(chosen, IMPOSSIBLE_DAYS):
        survey.at[at, "homework_minutes"] = minutes
        survey.at[at, "sleep_hours"] = hours
        sid = survey.at[at, "student_id"]
        detail = f"学生 {sid} 每天书面作业 {minutes} 分钟、睡眠 {hours:g} 小时，一天里几乎没有上学的时间"
        plants.append(Plant(term, "survey_impossible", code, sheets.SURVEY.name, detail, sid, _ID, sid))
    return plants


# ---- teaching routine -----------------------------------------------------------------------------------
def plant_routine_rows(routine: pd.DataFrame, rng, term, used) -> list[Plant]:
    """Two teachers of one school: more lessons evaluated than observed; more lessons observed than a term has."""
    unique = ~routine.duplicated(["school_code", "staff_name"], keep=False)
    teachers = routine[(routine["role"] == "教师") & unique]
    per_school = teachers.groupby("school_code").size()
    code = _pick(rng, sorted(per_school.index[per_school >= 2]), used)
    if code is None:
        return []
    first, second = np.sort(rng.choice(teachers.index[teachers["school_code"] == code], size=2, replace=False))
    observed = int(routine.at[first, "lessons_observed"])
    routine.at[first, "lessons_evaluated"] = observed + 8
    routine.at[second, "lessons_observed"] = LESSONS_OVER_TERM
    a, b = routine.at[first, "staff_name"], routine.at[second, "staff_name"]
    return [
        Plant(
            term,
            "routine_evaluated_over_observed",
            code,
            sheets.ROUTINE.name,
            f"教师 {a} 评课 {observed + 8} 节，多于听课 {observed} 节",
            a,
            _STAFF,
            a,
        ),
        Plant(
            term,
            "routine_over_teaching_days",
            code,
            sheets.ROUTINE.name,
            f"教师 {b} 听课 {LESSONS_OVER_TERM} 节，超过一个学期的教学日所能容纳的节数",
            b,
            _STAFF,
            b,
        ),
    ]
