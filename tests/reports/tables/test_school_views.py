"""Tests for the school report's tables and chart inputs (tqa.reports.tables.school: built for every school at once,
picked per school) and the district 排名统计表. Small frames, values by hand."""

from __future__ import annotations

import pandas as pd

from tqa.reports.tables import district
from tqa.reports.tables import school as st

# ---- which papers the school report shows ---------------------------------------------------------


def test_published_papers_needs_min_n_and_survives_public_suppression():
    results = pd.DataFrame(
        {
            "level": ["school", "school", "school", "school", "district"],
            "unit_code": ["001", "001", "001", "002", "district"],
            "grade": [3, 3, 4, 3, 3],
            "subject": ["语文", "数学", "语文", "语文", "语文"],
            # 40 shown; 9 below min_published_n; NA = blanked by the public (complementary) suppression
            "tested_n": pd.array([40, 9, pd.NA, 50, 139], dtype="Int64"),
        }
    )
    out = st.published_papers(results, 10)
    assert out["001"].to_dict("records") == [{"grade": 3, "subject": "语文"}]
    assert out["002"].to_dict("records") == [{"grade": 3, "subject": "语文"}]
    assert "009" not in out


# ---- funnel --------------------------------------------------------------------------------------------


def _points():
    rows = []
    for grade, subject, schools in (
        (3, "数学", ["001", "002", "003"]),
        (3, "语文", ["001", "002"]),
        (4, "语文", ["002", "003"]),
    ):
        for k, code in enumerate(schools):
            for rate in ("pass_rate", "excellent_rate"):
                rows.append(
                    {
                        "grade": grade,
                        "subject": subject,
                        "rate": rate,
                        "unit_code": code,
                        "category": "城区",
                        "n": 30 + 10 * k,
                        "value": 0.8 + 0.05 * k,
                    }
                )
    return pd.DataFrame(rows)


def _curves():
    return pd.DataFrame(
        [
            {
                "grade": g,
                "subject": s,
                "rate": r,
                "p": 0.85,
                "n": n,
                "inner_lo": 0.7,
                "inner_hi": 0.95,
                "outer_lo": 0.6,
                "outer_hi": 0.99,
            }
            for g, s in ((3, "数学"), (3, "语文"), (4, "语文"))
            for r in ("pass_rate", "excellent_rate")
            for n in (50, 30)
        ]
    )


def test_school_funnel_keeps_the_school_papers_in_report_order():
    papers = pd.DataFrame({"grade": [3, 3, 4], "subject": ["数学", "语文", "语文"]})
    panels = st.funnel_panels(_points(), _curves())
    pts, cvs = panels.for_school("001", papers)
    # grade 4 语文: the school has no point there -> no panel; 语文 before 数学 (subject order)
    assert list(dict.fromkeys(pts["panel"])) == ["三年级语文", "三年级数学"]
    assert set(pts["rate"]) == {"pass_rate"} and len(pts) == 2 + 3
    assert list(pts.loc[pts["panel"] == "三年级数学", "unit_code"]) == ["001", "002", "003"]
    assert list(dict.fromkeys(cvs["panel"])) == ["三年级语文", "三年级数学"]
    assert list(cvs.loc[cvs["panel"] == "三年级语文", "n"]) == [30, 50]  # sorted by n, one rate only
    # a paper not in ``papers`` (not published) is left out; without others only the school's own points remain
    pts, cvs = panels.for_school("001", papers.iloc[[0]], others=False)
    assert list(pts["unit_code"]) == ["001"] and list(pts["panel"]) == ["三年级数学"]
    assert set(cvs["panel"]) == {"三年级数学"}
    assert panels.for_school("001", st.NO_PAPERS)[0].empty and panels.for_school("999")[0].empty


# ---- value-added caterpillar --------------------------------------------------------------------------


def test_school_caterpillar_only_papers_where_the_school_has_an_effect():
    va = pd.DataFrame(
        {
            "school_code": ["001", "002", "003", "001", "002", "002"],
            "grade": [5, 5, 5, 6, 6, 7],
            "subject": ["数学"] * 6,
            "effect": [0.1, None, -0.2, None, 0.3, 0.0],
            "lo": 0.0,
            "hi": 0.0,
        }
    )
    out, _ = st.caterpillar_panels(va).for_school("001")
    # grade 6: 001 withheld (no effect) -> no panel; grade 5: 002's missing effect dropped
    assert list(out["school_code"]) == ["001", "003"] and set(out["panel"]) == {"五年级数学"}


# ---- score bands -----------------------------------------------------------------------------------------


def test_school_score_bands_school_beside_district():
    rows = []
    for level, unit in (("school", "001"), ("school", "002"), ("category", "城区"), ("district", "district")):
        for grade, subject in ((3, "语文"), (3, "英语"), (4, "语文")):
            if (level, unit, grade) == ("school", "001", 4):
                continue  # the school did not sit grade 4
            for band_no in (1, 0):
                rows.append(
                    {
                        "level": level,
                        "unit_code": unit,
                        "grade": grade,
                        "subject": subject,
                        "band_no": band_no,
                        "share": 0.5,
                    }
                )
    bands = pd.DataFrame(rows)
    # published: 001 三年级语文 (英语 too few tested); 002 everything
    results = pd.DataFrame(
        {
            "level": "school",
            "unit_code": ["001", "001", "002", "002", "002"],
            "grade": [3, 3, 3, 3, 4],
            "subject": ["语文", "英语", "语文", "英语", "语文"],
            "tested_n": [40, 5, 40, 40, 40],
        }
    )
    by_school = st.score_bands(bands, results, 10)
    out = by_school["001"]
    assert set(out["panel"]) == {"三年级语文"}
    assert list(zip(out["level"], out["band_no"])) == [("district", 0), ("district", 1), ("school", 0), ("school", 1)]
    assert set(out.loc[out["level"] == "school", "unit_code"]) == {"001"}
    assert list(dict.fromkeys(by_school["002"]["panel"])) == ["三年级语文", "三年级英语", "四年级语文"]


