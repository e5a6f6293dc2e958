"""控辍保学: last term's students followed into this term's returns by 学籍号 (tqa.checks.reconcile), the issues
it raises (suspected_leaver, unreported_arrival) and the roll check (roll_mismatch), on small hand-built districts
whose every count is worked out by hand below."""

from __future__ import annotations

import pandas as pd

from checks.test_checks import PARAMS, SUITES, clean_tables, exam_spec, registry
from tqa.checks import run_checks
from tqa.checks.reconcile import reconcile
from tqa.checks.step import issue_text
from tqa.core.issues import sets_data_aside
from tqa.schema import sheets

S = sheets.SCORES.name
INFO = sheets.INFO.name
REG = pd.DataFrame(
    {
        "school_code": ["001", "002", "003", "004"],
        "school_name": ["城东小学", "城西小学", "北山中学", "南岭小学"],
        "school_type": ["小学", "小学", "初中", "小学"],
        "category": ["城区", "城区", "乡镇", "农村"],
    }
)


def students(rows, valid=True) -> pd.DataFrame:
    """(school, student_id, name, grade) rows, Excel rows from 2 per school."""
    out, seen = [], {}
    for code, sid, name, grade in rows:
        seen[code] = seen.get(code, 1) + 1
        out.append((code, S, seen[code], sid, name, grade, 1, "男", valid if sid != "bad" else False))
    cols = ["school_code", "sheet", "excel_row", "student_id", "name", "grade", "class_no", "sex", "id_valid"]
    return pd.DataFrame(out, columns=cols)


def block(rows) -> pd.DataFrame:
    """(school, grade, enrolled, in, out, dropped, died) rows of 学校信息, Excel rows from 8 per school."""
    out, seen = [], {}
    for code, grade, enrolled, t_in, t_out, dropped, died in rows:
        seen[code] = seen.get(code, 7) + 1
        out.append((code, INFO, seen[code], grade, enrolled, t_in, t_out, dropped, died))
    cols = ["school_code", "sheet", "excel_row", "grade", "enrolled", "transferred_in", "transferred_out"]
    return pd.DataFrame(out, columns=[*cols, "dropped_out", "died"])


# Spring term 2023-2 against autumn 2023-1 (one school year: grades stay).
PREV = students(
    [
        ("001", "s1", "甲一", 3),  # stays
        ("001", "s2", "甲二", 3),  # found at 002: a move within the district
        ("001", "s3", "甲三", 3),  # nowhere: the reported dropout
        ("001", "s4", "甲四", 3),  # nowhere: left the district (the second transfer out)
        ("001", "s5", "甲五", 3),  # nowhere, nothing left to explain it
        ("001", "bad", "甲六", 3),  # malformed 学籍号: never linked
        ("001", "s7", "甲七", 4),  # nowhere: the reported death
        ("002", "s8", "乙一", 3),  # stays
        ("003", "s9", "丙一", 9),  # nowhere: grade 9 in a spring term has not graduated yet
        ("004", "s10", "丁一", 2),  # 004 sent no students this term: not checked
    ]
)
CUR = students(
    [
        ("001", "s1", "甲一", 3),
        ("001", "n1", "新一", 3),  # new, 001 reported no transfer in
        ("002", "s8", "乙一", 3),
        ("002", "s2", "甲二", 3),  # from 001: uses one of 002's two transfers in
        ("002", "n2", "新二", 3),  # new: the second transfer in
        ("003", "n3", "新三", 7),  # new in grade 7 of a spring term: not an intake, no transfer in
    ]
)
ENROL = block(
    [
        ("001", 3, 2, 0, 2, 1, 0),  # row 8
        ("001", 4, 0, 0, 0, 0, 1),  # row 9
        ("002", 3, 3, 2, 0, 0, 0),  # row 8
        ("003", 7, 1, 0, 0, 0, 0),  # row 8
        ("003", 9, 0, 0, 0, 0, 0),  # row 9
    ]
)


