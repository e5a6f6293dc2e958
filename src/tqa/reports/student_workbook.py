"""outputs/<T>/schools/<code>-学生名单.xlsx: a school's 临界生 and 学困生, class by class, for its teachers.

Internal edition only: the workbooks sit beside the internal school reports and are never written under
outputs/<T>/public/ (student-level data are never public). One workbook per reported school:

- 说明: the school and the term, how each list is defined in plain Chinese with the params' numbers, the lines
  and ranges of each paper the school sat, and the number of students listed per class x subject;
- one sheet per class ("七年级3班"): 学科, 类别, 学籍号, 姓名, 得分, 满分, 分数线, 差距（分）, sorted by subject,
  category and gap; each subject starts a new printed page.

The shaping is pure (DataFrames in, DataFrames out), done for every school at once (``district_lists``) and
split by school (``split_by_school``). 临界生 are the scores step's ``borderline`` table. 学困生 per student are
not stored (``tiers`` holds their counts only), so they are recomputed from the checked scores with the scores
step's own functions (``score_with_lines``, ``student_tiers``) and params; ``count_mismatches`` holds the counts
to ``tiers``. The writing sends every cell through ``tqa.io.xlsx.put`` (names and labels come from the returns:
hostile text stays text; the class sheets' rows through ``append_rows``, the same cells written as XML at a
fraction of openpyxl's cost) and saves with ``save_workbook`` (same input, same bytes).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from copy import copy
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break

from tqa.core.ordering import sort_rows
from tqa.core.terms import Term
from tqa.core.vocabulary import GRADE_LABELS
from tqa.io.xlsx import (
    append_rows,
    display_width,
    fit_to_page_width,
    header_footer_text,
    put,
    save_workbook,
    sheet_title,
)
from tqa.measures.academic import rates as scoring
from tqa.measures.academic.students import (
    BORDER_EXCELLENT,
    BORDER_PASS,
    CLASS_KEYS,
    DECIMALS,
    TIER_LOW,
    student_tiers,
)

WORKBOOK_SUFFIX = "-学生名单.xlsx"
INDEX_FILE = "student-lists.json"  # beside the workbooks: what was written (the Makefile's target)

INFO_SHEET = "说明"
CATEGORIES = (BORDER_PASS, BORDER_EXCELLENT, TIER_LOW)
LIST_COLUMNS = [*CLASS_KEYS, "category", "student_id", "name", "score", "full_marks", "line", "gap"]
LIST_HEADERS = ("学科", "类别", "学籍号", "姓名", "得分", "满分", "分数线", "差距（分）")
LIST_FIELDS = ("subject", "category", "student_id", "name", "score", "full_marks", "line", "gap")
LIST_WIDTHS = (12, 10, 24, 12, 8, 8, 8, 10)
COUNT_COLUMNS = {BORDER_PASS: "near_pass_n", BORDER_EXCELLENT: "near_excellent_n", TIER_LOW: "struggling_n"}
COUNT_HEADERS = ("班级", "学科", "实考人数", *CATEGORIES)
LINE_HEADERS = ("年级", "学科", "满分", "及格线", "临界及格范围", "优秀线", "临界优秀范围", "学困生范围")
INFO_WIDTHS = (12, 12, 9, 9, 20, 9, 20, 14)
EMPTY_CLASS = "本班本学期没有学生列入名单。"
PRIVACY = "本名单含学生姓名和学籍号，仅供本校教师安排辅导使用，请勿张贴、公开或转发。"
INTERNAL_MARK = "内部资料 请勿外传"
PAGE_NUMBER = "第 &P 页，共 &N 页"

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
_WRAP = Alignment(wrap_text=True, vertical="top")


def workbook_name(code: str) -> str:
    """The workbook's file name beside the school's report: ``<code>-学生名单.xlsx``."""
    return f"{code}{WORKBOOK_SUFFIX}"


# ---- shaping: every school at once ------------------------------------------------------------------------


def tiered_students(scores: pd.DataFrame, exam_spec: pd.DataFrame, params) -> pd.DataFrame:
    """The checked scores' tested rows with a numeric score, their paper's full marks and lines, share and tier
    (``student_tiers`` on ``score_with_lines``, as the scores step computes them)."""
    rows = scoring.score_with_lines(scoring.score_input(scores, "class_no", "student_id"), exam_spec, params)
    return student_tiers(rows, params)


def student_names(students: pd.DataFrame) -> pd.DataFrame:
    """school_code, student_id, name: one name per student (as ``student_lists`` takes it)."""
    return students[["school_code", "student_id", "name"]].drop_duplicates(["school_code", "student_id"])


def struggling_students(tiered: pd.DataFrame, names: pd.DataFrame, params) -> pd.DataFrame:
    """学困生 (tier 学困生) in ``LIST_COLUMNS``: line = tiers.struggling_below x full marks, gap = line - score."""
    low = tiered.loc[tiered["tier"] == TIER_LOW, [*CLASS_KEYS, "student_id", "score", "full_marks"]]
    line = (float(params.tiers.struggling_below) * low["full_marks"].astype("float64")).round(DECIMALS)
    out = low.assign(category=TIER_LOW, line=line, gap=(line - low["score"]).round(DECIMALS))
    return out.merge(names, on=["school_code", "student_id"], how="left")[LIST_COLUMNS]


def listed_students(borderline: pd.DataFrame, struggling: pd.DataFrame) -> pd.DataFrame:
    """临界及格, 临界优秀 (the ``borderline`` table) and 学困生 in one frame, ``LIST_COLUMNS``, sorted by class,
    subject (customary order), category (``CATEGORIES``), gap and student."""
    border = borderline.rename(columns={"borderline": "category"})[LIST_COLUMNS]
    both = pd.concat([border, struggling[LIST_COLUMNS]], ignore_index=True)
    both["category"] = both["category"].astype("string")
    both["grade"] = both["grade"].astype("int64")
    return sort_rows(both, [*CLASS_KEYS, "category", "gap", "student_id"], orders={"category": CATEGORIES})


def class_counts(listed: pd.DataFrame, tiered: pd.DataFrame) -> pd.DataFrame:
    """Per class x subject with scored students: tested_n and the number listed per category (near_pass_n,
    near_excellent_n, struggling_n; the ``tiers`` table's names), classes in grade, class and subject order."""
    tested = tiered.groupby(CLASS_KEYS, dropna=False).size().rename("tested_n").reset_index()
    counts = listed.groupby([*CLASS_KEYS, "category"], dropna=False, observed=True).size()
    wide = counts.unstack("category", fill_value=0).reset_index() if len(counts) else listed[CLASS_KEYS].iloc[0:0]
    for key in ("grade", "class_no"):  # one dtype on both sides of the merge
        tested[key], wide[key] = tested[key].astype(tiered[key].dtype), wide[key].astype(tiered[key].dtype)
    out = tested.merge(wide, on=CLASS_KEYS, how="left")
    for category, column in COUNT_COLUMNS.items():
        out[column] = out[category].fillna(0).astype("int64") if category in out.columns else 0
        out[column] = out[column].astype("int64")
    out = out[[*CLASS_KEYS, "tested_n", *COUNT_COLUMNS.values()]]
    out = out.assign(grade=out["grade"].astype("int64"), tested_n=out["tested_n"].astype("int64"))
    return sort_rows(out, ["school_code", "grade", "class_no", "subject"])


def count_mismatches(counts: pd.DataFrame, tiers: pd.DataFrame) -> pd.DataFrame:
    """Rows where the lists' counts differ from the scores step's ``tiers`` (tested, near each line, 学困生): empty
    when the lists and the school report agree. (Students without a class are in neither: ``tiers`` counts
    classes only.)"""
    columns = ["tested_n", *COUNT_COLUMNS.values()]
    counts = counts[counts["class_no"].notna()]
    left = counts.assign(grade=counts["grade"].astype("int64"))[[*CLASS_KEYS, *columns]]
    right = tiers.assign(grade=tiers["grade"].astype("int64"))[[*CLASS_KEYS, *columns]]
    both = left.merge(right, on=CLASS_KEYS, how="outer", suffixes=("", "_tiers"), indicator=True)
    differ = both["_merge"] != "both"
    for c in columns:
        differ |= both[c].ne(both[f"{c}_tiers"]).fillna(True)
    return both.loc[differ].drop(columns="_merge").reset_index(drop=True)


def paper_lines(exam_spec: pd.DataFrame, params) -> pd.DataFrame:
    """Papers graded by score: grade, subject, full_marks, pass_line / excellent_line (marks), pass_from /
    excellent_from (the line less borderline.margin x full marks: the lowest 临界 score), struggling_line
    (tiers.struggling_below x full marks: 学困生 score below it)."""
    lines = scoring.exam_lines(exam_spec, params).dropna(subset=["pass_line"])
    full = lines["full_marks"].astype("float64")
    margin = float(params.borderline.margin) * full
    out = lines[["grade", "subject", "full_marks", "pass_line", "excellent_line"]].assign(
        pass_from=(lines["pass_line"] - margin).round(DECIMALS),
        excellent_from=(lines["excellent_line"] - margin).round(DECIMALS),
        struggling_line=(float(params.tiers.struggling_below) * full).round(DECIMALS),
    )
    return sort_rows(out, ["grade", "subject"])


@dataclass(frozen=True)
class SchoolLists:
    """One school's workbook, shaped: its listed students, its counts and the lines of the papers it sat."""

    code: str
    name: str
    students: pd.DataFrame  # LIST_COLUMNS
    counts: pd.DataFrame  # class_counts
    lines: pd.DataFrame  # paper_lines

    @cached_property
    def classes(self) -> list[tuple[int, int | None]]:
        """(grade, class_no) of every class with a scored paper, in grade and class order; students whose class
        is missing (not counted in the class statistics) come last in their grade's, as class None."""
        keys = self.counts[["grade", "class_no"]].drop_duplicates()
        return [(int(g), None if pd.isna(c) else int(c)) for g, c in keys.itertuples(index=False, name=None)]


def district_lists(
    scores: pd.DataFrame, students: pd.DataFrame, borderline: pd.DataFrame, exam_spec: pd.DataFrame, params
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Every school's lists at once, from one read of the tables: (listed_students, class_counts, paper_lines).

    ``scores`` and ``students``: the checked tables; ``borderline``: the scores step's; ``params``: the sections
    tqa.run.dag declares for the step (lines, tiers, borderline)."""
    tiered = tiered_students(scores, exam_spec, params)
    listed = listed_students(borderline, struggling_students(tiered, student_names(students), params))
    return listed, class_counts(listed, tiered), paper_lines(exam_spec, params)


def split_by_school(
    schools: pd.DataFrame, listed: pd.DataFrame, counts: pd.DataFrame, lines: pd.DataFrame
) -> list[SchoolLists]:
    """One ``SchoolLists`` per row of ``schools`` (school_code, school_name: the schools that get a report), in
    its order; a school with no scored paper gets empty lists."""
    by_school = dict(tuple(listed.groupby("school_code", sort=False)))
    counts_by = dict(tuple(counts.groupby("school_code", sort=False)))
    out = []
    for code, name in schools[["school_code", "school_name"]].itertuples(index=False, name=None):
        own = counts_by.get(code, counts.iloc[0:0]).reset_index(drop=True)
        sat = own[["grade", "subject"]].drop_duplicates()
        out.append(
            SchoolLists(
                code=str(code),
                name="" if pd.isna(name) else str(name),
                students=by_school.get(code, listed.iloc[0:0]).reset_index(drop=True),
                counts=own,
                lines=sort_rows(lines.merge(sat, on=["grade", "subject"]), ["grade", "subject"]),
            )
        )
    return out


# ---- words ---------------------------------------------------------------------------------------------------


def class_label(grade: int, class_no) -> str:
    """七年级3班; students whose class is missing: 七年级（未填班级）."""
    grade_label = GRADE_LABELS.get(int(grade), f"{int(grade)}年级")
    return f"{grade_label}（未填班级）" if class_no is None or pd.isna(class_no) else f"{grade_label}{int(class_no)}班"


def marks(value: float) -> str:
    """A mark as the reports write it: 72, 71.5, 80.75."""
    return f"{round(float(value), 2):g}"


def percent(share: float) -> str:
    return f"{round(float(share) * 100, 4):g}%"


def definitions(lines: pd.DataFrame, params, unclassed: bool = False) -> list[str]:
    """How each list is made, in plain Chinese, with the params' numbers and the school's first paper as the
    example; ``unclassed``: some students have no class (they get a sheet of their own per grade)."""
    margin, low = percent(params.borderline.margin), percent(params.tiers.struggling_below)
    ex = lines.iloc[0] if len(lines) else None
    paper = (
        f"{GRADE_LABELS.get(int(ex['grade']), '')}{ex['subject']}满分 {marks(ex['full_marks'])} 分"
        if ex is not None
        else ""
    )
    near_pass = f"临界及格：得分低于本学科及格线、差距在满分的 {margin} 以内的学生。"
    near_excellent = f"临界优秀：得分低于本学科优秀线、差距在满分的 {margin} 以内的学生。"
    struggling = f"学困生：得分低于满分的 {low}（学困线）的学生。"
    if ex is not None:
        near_pass += (
            f"例如{paper}、及格线 {marks(ex['pass_line'])} 分，得分不低于 {marks(ex['pass_from'])} 分"
            f"且低于 {marks(ex['pass_line'])} 分即为临界及格。"
        )
        near_excellent += (
            f"例如{paper}、优秀线 {marks(ex['excellent_line'])} 分，得分不低于 {marks(ex['excellent_from'])} 分"
            f"且低于 {marks(ex['excellent_line'])} 分即为临界优秀。"
        )
        struggling += f"例如{paper}，得分低于 {marks(ex['struggling_line'])} 分即为学困生。"
    out = [near_pass, near_excellent, struggling]
    if (lines["struggling_line"] > lines["pass_from"]).any():
        out.append("同一名学生可能同时列为“临界及格”和“学困生”：两类的分数范围有重叠（见下表）。")
    out += [
        "差距（分）＝分数线 − 得分，即还差几分达到该线，数值越小越接近。",
        "每班一张工作表，名单按学科、类别、差距由小到大排列，每个学科另起一页打印。",
        *(["班级未填或无法识别的学生不计入分班统计，按年级单列在“××年级（未填班级）”表中。"] if unclassed else []),
        "只列按分数评价、实际参加考试的学生；缺考、免考和成绩无法识别的不列入；按等级评价的学科没有分数线，不列名单。",
        "各学科的满分和分数线见下表（及格线、优秀线按评价参数中各学段、学科的比例计算），口径详见学校报告附录“口径说明”。",
        PRIVACY,
    ]
    return out


def line_rows(lines: pd.DataFrame) -> list[list]:
    """The 说明 sheet's table of lines: one row per paper, ranges in words."""
    return [
        [
            GRADE_LABELS.get(int(r.grade), str(r.grade)),
            r.subject,
            float(r.full_marks),
            float(r.pass_line),
            f"{marks(r.pass_from)} ≤ 得分 < {marks(r.pass_line)}",
            float(r.excellent_line),
            f"{marks(r.excellent_from)} ≤ 得分 < {marks(r.excellent_line)}",
            f"得分 < {marks(r.struggling_line)}",
        ]
        for r in lines.itertuples(index=False)
    ]


def count_rows(counts: pd.DataFrame) -> list[list]:
    """The 说明 sheet's count table: class, subject, tested, then the number listed per category."""
    return [
        [
            class_label(r.grade, r.class_no),
            r.subject,
            int(r.tested_n),
            *(int(getattr(r, c)) for c in COUNT_COLUMNS.values()),
        ]
        for r in counts.itertuples(index=False)
    ]


def rows_by_class(students: pd.DataFrame) -> dict[tuple[int, int | None], list[list]]:
    """A school's listed students as its class sheets' rows (``LIST_FIELDS``, plain Python values, None for a
    missing one), by (grade, class_no) as ``SchoolLists.classes`` names them, in the students' order."""
    frame = students[list(LIST_FIELDS)].astype(object)
    values = frame.where(frame.notna(), None).values.tolist()
    classes = students["class_no"].astype(object)
    keys = zip(students["grade"].tolist(), classes.where(classes.notna(), None).tolist())
    out: dict[tuple[int, int | None], list[list]] = {}
    for (grade, class_no), row in zip(keys, values):
        out.setdefault((int(grade), None if class_no is None else int(class_no)), []).append(row)
    return out


def sheet_names(classes: Iterable[tuple[int, object]]) -> list[str]:
    """One valid, distinct sheet name per class, after 说明."""
    taken = {INFO_SHEET}
    out = []
    for grade, class_no in classes:
        name = sheet_title(class_label(grade, class_no), taken, fallback="班级")
        taken.add(name)
        out.append(name)
    return out


# ---- writing ---------------------------------------------------------------------------------------------------


def _print_setup(ws, widths: tuple[int, ...], title_row: int | None, left: str, center: str, right: str) -> None:
    """A4 portrait, fit to one page wide, gridlines printed, the header row repeated on every page, the school,
    the sheet and the term in the page header, the page number in the footer."""
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    fit_to_page_width(ws, landscape=False, title_row=title_row)
    ws.print_options.gridLines = True
    ws.print_options.horizontalCentered = True
    ws.oddHeader.left.text = header_footer_text(left, 80)
    ws.oddHeader.center.text = header_footer_text(center, 80)
    ws.oddHeader.right.text = header_footer_text(right, 80)
    ws.oddFooter.left.text = INTERNAL_MARK
    ws.oddFooter.center.text = PAGE_NUMBER


def _header_row(ws, row: int, headers: Iterable[str]) -> None:
    style = None  # bold on grey, looked up once per row (openpyxl hashes the font and the fill at every assignment)
    for j, header in enumerate(headers, start=1):
        cell = ws.cell(row=row, column=j)
        if style is None:
            cell.font, cell.fill = _BOLD, _HEADER_FILL
            style = copy(cell._style)
        else:
            cell._style = copy(style)
        put(cell, header)


def _table(ws, row: int, headers: tuple[str, ...], rows: list[list]) -> int:
    """Header at ``row``, then ``rows``; returns the next free row."""
    _header_row(ws, row, headers)
    for i, values in enumerate(rows, start=row + 1):
        for j, value in enumerate(values, start=1):
            put(ws.cell(row=i, column=j), value)
    return row + 1 + len(rows)


def _paragraph(ws, row: int, text: str, ncols: int, font: Font | None = None) -> None:
    """A line of text across the sheet's columns, wrapped, its row tall enough for the wrapped lines."""
    cell = put(ws.cell(row=row, column=1), text)
    cell.alignment = _WRAP
    if font is not None:
        cell.font = font
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
    per_line = sum(INFO_WIDTHS[:ncols]) - 2
    lines = max(1, math.ceil(display_width(text) / per_line))
    ws.row_dimensions[row].height = 15 * lines + (6 if font is _TITLE else 2)


def _info_sheet(ws, school: SchoolLists, term: Term, params) -> None:
    ncols = len(INFO_WIDTHS)
    listed = len(school.students)
    row = 1
    _paragraph(ws, row, f"{school.name} 临界生与学困生名单".strip(), ncols, _TITLE)
    for text in (
        f"学校：{school.code} {school.name}",
        f"学期：{term.label}（{term.name}）",
        f"本学期共 {len(school.classes)} 个班有按分数评价的学科，名单共 {listed} 人次。",
    ):
        row += 1
        _paragraph(ws, row, text, ncols)
    row += 2
    _paragraph(ws, row, "名单怎样确定", ncols, _BOLD)
    unclassed = any(class_no is None for _, class_no in school.classes)
    for text in definitions(school.lines, params, unclassed):
        row += 1
        _paragraph(ws, row, text, ncols)
    row += 2
    _paragraph(ws, row, "各学科满分与分数线（分）", ncols, _BOLD)
    row = _table(ws, row + 1, LINE_HEADERS, line_rows(school.lines)) + 1
    _paragraph(ws, row, "各班各学科列入名单的人数", ncols, _BOLD)
    count_header = row + 1
    _table(ws, count_header, COUNT_HEADERS, count_rows(school.counts))
    _print_setup(ws, INFO_WIDTHS, count_header, school.name, "临界生与学困生名单 · 说明", term.label)


def _class_sheet(ws, school: SchoolLists, label: str, rows: list[list], term: Term) -> None:
    _header_row(ws, 1, LIST_HEADERS)
    append_rows(ws, rows)  # the bulk of the workbook: written as XML when saved (tqa.io.xlsx.append_rows)
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(LIST_HEADERS))}{len(rows) + 1}"
        subjects = [r[0] for r in rows]
        for i in range(1, len(subjects)):
            if subjects[i] != subjects[i - 1]:
                ws.row_breaks.append(Break(id=i + 1))  # after the subject's last row (sheet row i + 1)
    else:
        put(ws.cell(row=2, column=1), EMPTY_CLASS)
    ws.freeze_panes = "A2"
    _print_setup(ws, LIST_WIDTHS, 1, school.name, f"{label} 临界生与学困生名单", term.label)


def school_workbook(school: SchoolLists, term: Term, params) -> Workbook:
    """The workbook: 说明, then one sheet per class in grade and class order."""
    wb = Workbook()
    info = wb.active
    info.title = INFO_SHEET
    _info_sheet(info, school, term, params)
    by_class = rows_by_class(school.students)
    for (grade, class_no), name in zip(school.classes, sheet_names(school.classes)):
        rows = by_class.get((grade, class_no), [])
        _class_sheet(wb.create_sheet(name), school, class_label(grade, class_no), rows, term)
    return wb


def write_school_workbook(school: SchoolLists, term: Term, params, directory: str | Path) -> Path:
    """Write ``<directory>/<code>-学生名单.xlsx`` (byte-identical for the same input)."""
    return save_workbook(school_workbook(school, term, params), Path(directory) / workbook_name(school.code))
