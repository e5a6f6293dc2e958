"""综合得分: a weighted composite of the relative measures, its ranks, and how the ranks move under other weights.

The composite has no national formula: its weights are local and live in params (``composite.weights``);
``sensitivity`` shows how much the ranking depends on that choice.
"""

from __future__ import annotations

import pandas as pd

from tqa.core import units
from tqa.core.ordering import sort_rows
from tqa.core.vocabulary import MEASURE_LABELS
from tqa.measures.academic.standing import add_relative_measures, rankable_only
from tqa.params import Params
from tqa.schema.tables import SCORES

PAPER_KEYS = ["grade", "subject"]
RANK_DECIMALS = 9


# Components a weighting may use (columns of subject_stats after add_relative_measures).
COMPONENTS = {
    c: MEASURE_LABELS[c] for c in ("mean_share", "mean_z", "ratio_to_mean", "pass_rate", "excellent_rate", "low_rate")
}

MAIN_SCHEME = "主方案"


def composite_score(stats: pd.DataFrame, weights: dict[str, float], scale: float = 100) -> pd.Series:
    """scale * sum(weight x component); NaN when a weighted component is missing (e.g. level papers)."""
    unknown = sorted(set(weights) - set(COMPONENTS))
    if unknown:
        raise ValueError(f"综合得分权重中有不支持的指标：{'、'.join(unknown)}（可选：{'、'.join(COMPONENTS)}）")
    df = stats if all(c in stats.columns for c in weights) else add_relative_measures(stats)
    total = pd.Series(0.0, index=stats.index)
    for comp, w in weights.items():
        if float(w) != 0:
            total = total + float(w) * df[comp].astype("float64")
    return scale * total


def _rank(stats: pd.DataFrame, values: pd.Series, scope: list[str], method: str) -> pd.Series:
    """Ranks among school rows with tested_n > 0 and a value; higher is better; ties share (min)."""
    eligible = units.is_level(stats, units.SCHOOL) & (stats["tested_n"] > 0) & values.notna()
    out = pd.Series(pd.NA, index=stats.index, dtype="Int64")
    v = values[eligible].round(RANK_DECIMALS)
    groups = [stats.loc[eligible, c] for c in scope]
    out.loc[eligible] = v.groupby(groups, dropna=False).rank(method=method, ascending=False).astype("Int64")
    return out


def add_composite(stats: pd.DataFrame, params: Params) -> pd.DataFrame:
    """subject_stats with relative measures, ``composite`` and its ranks district-wide / within category."""
    method = params.ranking.tie_method
    out = add_relative_measures(stats)
    out["composite"] = composite_score(out, params.composite.weights, float(params.composite.scale))
    out["composite_rank_district"] = _rank(out, out["composite"], PAPER_KEYS, method)
    out["composite_rank_category"] = _rank(out, out["composite"], [*PAPER_KEYS, "category"], method)
    return out


def schemes(params: Params) -> list[tuple[str, dict[str, float]]]:
    """(name, weights): the main weighting first, then the alternatives in params order."""
    c = params.composite
    return [(MAIN_SCHEME, c.weights), *((a.name, a.weights) for a in c.alternatives)]


def sensitivity(stats: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Composite and district rank per school x grade x subject under every weighting (long table), ranking only
    schools with n >= reporting.min_rank_n.

    rank_change = rank under the scheme - rank under the main scheme (positive = falls back);
    max_rank_change = the largest |rank_change| of that school row over all schemes. Sorted by paper, scheme
    (params order), school.
    """
    method = params.ranking.tie_method
    rel = add_relative_measures(rankable_only(stats, params))
    school = units.is_level(rel, units.SCHOOL)
    parts = []
    for name, weights in schemes(params):
        comp = composite_score(rel, weights, float(params.composite.scale))
        rank = _rank(rel, comp, PAPER_KEYS, method)
        parts.append(
            rel.loc[school, ["unit_code", "unit_name", "category", *PAPER_KEYS]].assign(
                scheme=name, composite=comp[school], composite_rank=rank[school]
            )
        )
    out = pd.concat(parts, ignore_index=True)
    main = out[out["scheme"] == MAIN_SCHEME][["unit_code", *PAPER_KEYS, "composite_rank"]].rename(
        columns={"composite_rank": "_main"}
    )
    out = out.merge(main, on=["unit_code", *PAPER_KEYS], how="left")
    out["rank_change"] = (out["composite_rank"] - out["_main"]).astype("Int64")
    out["max_rank_change"] = (
        out["rank_change"]
        .abs()
        .groupby([out["unit_code"], out["grade"], out["subject"]])
        .transform("max")
        .astype("Int64")
    )
    order = {name: i for i, (name, _) in enumerate(schemes(params))}
    out = sort_rows(out.assign(_s=out["scheme"].map(order)), [*PAPER_KEYS, "_s", "unit_code"])
    return out[list(SCORES["sensitivity"].names)]
