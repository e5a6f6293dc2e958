"""The project's row order: subjects, school categories and unit levels in their customary order, the rest as
text. Every table that is shown or written is sorted with these keys, so the same data gives the same order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from tqa.core import units
from tqa.core.vocabulary import SCHOOL_CATEGORIES

SUBJECT_ORDER = ("语文", "数学", "英语", "科学", "道德与法治", "历史", "地理", "生物", "物理", "化学")


def order_key(values: pd.Series, order: Sequence) -> pd.Series:
    """A sortable key: the values in ``order`` first, in that order, then any others alphabetically."""
    known = {v: f"{i:02d}" for i, v in enumerate(order)}
    values = values.astype("string")
    return values.map(known).fillna("99" + values)  # a dict map is vectorised; a lambda runs per row


def subject_sort_key(subjects: pd.Series) -> pd.Series:
    """The fixed subject order first, then other subjects alphabetically."""
    return order_key(subjects, SUBJECT_ORDER)


def category_key(values: pd.Series) -> pd.Series:
    return order_key(values, SCHOOL_CATEGORIES)


def level_key(level: pd.Series) -> pd.Series:
    """school, category, district (then anything else)."""
    return level.map({lv: i for i, lv in enumerate(units.LEVEL_ORDER)}).fillna(9)


def sort_rows(df: pd.DataFrame, by: list[str], orders: Mapping[str, Sequence] | None = None) -> pd.DataFrame:
    """Stable sort on ``by``: ``subject`` in subject order, ``level`` in level order, any column of ``orders`` in
    the order given there, the rest as they are; a fresh index."""
    orders = orders or {}

    def key(col: pd.Series) -> pd.Series:
        if col.name in orders:
            return col.map({v: i for i, v in enumerate(orders[col.name])})
        if col.name == "subject":
            return subject_sort_key(col)
        if col.name == "level":
            return level_key(col)
        return col

    return df.sort_values(by, key=key, kind="stable").reset_index(drop=True)
