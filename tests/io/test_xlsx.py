"""Workbooks this project writes: text from a return is text, never a live formula (OWASP formula injection)."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from tqa.checks.workbook import write_quality_workbook
from tqa.core.issues import Issue, issues_frame
from tqa.io.xlsx import EXCEL_MAX_TEXT, FORMULA_TRIGGERS, header_footer_text, put, save_workbook, sheet_title

HOSTILE = [
    '=HYPERLINK("http://evil.example/","点此核对")',
    "=cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "-5",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


def formula_cells(path) -> list[tuple[str, str, object]]:
    """(sheet, cell, value) of every formula cell in a workbook."""
    wb = openpyxl.load_workbook(path)  # not data_only: formulas come back as data_type 'f'
    return [
        (ws.title, c.coordinate, c.value)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f"
    ]


@pytest.mark.parametrize("text", HOSTILE)
def test_put_writes_formula_like_text_as_text_and_reads_back_unchanged(tmp_path, text):
    wb = openpyxl.Workbook()
    put(wb.active["A1"], text)
    put(wb.active["B1"], "普通文字")
    put(wb.active["C1"], 85.5)
    save_workbook(wb, tmp_path / "a.xlsx")
    back = openpyxl.load_workbook(tmp_path / "a.xlsx").active
    # no visible mangling (no added '); XML reads a carriage return back as a line feed
    assert back["A1"].data_type == "s" and back["A1"].value == text.replace("\r", "\n")
    assert back["A1"].quotePrefix  # stays text when a person edits the cell in Excel
    assert not back["B1"].quotePrefix and back["B1"].value == "普通文字"
    assert back["C1"].data_type == "n" and back["C1"].value == 85.5
    assert formula_cells(tmp_path / "a.xlsx") == []


def test_every_trigger_is_covered_by_the_cases():
    assert {t for t in FORMULA_TRIGGERS if t != "\n"} <= {h[0] for h in HOSTILE}


def test_control_characters_and_huge_text_do_not_break_the_workbook(tmp_path):
    wb = openpyxl.Workbook()
    put(wb.active["A1"], "学校\x07名称\x00")
    put(wb.active["A2"], "长" * (EXCEL_MAX_TEXT + 5000))
    save_workbook(wb, tmp_path / "a.xlsx")
    back = openpyxl.load_workbook(tmp_path / "a.xlsx").active
    assert back["A1"].value == "学校\ufffd名称\ufffd"
    assert len(back["A2"].value) == EXCEL_MAX_TEXT and back["A2"].value.endswith("（已截断）")


def test_quality_workbook_writes_hostile_values_names_and_headers_as_text(tmp_path):
    name = HOSTILE[0]
    issues = issues_frame(
        [
            Issue(
                "clean",
                "warning",
                "unknown_column",
                "009",
                "学业成绩",
                1,
                text,
                text,
                f"无法识别的列“{text}”",
                "已忽略",
                school_name=name,
            )
            for text in HOSTILE
        ]
    )
    returns = pd.DataFrame(
        {
            "school_code": ["009"],
            "school_name": [name],
            "submitted": [True],
            "usable": [True],
            "status": ["有待核对（记录已保留）"],
        }
    )
    path = write_quality_workbook(issues, returns, tmp_path / "data-quality.xlsx")
    assert formula_cells(path) == []
    wb = openpyxl.load_workbook(path)
    values = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row}
    assert {t.replace("\r", "\n") for t in HOSTILE} <= values and name in values
    sheet = next(ws for ws in wb.worksheets if ws.title.startswith("009"))
    assert sheet.title == "009 " + name.replace(":", "").replace("/", "")[:27]


def test_template_prefilled_text_is_never_a_formula(tmp_path):
    from tqa.devtools.template import write_template

    office = tmp_path / "2023-2" / "office"
    office.mkdir(parents=True)
    (office / "exam_spec.csv").write_text(
        "年级,学科,满分,评价方式\n3,语文,100,分数\n3,=1+1,100,分数\n", encoding="utf-8-sig"
    )
    path = write_template("2023-2", tmp_path / "template.xlsx", raw_root=tmp_path)
    assert formula_cells(path) == []
    header = [c.value for c in openpyxl.load_workbook(path)["学业成绩"][1]]
    assert "=1+1" in header


@pytest.mark.parametrize(
    ("text", "taken", "expected"),
    [
        ("七年级3班", set(), "七年级3班"),
        ("a[b]:c*d?e/f\\g\x07", set(), "abcdefg"),  # what Excel refuses in a sheet name is dropped
        ("'引号'", set(), "引号"),  # no apostrophe at either end
        ("长" * 40, set(), "长" * 31),
        ("说明", {"说明"}, "说明 (2)"),
        ("Sheet", {"sheet", "Sheet (2)"}, "Sheet (3)"),  # Excel compares names ignoring case
        ("长" * 40, {"长" * 31}, "长" * 27 + " (2)"),
        ("[]:*", set(), "Sheet"),
    ],
)
def test_sheet_title_is_a_name_excel_accepts(tmp_path, text, taken, expected):
    title = sheet_title(text, taken)
    assert title == expected
    wb = openpyxl.Workbook()
    wb.active.title = title  # openpyxl refuses what Excel refuses
    save_workbook(wb, tmp_path / "a.xlsx")
    assert openpyxl.load_workbook(tmp_path / "a.xlsx").sheetnames == [title]


def test_header_footer_text_doubles_ampersands_and_keeps_within_the_limit():
    assert header_footer_text("A&B 中学") == "A&&B 中学"  # "&B" would switch to bold
    assert header_footer_text("行\r\n一\x00") == "行一"
    cut = header_footer_text("&" * 10, limit=5)
    assert cut == "&&&&"  # never half of an "&&"
