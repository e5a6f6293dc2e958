"""Careless input in the fields that tie a return to its term and a student to another term: the 学期 cell of
学校信息 against the term folder, and the 学籍号 against its documented form (kept in the term, never linked).
Every return is built here, at run time."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helpers import cleanfixtures as fx
from helpers import params_with
from tqa.checks import STATUS_KEPT, STATUS_OK, STATUS_SET_ASIDE, run_checks
from tqa.clean import clean_term
from tqa.clean.studentid import problem
from tqa.core.terms import Term, read_term_label
from tqa.io.catalog import Catalog
from tqa.io.office import read_exam_spec, read_registry
from tqa.measures.academic.valueadded import link_prior
from tqa.schema import sheets

PARAMS = params_with()
# Every school may have grade 7 (the returns below are grade 7): no grade-by-school-type warning in the way.
REGISTRY = [(code, name, variants, "九年一贯制", category) for code, name, variants, _, category in fx.REGISTRY]
FORM = "应为字母 G 加 18 位身份证号（17 位数字加 1 位数字或 X）"
ADVICE = "。该生计入本学期统计，但不与其他学期的记录匹配（不参与增值评价）；请按学生的全国学籍号改正后重新提交"


def _texts(issues: pd.DataFrame, **where) -> list[str]:
    return fx.issue_texts(issues, **where)


def _balanced(tables) -> None:
    acc = tables["accounting"]
    assert len(acc) and (acc["nonempty_rows"] == acc["clean_rows"] + acc["rejected_rows"]).all()


def _with_term(ret: dict, written) -> dict:
    info = [list(r) for r in ret[sheets.INFO.name]]
    info[2] = ["学期", written]  # Excel row 3
    return {**ret, sheets.INFO.name: info}


# ---- the 学期 cell --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, term",
    [
        ("2023-2024学年第二学期", "2023-2"),
        (" 2023 - 2024 学年 第 2 学期 ", "2023-2"),
        ("２０２３—２０２４学年第二学期", "2023-2"),
        ("2023～2024学年度第二学期", "2023-2"),
        ("2023-24学年第二学期", "2023-2"),
        ("2023-2024学年下学期", "2023-2"),
        ("2023-2024学年上学期", "2023-1"),
        ("2023-2024学年春季学期", "2023-2"),
        ("2024年春季学期", "2023-2"),
        ("2023年秋季学期", "2023-1"),
        ("2023-2", "2023-2"),
        ("2022-2023学年第二学期", "2022-2"),
        ("2023-2025学年第二学期", None),  # not one school year
        ("第二学期", None),  # no school year
        ("2023学年第二学期", None),  # 2022-2023 or 2023-2024?
        ("下学期", None),
    ],
)
def test_read_term_label(text, term):
    got = read_term_label(text)
    assert (got.name if got else None) == term


@pytest.fixture(scope="module")
def term_case(tmp_path_factory):
    """2023-2: 001 says 2022-2023学年第二学期 (another term), 002 is canonical, 003 leaves 学期 blank, 005 writes
    the right term another way."""
    root = tmp_path_factory.mktemp("terms")
    term_dir = root / "data" / "raw" / fx.TERM
    fx.write_office(term_dir, registry=REGISTRY)
    wrong = fx.simple_return("001", "清河区实验学校", students=((fx.SID_B, "乙", "七年级", 2, "女", 70, 71, 72, 73),))
    fx.write_workbook(term_dir / "001.xlsx", _with_term(wrong, "2022-2023学年第二学期"))
    fx.write_workbook(term_dir / "002.xlsx", fx.simple_return("002", "清河区第一小学"))
    blank = fx.simple_return("003", "清河区第二小学", students=((fx.SID_C, "丙", "七年级", 1, "男", 1, 2, 3, 4),))
    fx.write_workbook(term_dir / "003.xlsx", _with_term(blank, None))
    variant = fx.simple_return(
        "005", "清河区实验中学", students=(("G379903201012240042", "丁", "七年级", 1, "男", 5, 6, 7, 8),)
    )
    fx.write_workbook(term_dir / "005.xlsx", _with_term(variant, "２０２３—２０２４ 学年 第2学期"))
    tables = clean_term(Catalog(fx.TERM, root))
    checked = run_checks(
        tables,
        read_registry(term_dir / "office" / "registry.csv"),
        read_exam_spec(term_dir / "office" / "exam_spec.csv"),
        PARAMS,
        suites_dir="checks",
    )
    return tables, checked


def test_term_of_another_school_year_sets_the_school_aside(term_case):
    tables, checked = term_case
    assert _texts(tables["issues"], school_code="001") == [
        "【警告】学校 001 清河区实验学校，工作表「学校信息」，第 3 行，学期=“2022-2023学年第二学期”：学期填写为“2022-2023学年第二学期”，"
        "而文件“001.xlsx”放在 2023-2（2023-2024学年第二学期）的文件夹中：请确认文件是否放错学期，或改正学期后重新提交"
        "（该校全部数据暂不纳入统计）"
    ]
    # cleaning keeps and accounts every row; the checks step leaves the school out as a whole
    _balanced(tables)
    assert len(tables["students"].query("school_code == '001'")) == 1
    ret = checked.tables["returns"].set_index("school_code")
    assert ret.loc["001", "status"] == STATUS_SET_ASIDE and not ret.loc["001", "usable"]
    for name in ("students", "scores", "fitness", "survey", "routine", "enrolment"):
        assert "001" not in set(checked.tables[name]["school_code"]), name
    assert not checked.blocking  # the school alone: the run goes on


def test_other_schools_are_untouched_by_a_wrong_term(term_case):
    tables, checked = term_case
    ret = checked.tables["returns"].set_index("school_code")
    assert ret.loc["002", "status"] == STATUS_OK and ret.loc["002", "usable"]
    for name in ("students", "scores"):
        before = tables[name].query("school_code == '002'").reset_index(drop=True)
        after = checked.tables[name].query("school_code == '002'").reset_index(drop=True)
        pd.testing.assert_frame_equal(before, after, check_dtype=False)
        assert len(after)


def test_blank_term_is_a_warning_and_the_folder_decides(term_case):
    tables, checked = term_case
    assert _texts(tables["issues"], school_code="003") == [
        "【警告】学校 003 清河区第二小学，工作表「学校信息」，第 3 行，学期=“”：学期未填写，已按文件“003.xlsx”所在的文件夹 "
        "2023-2（2023-2024学年第二学期）处理；请填写“2023-2024学年第二学期”（已保留，请核对）"
    ]
    ret = checked.tables["returns"].set_index("school_code")
    assert ret.loc["003", "usable"] and ret.loc["003", "status"] == STATUS_KEPT
    assert len(checked.tables["students"].query("school_code == '003'")) == 1


def test_same_term_written_another_way_is_fixed(term_case):
    tables, checked = term_case
    assert _texts(tables["issues"], school_code="005") == [
        "【已自动修正】学校 005 清河区实验中学，工作表「学校信息」，第 3 行，学期=“２０２３—２０２４ 学年 第2学期”："
        "学期“２０２３—２０２４ 学年 第2学期”已按“2023-2024学年第二学期”识别（已自动修正）",
    ]
    assert checked.tables["returns"].set_index("school_code").loc["005", "usable"]


def test_unreadable_term_is_a_warning(tmp_path):
    term_dir = tmp_path / "data" / "raw" / fx.TERM
    fx.write_office(term_dir)
    fx.write_workbook(term_dir / "002.xlsx", _with_term(fx.simple_return("002", "清河区第一小学"), "2023学年第二学期"))
    tables = clean_term(Catalog(fx.TERM, tmp_path))
    assert _texts(tables["issues"], school_code="002") == [
        "【警告】学校 002 清河区第一小学，工作表「学校信息」，第 3 行，学期=“2023学年第二学期”：学期“2023学年第二学期”无法识别，"
        "已按文件“002.xlsx”所在的文件夹 2023-2（2023-2024学年第二学期）处理；请改为“2023-2024学年第二学期”（已保留，请核对）"
    ]
    assert len(tables["students"]) == 1


# ---- the 学籍号 -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sid, why",
    [
        ("G37990120100901001X", None),
        ("G379902201101200031", None),
        ("G37990120100901001", f"学籍号“G37990120100901001”为 G 加 17 位，{FORM}"),
        ("G3799012010090100123", f"学籍号“G3799012010090100123”为 G 加 19 位，{FORM}"),
        ("37990120100901001X", "学籍号“37990120100901001X”缺少开头的字母 G（18 位身份证号前应加 G）"),
        ("G3799012O100901001X", f"学籍号“G3799012O100901001X”中含有“O”，{FORM}"),
        ("GX7990120100901001X", f"学籍号“GX7990120100901001X”中含有“X”，{FORM}"),
        ("G900", f"学籍号“G900”为 G 加 3 位，{FORM}"),
        ("A37990120100901001X", f"学籍号“A37990120100901001X”不以字母 G 开头，{FORM}"),
        (
            "L37990120100901001X",
            "学籍号“L37990120100901001X”是临时学籍号（L 开头），学生取得身份证号后会改变，不能用于跨学期匹配",
        ),
        ("G37990120101301001X", "学籍号“G37990120101301001X”中的出生日期（身份证号第 7–14 位）“20101301”不是有效日期"),
        ("G37990120100230001X", "学籍号“G37990120100230001X”中的出生日期（身份证号第 7–14 位）“20100230”不是有效日期"),
        (
            "G37990120190901001X",
            "学籍号“G37990120190901001X”中的出生日期（身份证号第 7–14 位）为 2019-09-01，到本学年开学（2023-09-01）"
            "为 4 岁，不在中小学生的 5–20 岁之内",
        ),
        (
            "G37990119820901001X",
            "学籍号“G37990119820901001X”中的出生日期（身份证号第 7–14 位）为 1982-09-01，到本学年开学（2023-09-01）"
            "为 41 岁，不在中小学生的 5–20 岁之内",
        ),
        (
            "G37990120240101001X",
            "学籍号“G37990120240101001X”中的出生日期（身份证号第 7–14 位）为 2024-01-01，晚于本学年开学（2023-09-01）",
        ),
    ],
)
def test_student_id_problem(sid, why):
    assert problem(sid, 2023) == why


def test_student_id_without_a_term_checks_the_date_only():
    assert problem("G37990120190901001X") is None  # no school year: no age to compare
    assert problem("G37990120101301001X").endswith("不是有效日期")


# rows 2-7 of a 学业成绩 sheet: the Excel row, the 学籍号 as written, whether it links
ID_ROWS = [
    (2, "G379901201005050049", True),
    (3, "G37990120100901001", False),  # 17 digits after G
    (4, "G3799012010090100123", False),  # 19 digits after G
    (5, "37990120100315002X", False),  # no G
    (6, "G3799012O100315002X", False),  # a letter O among the digits
    (7, "g 379902 20101120 0031", True),  # spaces and a lower-case g: read as G379902201011200031
    (8, "G37990120101301003X", False),  # month 13
]


def _id_return(code: str, name: str, maths: int) -> dict:
    students = [(sid, f"生{r}", "七年级", 1, "男", 80, maths + r, 70, 60) for r, sid, _ in ID_ROWS]
    ret = fx.simple_return(code, name, students=students)
    return {**ret, sheets.INFO.name: fx.info_rows(code, name, enrolment=(("七年级", len(ID_ROWS), 0, 0, 0, 0),))}


@pytest.fixture(scope="module")
def id_terms(tmp_path_factory):
    """The same students in 2023-1 and 2023-2 (school 001, malformed ids in both terms, written the same way),
    and a canonical school 002."""
    root = tmp_path_factory.mktemp("ids")
    out = {}
    for term, label, maths in (("2023-1", "2023-2024学年第一学期", 10), ("2023-2", "2023-2024学年第二学期", 20)):
        term_dir = root / "data" / "raw" / term
        fx.write_office(term_dir, registry=REGISTRY)
        fx.write_workbook(term_dir / "001.xlsx", _with_term(_id_return("001", "清河区实验学校", maths), label))
        fx.write_workbook(term_dir / "002.xlsx", _with_term(fx.simple_return("002", "清河区第一小学"), label))
        tables = clean_term(Catalog(term, root))
        checked = run_checks(
            tables,
            read_registry(term_dir / "office" / "registry.csv"),
            read_exam_spec(term_dir / "office" / "exam_spec.csv"),
            PARAMS,
            suites_dir="checks",
        )
        out[term] = (tables, checked)
    return out


def test_malformed_student_ids_are_warned_row_by_row(id_terms):
    tables, _ = id_terms["2023-2"]
    w = "【警告】学校 001 清河区实验学校，工作表「学业成绩」，"
    assert _texts(tables["issues"], school_code="001", rule="malformed_student_id") == [
        w + f"第 3 行，全国学籍号=“G37990120100901001”：学籍号“G37990120100901001”为 G 加 17 位，{FORM}{ADVICE}"
        "（已保留，不参与跨学期匹配）",
        w + f"第 4 行，全国学籍号=“G3799012010090100123”：学籍号“G3799012010090100123”为 G 加 19 位，{FORM}{ADVICE}"
        "（已保留，不参与跨学期匹配）",
        w
        + "第 5 行，全国学籍号=“37990120100315002X”：学籍号“37990120100315002X”缺少开头的字母 G（18 位身份证号前应加 G）"
        f"{ADVICE}（已保留，不参与跨学期匹配）",
        w + f"第 6 行，全国学籍号=“G3799012O100315002X”：学籍号“G3799012O100315002X”中含有“O”，{FORM}{ADVICE}"
        "（已保留，不参与跨学期匹配）",
        w + "第 8 行，全国学籍号=“G37990120101301003X”：学籍号“G37990120101301003X”中的出生日期（身份证号第 7–14 位）"
        f"“20101301”不是有效日期{ADVICE}（已保留，不参与跨学期匹配）",
    ]
    # only 学业成绩's 学籍号 are checked (the other sheets are not linked across terms); school 002: nothing
    assert set(tables["issues"].query("rule == 'malformed_student_id'")["sheet"]) == {sheets.SCORES.name}
    assert not len(tables["issues"].query("school_code == '002'"))
    _balanced(tables)


def test_malformed_student_ids_stay_in_the_terms_statistics(id_terms):
    tables, checked = id_terms["2023-2"]
    st = checked.tables["students"].query("school_code == '001'")
    assert st[["excel_row", "student_id", "id_valid"]].values.tolist() == [
        [r, sid if r != 7 else "G379902201011200031", ok] for r, sid, ok in ID_ROWS
    ]
    sc = checked.tables["scores"].query("school_code == '001' and subject == '数学'")
    assert sc["status"].tolist() == ["scored"] * len(ID_ROWS)
    assert sc["id_valid"].tolist() == [ok for _, _, ok in ID_ROWS]
    ret = checked.tables["returns"].set_index("school_code")
    assert ret.loc["001", "usable"] and ret.loc["001", "status"] == STATUS_KEPT  # rows kept, school to check
    assert ret.loc["002", "status"] == STATUS_OK


def test_malformed_student_ids_are_kept_out_of_the_cross_term_link(id_terms):
    prior, current = id_terms["2023-1"][1].tables, id_terms["2023-2"][1].tables
    linked, rates = link_prior(current["scores"], prior["scores"], PARAMS)
    maths = linked.query("school_code == '001' and subject == '数学'").set_index("student_id")
    valid = {"G379901201005050049", "G379902201011200031"}
    # the malformed ids are written the same way in both terms, and still never linked
    assert maths["matched"].to_dict() == {sid: sid in valid for sid in maths.index}
    assert maths.loc["G379901201005050049", "prior"] == 12.0  # 2023-1: 10 + row 2
    assert maths.loc["G37990120100901001", ["prior", "prior_school_code"]].isna().all()
    r = rates.query("school_code == '001' and subject == '数学'").iloc[0]
    assert (r["tested_n"], r["matched_n"]) == (len(ID_ROWS), 2)  # counted as tested, not matched
    other = linked.query("school_code == '002'")
    assert len(other) and other["matched"].all()


def test_link_prior_without_the_column_treats_ids_as_linkable(id_terms):
    """A hand-made scores table without id_valid (as older measure tests build them) links as before."""
    prior, current = id_terms["2023-1"][1].tables, id_terms["2023-2"][1].tables
    linked, _ = link_prior(current["scores"].drop(columns="id_valid"), prior["scores"].drop(columns="id_valid"), PARAMS)
    assert linked.query("school_code == '001'")["matched"].all()


def test_terms_module_label_matches_its_reader():
    for name in ("2022-1", "2022-2", "2023-1", "2023-2"):
        term = Term(int(name[:4]), int(name[-1]))
        assert read_term_label(term.label) == term


def _clean_one_return(root: Path, ret: dict) -> dict:
    """The clean tables of a term whose only return is school 002's ``ret``."""
    term_dir = root / "data" / "raw" / fx.TERM
    fx.write_office(term_dir)
    fx.write_workbook(term_dir / "002.xlsx", ret)
    return clean_term(Catalog(fx.TERM, root))


