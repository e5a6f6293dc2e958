"""Each school's student lists workbook (tqa.reports.student_workbook): who is listed, in what order, how the
workbook reads back in Excel terms (sheets, header rows, print set-up), hostile text as text, same bytes twice."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from helpers.rows import score_row
from tqa.core.terms import parse_term
from tqa.core.vocabulary import ABSENT
from tqa.measures.academic.students import student_lists
from tqa.params import view
from tqa.reports import student_workbook as sw
from tqa.run.dag import sections

HOSTILE = '=HYPERLINK("http://evil.example/","点此核对")'
SCHOOL = "001"
SCHOOL_NAME = "清河区第一中学 & 分校"
TERM = parse_term("2023-2")

# grade 7: 语文 out of 120 (pass 72, excellent 102; 临界 within 6 marks), 数学 out of 100 (pass 60, excellent 85;
# 临界 within 5); 学困生 below 60% of full marks; grade 1 is graded by level (no lists).
EXAM_SPEC = pd.DataFrame(
    {
        "grade": [1, 7, 7],
        "subject": ["语文", "语文", "数学"],
        "full_marks": [float("nan"), 120.0, 100.0],
        "mode": ["等级", "分数", "分数"],
        "csv_row": [2, 3, 4],
    }
)
# (student, class, 语文, 数学); class None: the class was missing in the return
STUDENTS = [
    ("A", 3, 70, 82),  # 语文 临界及格 (2 short) and 学困生; 数学 临界优秀 (3 short)
    ("B", 3, 100, ABSENT),  # 语文 临界优秀 (2 short); 数学 absent: never listed
    ("C", 3, 40, 59.5),  # 语文 学困生 (32 short); 数学 临界及格 and 学困生 (0.5 short)
    ("D", 3, 66, 60),  # 语文 临界及格 at the margin's edge (6 short) and 学困生; 数学 passes
    ("E", 3, 72, 85),  # on both lines: not listed
    ("F", 3, 96, 79.5),  # 语文 临界优秀 at the margin's edge (6 short); 数学 just outside the margin
    ("G", 3, 65.5, 70),  # 语文 学困生 only (6.5 short: outside the 临界及格 margin)
    ("H", 5, 80, 70),  # a class with nobody listed
    ("I", None, 30, 70),  # no class: 语文 学困生
]


def frames():
    rows = []
    for sid, class_no, chinese, maths in STUDENTS:
        rows.append(score_row(SCHOOL, sid, 7, "语文", chinese, class_no=class_no))
        rows.append(score_row(SCHOOL, sid, 7, "数学", maths, class_no=class_no))
    rows.append(score_row(SCHOOL, "J", 1, "语文", "良好"))
    scores = pd.DataFrame(rows).astype({"grade": "Int64", "class_no": "Int64"})
    names = {sid: f"学生{sid}" for sid, *_ in STUDENTS} | {"G": HOSTILE, "J": "学生J"}
    students = pd.DataFrame(
        {"school_code": SCHOOL, "student_id": list(names), "name": list(names.values())}
    ).drop_duplicates()
    return scores, students


@pytest.fixture
def step_view(params):
    """The params as the step sees them: only the sections tqa.run.dag declares for it."""
    return view(params, sections("student_lists"), owner="test")


@pytest.fixture
def shaped(step_view):
    scores, students = frames()
    tiers, borderline = student_lists(scores, students, EXAM_SPEC, step_view)  # what the scores step stores
    listed, counts, lines = sw.district_lists(scores, students, borderline, EXAM_SPEC, step_view)
    return listed, counts, lines, tiers


@pytest.fixture
def school(shaped):
    listed, counts, lines, _ = shaped
    schools = pd.DataFrame({"school_code": [SCHOOL, "002"], "school_name": [SCHOOL_NAME, "没有分数的学校"]})
    return sw.split_by_school(schools, listed, counts, lines)


def listed_in(listed, class_no):
    own = listed[listed["class_no"] == class_no]
    return list(zip(own["subject"], own["category"], own["student_id"], own["gap"]))


def test_the_lists_hold_the_right_students_in_subject_category_gap_order(shaped):
    listed, _, _, _ = shaped
    assert listed_in(listed, 3) == [
        ("语文", "临界及格", "A", 2.0),
        ("语文", "临界及格", "D", 6.0),
        ("语文", "临界优秀", "B", 2.0),
        ("语文", "临界优秀", "F", 6.0),
        ("语文", "学困生", "A", 2.0),
        ("语文", "学困生", "D", 6.0),
        ("语文", "学困生", "G", 6.5),
        ("语文", "学困生", "C", 32.0),
        ("数学", "临界及格", "C", 0.5),
        ("数学", "临界优秀", "A", 3.0),
        ("数学", "学困生", "C", 0.5),
    ]
    assert listed_in(listed, 5) == []
    unclassed = listed[listed["class_no"].isna()]
    assert list(zip(unclassed["category"], unclassed["student_id"], unclassed["gap"])) == [("学困生", "I", 42.0)]
    a = listed[(listed["student_id"] == "A") & (listed["subject"] == "语文")].set_index("category")
    assert a.loc["临界及格", ["score", "full_marks", "line"]].tolist() == [70.0, 120.0, 72.0]
    assert a.loc["学困生", "line"] == 72.0  # 60% of 120
    assert set(listed.loc[listed["student_id"] == "G", "name"]) == {HOSTILE}
    assert "J" not in set(listed["student_id"])  # a level-graded paper has no lines


def test_the_counts_agree_with_the_scores_steps_tiers(shaped):
    _, counts, _, tiers = shaped
    assert sw.count_mismatches(counts, tiers).empty
    c3 = counts[counts["class_no"] == 3].set_index("subject")
    assert c3.loc["语文", ["tested_n", "near_pass_n", "near_excellent_n", "struggling_n"]].tolist() == [7, 2, 2, 4]
    assert c3.loc["数学", ["tested_n", "near_pass_n", "near_excellent_n", "struggling_n"]].tolist() == [6, 1, 1, 1]
    c5 = counts[counts["class_no"] == 5]
    assert c5[["near_pass_n", "near_excellent_n", "struggling_n"]].to_numpy().sum() == 0 and len(c5) == 2
    wrong = tiers.assign(struggling_n=tiers["struggling_n"] + (tiers["subject"] == "数学"))
    assert len(sw.count_mismatches(counts, wrong)) == 2  # 数学 of classes 3 and 5


def test_one_sheet_per_class_with_a_scored_paper(school):
    first, empty = school
    assert first.classes == [(7, 3), (7, 5), (7, None)]
    assert sw.sheet_names(first.classes) == ["七年级3班", "七年级5班", "七年级（未填班级）"]
    assert empty.code == "002" and empty.classes == [] and empty.students.empty


def test_the_lines_and_the_definitions_come_from_the_params(school, params, with_params):
    first, _ = school
    lines = first.lines.set_index("subject")
    assert lines.loc[
        "语文", ["pass_line", "pass_from", "excellent_line", "excellent_from", "struggling_line"]
    ].tolist() == [
        72.0,
        66.0,
        102.0,
        96.0,
        72.0,
    ]
    text = "\n".join(sw.definitions(first.lines, params))
    assert "临界及格：得分低于本学科及格线、差距在满分的 5% 以内" in text
    assert "七年级语文满分 120 分、及格线 72 分，得分不低于 66 分且低于 72 分即为临界及格" in text
    assert "学困生：得分低于满分的 60%" in text
    assert "同时列为“临界及格”和“学困生”" in text  # 60% of full marks lies above the 临界及格 floor
    other = with_params({"borderline": {"margin": 0.1}, "tiers": {"struggling_below": 0.5}})
    shifted = sw.paper_lines(EXAM_SPEC, other).set_index("subject")
    text = "\n".join(sw.definitions(sw.paper_lines(EXAM_SPEC, other), other))
    assert "满分的 10% 以内" in text and "得分低于满分的 50%" in text and "得分不低于 60 分且低于 72 分" in text
    assert shifted.loc["数学", ["pass_from", "struggling_line"]].tolist() == [50.0, 50.0]
    assert "同时列为" not in text  # 学困生 (< 50) and 临界及格 (50..60) no longer overlap


def test_sheet_titles_are_valid_and_distinct():
    assert sw.sheet_names([(7, 3), (7, 3)]) == ["七年级3班", "七年级3班 (2)"]
    assert all(len(n) <= 31 for n in sw.sheet_names([(9, 10**40)]))


@pytest.fixture
def book(school, step_view, tmp_path):
    path = sw.write_school_workbook(school[0], TERM, step_view, tmp_path)
    return path, openpyxl.load_workbook(path)


def test_the_workbook_is_named_after_the_school_and_has_a_sheet_per_class(book):
    path, wb = book
    assert path.name == "001-学生名单.xlsx" == sw.workbook_name("001")
    assert wb.sheetnames == ["说明", "七年级3班", "七年级5班", "七年级（未填班级）"]
    ws = wb["七年级3班"]
    assert [c.value for c in ws[1]] == list(sw.LIST_HEADERS)
    assert [c.value for c in ws[2]] == ["语文", "临界及格", "A", "学生A", 70, 120, 72, 2]
    assert ws.max_row == 12 and ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:H12"
    assert [b.id for b in ws.row_breaks.brk] == [9]  # 数学 starts a new page (语文: rows 2-9)
    assert wb["七年级5班"]["A2"].value == sw.EMPTY_CLASS
    assert [c.value for c in wb["七年级（未填班级）"][2]][:4] == ["语文", "学困生", "I", "学生I"]


def test_the_info_sheet_names_school_and_term_and_counts_each_class(book):
    _, wb = book
    values = [c.value for row in wb["说明"].iter_rows() for c in row if c.value is not None]
    assert "学校：001 清河区第一中学 & 分校" in values and "学期：2023-2024学年第二学期（2023-2）" in values
    assert any(str(v).startswith("临界及格：") for v in values) and sw.PRIVACY in values
    assert any("未填班级" in str(v) for v in values)
    rows = [[c.value for c in row] for row in wb["说明"].iter_rows()]
    header = rows.index(list(sw.COUNT_HEADERS) + [None, None])
    assert rows[header + 1][:6] == ["七年级3班", "语文", 7, 2, 2, 4]
    assert rows[header + 5][:6] == ["七年级（未填班级）", "语文", 1, 0, 0, 1]
    assert wb["说明"].print_title_rows == f"${header + 1}:${header + 1}"
    line_header = rows.index(list(sw.LINE_HEADERS))
    assert rows[line_header + 1] == ["七年级", "语文", 120, 72, "66 ≤ 得分 < 72", 102, "96 ≤ 得分 < 102", "得分 < 72"]


def test_every_sheet_prints_on_a4_fit_to_width_with_the_header_row_repeated(book):
    _, wb = book
    for ws in wb.worksheets:
        assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "portrait"  # 9: A4
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows  # a header row repeated on every printed page
        assert ws.print_options.gridLines
        assert ws.oddHeader.left.text == "清河区第一中学 && 分校"  # "&" starts a header code: doubled
        assert ws.oddHeader.right.text == TERM.label
        assert ws.oddFooter.center.text == sw.PAGE_NUMBER
    assert wb["七年级3班"].print_title_rows == "$1:$1"
    assert wb["七年级3班"].oddHeader.center.text == "七年级3班 临界生与学困生名单"


def test_a_hostile_name_stays_text(book):
    _, wb = book
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    hostile = [c for c in cells if c.value == HOSTILE]
    assert len(hostile) == 1 and hostile[0].data_type == "s" and hostile[0].quotePrefix


def test_same_input_same_bytes(school, step_view, tmp_path):
    first = sw.write_school_workbook(school[0], TERM, step_view, tmp_path / "a")
    second = sw.write_school_workbook(school[0], TERM, step_view, tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()


def test_a_school_without_a_scored_paper_still_gets_its_info_sheet(school, step_view, tmp_path):
    wb = openpyxl.load_workbook(sw.write_school_workbook(school[1], TERM, step_view, tmp_path))
    assert wb.sheetnames == ["说明"]
    values = [c.value for row in wb["说明"].iter_rows() for c in row if c.value is not None]
    assert "本学期共 0 个班有按分数评价的学科，名单共 0 人次。" in values
