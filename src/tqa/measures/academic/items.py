"""试卷分析: item difficulty, discrimination, item-total correlation and paper reliability.

Pure functions on a long item-score table (one row per student and item):
``school_code, student_id, grade, subject, item, score`` and an item spec ``item, full_marks, type``
(optionally with ``grade, subject``; without them the spec applies to every paper).

A paper is one (grade, subject). Only students with a score on every item of the paper enter the
statistics (complete cases): alpha, the total score and the top/bottom groups need the same students for
every item, and difficulty then adds up exactly to the paper's mean. ``paper_stats`` reports how many
students were left out.

- ``check_item_scores``: problems (unknown items, scores outside [0, full], duplicates), Chinese messages;
- ``item_stats``: per item P, D (Kelley 27 %), corrected item-total r, Ebel band and flags;
- ``paper_stats``: per paper n, k, mean / sd of the total, difficulty, Cronbach's alpha, SEM;
- ``school_item_gaps``: per school item scoring rates against the district's, weakest first;
- ``analyse``: the three tables at once, finding the complete cases (``complete_cases``) only once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tqa.params import Params
from tqa.schema.tables import SCORES

PAPER_KEYS = ["grade", "subject"]
OBJECTIVE = "objective"
SUBJECTIVE = "subjective"
TYPE_ALIASES = {
    "objective": OBJECTIVE,
    "客观": OBJECTIVE,
    "客观题": OBJECTIVE,
    "选择题": OBJECTIVE,
    "subjective": SUBJECTIVE,
    "主观": SUBJECTIVE,
    "主观题": SUBJECTIVE,
    "非选择题": SUBJECTIVE,
}
# Computed ratios such as 0.3 can land a last bit below the threshold; compare on rounded values.
DECIMALS = 9

FLAG_NEGATIVE = "区分度为负，请核对答案"
FLAG_LOW_D = "区分度偏低"
FLAG_HARD = "过难"
FLAG_EASY = "过易"
FLAG_SMALL = "样本过少，仅供参考"
FLAG_LOW_ALPHA = "信度偏低"
FLAG_SEP = "；"

WIDE_COLUMNS = ["student_id", "item_no", "score"]  # what a paper's student x item table is made of


# ---- inputs ----------------------------------------------------------------------------------


def _spec(item_scores: pd.DataFrame, item_spec: pd.DataFrame) -> pd.DataFrame:
    """Spec per paper with a position (spec order = paper order) and canonical type."""
    spec = item_spec.copy()
    spec["item"] = spec["item"].astype("string").str.strip()
    spec["full_marks"] = spec["full_marks"].astype("float64")
    types = spec["type"].astype("string").str.strip().str.lower()
    spec["type"] = types.map(lambda t: TYPE_ALIASES.get(t, pd.NA)).astype("string")
    if spec["type"].isna().any():
        bad = sorted(set(item_spec.loc[spec["type"].isna().to_numpy(), "type"].astype(str)))
        raise ValueError(f"小题类型无法识别：{'、'.join(bad)}（可用：客观题、主观题）")
    if not all(k in spec.columns for k in PAPER_KEYS):
        papers = item_scores[PAPER_KEYS].drop_duplicates()
        spec = papers.merge(spec[["item", "full_marks", "type"]].assign(_pos=range(len(spec))), how="cross")
    else:
        spec = spec.assign(_pos=spec.groupby(PAPER_KEYS, sort=False).cumcount())
    spec["grade"] = spec["grade"].astype("int64")
    spec = spec.rename(columns={"_pos": "item_no"})
    spec["item_no"] = spec["item_no"].astype("int64") + 1
    return spec[[*PAPER_KEYS, "item_no", "item", "full_marks", "type"]]


def _scores(item_scores: pd.DataFrame) -> pd.DataFrame:
    out = item_scores[["school_code", "student_id", *PAPER_KEYS, "item", "score"]].copy()
    out["grade"] = out["grade"].astype("int64")
    out["item"] = out["item"].astype("string").str.strip()
    out["score"] = pd.to_numeric(out["score"], errors="coerce").astype("float64")
    return out


def _checked(item_scores: pd.DataFrame, spec: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every item row with its spec columns, the rows the statistics cannot use with a Chinese reason)."""
    rows = _scores(item_scores).merge(spec, on=[*PAPER_KEYS, "item"], how="left")
    reasons = pd.Series(pd.NA, index=rows.index, dtype="string")
    reasons[rows["full_marks"].isna()] = "小题不在试卷结构表中"
    out_of_range = (
        rows["score"].notna()
        & rows["full_marks"].notna()
        & ((rows["score"] < 0) | (rows["score"] > rows["full_marks"]))
    )
    reasons[out_of_range] = "小题得分超出 0 至满分范围"
    dup = rows.duplicated(["student_id", *PAPER_KEYS, "item"], keep=False)
    reasons[dup & reasons.isna()] = "同一学生同一小题有多条记录"
    bad = rows[reasons.notna()].assign(reason=reasons[reasons.notna()])
    cols = ["school_code", "student_id", *PAPER_KEYS, "item", "score", "full_marks", "reason"]
    return rows, bad[cols].sort_values(["school_code", "student_id", *PAPER_KEYS, "item"]).reset_index(drop=True)


