"""Hostile and careless sheets (issue 11): tab names in traditional characters or unknown, hidden sheets and rows,
formula cells saved without their values, cells with a very long text. Every case builds its workbook here,
cleans a two-school term, and checks the exact messages, that school 002 is untouched and that the row
accounting balances (rows of sheets the program does not read included)."""

from __future__ import annotations

import math
import zipfile

import openpyxl
import pandas as pd
import pytest

from helpers import cleanfixtures as fx
from helpers import shipped_params
from tqa.checks.workbook import write_quality_workbook
from tqa.clean import clean_term
from tqa.clean.returns import sheet_key
from tqa.clean.xmlscan import scan_workbook
from tqa.core.issues import Issue
from tqa.io.catalog import Catalog
from tqa.schema import sheets

W = "【警告】学校 001 清河区实验学校，"
F = "【已自动修正】学校 001 清河区实验学校，"
READ = "学校信息、学业成绩、体质健康、作业与睡眠、教学常规、小题得分"
LIMIT = shipped_params().cleaning.max_text_length
STUDENTS = (
    (fx.SID_A, "甲", "七年级", 1, "男", 90, 91, 92, 93),
    (fx.SID_B, "乙", "七年级", 1, "女", 80, 81, 82, 83),
    (fx.SID_C, "丙", "七年级", 2, "男", 70, 71, 72, 73),
)


def _texts(issues: pd.DataFrame, code: str = "001") -> list[str]:
    out = []
    for rec in issues[issues["school_code"] == code].to_dict("records"):
        rec = {k: (None if isinstance(v, float) and math.isnan(v) or v is pd.NA else v) for k, v in rec.items()}
        rec["excel_row"] = None if rec["excel_row"] is None else int(rec["excel_row"])
        out.append(Issue(**rec).text())
    return out


def _term(tmp_path, first: dict, edit=None, after=None) -> dict[str, pd.DataFrame]:
    """001: `first` (sheet -> rows), then `edit(workbook)` applied through openpyxl and `after(path)` to the
    saved file; 002: a clean return."""
    term_dir = tmp_path / "data" / "raw" / fx.TERM
    fx.write_office(term_dir, registry=fx.REGISTRY[:2])
    path = fx.write_workbook(term_dir / "001.xlsx", first)
    if edit is not None:
        wb = openpyxl.load_workbook(path)
        edit(wb)
        wb.save(path)
    if after is not None:
        after(path)
    fx.write_workbook(term_dir / "002.xlsx", fx.simple_return("002", "清河区第一小学"))
    return clean_term(Catalog(fx.TERM, tmp_path))


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """The same two schools without any defect: what 001's rows must still be, and 002's always."""
    return _term(tmp_path_factory.mktemp("plain"), fx.simple_return("001", "清河区实验学校", STUDENTS))


def _balanced(tables) -> None:
    acc = tables["accounting"]
    assert (acc["nonempty_rows"] == acc["clean_rows"] + acc["rejected_rows"]).all()
    rejected = tables["rejected"].groupby(["school_code", "sheet"]).size()
    assert acc.set_index(["school_code", "sheet"])["rejected_rows"][lambda s: s > 0].equals(rejected.astype("int64"))


def _same_rows(tables, plain, code: str, names=("students", "scores", "fitness", "survey", "routine", "enrolment")):
    for name in names:
        got = tables[name][tables[name]["school_code"] == code].reset_index(drop=True)
        want = plain[name][plain[name]["school_code"] == code].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want, obj=f"{code} {name}")


def _untouched_002(tables, plain) -> None:
    _same_rows(tables, plain, "002")
    assert _texts(tables["issues"], "002") == _texts(plain["issues"], "002")


