"""体质健康 tables for the reports (DataFrames in, display frames out): the district's grades, targets, the schools
below the district (internal), equity, trend, a school's grades against its category and the district, and the
public edition's bands (schools in category and code order, nothing to order them by).

The statistics reach these functions through the views, which have blanked withheld cohorts
(``tqa.measures.cohorts.withhold``): a blank figure is shown as its sample status, never as a number."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tqa.core import units
from tqa.core.ordering import category_key, sort_rows
from tqa.core.vocabulary import GRADE_LABELS, SCHOOL_CATEGORIES
from tqa.measures.cohorts import STATUS_WITHHELD
from tqa.measures.fitness.rates import LEVEL_LABELS, LEVELS, SEX_ALL
from tqa.reports.labels import band_words, interval_text, pct_text, signed

BELOW = ("低于", "明显低于")
NO_FIGURE = "—"
SEX_LABELS = {"男": "男生", "女": "女生", SEX_ALL: "合计"}


def _rate(df: pd.DataFrame, rate: str) -> list[str]:
    """'72.5%（60.1%–82.3%）', or why there is no figure."""
    text = interval_text(df[rate], df[f"{rate}_lo"], df[f"{rate}_hi"], "{:.1f}%", scale=100)
    return [t if t != NO_FIGURE else _why(s) for t, s in zip(text, df["sample_status"])]


def _why(status) -> str:
    return str(status) if isinstance(status, str) and status else NO_FIGURE


def _count_rate(df: pd.DataFrame, level: str) -> list[str]:
    """'12（30.0%）' for one level: its count and its rate."""
    return [
        _why(s) if pd.isna(n) else f"{int(n):,}（{r * 100:.1f}%）"
        for n, r, s in zip(df[f"{level}_n"], df[f"{level}_rate"], df["sample_status"])
    ]


def _coverage(df: pd.DataFrame) -> list[str]:
    return [NO_FIGURE if pd.isna(c) else f"{c * 100:.1f}%" for c in df["coverage"]]


def figures(df: pd.DataFrame, public: bool = False) -> pd.DataFrame:
    """The common columns of a unit x grade row: tested, enrolled and coverage, levels, 优良率, 达标率, mean."""
    out = {
        "在籍": [NO_FIGURE if pd.isna(v) else f"{int(v):,}" for v in df["enrolled"]],
        "参加测试": [f"{int(v):,}" for v in df["tested_n"]],
        "测试覆盖率": _coverage(df),
        **{LEVEL_LABELS[lv]: _count_rate(df, lv) for lv in LEVELS},
        "优良率（区间）": _rate(df, "good_or_better_rate"),
        "达标率（区间）": _rate(df, "pass_or_better_rate"),
        "平均学年总分（区间）": [
            t if t != NO_FIGURE else _why(s)
            for t, s in zip(interval_text(df["mean"], df["mean_lo"], df["mean_hi"]), df["sample_status"])
        ],
    }
    return pd.DataFrame(out, index=df.index)


def district_grades(stats: pd.DataFrame) -> pd.DataFrame:
    """The district and its categories per grade (sexes pooled), then the district's boys and girls."""
    s = stats[~units.is_level(stats, units.SCHOOL)]
    s = s[(s["sex"] == SEX_ALL) | units.is_level(s, units.DISTRICT)]
    # per grade: the district, its boys and girls, then the categories in their order
    order = units.is_level(s, units.CATEGORY).astype(int) * 10 + s["sex"].map({SEX_ALL: 0, "男": 1, "女": 2})
    s = sort_rows(s.assign(_o=order, _u=category_key(s["unit_code"])), ["grade", "_o", "_u"])
    head = pd.DataFrame(
        {
            "年级": s["grade"].map(GRADE_LABELS).to_numpy(),
            "范围": [
                (n if lv == units.CATEGORY.name else units.DISTRICT_NAME) + ("" if x == SEX_ALL else SEX_LABELS[x])
                for n, lv, x in zip(s["unit_name"], s["level"], s["sex"])
            ],
        }
    )
    return pd.concat([head, figures(s).reset_index(drop=True)], axis=1)


