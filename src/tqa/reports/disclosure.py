"""公开版 (public mode): small-cell suppression that totals cannot undo, and ranks replaced by bands.

Policy (see docs: 不排名、不公布; NCES 2011-603): no published figure for 0 < n < min_published_n, and
complementary suppression so that no suppressed figure can be recovered by subtraction from totals.

Suppression is by row: when a row (school, category or district x grade x subject) is suppressed, every
statistic of that row is blanked. All additive columns (tested_n, pass_n, ..., and mean x n, which totals
also reveal) then share one suppression pattern, so one rule covers them all. Per grade x subject the rows
form a tree district <- category <- school, and the rule, applied until nothing changes, is:

- a published total must have 0 or >= 2 suppressed parts (otherwise: suppress the smallest published part
  with n > 0; if there is none, suppress the total itself);
- a suppressed total must have >= 1 suppressed part (otherwise it is the sum of its published parts).

Rows with tested_n == 0 are not primary-suppressed: they publish no statistic about any student.
Not covered: bounds (a suppressed count is >= 0), so a published pass_n of 0 in a total still tells that
each suppressed part has pass_n 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tqa.core import units
from tqa.measures.intervals import two_sided_z
from tqa.params import Params
from tqa.schema.tables import PAPER_COLUMNS

PRIMARY = "primary"
COMPLEMENTARY = "complementary"
REASON_LABELS = {PRIMARY: "样本过少", COMPLEMENTARY: "为防止由合计反推而隐去"}

# Identify a row or describe the paper: never blanked.
KEEP_COLUMNS = (
    "level",
    "unit_code",
    "unit_name",
    "category",
    "grade",
    "subject",
    *PAPER_COLUMNS,
    "enrolled",
)
# Columns that identify a student: a table holding them is student-level and never public.
STUDENT_COLUMNS = ("student_id", "name")

BAND_WELL_ABOVE = "明显高于全区"
BAND_ABOVE = "高于全区"
BAND_AVERAGE = "与全区相当"
BAND_BELOW = "低于全区"
BAND_WELL_BELOW = "明显低于全区"
BAND_SMALL = "人数不足，不分档"


def band_z(params: Params) -> float:
    """The normal quantile of the public bands' interval, from uncertainty.level (0.95 -> 1.959964...): the
    public bands use the same confidence level as every other interval."""
    return two_sided_z(float(params.uncertainty.level))


# ---- the generic rule on a tree ------------------------------------------------------------------


def suppress_tree(nodes: pd.DataFrame, min_n: int) -> pd.Series:
    """Suppression reason per node ("" = published, "primary", "complementary").

    ``nodes``: columns node (unique id), parent (id or NA for a root), n (size). Deterministic: the
    complement chosen is the smallest published part with n > 0, ties by node id.
    """
    nodes = nodes.reset_index(drop=True)
    ids = list(nodes["node"])
    size = dict(zip(ids, nodes["n"].astype("int64")))
    reason = {i: (PRIMARY if 0 < size[i] < min_n else "") for i in ids}
    children: dict[Any, list] = {}
    for node, parent in zip(ids, nodes["parent"]):
        if not pd.isna(parent):
            children.setdefault(parent, []).append(node)
    parents = sorted(children, key=str)
    changed = True
    while changed:
        changed = False
        for parent in parents:
            kids = children[parent]
            n_sup = sum(1 for k in kids if reason[k])
            if (not reason[parent] and n_sup == 1) or (reason[parent] and n_sup == 0):
                cands = sorted((k for k in kids if not reason[k] and size[k] > 0), key=lambda k: (size[k], str(k)))
                if cands:
                    reason[cands[0]] = COMPLEMENTARY
                elif not reason[parent]:
                    reason[parent] = COMPLEMENTARY
                else:
                    continue  # a suppressed total whose parts are all empty: nothing to hide
                changed = True
    return pd.Series([reason[i] for i in ids], index=nodes.index, dtype="string")


def _tree(group: pd.DataFrame) -> pd.DataFrame:
    """Node / parent / n for one grade x subject slice of subject_stats (index kept). A row's parent is the
    nearest unit above it in the hierarchy (``tqa.core.units``) that the slice has: a school whose category has
    no row hangs from the district."""
    level = group["level"].astype("string")
    node = (level + ":" + group["unit_code"].astype("string")).tolist()
    present = set(node)
    keys = [lv.key for lv in units.HIERARCHY if lv.key]
    values = {k: group[k].astype("string").tolist() for k in keys if k in group.columns}
    parent = []
    for i, lv in enumerate(level):
        up, found = units.LEVELS[lv].parent if lv in units.LEVELS else None, pd.NA
        while up is not None:
            key = units.LEVELS[up].key
            code = units.DISTRICT_CODE if key is None else values.get(key, [pd.NA] * len(node))[i]
            candidate = f"{up}:{code}"
            if code is not pd.NA and candidate in present:
                found = candidate
                break
            up = units.LEVELS[up].parent
        parent.append(found)
    return pd.DataFrame(
        {"node": node, "parent": parent, "n": group["tested_n"].fillna(0).astype("int64").to_numpy()}, index=group.index
    )


def suppression(stats: pd.DataFrame, params: Params) -> pd.Series:
    """Reason per row of a subject_stats-like table (level, unit_code, category, grade, subject, tested_n)."""
    min_n = int(params.reporting.min_published_n)
    out = pd.Series("", index=stats.index, dtype="string")
    for _, group in stats.groupby(["grade", "subject"], sort=True):
        tree = _tree(group)
        out.loc[group.index] = suppress_tree(tree, min_n).to_numpy()
    return out


def apply_suppression(stats: pd.DataFrame, params: Params) -> pd.DataFrame:
    """The table with every statistic of a suppressed row blanked (NA) and two columns added:
    ``suppressed`` (bool) and ``suppression_note`` (Chinese reason, "" when published)."""
    reason = suppression(stats, params)
    out = stats.copy()
    hit = (reason != "").to_numpy()
    for col in out.columns:
        if col not in KEEP_COLUMNS:
            # integer counts stay integers (nullable) so a blanked cell does not turn 40 into 40.0
            values = out[col].astype("Int64") if pd.api.types.is_integer_dtype(out[col]) else out[col]
            out[col] = values.where(~hit)
    out["suppressed"] = hit
    out["suppression_note"] = reason.map(lambda r: REASON_LABELS.get(r, "")).astype("string")
    return out


def display(df: pd.DataFrame, columns: list[str], params: Params) -> pd.DataFrame:
    """Text copy of ``columns`` with the marker ("*") in suppressed rows, for tables in the report."""
    marker = params.public.marker
    out = df.copy()
    hit = out["suppressed"].to_numpy() if "suppressed" in out.columns else np.zeros(len(out), bool)
    for col in columns:
        text = out[col].astype("string")
        out[col] = text.where(~hit, marker)
    return out


# ---- bands instead of ranks ---------------------------------------------------------------------


def mean_band(d: float, se: float, n: int, min_n: int, z: float, strong: float) -> str | None:
    """Band of a standardised mean difference d (in district SDs) with standard error se.

    Progress-8 shape: well above = d >= strong and lower CI > 0; above = lower CI > 0; average = CI holds 0;
    below / well below mirror it. n below min_n (params public.min_band_n): no band.
    """
    if pd.isna(d) or pd.isna(se):
        return None
    if n < int(min_n):
        return BAND_SMALL
    z, strong = float(z), float(strong)
    lo, hi = round(d - z * se, 9), round(d + z * se, 9)
    d = round(d, 9)
    if lo > 0:
        return BAND_WELL_ABOVE if d >= strong else BAND_ABOVE
    if hi < 0:
        return BAND_WELL_BELOW if d <= -strong else BAND_BELOW
    return BAND_AVERAGE


def add_bands(stats: pd.DataFrame, params: Params) -> pd.DataFrame:
    """``mean_band`` for school and category rows against the district row of the same grade x subject.

    d = (mean - district mean) / district sd; se = sd / (district sd * sqrt(tested_n)).
    """
    p, z = params.public, band_z(params)
    dist = units.rows(stats, units.DISTRICT)[["grade", "subject", "mean", "sd"]].rename(
        columns={"mean": "_dm", "sd": "_dsd"}
    )
    out = stats.merge(dist, on=["grade", "subject"], how="left")
    out.index = stats.index
    dsd = out["_dsd"].where(out["_dsd"] > 0)
    d = (out["mean"] - out["_dm"]) / dsd
    se = out["sd"] / (dsd * np.sqrt(out["tested_n"].astype("float64").where(out["tested_n"] > 0)))
    bands = [
        None if lv == units.DISTRICT.name else mean_band(a, b, int(n), p.min_band_n, z, p.band_strong)
        for lv, a, b, n in zip(out["level"], d, se, out["tested_n"].fillna(0))
    ]
    out["mean_band"] = pd.Series(bands, index=out.index, dtype="string")
    return out.drop(columns=["_dm", "_dsd"])


def public_view(stats: pd.DataFrame, params: Params) -> pd.DataFrame:
    """The public table: bands added, every rank column and individual scores (min / max) dropped, then
    small cells suppressed. Refuses student-level tables."""
    student_cols = [c for c in STUDENT_COLUMNS if c in stats.columns]
    if student_cols:
        raise ValueError(f"公开版不得包含学生个人数据（列：{'、'.join(student_cols)}）")
    out = add_bands(stats, params)
    drop = [c for c in out.columns if "rank" in c or c in params.public.drop_columns]
    out = out.drop(columns=drop)
    return apply_suppression(out, params)


def public_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Only the tables that may appear in a public output: student-level tables are left out."""
    return {name: df for name, df in tables.items() if not any(c in df.columns for c in STUDENT_COLUMNS)}


