"""Small hand-made terms for tests/test_clean.py: office CSVs and returns with known defects at
known Excel rows (so every expected warning can be written out by hand)."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

from tqa.schema import office, sheets

TERM = "2023-2"
REGISTRY = [  # code, name, variants, type, category
    ("001", "清河区实验学校", "实验学校|区实验学校", "九年一贯制", "城区"),
    ("002", "清河区第一小学", "清河一小", "小学", "城区"),
    ("003", "清河区第二小学", "", "小学", "城区"),
    ("004", "清河区第三小学", "", "小学", "乡镇"),
    ("005", "清河区实验中学", "", "初中", "城区"),
]
SPEC = [  # grade, subject, full marks, mode
    (1, "语文", "", "等级"),
    (1, "数学", "", "等级"),
    (3, "语文", 100, "分数"),
    (3, "数学", 100, "分数"),
    (3, "英语", 100, "分数"),
    (7, "语文", 120, "分数"),
    (7, "数学", 120, "分数"),
    (7, "英语", 120, "分数"),
    (7, "道德与法治", 100, "分数"),
]


def write_csv(path: Path, header, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def write_office(term_dir: Path, registry=REGISTRY, spec=SPEC) -> None:
    office_dir = term_dir / office.OFFICE_DIR
    write_csv(office_dir / office.REGISTRY.file, list(office.REGISTRY.columns.values()), registry)
    write_csv(office_dir / office.EXAM_SPEC.file, list(office.EXAM_SPEC.columns.values()), spec)


def write_workbook(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None) -> Path:
    """sheets: name -> rows (row i is Excel row i + 1; [] is a blank row)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row, start=1):
                if v is not None:
                    ws.cell(r, c, v)
        for ref in (merges or {}).get(name, []):
            ws.merge_cells(ref)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def info_rows(code, name, enrolment=(("七年级", 1, 0, 0, 0, 0),)):
    return [
        ["学校代码", code],
        ["学校名称", name],
        ["学期", "2023-2024学年第二学期"],
        ["填表人", "张老师"],
        ["联系电话", "0599-1234567"],
        [],
        list(sheets.INFO.columns.values()),
        *map(list, enrolment),
    ]


def simple_return(code, name, students=(("G900", "甲", "七年级", 1, "男", 90, 91, 92, 93),)):
    """A canonical, defect-free return."""
    sid = [s[0] for s in students]
    return {
        sheets.INFO.name: info_rows(code, name),
        sheets.SCORES.name: [
            [*sheets.SCORES.columns.values(), "语文", "数学", "英语", "道德与法治"],
            *map(list, students),
        ],
        sheets.FITNESS.name: [list(sheets.FITNESS.columns.values()), *[[s, "七年级", "男", 80.5] for s in sid]],
        sheets.SURVEY.name: [list(sheets.SURVEY.columns.values()), *[[s, "七年级", 60, 9] for s in sid]],
        sheets.ROUTINE.name: [list(sheets.ROUTINE.columns.values()), ["王一", "校长", 20, 10, 12]],
    }


# The messy return of school 001; comments give the Excel row.
MESSY_SCORES = [
    ["清河区实验学校期末成绩统计表"],  # 1 title (merged A1:I1)
    ["填报单位：清河区实验学校", None, None, "单位：分"],  # 2 title
    ["学籍号", "姓名", "年级", "性别", "班", "语文", "数学", "外语", "道法"],  # 3 header: aliases, reordered
    ["G001", "张一", "七年级", "男", "1班", 85, "８５", "90分", "缺"],  # 4 full-width, unit, absent variant
    ["G002", "李二", "初一", "女", "（2）班", 150, 60.5, "免试", "缺考"],  # 5 150 kept; exempt variant
    [],  # 6 blank
    ["G003", "王三", "7", "女", 3, "八十", 70, 80, 75],  # 7 unreadable score
    ["G003", "王三", "7", "女", 3, "八十", 70, 80, 75],  # 8 duplicate of 7
    [None, "赵四", "七年级", "男", 1, 60, 60, 60, 60],  # 9 no 学籍号
    ["G005", "钱五", "高一", "男", 1, 60, 60, 60, 60],  # 10 unknown grade
    ["G006", "孙六", "一年级", "女", 2, "优", "良好"],  # 11 level variant; no 英语/道法 in grade 1
    ["G007", "周七", "三年级", "男", 1, 88, 77, 66, "90"],  # 12 道法 not examined in grade 3
    ["合计", None, None, None, None, 80, 70, 70, 70],  # 13 total row
]
MESSY_INFO = [
    ["学校代码", "001"],  # 1
    ["学校名称", "实验学校"],  # 2 registered variant
    ["学期", "2023-2024学年第二学期"],  # 3
    ["填表人", "张老师"],  # 4
    ["联系电话", "0599-1234567"],  # 5
    [],  # 6
    ["年级", "在籍人数", "转入", "转出", "辍学", "死亡"],  # 7
    ["七年级", 4, 0, 0, 0, 0],  # 8
    ["一年级", "２", 0, 0, 0, 0],  # 9 full-width
    ["合计", 6, 0, 0, 0, 0],  # 10 total row
]
MESSY_FITNESS = [
    ["学籍号", "年级", "性别", "体测总分"],  # 1 aliases (学籍号: older templates' spelling of 全国学籍号)
    ["G001", "七年级", "男", 85.5],  # 2
    ["G002", "七年级", "女", "缺考"],  # 3 no usable total
]
MESSY_SURVEY = [
    ["全国学籍号", "年级", "日均书面作业时间（分钟）", "日均睡眠时间（小时）"],  # 1
    ["G001", "七年级", "60分钟", "9小时"],  # 2 units
    ["G002", "七年级", "很多", 8.5],  # 3 unreadable minutes, row kept
]
MESSY_ROUTINE = [
    ["姓名", "职务", "听课节数", "评课节数", "教研时数"],  # 1
    ["王校长", "校长", 20, 10, "12"],  # 2
    ["李老师", "教师", None, None, None],  # 3 no values
]


