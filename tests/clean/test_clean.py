"""Cleaning: cell normalisation, header handling, the row contract, warnings with exact texts,
broken files, determinism of the Parquet output."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers import cleanfixtures as fx
from tqa.clean import (
    canonical_subject,
    clean_term,
    find_header_row,
    map_header,
    match_school,
    name_match,
    normalize_class,
    normalize_grade,
    normalize_sex,
    normalize_student_id,
    parse_number,
    parse_score,
    read_tables,
    read_workbook,
    write_tables,
)
from tqa.clean.returns import batches
from tqa.core import vocabulary as vocab
from tqa.core.issues import ISSUE_COLUMNS
from tqa.io.catalog import Catalog
from tqa.io.tables import records_frame, to_frame
from tqa.schema import sheets
from tqa.schema.tables import CLEAN

S, L = vocab.EXAM_MODE_SCORE, vocab.EXAM_MODE_LEVEL


# ---- cell normalisation -------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, mode, status, score, level, fixes",
    [
        (85, S, "scored", 85.0, None, ()),
        (85.5, S, "scored", 85.5, None, ()),
        ("85", S, "scored", 85.0, None, ()),
        (" 85.5 ", S, "scored", 85.5, None, ()),
        ("８５", S, "scored", 85.0, None, ("fullwidth",)),
        ("７９．３", S, "scored", 79.3, None, ("fullwidth",)),
        ("85分", S, "scored", 85.0, None, ("unit",)),
        ("８５分", S, "scored", 85.0, None, ("fullwidth", "unit")),
        (150, S, "scored", 150.0, None, ()),  # range checks are the checks step's job
        ("缺考", S, "absent", None, None, ()),
        ("缺", S, "absent", None, None, ("absent_variant",)),
        ("缺 考", S, "absent", None, None, ("absent_variant",)),
        ("（缺考）", S, "absent", None, None, ("absent_variant",)),
        ("缺席", S, "absent", None, None, ("absent_variant",)),
        ("q", S, "absent", None, None, ("absent_variant",)),
        ("免考", S, "exempt", None, None, ()),
        ("免", L, "exempt", None, None, ("exempt_variant",)),
        ("免试", S, "exempt", None, None, ("exempt_variant",)),
        ("(免考)", S, "exempt", None, None, ("exempt_variant",)),
        ("优秀", L, "level", None, "优秀", ()),
        ("待合格", L, "level", None, "待合格", ()),
        ("优", L, "level", None, "优秀", ("level_variant",)),
        ("不合格", L, "level", None, "待合格", ("level_variant",)),
        ("良好", S, "invalid", None, None, ()),  # a level on a scored paper
        (90, L, "invalid", None, None, ()),  # a score for a level-graded subject
        ("八十", S, "invalid", None, None, ()),
        ("85..5", S, "invalid", None, None, ()),
        (None, S, "invalid", None, None, ()),
        (True, S, "invalid", None, None, ()),
    ],
)
def test_parse_score(value, mode, status, score, level, fixes):
    cell = parse_score(value, mode)
    assert (cell.status, cell.score, cell.level, cell.fixes) == (status, score, level, fixes)
    assert (cell.reason is not None) == (status == "invalid")


@pytest.mark.parametrize(
    "value, units, expected, fixes",
    [
        ("60分钟", ("分钟", "分"), 60.0, ("unit",)),
        ("60分", ("分钟", "分"), 60.0, ("unit",)),
        ("9 小时", ("小时",), 9.0, ("unit",)),
        ("１２", (), 12.0, ("fullwidth",)),
        ("-3", (), -3.0, ()),
        ("分", ("分",), None, ()),
        ("很多", (), None, ()),
        (7.0, (), 7.0, ()),
    ],
)
def test_parse_number(value, units, expected, fixes):
    p = parse_number(value, units)
    assert (p.value, p.fixes) == (expected, fixes)


@pytest.mark.parametrize(
    "value, grade",
    [
        ("七年级", 7),
        ("初一", 7),
        ("初三", 9),
        ("7", 7),
        (7, 7),
        (7.0, 7),
        ("7年级", 7),
        ("７年级", 7),
        (" 三年级 ", 3),
        ("一 年级", 1),
        ("高一", None),
        (10, None),
        ("", None),
        (None, None),
        (7.5, None),
    ],
)
def test_normalize_grade(value, grade):
    assert normalize_grade(value)[0] == grade


def test_normalize_grade_reports_fullwidth():
    assert normalize_grade("７年级") == (7, ("fullwidth",))
    assert normalize_grade("七年级") == (7, ())


@pytest.mark.parametrize(
    "value, class_no",
    [
        (3, 3),
        (3.0, 3),
        ("3", 3),
        ("03", 3),
        ("3班", 3),
        ("（3）班", 3),
        ("(3)班", 3),
        ("七(3)班", 3),
        ("第3班", 3),
        ("三班", 3),
        ("十二班", 12),
        ("３班", 3),
        ("甲班", None),
        (0, None),
        (None, None),
    ],
)
def test_normalize_class(value, class_no):
    assert normalize_class(value) == class_no


@pytest.mark.parametrize("value, sex", [("男", "男"), ("女生", "女"), (" 男 ", "男"), ("M", None), (None, None)])
def test_normalize_sex(value, sex):
    assert normalize_sex(value) == sex


@pytest.mark.parametrize(
    "value, sid",
    [
        ("G123", "G123"),
        (" g123 ", "G123"),
        ("Ｇ１２３", "G123"),
        (123456.0, "123456"),
        ("", None),
        (None, None),
    ],
)
def test_normalize_student_id(value, sid):
    assert normalize_student_id(value) == sid


SUBJECTS = ("语文", "数学", "英语", "道德与法治", "生物学")


@pytest.mark.parametrize(
    "header, subject",
    [
        ("数学", "数学"),
        (" 数 学 ", "数学"),
        ("数学成绩", "数学"),
        ("数学(120分)", "数学"),
        ("数学（120分）", "数学"),
        ("道法", "道德与法治"),
        ("思想品德", "道德与法治"),
        ("外语", "英语"),
        ("英文", "英语"),
        ("生物", "生物学"),
        ("物理", None),
        ("总分", None),
        ("序号", None),
    ],
)
def test_canonical_subject(header, subject):
    assert canonical_subject(header, SUBJECTS) == subject


# ---- header row and mapping ---------------------------------------------------------------
def test_find_header_row_below_titles():
    rows = [
        ["某校期末成绩统计表"] * 6,
        ["填报单位：某校", None, None, "单位：分"],
        [],
        ["学籍号", "学生姓名", "年级", "班别", "性别", "数学"],
        ["G1", "甲", "七年级", 1, "男", 90],
    ]
    assert find_header_row(rows, sheets.SCORES) == 3
    assert find_header_row([["无关"], ["G1", 1]], sheets.SCORES) is None


def test_map_header_aliases_subjects_and_order():
    row = [None, "学籍号", "姓名", "性别", "班", "年级", "外语", "道法", "数学", "备注", "数学"]
    hm = map_header(row, sheets.SCORES, SUBJECTS)
    assert hm.columns == {1: "student_id", 2: "name", 3: "sex", 4: "class_no", 5: "grade"}
    assert hm.subjects == {6: "英语", 7: "道德与法治", 8: "数学"}
    assert hm.renamed == [
        (1, "学籍号", "全国学籍号"),
        (4, "班", "班级"),
        (6, "外语", "英语"),
        (7, "道法", "道德与法治"),
    ]
    assert hm.ignored == [(9, "备注")]
    assert hm.duplicated == [(10, "数学", 8)]
    assert hm.reordered and hm.missing == []
    plain = map_header(list(sheets.FITNESS.columns.values())[:3], sheets.FITNESS)
    assert not plain.reordered and plain.missing == ["学年总分"] and plain.renamed == []


# ---- reading: Excel row numbers and merged cells --------------------------------------------
def test_engines_agree_on_row_numbers_and_merges(tmp_path):
    from python_calamine import CalamineWorkbook

    rows = [
        [],
        [],
        [None, None, "标题"],
        [],
        [None, "学籍号", "年级", "数学"],
        [None, "G1", "七年级", "８５"],
        [None, "G2", None, 70],
        [None, "G3", None, 60],
    ]
    path = fx.write_workbook(tmp_path / "t.xlsx", {"学业成绩": rows}, {"学业成绩": ["C3:F3", "C6:C8"]})
    cal = read_workbook(path, "calamine")["学业成绩"]
    opx = read_workbook(path, "openpyxl")["学业成绩"]
    assert cal.rows == opx.rows and cal.merged == opx.merged == [(2, 2, 2, 5), (5, 2, 7, 2)]
    assert cal.rows[4][1:4] == ["学籍号", "年级", "数学"]  # Excel row 5
    assert [r[2] for r in cal.rows[5:8]] == ["七年级"] * 3  # merged grade filled down
    # Why skip_empty_area=False matters: the default drops the two leading empty rows.
    default = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("学业成绩").to_python()
    assert default[0][1] == "标题"


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_entity_definitions_are_refused(tmp_path, engine):
    from tqa.clean import WorkbookError

    path = fx.entity_workbook(tmp_path / "bomb.xlsx")
    with pytest.raises(WorkbookError):
        read_workbook(path, engine)


# ---- a whole term of hand-made returns ------------------------------------------------------
@pytest.fixture(scope="module")
def term_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    fx.build_term(root)
    return root


@pytest.fixture(scope="module")
def tables(term_root):
    return clean_term(Catalog(fx.TERM, term_root))


def _texts(issues: pd.DataFrame, **where) -> list[str]:
    return fx.issue_texts(issues, **where)


W, F = "【警告】学校 001 清河区实验学校，", "【已自动修正】学校 001 清河区实验学校，"


def test_messy_scores_sheet_warnings_exact(tables):
    got = _texts(tables["issues"], school_code="001", sheet="学业成绩")
    sheet = "工作表「学业成绩」，"

    def short_id(row: int, sid: str) -> str:  # the fixture's 学籍号 are short: each clean row is told so
        return (
            W
            + sheet
            + f"第 {row} 行，学籍号=“{sid}”：学籍号“{sid}”为 G 加 3 位，应为字母 G 加 18 位身份证号（17 位数字加 1 位"
            "数字或 X）。该生计入本学期统计，但不与其他学期的记录匹配（不参与增值评价）；请按学生的全国学籍号改正后重新提交"
            "（已保留，不参与跨学期匹配）"
        )

    assert got == [
        F
        + sheet
        + "第 1 行，A=“清河区实验学校期末成绩统计表”：表头上方有 2 行标题或说明（第 1、2 行，首行为“清河区实验学校期末成绩统计表”），不是数据，已跳过（已跳过）",
        F + sheet + "第 3 行：列的顺序与模板不同（学籍号、姓名、年级、性别、班），已按表头名称识别（已自动修正）",
        F + sheet + "第 3 行，外语=“外语”：表头“外语”（H 列）已按“英语”识别（已自动修正）",
        F + sheet + "第 3 行，学籍号=“学籍号”：表头“学籍号”（A 列）已按“全国学籍号”识别（已自动修正）",
        F + sheet + "第 3 行，班=“班”：表头“班”（E 列）已按“班级”识别（已自动修正）",
        F + sheet + "第 3 行，道法=“道法”：表头“道法”（I 列）已按“道德与法治”识别（已自动修正）",
        F + sheet + "第 4 行，外语=“90分”：数值“90分”带有单位，已按 90 读取（已自动修正）",
        short_id(4, "G001"),
        F + sheet + "第 4 行，数学=“８５”：全角数字“８５”已按 85 读取（已自动修正）",
        F + sheet + "第 4 行，道法=“缺”：缺考写作“缺”，已按“缺考”处理（已自动修正）",
        F + sheet + "第 5 行，外语=“免试”：免考写作“免试”，已按“免考”处理（已自动修正）",
        short_id(5, "G002"),
        F + sheet + "第 6 行：数据中间有 1 个空行（第 6 行），已跳过（已跳过）",
        short_id(7, "G003"),
        W + sheet + "第 7 行，语文=“八十”：语文成绩“八十”：无法识别的成绩（该值不纳入统计）",
        W + sheet + "第 8 行，学籍号=“G003”：与第 7 行重复（已剔除该行）",
        W + sheet + "第 9 行，学籍号=“”：缺少学籍号（已剔除该行）",
        W + sheet + "第 10 行，年级=“高一”：年级“高一”无法识别（已剔除该行）",
        short_id(11, "G006"),
        F + sheet + "第 11 行，语文=“优”：等级写作“优”，已按“优秀”处理（已自动修正）",
        short_id(12, "G007"),
        W + sheet + "第 13 行，学籍号=“合计”：合计行，不是学生记录（已剔除该行）",
    ]


def test_messy_other_sheets_warnings_exact(tables):
    iss = tables["issues"]
    assert _texts(iss, school_code="001", sheet="学校信息") == [
        F
        + "工作表「学校信息」，第 2 行，学校名称=“实验学校”：学校名称填写为“实验学校”，名册登记名称为“清河区实验学校”（已登记的曾用名或简称）（已自动修正）",
        F + "工作表「学校信息」，第 9 行，在籍人数=“２”：全角数字“２”已按 2 读取（已自动修正）",
        W + "工作表「学校信息」，第 10 行，年级=“合计”：合计行，不是年级记录（已剔除该行）",
    ]
    assert _texts(iss, school_code="001", sheet="体质健康") == [
        F + "工作表「体质健康」，第 1 行，体测总分=“体测总分”：表头“体测总分”（D 列）已按“学年总分”识别（已自动修正）",
        F + "工作表「体质健康」，第 1 行，学籍号=“学籍号”：表头“学籍号”（A 列）已按“全国学籍号”识别（已自动修正）",
        W + "工作表「体质健康」，第 3 行，体测总分=“缺考”：体测总分“缺考”无法识别，没有可用的体测成绩（已剔除该行）",
    ]
    assert _texts(iss, school_code="001", sheet="作业与睡眠") == [
        F
        + "工作表「作业与睡眠」，第 2 行，日均书面作业时间（分钟）=“60分钟”：数值“60分钟”带有单位，已按 60 读取（已自动修正）",
        F
        + "工作表「作业与睡眠」，第 2 行，日均睡眠时间（小时）=“9小时”：数值“9小时”带有单位，已按 9 读取（已自动修正）",
        W
        + "工作表「作业与睡眠」，第 3 行，日均书面作业时间（分钟）=“很多”：日均书面作业时间（分钟）“很多”无法识别为数值（该值不纳入统计）",
    ]
    assert _texts(iss, school_code="001", sheet="教学常规") == [
        W + "工作表「教学常规」，第 3 行：听课、评课、教研都没有可用的数值（已剔除该行）"
    ]
    assert set(iss["stage"]) == {"clean"}
    assert set(iss.loc[iss["rule"].isin(["duplicate_row", "total_row", "invalid_score"]), "severity"]) == {"warning"}
    assert set(iss.loc[iss["rule"].isin(["fullwidth_digits", "unit_suffix", "header_alias"]), "severity"]) == {"fixed"}


def test_row_accounting_on_messy_return(tables):
    acc = tables["accounting"]
    got = acc[acc["school_code"] == "001"].drop(columns="school_code").to_dict("records")
    assert got == [
        {"sheet": "体质健康", "nonempty_rows": 2, "clean_rows": 1, "rejected_rows": 1},
        {"sheet": "作业与睡眠", "nonempty_rows": 2, "clean_rows": 2, "rejected_rows": 0},
        # rows 4-13 less blank row 6; clean 4, 5, 7, 11, 12; rejected 8, 9, 10, 13
        {"sheet": "学业成绩", "nonempty_rows": 9, "clean_rows": 5, "rejected_rows": 4},
        # 5 key/value rows + 2 grades; the 合计 row rejected
        {"sheet": "学校信息", "nonempty_rows": 8, "clean_rows": 7, "rejected_rows": 1},
        {"sheet": "教学常规", "nonempty_rows": 2, "clean_rows": 1, "rejected_rows": 1},
    ]
    assert (acc["nonempty_rows"] == acc["clean_rows"] + acc["rejected_rows"]).all()
    # clean_rows are the rows that landed in each sheet's table (学校信息: + its 5 metadata rows)
    for sheet, table in ((s.name, s.table) for s in sheets.SHEETS):
        n = tables[table].groupby("school_code").size()
        a = acc[acc["sheet"] == sheet].set_index("school_code")["clean_rows"]
        meta = 5 if sheet == sheets.INFO.name else 0
        assert (a - meta).to_dict() == n.reindex(a.index, fill_value=0).to_dict()
    rej = tables["rejected"].groupby(["school_code", "sheet"]).size()
    assert rej.to_dict() == acc.set_index(["school_code", "sheet"])["rejected_rows"].loc[lambda s: s > 0].to_dict()


def test_rejected_rows_have_reasons(tables):
    rej = tables["rejected"]
    r = rej[(rej["school_code"] == "001") & (rej["sheet"] == "学业成绩")]
    assert r[["excel_row", "reason"]].values.tolist() == [
        [8, "与第 7 行重复"],
        [9, "缺少学籍号"],
        [10, "年级“高一”无法识别"],
        [13, "合计行，不是学生记录"],
    ]
    assert (
        r["raw_values"].iloc[0]
        == "学籍号=G003 | 姓名=王三 | 年级=7 | 性别=女 | 班=3 | 语文=八十 | 数学=70 | 外语=80 | 道法=75"
    )
    assert set(rej["source_file"]) == {"001.xlsx"}


def test_messy_clean_values(tables):
    st = tables["students"]
    st = st[st["school_code"] == "001"]
    assert st[["excel_row", "student_id", "grade", "class_no", "sex"]].values.tolist() == [
        [4, "G001", 7, 1, "男"],
        [5, "G002", 7, 2, "女"],
        [7, "G003", 7, 3, "女"],
        [11, "G006", 1, 2, "女"],
        [12, "G007", 3, 1, "男"],
    ]
    sc = tables["scores"]
    sc = sc[sc["school_code"] == "001"].set_index(["excel_row", "subject"])
    # grade 7: 4 subjects x 3 students; grade 1: 2; grade 3: 3 + a 道法 cell its spec lacks (for checks)
    assert len(sc) == 4 + 4 + 4 + 2 + 3 + 1
    assert sc.loc[(4, "数学"), ["status", "score", "raw_value"]].tolist() == ["scored", 85.0, "８５"]
    assert sc.loc[(4, "英语"), ["status", "score"]].tolist() == ["scored", 90.0]
    assert sc.loc[(4, "道德与法治"), "status"] == "absent"
    assert sc.loc[(5, "语文"), "score"] == 150.0  # kept: checks will flag it
    assert sc.loc[(5, "英语"), "status"] == "exempt"
    assert sc.loc[(7, "语文"), "status"] == "invalid" and math.isnan(sc.loc[(7, "语文"), "score"])
    assert sc.loc[(11, "语文"), ["status", "level"]].tolist() == ["level", "优秀"]
    assert sc.loc[(12, "道德与法治"), ["status", "score"]].tolist() == ["scored", 90.0]
    enr = tables["enrolment"]
    assert enr[enr["school_code"] == "001"][["excel_row", "grade", "enrolled"]].values.tolist() == [
        [8, 7, 4],
        [9, 1, 2],
    ]
    sv = tables["survey"]
    assert sv[sv["school_code"] == "001"][["homework_minutes", "sleep_hours"]].fillna(-1).values.tolist() == [
        [60.0, 9.0],
        [-1, 8.5],
    ]


def test_broken_file_does_not_hide_others(tables):
    ret = tables["returns"].set_index("school_code")
    assert ret["submitted"].to_dict() == {"001": True, "002": True, "003": True, "004": False, "005": True, "999": True}
    assert ret.loc["003", "source_file"] == "003.xlsx" and ret.loc["003", "school_type"] == "小学"
    issue = tables["issues"].query("school_code == '003'")
    assert issue["rule"].tolist() == ["unreadable_file"]
    assert issue["message"].iloc[0].startswith("文件“003.xlsx”无法作为 Excel 工作簿打开")
    for name in ("students", "scores", "accounting"):
        assert "003" not in set(tables[name]["school_code"])
    assert tables["students"].query("school_code == '002'")["student_id"].tolist() == [fx.SID_A]
    assert len(tables["scores"].query("school_code == '002'")) == 4
    assert not tables["issues"].query("school_code == '002'").shape[0]  # a canonical return: no issue at all


def test_missing_sheet_unknown_school_and_wrong_name(tables):
    iss = tables["issues"]
    assert _texts(iss, school_code="005") == [
        "【警告】学校 005 清河区实验中学，工作表「学校信息」，第 2 行，学校名称=“河东中学”：学校名称填写为“河东中学”，与名册登记名称“清河区实验中学”不一致（已保留，请核对）",
        "【警告】学校 005 清河区实验中学，工作表「教学常规」：文件“005.xlsx”缺少工作表“教学常规”（该校此表无数据）",
    ]
    assert "教学常规" not in set(tables["accounting"].query("school_code == '005'")["sheet"])
    assert len(tables["students"].query("school_code == '005'")) == 1
    unknown = iss.query("rule == 'unknown_school'")
    assert unknown[["school_code", "severity", "value"]].values.tolist() == [["999", "warning", "999"]]
    ret = tables["returns"].set_index("school_code")
    assert ret.loc["999", "submitted"] and pd.isna(ret.loc["999", "school_type"])
    assert len(tables["students"].query("school_code == '999'")) == 1  # rows kept under the file's code


def test_columns_dtypes_and_order(tables):
    assert set(tables) == set(CLEAN)
    for name, spec in CLEAN.items():
        assert tuple(tables[name].columns) == spec.names, name
        assert {c: str(t) for c, t in tables[name].dtypes.items()} == spec.dtypes, name
    assert tuple(tables["issues"].columns) == ISSUE_COLUMNS
    sc = tables["scores"]
    assert str(sc["excel_row"].dtype) == "int64" and str(sc["grade"].dtype) == "Int64"
    assert str(sc["score"].dtype) == "float64" and str(sc["school_code"].dtype) == "str"
    assert str(tables["returns"]["submitted"].dtype) == "bool"
    keys = sc[["school_code", "sheet", "excel_row", "subject"]]
    assert keys.equals(keys.sort_values(list(keys.columns)).reset_index(drop=True))


def test_write_tables_is_deterministic_and_round_trips(tables, term_root, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_tables(tables, a)
    again = clean_term(Catalog(fx.TERM, term_root), workers=2)  # processes too
    write_tables(again, b)
    files = sorted(p.name for p in a.glob("*.parquet"))
    assert files == sorted(f"{n}.parquet" for n in tables)
    for name in files:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    back = read_tables(a)
    for name, df in tables.items():
        pd.testing.assert_frame_equal(back[name], df, check_dtype=True)


def test_several_files_of_a_school_are_all_set_aside_whichever_batch_they_are_in(tmp_path):
    """Worker processes clean runs of consecutive files (batches); a school's two files are still found when
    they land in different batches, and neither is used (no choice by the files' spelling)."""
    term_dir = tmp_path / "data" / "raw" / fx.TERM
    fx.write_office(term_dir)
    fx.write_workbook(term_dir / "002.xlsx", fx.simple_return("002", "清河区第一小学"))
    fx.write_workbook(term_dir / "003.xlsx", fx.simple_return("003", "清河区第二小学"))
    fx.write_workbook(
        term_dir / "003_2.xlsx",
        fx.simple_return("003", "清河区第二小学", students=(("G777", "丁", "七年级", 1, "男", 1, 2, 3, 4),)),
    )
    one = clean_term(Catalog(fx.TERM, tmp_path), workers=1)
    two = clean_term(Catalog(fx.TERM, tmp_path), workers=3)  # 3 files: one batch each
    for name, df in one.items():
        pd.testing.assert_frame_equal(df, two[name], check_exact=True)
    dup = one["issues"][one["issues"]["rule"] == "several_returns"]
    assert dup[["school_code", "value"]].values.tolist() == [["003", "003.xlsx、003_2.xlsx"]]
    assert one["students"]["school_code"].tolist() == ["002"]  # none of 003's two files
    ret = one["returns"].set_index("school_code")
    assert ret.loc["003", "source_file"] == "003.xlsx、003_2.xlsx" and ret.loc["003", "submitted"]


def test_batches_keep_file_order():
    files = list("abcdefghij")
    for n in (1, 3, 4, 10, 25):
        parts = batches(files, n)
        assert sum(parts, []) == files and len(parts) == min(n, len(files))
        assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert batches([], 4) == []


def test_records_frame_matches_inference_then_cast():
    """Building columns with their dtypes gives what from_records + to_frame's cast gave, missing values
    and a non-text value in a text column included."""
    rows = {
        "enrolment": [
            ("001", "学校信息", 9, 7, 120.0, None, 0.0, None, 1.0),
            ("001", "学校信息", 10, 1, None, None, None, None, None),
        ],
        "scores": [
            ("001", "学业成绩", 3, "G1", 7, None, False, "数学", "invalid", None, None, ""),
            ("001", "学业成绩", 4, "G2", 7, 3, True, "数学", "scored", 85.5, None, "85.5"),
        ],
        "returns": [
            ("001", None, None, None, False, None, None, None, None),
            ("002", "某校", "小学", "城区", True, "002.xlsx", 12, None, 1.5),
        ],
        "items": [],
    }
    for name, recs in rows.items():
        inferred = pd.DataFrame.from_records(recs, columns=list(CLEAN[name].names))
        pd.testing.assert_frame_equal(
            to_frame(records_frame(recs, name), name), to_frame(inferred, name), check_exact=True
        )


def test_read_tables_by_name(tables, tmp_path):
    write_tables(tables, tmp_path)
    got = read_tables(tmp_path, ["scores", "returns", "no_such_table"])
    assert sorted(got) == ["returns", "scores"]
    pd.testing.assert_frame_equal(got["scores"], tables["scores"])


def test_openpyxl_engine_gives_the_same_tables(tables, term_root):
    other = clean_term(Catalog(fx.TERM, term_root), engine="openpyxl")
    for name, df in tables.items():
        a, b = df, other[name]
        if name == "issues":  # the broken file's error text names the library
            a, b = (x[x["rule"] != "unreadable_file"].reset_index(drop=True) for x in (a, b))
        pd.testing.assert_frame_equal(a, b)


# ---- school matching ----------------------------------------------------------------------
REG = {
    "001": {"school_name": "清河区实验学校", "name_variants": ("实验学校",), "school_type": "小学", "category": "城区"}
}


@pytest.mark.parametrize(
    "file, meta, code, known, rules",
    [
        ("001.xlsx", {"school_code": (1, "001"), "school_name": (2, "清河区实验学校")}, "001", True, []),
        (
            "001.xlsx",
            {"school_code": (1, 1.0), "school_name": (2, "清河区 实验学校")},
            "001",
            True,
            ["code_leading_zeros"],
        ),
        ("001_实验学校.xlsx", {"school_code": (1, "001")}, "001", True, []),
        (
            "001.xlsx",
            {"school_code": (1, "002"), "school_name": (2, "实验学校")},
            "001",
            True,
            ["code_mismatch", "name_variant"],
        ),
        ("报表.xlsx", {"school_code": (1, "001")}, "001", True, ["code_from_cell"]),
        ("777.xlsx", {"school_code": (1, "777")}, "777", False, ["unknown_school"]),
        ("001.xlsx", {"school_name": (2, "河西小学")}, "001", True, ["name_mismatch"]),
    ],
)
def test_match_school(file, meta, code, known, rules):
    m = match_school(file, meta, REG)
    assert (m.code, m.known, [i[1] for i in m.issues]) == (code, known, rules)


def test_name_match():
    assert name_match("清河区 实验学校", "清河区实验学校", ()) == "official"
    assert name_match("实验学校", "清河区实验学校", ("实验学校",)) == "variant"
    assert name_match("实验小学", "清河区实验学校", ("实验学校",)) == "different"


# ---- the sample generator's defects are all found ---------------------------------------------
CHECKS_JOB = {"impossible_score", "student_in_two_schools", "not_submitted"}
RULES_FOR_KIND = {
    "score_with_unit": {"unit_suffix"},
    "marker_variant": {"absent_variant", "exempt_variant"},
    "school_name_listed_variant": {"name_variant"},
    "school_name_unlisted_variant": {"name_mismatch", "name_variant"},
}


def test_sample_district_defects_are_reported(tmp_path):
    sample = pytest.importorskip("tqa.devtools.sample")
    summary = sample.generate_district(tmp_path / "data" / "raw", schools=8, seed=5, terms=("2023-2",), jobs=1)
    tables = clean_term(Catalog("2023-2", tmp_path))
    iss = tables["issues"]
    assert len(summary["defects"]) > 5
    for d in summary["defects"]:
        if d.kind in CHECKS_JOB or d.kind in sample.PLANT_KINDS:  # found by the checks and reports
            continue
        rules = RULES_FOR_KIND.get(d.kind, {d.kind})
        hit = iss[(iss["school_code"] == d.school_code) & (iss["sheet"] == d.sheet) & iss["rule"].isin(rules)]
        if d.kind == "blank_rows":  # one issue per sheet lists every blank row
            assert hit["message"].str.contains(f"、{d.excel_row}|第 {d.excel_row}[ 、]", regex=True).any(), d
        elif d.kind == "title_rows":
            assert (hit["excel_row"] == 1).any(), d
        else:
            assert (hit["excel_row"] == d.excel_row).any(), d
    acc = tables["accounting"]
    assert (acc["nonempty_rows"] == acc["clean_rows"] + acc["rejected_rows"]).all()
    kinds = {d.kind for d in summary["defects"]}
    assert tables["rejected"]["reason"].str.startswith("合计行").any() == ("total_row" in kinds)


# ---- the optional 小题得分 sheet ----------------------------------------------------------------
ITEMS_SHEET = [
    ["七年级数学小题得分"],  # 1 title
    ["全国学籍号", "年级", "科目", "第1题", "２", "3 (1)", "3(2)", "备注"],  # 2 header: alias, label variants
    ["G900", "七年级", "数学", 3, "２", 4, 5],  # 3 full-width score
    ["G900", "七年级", "数学", 3, "２", 4, 5],  # 4 duplicate of 3
    ["G901", "七年级", "数学", "缺考", "缺考"],  # 5 absent: read, no item rows
    [],  # 6 blank
    ["G902", "七年级", "数学", None, 1, "缺", 2],  # 7 blank cell and an absent variant
    [None, "七年级", "数学", 1, 1, 1, 1],  # 8 no 学籍号
    ["G903", "七年级", None, 1, 1, 1, 1],  # 9 no subject
    ["G904", "初一", "数学", "八", 1],  # 10 unreadable score, the rest kept
    ["合计", None, None, 9, 5, 8, 7],  # 11 total row
]


@pytest.fixture(scope="module")
def item_tables(tmp_path_factory):
    root = tmp_path_factory.mktemp("items")
    term_dir = root / "data" / "raw" / fx.TERM
    fx.write_office(term_dir, registry=fx.REGISTRY[:2])
    with_items = fx.simple_return("001", "清河区实验学校")
    with_items[" 小题得分"] = ITEMS_SHEET  # a stray space in the tab name is tolerated
    fx.write_workbook(term_dir / "001.xlsx", with_items)
    fx.write_workbook(term_dir / "002.xlsx", fx.simple_return("002", "清河区第一小学"))
    return clean_term(Catalog(fx.TERM, root))


def test_item_sheet_long_table(item_tables):
    it = item_tables["items"]
    assert tuple(it.columns) == CLEAN["items"].names
    assert str(it["grade"].dtype) == "Int64" and str(it["score"].dtype) == "float64"
    assert it[["excel_row", "student_id", "grade", "subject", "item", "score"]].values.tolist() == [
        [3, "G900", 7, "数学", "1", 3.0],
        [3, "G900", 7, "数学", "2", 2.0],
        [3, "G900", 7, "数学", "3(1)", 4.0],
        [3, "G900", 7, "数学", "3(2)", 5.0],
        [7, "G902", 7, "数学", "2", 1.0],
        [7, "G902", 7, "数学", "3(2)", 2.0],
        [10, "G904", 7, "数学", "2", 1.0],
    ]
    assert set(it["school_code"]) == {"001"} and set(it["sheet"]) == {sheets.ITEMS.name}


def test_item_sheet_row_accounting(item_tables):
    acc = item_tables["accounting"]
    got = acc[acc["sheet"] == sheets.ITEMS.name].drop(columns="sheet").to_dict("records")
    # rows 3-11 less blank row 6; read 3, 5, 7, 10 (row 5 gives no item row); rejected 4, 8, 9, 11
    assert got == [{"school_code": "001", "nonempty_rows": 8, "clean_rows": 4, "rejected_rows": 4}]
    rej = item_tables["rejected"]
    rej = rej[rej["sheet"] == sheets.ITEMS.name]
    assert rej[["excel_row", "reason"]].values.tolist() == [
        [4, "与第 3 行重复"],
        [8, "缺少学籍号"],
        [9, "科目为空，无法确定是哪一科的试卷"],
        [11, "合计行，不是学生记录"],
    ]
    assert rej["raw_values"].iloc[0] == "全国学籍号=G900 | 年级=七年级 | 科目=数学 | 第1题=3 | ２=２ | 3 (1)=4 | 3(2)=5"
    # school 002 sent no item sheet: no accounting row, no warning (the sheet is optional)
    assert "002" not in set(acc.loc[acc["sheet"] == sheets.ITEMS.name, "school_code"])
    assert not len(item_tables["issues"].query("school_code == '002'"))


def test_item_sheet_warnings_exact(item_tables):
    W1 = "【警告】学校 001 清河区实验学校，工作表「小题得分」，"
    F1 = "【已自动修正】学校 001 清河区实验学校，工作表「小题得分」，"
    got = _texts(item_tables["issues"], school_code="001", sheet=sheets.ITEMS.name)
    assert got == [
        "【已自动修正】学校 001 清河区实验学校，工作表「小题得分」：工作表名“ 小题得分”已按“小题得分”识别（已自动修正）",
        F1
        + "第 1 行，A=“七年级数学小题得分”：表头上方有 1 行标题或说明（第 1 行，首行为“七年级数学小题得分”），不是数据，已跳过（已跳过）",
        # same row: sorted by column text
        F1 + "第 2 行，3 (1)=“3 (1)”：题号“3 (1)”（F 列）已按“3(1)”识别（已自动修正）",
        W1 + "第 2 行，备注=“备注”：无法识别的列“备注”（H 列），不属于本表或不是本学期考试学科（已忽略）",
        F1 + "第 2 行，科目=“科目”：表头“科目”（C 列）已按“学科”识别（已自动修正）",
        F1 + "第 2 行，第1题=“第1题”：题号“第1题”（D 列）已按“1”识别（已自动修正）",
        F1 + "第 2 行，２=“２”：题号“２”（E 列）已按“2”识别（已自动修正）",
        F1 + "第 3 行，２=“２”：全角数字“２”已按 2 读取（已自动修正）",
        W1 + "第 4 行，全国学籍号=“G900”：与第 3 行重复（已剔除该行）",
        F1 + "第 6 行：数据中间有 1 个空行（第 6 行），已跳过（已跳过）",
        F1 + "第 7 行，3 (1)=“缺”：缺考写作“缺”，已按“缺考”处理（已自动修正）",
        W1 + "第 8 行，全国学籍号=“”：缺少学籍号（已剔除该行）",
        W1 + "第 9 行，科目=“”：科目为空，无法确定是哪一科的试卷（已剔除该行）",
        W1 + "第 10 行，第1题=“八”：数学第 1 题得分“八”：无法识别的成绩（该值不纳入统计）",
        W1 + "第 11 行，全国学籍号=“合计”：合计行，不是学生记录（已剔除该行）",
    ]
    assert not item_tables["issues"]["sheet"].eq(" 小题得分").any()


@pytest.mark.parametrize(
    "value, label",
    [
        ("1", "1"),
        (1, "1"),
        (1.0, "1"),
        ("第1题", "1"),
        ("第２题", "2"),
        (" 13（1） ", "13(1)"),
        ("13 (2)", "13(2)"),
        ("01", "1"),
        ("第13(2)题", "13(2)"),
        ("总分", None),
        ("备注", None),
        ("0", None),
        (2.5, None),
        (None, None),
    ],
)
def test_normalize_item_label(value, label):
    from tqa.core.normalize import normalize_item_label

    assert normalize_item_label(value) == label
