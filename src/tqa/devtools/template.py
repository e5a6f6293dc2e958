"""The blank return workbook the office sends to schools: ``python -m tqa.devtools.template --term 2023-2``.

Five required sheets with the canonical headers (tqa.schema), a 填表说明 sheet, and Excel data
validation (drop-down lists and numeric ranges) so that most mistakes are caught while typing.
Subject columns and full marks come from the office's exam spec for the term. When the office's item
spec (item_spec.csv) lists papers for item analysis, the optional 小题得分 sheet is added too, with one
column per item label of those papers; each item cell is validated against that item's full marks in the
paper its row names (年级 and 学科).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from tqa.core import vocabulary as vocab
from tqa.core.terms import parse_term
from tqa.io.office import read_exam_spec, read_item_spec
from tqa.io.xlsx import put, save_workbook
from tqa.schema import office as office_files
from tqa.schema import sheets

SHEET_HELP = sheets.HELP_SHEET
MAX_ROWS = 5000  # validated rows per sheet (a large school has under 3,000 pupils)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def subjects_in_order(spec: pd.DataFrame) -> list[str]:
    """Subjects in order of first appearance (by grade, then row order)."""
    seen: list[str] = []
    for s in spec.sort_values("grade", kind="stable")["subject"]:
        if s not in seen:
            seen.append(s)
    return seen


def _list(values) -> str:
    """A drop-down list for data validation (a quote inside a value is doubled, as Excel formulas escape it)."""
    return '"' + ",".join(str(v).replace('"', '""') for v in values) + '"'


def _dv(
    kind: str, sqref: str, prompt: str, error: str, formula1=None, formula2=None, operator=None, allow_blank=True
) -> DataValidation:
    dv = DataValidation(
        type=kind,
        formula1=formula1,
        formula2=formula2,
        operator=operator,
        allow_blank=allow_blank,
        showErrorMessage=True,
        showInputMessage=True,
        errorStyle="stop",
        errorTitle="输入有误",
        error=error,
        promptTitle="填写提示",
        prompt=prompt,
    )
    dv.add(sqref)
    return dv


def _header(ws, headers: list[str], row: int = 1) -> None:
    for j, h in enumerate(headers, start=1):
        c = put(ws.cell(row=row, column=j), h)
        c.font = Font(bold=True)
        c.fill = _HEADER_FILL
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(j)].width = max(10, min(24, 2.2 * len(h) + 2))


def _col_range(col: int, first: int, last: int = MAX_ROWS) -> str:
    L = get_column_letter(col)
    return f"{L}{first}:{L}{last}"


def score_formula(cell: str, grade_cell: str, subject: str, spec: pd.DataFrame) -> str:
    """Custom validation: 缺考/免考, a level (level-graded grades), or a number 0..full marks of the row's grade."""
    rows = spec[spec["subject"] == subject]
    parts = [f'{cell}="{vocab.ABSENT}"', f'{cell}="{vocab.EXEMPT}"']
    if (rows["mode"] == vocab.EXAM_MODE_LEVEL).any():
        parts += [f'{cell}="{lv}"' for lv in vocab.LEVELS]
    scored = rows[rows["mode"] == vocab.EXAM_MODE_SCORE]
    if len(scored):
        fulls = sorted({int(f) for f in scored["full_marks"].dropna()})
        top = fulls[-1]
        cap = str(top)
        for f in reversed(fulls[:-1]):  # nested IF on the grade: other full marks
            gs = scored.loc[scored["full_marks"] == f, "grade"]
            cond = ",".join(f'{grade_cell}="{vocab.GRADE_LABELS[int(g)]}"' for g in sorted(gs))
            cap = f"IF(OR({cond}),{f},{cap})"
        parts.append(f"AND(ISNUMBER({cell}),{cell}>=0,{cell}<={cap})")
    return "OR(" + ",".join(parts) + ")"


GRADE_PROMPT = "从下拉列表选择年级，如“三年级”"


def field_validation(f: sheets.Field, sqref: str) -> DataValidation | None:
    """The data validation of one column, from its field spec (the same ranges the checks apply)."""
    if f.name == "grade":
        return _dv("list", sqref, GRADE_PROMPT, "请从下拉列表选择年级", _list(vocab.GRADE_LABELS.values()))
    if f.name == "sex":
        return _dv("list", sqref, "男 或 女", "性别只能填“男”或“女”", _list(vocab.SEXES))
    if f.name == "role":
        return _dv("list", sqref, "从下拉列表选择职务", "请从下拉列表选择职务", _list(vocab.ROLES))
    if f.name == "student_id":
        return _dv("textLength", sqref, "G 加 18 位数字，共 19 位", f"{f.header}应为 19 位", "19", "19", "equal")
    if f.name == "class_no":
        return _dv("whole", sqref, "班级号，正整数", "班级应为正整数", "1", None, "greaterThanOrEqual")
    if f.range is None:
        return None
    lo, hi = f.range
    whole = f.whole
    return _dv(
        "whole" if whole else "decimal",
        sqref,
        f"{f.header}：{f.doc + '，' if f.doc else ''}{lo:g}–{hi:g}",
        f"{f.header}应在 {lo:g} 到 {hi:g} 之间{'（整数）' if whole else ''}",
        f"{lo:g}",
        f"{hi:g}",
        "between",
    )


