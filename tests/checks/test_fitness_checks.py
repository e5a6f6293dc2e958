"""体质健康 per school x grade: a low 测试覆盖率 and an implausible distribution (everyone with the same 学年总分; a
large grade with nobody below 60 while the district has many) are flagged for review, the rows kept."""

from __future__ import annotations

import pandas as pd

from checks.test_checks import clean_tables, only, rules, run
from tqa.checks.frames import fitness_grades_frame
from tqa.checks.step import issue_text
from tqa.schema import sheets
from tqa.schema.tables import CLEAN

F = sheets.FITNESS.name


def fitness_rows(code: str, grade: int, scores: list[float]) -> list[tuple]:
    return [(code, F, i + 2, f"{code}-{grade}-{i}", grade, "男女"[i % 2], s) for i, s in enumerate(scores)]


def with_fitness(rows: list[tuple], enrolment: dict[tuple[str, int], int]) -> dict[str, pd.DataFrame]:
    t = clean_tables()
    t["fitness"] = pd.DataFrame(rows, columns=CLEAN["fitness"].names)
    enr = t["enrolment"]
    for (code, grade), n in enrolment.items():
        hit = (enr["school_code"] == code) & (enr["grade"] == grade)
        if hit.any():
            enr.loc[hit, "enrolled"] = n
        else:
            enr.loc[len(enr)] = (code, sheets.INFO.name, 8 + grade, grade, n, 0, 0, 0, 0)
    return t


def test_coverage_below_the_minimum(params):
    # 001 grade 3: 18 of 24 enrolled tested (75% < 90%); 002 grade 8: 19 of 20 (95%); 003 grade 3: 1 of 4
    # (a grade under fitness.coverage_min_enrolled = 10 enrolled is not checked)
    rows = fitness_rows("001", 3, [70.0 + i for i in range(18)]) + fitness_rows("002", 8, [60.0 + i for i in range(19)])
    rows += fitness_rows("003", 3, [75.0])
    res = run(with_fitness(rows, {("001", 3): 24, ("002", 8): 20, ("003", 3): 4}))
    issues = only(res, "fitness_coverage_low")
    assert [issue_text(r) for r in issues.to_dict("records")] == [
        "【警告】学校 001 城东小学，工作表「体质健康」，年级=“3”：城东小学 3 年级参加体质健康测试 18 人，在籍 24 人，"
        "测试覆盖率 75%，低于 90%；请核对是否有学生漏测或漏报（已保留，请核对）"
    ]
    # flagged for review: the rows stay
    assert len(res.tables["fitness"]) == len(rows)


def test_everyone_with_the_same_score(params):
    # 001 grade 3: 12 students all at 60.0 (at least fitness.identical_min_n = 10); 002 grade 8: 9 students
    # all at 70.0 (too few to say)
    rows = fitness_rows("001", 3, [60.0] * 12) + fitness_rows("002", 8, [70.0] * 9)
    res = run(with_fitness(rows, {("001", 3): 12, ("002", 8): 9}))
    issues = only(res, "fitness_implausible")
    assert issues["message"].tolist() == [
        "城东小学 3 年级体质健康成绩的分布不合常理：参加测试的 12 名学生学年总分全部为 60 分；请核对成绩是否如实填报"
    ]
    assert (issues["severity"].tolist(), issues["action"].tolist()) == (["warning"], ["已保留，请核对"])
    assert len(res.tables["fitness"]) == len(rows)
    assert "fitness_coverage_low" not in rules(res)


def test_a_large_grade_with_nobody_below_the_pass_line(params):
    # grade 8: 002 tests 60 students, nobody below 60; 003's 40 students include 10 below: the district's grade
    # has 10 of 100 (10.0% > fitness.no_fail_district_share 5%) below 60. Grade 3 of 001: 60 students, nobody
    # below 60, but nobody below in the district either: not flagged.
    rows = fitness_rows("002", 8, [60.0 + i % 30 for i in range(60)])
    rows += fitness_rows("003", 8, [50.0] * 10 + [75.0] * 30)
    rows += fitness_rows("001", 3, [61.0 + i % 20 for i in range(60)])
    res = run(with_fitness(rows, {("002", 8): 60, ("003", 8): 40, ("001", 3): 60}))
    issues = only(res, "fitness_implausible")
    assert [issue_text(r) for r in issues.to_dict("records")] == [
        "【警告】学校 002 城西中学，工作表「体质健康」，学年总分=“8 年级”：城西中学 8 年级体质健康成绩的分布不合常理："
        "参加测试的 60 名学生中没有一人低于 60 分，而全区该年级低于 60 分的学生占 10.0%；请核对成绩是否如实填报（已保留，请核对）"
    ]


def test_the_frame_compares_rounded_scores(params):
    # 59.96 rounds to 60.0: not below the line; so 002's 60 students have nobody below 60 and the two identical
    # reasons are both given for 001 (12 students at 59.99999 = 60.0, and nobody below 60 while 003 has 20%)
    fit = pd.DataFrame(
        fitness_rows("001", 8, [59.99999] * 60) + fitness_rows("003", 8, [50.0] * 20 + [80.0] * 20),
        columns=CLEAN["fitness"].names,
    )
    enr = pd.DataFrame(
        [("001", sheets.INFO.name, 16, 8, 60, 0, 0, 0, 0), ("003", sheets.INFO.name, 16, 8, 40, 0, 0, 0, 0)],
        columns=CLEAN["enrolment"].names,
    )
    reg = pd.DataFrame({"school_code": ["001", "003"], "school_name": ["甲", "丙"], "school_type": ["初中", "初中"]})
    frame = fitness_grades_frame(fit, enr, reg, params).set_index("school_code")
    assert frame.loc["001", "implausible"] == 1
    assert frame.loc["001", "implausible_reason"] == (
        "参加测试的 60 名学生学年总分全部为 60 分；参加测试的 60 名学生中没有一人低于 60 分，而全区该年级低于 60 分的学生占 20.0%"
    )
    assert frame.loc["003", "implausible"] == 0 and frame.loc["003", "coverage"] == 1.0