# ---- audit: can a suppressed figure be recovered from the published ones? ---------------------------


def recoverable(nodes: pd.DataFrame, suppressed: pd.Series) -> list:
    """Suppressed nodes whose value the additivity equations (total = sum of parts) determine uniquely.

    Each equation lists unknowns (suppressed nodes) with +1 for the total and -1 for parts; a node is
    determined iff its unit vector lies in the row space of the equation matrix (rank test).
    """
    nodes = nodes.reset_index(drop=True)
    sup = list(nodes.loc[suppressed.to_numpy(), "node"])
    col = {n: i for i, n in enumerate(sup)}
    rows = []
    for parent, kids in nodes.groupby("parent", sort=True)["node"]:
        row = np.zeros(len(sup))
        if parent in col:
            row[col[parent]] += 1
        for k in kids:
            if k in col:
                row[col[k]] -= 1
        if row.any():
            rows.append(row)
    if not sup:
        return []
    a = np.array(rows) if rows else np.zeros((0, len(sup)))
    rank = np.linalg.matrix_rank(a) if len(rows) else 0
    out = []
    for node, i in col.items():
        e = np.zeros((1, len(sup)))
        e[0, i] = 1
        if np.linalg.matrix_rank(np.vstack([a, e])) == rank:
            out.append(node)
    return out