def targets_table(targets: pd.DataFrame) -> pd.DataFrame:
    """One row per grade x target: target, actual with interval, gap, status in words."""
    t = targets
    return pd.DataFrame(
        {
            "年级": t["grade"].map(GRADE_LABELS).to_numpy(),
            "目标": (t["target_label"] + " " + t["indicator_label"] + " ≥ " + pct_text(t["target"], 0)).to_numpy(),
            "实际（区间）": [
                _why(s) if pd.isna(a) else f"{a * 100:.1f}%（{lo * 100:.1f}%–{hi * 100:.1f}%）"
                for a, lo, hi, s in zip(t["actual"], t["lo"], t["hi"], t["sample_status"])
            ],
            "与目标之差": [NO_FIGURE if pd.isna(g) else f"{signed(g * 100)} 个百分点" for g in t["gap"]],
            "结论": t["status"].fillna(NO_FIGURE).to_numpy(),
        }
    )


def published_school_grades(stats: pd.DataFrame) -> pd.DataFrame:
    """The school x grade rows (both sexes together) whose figures are published: the only rows a school can be
    named for."""
    s = units.rows(stats, units.SCHOOL)
    return s[(s["sex"] == SEX_ALL) & s["publishable"].fillna(False).astype(bool)]


def concern_schools(stats: pd.DataFrame) -> pd.DataFrame:
    """Internal: the schools x grades whose 优良率 or 达标率 is below the district with the interval supporting it
    (band 低于 / 明显低于), in code and grade order, with the figures that show it."""
    s = published_school_grades(stats)
    hit = s["good_or_better_rate_band"].isin(BELOW) | s["pass_or_better_rate_band"].isin(BELOW)
    s = sort_rows(s[hit.fillna(False)], ["unit_code", "grade"])
    return pd.DataFrame(
        {
            "代码": s["unit_code"].to_numpy(),
            "学校": s["unit_name"].to_numpy(),
            "类别": s["category"].to_numpy(),
            "年级": s["grade"].map(GRADE_LABELS).to_numpy(),
            "参加测试": s["tested_n"].to_numpy(),
            "优良率（区间）": _rate(s, "good_or_better_rate"),
            "优良率与全区比较": _gap_band(s, "good_or_better_rate"),
            "达标率（区间）": _rate(s, "pass_or_better_rate"),
            "达标率与全区比较": _gap_band(s, "pass_or_better_rate"),
        }
    )


def _gap_band(s: pd.DataFrame, rate: str) -> list[str]:
    """'低于（−12.3 个百分点）' or the band alone when there is no difference to show."""
    return [
        NO_FIGURE if pd.isna(b) else f"{b}（{signed(d * 100)} 个百分点）"
        for b, d in zip(s[f"{rate}_band"], s[f"{rate}_diff"])
    ]


def equity_table(equity: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "年级": equity["grade"].map(GRADE_LABELS).to_numpy(),
            "指标": equity["indicator_label"].to_numpy(),
            "学校数": equity["n_schools"].to_numpy(),
            "各校平均": pct_text(equity["mean_of_means"]),
            "差异系数": [NO_FIGURE if pd.isna(v) else f"{v:.3f}" for v in equity["cv"]],
            "是否超过提示线": equity["cv_over"].map({True: "是", False: "否"}).fillna(NO_FIGURE).to_numpy(),
        }
    )


def trend_table(trend: pd.DataFrame) -> pd.DataFrame:
    """One unit's terms per grade: 优良率 with interval, its change since the previous assessed term."""
    t = sort_rows(trend, ["grade", "term"])
    change = [
        NO_FIGURE if pd.isna(c) else f"{signed(c * 100)}（{signed(lo * 100)} 至 {signed(hi * 100)}）"
        for c, lo, hi in zip(t["change"], t["change_lo"], t["change_hi"])
    ]
    return pd.DataFrame(
        {
            "年级": t["grade"].map(GRADE_LABELS).to_numpy(),
            "学期": t["term"].to_numpy(),
            "参加测试": t["tested_n"].to_numpy(),
            "优良率（区间）": [
                STATUS_WITHHELD if pd.isna(r) else f"{r * 100:.1f}%（{a * 100:.1f}%–{b * 100:.1f}%）"
                for r, a, b in zip(t["good_or_better_rate"], t["good_or_better_rate_lo"], t["good_or_better_rate_hi"])
            ],
            "优良率变化（百分点，区间）": change,
        }
    )


