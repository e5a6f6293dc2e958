"""公开版 (public mode): small-cell suppression that totals cannot undo.

(The public edition's bands are the one band of every edition, ``tqa.measures.intervals.band`` on the result
tables, worded against the district by ``tqa.reports.labels.band_words``.)

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
