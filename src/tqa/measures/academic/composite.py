"""综合得分, 平均标准分, 比均率 and 分数段 (10-point score bands).

Pure functions on ``tqa.scoring`` outputs:

- ``standard_scores(rows)``: each tested student's z and T against the district's same paper;
- ``add_relative_measures(stats)``: mean_share (mean / full marks), mean_z (平均标准分) and ratio_to_mean (比均率);
- ``score_bands(rows, params)``: counts and shares per score band, per school / category / district;
- ``add_composite(stats, params)``: 综合得分 and its ranks among schools;
- ``sensitivity(stats, params)``: ranks under the main and the alternative weightings, with rank changes.

The composite has no national formula: its weights are local and live in params (composite.weights);
``sensitivity`` shows how much the ranking depends on that choice.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

PAPER_KEYS = ["grade", "subject"]
RANK_DECIMALS = 9
# Components a weighting may use (columns of subject_stats after add_relative_measures).
COMPONENTS = {"mean_share": "平均分率", "mean_z": "平均标准分", "ratio_to_mean": "比均率",
              "pass_rate": "及格率", "excellent_rate": "优秀率", "low_rate": "低分率"}
MAIN_SCHEME = "主方案"

DEFAULTS: dict[str, Any] = {
    "scale": 100,
    "weights": {"mean_share": 0.4, "pass_rate": 0.3, "excellent_rate": 0.3, "low_rate": -0.1},
    "alternatives": [
        {"name": "均分为主", "weights": {"mean_share": 0.6, "pass_rate": 0.2, "excellent_rate": 0.2,
                                       "low_rate": -0.1}},
        {"name": "关注后进", "weights": {"mean_share": 0.3, "pass_rate": 0.4, "excellent_rate": 0.1,
                                       "low_rate": -0.2}},
    ],
}
BAND_EDGES = [round(i / 10, 2) for i in range(11)]

BAND_COLUMNS = ("level", "unit_code", "grade", "subject", "full_marks", "band_no", "band", "lower", "upper",
                "lower_mark", "upper_mark", "n", "tested_n", "share")
SENSITIVITY_COLUMNS = ("unit_code", "unit_name", "category", "grade", "subject", "scheme", "composite",
                       "composite_rank", "rank_change", "max_rank_change")


def composite_params(params: dict[str, Any] | None) -> dict[str, Any]:
    out = dict(DEFAULTS)
    out.update((params or {}).get("composite") or {})
    return out


# ---- standard scores and relative measures --------------------------------------------------------

def standard_scores(rows: pd.DataFrame) -> pd.DataFrame:
    """Student rows (scoring.score_with_lines) with z = (x - district mean) / district sd and T = 50 + 10 z.

    District mean / sd (ddof=1, as subject_stats) over every tested score of the same grade x subject; rows
    not tested or without a score (level-graded papers) get NaN.
    """
    out = rows.copy()
    score = out["score"].where(out["is_tested"].astype(bool))
    g = score.groupby([out["grade"], out["subject"]])
    mean, sd = g.transform("mean"), g.transform(lambda s: s.std(ddof=1))
    out["z"] = (score - mean) / sd.where(sd > 0)
    out["t"] = 50 + 10 * out["z"]
    return out


def mean_standard_scores(rows: pd.DataFrame, keys: tuple[str, ...] = ("school_code",)) -> pd.DataFrame:
    """平均标准分 per unit x grade x subject: mean of the students' z (and T)."""
    return mean_z_by(standard_scores(rows), keys)