# ---- item 12: tab names ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "written, canonical",
    [
        ("學業成績", "学业成绩"),
        ("學校資訊", "学校信息"),
        ("學校信息", "学校信息"),
        ("體質健康", "体质健康"),
        ("作業與睡眠", "作业与睡眠"),
        ("教學常規", "教学常规"),
        ("小題得分", "小题得分"),
        ("学业成绩表", "学业成绩"),
        ("学业成绩（1）", "学业成绩"),
        ("学业成绩 (2)", "学业成绩"),
        ("ｌ学业成绩", None),
        ("Sheet1", None),
        ("成绩", None),
    ],
)
def test_sheet_key_variants(written, canonical):
    keys = {sheet_key(s): s for s in (*sheets.REQUIRED_SHEETS, sheets.ITEMS.name)}
    assert keys.get(sheet_key(written)) == canonical


def test_traditional_tab_names_are_read_with_a_fixed_note(tmp_path, plain):
    ret = fx.simple_return("001", "清河区实验学校", STUDENTS)
    tabs = {"学校信息": "學校資訊", "学业成绩": "學業成績", "体质健康": "體質健康表", "作业与睡眠": "作業與睡眠"}
    ret = {tabs.get(k, k): v for k, v in ret.items()}
    ret["教學常規（1）"] = ret.pop("教学常规")
    tables = _term(tmp_path, ret)
    got = _texts(tables["issues"])
    assert got == [
        f"{F}工作表「体质健康」：工作表名“體質健康表”已按“体质健康”识别（已自动修正）",
        f"{F}工作表「作业与睡眠」：工作表名“作業與睡眠”已按“作业与睡眠”识别（已自动修正）",
        f"{F}工作表「学业成绩」：工作表名“學業成績”已按“学业成绩”识别（已自动修正）",
        f"{F}工作表「学校信息」：工作表名“學校資訊”已按“学校信息”识别（已自动修正）",
        f"{F}工作表「教学常规」：工作表名“教學常規（1）”已按“教学常规”识别（已自动修正）",
    ]
    _same_rows(tables, plain, "001")
    _untouched_002(tables, plain)
    _balanced(tables)


def test_unknown_and_repeated_sheets_are_named_and_their_rows_accounted(tmp_path, plain):
    ret = fx.simple_return("001", "清河区实验学校", STUDENTS)
    ret["Sheet3"] = [["备注", "说明"], *[[f"第{i}条", i] for i in range(1, 11)], [], ["合计", 10]]  # 12 rows
    ret["Sheet2"] = []  # blank: nothing to say
    ret[sheets.HELP_SHEET] = [["学校质量数据报表填表说明"], [], ["学业成绩", "每名学生一行"]]  # not data
    ret["學業成績"] = [list(ret["学业成绩"][0]), ["G999", "丁", "七年级", 3, "女", 60, 61, 62, 63]]  # a second copy
    tables = _term(tmp_path, ret, lambda wb: setattr(wb["Sheet3"], "sheet_state", "hidden"))
    got = _texts(tables["issues"])
    assert got == [
        f"{W}工作表「Sheet3」：未识别的工作表“Sheet3”（隐藏，12 行）：本程序只读取 {READ} 这几张工作表；"
        "如其中有要报送的数据，请移到相应的工作表中，再重新提交（该表未读取）",
        f"{W}工作表「學業成績」：工作表“學業成績”（2 行）与工作表“学业成绩”都按“学业成绩”识别，只读取“学业成绩”；"
        "如两张表都有要报送的数据，请合并到“学业成绩”中，再重新提交（该表未读取）",
    ]
    acc = tables["accounting"].query("school_code == '001'").set_index("sheet")
    assert acc.loc["Sheet3"].tolist() == ["001", 12, 0, 12]
    assert acc.loc["學業成績"].tolist() == ["001", 2, 0, 2]
    assert "Sheet2" not in acc.index and sheets.HELP_SHEET not in acc.index
    rej = tables["rejected"].query("sheet == 'Sheet3'")
    assert rej["excel_row"].tolist() == [*range(1, 12), 13]
    assert set(rej["reason"]) == {f"未识别的工作表“Sheet3”：本程序只读取 {READ} 这几张工作表"}
    assert rej["raw_values"].iloc[0] == "A=备注 | B=说明"
    assert (
        tables["rejected"].query("sheet == '學業成績'")["reason"].tolist()
        == ["与工作表“学业成绩”重复（都按“学业成绩”识别），未读取"] * 2
    )
    # raw non-empty rows of the unread sheets, counted from the file itself, all accounted
    wb = openpyxl.load_workbook(tmp_path / "data" / "raw" / fx.TERM / "001.xlsx")
    for tab in ("Sheet3", "學業成績"):
        nonempty = sum(any(v is not None for v in row) for row in wb[tab].iter_rows(values_only=True))
        assert acc.loc[tab, "nonempty_rows"] == nonempty
    _same_rows(tables, plain, "001")
    _untouched_002(tables, plain)
    _balanced(tables)


