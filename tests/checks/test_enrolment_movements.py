"""「学校信息」's movements (转入, 转出, 辍学, 死亡) against the grade's enrolment: an impossible start of term and
implausible movements (a typing slip, most likely) set the grade's counts aside, as a count out of range does
(warnings: the run goes on, the school checks and re-sends), and every message names the school, the sheet,
the Excel row and the values."""

from __future__ import annotations

import pandas as pd

from checks.test_checks import PARAMS, SUITES, clean_tables, run
from helpers import cleanfixtures as fx
from helpers import params_with
from tqa.checks import run_checks
from tqa.checks.step import issue_text
from tqa.clean import clean_term
from tqa.io.catalog import Catalog
from tqa.io.office import read_exam_spec, read_registry
from tqa.schema import sheets

MOVEMENT_RULES = (
    "enrolment_start_negative",
    "enrolment_leaving_share",
    "enrolment_arriving_share",
    "enrolment_movement_too_large",
)


def movement_issues(res) -> pd.DataFrame:
    issues = res.issues
    return issues.loc[issues["rule"].isin(MOVEMENT_RULES)].reset_index(drop=True)


def test_impossible_and_implausible_movements_in_a_workbook(tmp_path):
    term_dir = tmp_path / "data" / "raw" / fx.TERM
    fx.write_office(term_dir)
    bad = fx.simple_return("005", "清河区实验中学", students=(("G905", "乙", "七年级", 1, "女", 80, 81, 82, 83),))
    bad[sheets.INFO.name] = fx.info_rows(
        "005",
        "清河区实验中学",
        enrolment=(
            ("七年级", 21, 0, 500, 0, 0),  # row 8: 500 left a grade that has 21 left: 95% of 521
            ("八年级", 20, 30, 0, 0, 0),  # row 9: 30 arrived, 20 are there: the start would be -10
            ("九年级", 300, 0, 0, 999, 0),  # row 10: 999 dropouts
        ),
    )
    fx.write_workbook(term_dir / "005.xlsx", bad)
    fx.write_workbook(term_dir / "001.xlsx", fx.simple_return("001", "清河区实验学校"))
    catalog = Catalog(fx.TERM, tmp_path)
    tables = clean_term(catalog, workers=1)
    res = run_checks(tables, read_registry(catalog.registry), read_exam_spec(catalog.exam_spec), PARAMS, SUITES)
    got = [issue_text(rec) for rec in movement_issues(res).to_dict("records")]
    where = "学校 005 清河区实验中学，工作表「学校信息」，"
    assert got == [
        "【警告】" + where + "第 8 行，转出=“500”：7 年级本学期转出 500 人，超过一个年级一学期可能的变动（200 人）；"
        "请学校核对（该年级的人数记录不予采用（不计算参考率），请学校核对后重报）",
        "【警告】"
        + where
        + "第 8 行，转出、辍学、死亡=“500”：7 年级本学期转出 500 人、辍学 0 人、死亡 0 人，共 500 人，"
        "占学期初人数 521（由在籍 21 人推算）的 95%，超过 50%；请学校核对这几项人数（该年级的人数记录不予采用（不计算参考率），请学校核对后重报）",
        "【警告】" + where + "第 9 行，转入=“30”：8 年级在籍 20 人，本学期转入 30 人、转出 0 人、辍学 0 人、死亡 0 人："
        "学期初人数推算为 -10（在籍 − 转入 + 转出 + 辍学 + 死亡），人数不可能为负，转入人数或在籍人数有误"
        "（该年级的人数记录不予采用（不计算参考率），请学校核对在籍人数和转入人数）",
        "【警告】"
        + where
        + "第 10 行，转出、辍学、死亡=“999”：9 年级本学期转出 0 人、辍学 999 人、死亡 0 人，共 999 人，"
        "占学期初人数 1299（由在籍 300 人推算）的 76%，超过 50%；请学校核对这几项人数（该年级的人数记录不予采用（不计算参考率），请学校核对后重报）",
        "【警告】" + where + "第 10 行，辍学=“999”：9 年级本学期辍学 999 人，超过一个年级一学期可能的变动（200 人）；"
        "请学校核对（该年级的人数记录不予采用（不计算参考率），请学校核对后重报）",
    ]
    # the grades' counts are set aside (no participation rate for them)
    kept = res.tables["enrolment"]
    assert kept.loc[kept["school_code"] == "005", "grade"].tolist() == []
    # the other school is untouched, and every raw row is still accounted for
    assert movement_issues(res)["school_code"].unique().tolist() == ["005"]
    assert kept.loc[kept["school_code"] == "001"].equals(
        tables["enrolment"].loc[tables["enrolment"]["school_code"] == "001"]
    )
    acc = tables["accounting"]
    assert (acc["nonempty_rows"] == acc["clean_rows"] + acc["rejected_rows"]).all()
    status = res.tables["returns"].set_index("school_code")["status"]
    assert status["005"] == "部分记录已剔除" and status["001"] == "无问题"