def counts_of(rec, code, grade) -> dict:
    row = rec.counts.set_index(["school_code", "grade"]).loc[(code, grade)]
    return {k: int(v) for k, v in row.items()}


def test_the_spring_term_reconciliation_counts_every_case():
    rec = reconcile(PREV, CUR, ENROL, REG, "2023-2", [1, 7])
    assert rec.graduated_n == 0
    # 001 grade 3: 5 linkable students; s1 stayed, s2 moved, s3 s4 s5 nowhere. Transfers out 2, one used by s2:
    # 1 left + 1 dropout + 0 deaths explain 2 of the 3; 1 suspected. New: n1, no transfer in: 1 unexplained.
    assert counts_of(rec, "001", 3) == {
        "prev_n": 5,
        "stayed_n": 1,
        "moved_out_n": 1,
        "missing_n": 3,
        "unchecked_n": 0,
        "transferred_out": 2,
        "dropped_out": 1,
        "died": 0,
        "unreported_moves_out_n": 0,
        "leaving_capacity_n": 2,
        "explained_n": 2,
        "suspected_leavers_n": 1,
        "new_n": 1,
        "moved_in_n": 0,
        "transferred_in": 0,
        "unreported_moves_in_n": 0,
        "unexplained_arrivals_n": 1,
    }
    # 001 grade 4: s7 nowhere, one death reported: explained.
    c = counts_of(rec, "001", 4)
    assert (c["missing_n"], c["died"], c["explained_n"], c["suspected_leavers_n"]) == (1, 1, 1, 0)
    # 002 grade 3: s2 arrived from 001 (first transfer in), n2 new (second): nothing unexplained.
    c = counts_of(rec, "002", 3)
    assert (c["stayed_n"], c["moved_in_n"], c["new_n"], c["transferred_in"], c["unexplained_arrivals_n"]) == (
        1,
        1,
        1,
        2,
        0,
    )
    # 003 grade 9: s9 nowhere, nothing reported. 003 grade 7: n3 new, no transfer in.
    assert counts_of(rec, "003", 9)["suspected_leavers_n"] == 1
    assert counts_of(rec, "003", 7)["unexplained_arrivals_n"] == 1
    # 004 sent no students: its student is not checked, never suspected.
    c = counts_of(rec, "004", 2)
    assert (c["prev_n"], c["unchecked_n"], c["missing_n"], c["suspected_leavers_n"]) == (1, 1, 0, 0)
    # The listed students: every student found nowhere, flagged where the grade is not covered.
    assert rec.leavers[["school_code", "student_id", "unexplained"]].values.tolist() == [
        ["001", "s3", True],
        ["001", "s4", True],
        ["001", "s5", True],
        ["001", "s7", False],
        ["003", "s9", True],
    ]
    assert rec.arrivals[["school_code", "student_id", "unexplained"]].values.tolist() == [
        ["001", "n1", True],
        ["002", "n2", False],
        ["003", "n3", True],
    ]


def test_a_move_within_the_district_beyond_the_reported_transfers_is_counted():
    enrol = ENROL.copy()
    enrol.loc[(enrol["school_code"] == "001") & (enrol["grade"] == 3), "transferred_out"] = 0
    rec = reconcile(PREV, CUR, enrol, REG, "2023-2", [1, 7])
    c = counts_of(rec, "001", 3)
    # no transfer out for s2's move: 1 unreported move; only the dropout explains one of s3 s4 s5
    assert (c["unreported_moves_out_n"], c["leaving_capacity_n"], c["suspected_leavers_n"]) == (1, 1, 2)


