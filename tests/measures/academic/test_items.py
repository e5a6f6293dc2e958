"""Tests for tqa.measures.academic.items (试卷分析) on a hand fixture and on simulated 2PL IRT data.

Hand fixture: one paper (grade 7 数学), six items, six complete students, one incomplete student.
  item  full type   A  B  C  D  E  F
  1     2    客观   2  2  2  0  2  0
  2     2    客观   0  0  2  2  2  2     (reversed: the strong students miss it)
  3     6    主观   6  5  3  4  2  1
  13(2) 10   主观   9  8  6  5  3  2
  14    1    客观   1  1  1  1  1  1     (everybody right)
  15    4    主观   1  0  0  0  0  0     (nearly nobody)
  total 25         19 16 14 12 10  6
School S1 = A, B, C; S2 = D, E, F (+ G, who has no score on item 3 and is left out).
Kelley group: round(0.27 * 6) = round(1.62) = 2 -> high {A, B}, low {E, F}.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers import params_with
from tqa.measures.academic import items

SPEC = pd.DataFrame(
    {
        "item": ["1", "2", "3", "13(2)", "14", "15"],
        "full_marks": [2, 2, 6, 10, 1, 4],
        "type": ["客观题", "客观题", "主观题", "主观题", "客观题", "主观题"],
    }
)
SCORES = {
    "A": [2, 0, 6, 9, 1, 1],
    "B": [2, 0, 5, 8, 1, 0],
    "C": [2, 2, 3, 6, 1, 0],
    "D": [0, 2, 4, 5, 1, 0],
    "E": [2, 2, 2, 3, 1, 0],
    "F": [0, 2, 1, 2, 1, 0],
}
SCHOOL = {"A": "S1", "B": "S1", "C": "S1", "D": "S2", "E": "S2", "F": "S2", "G": "S2"}
PARAMS = params_with({"items": {"min_students": 5}})
SHIPPED = params_with()  # min_students 30


def _long(scores: dict[str, list[float]], names=None, grade=7, subject="数学") -> pd.DataFrame:
    names = names or list(SPEC["item"])
    rows = [
        {
            "school_code": SCHOOL.get(sid, "S1"),
            "student_id": sid,
            "grade": grade,
            "subject": subject,
            "item": name,
            "score": v,
        }
        for sid, vals in scores.items()
        for name, v in zip(names, vals)
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def table():
    t = _long(SCORES)
    g = _long({"G": [2, 2, 5, 7, 1, 0]})
    g = g[g["item"] != "3"]  # G has no item-3 score: not a complete case
    return pd.concat([t, g], ignore_index=True)


def test_item_difficulty_and_discrimination(table):
    st = items.item_stats(table, SPEC, PARAMS).set_index("item")
    assert list(st.index) == ["1", "2", "3", "13(2)", "14", "15"]  # spec order
    assert (st["n"] == 6).all() and (st["group_n"] == 2).all()
    # P = mean / full
    assert st.loc["1", "difficulty"] == pytest.approx((8 / 6) / 2)  # 0.6667
    assert st.loc["3", "difficulty"] == pytest.approx(3.5 / 6)  # 21/6 / 6
    assert st.loc["13(2)", "difficulty"] == pytest.approx(0.55)  # 33/6 / 10
    assert st.loc["14", "difficulty"] == pytest.approx(1.0)
    assert st.loc["15", "difficulty"] == pytest.approx((1 / 6) / 4)  # 0.0417
    # D: objective P_high - P_low; subjective (mean_high - mean_low) / full
    assert st.loc["1", "p_high"] == pytest.approx(1.0) and st.loc["1", "p_low"] == pytest.approx(0.5)
    assert st.loc["1", "discrimination"] == pytest.approx(0.5)  # 1 - 0.5
    assert st.loc["2", "discrimination"] == pytest.approx(-1.0)  # 0 - 1
    assert st.loc["3", "discrimination"] == pytest.approx((5.5 - 1.5) / 6)
    assert st.loc["13(2)", "discrimination"] == pytest.approx((8.5 - 2.5) / 10)
    assert st.loc["14", "discrimination"] == pytest.approx(0.0)
    assert st.loc["15", "discrimination"] == pytest.approx((0.5 - 0) / 4)


def test_item_total_correlation(table):
    st = items.item_stats(table, SPEC, PARAMS).set_index("item")
    # item 1 vs rest [17,14,12,12,8,6]: cross-products 10, SSx 16/3, SSrest 79.5
    assert st.loc["1", "item_total_r"] == pytest.approx(10 / math.sqrt(16 / 3 * 79.5))
    # item 2 vs rest [19,16,12,10,8,4]: cross-products -24, SSx 16/3, SSrest 147.5
    assert st.loc["2", "item_total_r"] == pytest.approx(-24 / math.sqrt(16 / 3 * 147.5))
    assert pd.isna(st.loc["14", "item_total_r"])  # no variance


def test_flags_and_ebel(table):
    st = items.item_stats(table, SPEC, PARAMS).set_index("item")
    assert st.loc["1", "flags"] == "" and st.loc["1", "ebel_band"] == "很好"
    assert st.loc["2", "flags"] == "区分度为负，请核对答案"  # not also 区分度偏低
    assert st.loc["2", "ebel_band"] == "差，需淘汰或修改"
    assert st.loc["14", "flags"] == "区分度偏低；过易"
    assert st.loc["15", "flags"] == "区分度偏低；过难"
    assert bool(st.loc["15", "flag_too_hard"]) and not bool(st.loc["15", "flag_too_easy"])
    # default min_students 30: every item carries the small-sample note
    st30 = items.item_stats(table, SPEC, SHIPPED).set_index("item")
    assert st30.loc["1", "flags"] == "样本过少，仅供参考"


def test_ebel_band_boundaries():
    bands = SHIPPED.items.ebel_bands
    assert items.ebel_band(0.40, bands) == "很好"
    assert items.ebel_band(0.3, bands) == "良好"
    assert items.ebel_band(0.1 + 0.2, bands) == "良好"  # 0.30000000000000004
    assert items.ebel_band(0.7 - 0.4, bands) == "良好"  # 0.29999999999999993 rounds to 0.3
    assert items.ebel_band(0.29, bands) == "尚可，需修改"
    assert items.ebel_band(0.19, bands) == "差，需淘汰或修改"
    assert items.ebel_band(float("nan"), bands) is None


def test_group_size():
    assert items.group_size(6, 0.27) == 2  # 1.62 -> 2
    assert items.group_size(100, 0.27) == 27
    assert items.group_size(3, 0.27) == 1  # 0.81 -> 1
    assert items.group_size(2, 0.27) == 1
    assert items.group_size(1, 0.27) == 0


def test_paper_stats(table):
    ps = items.paper_stats(table, SPEC, PARAMS).iloc[0]
    assert (ps["n"], ps["n_incomplete"], ps["k"], ps["full_marks"]) == (6, 1, 6, 25.0)
    assert ps["mean"] == pytest.approx(77 / 6)
    assert ps["difficulty"] == pytest.approx(77 / 150)  # = sum(P_i full_i) / 25
    # item variances (ddof 1): 16/15, 16/15, 3.5, 7.5, 0, 1/6 -> 13.3 = 399/30
    # total variance: (1093 - 77^2/6) / 5 = 629/30; alpha = 6/5 (1 - 399/629) = 276/629
    assert ps["alpha"] == pytest.approx(276 / 629)
    assert ps["sd"] == pytest.approx(math.sqrt(629 / 30))
    # SEM^2 = 629/30 * (1 - 276/629) = 353/30
    assert ps["sem"] == pytest.approx(math.sqrt(353 / 30))
    assert ps["flags"] == "信度偏低"  # 0.44 < 0.70


def test_school_item_gaps(table):
    gaps = items.school_item_gaps(table, SPEC)
    s1 = gaps[gaps["school_code"] == "S1"]
    s2 = gaps[gaps["school_code"] == "S2"]
    assert list(s1["item"]) == ["2", "14", "15", "3", "13(2)", "1"]
    assert list(s2["item"]) == ["1", "13(2)", "3", "15", "14", "2"]
    assert list(s1["weakness_rank"]) == [1, 2, 3, 4, 5, 6]
    first = s1.iloc[0]  # item 2: S1 2/6, district 8/12
    assert first["school_rate"] == pytest.approx(1 / 3) and first["district_rate"] == pytest.approx(2 / 3)
    assert first["gap"] == pytest.approx(-1 / 3)
    i3 = s2.set_index("item").loc["3"]  # S2 7/18 against 21/36
    assert i3["gap"] == pytest.approx(7 / 18 - 21 / 36)
    assert (s2["n"] == 3).all()  # G left out


def test_analyse_gives_the_three_tables(table):
    st, ps, gaps = items.analyse(table, SPEC, PARAMS)
    pd.testing.assert_frame_equal(st, items.item_stats(table, SPEC, PARAMS), check_exact=True)
    pd.testing.assert_frame_equal(ps, items.paper_stats(table, SPEC, PARAMS), check_exact=True)
    pd.testing.assert_frame_equal(gaps, items.school_item_gaps(table, SPEC), check_exact=True)


def test_check_item_scores(table):
    bad = pd.concat([table, _long({"H": [3]}, names=["1"]), _long({"H": [1]}, names=["99"])], ignore_index=True)
    problems = items.check_item_scores(bad, SPEC)
    assert list(problems["reason"]) == ["小题得分超出 0 至满分范围", "小题不在试卷结构表中"]
    with pytest.raises(ValueError, match="小题得分有 2 处问题"):
        items.item_stats(bad, SPEC, SHIPPED)


def test_spec_per_paper():
    spec = pd.concat(
        [SPEC.assign(grade=7, subject="数学"), SPEC.iloc[:2].assign(grade=8, subject="数学")], ignore_index=True
    )
    t = pd.concat([_long(SCORES), _long({"A": [1, 1], "B": [0, 1], "C": [2, 0]}, names=["1", "2"], grade=8)])
    ps = items.paper_stats(t, spec, PARAMS)
    assert list(zip(ps["grade"], ps["k"], ps["n"])) == [(7, 6, 6), (8, 2, 3)]


# ---- simulated 2PL data --------------------------------------------------------------------------


def _simulate_2pl(seed=20240601, n=3000):
    rng = np.random.default_rng(seed)
    a = np.linspace(0.3, 2.5, 12)
    b = np.tile([-0.5, 0.0, 0.5], 4)
    theta = rng.standard_normal(n)
    prob = 1 / (1 + np.exp(-a[None, :] * (theta[:, None] - b[None, :])))
    resp = (rng.random(prob.shape) < prob).astype(float)
    # item 13 is keyed the wrong way round: a normal item scored 1 - response
    p13 = 1 / (1 + np.exp(-1.5 * theta))
    wrong = 1.0 - (rng.random(n) < p13)
    resp = np.column_stack([resp, wrong])
    names = [str(i + 1) for i in range(resp.shape[1])]
    long = (
        pd.DataFrame(resp, columns=names)
        .assign(student_id=[f"s{i:05d}" for i in range(n)])
        .melt(id_vars="student_id", var_name="item", value_name="score")
    )
    long = long.assign(school_code="S1", grade=9, subject="物理")
    spec = pd.DataFrame({"item": names, "full_marks": 1, "type": "objective"})
    return long, spec, a


def test_2pl_simulation():
    long, spec, a = _simulate_2pl()
    st = items.item_stats(long, spec, SHIPPED)
    normal = st[st["item"] != "13"]
    # higher IRT discrimination -> higher D and item-total r (rank correlation)
    assert normal["discrimination"].corr(pd.Series(a, index=normal.index), method="spearman") > 0.9
    assert normal["item_total_r"].corr(pd.Series(a, index=normal.index), method="spearman") > 0.9
    assert normal["discrimination"].iloc[-3:].min() > normal["discrimination"].iloc[:3].max()
    wrong = st[st["item"] == "13"].iloc[0]
    assert wrong["discrimination"] < -0.2 and wrong["item_total_r"] < 0
    assert "区分度为负，请核对答案" in wrong["flags"]
    ps = items.paper_stats(long, spec, SHIPPED).iloc[0]
    assert 0.55 < ps["alpha"] < 0.9
    # the key fix raises alpha
    fixed = long.assign(score=np.where(long["item"] == "13", 1 - long["score"], long["score"]))
    assert items.paper_stats(fixed, spec, SHIPPED).iloc[0]["alpha"] > ps["alpha"]
