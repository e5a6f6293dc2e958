"""tqa.io.xlsx.append_rows: rows written as XML by save_workbook are the very bytes openpyxl writes for the same
cells set with put() and added with ws.append (text stays text, formula triggers quote-prefixed)."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font, PatternFill

from tqa.io.xlsx import append_rows, put, save_workbook

ROWS = [
    ["语文", "临界及格", "G379906201504116935", "张三", 70.0, 120.0, 72.0, 2.0],
    ["数学", " 前后空格 ", "a & b <c> \"d\" 'e'", None, 59.5, 100, 60, 0.5],
    ["", None, "多行\n文字", "   ", 1e-7, 1e20, -3, 123456789012],
    [],
    [None, None, None],
    ["x" * 40000, "\x07控制字符", 0.1 + 0.2, float("nan"), float("inf"), 2**53 + 1],
]
HOSTILE = ['=HYPERLINK("http://evil.example/","点此核对")', "+1", "-5", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


def _book(rows, bulk: bool, header: bool):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名单"
    if header:
        for j, text in enumerate(("学科", "类别", "学籍号"), start=1):
            cell = put(ws.cell(row=1, column=j), text)
            cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DDDDDD")
    if bulk:
        append_rows(ws, rows)
    else:
        for values in rows:
            ws.append([put(Cell(ws), v) for v in values])
    ws.freeze_panes = "A2"
    wb.create_sheet("其他")["A1"] = "另一张表"
    return wb


@pytest.mark.parametrize(
    "rows, header",
    [(ROWS, True), (ROWS, False), ([HOSTILE, *ROWS, HOSTILE[::-1]], False), ([], True), ([[None]], True)],
)
def test_appended_rows_are_the_bytes_openpyxl_writes(tmp_path, rows, header):
    slow = save_workbook(_book(rows, bulk=False, header=header), tmp_path / "slow.xlsx").read_bytes()
    fast = save_workbook(_book(rows, bulk=True, header=header), tmp_path / "fast.xlsx").read_bytes()
    assert fast == slow


def test_appended_hostile_text_reads_back_as_quoted_text(tmp_path):
    path = save_workbook(_book([HOSTILE], bulk=True, header=True), tmp_path / "h.xlsx")
    ws = openpyxl.load_workbook(path)["名单"]
    cells = list(ws[2])
    assert [c.value for c in cells] == [h.replace("\r", "\n") if h.startswith("\r") else h for h in HOSTILE]
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert ws["A1"].font.b and not ws["A1"].quotePrefix


def test_append_rows_refuses_what_it_cannot_write_as_openpyxl_would(tmp_path):
    wb = openpyxl.Workbook()
    for bad in (True, dt.date(2024, 1, 1)):
        with pytest.raises(TypeError):
            append_rows(wb.create_sheet(), [["a", bad]])
    ws = wb.create_sheet("twice")
    append_rows(ws, [["a"]])
    with pytest.raises(ValueError):
        append_rows(ws, [["b"]])
    ws["A1"] = "below the block's first row"  # a cell where the block goes
    with pytest.raises(ValueError):
        save_workbook(wb, tmp_path / "x.xlsx")