# Autumn term 2024-1 against spring 2023-2 (a new school year: grades advance, the last grades graduate).
PREV_SPRING = students(
    [
        ("001", "g1", "毕一", 6),  # graduates from a 小学
        ("001", "p1", "升一", 5),  # now in grade 6, found
        ("003", "g2", "毕二", 9),  # graduates from an 初中
        ("003", "m1", "升二", 8),  # now in grade 9, nowhere: the reported dropout (grade 9 of this term's block)
        ("003", "m2", "升三", 8),  # now in grade 9, nowhere: not covered
    ]
)
CUR_AUTUMN = students(
    [
        ("001", "p1", "升一", 6),
        ("001", "f1", "新生", 1),  # intake grade: not an arrival
        ("003", "g1", "毕一", 7),  # last term's graduate of 001: promotion, neither a move nor an arrival
        ("003", "f2", "新生二", 7),  # intake grade
        ("003", "t1", "插班", 8),  # new in grade 8: an arrival to explain
    ]
)
ENROL_AUTUMN = block([("003", 7, 2, 0, 0, 0, 0), ("003", 8, 1, 1, 0, 0, 0), ("003", 9, 0, 0, 0, 1, 0)])


def test_across_school_years_grades_advance_and_graduates_are_not_leavers():
    rec = reconcile(PREV_SPRING, CUR_AUTUMN, ENROL_AUTUMN, REG, "2024-1", [1, 7])
    assert rec.graduated_n == 2
    c = counts_of(rec, "003", 9)
    assert (c["prev_n"], c["missing_n"], c["dropped_out"], c["explained_n"], c["suspected_leavers_n"]) == (
        2,
        2,
        1,
        1,
        1,
    )
    assert counts_of(rec, "001", 6)["stayed_n"] == 1
    assert rec.leavers[["student_id", "prev_grade", "grade"]].values.tolist() == [["m1", 8, 9], ["m2", 8, 9]]
    # t1 is explained by grade 8's transfer in; intake grades and the promoted graduate are not arrivals
    assert rec.arrivals[["student_id", "unexplained"]].values.tolist() == [["t1", False]]
    assert set(rec.counts["grade"]) == {6, 8, 9}


# ---- through the checks step: the exact messages, and no previous term -----------------------------------
def test_suspected_leavers_and_unreported_arrivals_are_listed_student_by_student():
    res = run_checks(
        {"students": CUR, "enrolment": ENROL},
        REG,
        exam_spec(),
        PARAMS,
        SUITES,
        previous_students=PREV,
        term="2023-2",
    )
    issues = res.issues
    leavers = issues.loc[issues["rule"] == "suspected_leaver"]
    where = "学校 001 城东小学，工作表「学校信息」，第 8 行，转出、辍学、死亡="
    text = [issue_text(r) for r in leavers.to_dict("records")]
    body = (
        "2023-2024学年第一学期在本校 3 年级，本学期不在全区任何学校的报表中。本校 3 年级有 3 名上学期的学生不见于任何报表；"
        "本学期报告转出 2 人、辍学 1 人、死亡 0 人，其中转出人数先抵在区内其他学校找到的 1 人，只能说明 2 人，"
        "1 人去向不明（疑似流失）。请说明该生去向；已转出、辍学或死亡的，请补报「学校信息」中 3 年级的人数（已保留，请核对）"
    )
    assert text == [
        "【警告】" + where + "“s3”：学生甲三（学籍号 s3）" + body,
        "【警告】" + where + "“s4”：学生甲四（学籍号 s4）" + body,
        "【警告】" + where + "“s5”：学生甲五（学籍号 s5）" + body,
        "【警告】学校 003 北山中学，工作表「学校信息」，第 9 行，转出、辍学、死亡=“s9”：学生丙一（学籍号 s9）"
        "2023-2024学年第一学期在本校 9 年级，本学期不在全区任何学校的报表中。本校 9 年级有 1 名上学期的学生不见于任何报表；"
        "本学期报告转出 0 人、辍学 0 人、死亡 0 人，其中转出人数先抵在区内其他学校找到的 0 人，只能说明 0 人，"
        "1 人去向不明（疑似流失）。请说明该生去向；已转出、辍学或死亡的，请补报「学校信息」中 9 年级的人数（已保留，请核对）",
    ]
    assert set(leavers["severity"]) == {"warning"}
    arrivals = issues.loc[issues["rule"] == "unreported_arrival"]
    assert [issue_text(r) for r in arrivals.to_dict("records")] == [
        "【警告】学校 001 城东小学，工作表「学业成绩」，第 3 行，学籍号=“n1”：学生新一（学籍号 n1）在本校 3 年级，"
        "2023-2024学年第一学期不在全区任何学校的报表中。本校 3 年级有 1 名这样的新学生；本学期报告转入 0 人，"
        "其中先抵从区内其他学校转来的 0 人，还有 1 人没有转入记录。请核对该生的学籍号；确为转入的，"
        "请补报「学校信息」中 3 年级的转入人数（已保留，请核对）",
        "【警告】学校 003 北山中学，工作表「学业成绩」，第 2 行，学籍号=“n3”：学生新三（学籍号 n3）在本校 7 年级，"
        "2023-2024学年第一学期不在全区任何学校的报表中。本校 7 年级有 1 名这样的新学生；本学期报告转入 0 人，"
        "其中先抵从区内其他学校转来的 0 人，还有 1 人没有转入记录。请核对该生的学籍号；确为转入的，"
        "请补报「学校信息」中 7 年级的转入人数（已保留，请核对）",
    ]
    # kept for the school to explain: nothing is set aside over it
    both = pd.concat([leavers, arrivals])
    assert not any(sets_data_aside(sev, act) for sev, act in zip(both["severity"], both["action"]))
    table = res.tables["enrolment_reconciliation"]
    assert table["previous_term"].unique().tolist() == ["2023-1"]
    assert table.loc[table["school_code"] == "001", "suspected_leavers_n"].tolist() == [1, 0]