# ---- item 13: formulas saved without their values ------------------------------------------------
def test_uncalculated_formulas_are_said_once_per_sheet(tmp_path, plain):
    students = [list(s) for s in STUDENTS]
    students[2][8] = None  # 道德与法治 left blank in row 4: still said cell by cell

    def formulas(wb):
        ws = wb["学业成绩"]
        for r in (2, 3, 4):  # 语文 (F) as a formula, as a script writes it: no cached value
            ws.cell(r, 6).value = f"=SUM(G{r}:I{r})"
        ws.cell(3, 7).value = "=F3+1"
        wb["体质健康"].cell(2, 4).value = "=AVERAGE(E2:G2)"  # 学年总分, required: the row is rejected

    ret = fx.simple_return("001", "清河区实验学校", students)
    tables = _term(tmp_path, ret, formulas)
    assert [t for t in _texts(tables["issues"]) if "体质健康" in t] == [
        f"{W}工作表「体质健康」，第 2 行，D=“=AVERAGE(E2:G2)”：1 个单元格是公式（D2：=AVERAGE(E2:G2)），"
        "但文件中没有计算结果，已按空白读取：请用 Excel 打开后保存，再重新提交（该值不纳入统计）",
        f"{W}工作表「体质健康」，第 2 行，学年总分=“”：学年总分是公式，但文件中没有计算结果，没有可用的体测成绩（已剔除该行）",
    ]
    got = [t for t in _texts(tables["issues"]) if "学业成绩" in t]
    assert got == [
        f"{W}工作表「学业成绩」，第 2 行，F=“=SUM(G2:I2)”：4 个单元格是公式（F2：=SUM(G2:I2)），"
        "但文件中没有计算结果（F2、F3、G3、F4），已按空白读取：请用 Excel 打开后保存，再重新提交（该值不纳入统计）",
        f"{W}工作表「学业成绩」，第 4 行，道德与法治=“”：道德与法治：成绩为空，应填写分数、等级或缺考/免考（该值不纳入统计）",
    ]
    sc = tables["scores"].query("school_code == '001'")
    invalid = sorted(map(tuple, sc[sc["status"] == "invalid"][["excel_row", "subject"]].values.tolist()))
    assert invalid == [(2, "语文"), (3, "数学"), (3, "语文"), (4, "语文"), (4, "道德与法治")]
    assert len(sc) == len(plain["scores"].query("school_code == '001'"))  # one record per cell, as before
    assert tables["rejected"].query("school_code == '001'")[["sheet", "excel_row"]].values.tolist() == [["体质健康", 2]]
    _untouched_002(tables, plain)
    _balanced(tables)


def _rewrite_sheet(path, edit, name="xl/worksheets/sheet1.xml") -> None:
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    for part in [n for n in parts if n.startswith("xl/worksheets/")] if name is None else [name]:
        parts[part] = edit(parts[part])
    with zipfile.ZipFile(path, "w") as z:
        for n, d in parts.items():
            z.writestr(n, d)


