"""Where each step's files live (a small data catalog, in the manner of Kedro's).

data/raw/<T>/          immutable returns (<school_code>.xlsx) and office/ inputs
data/clean/<T>/        step 1: tidy tables + rejected rows + clean-stage issues
data/checked/<T>/      step 2: usable rows after the data-quality checks + all issues
data/scores/<T>/       step 3: statistics per school x grade x subject, ranks
outputs/<T>/           reports, executed notebooks, data-quality.xlsx, manifest.json
"""

from __future__ import annotations

import json
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from tqa.io import rawfiles
from tqa.io.tables import write_tables
from tqa.schema import office as office_files
from tqa.schema import tables as specs


@dataclass(frozen=True)
class Catalog:
    term: str
    root: Path = Path(".")

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw" / self.term

    @property
    def office(self) -> Path:
        return self.raw / office_files.OFFICE_DIR

    @property
    def registry(self) -> Path:
        return self.office / office_files.REGISTRY.file

    @property
    def exam_spec(self) -> Path:
        return self.office / office_files.EXAM_SPEC.file

    @property
    def item_spec(self) -> Path:
        return self.office / office_files.ITEM_SPEC.file

    @property
    def ratings(self) -> Path:
        return self.office / office_files.RATINGS.file

    @property
    def population(self) -> Path:
        return self.office / office_files.POPULATION.file

    def return_files(self) -> list[Path]:
        """The schools' returns, sorted by name: regular files named .xlsx, .xlsm or .xls (``tqa.io.rawfiles``)."""
        return rawfiles.return_files(self.raw)

    def raw_entries(self) -> list[rawfiles.Entry]:
        """The returns and every other entry of the term folder that cleaning must list (links, folders, files
        of another kind), sorted by name (``tqa.io.rawfiles.scan``)."""
        return rawfiles.scan(self.raw)

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
        """The file of a declared table (``tqa.schema.tables``); an undeclared stage or name is an error."""
        specs.spec(stage, name)
        return getattr(self, stage) / f"{name}.parquet"

    def read_stage(self, stage: str, names: list[str] | None = None) -> dict[str, pd.DataFrame]:
        """The declared tables of a stage (or those of ``names``), as fresh frames (not the read cache)."""
        return {name: pd.read_parquet(self.table(stage, name)) for name in (names or specs.STAGES[stage])}

    def write(self, stage: str, tables: dict[str, pd.DataFrame]) -> None:
        """Every table of a stage, each conformed to its spec: a table missing or not declared, or a column
        missing or not declared, is an error (so what a step writes and what the Makefile and the reports expect
        cannot drift apart)."""
        declared = specs.STAGES[stage]
        missing, extra = sorted(set(declared) - set(tables)), sorted(set(tables) - set(declared))
        if missing or extra:
            raise ValueError(f"stage {stage}: tables missing {missing}, not declared {extra}")
        write_tables({name: declared[name].conform(df) for name, df in tables.items()}, getattr(self, stage))

    def read(self, stage: str, name: str) -> pd.DataFrame:
        """A step's table as a DataFrame, read once per process while the file is unchanged.

        The school reports run 300 times in a few long-lived kernels and read the same district tables
        each time (about 0.13 s per report); the cache key includes the file's size and mtime, so a
        re-written table is read again. Each caller gets a shallow copy: with pandas' copy-on-write, a
        caller that changes its frame copies the data then and never alters the cached one.
        """
        path = self.table(stage, name).resolve()
        stat = path.stat()
        return _remember(
            _read_parquet(path, stat.st_size, stat.st_mtime_ns).copy(deep=False),
            (str(path), stat.st_size, stat.st_mtime_ns),
        )

    @staticmethod
    def derive(build: Callable[..., Any], *frames: pd.DataFrame, **options: Any) -> Any:
        """``build(*frames, **options)``, computed once per process for frames this catalog read (or derived).

        The school reports each show one school's slice of district-wide tables. Shaping those tables for
        every school at once and picking the school's part is far cheaper than shaping them school by
        school, but only if the result outlives one report: a worker's kernel runs a few hundred reports
        (its namespace is reset between them; imported modules and this cache stay). The key is the
        builder, the source files (path, size, mtime) behind the frames and the options (as JSON), so a
        re-written table or other options build afresh. A frame of unknown origin (made in the notebook)
        is simply built on each call. Results are shared: treat them as read-only (pandas copies on write).
        """
        origins = [_origin(f) for f in frames]
        if any(o is None for o in origins):
            return build(*frames, **options)
        key = (build, tuple(origins), json.dumps(options, sort_keys=True, default=_option_key, ensure_ascii=False))
        if key in _DERIVED:
            _DERIVED.move_to_end(key)
            return _DERIVED[key]
        value = build(*frames, **options)
        _DERIVED[key] = value
        if len(_DERIVED) > DERIVED_CACHE_SIZE:
            _DERIVED.popitem(last=False)
        if isinstance(value, pd.DataFrame):
            _remember(value, key)  # a derived frame can feed another derivation
        return value


def _option_key(value: Any) -> str:
    """How ``derive`` keys an option JSON cannot write: parameters by their digest, anything else as text.

    Both kinds of parameters keep their digest (a few ms of canonical JSON): a school report keys a few dozen
    derivations on the same params."""
    known = getattr(value, "digest", None)  # a ParamsView
    if isinstance(known, str):
        return known
    if hasattr(value, "appendix"):
        from tqa.params import params_digest

        return params_digest(value)
    return str(value)


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


DERIVED_CACHE_SIZE = 64
_DERIVED: OrderedDict[tuple, Any] = OrderedDict()
# id(frame) -> (weak reference, origin key); an entry leaves with its frame, so an id is never mistaken.
_ORIGINS: dict[int, tuple[weakref.ref, tuple]] = {}


def _remember(df: pd.DataFrame, origin: tuple) -> pd.DataFrame:
    i = id(df)
    _ORIGINS[i] = (weakref.ref(df, lambda _ref, i=i: _ORIGINS.pop(i, None)), origin)
    return df


def _origin(df: Any) -> tuple | None:
    entry = _ORIGINS.get(id(df))
    return entry[1] if entry is not None and entry[0]() is df else None


@lru_cache(maxsize=64)
def _read_parquet(path: Path, size: int, mtime_ns: int) -> pd.DataFrame:
    return pd.read_parquet(path)
