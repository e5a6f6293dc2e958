"""The survey's checks (作业与睡眠): a low response rate and a form whose answers are all identical are flagged and
kept for the school to check; a day of more than 24 hours sets the row aside. Exact messages."""

from __future__ import annotations

import pandas as pd

from checks.test_checks import clean_tables, only, run
from helpers import params_with
from helpers.cleanfixtures import issue_texts
from tqa.checks.frames import survey_groups_frame
from tqa.schema import sheets
from tqa.schema.tables import CLEAN

SV = sheets.SURVEY.name


def with_survey(rows, enrolment=None) -> dict[str, pd.DataFrame]:
    """The tiny district with its survey replaced by ``rows`` (school, excel_row, grade, minutes, hours) and,
    when given, its enrolment by ``enrolment`` (school, grade, enrolled)."""
    tables = clean_tables()
    tables["survey"] = pd.DataFrame(
        [(c, SV, r, f"S{c}{r:03d}", g, m, h) for c, r, g, m, h in rows], columns=CLEAN["survey"].names
    )
    if enrolment is not None:
        tables["enrolment"] = pd.DataFrame(
            [(c, sheets.INFO.name, 8 + g, g, n, 0, 0, 0, 0) for c, g, n in enrolment],
            columns=CLEAN["enrolment"].names,
        )
    return tables


ENROLMENT = [("001", 3, 4), ("002", 8, 2), ("003", 3, 1), ("003", 8, 1)]
QUIET = [  # every grade fully answered, answers varied
    ("001", 2, 3, 30.0, 10.0),
    ("001", 3, 3, 45.0, 9.5),
    ("001", 4, 3, 60.0, 9.0),
    ("001", 5, 3, 20.0, 10.5),
    ("002", 2, 8, 90.0, 9.0),
    ("002", 3, 8, 100.0, 8.0),
    ("003", 2, 3, 0.0, 10.0),
    ("003", 3, 8, 10.0, 9.0),
]
SURVEY_RULES = ("survey_response_low", "survey_identical_answers", "survey_impossible_day")


def test_quiet_on_a_survey_that_is_fine():
    res = run(with_survey(QUIET, ENROLMENT))
    assert not res.issues["rule"].isin(SURVEY_RULES).any()
    assert len(res.tables["survey"]) == len(QUIET)


def test_low_response_rate_is_flagged_with_its_counts_and_kept():
    # 001 grade 3: 4 enrolled, 3 answered = 75% < 80%; at exactly 80% (4 of 5) nothing is said
    rows = [r for r in QUIET if r[0] != "001"] + [("001", 2, 3, 30.0, 10.0), ("001", 3, 3, 45.0, 9.5),
                                                   ("001", 4, 3, 60.0, 9.0)]  # fmt: skip
    res = run(with_survey(rows, ENROLMENT))
    assert issue_texts(only(res, "survey_response_low")) == [
        "【警告】学校 001 城东小学，工作表「作业与睡眠」，年级=“75%”：3 年级「作业与睡眠」只有 3 名学生回答，在籍 4 人，"
        "回收率 75%，低于 80%：该年级的作业与睡眠统计可能不代表全体学生（已保留，请核对）"
    ]
    assert (res.tables["survey"]["school_code"] == "001").sum() == 3  # kept
    boundary = run(with_survey(rows + [("001", 6, 3, 25.0, 9.0)], [("001", 3, 5), *ENROLMENT[1:]]))
    assert only(boundary, "survey_response_low").empty


def test_a_grade_with_enrolment_and_no_answer_has_a_response_rate_of_zero():
    # 003 has survey rows for grade 3 only; its grade 8 (1 enrolled) has nobody answering
    rows = [r for r in QUIET if not (r[0] == "003" and r[2] == 8)]
    res = run(with_survey(rows, ENROLMENT))
    assert issue_texts(only(res, "survey_response_low")) == [
        "【警告】学校 003 南山九年一贯制学校，工作表「作业与睡眠」，年级=“0%”：8 年级「作业与睡眠」只有 0 名学生回答，"
        "在籍 1 人，回收率 0%，低于 80%：该年级的作业与睡眠统计可能不代表全体学生（已保留，请核对）"
    ]