def add_field_validations(ws, layout: sheets.Sheet, first: int, last: int = MAX_ROWS) -> None:
    for j, f in enumerate(layout.fields, start=1):
        dv = field_validation(f, _col_range(j, first, last))
        if dv is not None:
            ws.add_data_validation(dv)


def describe(f: sheets.Field) -> str:
    """A column as the 填表说明 sheet names it: header (what to write, range)."""
    notes = [n for n in (f.doc, f.range_text) if n]
    return f.header + (f"（{'，'.join(notes)}）" if notes else "")


def help_rows(term_label: str, spec: pd.DataFrame) -> list[tuple[str, str]]:
    subj_lines = []
    for g, grp in spec.groupby("grade", sort=True):
        items = [
            f"{r.subject}（{'等级' if r.mode == vocab.EXAM_MODE_LEVEL else f'满分{int(r.full_marks)}'}）"
            for r in grp.itertuples()
        ]
        subj_lines.append(f"{vocab.GRADE_LABELS[int(g)]}：{'、'.join(items)}")
    counts = "、".join(f.header for f in sheets.INFO.fields[1:])
    return [
        ("学期", term_label),
        (
            "总体要求",
            "请勿修改工作表名称和表头（第一行）；请勿合并单元格、插入标题行或“合计”行；一名学生只占一行；"
            "数字请用半角阿拉伯数字，不要带单位（如写 85，不写“85分”）。",
        ),
        (
            sheets.INFO.name,
            "A 列前五行依次填写"
            + "、".join(k.label for k in sheets.INFO_KEYS)
            + f"（学校名称与教育局登记名一致）；空一行后按年级填写{counts}（本学期的人数，整数，没有填 0，"
            f"{sheets.INFO.field('enrolled').range_text}）。",
        ),
        (
            sheets.SCORES.name,
            "每名学生一行："
            + "、".join(describe(f) for f in sheets.SCORES.fields)
            + "，然后是各学科成绩。本年级不考的学科留空。",
        ),
        (
            "成绩填写",
            f"分数填 0 到满分之间的数字，可以有 0.5 分；缺考填“{vocab.ABSENT}”，免考（如随班就读学生）填"
            f"“{vocab.EXEMPT}”；一、二年级不进行纸笔考试，填等级："
            f"{'、'.join(vocab.LEVELS)}。单元格设置了有效性检查：超出满分或写了其他文字时 Excel 会提示。",
        ),
        ("各年级考试科目", "；".join(subj_lines)),
        *(
            (
                layout.name,
                f"每名{'校级领导、中层、教研组长和教师' if layout.row_noun == '教师' else layout.row_noun}一行："
                + "、".join(describe(f) for f in layout.fields)
                + "。",
            )
            for layout in (sheets.FITNESS, sheets.SURVEY, sheets.ROUTINE)
        ),
        (
            "数据处理说明",
            "汇总时会自动修正全角数字、“分”字、缺考/免考的常见写法和常见的表头别名，并在数据质量报告中列出，"
            "请下学期按本模板填写；重复的学生行、超出满分的分数、与登记不符的学校名称会被列为问题，相关行不纳入统计。",
        ),
    ]


