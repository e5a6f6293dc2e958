"""Table shaping shared by the district and school reports (pure functions): the small-cohort rules for tables
and charts, rank texts, the paper lines, the issue list."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from tqa.core import units
from tqa.core.issues import SEVERITY_LABELS
from tqa.core.vocabulary import EXAM_MODE_LEVEL, GRADE_LABELS
from tqa.reports.labels import (
    RANK_NAMES,
    TOO_FEW,
    band_words,
    interval_text,
    pct_text,
    percent,
    rank_range_text,
    rank_text,
    signed,
)


class SchoolRows(Mapping):
    """{school code: the rows of a school-category-district table that its school report reads: the school's own
    and every category and district row}, in the frame's order, index kept.

    Built once per process (``Catalog.derive``): a school report then filters a few hundred rows instead of the
    whole district's table at each step (the school-life sections' masks over 300 schools' rows cost ~0.2 s a report).
    """

    def __init__(self, df: pd.DataFrame):
        school = units.is_level(df, units.SCHOOL).to_numpy()
        at = np.flatnonzero(school)
        self._rows = df
        self._shared = np.flatnonzero(~school)
        self._own = {k: at[v] for k, v in df.iloc[at].groupby("unit_code", sort=False).indices.items()}

    def __getitem__(self, code: str) -> pd.DataFrame:
        own = self._own.get(code, np.array([], dtype=np.intp))
        return self._rows.take(np.sort(np.concatenate([own, self._shared])))

    def __iter__(self) -> Iterator:
        return iter(self._own)

    def __len__(self) -> int:
        return len(self._own)


def grade_subjects(stats: pd.DataFrame) -> list[tuple[int, str]]:
    """(grade, subject) pairs present, in the scores' order."""
    d = stats.loc[units.is_level(stats, units.DISTRICT), ["grade", "subject"]]
    return list(d.itertuples(index=False, name=None))


def suppress_small(df: pd.DataFrame, min_n: int, value_columns: list[str]) -> pd.DataFrame:
    """Replace statistics of units with fewer than min_n tested students by 样本过少."""
    out = df.copy()
    small = out["tested_n"] < min_n
    for c in value_columns:
        if c in out:
            out[c] = out[c].astype(object).where(~small, TOO_FEW)
    return out


def with_rank_text(df: pd.DataFrame) -> pd.DataFrame:
    """rank_district / rank_category as 'rank/n' text for display."""
    out = df.copy()
    for scope in ("district", "category"):
        out[f"rank_{scope}"] = [rank_text(r, n) for r, n in zip(df[f"rank_{scope}"], df[f"n_ranked_{scope}"])]
    return out


def is_level_graded(rows: pd.DataFrame) -> bool:
    return bool(len(rows)) and bool((rows["mode"] == EXAM_MODE_LEVEL).all())


def lines_table(stats: pd.DataFrame) -> pd.DataFrame:
    """Full marks and the three lines per paper, as shown in the 口径说明 appendix."""
    d = stats.drop_duplicates(["grade", "subject"])
    level = d["mode"] == EXAM_MODE_LEVEL
    out = pd.DataFrame({"年级": d["grade"].map(GRADE_LABELS), "学科": d["subject"]})
    for col, name in (
        ("full_marks", "满分"),
        ("pass_line", "及格线"),
        ("excellent_line", "优秀线"),
        ("low_line", "低分线（低于）"),
    ):
        out[name] = [("等级评价" if lv else f"{v:g}") for v, lv in zip(d[col], level)]
    return out.reset_index(drop=True)


