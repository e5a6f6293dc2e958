"""Writing returns (.xlsx) and office inputs (.csv) to disk, byte-deterministically."""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Font

from tqa.devtools.sample.model import District
from tqa.devtools.sample.returns import Return
from tqa.io.xlsx import save_workbook
from tqa.schema import office


def write_return(ret: Return, path: Path) -> Path:
    """One school's workbook. Write-only mode (faster) unless a sheet needs merged cells."""
    needs_merge = any(s.merges for s in ret.sheets)
    wb = openpyxl.Workbook(write_only=not needs_merge)
    if needs_merge:
        wb.remove(wb.active)
    for sheet in ret.sheets:
        ws = wb.create_sheet(sheet.name)
        for row in sheet.rows():
            ws.append(row)
        if needs_merge:
            for rng in sheet.merges:
                ws.merge_cells(rng)
                first = ws[rng.split(":")[0]]
                first.font = Font(bold=True, size=14)
                first.alignment = Alignment(horizontal="center")
    return save_workbook(wb, path)


def write_csv(df: pd.DataFrame, columns: dict, path: Path) -> Path:
    """UTF-8 with BOM (so Excel opens it), Chinese headers, LF line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = df[list(columns)].rename(columns=columns)
    data = out.to_csv(index=False, lineterminator="\n")
    path.write_bytes(b"\xef\xbb\xbf" + data.encode("utf-8"))
    return path


def write_office(d: District, term: str, term_dir: Path) -> None:
    office_dir = term_dir / office.OFFICE_DIR
    write_csv(d.schools, office.REGISTRY.columns, office_dir / office.REGISTRY.file)
    write_csv(d.exam_spec, office.EXAM_SPEC.columns, office_dir / office.EXAM_SPEC.file)
    write_csv(d.ratings[term], office.RATINGS.columns, office_dir / office.RATINGS.file)
    if d.item_spec is not None:
        write_csv(d.item_spec, office.ITEM_SPEC.columns, office_dir / office.ITEM_SPEC.file)


# Returns handed to forked workers through module state (cheaper than pickling 100k rows).
_PENDING: list = []


def _write_one(i: int) -> int:
    ret, path = _PENDING[i]
    write_return(ret, path)
    return path.stat().st_size


def write_returns(items: list[tuple[Return, Path]], jobs: int = 1) -> int:
    """Write many workbooks, in parallel worker processes when jobs > 1; returns total bytes."""
    global _PENDING
    if jobs <= 1 or len(items) < 4:
        return sum(write_return(r, p).stat().st_size for r, p in items)
    import multiprocessing as mp

    _PENDING = items
    try:
        with mp.get_context("fork").Pool(jobs) as pool:
            return sum(pool.imap(_write_one, range(len(items)), chunksize=2))
    finally:
        _PENDING = []


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))