def test_plausible_movements_pass_and_the_limits_come_from_params():
    t = clean_tables()
    en = t["enrolment"]
    en.loc[0, ["enrolled", "transferred_in", "transferred_out", "dropped_out", "died"]] = [40, 3, 5, 1, 1]
    assert movement_issues(run(t)).empty
    # 7 of the 44 at the start left (15%): flagged below that share; the largest movement (转出 5) above 2
    strict = run(t, params=params_with({"checks": {"enrolment_movement_max_share": 0.1, "enrolment_movement_max": 2}}))
    got = movement_issues(strict)[["rule", "column", "value"]].values.tolist()
    assert got == [
        ["enrolment_movement_too_large", "转出", "5"],
        ["enrolment_leaving_share", "转出、辍学、死亡", "7"],
    ]
    assert movement_issues(strict)["message"].iloc[1].endswith("的 15%，超过 10%；请学校核对这几项人数")


def test_arrivals_above_the_share_of_enrolment_are_flagged_once():
    t = clean_tables()
    t["enrolment"].loc[0, ["enrolled", "transferred_in"]] = [10, 8]
    (hit,) = movement_issues(run(t)).to_dict("records")
    assert hit["rule"] == "enrolment_arriving_share" and hit["excel_row"] == 11
    assert hit["message"] == "3 年级本学期转入 8 人，占在籍人数 10 的 80%，超过 50%；请学校核对转入人数"


def test_negative_or_blank_counts_are_left_to_the_range_checks():
    t = clean_tables()
    en = t["enrolment"]
    en.loc[0, "transferred_in"] = -3  # the range check sets the row aside
    en.loc[1, "transferred_out"] = pd.NA  # unreadable in the return: counts as 0 here
    res = run(t)
    assert movement_issues(res).empty
    assert "transferred_in_out_of_range" in set(res.issues["rule"])


def test_counts_that_are_not_whole_numbers_are_dropped_with_the_value_quoted(tmp_path):
    term_dir = tmp_path / "data" / "raw" / fx.TERM
    fx.write_office(term_dir)
    ret = fx.simple_return("005", "清河区实验中学")
    ret[sheets.INFO.name] = fx.info_rows("005", "清河区实验中学", enrolment=(("七年级", 21, 2.5, "十", 0, 0),))
    fx.write_workbook(term_dir / "005.xlsx", ret)
    tables = clean_term(Catalog(fx.TERM, tmp_path), workers=1)
    issues = tables["issues"].loc[tables["issues"]["rule"] == "unreadable_value"]
    assert issues[["excel_row", "column", "value", "message"]].values.tolist() == [
        [8, "转入", "2.5", "转入“2.5”应为整数"],
        [8, "转出", "十", "转出“十”无法识别为数值"],
    ]
    assert tables["enrolment"][["enrolled", "transferred_in", "transferred_out"]].values.tolist() == [
        [21, pd.NA, pd.NA]
    ]
    acc = tables["accounting"]
    assert (acc["nonempty_rows"] == acc["clean_rows"] + acc["rejected_rows"]).all()
