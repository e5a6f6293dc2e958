"""教学常规's plausibility checks: more lessons evaluated than observed, and more lessons than a term's teaching
days allow, are flagged for review (warnings, rows kept), each message naming the staff member, the school,
the sheet and the Excel row; a negative or out-of-range number is already set aside by the sheet's range checks,
and is not flagged a second time."""

from __future__ import annotations

import pandas as pd

from checks.test_checks import clean_tables, only, run, set_row
from helpers import params_with
from tqa.checks.step import issue_text
from tqa.schema import sheets

RULES = ("routine_evaluated_over_observed", "routine_over_teaching_days")
WHERE = "学校 001 城东小学，工作表「教学常规」，"


def with_staff(rows) -> dict[str, pd.DataFrame]:
    """The fixture district with 001's 教学常规 replaced by ``rows`` (Excel row, name, role, observed, evaluated)."""
    t = clean_tables()
    rt = t["routine"]
    extra = pd.DataFrame(
        [("001", sheets.ROUTINE.name, r, name, role, o, e, 40.0) for r, name, role, o, e in rows], columns=rt.columns
    )
    t["routine"] = pd.concat([rt[rt["school_code"] != "001"], extra], ignore_index=True)
    return t


def texts(res) -> list[str]:
    issues = res.issues.loc[res.issues["rule"].isin(RULES)]
    return [issue_text(rec) for rec in issues.sort_values(["excel_row", "rule"]).to_dict("records")]


def test_more_evaluated_than_observed_is_flagged_and_kept():
    res = run(with_staff([(2, "张明", "校长", 30, 31), (3, "李华", "教师", 12, 12)]))  # equal is fine
    assert texts(res) == [
        "【警告】" + WHERE + "第 2 行，评课节数=“31”：张明（校长）本学期评课 31 节，多于听课 30 节："
        "评课以听课为前提，请学校核对这两个数（已保留，请核对）"
    ]
    kept = res.tables["routine"]
    assert "张明" in set(kept["staff_name"])  # kept in the statistics
    assert res.tables["returns"].set_index("school_code").loc["001", "status"] == "有待核对（记录已保留）"


def test_more_lessons_than_the_teaching_days_allow_is_flagged_and_kept():
    # shipped: 18 weeks x 5 days = 90 teaching days, at most 4 lessons a day: 360 lessons a term
    rows = [(2, "王强", "业务副校长", 360, 20), (3, "赵丽", "中层", 361, 20), (4, "钱进", "教师", 400, 450)]
    res = run(with_staff(rows))
    assert texts(res) == [
        "【警告】"
        + WHERE
        + "第 3 行，听课节数=“361”：赵丽（中层）本学期听课 361 节、评课 20 节：听课节数超过一学期 90 个"
        "教学日、每天最多 4 节所能达到的 360 节，请学校核对（已保留，请核对）",
        "【警告】" + WHERE + "第 4 行，评课节数=“450”：钱进（教师）本学期评课 450 节，多于听课 400 节："
        "评课以听课为前提，请学校核对这两个数（已保留，请核对）",
        "【警告】" + WHERE + "第 4 行，听课、评课节数=“450”：钱进（教师）本学期听课 400 节、评课 450 节：听课、评课节数"
        "超过一学期 90 个教学日、每天最多 4 节所能达到的 360 节，请学校核对（已保留，请核对）",
    ]
    assert len(res.tables["routine"].query("school_code == '001'")) == 3


def test_the_limit_comes_from_params():
    strict = params_with({"routine": {"teaching_weeks": 10, "max_lessons_per_day": 1}})  # 50 lessons a term
    res = run(with_staff([(2, "孙悦", "中层", 30, 51)]), params=strict)
    (hit,) = only(res, "routine_over_teaching_days").to_dict("records")
    assert (hit["excel_row"], hit["column"], hit["value"]) == (2, "评课节数", "51")
    assert hit["message"].endswith("评课节数超过一学期 50 个教学日、每天最多 1 节所能达到的 50 节，请学校核对")


def test_negative_or_impossible_numbers_are_set_aside_by_the_range_checks_alone():
    # -1 evaluated (observed 5): the range check sets the row aside; 评课 − 听课 is not computed from it
    t = with_staff([(2, "周平", "教师", 5, 9), (3, "吴迪", "中层", 501, 20)])
    t["routine"] = set_row(t["routine"], t["routine"]["staff_name"] == "周平", lessons_observed=-1)
    res = run(t)
    assert only(res, "routine_out_of_range_lessons_observed")["excel_row"].tolist() == [2, 3]
    assert res.issues.loc[res.issues["rule"].isin(RULES)].empty
    assert "周平" not in set(res.tables["routine"]["staff_name"])
