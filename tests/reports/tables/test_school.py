"""tqa.reports.tables.school (every school's report tables in one pass) and Catalog.derive (built once per process).
Small frames with two or three schools, values by hand: each school gets its own rows, never another's."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from tqa.io.catalog import Catalog
from tqa.reports.tables import school as st


def _stats():
    rows = []
    for level, unit, category, tested, mean in (
        ("school", "001", "城区", 40, 80.0),
        ("school", "002", "农村", 8, 60.0),
        ("category", "城区", "城区", 400, 75.0),
        ("category", "农村", "农村", 300, 65.0),
        ("district", "district", None, 700, 70.0),
    ):
        for subject, shift in (("数学", 0.0), ("语文", 1.0)):
            rows.append(
                {
                    "level": level,
                    "unit_code": unit,
                    "unit_name": unit,
                    "category": category,
                    "grade": 3,
                    "subject": subject,
                    "tested_n": tested,
                    "mean": mean + shift,
                    "sd": 10.0,
                    "pass_rate": 0.9,
                    "excellent_rate": 0.3,
                    "low_rate": 0.05,
                    "rank_district": 1 if level == "school" else None,
                    "n_ranked_district": 1,
                    "rank_category": 1 if level == "school" else None,
                    "n_ranked_category": 1,
                }
            )
    return pd.DataFrame(rows)


def test_comparisons_school_beside_its_own_category_and_the_district():
    out = st.comparisons(_stats(), min_n=10)
    chart, table = out["001"]
    # 语文 before 数学 (subject order); per paper: school, its category, district
    assert list(zip(table["subject"], table["level_label"])) == [
        ("语文", "本校"),
        ("语文", "同类（城区）"),
        ("语文", "全区"),
        ("数学", "本校"),
        ("数学", "同类（城区）"),
        ("数学", "全区"),
    ]
    assert list(table["rank_district"]) == ["1/1", "—", "—"] * 2
    assert chart["mean"].tolist() == [81.0, 76.0, 71.0, 80.0, 75.0, 70.0]
    chart, table = out["002"]  # 8 tested: below min_n
    assert set(table.loc[table["level"] == "category", "level_label"]) == {"同类（农村）"}
    assert table.loc[table["level"] == "school", "mean"].tolist() == ["样本过少"] * 2
    assert chart.loc[chart["level"] == "school", "mean"].isna().all()
    assert chart.loc[chart["level"] == "district", "mean"].tolist() == [71.0, 70.0]


def test_class_tables_per_school_and_grade_with_tiers():
    keys = [("001", 4, 2, "数学"), ("001", 4, 1, "数学"), ("001", 3, 1, "语文"), ("002", 3, 1, "语文")]
    classes = pd.DataFrame(
        [
            {
                "school_code": s,
                "grade": g,
                "class_no": c,
                "subject": sub,
                "tested_n": 30,
                "mean": 80.0 + c,
                "mean_lo": 78.0,
                "mean_hi": 82.0 + c,
                "pass_rate": 0.9,
                "excellent_rate": 0.25,
                "low_rate": 0.0,
                "mean_vs_school": c - 1.5,
            }
            for s, g, c, sub in keys
        ]
    )
    tiers = pd.DataFrame(
        [
            {
                "school_code": s,
                "grade": g,
                "class_no": c,
                "subject": sub,
                "tested_n": 30,
                "top_n": 10 if s == "001" else 1,
                "middle_n": 15,
                "struggling_n": 5,
                "near_pass_n": c,
                "near_excellent_n": 2,
            }
            for s, g, c, sub in keys[:3] + [("002", 3, 1, "语文")]
        ]
    )
    out = st.class_tables(classes, tiers, 0.95)
    assert [g for g, _ in out["001"]] == [3, 4]
    grade4 = out["001"][1][1]
    assert list(grade4["班级"]) == ["1班", "2班"]
    assert grade4.iloc[1]["平均分（95%区间）"] == "82.0（78.0–84.0）"
    assert grade4.iloc[0]["与本校平均之差"] == "-0.5" and list(grade4["优生"]) == [10, 10]
    assert list(out["002"][0][1]["优生"]) == [1]  # its own tiers, not the other school's
    assert list(grade4["临界及格"]) == [1, 2] and list(grade4["临界优秀"]) == [2, 2]  # counts; names: the workbook


def test_target_tables_cells_and_columns():
    rows = [
        ("001", "语文", "及格率", "不低于", 0.9, 0.95, True, 0.05, "可发布"),
        ("001", "语文", "低分率", "不高于", 0.05, 0.082, False, 0.032, "可发布"),
        ("002", "语文", "及格率", "不低于", 0.9, None, None, None, "样本过少"),
    ]
    t = pd.DataFrame(
        rows,
        columns=["unit_code", "subject", "indicator_label", "kind", "target", "actual", "met", "gap", "sample_status"],
    ).assign(level="school", grade=3)
    out = st.target_tables(t)
    assert out["001"].to_dict("records") == [
        {
            "年级": "三年级",
            "学科": "语文",
            "及格率": "95.0%（目标≥90%，达成）",
            "低分率": "8.2%（目标≤5%，未达成，差 3.2 个百分点）",
        }
    ]
    assert out["002"].to_dict("records") == [{"年级": "三年级", "学科": "语文", "及格率": "样本过少"}]


# ---- Catalog.derive -------------------------------------------------------------------------------------


@pytest.fixture
def catalog(tmp_path):
    cat = Catalog("2023-2", root=tmp_path)
    cat.scores.mkdir(parents=True)
    pd.DataFrame({"unit_code": ["001", "002"], "n": [1, 2]}).to_parquet(cat.table("scores", "equity"))
    return cat


def test_derive_builds_once_per_source_and_options(catalog):
    calls = []

    def build(df, factor=1):
        calls.append(factor)
        return {code: n * factor for code, n in zip(df["unit_code"], df["n"])}

    assert catalog.derive(build, catalog.read("scores", "equity")) == {"001": 1, "002": 2}
    assert catalog.derive(build, catalog.read("scores", "equity"))["002"] == 2  # another read, same file
    assert catalog.derive(build, catalog.read("scores", "equity"), factor=10)["002"] == 20
    assert calls == [1, 10]
    # a re-written table is built afresh
    path = catalog.table("scores", "equity")
    pd.DataFrame({"unit_code": ["001"], "n": [5]}).to_parquet(path)
    os.utime(path, ns=(1, 1))
    assert catalog.derive(build, catalog.read("scores", "equity")) == {"001": 5}
    # a frame made in the notebook has no known origin: built on every call, never from the cache
    mine = catalog.read("scores", "equity").assign(n=7)
    assert catalog.derive(build, mine) == {"001": 7} and catalog.derive(build, mine) == {"001": 7}
    assert calls == [1, 10, 1, 1, 1]


def test_derived_frames_feed_further_derivations(catalog):
    doubled = catalog.derive(lambda df: df.assign(n=df["n"] * 2), catalog.read("scores", "equity"))
    calls = []

    def total(df):
        calls.append(1)
        return int(df["n"].sum())

    assert catalog.derive(total, doubled) == 6 and catalog.derive(total, doubled) == 6
    assert calls == [1]


def test_split_takes_a_part_only_when_asked_for():
    df = pd.DataFrame({"unit_code": ["002", "001", "002", "001"], "v": [1, 2, 3, 4]}, index=[10, 11, 12, 13])
    finished = []
    split = st.Split(df, "unit_code", lambda part: finished.append(len(part)) or part)
    assert list(split) == ["002", "001"] and "003" not in split and finished == []
    assert split["001"].to_dict("list") == {"v": [2, 4]} and list(split["001"].index) == [0, 1]
    assert finished == [2, 2] and split.get("003") is None


def test_class_subject_matrix_has_each_class_and_subject_with_its_difference():
    rows = [
        {"school_code": "001", "grade": 3, "class_no": c, "subject": s, "mode": "分数", "mean": m, "mean_vs_school": d}
        for c, s, m, d in [(1, "语文", 82.34, 1.5), (2, "语文", 79.0, -0.04), (1, "数学", 90.0, 2.0),
                           (2, "数学", float("nan"), float("nan"))]
    ] + [{"school_code": "001", "grade": 1, "class_no": 1, "subject": "语文", "mode": "等级", "mean": float("nan"),
          "mean_vs_school": float("nan")}]  # fmt: skip
    out = dict(st.class_subject_matrix(pd.DataFrame(rows))["001"])
    assert list(out) == [3]  # level-graded papers have no mean
    m = out[3]
    assert list(m.columns) == ["班级", "语文", "数学"]
    assert m.values.tolist() == [["1班", "82.3（+1.5）", "90.0（+2.0）"], ["2班", "79.0（0.0）", "—"]]


def test_a_flagged_item_carries_the_districts_review_note():
    gaps = pd.DataFrame(
        {"school_code": "001", "grade": 7, "subject": "数学", "item_no": [1, 2], "item": ["第1题", "第2题"],
         "type": "objective", "full_marks": 2.0, "n": 40, "school_rate": [0.9, 0.4], "district_rate": [0.5, 0.6],
         "gap": [0.4, -0.2], "weakness_rank": [2, 1]}
    )  # fmt: skip
    stats = pd.DataFrame({"grade": 7, "subject": "数学", "item_no": [1, 2], "flags": ["区分度为负，请核对答案", ""]})
    out = st.item_gap_table(gaps, stats)
    assert list(out["题号"]) == ["第2题", "第1题"]  # weakest first
    # The school's best item (+40 points) is the one the district flags: the flag is beside it, not a plain strength
    assert out.set_index("题号").loc["第1题", ["差距（百分点）", "全区复核"]].tolist() == [
        "+40.0",
        "区分度为负，请核对答案",
    ]
    assert out.set_index("题号").loc["第2题", "全区复核"] == "—"
