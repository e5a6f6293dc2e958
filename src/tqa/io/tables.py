"""Tables as Parquet, byte for byte: clean records to typed frames, the declared row order, write and read.

Column names, dtypes and row order come from the table specs (``tqa.schema.tables``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tqa.core.issues import issues_frame
from tqa.schema import tables as specs


def records_frame(rows: list[tuple], table: str) -> pd.DataFrame:
    """Record tuples in the clean table's column order -> a frame with the table's dtypes, rows as given.
    Column by column with the dtype known: no type inference over a million Python objects, as
    DataFrame.from_records would do."""
    spec = specs.CLEAN[table]
    return pd.DataFrame({c: column_array([r[i] for r in rows], t) for i, (c, t) in enumerate(spec.columns)})


def column_array(values: list, dtype: str):
    """One column's values as an array of `dtype`, as DataFrame.from_records and the cast to `dtype` gave.
    Text columns hold str and None (the sheets write nothing else) and go through pyarrow, about three
    times faster than pandas' object-by-object route; should another value turn up, the column takes
    the old route (type inference first: a number among None becomes "12.0")."""
    if dtype != "str":
        return pd.array(values, dtype=dtype)
    try:
        return pd.array(pa.array(values, type=pa.large_string()), dtype="str")
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pd.DataFrame.from_records([(v,) for v in values], columns=["v"])["v"].astype(dtype).array


def to_frame(rows, table: str, stage: str = "clean") -> pd.DataFrame:
    """Records (or a frame) -> the table's columns, dtypes and declared row order."""
    spec = specs.spec(stage, table)
    columns = list(spec.names)
    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows, columns=columns)
    df = df.reindex(columns=columns).astype(spec.dtypes)
    return df.sort_values(list(spec.sort), kind="stable", na_position="first").reset_index(drop=True)


def issues_to_frame(issues) -> pd.DataFrame:
    return issues_frame(list(issues)).astype(specs.CLEAN["issues"].dtypes)


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | Path) -> None:
    """One Parquet file per table, byte-identical for identical frames (no index, fixed writer options).

    Columns are combined into one chunk first: the writer pages (and falls back from dictionary
    encoding) chunk by chunk, so equal data held in differently chunked Arrow arrays (e.g. after a
    concat) would otherwise give different bytes."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in sorted(tables):
        table = pa.Table.from_pandas(tables[name], preserve_index=False).combine_chunks()
        tmp = out / f".{name}.parquet.tmp"
        pq.write_table(
            table,
            tmp,
            compression="zstd",
            compression_level=3,
            use_dictionary=True,
            write_statistics=True,
            version="2.6",
            data_page_version="1.0",
            row_group_size=1_000_000,
            store_schema=True,
        )
        tmp.replace(out / f"{name}.parquet")


def read_tables(in_dir: str | Path, names: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Every table in `in_dir`, or those of `names` that are there (a step need not read them all)."""
    paths = sorted(Path(in_dir).glob("*.parquet"))
    return {p.stem: pd.read_parquet(p) for p in paths if names is None or p.stem in names}