# ---- weighting sensitivity --------------------------------------------------------------------------


def _sens():
    # paper 3 语文: schools A, B, C ranked, D unranked (small). A: main 2, 均分为主 1 (-1), 关注后进 2 (0)
    # paper 3 数学: A unranked -> no row for A
    recs = []
    ranks = {
        "主方案": {"A": 2, "B": 1, "C": 3, "D": None},
        "均分为主": {"A": 1, "B": 2, "C": 3, "D": None},
        "关注后进": {"A": 2, "B": 1, "C": 3, "D": None},
    }
    for scheme, by_school in ranks.items():
        for code, rank in by_school.items():
            main = ranks["主方案"][code]
            recs.append(
                {
                    "unit_code": code,
                    "grade": 3,
                    "subject": "语文",
                    "scheme": scheme,
                    "composite_rank": rank,
                    "rank_change": None if rank is None else rank - main,
                }
            )
        recs.append(
            {
                "unit_code": "A",
                "grade": 3,
                "subject": "数学",
                "scheme": scheme,
                "composite_rank": None,
                "rank_change": None,
            }
        )
    df = pd.DataFrame(recs)
    for col in ("composite_rank", "rank_change"):
        df[col] = df[col].astype("Int64")
    df["max_rank_change"] = (
        df.groupby(["unit_code", "grade", "subject"])["rank_change"].transform(lambda s: s.abs().max()).astype("Int64")
    )
    return df


def test_school_sensitivity_ranks_under_each_weighting():
    by_school = st.sensitivities(_sens())
    out = by_school["A"]
    assert list(out.columns) == ["年级", "学科", "主方案", "均分为主", "关注后进", "最大名次变动"]
    assert out.to_dict("records") == [
        {
            "年级": "三年级",
            "学科": "语文",
            "主方案": "2/3",
            "均分为主": "1/3（前进 1）",
            "关注后进": "2/3（不变）",
            "最大名次变动": 1,
        }
    ]
    c = by_school["C"].iloc[0]
    assert (c["均分为主"], c["最大名次变动"]) == ("3/3（不变）", 0)
    b = by_school["B"].iloc[0]
    assert b["均分为主"] == "2/3（后退 1）"
    assert "D" not in by_school  # never ranked: nothing to show
    assert st.sensitivities(_sens().iloc[0:0]) == {}


# ---- 排名统计表 ---------------------------------------------------------------------------------------------


def _trend():
    rows = [
        # term, unit, pass_rate, rank, n_ranked
        ("2023-1", "A", 0.90, 3, 4),
        ("2023-2", "A", 0.95, 1, 2),
        ("2023-1", "B", 0.80, 2, 4),
        ("2023-2", "B", 0.85, 2, 2),
        ("2023-1", "C", 0.70, 4, 4),
        ("2023-2", "C", 0.60, None, 2),  # C too small this term: not ranked
        ("2023-2", "E", 0.50, None, 2),  # E new this term
        ("2023-1", "F", 0.99, 1, 4),  # F gone this term (was first)
    ]
    df = pd.DataFrame(rows, columns=["term", "unit_code", "pass_rate", "rank_district", "n_ranked_district"])
    df = df.assign(level="school", unit_name=df["unit_code"] + "校", category="城区", grade=3, subject="语文")
    level = df.assign(grade=1, rank_district=None)  # grade 1 (等级): never ranked
    out = pd.concat([df, level], ignore_index=True)
    out["rank_district"] = out["rank_district"].astype("Int64")
    out["n_ranked_district"] = out["n_ranked_district"].astype("Int64")
    return out


def test_district_rank_trend_every_school_every_term():
    out = district.district_rank_trend(_trend(), 3, "语文")
    assert list(out.columns) == ["代码", "学校", "类别", "2023-1", "2023-2"]
    assert list(out["代码"]) == ["A", "B", "C", "E", "F"]  # 2023-2 ranks 1, 2; then unranked / absent by code
    a = out.iloc[0]
    assert (a["学校"], a["2023-1"], a["2023-2"]) == ("A校", "90.0% / 3/4", "95.0% / 1/2")
    assert out.iloc[2]["2023-2"] == "60.0% / —"
    assert out.iloc[3]["2023-1"] == "—"  # no row that term
    assert (out.iloc[4]["2023-1"], out.iloc[4]["2023-2"]) == ("99.0% / 1/4", "—")
    assert district.district_rank_trend(_trend(), 1, "语文").empty  # level-graded: nothing is ranked
    assert district.district_rank_trend(_trend(), 5, "语文").empty


def test_school_rank_trend_same_cells():
    by_school = st.rank_trends(_trend())
    out = by_school["C"]
    assert list(out.columns) == ["年级", "学科", "2023-1", "2023-2"]
    assert out.set_index("年级").loc["三年级", "2023-2"] == "60.0% / —"
    assert out.set_index("年级").loc["一年级", "2023-1"] == "70.0% / —"
    # a school with rows in one term only has that term's column only (as its own pivot would)
    assert list(by_school["E"].columns) == ["年级", "学科", "2023-2"]
    assert list(by_school["F"].columns) == ["年级", "学科", "2023-1"]
