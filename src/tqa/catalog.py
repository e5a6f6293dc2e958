"""Where each step's files live (a small data catalog, in the manner of Kedro's).

data/raw/<T>/          immutable returns (<school_code>.xlsx) and office/ inputs
data/clean/<T>/        step 1: tidy tables + rejected rows + clean-stage issues
data/checked/<T>/      step 2: usable rows after the data-quality checks + all issues
data/scores/<T>/       step 3: statistics per school x grade x subject, ranks
outputs/<T>/           reports, executed notebooks, data-quality.xlsx, manifest.json
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from . import schema


@dataclass(frozen=True)
class Catalog:
    term: str
    root: Path = Path(".")

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw" / self.term

    @property
    def office(self) -> Path:
        return self.raw / schema.OFFICE_DIR

    @property
    def registry(self) -> Path:
        return self.office / schema.REGISTRY_FILE

    @property
    def exam_spec(self) -> Path:
        return self.office / schema.EXAM_SPEC_FILE

    @property
    def item_spec(self) -> Path:
        return self.office / schema.ITEM_SPEC_FILE

    @property
    def ratings(self) -> Path:
        return self.office / schema.RATINGS_FILE

    def return_files(self) -> list[Path]:
        """The schools' returns, sorted by name (files starting with ~$ are Excel lock files)."""
        return sorted(p for p in self.raw.glob("*.xlsx") if not p.name.startswith("~$"))

    @property
    def clean(self) -> Path:
        return self.root / "data" / "clean" / self.term

    @property
    def checked(self) -> Path:
        return self.root / "data" / "checked" / self.term

    @property
    def scores(self) -> Path:
        return self.root / "data" / "scores" / self.term

    @property
    def outputs(self) -> Path:
        return self.root / "outputs" / self.term

    @property
    def notebooks_out(self) -> Path:
        return self.outputs / "notebooks"

    @property
    def schools_out(self) -> Path:
        return self.outputs / "schools"

    def table(self, stage: str, name: str) -> Path:
        return getattr(self, stage) / f"{name}.parquet"

    def read(self, stage: str, name: str) -> pd.DataFrame:
        """A step's table as a DataFrame, read once per process while the file is unchanged.

        The school reports run 300 times in a few long-lived kernels and read the same district tables
        each time (about 0.13 s per report); the cache key includes the file's size and mtime, so a
        re-written table is read again. Each caller gets a shallow copy: with pandas' copy-on-write, a
        caller that changes its frame copies the data then and never alters the cached one.
        """
        path = self.table(stage, name).resolve()
        stat = path.stat()
        return _read_parquet(path, stat.st_size, stat.st_mtime_ns).copy(deep=False)


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write a file through a temporary sibling and a rename: a half-written report, notebook or
    workbook never looks finished (make would take it for done)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if isinstance(data, str):
        tmp.write_text(data, encoding="utf-8")
    else:
        tmp.write_bytes(data)
    tmp.replace(path)
    return path


@lru_cache(maxsize=64)
def _read_parquet(path: Path, size: int, mtime_ns: int) -> pd.DataFrame:
    return pd.read_parquet(path)