def test_unknown_subject_column_counts_its_unread_cells(tmp_path: Path):
    ret = fx.simple_return("002", "清河区第一小学")
    scores = [list(r) for r in ret[sheets.SCORES.name]]
    scores[0].append("信息技术")  # J: a subject the exam spec does not list for any grade
    scores[1].append(95)
    ret[sheets.SCORES.name] = scores
    tables = _clean_one_return(tmp_path, ret)
    assert _texts(tables["issues"], school_code="002") == [
        "【警告】学校 002 清河区第一小学，工作表「学业成绩」，第 1 行，信息技术=“信息技术”：无法识别的列“信息技术”（J 列），"
        "不属于本表或不是本学期考试学科，该列 1 个非空单元格未读取；如是考试学科，请核对学科名称（已忽略）"
    ]
    # the row itself is read (and accounted); the 信息技术 cell gives no score
    _balanced(tables)
    assert len(tables["students"]) == 1 and "信息技术" not in set(tables["scores"]["subject"])


def test_missing_term_row_is_a_warning(tmp_path):
    ret = fx.simple_return("002", "清河区第一小学")
    ret[sheets.INFO.name] = [r for r in ret[sheets.INFO.name] if r[:1] != ["学期"]]
    tables = _clean_one_return(tmp_path, ret)
    assert _texts(tables["issues"], school_code="002") == [
        "【警告】学校 002 清河区第一小学，工作表「学校信息」：缺少“学期”一项，已按文件“002.xlsx”所在的文件夹 "
        "2023-2（2023-2024学年第二学期）处理；请填写“2023-2024学年第二学期”（已保留，请核对）"
    ]
    _balanced(tables)
