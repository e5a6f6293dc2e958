"""Tests for tqa.reports.disclosure: small-cell suppression that totals cannot undo, bands instead of ranks.

Every fixture is a subject_stats-like slice (level, unit_code, category, grade, subject, tested_n, ...).
min_published_n = 10 (params reporting.min_published_n).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import params_with
from tqa.reports import disclosure

PARAMS = params_with()  # reporting.min_published_n 10, min_rank_n 30


def _stats(schools: dict[str, tuple[str, int]], grade=3, subject="语文", with_categories=True):
    """schools: code -> (category, tested_n); pass_n = tested_n // 2; totals added as sums."""
    rows = [
        {
            "level": "school",
            "unit_code": c,
            "unit_name": c,
            "category": cat,
            "grade": grade,
            "subject": subject,
            "tested_n": n,
            "pass_n": n // 2,
        }
        for c, (cat, n) in schools.items()
    ]
    df = pd.DataFrame(rows)
    parts = [df]
    if with_categories:
        cat = df.groupby("category", as_index=False)[["tested_n", "pass_n"]].sum()
        parts.append(
            cat.assign(
                level="category", unit_code=cat["category"], unit_name=cat["category"], grade=grade, subject=subject
            )
        )
    tot = df[["tested_n", "pass_n"]].sum()
    parts.append(
        pd.DataFrame(
            [
                {
                    "level": "district",
                    "unit_code": "district",
                    "unit_name": "全区",
                    "category": None,
                    "grade": grade,
                    "subject": subject,
                    "tested_n": tot["tested_n"],
                    "pass_n": tot["pass_n"],
                }
            ]
        )
    )
    out = pd.concat(parts, ignore_index=True)
    out["pass_rate"] = out["pass_n"] / out["tested_n"]
    return out


def _reasons(stats):
    r = disclosure.suppression(stats, PARAMS)
    return dict(zip(stats["level"] + ":" + stats["unit_code"].astype(str), r))


def _assert_safe(stats):
    """Property + brute force: every total has 0 or >= 2 suppressed parts; nothing is recoverable."""
    for _, g in stats.groupby(["grade", "subject"]):
        tree = disclosure._tree(g)
        sup = disclosure.suppression(g, PARAMS) != ""
        s = dict(zip(tree["node"], sup))
        for parent, kids in tree.groupby("parent")["node"]:
            k = sum(s[x] for x in kids)
            assert k == 0 or k >= 2 or (s[parent] and k == 1), (parent, k)
            if s[parent]:
                assert k >= 1, parent
        assert disclosure.recoverable(tree, sup) == []
        # primary rule holds
        assert all(s[n] for n, size in zip(tree["node"], tree["n"]) if 0 < size < 10)


def test_one_small_school_takes_next_smallest_in_category():
    st = _stats({"A1": ("城区", 5), "A2": ("城区", 40), "A3": ("城区", 25), "B1": ("乡镇", 30), "B2": ("乡镇", 50)})
    r = _reasons(st)
    assert r["school:A1"] == "primary"
    assert r["school:A3"] == "complementary"  # 25 < 40
    assert r["school:A2"] == "" and r["category:城区"] == "" and r["district:district"] == ""
    assert sum(1 for v in r.values() if v) == 2
    _assert_safe(st)


def test_two_small_schools_need_no_complement():
    st = _stats({"A1": ("城区", 5), "A2": ("城区", 7), "A3": ("城区", 25), "B1": ("乡镇", 30)})
    r = _reasons(st)
    assert [k for k, v in r.items() if v] == ["school:A1", "school:A2"]
    _assert_safe(st)


def test_only_school_of_category_climbs_the_hierarchy():
    # 农村 has one school with 6 students: its category row (also 6) is itself a small cell; the district then
    # has one suppressed category -> the smallest other category (乡镇, 45) goes, and that suppressed category
    # needs a suppressed part -> its smallest school (B2, 15).
    st = _stats({"A1": ("城区", 60), "A2": ("城区", 50), "B1": ("乡镇", 30), "B2": ("乡镇", 15), "C1": ("农村", 6)})
    r = _reasons(st)
    assert r["school:C1"] == "primary"
    assert r["category:农村"] == "primary"
    assert r["category:乡镇"] == "complementary"
    assert r["school:B2"] == "complementary"
    assert r["category:城区"] == "" and r["district:district"] == ""
    _assert_safe(st)


def test_zero_tested_is_published_and_not_a_complement():
    st = _stats({"A1": ("城区", 5), "A2": ("城区", 0), "A3": ("城区", 30), "A4": ("城区", 20)})
    r = _reasons(st)
    assert r["school:A2"] == "" and r["school:A4"] == "complementary"
    _assert_safe(st)


def test_recoverable_detects_a_lone_suppressed_part():
    st = _stats({"A1": ("城区", 5), "A2": ("城区", 40)}, with_categories=False)
    tree = disclosure._tree(st)
    lone = pd.Series([True, False, False], index=tree.index)
    assert disclosure.recoverable(tree, lone) == ["school:A1"]  # district - A2
    both = pd.Series([True, True, False], index=tree.index)
    assert disclosure.recoverable(tree, both) == []
    # a suppressed total over fully published parts is their sum
    top = pd.Series([False, False, True], index=tree.index)
    assert disclosure.recoverable(tree, top) == ["district:district"]


def test_random_trees_are_safe():
    rng = np.random.default_rng(7)
    for trial in range(300):
        n_cat = int(rng.integers(1, 4))
        schools = {}
        for c in range(n_cat):
            for s in range(int(rng.integers(1, 5))):
                n = int(rng.choice([0, 3, 6, 9, 12, 20, 35, 60]))
                schools[f"S{c}{s}"] = (["城区", "乡镇", "农村"][c], n)
        st = _stats(schools, with_categories=bool(trial % 2))
        _assert_safe(st)


def test_apply_suppression_blanks_statistics_and_keeps_ids():
    st = _stats({"A1": ("城区", 5), "A2": ("城区", 40), "A3": ("城区", 25)})
    out = disclosure.apply_suppression(st, PARAMS).set_index("unit_code")
    assert out.loc["A1", "suppression_note"] == "样本过少"
    assert out.loc["A3", "suppression_note"] == "为防止由合计反推而隐去"
    assert pd.isna(out.loc["A1", "tested_n"]) and pd.isna(out.loc["A3", "pass_rate"])
    assert out.loc["A1", "unit_name"] == "A1" and out.loc["A1", "grade"] == 3
    assert out.loc["A2", "tested_n"] == 40 and not out.loc["A2", "suppressed"]
    shown = disclosure.display(out.reset_index(), ["tested_n", "pass_rate"], PARAMS)
    assert list(shown["tested_n"][:3]) == ["*", "40", "*"]


def test_suppressed_category_with_one_school_hides_that_school():
    # 城区 = A1 alone (6): primary twice. The district's complement is the smallest other category, 农村 (12),
    # whose row equals its only school C1, so C1 goes too. Two grade x subject slices are handled apart.
    schools = {"A1": ("城区", 6), "C1": ("农村", 12), "B1": ("乡镇", 50), "B2": ("乡镇", 40)}
    st = pd.concat(
        [_stats(schools), _stats({"A1": ("城区", 60), "B1": ("乡镇", 50)}, subject="数学")], ignore_index=True
    )
    r = disclosure.suppression(st, PARAMS)
    hidden = sorted(st.loc[(r != "").to_numpy(), "unit_code"] + "/" + st.loc[(r != "").to_numpy(), "subject"])
    assert hidden == ["A1/语文", "C1/语文", "农村/语文", "城区/语文"]
    _assert_safe(st)
