"""Reading a return workbook into plain grids: sheet name -> list of rows, where rows[i] is Excel
row i + 1 and cell j is column j (A = 0). Empty cells are None; rows end at their last value. Merged ranges are
filled with their top-left value (a grade merged down a column belongs to every row it covers) and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class WorkbookError(Exception):
    """The file cannot be opened as an .xlsx workbook."""


@dataclass
class Grid:
    name: str
    rows: list[list]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # 0-based r0, c0, r1, c1 inclusive


def _fill_merged(rows: list[list], merged) -> None:
    for r0, c0, r1, c1 in merged:
        while len(rows) <= r1:
            rows.append([])
        top = rows[r0][c0] if c0 < len(rows[r0]) else None
        if top is None:
            continue
        for r in range(r0, r1 + 1):
            row = rows[r]
            if len(row) <= c1:
                row.extend([None] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                if row[c] is None:
                    row[c] = top


def _calamine_cells(row: list) -> list:
    """A calamine row with None for its empty cells (calamine writes ""), trailing ones dropped (as
    read_workbook would). Rows are as wide as the sheet, so most end in empty cells but have none
    inside: trimming first leaves the cell-by-cell rewrite to the few rows that need it."""
    while row and row[-1] == "":
        row.pop()
    return [None if v == "" else v for v in row] if "" in row else row


def _read_calamine(path: Path) -> list[Grid]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    try:
        sheets = []
        for name in wb.sheet_names:
            cs = wb.get_sheet_by_name(name)
            # skip_empty_area=False keeps leading empty rows and columns, so index i is Excel row i + 1
            # (the default drops them and shifts every row number: checked in tests/test_clean.py).
            rows = [_calamine_cells(r) for r in cs.to_python(skip_empty_area=False)]
            merged = [(a[0], a[1], b[0], b[1]) for a, b in (cs.merged_cell_ranges or [])]
            sheets.append(Grid(name, rows, merged))
        return sheets
    finally:
        wb.close()


def _read_openpyxl(path: Path) -> list[Grid]:
    import openpyxl  # uses defusedxml when installed (it is, in our lock)

    wb = openpyxl.load_workbook(path, data_only=True)  # not read_only: that mode hides merged ranges
    try:
        sheets = []
        for ws in wb.worksheets:
            rows = [[None if v == "" else v for v in r] for r in ws.iter_rows(min_row=1, min_col=1, values_only=True)]
            while rows and all(v is None for v in rows[-1]):
                rows.pop()
            merged = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
            sheets.append(Grid(ws.title, [list(r) for r in rows], sorted(merged)))
        return sheets
    finally:
        wb.close()


def read_workbook(path: str | Path, engine: str = "calamine") -> dict[str, Grid]:
    """All sheets of a workbook; raises WorkbookError when the file is not a readable .xlsx."""
    path = Path(path)
    reader = {"calamine": _read_calamine, "openpyxl": _read_openpyxl}[engine]
    try:
        sheets = reader(path)
    except Exception as exc:  # corrupt zip, not a workbook, encrypted...: one message for all
        raise WorkbookError(f"{type(exc).__name__}: {exc}") from exc
    out = {}
    for s in sheets:
        s.merged = sorted(s.merged)
        _fill_merged(s.rows, s.merged)
        for row in s.rows:  # engines disagree on sheet width (empty merged cells): trim to the data
            while row and row[-1] is None:
                row.pop()
        while s.rows and all(v is None for v in s.rows[-1]):
            s.rows.pop()
        out[s.name] = s
    return out