def build_template(term: str, spec: pd.DataFrame) -> openpyxl.Workbook:
    label = parse_term(term).label
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET_HELP
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 100
    put(ws["A1"], f"学校质量数据报表填表说明（{label}）")
    ws["A1"].font = Font(bold=True, size=14)
    for i, (k, v) in enumerate(help_rows(label, spec), start=3):
        put(ws.cell(row=i, column=1), k).font = Font(bold=True)
        c = put(ws.cell(row=i, column=2), v)
        c.alignment = Alignment(wrap_text=True, vertical="top")

    # 学校信息: the key/value block, a blank row, then one row per grade
    ws = wb.create_sheet(sheets.INFO.name)
    for i, key in enumerate(sheets.INFO_KEYS, start=1):
        put(ws.cell(row=i, column=1), key.label).font = Font(bold=True)
    put(ws.cell(row=3, column=2), label)
    hdr_row = len(sheets.INFO_KEYS) + 2
    _header(ws, list(sheets.INFO.columns.values()), row=hdr_row)
    ws.column_dimensions["B"].width = 28
    add_field_validations(ws, sheets.INFO, hdr_row + 1, hdr_row + len(vocab.GRADES))

    # 学业成绩: the fixed columns, then one column per subject of the exam spec
    ws = wb.create_sheet(sheets.SCORES.name)
    subjects = subjects_in_order(spec)
    ids = list(sheets.SCORES.columns.values())
    _header(ws, ids + subjects)
    ws.column_dimensions["A"].width = 24
    add_field_validations(ws, sheets.SCORES, 2)
    g_letter = get_column_letter(ids.index(sheets.SCORES.columns["grade"]) + 1)
    for j, subj in enumerate(subjects, start=len(ids) + 1):
        L = get_column_letter(j)
        f = score_formula(f"{L}2", f"${g_letter}2", subj, spec)
        ws.add_data_validation(
            _dv(
                "custom",
                _col_range(j, 2),
                f"0 到满分的数字；缺考填“{vocab.ABSENT}”，免考填“{vocab.EXEMPT}”",
                f"{subj}：请填 0 到满分之间的数字，或“{vocab.ABSENT}”“{vocab.EXEMPT}”（一、二年级填等级）",
                f,
            )
        )
    ws.freeze_panes = "A2"

    for layout in (sheets.FITNESS, sheets.SURVEY, sheets.ROUTINE):
        ws = wb.create_sheet(layout.name)
        _header(ws, list(layout.columns.values()))
        if layout.key == "student_id":
            ws.column_dimensions["A"].width = 24
        add_field_validations(ws, layout, 2)
        ws.freeze_panes = "A2"
    return wb


# Excel's limits for a data validation: the formula, the input message and the error message (characters).
MAX_FORMULA = 255
MAX_PROMPT = 255
MAX_ERROR = 225
Paper = tuple[int, str]  # (grade, subject)


def item_columns(items: pd.DataFrame) -> list[tuple[str, dict[Paper, float]]]:
    """The 小题得分 item columns: every item label of the papers in paper order (first paper first, then
    labels only later papers have), each with its full marks in each paper that has it. Papers share the
    columns (a row's 年级 and 学科 say which paper it is), not the full marks: 第 9 题 may be worth 4 in
    六年级数学 and 3 in 九年级数学."""
    out: dict[str, dict[Paper, float]] = {}
    for grade, subject, label, full in items[["grade", "subject", "item", "full_marks"]].itertuples(index=False):
        out.setdefault(str(label), {})[(int(grade), str(subject))] = float(full)
    return list(out.items())


def _text_literal(value: str) -> str:
    return '"' + str(value).replace('"', '""') + '"'


def item_formula(cell: str, grade_cell: str, subject_cell: str, fulls: dict[Paper, float]) -> str:
    """Custom validation of one item cell, per row: 缺考, or a number from 0 to the item's full marks in the
    row's paper (its 年级 and 学科 cells). Papers with equal full marks share one IF branch. In a row whose
    paper lacks the item, or whose paper is not chosen yet, no number is accepted -- unless the formula would
    then pass Excel's 255 characters: the largest group becomes the default branch (those rows accept its full
    marks), and a formula that is still too long is an error."""
    groups: dict[float, list[Paper]] = {}
    for paper, full in fulls.items():
        groups.setdefault(full, []).append(paper)
    order = sorted(groups, key=lambda f: (-len(groups[f]), f))  # the largest group first: the fallback default
    key = f"{grade_cell}&{subject_cell}"

    def condition(papers: list[Paper]) -> str:
        tests = [f"{key}={_text_literal(vocab.GRADE_LABELS[g] + s)}" for g, s in papers]
        return tests[0] if len(tests) == 1 else "OR(" + ",".join(tests) + ")"

    def formula(branches: list[float], default: str) -> str:
        cap = default
        for full in reversed(branches):
            cap = f"IF({condition(groups[full])},{full:g},{cap})"
        return f'OR({cell}="{vocab.ABSENT}",AND(ISNUMBER({cell}),{cell}>=0,{cell}<={cap}))'

    strict = formula(order, "-1")
    if len(strict) <= MAX_FORMULA:
        return strict
    lenient = formula(order[1:], f"{order[0]:g}")
    if len(lenient) <= MAX_FORMULA:
        return lenient
    raise ValueError(
        f"小题得分：试卷太多（{len(fulls)} 份试卷有此题），单元格的有效性检查超过 Excel 的 {MAX_FORMULA} 字符上限"
    )


def _paper_name(paper: Paper) -> str:
    return vocab.GRADE_LABELS[paper[0]] + paper[1]


def _within(text: str, short: str, limit: int) -> str:
    return text if len(text) <= limit else short


