"""Tests for tqa.measures.academic.students: tiers, 临界生 and targets, by hand.

Rows come from scoring.score_with_lines with the methodology defaults (pass 60 %, excellent 85 %, low 40 %).
Grade 3 语文 full 100: lines 60 / 85. Grade 7 数学 full 120: lines 72 / 102.
Tiers: 优生 >= 85 %, 学困生 < 60 %; 临界 margin 5 % of full marks (5 marks for 语文, 6 for 数学).
  语文 class 1: 90 85 | 84.9 80 79.9 60 | 59 55 54.9 | 缺考
                优生 x2 | 中等生 x4        | 学困生 x3
                临界优秀 [80, 85): 84.9, 80;  临界及格 [55, 60): 59, 55
  语文 class 2: 70 (中等生)
  数学 class 1: 102 (优生: 0.85 x 120 = 102.00000000000001 rounded to 102), 101 (中等生, 临界优秀 [96, 102)),
                71.9 (学困生, 临界及格 [66, 72))
"""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.rows import score_row
from tqa.measures.academic import rates as scoring
from tqa.measures.academic import students, targets
from tqa.params import override


def _row(sid, grade, class_no, subject, value):
    return score_row("S001", sid, grade, subject, value, class_no=class_no)


@pytest.fixture
def rows(params):
    yw1 = [90, 85, 84.9, 80, 79.9, 60, 59, 55, 54.9, "缺考"]
    recs = [_row(f"y{i}", 3, 1, "语文", v) for i, v in enumerate(yw1)]
    recs.append(_row("z0", 3, 2, "语文", 70))
    recs += [_row(f"m{i}", 7, 1, "数学", v) for i, v in enumerate([102, 101, 71.9])]
    spec = pd.DataFrame(
        {"grade": [3, 7], "subject": ["语文", "数学"], "full_marks": [100, 120], "mode": ["分数", "分数"]}
    )
    return scoring.score_with_lines(pd.DataFrame(recs), spec, params)


def test_tiers(rows, params):
    tiered = students.student_tiers(rows, params)
    assert len(tiered) == 13  # the absent student has no tier
    by = dict(zip(tiered["student_id"], tiered["tier"]))
    assert [by[f"y{i}"] for i in range(9)] == ["优生"] * 2 + ["中等生"] * 4 + ["学困生"] * 3
    assert (by["m0"], by["m1"], by["m2"]) == ("优生", "中等生", "学困生")
    counts = students.tier_counts(tiered).set_index(["grade", "class_no", "subject"])
    c1 = counts.loc[(3, 1, "语文")]
    assert (c1["top_n"], c1["middle_n"], c1["struggling_n"], c1["tested_n"]) == (2, 4, 3, 9)
    assert c1["struggling_share"] == pytest.approx(3 / 9)
    c2 = counts.loc[(3, 2, "语文")]
    assert (c2["top_n"], c2["middle_n"], c2["struggling_n"]) == (0, 1, 0)


def test_tier_thresholds_from_params(rows, params):
    tiered = students.student_tiers(rows, override(params, {"tiers": {"top": 0.90, "struggling_below": 0.40}}))
    by = dict(zip(tiered["student_id"], tiered["tier"]))
    assert (by["y0"], by["y1"], by["y8"]) == ("优生", "中等生", "中等生")


def test_borderline(rows, params):
    border = students.borderline_students(rows, params)
    got = {(r.student_id, r.borderline) for r in border.itertuples()}
    assert got == {
        ("y2", "临界优秀"),
        ("y3", "临界优秀"),
        ("y6", "临界及格"),
        ("y7", "临界及格"),
        ("m1", "临界优秀"),
        ("m2", "临界及格"),
    }
    gap = border.set_index("student_id")["gap"]
    assert gap["y2"] == pytest.approx(0.1) and gap["m2"] == pytest.approx(0.1) and gap["y7"] == 5
    counts = students.borderline_counts(border).set_index(["grade", "class_no", "subject"])
    assert tuple(counts.loc[(3, 1, "语文"), ["near_pass_n", "near_excellent_n"]]) == (2, 2)
    assert tuple(counts.loc[(7, 1, "数学"), ["near_pass_n", "near_excellent_n"]]) == (1, 1)
    wide = students.borderline_students(rows, override(params, {"borderline": {"margin": 0.10}}))
    assert set(wide.loc[wide["borderline"] == "临界及格", "student_id"]) == {"y6", "y7", "y8", "m2"}


TARGETS = {
    "targets": {
        "default": {"pass_rate": 0.90, "excellent_rate": 0.30, "low_rate_max": 0.05},
        "overrides": [
            {"band": "初中", "pass_rate": 0.80, "low_rate_max": 0.10},
            {"grade": 7, "subject": "数学", "excellent_rate": None},
        ],
    }
}


def test_targets_for(params):
    p = override(params, TARGETS)
    assert p.targets_for(3, "语文") == {"pass_rate": 0.90, "excellent_rate": 0.30, "low_rate_max": 0.05}
    assert p.targets_for(8, "语文") == {"pass_rate": 0.80, "excellent_rate": 0.30, "low_rate_max": 0.10}
    assert p.targets_for(7, "数学") == {"pass_rate": 0.80, "low_rate_max": 0.10}


def test_target_attainment(params):
    stats = pd.DataFrame(
        [
            # A: 27/30 pass = 0.9 (exactly the target), 0.25 excellent, 0.05 low
            ("school", "A", 3, "语文", 30, 27 / 30, 0.25, 0.05),
            ("school", "B", 7, "数学", 40, 0.75, 0.20, 0.12),
            ("school", "C", 3, "语文", 0, float("nan"), float("nan"), float("nan")),
            ("district", "district", 3, "语文", 30, float("nan"), 0.40, 0.0),
        ],
        columns=["level", "unit_code", "grade", "subject", "tested_n", "pass_rate", "excellent_rate", "low_rate"],
    )
    stats = stats.assign(unit_name=stats["unit_code"], category="城区")
    out = targets.target_attainment(stats, override(params, TARGETS))
    t = out.set_index(["unit_code", "indicator"])
    assert bool(t.loc[("A", "pass_rate"), "met"]) and t.loc[("A", "pass_rate"), "gap"] == 0
    assert not bool(t.loc[("A", "excellent_rate"), "met"])
    assert t.loc[("A", "excellent_rate"), "gap"] == pytest.approx(-0.05)
    assert bool(t.loc[("A", "low_rate"), "met"]) and t.loc[("A", "low_rate"), "kind"] == "不高于"
    assert t.loc[("B", "pass_rate"), "gap"] == pytest.approx(-0.05)
    assert t.loc[("B", "low_rate"), "gap"] == pytest.approx(-0.02)  # ceiling: 0.10 - 0.12
    assert ("B", "excellent_rate") not in t.index  # target removed for 7 数学
    assert "C" not in set(out["unit_code"])  # nobody tested
    assert pd.isna(t.loc[("district", "pass_rate"), "met"])
    assert t.loc[("district", "excellent_rate"), "indicator_label"] == "优秀率"
    assert len(out) == 3 + 2 + 3