def check_item_scores(item_scores: pd.DataFrame, item_spec: pd.DataFrame) -> pd.DataFrame:
    """Rows that the item statistics cannot use, with a Chinese reason (empty frame when all is well)."""
    return _checked(item_scores, _spec(item_scores, item_spec))[1]


@dataclass(frozen=True)
class Cases:
    """What every item statistic starts from (``complete_cases``)."""

    spec: pd.DataFrame  # per paper: item_no, item, full_marks, type (``_spec``)
    rows: pd.DataFrame  # item rows of complete-case students, with spec columns
    incomplete: pd.DataFrame  # per paper: n_incomplete


def complete_cases(item_scores: pd.DataFrame, item_spec: pd.DataFrame) -> Cases:
    """Item rows of complete-case students (with spec columns) and per-paper counts of incomplete ones.
    Raises ValueError when ``check_item_scores`` finds problems."""
    spec = _spec(item_scores, item_spec)
    rows, problems = _checked(item_scores, spec)
    if len(problems):
        first = problems.iloc[0]
        raise ValueError(
            f"小题得分有 {len(problems)} 处问题，例如学生 {first['student_id']} 第 {first['item']} 题："
            f"{first['reason']}。请先用 check_item_scores 核对。"
        )
    # No problems: every row found exactly one spec row, so the left join above is the inner join.
    k = spec.groupby(PAPER_KEYS).size().rename("k")
    have = (
        rows[rows["score"].notna()]
        .groupby(["student_id", *PAPER_KEYS])
        .size()
        .rename("have")
        .reset_index()
        .merge(k.reset_index(), on=PAPER_KEYS)
    )
    students = (
        rows[["student_id", *PAPER_KEYS]].drop_duplicates().merge(have, on=["student_id", *PAPER_KEYS], how="left")
    )
    students["complete"] = students["have"].fillna(0).astype("int64") == students["k"].fillna(-1).astype("int64")
    incomplete = (
        students.assign(inc=~students["complete"])
        .groupby(PAPER_KEYS, as_index=False)["inc"]
        .sum()
        .rename(columns={"inc": "n_incomplete"})
    )
    keep = students.loc[students["complete"], ["student_id", *PAPER_KEYS]]
    return Cases(spec, rows.merge(keep, on=["student_id", *PAPER_KEYS], how="inner"), incomplete)


