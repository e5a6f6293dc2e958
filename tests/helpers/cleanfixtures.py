"""Small hand-made terms for tests/test_clean.py: office CSVs and returns with known defects at
known Excel rows (so every expected warning can be written out by hand)."""

from __future__ import annotations

import csv
import struct
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


# 学籍号 of the documented form (G + an 18-character identity number, born 2010-11, aged 12-13 in 2023-2).
SID_A, SID_B, SID_C = "G37990120100901001X", "G37990120100315002X", "G379902201101200031"


def simple_return(code, name, students=((SID_A, "甲", "七年级", 1, "男", 90, 91, 92, 93),)):
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
    r5 = simple_return("005", "河东中学", students=((SID_B, "乙", "七年级", 2, "女", 70, 71, 72, 73),))
    del r5[sheets.ROUTINE.name]
    write_workbook(term_dir / "005.xlsx", r5)
    write_workbook(
        term_dir / "999.xlsx",
        simple_return("999", "外区学校", students=((SID_C, "丙", "七年级", 1, "男", 1, 2, 3, 4),)),
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
    block = row * ((1 << 20) // len(row) + 1)

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


# ---- an Excel 97-2003 (.xls) workbook, written by hand ------------------------------------------------------
# No .xls writer is in the lock (xlwt is not): this writes the least the format asks for, a BIFF8 "Workbook"
# stream in a compound file (one FAT sector, one directory sector), text cells as LABEL records and numbers
# as NUMBER records. Enough for calamine to read it as Excel writes it.
def _record(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _biff_text(text: str, width: str = "<H") -> bytes:
    return struct.pack(width, len(text)) + b"\x01" + text.encode("utf-16-le")


def _bof(kind: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0x41, 0x06))


def _biff_sheet(rows: list[list]) -> bytes:
    cells = []
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                cells.append(_record(0x0203, struct.pack("<HHHd", r, c, 0, float(v))))
            else:
                cells.append(_record(0x0204, struct.pack("<HHH", r, c, 0) + _biff_text(str(v))))
    width = max((len(r) for r in rows), default=0)
    dims = _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))
    return _bof(0x0010) + dims + b"".join(cells) + _record(0x000A)


def biff_workbook(sheets: dict[str, list[list]]) -> bytes:
    bodies = [_biff_sheet(rows) for rows in sheets.values()]
    head = _bof(0x0005) + _record(0x0042, struct.pack("<H", 1200))
    bound_len = sum(4 + 6 + 2 + 2 * len(name) for name in sheets)
    offset = len(head) + bound_len + 4  # the globals' EOF record
    bound = b""
    for name, body in zip(sheets, bodies):
        bound += _record(0x0085, struct.pack("<IBB", offset, 0, 0) + _biff_text(name, "<B"))
        offset += len(body)
    return head + bound + _record(0x000A) + b"".join(bodies)


def compound_file(streams: dict[str, bytes], padded: bool = True) -> bytes:
    """A version-3 compound file holding ``streams``, each padded to 4096 bytes so that none is in the mini
    stream. ``padded=False`` records the streams' own sizes: a stream under 4096 bytes then claims to be in a
    mini stream the file does not have (a malformed file: calamine panics on it)."""
    end, free, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFF
    names = list(streams)
    data = [s.ljust(max(4096, -(-len(s) // 512) * 512), b"\0") for s in streams.values()]
    dir_sectors = -(-(len(names) + 1) // 4)
    fat = [0xFFFFFFFD] + [i + 2 if i + 1 < dir_sectors else end for i in range(1, dir_sectors + 1)]
    starts = []
    for d in data:
        first, n = len(fat), len(d) // 512
        starts.append(first)
        fat += [first + k + 1 for k in range(n - 1)] + [end]
    assert len(fat) <= 128, "one FAT sector"
    fat += [free] * (128 - len(fat))

    def entry(name, kind, child, right, start, size):
        raw = name.encode("utf-16-le") + b"\0\0"
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", nostream, right, child)
            + b"\0" * 36
            + struct.pack("<IQ", start, size)
        )

    # the root's child is the first stream; the others hang to its right (a degenerate red-black tree)
    entries = [entry("Root Entry", 5, 1 if names else nostream, nostream, end, 0)]
    for i, (name, stream) in enumerate(zip(names, streams.values())):
        size = len(data[i]) if padded else len(stream)
        entries.append(entry(name, 2, nostream, i + 2 if i + 1 < len(names) else nostream, starts[i], size))
    empty = b"\0" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", nostream, nostream, nostream)
    entries += [empty.ljust(128, b"\0")] * (dir_sectors * 4 - len(entries))
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 0x1000, end, 0, end, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", free) * 108
    )
    assert len(header) == 512
    return header + struct.pack("<128I", *fat) + b"".join(entries) + b"".join(data)


def xls_return(path: Path, sheets: dict[str, list[list]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(compound_file({"Workbook": biff_workbook(sheets)}))
    return path


def issue_texts(issues, **where) -> list[str]:
    """The issues' texts as the data-quality list words them, for the rows matching ``where`` (column=value;
    None matches a missing value)."""
    import math

    import pandas as pd

    from tqa.core.issues import Issue

    sel = issues
    for k, v in where.items():
        sel = sel[sel[k].isna()] if v is None else sel[sel[k] == v]
    out = []
    for rec in sel.to_dict("records"):
        rec = {k: (None if isinstance(v, float) and math.isnan(v) or v is pd.NA else v) for k, v in rec.items()}
        rec["excel_row"] = None if rec["excel_row"] is None else int(rec["excel_row"])
        out.append(Issue(**rec).text())
    return out
