"""outputs/<T>/data-quality.xlsx: what the office sends back to schools.

Sheets: 汇总 (one row per school: submitted, problem counts, status), 全部问题 (every problem, with
an autofilter, for the office), 全区问题 (problems not tied to a school, e.g. the exam spec; only
when there are any), then one sheet per school with problems, named "<代码> <校名>", so each
school can be sent its own list. The issue sheets a school answers (its own sheet and 全部问题) end with an empty
学校核对意见 column for the school's reply. Every sheet prints on A4 landscape, one page wide, with the header
row on every page and the sheet name and page number above and below. Saved with tqa.io.xlsx.save_workbook:
same input, same bytes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter

from tqa.checks.step import STATUS_SET_ASIDE
from tqa.core.issues import BLOCKING, FIXED, SEVERITY_LABELS, WARNING
from tqa.io.xlsx import display_width, fit_to_page_width, put, save_workbook, sheet_title

SUMMARY_SHEET = "汇总"
ALL_SHEET = "全部问题"
DISTRICT_SHEET = "全区问题"
HEADERS = ("学校代码", "学校名称", "工作表", "行号", "列", "值", "问题", "处理", "严重程度")
ISSUE_FIELDS = ("school_code", "school_name", "sheet", "excel_row", "column", "value", "message", "action", "severity")
SUMMARY_HEADERS = ("学校代码", "学校名称", "是否提交", "阻断", "警告", "已自动修正", "状态")
# A school whose only "problem" is not having sent a return gets no sheet of its own.
NO_SHEET_RULES = {"missing_return"}
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
_BLOCKING_FILL = PatternFill("solid", fgColor="F8D7DA")
_WRAP_COLUMNS = {"问题", "处理"}
_MAX_WIDTH = 60
# The school's reply: the last column of the sheets sent to schools, empty, unlocked (still editable if the
# office protects the sheet), wide and wrapped.
REPLY_HEADER = "学校核对意见"
REPLY_WIDTH = 40
_REPLY_FILL = PatternFill("solid", fgColor="FFF2CC")
PAGE_HEADER = "&A"  # Excel's code for the sheet name
PAGE_FOOTER = "第 &P 页，共 &N 页"


def _text(v):
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if hasattr(v, "item"):  # numpy scalars -> Python, so openpyxl writes plain numbers
        v = v.item()
    return v


def _write_table(ws, headers, rows, severities=None, reply: bool = False) -> None:
    """Header row, then the rows; every text (most of it from the returns) written as text (``xlsx.put``).
    ``reply``: an empty 学校核对意见 column after the last one."""
    for j, header in enumerate(headers, start=1):
        cell = put(ws.cell(row=1, column=j), header)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    for i, row in enumerate(rows, start=2):
        blocking = severities is not None and severities[i - 2] == BLOCKING
        for j, value in enumerate(row, start=1):
            cell = put(ws.cell(row=i, column=j), _text(value))
            if blocking:
                cell.fill = _BLOCKING_FILL
    ws.freeze_panes = "A2"
    for j, header in enumerate(headers, start=1):
        width = max([display_width(header)] + [display_width(_text(r[j - 1])) for r in rows])
        ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 6), _MAX_WIDTH)
        if header in _WRAP_COLUMNS:
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    if reply:
        _reply_column(ws, len(headers) + 1, len(rows))
    _print_setup(ws)


def _reply_column(ws, col: int, n_rows: int) -> None:
    cell = put(ws.cell(row=1, column=col), REPLY_HEADER)
    cell.font, cell.fill = _HEADER_FONT, _REPLY_FILL
    for i in range(2, n_rows + 2):
        cell = ws.cell(row=i, column=col)
        cell.protection = Protection(locked=False)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions[get_column_letter(col)].width = REPLY_WIDTH


def _print_setup(ws) -> None:
    """A4 landscape, all columns on one page's width (as many pages down as it takes), the header row on
    every page, the sheet name centred above and the page number below."""
    fit_to_page_width(ws, landscape=True)
    ws.oddHeader.center.text = PAGE_HEADER
    ws.oddFooter.center.text = PAGE_FOOTER


def _issue_rows(issues: pd.DataFrame) -> tuple[list[list], list[str]]:
    df = issues.copy()
    severities = df["severity"].tolist()
    df["severity"] = df["severity"].map(SEVERITY_LABELS)
    return df[list(ISSUE_FIELDS)].astype(object).values.tolist(), severities


def summary_frame(issues: pd.DataFrame, returns: pd.DataFrame) -> pd.DataFrame:
    """Per school: name, submitted (是/否), counts per severity, status (returns.status, see
    tqa.checks.step.school_status; a school missing from the returns, e.g. one not in the registry, was set
    aside)."""
    ret = returns.drop_duplicates("school_code").set_index("school_code")
    codes = sorted(set(ret.index.dropna()) | set(issues["school_code"].dropna()))
    counts = issues.dropna(subset=["school_code"]).groupby(["school_code", "severity"]).size()
    names = issues.dropna(subset=["school_code"]).groupby("school_code")["school_name"].first()
    rows = []
    for code in codes:
        in_ret = code in ret.index
        rows.append(
            {
                "学校代码": code,
                "学校名称": _text(ret.loc[code, "school_name"]) if in_ret else _text(names.get(code)),
                "是否提交": ("是" if bool(ret.loc[code, "submitted"]) else "否") if in_ret else "是",
                "阻断": int(counts.get((code, BLOCKING), 0)),
                "警告": int(counts.get((code, WARNING), 0)),
                "已自动修正": int(counts.get((code, FIXED), 0)),
                "状态": _text(ret.loc[code, "status"]) if in_ret and "status" in ret else STATUS_SET_ASIDE,
            }
        )
    return pd.DataFrame(rows, columns=list(SUMMARY_HEADERS))


def write_quality_workbook(issues: pd.DataFrame, returns: pd.DataFrame, path: str | Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = SUMMARY_SHEET
    summary = summary_frame(issues, returns)
    _write_table(ws, SUMMARY_HEADERS, summary.astype(object).values.tolist())

    ws = wb.create_sheet(ALL_SHEET)
    rows, sev = _issue_rows(issues)
    _write_table(ws, HEADERS, rows, sev, reply=True)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS) + 1)}{max(len(rows) + 1, 1)}"

    district = issues.loc[issues["school_code"].isna()]
    if len(district):
        rows, sev = _issue_rows(district)
        _write_table(wb.create_sheet(DISTRICT_SHEET), HEADERS, rows, sev)

    names = dict(zip(summary["学校代码"], summary["学校名称"]))
    for code, school_issues in issues.dropna(subset=["school_code"]).groupby("school_code", sort=True):
        if set(school_issues["rule"]) <= NO_SHEET_RULES:
            continue
        rows, sev = _issue_rows(school_issues)
        title = sheet_title(f"{code} {names.get(code) or ''}", set(wb.sheetnames), fallback=str(code))
        _write_table(wb.create_sheet(title), HEADERS, rows, sev, reply=True)
    return save_workbook(wb, path)