def analyse(
    item_scores: pd.DataFrame | None, item_spec: pd.DataFrame | None, params: Params
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(item_stats, paper_stats, school_item_gaps), finding the complete cases once for all three. Without item
    scores or without an item spec there is no item analysis: three empty tables."""
    if item_scores is None or not len(item_scores) or item_spec is None:
        return tuple(SCORES[t].empty() for t in ("item_stats", "paper_stats", "item_gaps"))
    cases = complete_cases(item_scores, item_spec)
    return _item_stats(cases, params), _paper_stats(cases, params), _item_gaps(cases)


# ---- item statistics ---------------------------------------------------------------------------


def group_size(n: int, share: float) -> int:
    """Kelley group size: share of n rounded half up, at least 1 and at most n // 2 (groups never overlap)."""
    return max(1, min(n // 2, math.floor(share * n + 0.5))) if n >= 2 else 0


def ebel_band(d: float, bands) -> str | None:
    """The label of the first band whose min the (rounded) D reaches; a band with min None catches the rest."""
    if d is None or pd.isna(d):
        return None
    d = round(float(d), DECIMALS)
    for band in bands:
        if band.min is None or d >= float(band.min):
            return band.label
    return None


def _paper_items(paper: pd.DataFrame, share: float) -> pd.DataFrame:
    """Per-item statistics for one paper's complete-case rows."""
    wide = paper.pivot(index="student_id", columns="item_no", values="score").sort_index()
    totals = wide.sum(axis=1)
    n = len(wide)
    g = group_size(n, share)
    # Sort by total, ties broken by student_id so the groups are reproducible.
    order = pd.DataFrame({"total": totals.to_numpy(), "sid": wide.index.astype(str)}, index=wide.index)
    order = order.sort_values(["total", "sid"], ascending=[False, True], kind="stable")
    high, low = order.index[:g], order.index[n - g :] if g else order.index[:0]
    # Positions of the two groups, looked up once rather than by label for every item.
    high_at, low_at = wide.index.get_indexer(high), wide.index.get_indexer(low)
    out = []
    for item_no in wide.columns:
        x = wide[item_no]
        rest = totals - x
        r = x.corr(rest) if x.std(ddof=1) > 0 and rest.std(ddof=1) > 0 else np.nan
        out.append(
            {
                "item_no": int(item_no),
                "n": n,
                "mean": x.mean(),
                "group_n": g,
                "mean_high": x.iloc[high_at].mean() if g else np.nan,
                "mean_low": x.iloc[low_at].mean() if g else np.nan,
                "item_total_r": r,
            }
        )
    return pd.DataFrame(out)


def item_stats(item_scores: pd.DataFrame, item_spec: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Per item: difficulty P, Kelley discrimination D, corrected item-total r, Ebel band and flags.

    P = mean / full. D = (mean_high - mean_low) / full over the top and bottom ``group_share`` of students
    by total score; for a 0/full objective item this is P_high - P_low. Flags (Chinese, joined by "；"):
    negative D (key check) replaces the low-D flag; P below too_hard / above too_easy.
    """
    return _item_stats(complete_cases(item_scores, item_spec), params)


def _item_stats(cases: Cases, params: Params) -> pd.DataFrame:
    p = params.items
    rows, spec = cases.rows[[*PAPER_KEYS, *WIDE_COLUMNS]], cases.spec  # what _paper_items reads
    parts = []
    for (grade, subject), paper in rows.groupby(PAPER_KEYS, sort=True):
        parts.append(_paper_items(paper, float(p.group_share)).assign(grade=grade, subject=subject))
    if parts:
        out = spec.merge(pd.concat(parts, ignore_index=True), on=[*PAPER_KEYS, "item_no"], how="inner")
    else:
        out = spec.iloc[:0].assign(n=0, mean=np.nan, group_n=0, mean_high=np.nan, mean_low=np.nan, item_total_r=np.nan)
    full = out["full_marks"]
    out["difficulty"] = out["mean"] / full
    out["p_high"] = out["mean_high"] / full
    out["p_low"] = out["mean_low"] / full
    out["discrimination"] = (out["mean_high"] - out["mean_low"]) / full
    d = out["discrimination"].round(DECIMALS)
    pr = out["difficulty"].round(DECIMALS)
    out["flag_negative"] = (d < 0).fillna(False).astype(bool)
    out["flag_low_discrimination"] = ((d < float(p.low_discrimination)) & ~out["flag_negative"]).fillna(False)
    out["flag_too_hard"] = (pr < float(p.too_hard)).fillna(False).astype(bool)
    out["flag_too_easy"] = (pr > float(p.too_easy)).fillna(False).astype(bool)
    out["ebel_band"] = pd.Series(
        [ebel_band(v, p.ebel_bands) for v in out["discrimination"]], index=out.index, dtype="string"
    )
    labels = [
        ("flag_negative", FLAG_NEGATIVE),
        ("flag_low_discrimination", FLAG_LOW_D),
        ("flag_too_hard", FLAG_HARD),
        ("flag_too_easy", FLAG_EASY),
    ]
    small = out["n"] < int(p.min_students)
    out["flags"] = pd.Series(
        [
            FLAG_SEP.join([lab for col, lab in labels if row[col]] + ([FLAG_SMALL] if s else []))
            for (_, row), s in zip(out.iterrows(), small)
        ],
        index=out.index,
        dtype="string",
    )
    out["n"] = out["n"].astype("int64")
    out["group_n"] = out["group_n"].astype("int64")
    return out[list(SCORES["item_stats"].names)].sort_values([*PAPER_KEYS, "item_no"]).reset_index(drop=True)


# ---- paper statistics ---------------------------------------------------------------------------


def cronbach_alpha(wide: pd.DataFrame) -> float:
    """k/(k-1) * (1 - sum of item variances / variance of the total), variances with ddof=1."""
    k = wide.shape[1]
    if k < 2 or len(wide) < 2:
        return float("nan")
    var_total = wide.sum(axis=1).var(ddof=1)
    if not var_total > 0:
        return float("nan")
    return float(k / (k - 1) * (1 - wide.var(ddof=1).sum() / var_total))


def paper_stats(item_scores: pd.DataFrame, item_spec: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Per paper: students used and left out, k items, full marks, total mean / sd (ddof=1), difficulty
    sum(P_i full_i) / sum(full_i), Cronbach's alpha, SEM = sd * sqrt(1 - alpha) and flags."""
    return _paper_stats(complete_cases(item_scores, item_spec), params)


def _paper_stats(cases: Cases, params: Params) -> pd.DataFrame:
    p = params.items
    rows, incomplete, spec = cases.rows[[*PAPER_KEYS, *WIDE_COLUMNS]], cases.incomplete, cases.spec
    out = []
    for (grade, subject), paper_spec in spec.groupby(PAPER_KEYS, sort=True):
        paper = rows[(rows["grade"] == grade) & (rows["subject"] == subject)]
        wide = paper.pivot(index="student_id", columns="item_no", values="score")
        full = float(paper_spec["full_marks"].sum())
        total = wide.sum(axis=1)
        alpha = cronbach_alpha(wide)
        sd = float(total.std(ddof=1)) if len(total) > 1 else float("nan")
        flags = []
        if not np.isnan(alpha) and round(alpha, DECIMALS) < float(p.alpha_floor):
            flags.append(FLAG_LOW_ALPHA)
        if len(wide) < int(p.min_students):
            flags.append(FLAG_SMALL)
        out.append(
            {
                "grade": grade,
                "subject": subject,
                "n": len(wide),
                "k": len(paper_spec),
                "full_marks": full,
                "mean": float(total.mean()) if len(total) else float("nan"),
                "sd": sd,
                "difficulty": float(total.mean()) / full if len(total) else float("nan"),
                "alpha": alpha,
                "sem": sd * math.sqrt(1 - alpha) if not np.isnan(alpha) else float("nan"),
                "flags": FLAG_SEP.join(flags),
            }
        )
    res = pd.DataFrame(out, columns=[c for c in SCORES["paper_stats"].names if c != "n_incomplete"])
    res = res.merge(incomplete, on=PAPER_KEYS, how="left")
    res["n_incomplete"] = res["n_incomplete"].fillna(0).astype("int64")
    res["n"] = res["n"].astype("int64")
    res["flags"] = res["flags"].astype("string")
    return res[list(SCORES["paper_stats"].names)].sort_values(PAPER_KEYS).reset_index(drop=True)


# ---- schools against the district -----------------------------------------------------------------


def school_item_gaps(item_scores: pd.DataFrame, item_spec: pd.DataFrame) -> pd.DataFrame:
    """Per school x item: scoring rate (sum of scores / (n * full)) against the district's, gap =
    school - district; weakness_rank 1 = the school's largest shortfall on that paper; rows sorted
    school, paper, weakest first (ties in spec order)."""
    return _item_gaps(complete_cases(item_scores, item_spec))


def _item_gaps(cases: Cases) -> pd.DataFrame:
    rows = cases.rows[["school_code", *PAPER_KEYS, "item_no", "score"]]
    # Grouped by paper and item_no alone (item, type and full marks follow from them) and joined to the
    # spec afterwards: the same groups, without hashing three more columns of every item score.
    keys = [*PAPER_KEYS, "item_no"]
    district = rows.groupby(keys, as_index=False)["score"].mean().rename(columns={"score": "district_mean"})
    school = rows.groupby(["school_code", *keys], as_index=False).agg(
        n=("score", "size"), school_mean=("score", "mean")
    )
    out = school.merge(district, on=keys).merge(cases.spec[[*keys, "item", "type", "full_marks"]], on=keys)
    out["school_rate"] = out["school_mean"] / out["full_marks"]
    out["district_rate"] = out["district_mean"] / out["full_marks"]
    out["gap"] = out["school_rate"] - out["district_rate"]
    out = (
        out.assign(_gap=out["gap"].round(DECIMALS))
        .sort_values(["school_code", *PAPER_KEYS, "_gap", "item_no"], kind="stable")
        .drop(columns="_gap")
    )
    out["weakness_rank"] = out.groupby(["school_code", *PAPER_KEYS]).cumcount().astype("int64") + 1
    out["n"] = out["n"].astype("int64")
    return out[list(SCORES["item_gaps"].names)].reset_index(drop=True)
