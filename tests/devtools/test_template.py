"""The blank return template: sheets, headers, data validation, determinism."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from helpers import excel
from tqa.core import vocabulary as vocab
from tqa.devtools.sample.model import exam_spec
from tqa.devtools.sample.writer import write_csv
from tqa.devtools.template import main as template_main
from tqa.devtools.template import score_formula, write_template
from tqa.io.office import read_exam_spec
from tqa.schema import office, sheets

TERM = "2023-2"


@pytest.fixture(scope="module")
def raw_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("raw")
    write_csv(exam_spec(), office.EXAM_SPEC.columns, root / TERM / office.OFFICE_DIR / office.EXAM_SPEC.file)
    return root


@pytest.fixture(scope="module")
def template(raw_root, tmp_path_factory) -> Path:
    return write_template(TERM, tmp_path_factory.mktemp("out") / "template.xlsx", raw_root)


def _validations(ws) -> dict[str, object]:
    return {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}


def test_byte_identical(template, raw_root, tmp_path):
    again = write_template(TERM, tmp_path / "t.xlsx", raw_root)
    assert again.read_bytes() == template.read_bytes()


def test_sheets_and_headers(template):
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == ["填表说明", *sheets.REQUIRED_SHEETS]
    header = [c.value for c in wb[sheets.SCORES.name][1]]
    assert header == [
        *sheets.SCORES.columns.values(),
        "语文",
        "数学",
        "英语",
        "科学",
        "道德与法治",
        "历史",
        "地理",
        "生物",
        "物理",
        "化学",
    ]
    assert [c.value for c in wb[sheets.FITNESS.name][1]] == list(sheets.FITNESS.columns.values())
    assert [c.value for c in wb[sheets.SURVEY.name][1]] == list(sheets.SURVEY.columns.values())
    assert [c.value for c in wb[sheets.ROUTINE.name][1]] == list(sheets.ROUTINE.columns.values())
    info = wb[sheets.INFO.name]
    assert [info.cell(row=i, column=1).value for i in range(1, 6)] == list(sheets.INFO_LABELS.values())
    assert info["B3"].value == "2023-2024学年第二学期"
    assert [c.value for c in info[7]] == list(sheets.INFO.columns.values())
    help_text = "\n".join(str(c.value) for row in wb["填表说明"].iter_rows() for c in row if c.value)
    for word in ("缺考", "免考", "待合格", "七年级：语文（满分120）", "学年总分"):
        assert word in help_text


def test_drop_downs(template):
    wb = openpyxl.load_workbook(template)
    dv = _validations(wb[sheets.SCORES.name])
    assert dv["C2:C5000"].type == "list"
    assert dv["C2:C5000"].formula1 == '"一年级,二年级,三年级,四年级,五年级,六年级,七年级,八年级,九年级"'
    assert (dv["D2:D5000"].type, dv["D2:D5000"].operator, dv["D2:D5000"].formula1) == (
        "whole",
        "greaterThanOrEqual",
        "1",
    )
    assert dv["E2:E5000"].formula1 == '"男,女"'
    assert dv["C2:C5000"].error and dv["C2:C5000"].showErrorMessage
    role = _validations(wb[sheets.ROUTINE.name])["B2:B5000"]
    assert role.type == "list" and role.formula1 == '"校长,业务副校长,中层,教研组长,教师"'
    assert _validations(wb[sheets.INFO.name])["A8:A16"].type == "list"


def test_score_and_range_validations(template):
    wb = openpyxl.load_workbook(template)
    dv = _validations(wb[sheets.SCORES.name])
    # 数学: levels in grades 1-2, 100 in grades 3-6, 120 in grades 7-9 (written out by hand)
    assert dv["G2:G5000"].type == "custom"
    assert dv["G2:G5000"].formula1 == (
        'OR(G2="缺考",G2="免考",G2="优秀",G2="良好",G2="合格",G2="待合格",'
        'AND(ISNUMBER(G2),G2>=0,G2<=IF(OR($C2="三年级",$C2="四年级",$C2="五年级",$C2="六年级"),100,120)))'
    )
    assert dv["O2:O5000"].formula1 == 'OR(O2="缺考",O2="免考",AND(ISNUMBER(O2),O2>=0,O2<=100))'  # 化学
    assert all(len(v.formula1) <= 255 for v in dv.values())  # Excel's limit for a validation formula
    sv = _validations(wb[sheets.SURVEY.name])
    assert (sv["C2:C5000"].type, sv["C2:C5000"].formula1, sv["C2:C5000"].formula2) == ("whole", "0", "600")
    assert (sv["D2:D5000"].type, sv["D2:D5000"].formula1, sv["D2:D5000"].formula2) == ("decimal", "0", "16")
    fit = _validations(wb[sheets.FITNESS.name])["D2:D5000"]
    assert (fit.formula1, fit.formula2) == ("0", "120")


def test_formula_follows_the_exam_spec():
    spec = pd.DataFrame(
        {"grade": [3, 8], "subject": ["物理", "物理"], "full_marks": [80, 100], "mode": [vocab.EXAM_MODE_SCORE] * 2}
    )
    assert score_formula("K2", "$C2", "物理", spec) == (
        'OR(K2="缺考",K2="免考",AND(ISNUMBER(K2),K2>=0,K2<=IF(OR($C2="三年级"),80,100)))'
    )


def test_read_exam_spec_and_missing_file(raw_root, tmp_path, capsys):
    spec = read_exam_spec(raw_root / TERM / office.OFFICE_DIR / office.EXAM_SPEC.file)
    # the spec's columns, the full marks also as written (the checks quote a blank or text one), the CSV row
    assert list(spec.columns) == ["grade", "subject", "full_marks", "full_marks_text", "mode", "csv_row"]
    assert set(spec.columns) == {*office.EXAM_SPEC.columns, "full_marks_text", "csv_row"}
    assert spec.query("grade == 7 and subject == '英语'")["full_marks"].item() == 120
    assert template_main(["--term", TERM, "--raw-root", str(tmp_path), "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "找不到考试安排表" in capsys.readouterr().err
    assert template_main(["--term", "2023-3", "--raw-root", str(raw_root)]) == 2


@pytest.fixture(scope="module")
def template_with_items(tmp_path_factory) -> Path:
    from tqa.devtools.sample.items import item_spec

    root = tmp_path_factory.mktemp("raw_items")
    office_dir = root / TERM / office.OFFICE_DIR
    write_csv(exam_spec(), office.EXAM_SPEC.columns, office_dir / office.EXAM_SPEC.file)
    write_csv(item_spec(), office.ITEM_SPEC.columns, office_dir / office.ITEM_SPEC.file)
    return write_template(TERM, tmp_path_factory.mktemp("out_items") / "template.xlsx", root)


def test_no_item_sheet_without_an_item_spec(template):
    assert sheets.ITEMS.name not in openpyxl.load_workbook(template).sheetnames


def _accepts(dv, col: str, grade: str | None, subject: str | None, value) -> bool:
    """Whether Excel takes ``value`` in row 2 of column ``col`` of the 小题得分 sheet (年级 B, 学科 C)."""
    return bool(excel.evaluate(dv.formula1, {"B2": grade, "C2": subject, f"{col}2": value}))


def test_item_sheet_follows_the_item_spec(template_with_items):
    from openpyxl.utils import get_column_letter

    from tqa.devtools.sample.items import item_spec

    spec = item_spec()
    wb = openpyxl.load_workbook(template_with_items)
    assert wb.sheetnames[-1] == sheets.ITEMS.name
    ws = wb[sheets.ITEMS.name]
    header = [c.value for c in ws[1]]
    assert header[:3] == list(sheets.ITEMS.columns.values())
    assert header[3:] == list(dict.fromkeys(spec["item"].astype(str)))  # union of both papers' items
    dv = _validations(ws)
    assert dv["B2:B5000"].formula1 == '"六年级,九年级"'
    assert dv["C2:C5000"].formula1 == '"数学"'
    # item 1: 3 marks in both papers
    assert dv["D2:D5000"].formula1 == (
        'OR(D2="缺考",AND(ISNUMBER(D2),D2>=0,D2<=IF(OR($B2&$C2="六年级数学",$B2&$C2="九年级数学"),3,-1)))'
    )
    # every cell takes up to its item's full marks in the paper of its row, and nothing in a paper without it
    for j, label in enumerate(header[3:], start=4):
        col = get_column_letter(j)
        v = dv[f"{col}2:{col}5000"]
        assert len(v.formula1) <= 255 and len(v.prompt) <= 255 and len(v.error) <= 225, label
        for grade in (6, 9):
            row = spec[(spec["grade"] == grade) & (spec["item"].astype(str) == label)]
            g = vocab.GRADE_LABELS[grade]
            if len(row):
                full = float(row["full_marks"].item())
                assert _accepts(v, col, g, "数学", full) and _accepts(v, col, g, "数学", 0), (label, g)
                assert not _accepts(v, col, g, "数学", full + 0.5), (label, g)
            else:
                assert not _accepts(v, col, g, "数学", 1), (label, g)
            assert _accepts(v, col, g, "数学", "缺考")
            assert not _accepts(v, col, g, "数学", "八"), (label, g)
    help_text = "\n".join(str(c.value) for row in wb["填表说明"].iter_rows() for c in row if c.value)
    assert "小题得分" in help_text and "六年级数学" in help_text and "九年级数学" in help_text


def _item_template(tmp_path, items: pd.DataFrame) -> openpyxl.Workbook:
    from tqa.devtools.template import add_item_sheet, build_template
    from tqa.io.xlsx import save_workbook

    wb = build_template(TERM, exam_spec())
    add_item_sheet(wb, items)
    return openpyxl.load_workbook(save_workbook(wb, tmp_path / "template.xlsx"))


def test_item_cells_are_validated_against_their_own_papers_full_marks(tmp_path):
    """第 3 题 is worth 5 in 六年级数学 and 2 in 九年级数学: a 九年级 row must not take 3 (it did when every
    column took the largest full marks of its label in any paper)."""
    items = pd.DataFrame(
        {
            "grade": [6, 6, 6, 9, 9],
            "subject": ["数学"] * 5,
            "item": ["1", "3", "4", "1", "3"],
            "full_marks": [3.0, 5.0, 6.0, 3.0, 2.0],
            "type": ["客观", "主观", "主观", "客观", "客观"],
        }
    )
    ws = _item_template(tmp_path, items)[sheets.ITEMS.name]
    header = [c.value for c in ws[1]]
    assert header[3:] == ["1", "3", "4"]
    dv = _validations(ws)["E2:E5000"]  # 第 3 题
    assert not _accepts(dv, "E", "九年级", "数学", 3)  # above 九年级's 2, below 六年级's 5
    assert not _accepts(dv, "E", "九年级", "数学", 2.5)
    assert _accepts(dv, "E", "九年级", "数学", 2) and _accepts(dv, "E", "九年级", "数学", 0)
    assert _accepts(dv, "E", "六年级", "数学", 5) and not _accepts(dv, "E", "六年级", "数学", 5.5)
    assert _accepts(dv, "E", "九年级", "数学", "缺考")
    assert not _accepts(dv, "E", None, None, 1)  # choose the paper first
    assert "九年级数学 2 分" in dv.error and "六年级数学 5 分" in dv.error
    only_six = _validations(ws)["F2:F5000"]  # 第 4 题: 六年级 only
    assert _accepts(only_six, "F", "六年级", "数学", 6) and not _accepts(only_six, "F", "九年级", "数学", 1)


def test_item_formula_stays_within_excels_limit(tmp_path):
    from tqa.devtools.template import item_formula

    # 14 papers share 第 1 题: 9 of them worth 2, 5 worth 4; the strict formula is too long, so the largest
    # group becomes the default branch and every paper still gets its own maximum
    papers = [(g, s) for g in range(3, 10) for s in ("数学", "语文")]
    fulls = {p: (4.0 if i % 3 == 0 else 2.0) for i, p in enumerate(papers)}
    formula = item_formula("D2", "$B2", "$C2", fulls)
    assert len(formula) <= 255
    for (g, s), full in fulls.items():
        cells = {"B2": vocab.GRADE_LABELS[g], "C2": s}
        assert excel.evaluate(formula, {**cells, "D2": full}) and not excel.evaluate(formula, {**cells, "D2": full + 1})
    too_many = {(g, f"科目{k}"): float(k) for g in range(1, 10) for k in range(1, 6)}
    with pytest.raises(ValueError, match="255"):
        item_formula("D2", "$B2", "$C2", too_many)


def test_a_filled_item_sheet_cleans(tmp_path, raw_root):
    """What the template asks for is what cleaning reads: one row per student and paper, the item columns."""
    from tqa.clean.reader import read_workbook
    from tqa.clean.sheets import Ctx, ExamSpec, clean_sheet
    from tqa.devtools.sample.items import item_spec

    wb = _item_template(tmp_path, item_spec())
    ws = wb[sheets.ITEMS.name]
    header = [c.value for c in ws[1]]
    for row, (grade, scores) in enumerate((("六年级", {"1": 3, "9": 4}), ("九年级", {"1": 2, "9": "缺考"})), start=2):
        ws.cell(row=row, column=1, value=f"G{row:018d}")
        ws.cell(row=row, column=2, value=grade)
        ws.cell(row=row, column=3, value="数学")
        for label, score in scores.items():
            ws.cell(row=row, column=header.index(label) + 1, value=score)
    wb.save(tmp_path / "filled.xlsx")
    grid = read_workbook(tmp_path / "filled.xlsx", "calamine")[sheets.ITEMS.name]
    ctx = Ctx("001", "某校", "filled.xlsx")
    spec = read_exam_spec(raw_root / TERM / office.OFFICE_DIR / office.EXAM_SPEC.file)
    out = clean_sheet(grid, ctx, ExamSpec.from_frame(spec))
    assert [r[-4:] for r in out.items] == [(6, "数学", "1", 3.0), (6, "数学", "9", 4.0), (9, "数学", "1", 2.0)]
    assert [i for i in ctx.issues if i.severity != "fixed"] == []


def test_one_word_for_the_student_id_everywhere_in_the_template(template_with_items):
    """学业成绩 and 小题得分 said 全国学籍号, 体质健康 and 作业与睡眠 学籍号: one term now, the one the returns'
    header aliases take as canonical (学籍号 is still read, as an alias)."""
    import re

    wb = openpyxl.load_workbook(template_with_items)
    with_ids = [s for s in sheets.SHEETS if "student_id" in s.by_name]
    assert [wb[s.name]["A1"].value for s in with_ids] == ["全国学籍号"] * len(with_ids)
    texts = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value]
    texts += [
        t for ws in wb.worksheets for dv in ws.data_validations.dataValidation for t in (dv.prompt, dv.error) if t
    ]
    assert [t for t in texts if re.search("(?<!全国)学籍号", t)] == []
    assert "学籍号" in sheets.SCORES.field("student_id").aliases  # older templates' returns still read


def test_every_ranged_field_has_its_spec_range_in_the_template(template):
    """The template's validations come from the same sheet specs as the checks (one range, one place)."""
    from openpyxl.utils import get_column_letter

    wb = openpyxl.load_workbook(template)
    seen = 0
    for sheet in sheets.SHEETS:
        if not sheet.ranged or sheet.name not in wb.sheetnames:
            continue
        ws = wb[sheet.name]
        dv = _validations(ws)
        header_row = next(r for r in range(1, 10) if any(c.value == sheet.ranged[0].header for c in ws[r]))
        columns = {c.value: get_column_letter(c.column) for c in ws[header_row]}
        for f in sheet.ranged:
            col = columns[f.header]
            [v] = [v for ref, v in dv.items() if ref.startswith(f"{col}{header_row + 1}:")]
            assert v.type == ("whole" if f.whole else "decimal"), f.name
            assert (float(v.formula1), float(v.formula2)) == f.range, f.name
            seen += 1
    assert seen == sum(len(s.ranged) for s in sheets.SHEETS)  # the 学校信息 grade table too