def mean_z_by(z: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """``mean_standard_scores`` from rows that already have z and t (``standard_scores``): several units
    (school, category, district) can share one computation of the z-scores."""
    z = z.loc[z["z"].notna(), [*keys, *PAPER_KEYS, "z", "t"]]  # only what is aggregated: cheaper to filter
    out = z.groupby([*keys, *PAPER_KEYS], as_index=False).agg(mean_z=("z", "mean"), mean_t=("t", "mean"))
    return out.sort_values([*keys, *PAPER_KEYS]).reset_index(drop=True)


def add_relative_measures(stats: pd.DataFrame) -> pd.DataFrame:
    """subject_stats with mean_share = mean / full marks, mean_z = (mean - district mean) / district sd
    (equal to the mean of the students' z) and ratio_to_mean = mean / district mean (比均率)."""
    dist = stats.loc[stats["level"] == "district", [*PAPER_KEYS, "mean", "sd"]].rename(
        columns={"mean": "_dm", "sd": "_dsd"})
    out = stats.merge(dist, on=PAPER_KEYS, how="left")
    out.index = stats.index
    out["mean_share"] = out["mean"] / out["full_marks"]
    out["mean_z"] = (out["mean"] - out["_dm"]) / out["_dsd"].where(out["_dsd"] > 0)
    out["ratio_to_mean"] = out["mean"] / out["_dm"].where(out["_dm"] > 0)
    return out.drop(columns=["_dm", "_dsd"])


# ---- score bands ------------------------------------------------------------------------------------

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


def score_bands(rows: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """分数段: counts and shares of tested students per band of score / full marks.

    ``rows``: scoring.score_with_lines output (with a ``category`` column for category rows). Edges from
    params score_bands.edges (default every 10 %). Every band appears, also when empty. Level-graded
    papers have no scores and no bands.
    """
    edges = [float(e) for e in ((params or {}).get("score_bands") or {}).get("edges", BAND_EDGES)]
    labels = _band_labels(edges)
    tested = rows[rows["is_tested"].astype(bool) & rows["score"].notna()]
    tested["band_no"] = band_index(tested["score"] / tested["full_marks"], edges).astype("int64")
    levels = [("school", "school_code")]
    if "category" in tested.columns:
        levels.append(("category", "category"))
    levels.append(("district", None))
    parts = []
    all_bands = pd.DataFrame({"band_no": range(len(labels))})
    for level, col in levels:
        unit = tested[col].astype("string") if col else pd.Series("district", index=tested.index, dtype="string")
        t = tested.assign(unit_code=unit)
        keys = ["unit_code", *PAPER_KEYS, "full_marks"]
        counts = t.groupby([*keys, "band_no"]).size().rename("n").reset_index()
        # The totals and the unit x paper x band grid follow from the counts: one pass over the students.
        totals = counts.groupby(keys)["n"].sum().rename("tested_n").reset_index()
        grid = totals[keys].merge(all_bands, how="cross")
        part = grid.merge(counts, on=[*keys, "band_no"], how="left").merge(totals, on=keys)
        parts.append(part.assign(level=level))
    out = pd.concat(parts, ignore_index=True)
    out["n"] = out["n"].fillna(0).astype("int64")
    out["tested_n"] = out["tested_n"].astype("int64")
    out["share"] = out["n"] / out["tested_n"]
    out["band"] = out["band_no"].map(dict(enumerate(labels))).astype("string")
    out["lower"] = out["band_no"].map(dict(enumerate(edges[:-1]))).astype("float64")
    out["upper"] = out["band_no"].map(dict(enumerate(edges[1:]))).astype("float64")
    out["lower_mark"] = (out["lower"] * out["full_marks"]).round(6)
    out["upper_mark"] = (out["upper"] * out["full_marks"]).round(6)
    order = {"school": 0, "category": 1, "district": 2}
    out = out.assign(_lv=out["level"].map(order)).sort_values(
        ["_lv", "unit_code", *PAPER_KEYS, "band_no"]).drop(columns="_lv")
    return out[list(BAND_COLUMNS)].reset_index(drop=True)


# ---- composite ---------------------------------------------------------------------------------------

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
    eligible = (stats["level"] == "school") & (stats["tested_n"] > 0) & values.notna()
    out = pd.Series(pd.NA, index=stats.index, dtype="Int64")
    v = values[eligible].round(RANK_DECIMALS)
    groups = [stats.loc[eligible, c] for c in scope]
    out.loc[eligible] = v.groupby(groups, dropna=False).rank(method=method, ascending=False).astype("Int64")
    return out


def add_composite(stats: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """subject_stats with relative measures, ``composite`` and its ranks district-wide / within category."""
    p = composite_params(params)
    method = ((params or {}).get("ranking") or {}).get("tie_method", "min")
    out = add_relative_measures(stats)
    out["composite"] = composite_score(out, p["weights"], float(p["scale"]))
    out["composite_rank_district"] = _rank(out, out["composite"], PAPER_KEYS, method)
    out["composite_rank_category"] = _rank(out, out["composite"], [*PAPER_KEYS, "category"], method)
    return out


def schemes(params: dict[str, Any] | None) -> list[tuple[str, dict[str, float]]]:
    """(name, weights): the main weighting first, then the alternatives in params order."""
    p = composite_params(params)
    return [(MAIN_SCHEME, p["weights"]), *((a["name"], a["weights"]) for a in p.get("alternatives") or [])]


def sensitivity(stats: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Composite and district rank per school x grade x subject under every weighting (long table).

    rank_change = rank under the scheme - rank under the main scheme (positive = falls back);
    max_rank_change = the largest |rank_change| of that school row over all schemes.
    """
    p = composite_params(params)
    method = ((params or {}).get("ranking") or {}).get("tie_method", "min")
    rel = add_relative_measures(stats)
    school = rel["level"] == "school"
    parts = []
    for name, weights in schemes(params):
        comp = composite_score(rel, weights, float(p["scale"]))
        rank = _rank(rel, comp, PAPER_KEYS, method)
        parts.append(rel.loc[school, ["unit_code", "unit_name", "category", *PAPER_KEYS]].assign(
            scheme=name, composite=comp[school], composite_rank=rank[school]))
    out = pd.concat(parts, ignore_index=True)
    main = out[out["scheme"] == MAIN_SCHEME][["unit_code", *PAPER_KEYS, "composite_rank"]].rename(
        columns={"composite_rank": "_main"})
    out = out.merge(main, on=["unit_code", *PAPER_KEYS], how="left")
    out["rank_change"] = (out["composite_rank"] - out["_main"]).astype("Int64")
    out["max_rank_change"] = out["rank_change"].abs().groupby(
        [out["unit_code"], out["grade"], out["subject"]]).transform("max").astype("Int64")
    order = {name: i for i, (name, _) in enumerate(schemes(params))}
    out = out.assign(_s=out["scheme"].map(order)).sort_values([*PAPER_KEYS, "_s", "unit_code"]).drop(
        columns=["_s", "_main"])
    return out[list(SENSITIVITY_COLUMNS)].reset_index(drop=True)
