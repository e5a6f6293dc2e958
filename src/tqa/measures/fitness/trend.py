"""体质健康 over the terms on disk: each term's own data (not a carried-over earlier term), sexes pooled, with the
change of 优良率 since the unit's previous assessed term and its Newcombe interval."""

from __future__ import annotations

import pandas as pd

from tqa.core.ordering import sort_rows
from tqa.measures import intervals as unc
from tqa.measures.fitness.rates import SEX_ALL, unit_key
from tqa.params import Params
from tqa.schema.tables import SCORES

KEYS = ["level", "unit_code", "grade"]


def fitness_trend(stats_by_term: dict[str, pd.DataFrame], params: Params) -> pd.DataFrame:
    """One row per term x unit x grade with someone tested. A term whose table carries an earlier term's data
    (data_term != term) adds nothing: its figures are already there under their own term."""
    columns = list(SCORES["fitness_trend"].names)
    parts = []
    for term in sorted(stats_by_term):
        df = stats_by_term[term]
        own = df[(df["data_term"] == term) & (df["sex"] == SEX_ALL) & (df["tested_n"] > 0)]
        parts.append(own.assign(term=term))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if out.empty:
        return SCORES["fitness_trend"].empty()
    out = sort_rows(out.assign(_u=unit_key(out)), ["level", "_u", "grade", "term"])
    prev = out.groupby(KEYS, sort=False)[["good_or_better_n", "tested_n"]].shift(1)
    out["change"], out["change_lo"], out["change_hi"] = unc.rate_change(
        prev["good_or_better_n"], prev["tested_n"], out["good_or_better_n"], out["tested_n"],
        float(params.uncertainty.level),
    )  # fmt: skip
    return SCORES["fitness_trend"].conform(out.drop(columns="_u")[columns])