def school_grades(stats: pd.DataFrame, code: str, category: str, public: bool) -> pd.DataFrame:
    """A school's grades, each beside its category and the district (sexes pooled; internally the school's boys
    and girls too, where both are published). The public edition shows the school's bands only, not its figures."""
    own = units.rows(stats, units.SCHOOL)
    own = own[own["unit_code"] == code]
    # a grade whose boys or girls are too few to publish shows neither: the other would give them away (合计 − 男)
    sexes = own[own["sex"] != SEX_ALL]
    hidden = set(sexes.loc[~sexes["publishable"].fillna(False).astype(bool), "grade"])
    own = own[(own["sex"] == SEX_ALL) | ~(own["grade"].isin(hidden) | public)]
    if own.empty:
        return pd.DataFrame()
    own = sort_rows(own, ["grade", "sex"], {"sex": ("男", "女", SEX_ALL)})
    pooled = stats[stats["sex"] == SEX_ALL]
    cat = pooled[units.is_level(pooled, units.CATEGORY) & (pooled["unit_code"] == category)]
    dist = units.rows(pooled, units.DISTRICT)
    # per grade: the school's rows (boys, girls, all), its category's, the district's; one take per table
    parts = {name: df.groupby("grade", sort=False).indices for name, df in (("own", own), ("cat", cat), ("dist", dist))}
    none = np.array([], dtype=np.intp)
    pieces, labels = [], []
    for g in sorted(parts["own"]):
        for name, df in (("own", own), ("cat", cat), ("dist", dist)):
            part = df.iloc[parts[name].get(g, none)]
            pieces.append(part)
            if name == "own":
                labels += ["本校" + ("" if x == SEX_ALL else SEX_LABELS[x]) for x in part["sex"]]
            else:
                labels += ["同类学校" if name == "cat" else "全区"] * len(part)
    s = pd.concat(pieces, ignore_index=True).assign(范围=labels)
    head = pd.DataFrame({"年级": s["grade"].map(GRADE_LABELS), "范围": s["范围"]})
    is_school = units.is_level(s, units.SCHOOL)
    bands = {
        f"{name}与全区比较": [
            (band_words([b], public)[0] if isinstance(b, str) else _why(st)) if sch else ""
            for b, st, sch in zip(s[f"{rate}_band"], s["sample_status"], is_school)
        ]
        for rate, name in (("good_or_better_rate", "优良率"), ("pass_or_better_rate", "达标率"))
    }
    if public:
        shown = figures(s)[["参加测试", "优良率（区间）", "达标率（区间）"]]
        shown.loc[is_school.to_numpy(), ["优良率（区间）", "达标率（区间）"]] = "（只公布与全区比较）"
        return pd.concat([head, shown, pd.DataFrame(bands)], axis=1)
    fig = figures(s)
    return pd.concat([head, fig[["参加测试", "测试覆盖率", "优良率（区间）"]], pd.DataFrame(bands)[["优良率与全区比较"]],
                      fig[["达标率（区间）"]], pd.DataFrame(bands)[["达标率与全区比较"]], fig[["平均学年总分（区间）"]]],
                     axis=1)  # fmt: skip


def public_band_matrix(stats: pd.DataFrame, rate: str) -> pd.DataFrame:
    """The public edition: a row per school (category, then code: never an order that follows a result), a column
    per grade, each cell the school's band on ``rate`` against the district in the public wording, or why it has
    none; a grade the school does not have: —."""
    s = units.rows(stats, units.SCHOOL)
    s = s[s["sex"] == SEX_ALL]
    cells = s.assign(
        cell=[
            band_words([b], True)[0] if (isinstance(b, str) and ok) else _why(st)
            for b, ok, st in zip(s[f"{rate}_band"], s["publishable"].fillna(False), s["sample_status"])
        ],
        col=s["grade"].map(GRADE_LABELS),
    )
    grades = [GRADE_LABELS[g] for g in sorted(set(s["grade"]))]
    wide = cells.pivot_table(index=["unit_code", "unit_name", "category"], columns="col", values="cell",
                             aggfunc="first").reindex(columns=grades).fillna(NO_FIGURE).reset_index()  # fmt: skip
    wide.columns.name = None
    wide = sort_rows(wide, ["category", "unit_code"], {"category": SCHOOL_CATEGORIES})
    return wide.rename(columns={"unit_code": "代码", "unit_name": "学校", "category": "类别"})