def test_without_the_previous_term_nothing_is_compared():
    res = run_checks({"students": CUR, "enrolment": ENROL}, REG, exam_spec(), PARAMS, SUITES, term="2023-2")
    assert not res.issues["rule"].isin(["suspected_leaver", "unreported_arrival"]).any()
    assert len(res.tables["enrolment_reconciliation"]) == 0
    assert list(res.tables["enrolment_reconciliation"].columns)[:3] == ["school_code", "grade", "previous_term"]


# ---- 在籍人数 against the students of 学业成绩 -------------------------------------------------------------
def test_roll_mismatch_needs_both_tolerances():
    t = clean_tables()
    enrol = t["enrolment"]
    tested = t["students"].groupby(["school_code", "grade"]).size()
    t["enrolment"] = enrol.assign(
        enrolled=[int(tested.get((c, g), 0)) for c, g in zip(enrol["school_code"], enrol["grade"])]
    )
    first = t["enrolment"].index[0]
    code, grade = t["enrolment"].loc[first, ["school_code", "grade"]]
    n = int(tested.get((code, grade), 0))
    # shipped: a gap of 5 or more and 10 % or more of 在籍人数. n + 4 students: under the count, no warning.
    t["enrolment"].loc[first, "enrolled"] = n + 4
    res = run_checks(t, registry(), exam_spec(), PARAMS, SUITES)
    assert "roll_mismatch" not in set(res.issues["rule"])
    t["enrolment"].loc[first, "enrolled"] = n + 5  # 5 of n + 5 (n small): both reached
    res = run_checks(t, registry(), exam_spec(), PARAMS, SUITES)
    hit = res.issues.loc[res.issues["rule"] == "roll_mismatch"]
    row = int(t["enrolment"].loc[first, "excel_row"])
    name = dict(zip(registry()["school_code"], registry()["school_name"]))[code]
    assert [issue_text(r) for r in hit.to_dict("records")] == [
        f"【警告】学校 {code} {name}，工作表「学校信息」，第 {row} 行，在籍人数=“{n + 5}”：{grade} 年级填报在籍 {n + 5} 人，"
        f"「学业成绩」中该年级有 {n} 名学生，相差 5 人（提示界限：相差 5 人及以上、且达到在籍人数的 10%）；"
        "请学校核对在籍人数，或补全「学业成绩」中的学生（已保留，请核对）"
    ]
    assert len(res.tables["enrolment"]) == len(t["enrolment"])  # kept
