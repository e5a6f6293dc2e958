"""Small cohorts: one rule for every family of measures, every table, chart and sentence, in both editions.

By the number of students a figure rests on (params ``reporting``):
- below ``min_published_n`` (10): the figure is withheld. It is never printed, never drawn, never coloured and never
  used to order anything (``withhold`` blanks it wherever a report reads a statistics table);
- from ``min_published_n`` to ``min_rank_n`` (10 to 29): shown with its interval and banded by that interval (a wide
  interval gives 持平 unless the difference is clear), marked 样本较小, but not ranked;
- from ``min_rank_n`` (30): shown, banded and ranked.
A unit with nobody tested has no figure at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tqa.params import Params

NONE, WITHHELD, SMALL, FULL = "none", "withheld", "small", "full"
# The sample_status column of the statistics tables (what a reader sees beside a unit's row).
STATUS = {NONE: "无实考学生", WITHHELD: "人数过少，不公布", SMALL: "样本较小", FULL: "公布"}
STATUS_FULL, STATUS_SMALL, STATUS_WITHHELD, STATUS_NONE = STATUS[FULL], STATUS[SMALL], STATUS[WITHHELD], STATUS[NONE]


def kind(n, params: Params) -> np.ndarray:
    """none / withheld / small / full per value of ``n`` (the number of students a figure rests on)."""
    s = n if isinstance(n, pd.Series) else pd.Series(np.asarray(n, dtype="float64"))
    k = pd.to_numeric(s, errors="coerce").astype("float64").fillna(0).to_numpy()
    min_pub, min_rank = int(params.reporting.min_published_n), int(params.reporting.min_rank_n)
    return np.select([k <= 0, k < min_pub, k < min_rank], [NONE, WITHHELD, SMALL], FULL).astype(object)


def shown(n, params: Params) -> np.ndarray:
    """True where a figure on ``n`` students may be shown (and banded by its interval)."""
    return np.isin(kind(n, params), (SMALL, FULL))


def rankable(n, params: Params) -> np.ndarray:
    """True where a unit of ``n`` students may be ranked."""
    return kind(n, params) == FULL


def sample_status(n: pd.Series, params: Params) -> pd.Series:
    """The reader's label for each row's cohort: 公布 / 样本较小 / 人数过少，不公布 / 无实考学生."""
    return pd.Series([STATUS[k] for k in kind(n, params)], index=n.index, dtype="string")


def withhold(df: pd.DataFrame, rules: tuple[tuple[str, tuple[str, ...]], ...], params: Params) -> pd.DataFrame:
    """``df`` with the figures of withheld cohorts blanked: for each (n column, value columns) of ``rules`` (a
    table spec's ``withhold``), the value columns of the rows whose n is below reporting.min_published_n.

    Counts of students (the n columns themselves, listed / absent / exempt) stay: they are not results. Where
    nothing is withheld the frame is returned as it is."""
    out = None
    for n_col, columns in rules:
        if n_col not in df or df.empty:
            continue
        mask = kind(df[n_col], params) == WITHHELD
        if not mask.any():
            continue
        out = df.copy() if out is None else out
        for c in columns:
            if c not in out:
                continue
            col = out[c]
            if col.dtype == bool:  # a plain bool cannot be missing: it becomes a nullable boolean
                out[c] = col.astype("boolean")
            elif col.dtype == "int64":
                out[c] = col.astype("Int64")
            out.loc[mask, c] = pd.NA if out[c].dtype != "float64" else np.nan
        # and the row says so, whatever the table was computed with (the rule here is the one that counts)
        for flag in ("publishable", "rankable"):
            if flag in out and n_col == rules[0][0]:
                out[flag] = out[flag].astype("boolean").mask(mask, False)
        if "sample_status" in out and n_col == rules[0][0]:
            out["sample_status"] = out["sample_status"].astype("string").mask(mask, STATUS_WITHHELD)
    return df if out is None else out
