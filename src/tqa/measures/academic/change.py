"""较上学期变化: this term's rate against last term's, coloured on a 5 x 5 status-by-change grid (params ``change``;
after California's School Dashboard)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tqa.core import units
from tqa.core.ordering import sort_rows
from tqa.core.vocabulary import CHANGE_LABELS, COLOUR_LABELS, STATUS_LABELS
from tqa.measures import cohorts
from tqa.measures import intervals as unc
from tqa.measures.academic.standing import drop_level_ranks, level_graded
from tqa.params import Params
from tqa.schema.tables import SCORES

PAPER = ["grade", "subject"]
UNIT = ["unit_code", "grade", "subject"]
DECIMALS = 9  # compare rates and changes on rounded values (0.85 - 0.80 is not exactly 0.05 in floats)


NOTE_SMALL = "人数过少，不着色"

NOTE_NO_PRIOR = "上学期无可比数据"


def _status_level(values: pd.Series, grades: pd.Series, params: Params) -> pd.Series:
    out = []
    for v, g in zip(values.round(DECIMALS), grades):
        cuts = params.status_cuts(int(g))
        if pd.isna(v):
            out.append(None)
            continue
        out.append(STATUS_LABELS[next((i for i, c in enumerate(cuts) if v >= c), len(cuts))])
    return pd.Series(out, index=values.index, dtype="string")


def _change_level(change: pd.Series, lo: np.ndarray, hi: np.ndarray, params: Params) -> pd.Series:
    """显著下降 … 显著上升 by the change's size (params change.significant / changed); a change whose interval
    holds 0 is 持平, whatever its size: it is within what chance alone gives a cohort of that size."""
    d = change.astype("float64").round(DECIMALS).to_numpy()
    sig, chg = float(params.change.significant), float(params.change.changed)
    chance = (np.round(lo, DECIMALS) <= 0) & (np.round(hi, DECIMALS) >= 0)
    level = np.select([chance, d >= sig, d >= chg, d <= -sig, d <= -chg], [2, 4, 3, 0, 1], 2)
    return pd.Series(
        [None if np.isnan(x) else CHANGE_LABELS[i] for x, i in zip(d, level)], index=change.index, dtype="string"
    )


def change_since(current_stats: pd.DataFrame, prior_stats: pd.DataFrame | None, params: Params) -> pd.DataFrame:
    """较上学期变化 per school x grade x subject, coloured on a 5 x 5 status-by-change grid (params change); no
    prior term: an empty table.

    The same school, grade and subject in both terms (same grade: within a school year this is the same
    cohort). Columns: unit_code, unit_name, category, grade, subject, metric, prior_tested_n, tested_n,
    prior_value, current_value, change (current - prior), prior_rank, current_rank (district rank of the
    metric), rank_change (current - prior; positive = falls back), status_level (很高 … 很低, cut-offs per
    grade band), change_level (显著下降 … 显著上升), colour (Blue/Green/Yellow/Orange/Red), colour_label (蓝 …
    红), note. Status needs a shown cohort this term (``tqa.measures.cohorts``: reporting.min_published_n), change
    and colour one in both terms; a change counts as 上升 / 下降 only where its interval (``rate_change``, at
    uncertainty.level) excludes 0.

    Level-graded papers (grades 1-2, ``mode`` 等级 in either term) stay in the grid: their pass rate (合格 and
    above) is a legitimate rate and the colour compares it with fixed cut-offs, not with other schools. They
    get no ranks: prior_rank, current_rank and rank_change are NA (``drop_level_ranks``).
    """
    if prior_stats is None:
        return SCORES["change"].empty()
    metric = params.change.metric  # a rate where higher is better (the params model allows no other)
    count = metric.removesuffix("_rate") + "_n"
    rank_col = f"{metric}_rank_district"

    cur, pri = units.rows(current_stats, units.SCHOOL), units.rows(prior_stats, units.SCHOOL)
    cur = cur.assign(_level=level_graded(cur))[
        ["unit_code", "unit_name", "category", *PAPER, "tested_n", count, metric, rank_col, "_level"]
    ]
    cur = cur.rename(columns={metric: "current_value", rank_col: "current_rank", count: "_k"})
    pri = pri.assign(_prior_level=level_graded(pri))[
        [*UNIT, "tested_n", count, metric, rank_col, "_prior_level"]
    ].rename(columns={"tested_n": "prior_tested_n", count: "_prior_k", metric: "prior_value", rank_col: "prior_rank"})
    out = cur.merge(pri, on=UNIT, how="left", validate="one_to_one")
    level_rows = out["_level"] | out["_prior_level"].astype("boolean").fillna(False).astype(bool)
    out["metric"] = metric
    out["prior_tested_n"] = out["prior_tested_n"].astype("Int64")
    out["change"] = out["current_value"] - out["prior_value"]
    out["rank_change"] = out["current_rank"].astype("Int64") - out["prior_rank"].astype("Int64")
    big_now = pd.Series(cohorts.shown(out["tested_n"], params), index=out.index)
    big_both = big_now & cohorts.shown(out["prior_tested_n"], params)
    _, lo, hi = unc.rate_change(
        out["_prior_k"], out["prior_tested_n"], out["_k"], out["tested_n"], float(params.uncertainty.level)
    )
    out["status_level"] = _status_level(out["current_value"].where(big_now), out["grade"], params)
    out["change_level"] = _change_level(out["change"].where(big_both), lo, hi, params)
    grid = params.change.grid
    colour = [
        None if (pd.isna(s) or pd.isna(c)) else grid[STATUS_LABELS.index(s)][CHANGE_LABELS.index(c)]
        for s, c in zip(out["status_level"], out["change_level"])
    ]
    out["colour"] = pd.Series(colour, index=out.index, dtype="string")
    out["colour_label"] = out["colour"].map(COLOUR_LABELS).astype("string")
    no_prior = out["prior_value"].isna() & out["current_value"].notna()
    note = np.where(no_prior, NOTE_NO_PRIOR, np.where(out["current_value"].notna() & ~big_both, NOTE_SMALL, ""))
    out["note"] = pd.Series(note, index=out.index, dtype="string")
    out = drop_level_ranks(out, level_rows)  # grades 1-2: rates, status and colour, but never ranks
    return sort_rows(out[list(SCORES["change"].names)], PAPER + ["unit_code"])