def messy_return() -> dict[str, list[list]]:
    return {
        sheets.INFO.name: MESSY_INFO,
        sheets.SCORES.name: MESSY_SCORES,
        sheets.FITNESS.name: MESSY_FITNESS,
        sheets.SURVEY.name: MESSY_SURVEY,
        sheets.ROUTINE.name: MESSY_ROUTINE,
    }


def build_term(root: Path) -> Path:
    """root/data/raw/<TERM>: 001 messy, 002 clean, 003 broken file, 004 not submitted,
    005 without 教学常规 and with a wrong school name, 999 not in the registry."""
    term_dir = root / "data" / "raw" / TERM
    write_office(term_dir)
    write_workbook(term_dir / "001.xlsx", messy_return(), {sheets.SCORES.name: ["A1:I1"]})
    write_workbook(term_dir / "002.xlsx", simple_return("002", "清河区第一小学"))
    (term_dir / "003.xlsx").write_bytes(b"this is not a zip file")
    r5 = simple_return("005", "河东中学", students=(("G500", "乙", "七年级", 2, "女", 70, 71, 72, 73),))
    del r5[sheets.ROUTINE.name]
    write_workbook(term_dir / "005.xlsx", r5)
    write_workbook(
        term_dir / "999.xlsx",
        simple_return("999", "外区学校", students=(("G999", "丙", "七年级", 1, "男", 1, 2, 3, 4),)),
    )
    return term_dir


def entity_workbook(path: Path) -> Path:
    """A workbook whose sheet XML defines nested entities (a small "billion laughs")."""
    import zipfile

    write_workbook(path, {"学业成绩": [["hello"]]})
    with zipfile.ZipFile(path) as z:
        data = {n: z.read(n) for n in z.namelist()}
    name = next(n for n in data if n.startswith("xl/worksheets/"))
    xml = data[name]
    doctype = (
        b'<!DOCTYPE worksheet [<!ENTITY a "AAAAAAAAAA"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    )
    i = xml.index(b"<worksheet")
    data[name] = (xml[:i] + doctype + xml[i:]).replace(b">hello<", b">x&c;y<")
    with zipfile.ZipFile(path, "w") as z:
        for n, d in data.items():
            z.writestr(n, d)
    return path


def _rewrite_part(path: Path, part: str, write_part) -> Path:
    """Copy the workbook at ``path`` with its part ``part`` replaced by what ``write_part(stream)`` writes
    (streamed into the zip, so a part of hundreds of MB never sits in memory)."""
    import zipfile

    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for info in src.infolist():
            if info.filename == part:
                with out.open(part, "w", force_zip64=True) as stream:  # (deflated at the archive's level)
                    write_part(stream)
            else:
                out.writestr(info, src.read(info.filename), zipfile.ZIP_DEFLATED)
    tmp.replace(path)
    return path


SCORES_PART = "xl/worksheets/sheet2.xml"  # openpyxl names parts in sheet order: 学业成绩 is the second sheet


def zip_bomb(path: Path, code: str, name: str, unpacked_mb: int = 200) -> Path:
    """A valid return whose 学业成绩 sheet is ``unpacked_mb`` MB of one repeated row: a few MB on disk."""
    write_workbook(path, simple_return(code, name))
    row = b'<row><c t="inlineStr"><is><t>' + b"G" * 200 + b"</t></is></c></row>"
    block = row * (1 << 20 // len(row) + 1)

    def write(stream):
        stream.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
        for _ in range(unpacked_mb * (1 << 20) // len(block) + 1):
            stream.write(block)
        stream.write(b"</sheetData></worksheet>")

    return _rewrite_part(path, SCORES_PART, write)


def far_cell_return(path: Path, code: str, name: str) -> Path:
    """A return of a few KB whose 学业成绩 sheet has a cell at A1 and one at XFD1048576: read as a dense
    rectangle, 17 billion cells."""
    write_workbook(path, simple_return(code, name))
    xml = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1"/>'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
        b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>'
    )
    return _rewrite_part(path, SCORES_PART, lambda stream: stream.write(xml))