def comparison_table(cmp: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """School / category / district rows (school_tables.comparisons) ready to show: small cohorts
    suppressed, ranks as text."""
    shown = suppress_small(cmp, min_n, ["mean", "sd", "pass_rate", "excellent_rate", "low_rate"])
    return with_rank_text(shown)


def mask_small(df: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """Statistics of small cohorts set to NaN (for charts, which must not show what tables suppress)."""
    out = df.copy()
    small = out["tested_n"] < min_n
    for c in ("mean", "sd", "pass_rate", "excellent_rate", "low_rate"):
        out[c] = out[c].where(~small)
    return out


def issue_list(issues: pd.DataFrame) -> pd.DataFrame:
    out = issues.assign(severity_label=issues["severity"].map(SEVERITY_LABELS))
    out["excel_row"] = out["excel_row"].astype("Int64").astype(str).replace("<NA>", "")
    return out[["severity_label", "sheet", "excel_row", "column", "value", "message", "action"]]


def rank_columns(rows: pd.DataFrame, rank_by: str) -> dict[str, list[str]]:
    """The district rank by ``rank_by`` ('rank/n', headed by what it ranks), 名次区间 and 综合得分 as text, per
    school row (internal editions only)."""
    return {
        f"{RANK_NAMES[rank_by]}（全区）": [
            rank_text(r, n) for r, n in zip(rows["rank_district"], rows["n_ranked_district"])
        ],
        "名次区间": rank_range_text(rows["rank_lo"], rows["rank_hi"]),
        "综合得分": [f"{v:.1f}" if pd.notna(v) else "—" for v in rows["composite"]],
    }


def withhold_small(out: pd.DataFrame, rows: pd.DataFrame, first: int) -> pd.DataFrame:
    """``out`` (built from ``rows``, row for row) with the columns from position ``first`` on replaced by the
    sample status (样本过少…) where a row is not publishable."""
    shown = rows["publishable"].fillna(False).astype(bool).to_numpy()
    status = rows["sample_status"].to_numpy()
    return out.assign(**{col: out[col].astype(object).where(shown, status) for col in out.columns[first:]})


def trend_cells(t: pd.DataFrame) -> pd.Series:
    """'85.3% / 3/25' per trend row: the pass rate and the district rank (ranking.rank_by) among ranked schools."""
    rate = [f"{v:.1%}" if pd.notna(v) else "—" for v in t["pass_rate"]]
    rank = [rank_text(r, n) for r, n in zip(t["rank_district"], t["n_ranked_district"])]
    return pd.Series([f"{a} / {b}" for a, b in zip(rate, rank)], index=t.index, dtype=object)


def total_caption(totals: pd.DataFrame, grade: int) -> str | None:
    """What a grade's 总分 is made of, for its table's caption; None when the grade has no total."""
    t = totals[totals["grade"] == grade]
    if t.empty:
        return None
    r = t.iloc[0]
    return f"{GRADE_LABELS[grade]}总分（{r['subjects']}，满分 {r['full_marks']:g}，及格线 {r['pass_line']:g}）"


def total_rows(
    totals: pd.DataFrame, grade: int, units_shown: pd.DataFrame, level: float, public: bool, named: bool = False
) -> pd.DataFrame:
    """总分 rows of one grade for ``units_shown`` (level, unit_code pairs, in their order): the number with a
    total and without (not tested on every paper), the mean with its interval, the three rates, the band."""
    t = units_shown.merge(totals[totals["grade"] == grade], on=["level", "unit_code"])  # in units_shown order
    # A school's report says 本校 / 同类 / 全区; the district's names its schools (``named``).
    school, district = t["level"] == units.SCHOOL.name, t["level"] == units.DISTRICT.name
    own = (t["unit_code"].astype(str) + " " + t["unit_name"].astype(str)) if named else "本校"
    other = t["category"].astype(str) if named else "同类（" + t["category"].astype(str) + "）"
    label = pd.Series(np.where(school, own, np.where(district, "全区", other)), index=t.index)
    shown = t["publishable"].fillna(False).astype(bool) | (t["level"] != units.SCHOOL.name)
    out = pd.DataFrame(
        {
            "范围": label.to_numpy(),
            "有总分人数": t["tested_n"].to_numpy(),
            "缺科人数": t["incomplete_n"].to_numpy(),
            f"总分平均（{percent(level)}区间）": interval_text(t["mean"], t["mean_lo"], t["mean_hi"]),
            "及格率": pct_text(t["pass_rate"]),
            "优秀率": pct_text(t["excellent_rate"]),
            "低分率": pct_text(t["low_rate"]),
            "与全区之差": [signed(v) for v in t["mean_diff"]],
            "与全区比较": band_words(t["mean_band"].fillna("—"), public),
        }
    )
    status = t["sample_status"].astype(object).to_numpy()
    for col in out.columns[3:]:
        out[col] = out[col].astype(object).where(shown.to_numpy(), status)
    return out
