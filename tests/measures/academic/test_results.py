"""Tests for tqa.measures.academic.results: the result tables, with hand-computed values.

Main fixture, one paper (grade 3 语文, full 100; lines 60 / 85 / 40; min_rank_n 30, min_published_n 10):
  school  category  n    scores                         mean  pass   excellent
  A       城区      40   20 x 90 (class 1), 20 x 70 (2)  80    40/40  20/40
  B       城区      35   15 x 50, 20 x 85               70    20/35  20/35
  C       乡镇      5    5 x 100                        100   5/5    5/5     (n < 10: not published)
  D       乡镇      20   10 x 95, 10 x 85               90    20/20  20/20   (n < 30: not ranked)
  district 100 students, mean (3200 + 2450 + 500 + 1800) / 100 = 79.5
Composite (0.4 mean share + 0.3 pass + 0.3 excellent - 0.1 low, x 100):
  A = 32 + 30 + 15 = 77;  B = 28 + 30 x 20/35 x 2 = 62.2857...
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from helpers import REPO
from helpers.rows import score_row
from tqa.measures import equity
from tqa.measures import intervals as unc
from tqa.measures.academic import change, composite, funnel, score_bands, standing, students, targets
from tqa.measures.academic import rates as scoring
from tqa.measures.academic import results as results_mod
from tqa.measures.academic import trend as trend_mod
from tqa.measures.academic import valueadded as va
from tqa.params import ParamsError, load_params, override
from tqa.reports import disclosure
from tqa.schema.tables import SCORES

ROOT = REPO
SCHOOL_SCORES = {
    "A": [90.0] * 20 + [70.0] * 20,
    "B": [50.0] * 15 + [85.0] * 20,
    "C": [100.0] * 5,
    "D": [95.0] * 10 + [85.0] * 10,
}
CATEGORY = {"A": "城区", "B": "城区", "C": "乡镇", "D": "乡镇"}


@pytest.fixture(scope="module")
def params():
    return load_params("1999-1", params_dir=ROOT / "params")


def _score(school, sid, grade, class_no, subject, score):
    return score_row(school, sid, grade, subject, score, class_no=class_no)


SPEC = pd.DataFrame({"grade": [3], "subject": ["语文"], "full_marks": [100.0], "mode": ["分数"]})


@pytest.fixture(scope="module")
def scores():
    recs = []
    for school, values in SCHOOL_SCORES.items():
        for i, v in enumerate(values):
            recs.append(_score(school, f"{school}{i:03d}", 3, 1 if i < len(values) / 2 else 2, "语文", v))
    return pd.DataFrame(recs)


@pytest.fixture(scope="module")
def returns():
    return pd.DataFrame(
        {
            "school_code": list(CATEGORY),
            "school_name": [f"{c}校" for c in CATEGORY],
            "category": list(CATEGORY.values()),
            "usable": True,
        }
    )


@pytest.fixture(scope="module")
def stats(scores, returns, params):
    enrolment = pd.DataFrame(
        {"school_code": list(SCHOOL_SCORES), "grade": 3, "enrolled": [len(v) for v in SCHOOL_SCORES.values()]}
    )
    return scoring.subject_stats(scores, enrolment, returns, SPEC, params)


@pytest.fixture(scope="module")
def results(stats, scores, params):
    return results_mod.school_results(stats, scores, SPEC, params)


def _row(df, level, unit):
    return df[(df["level"] == level) & (df["unit_code"] == unit)].iloc[0]


# ---- school_results -------------------------------------------------------------------------------


def test_school_results_status_and_ranks_only_for_rankable(results):
    assert len(results) == 4 + 2 + 1
    by = {u: _row(results, "school", u) for u in "ABCD"}
    assert [by[u]["sample_status"] for u in "ABCD"] == [
        "公布",
        "公布",
        "人数过少，不公布",
        "样本较小",
    ]
    # D has the highest mean but is not ranked; A and B close up (scoring alone would give D 1, A 2, B 3)
    assert (by["A"]["rank_district"], by["B"]["rank_district"]) == (1, 2)
    assert pd.isna(by["C"]["rank_district"]) and pd.isna(by["D"]["rank_district"])
    assert by["A"]["n_ranked_district"] == 2
    assert (by["A"]["composite_rank_district"], by["B"]["composite_rank_district"]) == (1, 2)
    assert pd.isna(by["D"]["composite_rank_district"])
    # D (20 students) is banded by its interval, like any shown cohort, but not ranked
    d = by["D"]
    assert (
        d["mean_band"]
        == unc.band(
            pd.Series([d["mean_diff_z"]]), pd.Series([d["mean_diff_z_lo"]]), pd.Series([d["mean_diff_z_hi"]]), 0.5
        ).iloc[0]
    )
    assert d["mean_band"] in unc.BAND_ORDER and pd.isna(d["rank_lo"])
    assert pd.isna(by["C"]["mean_diff"]) and pd.isna(by["C"]["mean_band"])  # withheld: nothing computed
    assert d["mean_diff"] == pytest.approx(90 - 79.5)
    assert by["A"]["rankable"] and not by["D"]["rankable"] and by["D"]["publishable"]
    assert not by["C"]["publishable"]
    cat = _row(results, "category", "乡镇")
    assert cat["tested_n"] == 25 and cat["sample_status"] == "样本较小"
    assert not cat["rankable"]


def test_school_results_values(results):
    all_scores = np.concatenate([np.array(v) for v in SCHOOL_SCORES.values()])
    dm, dsd = 79.5, float(np.std(all_scores, ddof=1))
    a, b = _row(results, "school", "A"), _row(results, "school", "B")
    assert a["mean_z"] == pytest.approx((80 - dm) / dsd)
    assert a["mean_t"] == pytest.approx(50 + 10 * (80 - dm) / dsd)
    assert _row(results, "district", "district")["mean_z"] == pytest.approx(0, abs=1e-12)
    cat = _row(results, "category", "乡镇")  # (500 + 1800) / 25 = 92
    assert cat["mean_z"] == pytest.approx((92 - dm) / dsd)
    assert a["ratio_to_mean"] == pytest.approx(80 / 79.5)
    assert a["mean_share"] == pytest.approx(0.8)
    assert a["composite"] == pytest.approx(77.0)
    assert b["composite"] == pytest.approx(28 + 30 * 20 / 35 * 2)
    # t interval: sd of 20 x 90 and 20 x 70 is sqrt(4000 / 39)
    half = sps.t.ppf(0.975, 39) * math.sqrt(4000 / 39) / math.sqrt(40)
    assert (a["mean_lo"], a["mean_hi"]) == pytest.approx((80 - half, 80 + half))
    # Wilson for B's pass rate, 20 / 35
    z, n, p = sps.norm.ppf(0.975), 35, 20 / 35
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    w = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert (b["pass_rate_lo"], b["pass_rate_hi"]) == pytest.approx((centre - w, centre + w))
    # the rank interval exists for the ranked schools and covers their rank
    assert a["rank_n"] == 2 and a["rank_lo"] <= 1 <= a["rank_hi"]
    assert a["mean_band"] in unc.BAND_ORDER


def test_school_results_sorted_and_deterministic(stats, scores, params, results):
    again = results_mod.school_results(stats, scores, SPEC, params)
    pd.testing.assert_frame_equal(results, again)
    assert list(results["level"]) == ["school"] * 4 + ["category"] * 2 + ["district"]


# ---- equity, sensitivity, bands, classes, targets ---------------------------------------------------


def test_equity_weighted_cv(stats, params):
    eq = equity.equity(stats, params)
    # weighted: S = sqrt((40 x 0.5² + 35 x 9.5² + 5 x 20.5² + 20 x 10.5²) / 100) = sqrt(74.75)
    assert len(eq) == 1
    assert eq.loc[0, "mean_of_means"] == pytest.approx(79.5)
    assert eq.loc[0, "cv"] == pytest.approx(math.sqrt(74.75) / 79.5)
    assert eq.loc[0, "cv_over"] == False  # noqa: E712  (0.109 < 0.15)


def test_sensitivity_ranks_only_rankable(stats, params):
    sen = composite.sensitivity(stats, params)
    assert list(sen["scheme"].unique()) == ["主方案", "均分为主", "关注后进"]
    alt = sen[sen["scheme"] == "均分为主"].set_index("unit_code")
    assert alt.loc["A", "composite"] == pytest.approx(48 + 20 + 10)
    assert alt.loc["B", "composite"] == pytest.approx(42 + 20 * 20 / 35 * 2)
    assert (alt.loc["A", "composite_rank"], alt.loc["B", "composite_rank"]) == (1, 2)
    assert pd.isna(alt.loc["D", "composite_rank"]) and pd.isna(alt.loc["C", "composite_rank"])
    assert sen.set_index(["scheme", "unit_code"]).loc[("关注后进", "A"), "max_rank_change"] == 0


def test_score_band_table(scores, params, returns):
    t = score_bands.score_band_table(scores, SPEC, params, returns)
    assert set(t["level"]) == {"school", "category", "district"}
    a = t[(t["level"] == "school") & (t["unit_code"] == "A")].set_index("band_no")
    assert (a.loc[9, "n"], a.loc[7, "n"], a["n"].sum()) == (20, 20, 40)
    c = t[(t["level"] == "school") & (t["unit_code"] == "C")].set_index("band_no")
    assert c.loc[9, "n"] == 5  # 100 marks fall in the last, closed band
    d = t[t["level"] == "district"].set_index("band_no")
    assert d.loc[5, "n"] == 15 and d.loc[5, "share"] == pytest.approx(0.15)
    cat = t[(t["level"] == "category") & (t["unit_code"] == "乡镇")]
    assert cat["n"].sum() == 25
    # without returns: school and district only
    assert set(score_bands.score_band_table(scores, SPEC, params)["level"]) == {"school", "district"}


def test_class_results(scores, params):
    c = results_mod.class_results(scores, SPEC, params)
    a = c[c["school_code"] == "A"].set_index("class_no")
    assert (a.loc[1, "mean"], a.loc[2, "mean"]) == (90.0, 70.0)
    assert a.loc[1, "school_mean"] == pytest.approx(80.0) and a.loc[1, "school_tested_n"] == 40
    assert (a.loc[1, "mean_vs_school"], a.loc[2, "mean_vs_school"]) == pytest.approx((10.0, -10.0))
    assert a.loc[2, "pass_rate_vs_school"] == pytest.approx(0.0)
    assert a.loc[1, "sample_status"] == "样本较小"  # 20 students
    assert (a.loc[1, "mean_lo"], a.loc[1, "mean_hi"]) == (90.0, 90.0)  # sd 0: zero-width interval


def test_targets(stats, params):
    t = targets.targets(stats, params)
    a = t[(t["level"] == "school") & (t["unit_code"] == "A")].set_index("indicator")
    assert list(a.index) == ["pass_rate", "excellent_rate", "low_rate"]
    # grade 3: default targets 85 % / 45 % / low <= 5 %
    assert a.loc["pass_rate", "target"] == 0.85 and a.loc["pass_rate", "gap"] == pytest.approx(0.15)
    assert a.loc["excellent_rate", "gap"] == pytest.approx(0.05) and bool(a.loc["excellent_rate", "met"])
    assert a.loc["low_rate", "kind"] == "不高于" and a.loc["low_rate", "gap"] == pytest.approx(0.05)
    b = t[(t["level"] == "school") & (t["unit_code"] == "B")].set_index("indicator")
    assert not bool(b.loc["pass_rate", "met"]) and b.loc["pass_rate", "gap"] == pytest.approx(20 / 35 - 0.85)


def test_targets_from_params_examples_and_term_override(tmp_path, params):
    assert params.targets_for(6, "语文") == {"pass_rate": 0.80, "excellent_rate": 0.30, "low_rate_max": 0.05}
    assert params.targets_for(4, "数学")["pass_rate"] == 0.85
    assert params.targets_for(5, "数学")["excellent_rate"] == 0.45
    assert params.targets_for(1, "语文")["pass_rate"] == 0.90
    assert params.targets_for(2, "数学")["excellent_rate"] == 0.50
    assert params.targets_for(8, "数学")["low_rate_max"] == 0.15
    # a term file overrides the default targets (params/terms/<T>.yaml merged over methodology.yaml)
    pdir = tmp_path / "params"
    (pdir / "terms").mkdir(parents=True)
    (pdir / "methodology.yaml").write_bytes((ROOT / "params" / "methodology.yaml").read_bytes())
    (pdir / "terms" / "2099-1.yaml").write_text("targets:\n  default:\n    pass_rate: 0.75\n", encoding="utf-8")
    over = load_params("2099-1", params_dir=pdir)
    assert over.targets_for(4, "数学")["pass_rate"] == 0.75
    assert over.targets_for(4, "数学")["excellent_rate"] == 0.45  # untouched keys stay


# ---- student lists -----------------------------------------------------------------------------------


def test_student_lists_names_and_counts(params):
    recs = [
        _score("S", "s1", 3, 1, "语文", 59.0),
        _score("S", "s2", 3, 1, "语文", 84.0),
        _score("S", "s3", 3, 1, "语文", 80.0),
        _score("S", "s4", 3, 1, "语文", 30.0),
        _score("S", "s5", 3, 2, "语文", 90.0),
    ]
    roster = pd.DataFrame(
        {
            "school_code": "S",
            "student_id": ["s1", "s2", "s3", "s4", "s5"],
            "name": ["甲", "乙", "丙", "丁", "戊"],
            "grade": 3,
            "class_no": [1, 1, 1, 1, 2],
        }
    )
    counts, border = students.student_lists(pd.DataFrame(recs), roster, SPEC, params)
    c1 = counts.set_index("class_no").loc[1]
    assert (c1["top_n"], c1["middle_n"], c1["struggling_n"], c1["tested_n"]) == (0, 2, 2, 4)
    assert (c1["near_pass_n"], c1["near_excellent_n"]) == (1, 2)
    assert counts.set_index("class_no").loc[2, "near_pass_n"] == 0
    assert list(border["name"]) == ["甲", "乙", "丙"]  # 临界及格 first, then 临界优秀 by gap
    assert list(border["gap"]) == [1.0, 1.0, 5.0]
    assert list(border["borderline"]) == ["临界及格", "临界优秀", "临界优秀"]
    assert disclosure.public_tables({"border": border}) == {}  # student-level: never public


# ---- change since last term ---------------------------------------------------------------------------


def _cstats(rows):
    df = pd.DataFrame(rows, columns=["unit_code", "grade", "tested_n", "pass_rate", "pass_rate_rank_district"])
    df["pass_n"] = (df["pass_rate"] * df["tested_n"]).round().astype("int64")
    return df.assign(level="school", unit_name=df["unit_code"] + "校", category="城区", subject="数学")


def test_change_grid_hand_cases(params):
    cur = _cstats(
        [
            ("X", 3, 400, 0.86, 2),
            ("Y", 7, 4000, 0.76, 1),
            ("Z", 3, 8, 0.75, 1),
            ("W", 3, 40, 0.70, 3),
            ("V", 3, 2000, 0.85, 1),
            ("Q", 3, 40, 0.85, 4),
        ]
    )
    pri = _cstats(
        [
            ("X", 3, 400, 0.80, 3),
            ("Y", 7, 4000, 0.78, 2),
            ("Z", 3, 40, 0.90, 2),
            ("V", 3, 2000, 0.80, 1),
            ("Q", 3, 40, 0.775, 4),
        ]
    )
    out = change.change_since(cur, pri, params).set_index("unit_code")
    x = out.loc["X"]  # +6 points on 400 students; 0.86 in [0.80, 0.90) = 中等; 中等 x 显著上升 = Green
    assert x["change"] == pytest.approx(0.06)
    assert (x["status_level"], x["change_level"], x["colour"], x["colour_label"]) == ("中等", "显著上升", "Green", "绿")
    assert (x["prior_rank"], x["current_rank"], x["rank_change"]) == (3, 2, -1)
    y = out.loc["Y"]  # junior cut-offs [0.85, 0.75, ...]: 0.76 = 高; -2 points on 4000 students = 下降 -> Yellow
    assert (y["status_level"], y["change_level"], y["colour"]) == ("高", "下降", "Yellow")
    q = out.loc["Q"]  # +7.5 points, but on 40 students: within chance -> 持平 (中等 x 持平 = Yellow)
    assert q["change"] == pytest.approx(0.075) and (q["change_level"], q["colour"]) == ("持平", "Yellow")
    _, lo, hi = unc.rate_change(31, 40, 34, 40, 0.95)
    assert lo < 0 < hi
    z = out.loc["Z"]  # 8 students this term: withheld, no status, no colour
    assert pd.isna(z["colour"]) and pd.isna(z["status_level"]) and z["note"] == change.NOTE_SMALL
    w = out.loc["W"]  # no prior: status only (0.70 in [0.67, 0.80) = 低)
    assert w["status_level"] == "低" and pd.isna(w["change_level"]) and w["note"] == change.NOTE_NO_PRIOR
    v = out.loc["V"]  # 0.85 - 0.80 is 0.04999... in floats: still 显著上升 (rounded comparison)
    assert v["change_level"] == "显著上升" and v["colour"] == "Green"


def test_change_grid_level_graded_papers_are_coloured_but_not_ranked(params):
    # grade 1 (等级): 0.96 >= 0.95 = 很高 (小学低段 uses the default cuts); +0.02 = 上升 -> Blue; ranks gone
    # grade 3 (分数) beside it keeps its ranks: 0.86 中等, +0.06 显著上升 -> Green, rank 3 -> 2
    cur = _cstats([("L", 1, 4000, 0.96, 4), ("S", 3, 400, 0.86, 2)]).assign(mode=["等级", "分数"])
    pri = _cstats([("L", 1, 4000, 0.94, 7), ("S", 3, 400, 0.80, 3)]).assign(mode=["等级", "分数"])
    out = change.change_since(cur, pri, params).set_index("unit_code")
    lv = out.loc["L"]
    assert (lv["status_level"], lv["change_level"], lv["colour"]) == ("很高", "上升", "Blue")
    assert lv["change"] == pytest.approx(0.02)
    assert pd.isna(lv["prior_rank"]) and pd.isna(lv["current_rank"]) and pd.isna(lv["rank_change"])
    sc = out.loc["S"]
    assert (sc["colour"], sc["prior_rank"], sc["current_rank"], sc["rank_change"]) == ("Green", 3, 2, -1)
    # level-graded in the prior term only (a paper that changed mode) is not ranked either
    out2 = change.change_since(cur.assign(mode="分数"), pri, params).set_index("unit_code")
    assert pd.isna(out2.loc["L", "current_rank"]) and out2.loc["S", "current_rank"] == 2
    # the 5 x 5 counts take the level-graded cell too (one Blue 很高 x 上升, one 中等 x 显著上升)
    from tqa.reports.tables import district as rp

    grid = rp.change_grid_counts(out.reset_index(), {}).set_index("现状＼变化")
    assert grid.loc["很高", "上升"] == 1 and grid.loc["中等", "显著上升"] == 1 and grid.to_numpy().sum() == 2


def test_drop_level_ranks():
    df = pd.DataFrame(
        {
            "mode": ["等级", "分数", None],
            "rank_district": pd.array([pd.NA, 2, 3], dtype="Int64"),
            "pass_rate_rank_district": pd.array([5, 1, 4], dtype="Int64"),
            "n_ranked_district": pd.array([0, 12, 12], dtype="Int64"),
            "pass_rate": [0.9, 0.8, 0.7],
        }
    )
    out = standing.drop_level_ranks(df)
    assert out["pass_rate_rank_district"].tolist() == [pd.NA, 1, 4]
    assert out["rank_district"].tolist() == [pd.NA, 2, 3]
    assert out["n_ranked_district"].tolist() == [0, 12, 12] and out["pass_rate"].tolist() == [0.9, 0.8, 0.7]
    assert standing.level_graded(df).tolist() == [True, False, False]
    assert standing.level_graded(df.drop(columns="mode")).tolist() == [False, False, False]
    assert standing.drop_level_ranks(df.drop(columns="mode"))["pass_rate_rank_district"].tolist() == [5, 1, 4]


def test_change_metric_must_be_higher_is_better(params):
    with pytest.raises(ParamsError, match="change.metric：应为 .*pass_rate.* 之一"):
        override(params, {"change": {"metric": "low_rate"}})


# ---- trend ---------------------------------------------------------------------------------------------


def test_trend_combines_terms(stats):
    earlier = stats.assign(pass_rate=stats["pass_rate"] - 0.1)
    t = trend_mod.trend({"2023-2": stats, "2023-1": earlier})
    assert len(t) == 2 * len(stats)
    a = t[(t["level"] == "school") & (t["unit_code"] == "A")]
    assert list(a["term"]) == ["2023-1", "2023-2"]
    assert list(a["pass_rate"]) == pytest.approx([0.9, 1.0])
    assert t["composite"].isna().all()  # absent in subject_stats: kept as NA
    assert list(t.columns) == list(SCORES["trend"].names)


def test_trend_level_graded_terms_lose_their_ranks(stats):
    # a term written before the rule: the same paper marked 等级 still carries rate ranks on disk
    old = stats.assign(mode="等级")
    t = trend_mod.trend({"2023-1": old, "2023-2": stats})
    a = t[(t["level"] == "school") & (t["unit_code"] == "A")].set_index("term")
    assert pd.isna(a.loc["2023-1", "pass_rate_rank_district"]) and a.loc["2023-1", "pass_rate"] == 1.0
    assert a.loc["2023-2", "pass_rate_rank_district"] == 1  # 40/40 = 100 %: first (ties share rank 1)


# ---- funnel --------------------------------------------------------------------------------------------


def test_binomial_limits_hand():
    # n 10, p 0.5: P(X<=2) = 56/1024, P(X=2) = 45/1024; alpha = (56/1024 - 0.025) / (45/1024)
    alpha = (56 / 1024 - 0.025) / (45 / 1024)
    assert funnel.binomial_limits(0.5, 10, 0.025) == pytest.approx((2 - alpha) / 10)
    # upper: r = 8, P(X<=8) = 1013/1024, P(X=8) = 45/1024 (the pair is centred on (np - 0.5) / n)
    alpha_u = (1013 / 1024 - 0.975) / (45 / 1024)
    assert funnel.binomial_limits(0.5, 10, 0.975) == pytest.approx((8 - alpha_u) / 10)
    assert funnel.binomial_limits(0.5, 10, 0.025) + funnel.binomial_limits(0.5, 10, 0.975) == pytest.approx(0.9)
    big = funnel.binomial_limits(0.3, 10000, 0.975)  # large n: close to the normal limit
    assert big == pytest.approx(0.3 + 1.96 * math.sqrt(0.21 / 10000), abs=2e-4)
    assert np.isnan(funnel.binomial_limits(0.3, 0, 0.975))


def test_funnel_limits(stats, params):
    curves, points = funnel.funnel_limits(stats, params)
    assert set(curves["rate"]) == {"pass_rate", "excellent_rate", "low_rate"}
    pc = curves[curves["rate"] == "pass_rate"]
    assert pc["n"].min() == 5 and pc["n"].max() == 40 and pc["n"].is_monotonic_increasing
    assert (pc["outer_lo"] <= pc["inner_lo"]).all() and (pc["inner_hi"] <= pc["outer_hi"]).all()
    pp = points[points["rate"] == "pass_rate"].set_index("unit_code")
    assert pp.loc["A", "p"] == pytest.approx(85 / 100)
    assert pp.loc["A", "inner_hi"] == pytest.approx(funnel.binomial_limits(0.85, 40, 0.975))
    assert pp.loc["B", "value"] == pytest.approx(20 / 35)
    assert pp.loc["B", "position"] == "低于外控制限"  # 57 % when the district has 85 %
    assert pp.loc["C", "position"] == "控制限内"  # 5 / 5: P(X >= 5) = 0.85^5 = 0.44
    assert pp.loc["C", "value"] > pp.loc["C", "outer_hi"]  # although above the interpolated curve
    assert pp.loc["D", "position"] == "控制限内"  # 20 / 20: P = 0.85^20 = 0.039 > 0.025


# ---- value added -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_terms(tmp_path_factory):
    from tqa.clean import clean_term
    from tqa.devtools.sample import generate_district
    from tqa.io.catalog import Catalog

    root = tmp_path_factory.mktemp("va")
    generate_district(root / "data" / "raw", schools=4, seed=3, terms=("2023-1", "2023-2"), messy=False, jobs=1)
    return {t: clean_term(Catalog(t, root))["scores"] for t in ("2023-1", "2023-2")}


def test_value_added_withholds_low_match_rate(tiny_terms, params):
    prior, current = tiny_terms["2023-1"], tiny_terms["2023-2"]
    # the paper with most schools; drop half of one school's prior scores there so its match rate falls
    counts = current.groupby(["grade", "subject"])["school_code"].nunique()
    grade, subject = counts.sort_values(kind="stable").index[-1]
    paper = (current["grade"] == grade) & (current["subject"] == subject) & (current["status"] == "scored")
    school = sorted(current.loc[paper, "school_code"].unique())[0]
    ids = sorted(current.loc[paper & (current["school_code"] == school), "student_id"])
    gone = set(ids[: len(ids) // 2])
    prior = prior[~(prior["student_id"].isin(gone) & (prior["subject"] == subject))]

    effects, models = va.value_added(current, prior, params)
    assert list(effects.columns) == list(SCORES["value_added"].names)
    e = effects[(effects["grade"] == grade) & (effects["subject"] == subject)].set_index("school_code")
    hit = e.loc[school]
    assert hit["tested_n"] == len(ids) and hit["matched_n"] == len(ids) - len(gone)
    assert hit["match_rate"] == pytest.approx((len(ids) - len(gone)) / len(ids))
    assert bool(hit["va_withheld"]) and pd.isna(hit["effect"]) and hit["band"] == va.NOTE_WITHHELD
    assert "匹配率" in hit["note"]
    others = e.drop(index=school)
    assert (~others["va_withheld"]).all() and others["effect"].notna().all()
    assert (others["lo"] < others["effect"]).all() and (others["effect"] < others["hi"]).all()
    m = models[(models["grade"] == grade) & (models["subject"] == subject)].iloc[0]
    assert m["n_groups"] == len(e)  # the withheld school still informs the slope
    assert m["icc"] == pytest.approx(m["sigma2_u"] / (m["sigma2_u"] + m["sigma2_e"]))
    assert 0 < m["b_prior"] < 1.5
    assert m["method"] in {"default", "powell", "nm", "profiled_reml"}
