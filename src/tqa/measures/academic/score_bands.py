"""分数段: the share of tested students in each band of score / full marks, per school, category and district."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tqa.core import units
from tqa.core.ordering import sort_rows
from tqa.measures.academic import rates as scoring
from tqa.params import Params
from tqa.schema.tables import SCORES

PAPER_KEYS = ["grade", "subject"]
RANK_DECIMALS = 9


def _band_labels(edges: list[float]) -> list[str]:
    def pct(x: float) -> str:
        return f"{round(x * 100, 6):g}%"

    last = len(edges) - 2
    return [f"[{pct(a)}, {pct(b)}{']' if i == last else ')'}" for i, (a, b) in enumerate(zip(edges, edges[1:]))]


def band_index(share: pd.Series, edges: list[float]) -> pd.Series:
    """0-based band of each score share: [e0, e1), ..., [e_{k-1}, e_k] (the last band is closed)."""
    s = share.astype("float64").round(RANK_DECIMALS)
    idx = np.searchsorted(np.asarray(edges, dtype="float64"), s.to_numpy(), side="right") - 1
    idx = np.clip(idx, 0, len(edges) - 2)
    return pd.Series(idx, index=share.index).where(s.notna())


def score_bands(rows: pd.DataFrame, params: Params) -> pd.DataFrame:
    """分数段: counts and shares of tested students per band of score / full marks.

    ``rows``: scoring.score_with_lines output (with a ``category`` column for category rows). Edges from
    params score_bands.edges. Every band appears, also when empty. Level-graded papers have no scores and no
    bands. Every level of the unit hierarchy whose key column ``rows`` has (the district always) is counted.
    """
    edges = [float(e) for e in params.score_bands.edges]
    labels = _band_labels(edges)
    tested = rows[rows["is_tested"].astype(bool) & rows["score"].notna()]
    tested["band_no"] = band_index(tested["score"] / tested["full_marks"], edges).astype("int64")
    parts = []
    all_bands = pd.DataFrame({"band_no": range(len(labels))})
    for level in units.HIERARCHY:
        if level.key is not None and level.key not in tested.columns:
            continue
        t = tested.assign(unit_code=units.unit_of(level, tested))
        keys = ["unit_code", *PAPER_KEYS, "full_marks"]
        counts = t.groupby([*keys, "band_no"]).size().rename("n").reset_index()
        # The totals and the unit x paper x band grid follow from the counts: one pass over the students.
        totals = counts.groupby(keys)["n"].sum().rename("tested_n").reset_index()
        grid = totals[keys].merge(all_bands, how="cross")
        part = grid.merge(counts, on=[*keys, "band_no"], how="left").merge(totals, on=keys)
        parts.append(part.assign(level=level.name))
    out = pd.concat(parts, ignore_index=True)
    out["n"] = out["n"].fillna(0).astype("int64")
    out["tested_n"] = out["tested_n"].astype("int64")
    out["share"] = out["n"] / out["tested_n"]
    out["band"] = out["band_no"].map(dict(enumerate(labels))).astype("string")
    out["lower"] = out["band_no"].map(dict(enumerate(edges[:-1]))).astype("float64")
    out["upper"] = out["band_no"].map(dict(enumerate(edges[1:]))).astype("float64")
    out["lower_mark"] = (out["lower"] * out["full_marks"]).round(6)
    out["upper_mark"] = (out["upper"] * out["full_marks"]).round(6)
    order = {name: i for i, name in enumerate(units.LEVEL_ORDER)}
    out = (
        out.assign(_lv=out["level"].map(order))
        .sort_values(["_lv", "unit_code", *PAPER_KEYS, "band_no"])
        .drop(columns="_lv")
    )
    return out[list(SCORES["score_bands"].names)].reset_index(drop=True)


def score_band_table(
    scores: pd.DataFrame, exam_spec: pd.DataFrame, params: Params, returns: pd.DataFrame | None = None
) -> pd.DataFrame:
    """分数段 (params score_bands.edges): counts and shares per school, category and district x paper.

    ``returns`` (checked returns: school_code, category, usable) adds the category level and keeps only
    usable schools, as subject_stats does; without it there are school and district rows only (unless
    ``scores`` already has a category column). Columns: the spec of the scores table ``score_bands``.
    """
    rows = scoring.score_input(scores, "category")
    if returns is not None:
        schools = returns
        if "usable" in returns.columns:
            schools = returns[returns["usable"].fillna(False).astype(bool).to_numpy()]
        schools = schools[["school_code", "category"]].drop_duplicates("school_code")
        rows = rows.drop(columns=["category"], errors="ignore").merge(schools, on="school_code", how="inner")
    table = score_bands(scoring.score_with_lines(rows, exam_spec, params), params)
    return sort_rows(
        table.assign(_u=table["unit_code"].astype("string")), ["level", "_u", "grade", "subject", "band_no"]
    ).drop(columns="_u")
