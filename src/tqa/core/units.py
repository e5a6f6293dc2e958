"""The units results are reported for, as data: school, category, district (later county, city, province).

Each level names the column that says which of its units a school belongs to, and its parent. Every family of
measures pools the same way (methodology: a category or district rate is the sum of the numerators over the sum
of the denominators, never a mean of school percentages): ``pool`` does it once for all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Level:
    name: str  # the value of a table's ``level`` column
    label: str  # Chinese, for readers
    key: str | None  # the column of a school's row naming its unit at this level (None: a single unit)
    parent: str | None  # the level this one pools into


SCHOOL = Level("school", "学校", "school_code", "category")
CATEGORY = Level("category", "类别", "category", "district")
DISTRICT = Level("district", "全区", None, None)
HIERARCHY = (SCHOOL, CATEGORY, DISTRICT)
LEVELS = {lv.name: lv for lv in HIERARCHY}
LEVEL_ORDER = tuple(lv.name for lv in HIERARCHY)
POOLED = tuple(lv for lv in HIERARCHY if lv is not SCHOOL)  # the levels built from the schools' rows

DISTRICT_CODE = "district"  # the unit_code of the district's rows
DISTRICT_NAME = "全区"


def rows(df: pd.DataFrame, level: Level | str) -> pd.DataFrame:
    """The rows of one level."""
    name = level.name if isinstance(level, Level) else level
    return df[df["level"] == name]


def is_level(df: pd.DataFrame, level: Level | str) -> pd.Series:
    return df["level"] == (level.name if isinstance(level, Level) else level)


def unit_of(level: Level, df: pd.DataFrame) -> pd.Series:
    """For each school row of ``df``, the code of its unit at ``level``."""
    if level.key is None:
        return pd.Series(DISTRICT_CODE, index=df.index, dtype="string")
    return df[level.key].astype("string")


def pool(
    schools: pd.DataFrame,
    by: Sequence[str],
    sums: Sequence[str],
    rates: Mapping[str, tuple[str, str]] | None = None,
    levels: Sequence[Level] = POOLED,
) -> pd.DataFrame:
    """School rows -> one row per pooled unit (category, district) and ``by`` group: the ``sums`` columns added
    over the schools (min_count=1: a unit none of whose schools has a value gets NA), and each rate of ``rates``
    (name -> (numerator, denominator)) = sum of numerators / sum of denominators (NaN when the sum is 0).

    Columns: level, unit_code, the ``by`` columns, the sums, the rates; units in level order, then as grouped."""
    parts = []
    for level in levels:
        keys = [*([] if level.key is None else [level.key]), *by]
        g = schools.groupby(keys, sort=True, dropna=False)[list(sums)].sum(min_count=1).reset_index()
        unit = g[level.key].astype("string") if level.key else pd.Series(DISTRICT_CODE, index=g.index, dtype="string")
        g = g.drop(columns=[level.key] if level.key else []).assign(level=level.name, unit_code=unit)
        for name, (num, den) in (rates or {}).items():
            d = g[den].astype("float64")
            g[name] = g[num].astype("float64") / d.where(d > 0)
        parts.append(g[["level", "unit_code", *by, *sums, *(rates or {})]])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