def test_scan_tells_cached_values_shared_formulas_and_empty_texts_apart(tmp_path):
    path = fx.write_workbook(tmp_path / "f.xlsx", {"学业成绩": [["a", 1, 2]]})
    sheet = (
        b'<sheetData><row r="1"><c r="A1"><f>1+1</f><v>2</v></c>'  # calculated
        b'<c r="B1"><f t="shared" ref="B1:B3" si="0">A1*2</f></c></row>'  # shared, never calculated
        b'<row r="2" hidden="1"><c r="B2"><f t="shared" si="0"/></c>'  # its copy, written without text
        b'<c r="C2" t="str"><f>IF(A2="","",A2)</f><v></v></c></row>'  # a calculated empty text
        b'<row r="3"><c r="D3"><f>A3</f><v /></c></row></sheetData>'  # an empty value: not calculated
    )
    _rewrite_sheet(path, lambda xml: xml[: xml.index(b"<sheetData")] + sheet + xml[xml.index(b"</sheetData>") + 12 :])
    facts = scan_workbook(path)["学业成绩"]
    assert facts.uncalculated == {(0, 1): "A1*2", (1, 1): "A1*2", (2, 3): "A3"}
    assert facts.hidden_rows == [2] and facts.state == "visible"


def test_scan_refuses_entity_definitions(tmp_path):
    from defusedxml import EntitiesForbidden

    path = fx.entity_workbook(tmp_path / "bomb.xlsx")
    _rewrite_sheet(path, lambda xml: xml.replace(b"</sheetData>", b'<row r="9" hidden="1"/></sheetData>'))
    with pytest.raises(EntitiesForbidden):
        scan_workbook(path)


# ---- item 14: hidden rows and sheets -------------------------------------------------------------
def test_hidden_rows_and_sheets_are_read_with_a_note(tmp_path, plain):
    students = [
        *STUDENTS,
        *[(f"G379901201009010{i:02d}1", f"生{i}", "七年级", 3, "女", 60, 61, 62, 63) for i in range(10)],
    ]
    ret = fx.simple_return("001", "清河区实验学校", students)
    ret["学业成绩"].insert(3, [])  # Excel row 4 blank (and hidden: nothing to say about it)

    def hide(wb):
        for r in (3, 4, 5, *range(6, 15)):
            wb["学业成绩"].row_dimensions[r].hidden = True
        wb["体质健康"].sheet_state = "hidden"
        wb["作业与睡眠"].sheet_state = "veryHidden"

    tables = _term(tmp_path, ret, hide)
    got = [t for t in _texts(tables["issues"]) if "隐藏" in t]
    assert got == [
        f"{W}工作表「体质健康」：工作表“体质健康”被隐藏，其中的数据仍按正常数据读取，请确认是否应当报送（已保留，请核对）",
        f"{W}工作表「作业与睡眠」：工作表“作业与睡眠”被隐藏，其中的数据仍按正常数据读取，请确认是否应当报送（已保留，请核对）",
        f"{W}工作表「学业成绩」，第 3 行：工作表“学业成绩”中有 11 行被隐藏（第 3、5、6、7、8、9、10、11、12、13 行等），"
        "这些行仍按正常数据读取，请确认是否应当删除（已保留，请核对）",
    ]
    assert len(tables["students"].query("school_code == '001'")) == len(students)  # all kept
    _untouched_002(tables, plain)
    _balanced(tables)


