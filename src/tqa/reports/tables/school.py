"""The school report's tables and chart data, shaped for every school at once (pure functions).

A school report shows its school's slice of district-wide tables. Each builder here shapes the whole district
in one vectorised pass and returns a mapping ``school_code -> table`` (a ``Split``, which takes a school's
rows only when asked for) or an object that hands out one school's part. The report notebook calls it
through ``Catalog.derive``, so each worker process builds it once and every report it runs picks its school's
entry. Shaping the same tables school by school cost about 0.19 CPU-s per
report at 300 schools (hundreds of small pandas operations), against a few milliseconds now.

Rows, columns and formats are those the report shows; ``tqa.reports.tables.common`` has the shared labels and formats.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from tqa.core import units
from tqa.core.ordering import sort_rows, subject_sort_key
from tqa.core.vocabulary import EXAM_MODE_LEVEL, GRADE_LABELS
from tqa.measures.academic.composite import MAIN_SCHEME
from tqa.reports.labels import TYPE_LABELS, band_words, interval_text, pct_text, percent, rank_text, signed
from tqa.reports.tables.common import (
    comparison_table,
    lines_table,
    mask_small,
    rank_columns,
    trend_cells,
    withhold_small,
)

Paper = tuple[int, str]
SCHOOL_LEVEL, DISTRICT_LEVEL = units.SCHOOL.name, units.DISTRICT.name
NO_ROWS = pd.DataFrame()  # a school with no entry in a builder's result
NO_PAPERS = pd.DataFrame({"grade": pd.Series(dtype="int64"), "subject": pd.Series(dtype="str")})


class Split(Mapping):
    """{key: that key's rows, without the key column}, each part in the frame's order with a fresh index.

    A part is taken only when asked for (a worker runs about half the schools, each once), optionally passed
    through ``finish``: splitting 300 schools' tables up front cost about 1 CPU-s per table and process.
    """

    def __init__(self, df: pd.DataFrame, key: str, finish: Callable[[pd.DataFrame], Any] | None = None):
        self._positions = df.groupby(key, sort=False).indices
        self._rows = df.drop(columns=key)
        self._finish = finish

    def __getitem__(self, key):
        rows = self._rows.take(self._positions[key]).reset_index(drop=True)
        return rows if self._finish is None else self._finish(rows)

    def __iter__(self) -> Iterator:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)

    def __contains__(self, key) -> bool:
        return key in self._positions


def paper_order(df: pd.DataFrame, within: list[str] | None = None) -> pd.DataFrame:
    """Rows sorted by ``within`` (e.g. the school), grade and subject order (stable), with a ``panel``
    label (三年级语文) for the small-multiple charts."""
    df = df.assign(_s=subject_sort_key(df["subject"]))
    df = df.sort_values([*(within or []), "grade", "_s"], kind="stable")
    grade = df["grade"].map({g: GRADE_LABELS.get(int(g), str(g)) for g in pd.unique(df["grade"])})
    return df.drop(columns="_s").assign(panel=grade.astype("string") + df["subject"].astype("string"))


def _labelled(wide: pd.DataFrame) -> pd.DataFrame:
    """grade / subject as 年级 / 学科 (grade labels), for the report's wide tables."""
    wide = wide.assign(grade=wide["grade"].map(GRADE_LABELS))
    wide.columns.name = None
    return wide.rename(columns={"grade": "年级", "subject": "学科"})


def _without_empty(optional: list[str]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Leave out of a school's table the ``optional`` columns it has no value in (as a pivot of that
    school's rows alone would)."""

    def finish(part: pd.DataFrame) -> pd.DataFrame:
        return part.drop(columns=[c for c in optional if c in part and part[c].isna().all()])

    return finish


# ---- the school beside its category and the district ------------------------------------------------------


def comparisons(stats: pd.DataFrame, min_n: int) -> Mapping[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Per school: its rows beside its category's and the district's on every paper it sat (grade, subject
    order; school, category, district), as (chart rows: small cohorts masked, table rows: small cohorts
    suppressed and ranks as 'rank/n' text)."""
    school = stats[stats["level"] == SCHOOL_LEVEL]
    keys = school[["unit_code", "category", "grade", "subject"]].rename(columns={"unit_code": "_for"})
    category = units.rows(stats, units.CATEGORY).merge(keys, on=["category", "grade", "subject"])
    district = stats[stats["level"] == DISTRICT_LEVEL].merge(keys.drop(columns="category"), on=["grade", "subject"])
    out = pd.concat([school.assign(_for=school["unit_code"]), category, district], ignore_index=True)
    out = out.assign(
        _o=out["level"].map({lv: i for i, lv in enumerate(units.LEVEL_ORDER)}), _s=subject_sort_key(out["subject"])
    )
    out = out.sort_values(["_for", "grade", "_s", "_o"], kind="stable").drop(columns=["_s", "_o"])
    out["level_label"] = (
        out["level"]
        .map({SCHOOL_LEVEL: "本校", DISTRICT_LEVEL: "全区"})
        .fillna("同类（" + out["category"].astype(str) + "）")
    )
    out["grade_label"] = out["grade"].map(GRADE_LABELS)
    return Split(out, "_for", lambda part: (mask_small(part, min_n), comparison_table(part, min_n)))


def published_papers(results: pd.DataFrame, min_n: int) -> Mapping[str, pd.DataFrame]:
    """Per school, the papers whose figures its report shows: tested_n >= min_n. After public suppression a
    hidden row has no tested_n, so complementary-suppressed papers drop out too. Columns grade, subject."""
    return Split(_published(results, min_n), "unit_code")


def _published(results: pd.DataFrame, min_n: int) -> pd.DataFrame:
    own = results[results["level"] == SCHOOL_LEVEL]
    shown = (own["tested_n"].astype("Float64").fillna(0) >= min_n).to_numpy()
    return own.loc[shown, ["unit_code", "grade", "subject"]]


def standings(results: pd.DataFrame, public: bool, rank_by: str) -> Mapping[str, pd.DataFrame]:
    """Per school and paper: its band against the district (the public edition in its wording) and (internally)
    its rank by ``rank_by`` with the rank range."""
    s = results[results["level"] == SCHOOL_LEVEL]
    s = s.assign(_s=subject_sort_key(s["subject"])).sort_values(["unit_code", "grade", "_s"], kind="stable")
    out = pd.DataFrame(
        {
            "unit_code": s["unit_code"],
            "年级": s["grade"].map(GRADE_LABELS),
            "学科": s["subject"],
            "实考": s["tested_n"],
            "平均标准分": [signed(v, 2) for v in s["mean_z"]],
            "比均率": [f"{v:.2f}" if pd.notna(v) else "—" for v in s["ratio_to_mean"]],
            "平均分与全区比较": band_words(s["mean_band"].fillna("—"), public),
            "及格率与全区比较": band_words(s["pass_rate_band"].fillna("—"), public),
        }
    )
    if not public:
        out = out.assign(**rank_columns(s, rank_by))
    return Split(withhold_small(out, s, first=4), "unit_code")


def sensitivities(sens: pd.DataFrame) -> Mapping[str, pd.DataFrame]:
    """Per school, its composite district rank under each weighting (internal only): one row per paper it is
    ranked on; per scheme "名次/参与排名学校数", the alternatives with the move against the main scheme
    (前进 = a better rank, 后退 = a worse one), and the largest move. Schools never ranked are left out."""
    schemes = [MAIN_SCHEME, *(c for c in pd.unique(sens["scheme"]) if c != MAIN_SCHEME)]
    own = sens[sens["composite_rank"].notna()]
    if own.empty:
        return {}
    n_ranked = own.groupby(["grade", "subject", "scheme"], sort=False)["composite_rank"].transform("count")
    text = [rank_text(r, n) for r, n in zip(own["composite_rank"], n_ranked)]
    moves = [
        t
        if s == MAIN_SCHEME or pd.isna(m)
        else t + ("（不变）" if int(m) == 0 else f"（{'后退' if m > 0 else '前进'} {abs(int(m))}）")
        for t, s, m in zip(text, own["scheme"], own["rank_change"])
    ]
    own = own.assign(cell=moves)
    index = ["unit_code", "grade", "subject"]
    wide = own.pivot_table(index=index, columns="scheme", values="cell", aggfunc="first")
    wide = wide.reindex(columns=[c for c in schemes if c in wide.columns]).reset_index()
    biggest = own.groupby(index)["max_rank_change"].max()
    wide["最大名次变动"] = biggest.reindex(pd.MultiIndex.from_frame(wide[index])).astype(int).to_numpy()
    wide = paper_order(wide, within=["unit_code"]).drop(columns="panel")
    return Split(_labelled(wide), "unit_code", _without_empty(schemes))


def target_tables(targets: pd.DataFrame) -> Mapping[str, pd.DataFrame]:
    """Per school, one row per paper; per indicator "本校值（目标 ≥90%：达成 / 差 −3.2）"."""
    t = targets[(targets["level"] == SCHOOL_LEVEL) & targets["target"].notna()]
    sign = {"不低于": "≥", "不高于": "≤"}
    cells = [
        str(status)
        if pd.isna(actual) or pd.isna(met)
        else f"{actual:.1%}（目标{sign.get(kind, kind)}{target:.0%}，"
        + ("达成" if met else f"未达成，差 {abs(gap) * 100:.1f} 个百分点")
        + "）"
        for actual, met, kind, target, gap, status in zip(
            t["actual"], t["met"], t["kind"], t["target"], t["gap"], t["sample_status"]
        )
    ]
    t = t.assign(cell=cells, _s=subject_sort_key(t["subject"]))
    wide = t.pivot_table(
        index=["unit_code", "grade", "_s", "subject"], columns="indicator_label", values="cell", aggfunc="first"
    )
    wide = wide.reset_index().sort_values(["unit_code", "grade", "_s"], kind="stable").drop(columns="_s")
    indicators = [c for c in ("及格率", "优秀率", "低分率") if c in wide]
    return Split(
        _labelled(wide[["unit_code", "grade", "subject", *indicators]]), "unit_code", _without_empty(indicators)
    )


# ---- value added, change since last term, rank history ------------------------------------------------


def value_added_tables(value_added: pd.DataFrame, level: float, public: bool) -> Mapping[str, pd.DataFrame]:
    """Per school, its value-added per paper with the interval (computed at ``level``) and the band."""
    v = value_added
    return Split(
        pd.DataFrame(
            {
                "school_code": v["school_code"],
                "年级": v["grade"].map(GRADE_LABELS),
                "学科": v["subject"],
                "实考": v["tested_n"],
                "匹配率": pct_text(v["match_rate"]),
                f"增值（{percent(level)}区间）": interval_text(v["effect"], v["lo"], v["hi"], "{:+.2f}"),
                "与全区平均比较": band_words(v["band"].fillna("—"), public),
            }
        ),
        "school_code",
    )


def change_tables(change: pd.DataFrame, public: bool) -> Mapping[str, pd.DataFrame]:
    """Per school, its pass rates against last term's, with the status x change colour (and, internally, the
    rank move)."""
    c = change[change["metric"] == "pass_rate"]
    out = pd.DataFrame(
        {
            "unit_code": c["unit_code"],
            "年级": c["grade"].map(GRADE_LABELS),
            "学科": c["subject"],
            "上学期及格率": pct_text(c["prior_value"]),
            "本学期及格率": pct_text(c["current_value"]),
            "变化（百分点）": [signed(v * 100) for v in c["change"]],
            "现状": c["status_level"].fillna("—"),
            "变化": c["change_level"].fillna("—"),
            "颜色": c["colour_label"].fillna(c["note"]),
        }
    )
    if not public:
        out.insert(
            6,
            "名次变化",
            [
                f"{int(a)}→{int(b)}" if pd.notna(a) and pd.notna(b) else "—"
                for a, b in zip(c["prior_rank"], c["current_rank"])
            ],
        )
    return Split(out, "unit_code")


def rank_trends(trend: pd.DataFrame) -> Mapping[str, pd.DataFrame]:
    """Per school, its district rank per paper across the terms on disk (排名统计表)."""
    t = trend[trend["level"] == SCHOOL_LEVEL]
    terms = sorted(pd.unique(t["term"]))
    t = t.assign(cell=trend_cells(t))
    wide = t.pivot_table(index=["unit_code", "grade", "subject"], columns="term", values="cell", aggfunc="first")
    wide = wide.reset_index()
    wide = wide.assign(_s=subject_sort_key(wide["subject"]))
    wide = wide.sort_values(["unit_code", "grade", "_s"], kind="stable").drop(columns="_s")
    return Split(_labelled(wide), "unit_code", _without_empty(terms))


# ---- classes and students --------------------------------------------------------------------------------


def class_tables(
    classes: pd.DataFrame, tiers: pd.DataFrame, level: float
) -> Mapping[str, list[tuple[int, pd.DataFrame]]]:
    """班级对比 per school, as (grade, table) in grade order: each class's statistics with intervals, and its
    students by tier."""
    keys = ["school_code", "grade", "class_no", "subject"]
    c = classes.merge(tiers.drop(columns=["tested_n"]), on=keys, how="left")
    c = c.assign(_s=subject_sort_key(c["subject"])).sort_values(
        ["school_code", "grade", "_s", "class_no"], kind="stable"
    )
    table = pd.DataFrame(
        {
            "school_code": c["school_code"],
            "grade": c["grade"],
            "学科": c["subject"],
            "班级": c["class_no"].astype(str) + "班",
            "实考": c["tested_n"],
            f"平均分（{percent(level)}区间）": interval_text(c["mean"], c["mean_lo"], c["mean_hi"]),
            "及格率": pct_text(c["pass_rate"]),
            "优秀率": pct_text(c["excellent_rate"]),
            "低分率": pct_text(c["low_rate"]),
            "与本校平均之差": [signed(v) for v in c["mean_vs_school"]],
            "优生": c["top_n"].astype("Int64"),
            "中等生": c["middle_n"].astype("Int64"),
            "学困生": c["struggling_n"].astype("Int64"),
            "临界及格": c["near_pass_n"].astype("Int64"),
            "临界优秀": c["near_excellent_n"].astype("Int64"),
        }
    )
    return Split(table, "school_code", _by_grade)


def class_subject_matrix(classes: pd.DataFrame) -> Mapping[str, list[tuple[int, pd.DataFrame]]]:
    """Per school and grade, the 班级 x 学科 matrix: each class's mean in each subject with its difference from the
    school's mean ("82.3（+1.5）"), "—" where a class has no published mean."""
    c = classes[classes["mode"] != EXAM_MODE_LEVEL]
    cell = ["—" if pd.isna(m) else f"{m:.1f}（{signed(d)}）" for m, d in zip(c["mean"], c["mean_vs_school"])]
    c = c.assign(cell=cell, 班级=c["class_no"].astype(str) + "班")
    out = {}
    for code, part in c.groupby("school_code", sort=True):
        grades = []
        for grade, rows in part.groupby("grade", sort=True):
            subjects = list(dict.fromkeys(sort_rows(rows, ["subject"])["subject"]))
            wide = rows.pivot_table(index=["class_no", "班级"], columns="subject", values="cell", aggfunc="first")
            wide = wide.reindex(columns=subjects).fillna("—").reset_index().drop(columns="class_no")
            wide.columns.name = None
            grades.append((int(grade), wide))
        out[code] = grades
    return out


def _by_grade(part: pd.DataFrame) -> list[tuple[int, pd.DataFrame]]:
    return [
        (int(grade), rows.drop(columns="grade").reset_index(drop=True))
        for grade, rows in part.groupby("grade", sort=False)
    ]


def line_tables(stats: pd.DataFrame) -> Mapping[str, pd.DataFrame]:
    """Per school, full marks and the three lines of each paper it sat (the 口径说明 appendix)."""
    s = stats[stats["level"] == SCHOOL_LEVEL].drop_duplicates(["unit_code", "grade", "subject"])
    return Split(s, "unit_code", lines_table)


# ---- chart data: every school on the papers the school sat ------------------------------------------------


@dataclass(frozen=True)
class PaperPanels:
    """Rows of every school per paper, each paper's rows in chart order with a ``panel`` label, and which
    papers each school has a row on: a school's chart data is the panels of its papers, put together."""

    by_paper: dict[Paper, pd.DataFrame]
    papers_of: dict[str, frozenset[Paper]]
    curves: dict[Paper, pd.DataFrame]
    school_column: str

    def for_school(
        self, school_code: str, papers: pd.DataFrame | None = None, others: bool = True
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(rows, curves) on the school's papers that are also in ``papers`` (all of them if None), in grade /
        subject order; ``others=False`` keeps only the school's own rows."""
        own = self.papers_of.get(school_code, frozenset())
        if papers is not None:
            own = own & set(papers[["grade", "subject"]].itertuples(index=False, name=None))
        keys = [p for p in self.by_paper if p in own]  # by_paper is in paper order
        rows = _concat([self.by_paper[p] for p in keys], self.by_paper)
        if not others:
            rows = rows[rows[self.school_column] == school_code].reset_index(drop=True)
        return rows, _concat([self.curves[p] for p in keys if p in self.curves], self.curves)


def _concat(parts: list[pd.DataFrame], like: dict[Paper, pd.DataFrame]) -> pd.DataFrame:
    if parts:
        return pd.concat(parts, ignore_index=True)
    return next(iter(like.values())).iloc[0:0] if like else pd.DataFrame()


def _by_paper(rows: pd.DataFrame) -> dict[Paper, pd.DataFrame]:
    """Rows (already in paper order) per (grade, subject), in paper order."""
    return {k: g.reset_index(drop=True) for k, g in rows.groupby(["grade", "subject"], sort=False)}


def _panels(rows: pd.DataFrame, school_column: str, curves: pd.DataFrame | None = None) -> PaperPanels:
    rows = paper_order(rows.sort_values(school_column, kind="stable"))
    papers_of: dict[str, set[Paper]] = {}
    for code, grade, subject in rows[[school_column, "grade", "subject"]].itertuples(index=False, name=None):
        papers_of.setdefault(code, set()).add((grade, subject))
    curves_by_paper = {} if curves is None else _by_paper(paper_order(curves.sort_values("n", kind="stable")))
    return PaperPanels(_by_paper(rows), {k: frozenset(v) for k, v in papers_of.items()}, curves_by_paper, school_column)


def funnel_panels(points: pd.DataFrame, curves: pd.DataFrame, rate: str = "pass_rate") -> PaperPanels:
    """Funnel-plot data for one rate: every school's point per paper (by school code) and the control limits
    (by n); ``for_school`` gives a school's report its published papers."""
    return _panels(points[points["rate"] == rate], "unit_code", curves[curves["rate"] == rate])


def caterpillar_panels(value_added: pd.DataFrame) -> PaperPanels:
    """Every school's value-added effect per paper (not withheld), by school code, for the caterpillar with
    the school highlighted on the papers where it has an effect."""
    return _panels(value_added[value_added["effect"].notna()], "school_code")


def score_bands(bands: pd.DataFrame, results: pd.DataFrame, min_n: int) -> Mapping[str, pd.DataFrame]:
    """分数段 per school: its bands and the district's on its published, score-graded papers (grade, subject,
    district before school, band), with a ``panel`` label; for score_band_chart."""
    papers = _published(results, min_n).rename(columns={"unit_code": "_for"})
    papers["_for"] = papers["_for"].astype(bands["unit_code"].dtype)  # unlike key dtypes: merge makes objects
    school = bands[bands["level"] == SCHOOL_LEVEL].merge(
        papers, left_on=["unit_code", "grade", "subject"], right_on=["_for", "grade", "subject"]
    )
    own = school[["_for", "grade", "subject"]].drop_duplicates()
    district = bands[bands["level"] == DISTRICT_LEVEL].merge(own, on=["grade", "subject"])
    b = pd.concat([school, district], ignore_index=True).sort_values(["level", "band_no"], kind="stable")
    return Split(paper_order(b, within=["_for"]), "_for")


def item_gap_table(gaps: pd.DataFrame, item_stats: pd.DataFrame) -> pd.DataFrame:
    """A school's items on one paper, weakest first, each with the district's review flag (a negative
    discrimination, say: the key may be wrong), so a flagged item is never read as a plain strength or weakness."""
    flags = item_stats[["grade", "subject", "item_no", "flags"]]
    gaps = gaps.merge(flags, on=["grade", "subject", "item_no"], how="left")
    gaps = gaps.sort_values(["weakness_rank", "item_no"])
    return pd.DataFrame(
        {
            "题号": gaps["item"],
            "题型": gaps["type"].map(TYPE_LABELS).fillna(gaps["type"]),
            "满分": gaps["full_marks"].map("{:g}".format),
            "本校得分率": pct_text(gaps["school_rate"]),
            "全区得分率": pct_text(gaps["district_rate"]),
            "差距（百分点）": [signed(v * 100) for v in gaps["gap"]],
            "全区复核": gaps["flags"].fillna("").replace("", "—"),
        }
    ).reset_index(drop=True)
