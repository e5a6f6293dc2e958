"""Tests for tqa.measures.academic.totals: 总分 per school, category and district, with hand-computed values.

Grade 3 has two score-graded papers, 语文 and 数学 (100 each): full marks 200, lines 120 / 170 / 80 (60% / 85% /
40% of each paper, summed). Grade 1 语文 is level-graded (no total). (语文, 数学) pairs, total in brackets:
  school  category  with a total                             n   mean   pass  exc  low  incomplete
  A       城区      20 x (90, 90) [180], 20 x (70, 70) [140]  40  160    40    20   0    2: 数学 缺考; no 数学 row
  B       城区      15 x (30, 40) [70], 15 x (60, 60) [120]   30  95     15    0    15   2: 数学 免考; 语文 invalid
  C       乡镇      5 x (50, 50) [100]                        5   100    0     0    0    (n < 10: withheld)
  D       乡镇      10 x (95, 95) [190], 10 x (85, 90) [175]  20  182.5  20    20   0
  E       农村      9 x (100, 100) [200], 1 x (50, 50) [100]  10  190    9     9    0
  城区 70 students, (6400 + 2850) / 70 = 132.142857; 乡镇 25, (500 + 3650) / 25 = 166;
  district 105, (6400 + 2850 + 500 + 3650 + 1900) / 105 = 145.714286; pass 84, excellent 49, low 15.
A 120 on the total is a pass (>= the line) although B's (60, 60) students pass each paper only just.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from helpers import shipped_params
from helpers.rows import INVALID, score_row
from tqa.core.vocabulary import ABSENT, EXEMPT
from tqa.measures import cohorts
from tqa.measures.academic import totals
from tqa.measures.catalog import Measures
from tqa.schema.tables import SCORES

SPEC = pd.DataFrame(
    {
        "grade": [1, 3, 3],
        "subject": ["语文", "语文", "数学"],
        "full_marks": [np.nan, 100.0, 100.0],
        "mode": ["等级", "分数", "分数"],
    }
)
PAIRS = {
    "A": [(90, 90)] * 20 + [(70, 70)] * 20,
    "B": [(30, 40)] * 15 + [(60, 60)] * 15,
    "C": [(50, 50)] * 5,
    "D": [(95, 95)] * 10 + [(85, 90)] * 10,
    "E": [(100, 100)] * 9 + [(50, 50)],
}
CATEGORY = {"A": "城区", "B": "城区", "C": "乡镇", "D": "乡镇", "E": "农村"}
TOTALS = {school: np.array([a + b for a, b in pairs], dtype=float) for school, pairs in PAIRS.items()}


@pytest.fixture(scope="module")
def scores():
    recs = []
    for school, pairs in PAIRS.items():
        for i, (chinese, maths) in enumerate(pairs):
            sid = f"{school}{i:03d}"
            recs += [score_row(school, sid, 3, "语文", chinese), score_row(school, sid, 3, "数学", maths)]
    recs += [
        score_row("A", "A-absent", 3, "语文", 80),
        score_row("A", "A-absent", 3, "数学", ABSENT),
        score_row("A", "A-no-maths", 3, "语文", 80),  # the sheet has no 数学 for this student
        score_row("B", "B-exempt", 3, "语文", 60),
        score_row("B", "B-exempt", 3, "数学", EXEMPT),
        score_row("B", "B-invalid", 3, "语文", INVALID),
        score_row("B", "B-invalid", 3, "数学", 60),
        score_row("A", "A000", 3, "英语", 10),  # not a paper of the exam spec: no part of the total
        score_row("A", "A-g1", 1, "语文", "优秀"),  # level-graded: no total
    ]
    return pd.DataFrame(recs)


@pytest.fixture(scope="module")
def returns():
    return pd.DataFrame(
        {
            "school_code": [*CATEGORY, "X"],
            "school_name": [f"{c}校" for c in [*CATEGORY, "X"]],
            "category": [*CATEGORY.values(), "城区"],
            "usable": [True] * len(CATEGORY) + [False],
        }
    )


@pytest.fixture(scope="module")
def table(scores, returns):
    unusable = pd.DataFrame([score_row("X", f"X{i}", 3, s, 0) for i in range(30) for s in ("语文", "数学")])
    return totals.total_stats(pd.concat([scores, unusable], ignore_index=True), returns, SPEC, shipped_params())


def _row(df, level, unit):
    return df[(df["level"] == level) & (df["unit_code"] == unit)].iloc[0]


def test_grade_papers_sum_the_papers_full_marks_and_lines(params, with_params):
    papers = totals.grade_papers(SPEC, params)
    assert papers.to_dict("records") == [
        {
            "grade": 3,
            "subjects": "语文、数学",
            "n_papers": 2,
            "full_marks": 200.0,
            "pass_line": 120.0,
            "excellent_line": 170.0,
            "low_line": 80.0,
        }
    ]
    # a paper with its own share counts with that share: 85 + 0.9 x 100
    own = with_params({"rates": {"overrides": [{"grade": 3, "subject": "数学", "excellent": 0.9}]}})
    assert totals.grade_papers(SPEC, own).loc[0, "excellent_line"] == 175.0


def test_a_student_missing_a_paper_has_no_total_and_counts_as_incomplete(scores, params):
    st = totals.student_totals(scores, SPEC, params).set_index("student_id")
    assert set(st.index) == {f"{s}{i:03d}" for s, p in PAIRS.items() for i in range(len(p))} | {
        "A-absent",
        "A-no-maths",
        "B-exempt",
        "B-invalid",
    }  # the level-graded grade 1 has no total
    for sid in ("A-absent", "A-no-maths", "B-exempt", "B-invalid"):
        assert not st.loc[sid, "complete"] and math.isnan(st.loc[sid, "total"]), sid
        assert not (st.loc[sid, "is_pass"] or st.loc[sid, "is_excellent"] or st.loc[sid, "is_low"])
    assert st.loc["A-absent", "papers_tested"] == 1 and st.loc["A-no-maths", "papers_tested"] == 1
    assert st.loc["A000", "total"] == 180.0 and st.loc["A000", "complete"]  # 英语 (not in the spec) ignored
    assert st.loc["B000", "total"] == 70.0 and st.loc["B000", "is_low"] and not st.loc["B000", "is_pass"]
    assert st.loc["B020", "total"] == 120.0 and st.loc["B020", "is_pass"]  # on the line: a pass


def test_a_student_listed_twice_on_a_paper_has_no_total(params):
    rows = pd.DataFrame(
        [
            score_row("A", "1", 3, "语文", 80),
            score_row("A", "1", 3, "语文", 70),
            score_row("A", "1", 3, "数学", 80),
            score_row("A", "2", 3, "语文", 80.1),
            score_row("A", "2", 3, "数学", 39.9),
        ]
    )
    st = totals.student_totals(rows, SPEC, params).set_index("student_id")
    assert not st.loc["1", "complete"] and math.isnan(st.loc["1", "total"])
    assert st.loc["2", "total"] == 120.0 and st.loc["2", "is_pass"]  # 80.1 + 39.9 is exactly 120, a pass


def test_school_rows_hand_values(table):
    a, b, d, e = (_row(table, "school", u) for u in "ABDE")
    assert (a["tested_n"], a["incomplete_n"], a["mean"]) == (40, 2, 160.0)
    assert (a["pass_n"], a["excellent_n"], a["low_n"]) == (40, 20, 0)
    assert (a["pass_rate"], a["excellent_rate"], a["low_rate"]) == (1.0, 0.5, 0.0)
    assert a["sd"] == pytest.approx(math.sqrt(40 * 400 / 39))
    assert (b["tested_n"], b["incomplete_n"], b["mean"]) == (30, 2, 95.0)
    assert (b["pass_rate"], b["excellent_rate"], b["low_rate"]) == (0.5, 0.0, 0.5)
    assert (d["tested_n"], d["mean"], d["excellent_rate"]) == (20, 182.5, 1.0)
    assert (e["tested_n"], e["mean"], e["pass_n"]) == (10, 190.0, 9)
    for r in (a, b, d, e):
        assert (r["subjects"], r["n_papers"], r["full_marks"]) == ("语文、数学", 2, 200.0)
        assert (r["pass_line"], r["excellent_line"], r["low_line"]) == (120.0, 170.0, 80.0)
    assert (a["unit_name"], a["category"]) == ("A校", "城区")
    assert set(table["grade"]) == {3}  # no total for the level-graded grade 1
    assert "X" not in set(table["unit_code"])  # not usable


def test_mean_interval_and_wilson_intervals(table):
    a, b, e = (_row(table, "school", u) for u in "ABE")
    half = sps.t.ppf(0.975, 39) * math.sqrt(16000 / 39) / math.sqrt(40)
    assert (a["mean_lo"], a["mean_hi"]) == pytest.approx((160 - half, 160 + half))
    # E: 9 x 200 and 1 x 100, sd sqrt(1000); 190 + t(9) x 10 would pass the full marks: clipped to 200
    assert e["sd"] == pytest.approx(math.sqrt(1000))
    assert e["mean_lo"] == pytest.approx(190 - sps.t.ppf(0.975, 9) * 10) and e["mean_hi"] == 200.0
    # Wilson for B's pass rate, 15 / 30
    z, n, p = sps.norm.ppf(0.975), 30, 0.5
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    w = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert (b["pass_rate_lo"], b["pass_rate_hi"]) == pytest.approx((centre - w, centre + w))
    assert a["pass_rate_hi"] == 1.0 and a["pass_rate_lo"] < 1.0


def test_category_and_district_rows_pool_the_students(table):
    urban, rural_town = _row(table, "category", "城区"), _row(table, "category", "乡镇")
    assert (urban["tested_n"], urban["incomplete_n"], urban["pass_n"], urban["low_n"]) == (70, 4, 55, 15)
    assert urban["mean"] == pytest.approx(9250 / 70)
    assert urban["sd"] == pytest.approx(np.concatenate([TOTALS["A"], TOTALS["B"]]).std(ddof=1))
    assert (urban["unit_name"], urban["category"]) == ("城区", "城区")
    assert (rural_town["tested_n"], rural_town["mean"], rural_town["pass_rate"]) == (25, 166.0, 20 / 25)
    dist = _row(table, "district", "district")
    everyone = np.concatenate(list(TOTALS.values()))
    assert (dist["tested_n"], dist["incomplete_n"]) == (105, 4)
    assert dist["mean"] == pytest.approx(15300 / 105)
    assert dist["sd"] == pytest.approx(everyone.std(ddof=1))
    assert (dist["pass_n"], dist["excellent_n"], dist["low_n"]) == (84, 49, 15)
    assert dist["pass_rate"] == pytest.approx(84 / 105)
    assert dist["unit_name"] == "全区" and pd.isna(dist["category"])
    assert pd.isna(dist["mean_band"]) and math.isnan(urban["mean_diff"])  # bands are for schools
    # order: schools, categories (城区, 乡镇, 农村), district
    assert table["unit_code"].tolist() == [*"ABCDE", "城区", "乡镇", "农村", "district"]


def test_bands_against_the_district_as_for_a_paper(table):
    everyone = np.concatenate(list(TOTALS.values()))
    sd_d = everyone.std(ddof=1)
    for school, band in (("B", "明显低于"), ("D", "明显高于")):
        x = TOTALS[school]
        rest = np.concatenate([v for k, v in TOTALS.items() if k != school])
        f = len(x) / len(everyone)
        se = (1 - f) * math.sqrt(x.var(ddof=1) / len(x) + rest.var(ddof=1) / len(rest))
        t = sps.t.ppf(0.975, len(x) - 1)
        diff = x.mean() - everyone.mean()
        r = _row(table, "school", school)
        assert r["mean_diff"] == pytest.approx(diff)
        assert r["mean_diff_z"] == pytest.approx(diff / sd_d)
        assert (r["mean_diff_z_lo"], r["mean_diff_z_hi"]) == pytest.approx(
            ((diff - t * se) / sd_d, (diff + t * se) / sd_d)
        )
        assert r["mean_band"] == band
    # A: 160 against 145.7, 0.36 district SDs, the interval above 0: 高于, not 明显 (cut 0.5)
    a = _row(table, "school", "A")
    assert a["mean_diff_z_lo"] > 0 and a["mean_diff_z"] < 0.5 and a["mean_band"] == "高于"


def test_small_cohorts_status_and_withholding(table, params):
    by = {u: _row(table, "school", u) for u in "ACD"}
    assert [by[u]["sample_status"] for u in "ACD"] == ["公布", "人数过少，不公布", "样本较小"]
    assert by["A"]["publishable"] and by["D"]["publishable"] and not by["C"]["publishable"]
    c = by["C"]
    assert c["mean"] == 100.0 and pd.isna(c["mean_band"]) and math.isnan(c["mean_diff"])  # kept, not banded
    shown = cohorts.withhold(table, SCORES["total_stats"].withhold, params)
    c = _row(shown, "school", "C")
    for col in ("mean", "sd", "mean_lo", "mean_hi", "pass_rate", "pass_rate_lo", "pass_n", "low_rate"):
        assert pd.isna(c[col]), col
    assert (c["tested_n"], c["incomplete_n"], c["full_marks"], c["pass_line"]) == (5, 0, 200.0, 120.0)
    assert (c["subjects"], c["sample_status"]) == ("语文、数学", "人数过少，不公布")
    others = shown["unit_code"] != "C"  # the others untouched (counts become nullable integers)
    pd.testing.assert_frame_equal(shown[others], table[others], check_dtype=False)


def test_the_catalog_measure_reads_only_its_declared_params(scores, returns, params):
    out = Measures(params).total_stats(scores, returns, SPEC)
    assert list(out.columns) == list(SCORES["total_stats"].names)
    assert len(out) == 5 + 3 + 1


def test_nothing_score_graded_gives_an_empty_table(returns, params):
    rows = pd.DataFrame([score_row("A", "1", 1, "语文", "优秀")])
    out = totals.total_stats(rows, returns, SPEC, params)
    assert out.empty and list(out.columns) == list(SCORES["total_stats"].names)