# ---- item 15: very long texts --------------------------------------------------------------------
def test_long_texts_are_cut_with_a_warning_and_never_quoted_in_full(tmp_path, plain):
    # openpyxl (and Excel) stop a text at 32,767 characters; a script writing the XML does not
    long_id = "G" + "9" * 99_999
    swaps = {"LONGNAME": "长" * 100_000, "LONGSCORE": "分" * 100_000, "LONGID": long_id, "LONGSCHOOL": "清" * 100_000}
    students = [list(s) for s in STUDENTS]
    students[0][1] = "LONGNAME"  # 姓名, row 2
    students[1][6] = "LONGSCORE"  # 数学, row 3: an unreadable score
    students.append(["LONGID", "戊", "高一", 1, "男", 1, 2, 3, 4])  # row 5: rejected (grade), its 学籍号 quoted
    ret = fx.simple_return("001", "清河区实验学校", students)
    ret["学校信息"][1][1] = "LONGSCHOOL"  # 学校名称
    ret["教学常规"].append(["王" * 300, "主任" * 200, 1, 1, 1])

    def swap(xml: bytes) -> bytes:
        for marker, text in swaps.items():
            xml = xml.replace(f">{marker}<".encode(), f">{text}<".encode())
        return xml

    tables = _term(tmp_path, ret, lambda wb: None, lambda path: _rewrite_sheet(path, swap, None))
    iss = tables["issues"].query("school_code == '001'")
    long = iss[iss["rule"] == "long_text"]
    assert long[["sheet", "excel_row", "column", "message"]].values.tolist() == [
        ["体质健康", 5, "全国学籍号", "单元格文字过长（100000 字），只保留前 200 字"],
        ["作业与睡眠", 5, "全国学籍号", "单元格文字过长（100000 字），只保留前 200 字"],
        ["学业成绩", 2, "姓名", "单元格文字过长（100000 字），只保留前 200 字"],
        ["学业成绩", 3, "数学", "单元格文字过长（100000 字），只保留前 200 字"],
        ["学业成绩", 5, "全国学籍号", "单元格文字过长（100000 字），只保留前 200 字"],
        ["学校信息", 2, "学校名称", "单元格文字过长（100000 字），只保留前 200 字"],
        ["教学常规", 3, "姓名", "单元格文字过长（300 字），只保留前 200 字"],
        ["教学常规", 3, "职务", "单元格文字过长（400 字），只保留前 200 字"],
    ]
    assert LIMIT == 200 and set(long["value"]) >= {"长" * 200 + "…", "分" * 200 + "…"}
    students_001 = tables["students"].query("school_code == '001'")
    assert students_001["name"].tolist()[0] == "长" * 200
    assert tables["routine"].query("school_code == '001'")[["staff_name", "role"]].values.tolist()[-1] == [
        "王" * 200,
        "主任" * 100,
    ]
    score = tables["scores"].query("school_code == '001' and excel_row == 3 and subject == '数学'")
    assert score["raw_value"].tolist() == ["分" * 200]
    assert f"数学成绩“{'分' * 200}…”：无法识别的成绩" in set(iss["message"])
    ret_row = tables["returns"].query("school_code == '001'")
    assert ret_row["name_in_return"].tolist() == ["清" * 200]
    mismatch = iss[iss["rule"] == "name_mismatch"]["message"].tolist()
    assert mismatch == [f"学校名称填写为“{'清' * 200}…”，与名册登记名称“清河区实验学校”不一致"]
    rej = tables["rejected"].query("school_code == '001'")
    assert rej["raw_values"].tolist() == [
        f"全国学籍号={long_id[:200]}… | 姓名=戊 | 年级=高一 | 班级=1 | 性别=男 | 语文=1 | 数学=2 | 英语=3 | 道德与法治=4"
    ]
    # nothing quoted in full anywhere, the data-quality workbook included
    for name, df in tables.items():
        texts = df.select_dtypes(include=["object", "string"]).stack()
        assert all(len(str(v)) < 2 * LIMIT + 200 for v in texts), name
    returns = tables["returns"].assign(usable=True, status="有待核对（记录已保留）")
    path = write_quality_workbook(tables["issues"], returns, tmp_path / "data-quality.xlsx")
    wb = openpyxl.load_workbook(path)
    longest = max(len(str(c.value)) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert longest < 2 * LIMIT + 200
    _untouched_002(tables, plain)
    _balanced(tables)


def test_the_limit_is_the_params_one(tmp_path):
    from helpers import params_with

    name = "欧阳" + "甲" * 20  # 22 characters; the 学籍号 (19) and the school name (7) stay whole
    term_dir = tmp_path / "data" / "raw" / fx.TERM
    fx.write_office(term_dir, registry=fx.REGISTRY[:1])
    fx.write_workbook(term_dir / "001.xlsx", fx.simple_return("001", "清河区实验学校", [(fx.SID_A, name, "七年级", 1)]))
    tables = clean_term(Catalog(fx.TERM, tmp_path), params_with({"cleaning": {"max_text_length": 20}}))
    assert tables["students"]["name"].tolist() == [name[:20]]
    long = tables["issues"].query("rule == 'long_text'")
    assert long[["sheet", "excel_row", "column", "value", "message"]].values.tolist() == [
        ["学业成绩", 2, "姓名", name[:20] + "…", "单元格文字过长（22 字），只保留前 20 字"]
    ]
