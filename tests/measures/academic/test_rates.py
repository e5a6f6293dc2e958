"""Tests for tqa.measures.academic.rates on a hand fixture; every expected number is worked out in the comments.

Fixture (methodology defaults: pass >= 60 %, excellent >= 85 %, low < 40 % of full marks):
  S001 城一小 城区, S002 城二小 城区, S003 乡一小 乡镇, S004 农一小 农村 (usable = False: ignored).
  Grade 3: 语文 full 100 (lines 60 / 85 / 40), 数学 full 120 (lines 72 / 102 / 48), both 分数.
  Grade 1: 语文 等级 (levels: pass 优秀/良好/合格, excellent 优秀, low 待合格).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.rows import INVALID, score_row
from tqa.core.ordering import subject_sort_key
from tqa.core.vocabulary import ABSENT, EXEMPT
from tqa.measures.academic import rates as scoring
from tqa.params import ParamsError, override
from tqa.schema.tables import SCORES

ABS, EXE, BAD = ABSENT, EXEMPT, INVALID


def _row(school, grade, class_no, sid, subject, value):
    return score_row(school, sid, grade, subject, value, class_no=class_no)


def _students(school, grade, subject, values, classes=None):
    classes = classes or [1] * len(values)
    return [
        _row(school, grade, c, f"{school}-{grade}-{i}", subject, v) for i, (c, v) in enumerate(zip(classes, values))
    ]


@pytest.fixture
def tables():
    rows = [
        # S001 grade 3 语文: classes 1,1,1,2,2,2,1  (the 免考 student is in class 1, the 缺考 in class 2)
        *_students("S001", 3, "语文", [90, 85, 60, 59, 30, ABS, EXE], classes=[1, 1, 1, 2, 2, 2, 1]),
        *_students("S001", 3, "数学", [102, 101.9, 72, 71, 47.5, ABS, EXE], classes=[1, 1, 1, 2, 2, 2, 1]),
        *_students("S002", 3, "语文", [95, 70, 62, 50, 35, BAD]),
        *_students("S002", 3, "数学", [120, 90, 72.4, 64, 48, ABS]),
        *_students("S003", 3, "语文", [80, 64, ABS, ABS]),  # S003 has no 数学 rows at all
        *_students("S004", 3, "语文", [100, 100]),  # not usable
        *_students("S001", 1, "语文", ["优秀", "良好", "待合格", "合格"]),
        *_students("S002", 1, "语文", ["优秀", "优秀", EXE, ("scored", 90)]),
    ]
    scores = pd.DataFrame(rows)
    enrolment = pd.DataFrame(
        {
            "school_code": ["S001", "S002", "S003", "S004", "S001", "S002", "S003"],
            "grade": [3, 3, 3, 3, 1, 1, 1],
            "enrolled": [7, 6, 4, 2, 4, 4, 0],  # S003 grade 1: enrolment 0 -> no rows
        }
    )
    enrolment["enrolled"] = enrolment["enrolled"].astype("Int64")
    returns = pd.DataFrame(
        {
            "school_code": ["S001", "S002", "S003", "S004"],
            "school_name": ["城一小", "城二小", "乡一小", "农一小"],
            "school_type": ["小学"] * 4,
            "category": ["城区", "城区", "乡镇", "农村"],
            "usable": [True, True, True, False],
        }
    )
    spec = pd.DataFrame(
        {
            "grade": [3, 3, 1],
            "subject": ["数学", "语文", "语文"],
            "full_marks": [120.0, 100.0, 100.0],
            "mode": ["分数", "分数", "等级"],
        }
    )
    return scores, enrolment, returns, spec


def _one(stats, level, unit, grade, subject):
    sel = stats[
        (stats["level"] == level)
        & (stats["unit_code"] == unit)
        & (stats["grade"] == grade)
        & (stats["subject"] == subject)
    ]
    assert len(sel) == 1, (level, unit, grade, subject, len(sel))
    return sel.iloc[0]


@pytest.fixture
def stats(tables, params):
    return scoring.subject_stats(*tables, params)


# ---- lines -------------------------------------------------------------------------------


def test_lines_in_marks_and_float_noise(params):
    spec = pd.DataFrame(
        {
            "grade": [3, 3, 1],
            "subject": ["数学", "语文", "语文"],
            "full_marks": [120.0, 100.0, 100.0],
            "mode": ["分数", "分数", "等级"],
        }
    )
    lines = scoring.exam_lines(spec, params).set_index(["grade", "subject"])
    # 120 x 0.60 = 72, 120 x 0.85 = 102, 120 x 0.40 = 48
    assert lines.loc[(3, "数学"), ["pass_line", "excellent_line", "low_line"]].tolist() == [72.0, 102.0, 48.0]
    assert lines.loc[(3, "语文"), ["pass_line", "excellent_line", "low_line"]].tolist() == [60.0, 85.0, 40.0]
    assert lines.loc[(1, "语文"), ["pass_line", "excellent_line", "low_line"]].isna().all()
    # 0.57 x 100 is 56.99999999999999 in floats; the line must be exactly 57 so that 56.99 is not a pass
    p = override(params, {"rates": {"default": {"pass": 0.57}}})
    scored = scoring.score_with_lines(
        pd.DataFrame([_row("S", 3, 1, "a", "语文", 56.999999), _row("S", 3, 1, "b", "语文", 57)]), spec, p
    )
    assert scored["pass_line"].tolist() == [57.0, 57.0]
    assert scored["is_pass"].tolist() == [False, True]


def test_score_with_lines_flags(tables, params):
    scores, _, _, spec = tables
    s = scoring.score_with_lines(scores, spec, params)
    s001 = s[(s["school_code"] == "S001") & (s["grade"] == 3) & (s["subject"] == "语文")]
    # 90 85 60 59 30 缺考 免考
    assert s001["is_tested"].tolist() == [True] * 5 + [False, False]
    assert s001["is_pass"].tolist() == [True, True, True, False, False, False, False]  # >= 60
    assert s001["is_excellent"].tolist() == [True, True, False, False, False, False, False]  # >= 85
    assert s001["is_low"].tolist() == [False, False, False, False, True, False, False]  # < 40
    assert s001["is_absent"].sum() == 1 and s001["is_exempt"].sum() == 1
    # a number in a level-graded paper is counted invalid, not tested
    mismatch = s[(s["school_code"] == "S002") & (s["grade"] == 1) & (s["raw_value"] == "('scored', 90)")]
    assert mismatch["is_invalid"].tolist() == [True] and mismatch["is_tested"].tolist() == [False]


# ---- school level ------------------------------------------------------------------------


def test_school_rates_mean_sd_participation(stats):
    r = _one(stats, "school", "S001", 3, "语文")
    assert (r["unit_name"], r["category"], r["full_marks"], r["mode"]) == ("城一小", "城区", 100.0, "分数")
    assert (r["pass_line"], r["excellent_line"], r["low_line"]) == (60.0, 85.0, 40.0)
    # scores 90 85 60 59 30; one 缺考, one 免考; enrolled 7
    assert (r["enrolled"], r["listed_n"], r["tested_n"], r["absent_n"], r["exempt_n"], r["invalid_n"]) == (
        7,
        7,
        5,
        1,
        1,
        0,
    )
    assert r["mean"] == pytest.approx(324 / 5)  # 64.8
    # deviations 25.2 20.2 -4.8 -5.8 -34.8; squares sum 2310.8; / (5-1) = 577.7
    assert r["sd"] == pytest.approx(math.sqrt(577.7))
    assert (r["min"], r["max"]) == (30.0, 90.0)
    assert (r["pass_n"], r["excellent_n"], r["low_n"]) == (3, 2, 1)  # >=60: 90 85 60; >=85: 90 85; <40: 30
    assert (r["pass_rate"], r["excellent_rate"], r["low_rate"]) == pytest.approx((0.6, 0.4, 0.2))
    # participation = tested / (enrolled - exempt) = 5 / (7 - 1)
    assert r["participation_denominator"] == 6
    assert r["participation"] == pytest.approx(5 / 6)

    r = _one(stats, "school", "S002", 3, "语文")
    # 95 70 62 50 35 and one unreadable cell (invalid: counted, not tested); enrolled 6
    assert (r["tested_n"], r["invalid_n"], r["absent_n"], r["exempt_n"]) == (5, 1, 0, 0)
    assert r["mean"] == pytest.approx(312 / 5)  # 62.4
    # deviations 32.6 7.6 -0.4 -12.4 -27.4; squares 2025.2 / 4 = 506.3
    assert r["sd"] == pytest.approx(math.sqrt(506.3))
    assert (r["pass_n"], r["excellent_n"], r["low_n"]) == (3, 1, 1)
    assert r["participation"] == pytest.approx(5 / 6)  # 5 / (6 - 0)

    r = _one(stats, "school", "S003", 3, "语文")
    # 80 64, two 缺考; enrolled 4: mean 72, sd sqrt((8^2 + 8^2) / 1) = sqrt(128)
    assert (r["tested_n"], r["absent_n"]) == (2, 2)
    assert r["mean"] == pytest.approx(72.0) and r["sd"] == pytest.approx(math.sqrt(128))
    assert (r["pass_rate"], r["excellent_rate"], r["low_rate"]) == (1.0, 0.0, 0.0)
    assert r["participation"] == pytest.approx(0.5)  # 2 / 4


def test_math_full_marks_120(stats):
    r = _one(stats, "school", "S001", 3, "数学")
    # 102 101.9 72 71 47.5 against 72 / 102 / 48: pass 102 101.9 72; excellent 102; low 47.5
    assert (r["pass_n"], r["excellent_n"], r["low_n"]) == (3, 1, 1)
    assert r["mean"] == pytest.approx(394.4 / 5)  # 78.88
    r = _one(stats, "school", "S002", 3, "数学")
    # 120 90 72.4 64 48: pass 120 90 72.4; excellent 120; low none (48 is not < 48)
    assert (r["pass_n"], r["excellent_n"], r["low_n"], r["absent_n"]) == (3, 1, 0, 1)
    assert r["mean"] == pytest.approx(394.4 / 5)  # the same mean as S001: a tie


def test_school_with_enrolment_but_nobody_tested(stats):
    r = _one(stats, "school", "S003", 3, "数学")  # enrolled 4, no 数学 rows
    assert (r["enrolled"], r["tested_n"], r["pass_n"]) == (4, 0, 0)
    for col in ("mean", "sd", "pass_rate", "excellent_rate", "low_rate"):
        assert pd.isna(r[col]), col
    assert r["participation"] == 0.0  # 0 / 4: nobody sat the paper
    for col in (
        "rank_district",
        "rank_category",
        "pass_rate_rank_district",
        "low_rate_rank_category",
        "n_ranked_district",
    ):
        assert pd.isna(r[col]), col


def test_unusable_and_zero_enrolment_schools_are_left_out(stats):
    assert "S004" not in set(stats["unit_code"])
    assert "农村" not in set(stats["unit_code"])
    assert stats[(stats["unit_code"] == "S003") & (stats["grade"] == 1)].empty  # enrolled 0, no rows


# ---- pooled levels -----------------------------------------------------------------------


def test_category_and_district_are_pooled_not_averaged(stats):
    city = _one(stats, "category", "城区", 3, "语文")
    # S001 + S002: tested 5 + 5; pass 3 + 3; excellent 2 + 1; low 1 + 1
    assert (city["unit_name"], city["category"]) == ("城区", "城区")
    assert (city["tested_n"], city["pass_n"], city["excellent_n"], city["low_n"]) == (10, 6, 3, 2)
    assert city["excellent_rate"] == pytest.approx(0.3)
    assert city["mean"] == pytest.approx((324 + 312) / 10)  # 63.6
    # enrolled 7 + 6 = 13, exempt 1: participation 10 / 12
    assert (city["enrolled"], city["exempt_n"], city["invalid_n"], city["absent_n"]) == (13, 1, 1, 1)
    assert city["participation"] == pytest.approx(10 / 12)

    d = _one(stats, "district", "district", 3, "语文")
    assert (d["unit_name"], d["level"]) == ("全区", "district") and pd.isna(d["category"])
    # S001 + S002 + S003 (S004 not usable): tested 12; pass 3+3+2 = 8; excellent 2+1+0 = 3; low 1+1+0 = 2
    assert (d["tested_n"], d["pass_n"], d["excellent_n"], d["low_n"]) == (12, 8, 3, 2)
    assert d["pass_rate"] == pytest.approx(8 / 12)  # 0.6667, while the mean of school rates is
    assert d["pass_rate"] != pytest.approx((0.6 + 0.6 + 1.0) / 3)  # 0.7333
    assert d["excellent_rate"] == pytest.approx(3 / 12)  # 0.25 vs mean of school rates 0.2
    assert d["low_rate"] == pytest.approx(2 / 12)  # 0.1667 vs 0.1333
    assert d["mean"] == pytest.approx(780 / 12)  # 65.0, while the mean of school means is 66.4
    assert d["mean"] != pytest.approx((64.8 + 62.4 + 72) / 3)
    # all 12 scores, mean 65: squared deviations 625 400 25 36 1225 900 25 9 225 900 225 1 = 4596
    assert d["sd"] == pytest.approx(math.sqrt(4596 / 11))
    assert (d["min"], d["max"]) == (30.0, 95.0)
    # enrolled 7 + 6 + 4 = 17, exempt 1: 12 / 16
    assert (d["enrolled"], d["participation"]) == (17, pytest.approx(0.75))

    dm = _one(stats, "district", "district", 3, "数学")
    # S003 had nobody tested but its enrolment counts: tested 10 of 7 + 6 + 4 - 1 exempt = 16
    assert (dm["tested_n"], dm["enrolled"], dm["pass_n"], dm["low_n"]) == (10, 17, 6, 1)
    assert dm["participation"] == pytest.approx(10 / 16)
    rural = _one(stats, "category", "乡镇", 3, "数学")
    assert rural["tested_n"] == 0 and pd.isna(rural["pass_rate"]) and rural["participation"] == 0.0


# ---- ranks -------------------------------------------------------------------------------


def _ranks(stats, grade, subject, col):
    sch = stats[(stats["level"] == "school") & (stats["grade"] == grade) & (stats["subject"] == subject)]
    return dict(zip(sch["unit_code"], sch[col].astype("object").where(sch[col].notna(), None)))


def test_ranks_with_ties(stats):
    # 语文 means: S003 72 > S001 64.8 > S002 62.4
    assert _ranks(stats, 3, "语文", "rank_district") == {"S001": 2, "S002": 3, "S003": 1}
    assert _ranks(stats, 3, "语文", "rank_category") == {"S001": 1, "S002": 2, "S003": 1}
    assert _ranks(stats, 3, "语文", "n_ranked_district") == {"S001": 3, "S002": 3, "S003": 3}
    assert _ranks(stats, 3, "语文", "n_ranked_category") == {"S001": 2, "S002": 2, "S003": 1}
    assert set(stats["rank_by"]) == {"mean"}
    # pass rates 0.6, 0.6, 1.0: the tie shares rank 2 (method min)
    assert _ranks(stats, 3, "语文", "pass_rate_rank_district") == {"S001": 2, "S002": 2, "S003": 1}
    # excellent 0.4, 0.2, 0.0
    assert _ranks(stats, 3, "语文", "excellent_rate_rank_district") == {"S001": 1, "S002": 2, "S003": 3}
    # low 0.2, 0.2, 0.0: lower is better
    assert _ranks(stats, 3, "语文", "low_rate_rank_district") == {"S001": 2, "S002": 2, "S003": 1}
    # 数学: equal means 78.88 (sums in different orders) tie at 1; S003 (tested 0) is not ranked
    assert _ranks(stats, 3, "数学", "rank_district") == {"S001": 1, "S002": 1, "S003": None}
    assert _ranks(stats, 3, "数学", "n_ranked_district") == {"S001": 2, "S002": 2, "S003": None}
    assert _ranks(stats, 3, "数学", "low_rate_rank_district") == {"S001": 2, "S002": 1, "S003": None}
    # pooled rows carry no ranks
    pooled = stats[stats["level"] != "school"]
    assert pooled["rank_district"].isna().all() and pooled["n_ranked_district"].isna().all()


def test_rank_by_param(tables, params):
    stats = scoring.subject_stats(*tables, override(params, {"ranking": {"rank_by": "excellent_rate"}}))
    assert _ranks(stats, 3, "语文", "rank_district") == {"S001": 1, "S002": 2, "S003": 3}
    with pytest.raises(ParamsError, match="ranking.rank_by：应为 .*mean.* 之一"):
        override(params, {"ranking": {"rank_by": "no_such_metric"}})


# ---- level-graded papers -----------------------------------------------------------------


def test_level_graded_subject(stats):
    r = _one(stats, "school", "S001", 1, "语文")
    # 优秀 良好 待合格 合格: pass 3, excellent 1, low 1 of 4; no marks, so no mean / sd / lines
    assert (r["mode"], r["tested_n"], r["pass_n"], r["excellent_n"], r["low_n"]) == ("等级", 4, 3, 1, 1)
    assert (r["pass_rate"], r["excellent_rate"], r["low_rate"]) == (0.75, 0.25, 0.25)
    for col in ("mean", "sd", "min", "max", "pass_line", "excellent_line", "low_line", "rank_district"):
        assert pd.isna(r[col]), col
    assert r["n_ranked_district"] == 0  # nothing to rank by mean
    r = _one(stats, "school", "S002", 1, "语文")
    # 优秀 优秀, one 免考, one number in a level paper (invalid); enrolled 4: participation 2 / (4 - 1)
    assert (r["tested_n"], r["exempt_n"], r["invalid_n"], r["pass_n"], r["excellent_n"]) == (2, 1, 1, 2, 2)
    assert r["participation"] == pytest.approx(2 / 3)
    assert _ranks(stats, 1, "语文", "pass_rate_rank_district") == {"S001": 2, "S002": 1}
    d = _one(stats, "district", "district", 1, "语文")
    assert (d["tested_n"], d["pass_n"], d["excellent_n"], d["low_n"]) == (6, 5, 3, 1)
    assert d["pass_rate"] == pytest.approx(5 / 6)


def test_level_mapping_from_params(tables, params):
    p = override(params, {"levels": {"excellent": ["优秀", "良好"]}})
    r = _one(scoring.subject_stats(*tables, p), "school", "S001", 1, "语文")
    assert r["excellent_n"] == 2  # 优秀 + 良好


# ---- parameters --------------------------------------------------------------------------


def test_threshold_overrides_by_band_and_subject(tables, params):
    p = override(
        params,
        {
            "rates": {
                "overrides": [
                    {"band": "小学中段", "excellent": 0.80},  # grade 3, all subjects: 语文 line 80, 数学 line 96
                    {"band": "小学中段", "subject": "数学", "low": 0.30},  # grade 3 数学 low line 36
                    {"band": "初中", "pass": 0.99},  # another band: no effect on grade 3
                ]
            }
        },
    )
    stats = scoring.subject_stats(*tables, p)
    r = _one(stats, "school", "S003", 3, "语文")  # 80 64: 80 is now excellent
    assert (r["excellent_line"], r["excellent_n"], r["excellent_rate"]) == (80.0, 1, 0.5)
    assert (r["pass_line"], r["low_line"]) == (60.0, 40.0)
    r = _one(stats, "school", "S001", 3, "数学")  # 102 101.9 72 71 47.5
    assert (r["excellent_line"], r["low_line"]) == (96.0, 36.0)
    assert (r["excellent_n"], r["low_n"]) == (2, 0)  # was 1 and 1
    r = _one(stats, "school", "S001", 3, "语文")  # low line unchanged at 40: 30 is still low
    assert (r["low_line"], r["low_n"]) == (40.0, 1)
    d = _one(stats, "district", "district", 3, "语文")
    assert d["excellent_n"] == 4  # 90 85 95 80


def test_participation_without_excluding_exempt(tables, params):
    p = override(params, {"participation": {"exclude_exempt_from_enrolled": False}})
    stats = scoring.subject_stats(*tables, p)
    assert _one(stats, "school", "S001", 3, "语文")["participation"] == pytest.approx(5 / 7)
    assert _one(stats, "district", "district", 3, "语文")["participation"] == pytest.approx(12 / 17)


# ---- shape and order ---------------------------------------------------------------------


def test_columns_and_deterministic_order(tables, params, stats):
    assert list(stats.columns) == list(SCORES["subject_stats"].names)
    keys = list(zip(stats["level"], stats["unit_code"], stats["grade"], stats["subject"]))
    assert keys == [
        ("school", "S001", 1, "语文"),
        ("school", "S001", 3, "语文"),
        ("school", "S001", 3, "数学"),
        ("school", "S002", 1, "语文"),
        ("school", "S002", 3, "语文"),
        ("school", "S002", 3, "数学"),
        ("school", "S003", 3, "语文"),
        ("school", "S003", 3, "数学"),
        ("category", "城区", 1, "语文"),
        ("category", "城区", 3, "语文"),
        ("category", "城区", 3, "数学"),
        ("category", "乡镇", 3, "语文"),
        ("category", "乡镇", 3, "数学"),
        ("district", "district", 1, "语文"),
        ("district", "district", 3, "语文"),
        ("district", "district", 3, "数学"),
    ]
    # shuffled input gives the identical frame
    scores, enrolment, returns, spec = tables
    again = scoring.subject_stats(
        scores.sample(frac=1, random_state=1), enrolment.iloc[::-1], returns.iloc[::-1], spec.iloc[::-1], params
    )
    pd.testing.assert_frame_equal(stats, again)


def test_subject_sort_key():
    subjects = pd.Series(["化学", "美术", "语文", "音乐", "数学", "道德与法治"])
    ordered = subjects.iloc[subject_sort_key(subjects).argsort()].tolist()
    assert ordered[:4] == ["语文", "数学", "道德与法治", "化学"]
    assert ordered[4:] == sorted(["美术", "音乐"])


# ---- classes -----------------------------------------------------------------------------


def test_class_stats(tables, params):
    scores, _, _, spec = tables
    cs = scoring.class_stats(scores, spec, params)
    assert list(cs.columns) == list(scoring.CLASS_STATS_COLUMNS)
    s1 = cs[(cs["school_code"] == "S001") & (cs["grade"] == 3) & (cs["subject"] == "语文")].set_index("class_no")
    c1, c2 = s1.loc[1], s1.loc[2]
    # class 1: 90 85 60 + 免考 -> tested 3, mean 235/3, pass 3/3, excellent 2/3, participation 3/(4-1)
    assert (c1["listed_n"], c1["tested_n"], c1["exempt_n"], c1["pass_n"], c1["excellent_n"]) == (4, 3, 1, 3, 2)
    assert c1["mean"] == pytest.approx(235 / 3) and c1["participation"] == 1.0
    # class 2: 59 30 + 缺考 -> tested 2, mean 44.5, sd sqrt(2 x 14.5^2), low 1/2, participation 2/3
    assert (c2["tested_n"], c2["absent_n"], c2["pass_n"], c2["low_n"]) == (2, 1, 0, 1)
    assert c2["mean"] == 44.5 and c2["sd"] == pytest.approx(math.sqrt(2 * 14.5**2))
    assert c2["low_rate"] == 0.5 and c2["participation"] == pytest.approx(2 / 3)
    # rows are sorted by school, grade, class, subject (语文 before 数学)
    first = cs.iloc[:3][["school_code", "grade", "class_no", "subject"]].values.tolist()
    assert first == [["S001", 1, 1, "语文"], ["S001", 3, 1, "语文"], ["S001", 3, 1, "数学"]]


def test_rank_ignores_float_noise(params):
    # 90.3 + 72.9 + 89.3 + 58.1 and 76.1 + 80.4 + 97.6 + 56.5 are both 310.6, mean 77.65, but the float
    # group means differ (77.64999999999999 vs 77.65): they must still tie.
    a, b = [90.3, 72.9, 89.3, 58.1], [76.1, 80.4, 97.6, 56.5]
    raw = pd.DataFrame({"k": ["a"] * 4 + ["b"] * 4, "v": a + b}).groupby("k")["v"].mean()
    assert raw["a"] != raw["b"]
    scores = pd.DataFrame(
        [
            *_students("A", 7, "数学", a),
            *_students("B", 7, "数学", b),
            *_students("C", 7, "数学", [80.0, 80.0, 80.0, 80.0]),
        ]
    )
    enrolment = pd.DataFrame({"school_code": ["A", "B", "C"], "grade": [7, 7, 7], "enrolled": [4, 4, 4]})
    returns = pd.DataFrame(
        {
            "school_code": ["A", "B", "C"],
            "school_name": ["甲", "乙", "丙"],
            "school_type": ["初中"] * 3,
            "category": ["城区", "乡镇", "城区"],
        }
    )
    spec = pd.DataFrame({"grade": [7], "subject": ["数学"], "full_marks": [100.0], "mode": ["分数"]})
    stats = scoring.subject_stats(scores, enrolment, returns, spec, params)
    assert _ranks(stats, 7, "数学", "rank_district") == {"C": 1, "A": 2, "B": 2}
    assert _ranks(stats, 7, "数学", "rank_category") == {"C": 1, "A": 2, "B": 1}