def test_identical_answers_in_a_whole_school_and_in_one_grade():
    params = params_with({"homework_sleep": {"identical_min_respondents": 3}})
    rows = [
        # 001: every answer 40 minutes, 9.5 hours, over two grades (4 respondents): the school is named once
        ("001", 2, 3, 40.0, 9.5), ("001", 3, 3, 40.0, 9.5), ("001", 4, 3, 40.0, 9.5), ("001", 5, 4, 40.0, 9.5),
        # 002: grade 8's three answers identical (a blank sleep answer included), grade 7 differs
        ("002", 2, 8, 60.0, None), ("002", 3, 8, 60.0, None), ("002", 4, 8, 60.0, None), ("002", 5, 7, 30.0, 9.0),
        # 003: two identical answers are below the minimum of 3
        ("003", 2, 3, 10.0, 10.0), ("003", 3, 3, 10.0, 10.0),
    ]  # fmt: skip
    enrolment = [("001", 3, 3), ("001", 4, 1), ("002", 8, 3), ("002", 7, 1), ("003", 3, 2)]
    res = run(with_survey(rows, enrolment), params=params)
    assert issue_texts(only(res, "survey_identical_answers")) == [
        "【警告】学校 001 城东小学，工作表「作业与睡眠」，日均书面作业时间（分钟）、日均睡眠时间（小时）=“40 分钟、9.5 小时”："
        "全校「作业与睡眠」4 名学生的回答完全相同（书面作业 40 分钟、睡眠 9.5 小时），疑似由一人代填（已保留，请核对）",
        "【警告】学校 002 城西中学，工作表「作业与睡眠」，日均书面作业时间（分钟）、日均睡眠时间（小时）=“60 分钟、空 小时”："
        "8 年级「作业与睡眠」3 名学生的回答完全相同（书面作业 60 分钟、睡眠 空 小时），疑似由一人代填（已保留，请核对）",
    ]
    assert len(res.tables["survey"]) == len(rows)  # kept for review


def test_impossible_day_sets_the_row_aside_and_names_it():
    # 8 hours at school: 300 min + 11 h + 8 h = 24 is possible; 300 min + 11.5 h + 8 h = 24.5 is not;
    # a row with one answer blank cannot be judged
    rows = [*QUIET, ("001", 6, 3, 300.0, 11.0), ("001", 7, 3, 300.0, 11.5), ("001", 8, 3, 600.0, None)]
    res = run(with_survey(rows, [("001", 3, 7), *ENROLMENT[1:]]))
    assert issue_texts(only(res, "survey_impossible_day")) == [
        "【警告】学校 001 城东小学，工作表「作业与睡眠」，第 7 行，日均书面作业时间（分钟）、日均睡眠时间（小时）="
        "“300 分钟、11.5 小时”：日均书面作业 300 分钟、睡眠 11.5 小时，加上在校 8 小时，一天共 24.5 小时，超过 24 小时："
        "两个数不可能都对（已剔除该行（作业和睡眠两项都不计入统计），请学校核对）"
    ]
    kept = res.tables["survey"]
    assert sorted(kept.loc[kept["school_code"] == "001", "excel_row"]) == [2, 3, 4, 5, 6, 8]


def test_the_school_day_is_a_param():
    rows = [*QUIET, ("001", 6, 3, 300.0, 11.0)]
    res = run(with_survey(rows, ENROLMENT), params=params_with({"homework_sleep": {"school_day_hours": 9}}))
    assert only(res, "survey_impossible_day")["excel_row"].tolist() == [6]


def test_survey_groups_frame_counts_respondents_not_blank_rows():
    survey = with_survey([("001", 2, 3, 30.0, None), ("001", 3, 3, None, 9.0), ("001", 4, 3, None, None)])["survey"]
    enrolment = with_survey([], [("001", 3, 4)])["enrolment"]
    frame = survey_groups_frame(survey, enrolment, clean_tables()["returns"], 10)
    grade = frame[frame["scope"] == "grade"].iloc[0]
    assert (grade["respondents"], grade["enrolled"], grade["response_rate"]) == (2, 4.0, 0.5)
    assert frame.loc[frame["scope"] == "school", "response_rate"].isna().all()
