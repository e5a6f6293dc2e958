"""Data-quality checks (step 2): each check fires on a fixture and stays quiet on clean data."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from helpers import params_with
from tqa.checks import (
    STATUS_FIXED,
    STATUS_KEPT,
    STATUS_MISSING,
    STATUS_OK,
    STATUS_PARTIAL,
    STATUS_SET_ASIDE,
    read_suite_files,
    run_checks,
    school_status,
)
from tqa.checks.workbook import HEADERS, REPLY_HEADER, SUMMARY_SHEET, write_quality_workbook
from tqa.core.issues import ISSUE_COLUMNS, Issue, issues_frame
from tqa.io.office import read_exam_spec, read_item_spec, read_registry
from tqa.schema import office, sheets
from tqa.schema.tables import CHECKED, CLEAN

PARAMS = params_with()  # shipped: tolerance 0, an unlisted subject blocks from 10 students
SUITES = "checks"
S = sheets.SCORES.name


# ---- fixtures: a tiny clean district --------------------------------------------------------
def registry() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "school_code": ["001", "002", "003", "004"],
            "school_name": ["城东小学", "城西中学", "南山九年一贯制学校", "北岭小学"],
            "name_variants": ["", "", "", ""],
            "school_type": ["小学", "初中", "九年一贯制", "小学"],
            "category": ["城区", "城区", "乡镇", "农村"],
        }
    )


def exam_spec() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "grade": [1, 1, 3, 3, 8, 8],
            "subject": ["语文", "数学", "语文", "数学", "语文", "数学"],
            "full_marks": [math.nan, math.nan, 100.0, 100.0, 120.0, 120.0],
            "mode": ["等级", "等级", "分数", "分数", "分数", "分数"],
            "csv_row": range(2, 8),  # as tqa.io.office.read_exam_spec gives it
        }
    )


# (school, grade, student ids, 语文 score, 数学 score)
ROSTER = [
    ("001", 3, ["A01", "A02", "A03"], [95.0, 60.0, 30.0], [100.0, 0.0, 75.5]),
    ("002", 8, ["B01", "B02"], [120.0, 88.0], [99.0, 110.0]),
    ("003", 3, ["C01"], [70.0], [80.0]),
    ("003", 8, ["C02"], [100.0], [90.0]),
]


def clean_tables() -> dict[str, pd.DataFrame]:
    students, scores, fitness, survey, enrolment, routine = [], [], [], [], [], []
    rows = {}
    for code, grade, ids, chinese, maths in ROSTER:
        for sid, c, m in zip(ids, chinese, maths):
            r = rows[code] = rows.get(code, 1) + 1
            students.append((code, S, r, sid, f"学生{sid}", grade, 1, "男" if r % 2 else "女", True))
            for subject, score in (("语文", c), ("数学", m)):
                scores.append((code, S, r, sid, grade, 1, True, subject, "scored", score, None, str(score)))
            fitness.append((code, sheets.FITNESS.name, r, sid, grade, "男" if r % 2 else "女", 85.5))
            survey.append((code, sheets.SURVEY.name, r, sid, grade, 50.0, 9.5))
    for code, grade in {(c, g) for c, g, *_ in ROSTER}:
        n = sum(len(ids) for c, g, ids, *_ in ROSTER if (c, g) == (code, grade))
        enrolment.append((code, sheets.INFO.name, 8 + grade, grade, n + 1, 0, 0, 0, 0))
    for code in ("001", "002", "003"):
        routine.append((code, sheets.ROUTINE.name, 2, "张老师", "校长", 30, 10, 12.0))
    reg = registry()
    returns = pd.DataFrame(
        {
            "school_code": reg["school_code"],
            "school_name": reg["school_name"],
            "school_type": reg["school_type"],
            "category": reg["category"],
            "submitted": [True, True, True, False],
            "source_file": ["001.xlsx", "002.xlsx", "003.xlsx", None],
            "source_sha256": ["a", "b", "c", None],
            "name_in_return": ["城东小学", "城西中学", "南山学校", None],
            "filled_by": ["李", "王", "赵", None],
        }
    )
    tables = {
        "returns": returns,
        "students": pd.DataFrame(students, columns=CLEAN["students"].names),
        "scores": pd.DataFrame(scores, columns=CLEAN["scores"].names),
        "fitness": pd.DataFrame(fitness, columns=CLEAN["fitness"].names),
        "survey": pd.DataFrame(survey, columns=CLEAN["survey"].names),
        "enrolment": pd.DataFrame(sorted(enrolment), columns=CLEAN["enrolment"].names),
        "routine": pd.DataFrame(routine, columns=CLEAN["routine"].names),
        "issues": issues_frame([]),
    }
    tables["scores"]["level"] = tables["scores"]["level"].astype("string")
    return tables


def run(tables=None, reg=None, spec=None, params=PARAMS):
    return run_checks(
        clean_tables() if tables is None else tables,
        registry() if reg is None else reg,
        exam_spec() if spec is None else spec,
        params,
        suites_dir=SUITES,
    )


def rules(result, stage="checks") -> list[str]:
    df = result.issues
    return sorted(df.loc[df["stage"] == stage, "rule"])


def only(result, rule) -> pd.DataFrame:
    return result.issues.loc[result.issues["rule"] == rule].reset_index(drop=True)


def set_row(df, mask, **values):
    df = df.copy()
    for k, v in values.items():
        df.loc[mask, k] = v
    return df


@pytest.fixture(scope="module")
def clean_result():
    return run()


# ---- clean data -----------------------------------------------------------------------------
def test_clean_data_only_reports_the_missing_return(clean_result):
    assert rules(clean_result) == ["missing_return"]
    assert not clean_result.blocking
    ret = clean_result.tables["returns"].set_index("school_code")
    assert ret["status"].to_dict() == {"001": STATUS_OK, "002": STATUS_OK, "003": STATUS_OK, "004": STATUS_MISSING}
    assert ret["usable"].to_dict() == {"001": True, "002": True, "003": True, "004": False}
    assert len(clean_result.tables["scores"]) == 14 and len(clean_result.tables["students"]) == 7


def test_missing_return_is_listed(clean_result):
    issue = only(clean_result, "missing_return").iloc[0]
    assert (issue["severity"], issue["school_code"], issue["school_name"]) == ("warning", "004", "北岭小学")
    assert issue["message"] == "该校本学期未提交报表"


def test_registered_school_absent_from_returns_counts_as_not_submitted():
    t = clean_tables()
    t["returns"] = t["returns"].iloc[:3]
    res = run(t)
    assert res.tables["returns"].set_index("school_code").loc["004", "status"] == STATUS_MISSING
    assert rules(res) == ["missing_return"]


# ---- blocking checks ------------------------------------------------------------------------
def test_subject_without_full_marks_blocks():
    t = clean_tables()
    # Ten students scored on a paper the spec lacks: the spec is missing the subject.
    extra = pd.concat([t["scores"].iloc[[0]]] * 10, ignore_index=True).assign(subject="英语", score=50.0)
    t["scores"] = pd.concat([t["scores"], extra], ignore_index=True)
    res = run(t)
    assert "subject_not_in_grade" not in rules(res)
    issue = only(res, "subject_without_full_marks").iloc[0]
    assert res.blocking and issue["severity"] == "blocking"
    assert "3 年级「英语」" in issue["message"] and "001" in issue["message"]
    assert "阻断问题" in res.summary() and "英语" in res.summary()


def test_stray_score_for_unlisted_subject_is_a_warning():
    t = clean_tables()
    extra = t["scores"].iloc[[0]].assign(subject="英语", score=50.0)
    t["scores"] = pd.concat([t["scores"], extra], ignore_index=True)
    res = run(t)
    assert not res.blocking and "subject_without_full_marks" not in rules(res)
    issue = only(res, "subject_not_in_grade").iloc[0]
    assert issue["severity"] == "warning" and "3 年级本学期考试安排中没有「英语」" in issue["message"]
    kept = res.tables["scores"]
    assert not ((kept["subject"] == "英语") & (kept["status"] == "scored")).any()


def test_level_graded_subject_needs_no_full_marks():
    t = clean_tables()
    extra = t["scores"].iloc[[0]].assign(grade=1, status="level", score=math.nan, level="良好")
    t["scores"] = pd.concat([t["scores"], extra], ignore_index=True)
    assert "subject_without_full_marks" not in rules(run(t))


def test_unknown_school_blocks_and_is_set_aside():
    t = clean_tables()
    t["returns"] = set_row(t["returns"], t["returns"]["school_code"] == "003", school_code="099")
    for name in ("students", "scores", "fitness", "survey", "enrolment", "routine"):
        t[name] = set_row(t[name], t[name]["school_code"] == "003", school_code="099")
    res = run(t)
    assert res.blocking
    assert "unknown_school" in rules(res)
    ret = res.tables["returns"].set_index("school_code")
    assert ret.loc["099", "status"] == STATUS_SET_ASIDE and not ret.loc["099", "usable"]
    assert "099" not in set(res.tables["scores"]["school_code"])
    # 003 (registered) is now listed as not submitted
    assert ret.loc["003", "status"] == STATUS_MISSING


def test_unknown_school_from_cleaning_blocks():
    t = clean_tables()
    t["issues"] = issues_frame(
        [
            Issue(
                "clean",
                "warning",
                "unknown_school",
                "077",
                None,
                None,
                None,
                None,
                "学校代码不在名册中",
                "已跳过该文件",
            )
        ]
    )
    res = run(t)
    assert res.blocking
    assert only(res, "unknown_school")["stage"].tolist() == ["clean", "checks"]


def test_exam_spec_duplicate_and_non_positive_full_marks_block():
    spec = pd.concat([exam_spec(), exam_spec().iloc[[2]].assign(csv_row=8)], ignore_index=True)
    spec.loc[4, "full_marks"] = 0.0
    res = run(spec=spec)
    assert res.blocking
    dup = only(res, "exam_spec_duplicate")
    assert sorted(dup["excel_row"].tolist()) == [4, 8]  # CSV lines of both copies
    bad = only(res, "exam_spec_full_marks_not_positive").iloc[0]
    assert (bad["excel_row"], bad["value"]) == (6, "0")


def test_no_usable_return_blocks():
    t = clean_tables()
    t["returns"]["submitted"] = False
    res = run(t)
    assert res.blocking and "no_usable_return" in rules(res)
    assert not res.tables["returns"]["usable"].any()


def test_clean_stage_blocking_makes_the_run_blocking():
    t = clean_tables()
    t["issues"] = issues_frame([Issue("clean", "blocking", "unreadable", "001", None, None, None, None, "x", "y")])
    assert run(t).blocking


# ---- warning checks -------------------------------------------------------------------------
def test_score_above_full_marks_sets_the_score_aside(clean_result):
    t = clean_tables()
    sc = t["scores"]
    target = (sc["school_code"] == "001") & (sc["student_id"] == "A02") & (sc["subject"] == "数学")
    t["scores"] = set_row(sc, target, score=150.0)
    res = run(t)
    assert not res.blocking
    issue = only(res, "score_above_full_marks").iloc[0]
    assert (
        issue["school_code"],
        issue["school_name"],
        issue["sheet"],
        issue["excel_row"],
        issue["column"],
        issue["value"],
    ) == ("001", "城东小学", "学业成绩", 3, "数学", "150")
    assert issue["message"] == "数学成绩 150 超过该科满分 100"
    kept = res.tables["scores"]
    cell = kept.loc[(kept["student_id"] == "A02") & (kept["subject"] == "数学")].iloc[0]
    assert cell["status"] == "invalid" and math.isnan(cell["score"])
    assert len(kept) == 14  # the student's other score and row stay
    assert res.tables["returns"].set_index("school_code").loc["001", "status"] == STATUS_PARTIAL
    # 120 on the 120-mark grade-8 paper is fine (boundary)
    assert "score_above_full_marks" not in rules(clean_result)


def test_negative_score():
    t = clean_tables()
    t["scores"] = set_row(t["scores"], t["scores"].index == 0, score=-5.0)
    issue = only(run(t), "score_negative").iloc[0]
    assert (issue["school_code"], issue["excel_row"], issue["value"]) == ("001", 2, "-5")


def test_student_id_conflict_listed_for_both_schools():
    t = clean_tables()
    for name in ("students", "scores"):
        t[name] = set_row(t[name], t[name]["student_id"] == "B02", student_id="A01")
    res = run(t)
    conf = only(res, "student_id_conflict_students")
    assert conf[["school_code", "sheet", "excel_row"]].values.tolist() == [["001", S, 2], ["002", S, 3]]
    assert "002 城西中学" in conf.loc[0, "message"] and "001 城东小学" in conf.loc[1, "message"]
    assert "A01" not in set(res.tables["students"]["student_id"])
    assert "A01" not in set(res.tables["scores"]["student_id"])
    assert len(res.tables["scores"]) == 10
    st = res.tables["returns"].set_index("school_code")["status"]
    assert st["001"] == st["002"] == STATUS_PARTIAL and st["003"] == STATUS_OK


def test_grade_not_offered_by_school_type():
    t = clean_tables()
    for name in ("students", "scores"):
        t[name] = set_row(t[name], t[name]["student_id"] == "A03", grade=8)
    t["scores"] = set_row(t["scores"], t["scores"]["student_id"] == "A03", score=10.0)
    res = run(t)
    issue = only(res, "grade_not_offered_students").iloc[0]
    assert (issue["school_code"], issue["excel_row"], issue["value"]) == ("001", 4, "8")
    assert issue["message"] == "本校为小学，不设 8 年级"
    assert "A03" not in set(res.tables["scores"]["student_id"])


def test_invalid_sex_fitness_range_and_survey_ranges():
    t = clean_tables()
    t["students"] = set_row(t["students"], t["students"].index == 0, sex="未知")
    t["fitness"] = set_row(t["fitness"], t["fitness"].index == 1, total_score=121.0)
    t["survey"] = set_row(t["survey"], t["survey"].index == 2, homework_minutes=601.0)
    t["survey"] = set_row(t["survey"], t["survey"].index == 3, sleep_hours=-1.0)
    res = run(t)
    assert {
        "invalid_sex_students",
        "fitness_total_out_of_range",
        "homework_minutes_out_of_range",
        "sleep_hours_out_of_range",
    } <= set(rules(res))
    assert len(res.tables["fitness"]) == 6 and len(res.tables["survey"]) == 5
    assert only(res, "fitness_total_out_of_range").loc[0, "value"] == "121"


def test_routine_numbers_outside_their_range():
    t = clean_tables()
    t["routine"] = set_row(t["routine"], t["routine"]["school_code"] == "002", research_hours=-2.0)
    t["routine"] = set_row(t["routine"], t["routine"]["school_code"] == "003", lessons_observed=501)
    res = run(t)
    issue = only(res, "routine_out_of_range_research_hours").iloc[0]
    assert (issue["school_code"], issue["column"], issue["value"]) == ("002", "教研时数", "-2")
    assert issue["message"] == "教研时数 -2 不在 0–1000 小时之间（本学期）"  # the range from the sheet spec
    assert (
        only(res, "routine_out_of_range_lessons_observed").iloc[0]["message"]
        == "听课节数 501 不在 0–500 节之间（本学期）"
    )
    assert set(res.tables["routine"]["school_code"]) == {"001"}


def test_enrolment_counts_outside_their_range():
    t = clean_tables()
    en = t["enrolment"]
    first = en.index == en.index[0]
    t["enrolment"] = set_row(en, first, transferred_in=6000, transferred_out=-1, dropped_out=5001, died=-2)
    res = run(t)
    for rule in (
        "transferred_in_out_of_range",
        "transferred_out_out_of_range",
        "dropped_out_out_of_range",
        "died_out_of_range",
    ):
        assert len(only(res, rule)) == 1, rule
    assert only(res, "transferred_in_out_of_range").iloc[0]["message"] == "3 年级转入人数 6000 不在 0–5000 之间"
    assert len(res.tables["enrolment"]) == len(en) - 1


def test_tested_over_enrolled_respects_tolerance():
    t = clean_tables()
    en = t["enrolment"]
    t["enrolment"] = set_row(en, (en["school_code"] == "001") & (en["grade"] == 3), enrolled=1)
    res = run(t)
    issue = only(res, "tested_over_enrolled").iloc[0]
    assert issue["school_code"] == "001" and issue["message"] == "3 年级「学业成绩」中有 3 名学生，多于在籍人数 1"
    assert len(res.tables["enrolment"]) == 3
    loose = run(t, params=params_with({"checks": {"tested_over_enrolled_tolerance": 2}}))
    assert "tested_over_enrolled" not in rules(loose)


def test_lost_sheet_sets_the_measure_aside():
    t = clean_tables()
    t["fitness"] = t["fitness"].loc[t["fitness"]["school_code"] != "002"]
    res = run(t)
    issue = only(res, "missing_sheet_fitness").iloc[0]
    assert (issue["school_code"], issue["sheet"]) == ("002", "体质健康")
    assert res.tables["returns"].set_index("school_code").loc["002", "usable"]


def test_lost_scores_sheet_sets_the_school_aside():
    t = clean_tables()
    for name in ("students", "scores"):
        t[name] = t[name].loc[t[name]["school_code"] != "003"]
    res = run(t)
    assert "missing_sheet_scores" in rules(res)
    ret = res.tables["returns"].set_index("school_code")
    assert ret.loc["003", "status"] == STATUS_SET_ASIDE and not ret.loc["003", "usable"]
    assert "003" not in set(res.tables["fitness"]["school_code"])


# ---- the suites themselves ------------------------------------------------------------------
def test_every_expectation_is_exercised_by_a_test():
    """No check that cannot fail: every rule id in checks/*.json appears in a test (the checks' tests, or the
    tests of the office files' readers, tests/io/test_office.py)."""
    tests = [*Path(__file__).parent.glob("test_*.py"), Path(__file__).parents[1] / "io" / "test_office.py"]
    source = "".join(p.read_text(encoding="utf-8") for p in tests)
    all_rules = [e["meta"]["rule"] for s in read_suite_files(SUITES).values() for e in s["expectations"]]
    untested = [r for r in all_rules if f'"{r}"' not in source]
    assert untested == [], untested


def test_remaining_rules_fire():
    """Checks not covered above, one fixture each."""
    t = clean_tables()
    t["returns"] = pd.concat([t["returns"], t["returns"].iloc[[0]].assign(school_code=None)], ignore_index=True)
    t["fitness"] = set_row(t["fitness"], t["fitness"].index == 0, sex="X", grade=9)
    t["fitness"] = set_row(t["fitness"], t["fitness"]["student_id"] == "C02", student_id="B01")
    t["survey"] = set_row(t["survey"], t["survey"].index == 0, grade=9)
    t["survey"] = set_row(t["survey"], t["survey"]["student_id"] == "A01", student_id="B01")
    t["routine"] = set_row(t["routine"], t["routine"].index == 0, lessons_observed=-1, lessons_evaluated=-1)
    en = t["enrolment"]
    t["enrolment"] = set_row(en, en["school_code"] == "002", grade=2, enrolled=-3)
    for name in ("survey", "routine"):
        t[name] = t[name].loc[t[name]["school_code"] != "003"]
    t["enrolment"] = t["enrolment"].loc[t["enrolment"]["school_code"] != "003"]
    spec = exam_spec().assign(mode=["等级", "等级", "分数", "分数", "分数", "百分"])
    res = run(t, spec=spec)
    expected = {
        "missing_school_code",
        "invalid_sex_fitness",
        "grade_not_offered_fitness",
        "student_id_conflict_fitness",
        "student_id_conflict_survey",
        "grade_not_offered_survey",
        "routine_out_of_range_lessons_observed",
        "routine_out_of_range_lessons_evaluated",
        "grade_not_offered_enrolment",
        "enrolled_out_of_range",
        "missing_sheet_survey",
        "missing_sheet_routine",
        "missing_sheet_info",
        "exam_spec_mode_unknown",
    }
    assert expected <= set(rules(res)), expected - set(rules(res))


# ---- office CSV readers ---------------------------------------------------------------------
def test_read_registry_and_exam_spec(tmp_path):
    reg = tmp_path / "registry.csv"
    reg.write_text(
        "学校代码,学校名称,曾用名或简称,学校类型,学校类别\n1,城东小学,东小|城东,小学,城区\n", encoding="utf-8-sig"
    )
    spec = tmp_path / "exam_spec.csv"
    spec.write_text("年级,学科,满分,评价方式\n七年级,语文,120,分数\n1,数学,,等级\n", encoding="utf-8-sig")
    r = read_registry(reg)
    assert r.loc[0, "school_code"] == "001" and r.loc[0, "name_variants"] == "东小|城东"
    s = read_exam_spec(spec)
    assert s["grade"].tolist() == [7, 1] and s["full_marks"].iloc[0] == 120.0 and math.isnan(s["full_marks"].iloc[1])
    assert s["mode"].tolist() == ["分数", "等级"]


# ---- workbook -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def messy_result():
    t = clean_tables()
    sc = t["scores"]
    t["scores"] = set_row(sc, (sc["student_id"] == "A02") & (sc["subject"] == "数学"), score=150.0)
    for name in ("students", "scores"):
        t[name] = set_row(t[name], t[name]["student_id"] == "B02", student_id="A01")
    t["issues"] = issues_frame(
        [
            Issue(
                "clean",
                "fixed",
                "fullwidth_digits",
                "003",
                "学业成绩",
                2,
                "语文",
                "７０",
                "全角数字已转换为半角",
                "已自动修正",
            )
        ]
    )
    return run(t)


def test_workbook_is_byte_identical_and_has_expected_sheets(tmp_path, messy_result):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_quality_workbook(messy_result.issues, messy_result.tables["returns"], a)
    write_quality_workbook(messy_result.issues, messy_result.tables["returns"], b)
    assert a.read_bytes() == b.read_bytes()
    assert zipfile.is_zipfile(a)
    wb = openpyxl.load_workbook(a)
    assert wb.sheetnames[0] == SUMMARY_SHEET
    assert wb.sheetnames[1:] == ["全部问题", "001 城东小学", "002 城西中学", "003 南山九年一贯制学校"]
    summary = wb[SUMMARY_SHEET]
    header = [c.value for c in summary[1]]
    assert header[:2] == ["学校代码", "学校名称"]
    rows = {r[0]: r for r in summary.iter_rows(min_row=2, values_only=True)}
    # 001: one score (warning) + one conflict (warning); 004 not submitted
    assert rows["001"][header.index("警告")] == 2 and rows["001"][header.index("状态")] == STATUS_PARTIAL
    assert rows["003"][header.index("已自动修正")] == 1 and rows["003"][header.index("状态")] == STATUS_FIXED
    assert rows["004"][header.index("是否提交")] == "否" and rows["004"][header.index("状态")] == STATUS_MISSING
    s001 = wb["001 城东小学"]
    assert [c.value for c in s001[1]] == [*HEADERS, REPLY_HEADER]
    assert s001.freeze_panes == "A2"
    body = list(s001.iter_rows(min_row=2, values_only=True))
    assert [(r[2], r[3], r[4], r[5]) for r in body] == [
        ("学业成绩", 2, "全国学籍号", "A01"),
        ("学业成绩", 3, "数学", "150"),
    ]
    assert {r[8] for r in body} == {"警告"}
    assert wb["全部问题"].auto_filter.ref is not None


# ---- school status: what was done to the school's rows ------------------------------------------
DROP_ROW = ("warning", "已剔除该行")
DROP_CELL = ("warning", "该成绩不计入统计")
DROP_MEASURE = ("warning", "该校不纳入体质健康统计")
KEPT = ("warning", "已保留，请核对")
IGNORED = ("warning", "已忽略")
AUTO_FIXED = ("fixed", "已自动修正")
SKIPPED = ("fixed", "已跳过")


@pytest.mark.parametrize(
    "submitted, set_aside, problems, status",
    [
        (True, False, [], STATUS_OK),
        (True, False, [AUTO_FIXED], STATUS_FIXED),
        (True, False, [SKIPPED, AUTO_FIXED], STATUS_FIXED),
        (True, False, [KEPT], STATUS_KEPT),
        (True, False, [IGNORED, AUTO_FIXED], STATUS_KEPT),
        (True, False, [DROP_ROW], STATUS_PARTIAL),
        (True, False, [DROP_CELL], STATUS_PARTIAL),
        (True, False, [DROP_MEASURE], STATUS_PARTIAL),
        (True, False, [KEPT, AUTO_FIXED, DROP_ROW], STATUS_PARTIAL),
        (True, False, [("warning", "某种新的处理方式")], STATUS_PARTIAL),  # unknown wording: never "kept"
        (True, True, [KEPT], STATUS_SET_ASIDE),
        (True, True, [("blocking", "运行已停止；请核对学校代码或更新学校名册")], STATUS_SET_ASIDE),
        (False, False, [], STATUS_MISSING),
        (False, True, [("warning", "该校暂无数据，不纳入统计")], STATUS_MISSING),
    ],
)
def test_school_status(submitted, set_aside, problems, status):
    assert school_status(submitted, set_aside, problems) == status


def test_every_suite_warning_that_sets_data_aside_says_so():
    """A rule whose meta.set_aside leaves data out must not be worded as keeping it (school_status reads the
    action), and a rule that sets nothing aside is blocking (the run stops) or a flag for review: a warning
    worded as keeping the rows (tqa.core.issues.KEEPS_DATA)."""
    from tqa.core.issues import sets_data_aside

    for suite in read_suite_files(SUITES).values():
        for e in suite["expectations"]:
            meta = e["meta"]
            if meta["set_aside"] == "none" and meta["severity"] == "warning":
                assert not sets_data_aside(meta["severity"], meta["action"]), meta["rule"]
                continue
            assert sets_data_aside(meta["severity"], meta["action"]), meta["rule"]
            assert meta["set_aside"] != "none" or meta["severity"] == "blocking", meta["rule"]


def _kept_only_result():
    """001: a school name that differs from the registry's (kept, to be checked) and a full-width digit
    (fixed); nothing of 001 is set aside."""
    t = clean_tables()
    t["issues"] = issues_frame(
        [
            Issue(
                "clean",
                "warning",
                "name_mismatch",
                "001",
                "学校信息",
                2,
                "学校名称",
                "城东小",
                "学校名称填写为“城东小”，与名册登记名称“城东小学”不一致",
                "已保留，请核对",
            ),
            Issue(
                "clean", "fixed", "fullwidth_digits", "001", S, 2, "语文", "９５", "全角数字已转换为半角", "已自动修正"
            ),
        ]
    )
    return run(t)


def test_a_school_whose_rows_were_all_kept_is_not_shown_as_set_aside(tmp_path):
    res = _kept_only_result()
    ret = res.tables["returns"].set_index("school_code")
    assert ret.loc["001", "status"] == STATUS_KEPT and ret.loc["001", "usable"]
    assert ret.loc["002", "status"] == STATUS_OK
    assert len(res.tables["students"].query("school_code == '001'")) == 3  # nothing of 001 set aside
    path = write_quality_workbook(res.issues, res.tables["returns"], tmp_path / "dq.xlsx")
    summary = openpyxl.load_workbook(path)[SUMMARY_SHEET]
    header = [c.value for c in summary[1]]
    rows = {r[0]: r for r in summary.iter_rows(min_row=2, values_only=True)}
    assert rows["001"][header.index("状态")] == STATUS_KEPT
    assert rows["002"][header.index("状态")] == STATUS_OK
    assert f"{STATUS_KEPT}：1 所（001）" in res.summary()


def test_workbook_has_a_reply_column_and_prints_on_a4_landscape(tmp_path, messy_result):
    district = Issue(
        "checks", "blocking", "exam_spec_duplicate", None, "考试安排", 3, "学科", "数学", "重复", "运行已停止"
    )
    issues = pd.concat([messy_result.issues, issues_frame([district])], ignore_index=True)
    path = write_quality_workbook(issues, messy_result.tables["returns"], tmp_path / "dq.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [
        SUMMARY_SHEET,
        "全部问题",
        "全区问题",
        "001 城东小学",
        "002 城西中学",
        "003 南山九年一贯制学校",
    ]
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert (setup.orientation, int(setup.paperSize)) == ("landscape", int(ws.PAPERSIZE_A4)), ws.title
        assert (setup.fitToWidth, setup.fitToHeight, ws.sheet_properties.pageSetUpPr.fitToPage) == (1, 0, True)
        assert ws.print_title_rows == "$1:$1", ws.title  # the header row on every printed page
        assert ws.oddHeader.center.text == "&A" and "&P" in ws.oddFooter.center.text, ws.title
    # the school's reply: last column of the sheets a school answers, empty, unlocked, wide, wrapped
    for title in ("全部问题", "001 城东小学", "002 城西中学", "003 南山九年一贯制学校"):
        ws = wb[title]
        assert [c.value for c in ws[1]] == [*HEADERS, REPLY_HEADER], title
        col = len(HEADERS) + 1
        cells = [ws.cell(row=r, column=col) for r in range(2, ws.max_row + 1)]
        assert cells and all(c.value is None for c in cells), title
        assert all(not c.protection.locked and c.alignment.wrap_text for c in cells), title
        assert ws.column_dimensions[openpyxl.utils.get_column_letter(col)].width >= 30
    assert wb["全部问题"].auto_filter.ref == f"A1:J{len(issues) + 1}"
    assert REPLY_HEADER not in [c.value for c in wb[SUMMARY_SHEET][1]]
    assert REPLY_HEADER not in [c.value for c in wb["全区问题"][1]]  # the office's own problems: no school replies


def test_suite_files_are_canonical_and_well_formed():
    import json

    from tqa.checks.suites import canonical

    suites = read_suite_files(SUITES)
    assert set(suites) == {
        "returns",
        "exam_spec",
        "tested_subjects",
        "scores",
        "students",
        "fitness",
        "survey",
        "routine",
        "enrolment",
        "coverage",
        "usable_returns",
        "items",
        "ratings",
    }
    for name, suite in suites.items():
        text = Path(SUITES, f"{name}.json").read_text(encoding="utf-8")
        assert text == json.dumps(canonical(suite), ensure_ascii=False, indent=2) + "\n", name


def test_summary_counts_and_statuses(messy_result):
    text = messy_result.summary()
    assert "问题：阻断 0 条，警告 4 条，已自动修正 1 条。" in text
    assert "学校：共 4 所，已提交 3 所，可用 3 所。" in text
    assert f"{STATUS_PARTIAL}：2 所（001、002）" in text and "未提交：1 所（004）" in text
    assert "没有阻断问题" in text
    assert list(messy_result.issues.columns) == list(ISSUE_COLUMNS)
    assert messy_result.issues["stage"].value_counts().to_dict() == {"checks": 4, "clean": 1}


def test_conflicting_student_does_not_make_a_school_look_over_enrolled():
    """A student copied into a second school's 学业成绩 (set aside as a conflict) is not counted as tested."""
    t = clean_tables()
    extra = t["students"].loc[t["students"]["student_id"] == "C02"].assign(school_code="002", excel_row=9)
    t["students"] = pd.concat([t["students"], extra], ignore_index=True)
    en = t["enrolment"]
    t["enrolment"] = set_row(en, en["school_code"] == "002", enrolled=2)
    res = run(t)
    assert "student_id_conflict_students" in rules(res)
    assert "tested_over_enrolled" not in rules(res)


# ---- 小题得分 (items suite) ---------------------------------------------------------------------
ITEMS_SHEET = sheets.ITEMS.name
# (school, excel_row, student, item, score): grade 8 数学 of school 002, items 1 (objective, 3) and 2 (subjective, 5)
ITEM_ROWS = [
    ("002", 2, "B01", "1", 3.0),
    ("002", 2, "B01", "2", 5.0),
    ("002", 3, "B02", "1", 0.0),
    ("002", 3, "B02", "2", 4.0),
]


def item_spec() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "grade": [8, 8],
            "subject": ["数学", "数学"],
            "item": ["1", "2"],
            "full_marks": [3.0, 5.0],
            "type": ["objective", "subjective"],
        }
    )


def item_tables(rows=ITEM_ROWS) -> dict[str, pd.DataFrame]:
    t = clean_tables()
    t["items"] = pd.DataFrame(
        [(c, ITEMS_SHEET, r, sid, 8, "数学", item, score) for c, r, sid, item, score in rows],
        columns=CLEAN["items"].names,
    )
    return t


def run_items(rows=ITEM_ROWS, spec="default"):
    return run_checks(
        item_tables(rows),
        registry(),
        exam_spec(),
        PARAMS,
        suites_dir=SUITES,
        item_spec=item_spec() if spec == "default" else spec,
    )


def _items_kept(res) -> list[tuple]:
    it = res.tables["items"]
    return list(zip(it["excel_row"], it["student_id"], it["item"], it["score"]))


def test_items_clean_data_passes_and_table_is_kept():
    res = run_items()
    assert rules(res) == ["missing_return"]
    assert _items_kept(res) == [(2, "B01", "1", 3.0), (2, "B01", "2", 5.0), (3, "B02", "1", 0.0), (3, "B02", "2", 4.0)]
    assert res.tables["returns"].set_index("school_code").loc["002", "status"] == STATUS_OK
    from tqa.measures.academic import items as ia

    assert len(ia.check_item_scores(res.tables["items"], item_spec())) == 0


def test_item_score_above_full_marks_and_negative_set_the_cell_aside():
    rows = [*ITEM_ROWS[:1], ("002", 2, "B01", "2", 6.0), ("002", 3, "B02", "1", -3.0), ITEM_ROWS[3]]
    res = run_items(rows)
    assert rules(res) == ["item_score_above_full_marks", "item_score_negative", "missing_return"]
    above = only(res, "item_score_above_full_marks").iloc[0]
    assert (above["school_code"], above["sheet"], above["excel_row"], above["column"], above["value"]) == (
        "002",
        ITEMS_SHEET,
        2,
        "2",
        "6",
    )
    assert above["message"] == "数学第 2 题得分 6 超过该题满分 5" and above["severity"] == "warning"
    assert only(res, "item_score_negative").iloc[0]["message"] == "数学第 1 题得分 -3 为负数"
    # only those two cells go; the rest of both rows stays
    assert _items_kept(res) == [(2, "B01", "1", 3.0), (3, "B02", "2", 4.0)]
    assert res.tables["returns"].set_index("school_code").loc["002", "status"] == STATUS_PARTIAL


def test_item_not_in_spec():
    res = run_items([*ITEM_ROWS, ("002", 3, "B02", "13(1)", 2.0)])
    issue = only(res, "item_not_in_spec")
    assert issue[["excel_row", "column", "message"]].values.tolist() == [
        [3, "13(1)", "试卷结构表（item_spec.csv）中没有 8 年级数学第 13(1) 题"]
    ]
    assert len(res.tables["items"]) == 4


def test_items_without_an_item_spec_skip_the_spec_rules():
    rows = [("002", 2, "B01", "1", 30.0), ("002", 2, "B01", "9", 1.0)]
    res = run_items(rows, spec=None)
    assert rules(res) == ["missing_return"]
    assert len(res.tables["items"]) == 2


def test_item_student_not_in_scores_sets_the_row_aside():
    # B09 is not in school 002's 学业成绩; A01 is, but in school 001, not 002
    rows = [*ITEM_ROWS, ("002", 4, "B09", "1", 3.0), ("002", 4, "B09", "2", 1.0), ("002", 5, "A01", "1", 3.0)]
    res = run_items(rows)
    issue = only(res, "item_student_not_in_scores")
    assert issue[["excel_row", "column", "value"]].values.tolist() == [
        [4, "全国学籍号", "B09"],
        [4, "全国学籍号", "B09"],
        [5, "全国学籍号", "A01"],
    ]
    assert issue["message"].iloc[0] == "学籍号 B09 不在本校「学业成绩」中，小题得分无法对应到学生"
    assert _items_kept(res) == _items_kept(run_items())


def test_items_follow_their_student_when_the_student_is_set_aside():
    # B02 of school 002 also appears in school 001's 学业成绩: a conflict, both 学业成绩 rows are set aside,
    # and so are B02's item scores; B01's stay.
    t = item_tables()
    extra = t["students"].loc[t["students"]["student_id"] == "B02"].assign(school_code="001", excel_row=9)
    t["students"] = pd.concat([t["students"], extra], ignore_index=True)
    res = run_checks(t, registry(), exam_spec(), PARAMS, suites_dir=SUITES, item_spec=item_spec())
    assert "student_id_conflict_students" in rules(res)
    assert "B02" not in set(res.tables["students"]["student_id"])
    assert _items_kept(res) == [(2, "B01", "1", 3.0), (2, "B01", "2", 5.0)]


def test_item_score_duplicate():
    res = run_items([*ITEM_ROWS, ("002", 4, "B02", "1", 3.0)])
    issue = only(res, "item_score_duplicate")
    assert issue[["excel_row", "message"]].values.tolist() == [
        [3, "学籍号 B02 的数学第 1 题有 2 条记录"],
        [4, "学籍号 B02 的数学第 1 题有 2 条记录"],
    ]
    assert _items_kept(res) == [(2, "B01", "1", 3.0), (2, "B01", "2", 5.0)]  # both rows of B02 set aside


def test_read_item_spec(tmp_path):

    path = tmp_path / office.ITEM_SPEC.file
    path.write_bytes(
        b"\xef\xbb\xbf" + "年级,学科,题号,满分,题型\n9,数学,第1题,3,客观\n九年级,数学,13（1）,6,主观题\n,,,,\n".encode()
    )
    spec = read_item_spec(path)
    assert spec.values.tolist() == [[9, "数学", "1", 3.0, "objective", 2], [9, "数学", "13(1)", 6.0, "subjective", 3]]
    assert str(spec["grade"].dtype) == "int64" and str(spec["full_marks"].dtype) == "float64"
    path.write_bytes(b"\xef\xbb\xbf" + "年级,学科,题号,满分,题型\n9,数学,1,3,客观\n9,数学,2,3,填空\n".encode())
    with pytest.raises(ValueError, match="第 3 行：题型“填空”应为“客观”或“主观”"):
        read_item_spec(path)
    path.write_bytes(b"\xef\xbb\xbf" + "年级,学科,题号,满分,题型\n9,数学,1,0,客观\n".encode())
    with pytest.raises(ValueError, match="第 2 行：满分“0”应为正数"):
        read_item_spec(path)


# ---- the office's inspection ratings ---------------------------------------------------------------
def ratings_frame(rows) -> pd.DataFrame:
    cols = ["school_code", "indicator_id", "indicator", "level", "score", "max_score", "rater"]
    df = pd.DataFrame(rows, columns=cols).astype({"score": "float64", "max_score": "float64"})
    return df.assign(csv_row=range(2, len(df) + 2))


def test_inspection_ratings_are_checked_and_kept():
    rows = [
        ("001", "A1.1", "办学理念", "A", 8.5, 10.0, "甲"),
        ("009", "A1.1", "办学理念", "B", 7.0, 10.0, "甲"),  # not in the registry
        ("002", "A1.1", "办学理念", "D", 7.0, 10.0, "甲"),  # level
        ("002", "A1.2", "依法治校", "B", math.nan, 10.0, "甲"),  # no score
        ("003", "A1.1", "办学理念", "A", 11.0, 10.0, "甲"),  # above its maximum
        ("003", "A1.2", "依法治校", "C", -1.0, 0.0, "甲"),
    ]  # negative, maximum not positive
    res = run_checks(clean_tables(), registry(), exam_spec(), PARAMS, suites_dir=SUITES, ratings=ratings_frame(rows))
    for rule in (
        "rating_unknown_school",
        "rating_level_unknown",
        "rating_score_missing",
        "rating_score_above_max",
        "rating_score_negative",
        "rating_max_not_positive",
    ):
        assert len(only(res, rule)) >= 1, rule
    issue = only(res, "rating_score_above_max").iloc[0]
    assert (issue["sheet"], issue["excel_row"], issue["value"]) == ("督导评估结果（inspection_ratings.csv）", 6, "11")
    kept = res.tables["ratings"]
    assert kept[["school_code", "indicator_id"]].values.tolist() == [["001", "A1.1"]]
    assert list(kept.columns) == list(CHECKED["ratings"].names)


def test_no_ratings_file_gives_an_empty_ratings_table():
    res = run()
    assert len(res.tables["ratings"]) == 0 and list(res.tables["ratings"].columns) == list(CHECKED["ratings"].names)