def add_item_sheet(wb: openpyxl.Workbook, items: pd.DataFrame) -> None:
    """The optional 小题得分 sheet: the student's id, 年级, 学科, then one column per item label; each item cell takes
    缺考 or 0 to the item's full marks in the paper its row names (item_formula)."""
    ws = wb.create_sheet(sheets.ITEMS.name)
    columns = item_columns(items)
    ids = list(sheets.ITEMS.columns.values())
    _header(ws, ids + [label for label, _ in columns])
    ws.column_dimensions["A"].width = 24
    grades = [vocab.GRADE_LABELS[int(g)] for g in sorted(items["grade"].unique())]
    subjects = list(dict.fromkeys(items["subject"]))
    grade_col = ids.index(sheets.ITEMS.columns["grade"]) + 1
    subject_col = ids.index(sheets.ITEMS.columns["subject"]) + 1
    grade_cell, subject_cell = f"${get_column_letter(grade_col)}2", f"${get_column_letter(subject_col)}2"
    ws.add_data_validation(field_validation(sheets.ITEMS.fields[0], _col_range(1, 2)))
    ws.add_data_validation(
        _dv("list", _col_range(grade_col, 2), "做试卷分析的年级", "请从下拉列表选择年级", _list(grades))
    )
    ws.add_data_validation(
        _dv("list", _col_range(subject_col, 2), "做试卷分析的学科", "请从下拉列表选择学科", _list(subjects))
    )
    for j, (label, fulls) in enumerate(columns, start=len(ids) + 1):
        cell = f"{get_column_letter(j)}2"
        listing = "，".join(f"{_paper_name(p)} {f:g} 分" for p, f in fulls.items())
        absent = f"缺考填“{vocab.ABSENT}”"
        prompt = f"第 {label} 题得分：0 到本行试卷该题的满分（{listing}）；{absent}"
        error = (
            f"第 {label} 题得分应在 0 到本行试卷该题的满分之间（{listing}），或填“{vocab.ABSENT}”；"
            "请先选择年级和学科，试卷没有此题时留空"
        )
        short_prompt = f"第 {label} 题得分：0 到本行试卷该题的满分；{absent}"
        short_error = f"第 {label} 题得分应在 0 到本行试卷该题的满分之间，或填“{vocab.ABSENT}”；请先选择年级和学科"
        ws.add_data_validation(
            _dv(
                "custom",
                _col_range(j, 2),
                _within(prompt, short_prompt, MAX_PROMPT),
                _within(error, short_error, MAX_ERROR),
                item_formula(cell, grade_cell, subject_cell, fulls),
            )
        )
    ws.freeze_panes = "D2"
    help_ws = wb[SHEET_HELP]
    papers = "、".join(
        f"{vocab.GRADE_LABELS[int(g)]}{s}"
        for g, s in items[["grade", "subject"]].drop_duplicates().itertuples(index=False)
    )
    row = help_ws.max_row + 1
    put(help_ws.cell(row=row, column=1), sheets.ITEMS.name).font = Font(bold=True)
    text = (
        f"可选，只有参加全区试卷分析的试卷（{papers}）填写：每名学生每份试卷一行，填{'、'.join(ids)}和每道小题的得分"
        f"（0 到该卷该题的满分：同一题号在不同试卷中满分可能不同，请先选年级和学科，再填各题）；"
        f"缺考的学生各题填“{vocab.ABSENT}”，免考学生不列入。本卷没有的题留空。"
    )
    put(help_ws.cell(row=row, column=2), text).alignment = Alignment(wrap_text=True, vertical="top")


def write_template(term: str, out: str | Path, raw_root: str | Path = "data/raw") -> Path:
    office = Path(raw_root) / term / office_files.OFFICE_DIR
    spec_path = office / office_files.EXAM_SPEC.file
    if not spec_path.is_file():
        raise FileNotFoundError(f"找不到考试安排表 {spec_path}：模板的学科列来自该文件")
    wb = build_template(term, read_exam_spec(spec_path))
    item_path = office / office_files.ITEM_SPEC.file
    if item_path.is_file():  # optional: only terms with item analysis get the 小题得分 sheet
        add_item_sheet(wb, read_item_spec(item_path))
    return save_workbook(wb, out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tqa.devtools.template", description="生成发给学校的空白报表模板")
    ap.add_argument("--term", required=True, help="学期，如 2023-2")
    ap.add_argument("--out", default=None, help="输出文件，默认 outputs/<学期>/template.xlsx")
    ap.add_argument("--raw-root", default="data/raw", help="原始数据根目录（读取 office/exam_spec.csv）")
    a = ap.parse_args(argv)
    try:
        term = parse_term(a.term).name
        path = write_template(term, a.out or f"outputs/{term}/template.xlsx", a.raw_root)
    except (ValueError, FileNotFoundError) as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    print(f"模板已生成：{path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
