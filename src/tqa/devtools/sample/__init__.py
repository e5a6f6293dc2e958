"""The seeded sample district: ``python -m tqa.devtools.sample --out data/raw --schools 40 --seed 2023``.

Public API:
- ``generate_district(out_dir, schools, seed, terms, messy)`` writes returns and office inputs;
- ``injected_defects(schools, seed, terms)`` lists the defects of the messy returns without writing;
- ``build_district(schools, seed, terms)`` the district's tables in memory (for statistics);
- ``Defect``, ``KINDS`` (the returns' format defects, found by cleaning) and ``PLANT_KINDS`` (the cases planted
  for the school-life checks and reports, tqa.devtools.sample.plants).
"""

from __future__ import annotations

import json
from pathlib import Path

from tqa.devtools.sample.model import District, build_district, exam_spec
from tqa.devtools.sample.plants import PLANT_KINDS
from tqa.devtools.sample.returns import KINDS, Defect, Return, clean_returns, make_messy
from tqa.devtools.sample.writer import default_jobs, write_office, write_returns

DEFAULT_SCHOOLS = 40
DEFAULT_SEED = 2023
DEFAULT_TERMS = ("2023-1", "2023-2")

__all__ = [
    "DEFAULT_SCHOOLS",
    "DEFAULT_SEED",
    "DEFAULT_TERMS",
    "KINDS",
    "PLANT_KINDS",
    "Defect",
    "District",
    "build_district",
    "build_returns",
    "defects_json",
    "exam_spec",
    "generate_district",
    "injected_defects",
]


def build_returns(d: District, messy: bool = True) -> dict[str, dict[str, Return]]:
    """Returns per term and school code (in memory)."""
    out = {}
    for term in d.terms:
        rets = clean_returns(d, term)
        if messy:
            make_messy(rets, d, term)
        out[term] = rets
    return out


def _defects(returns: dict[str, dict[str, Return]]) -> list[Defect]:
    found = [x for rets in returns.values() for r in rets.values() for x in r.defects()]
    return sorted(found, key=lambda x: (x.term, x.school_code, x.sheet or "", x.excel_row or 0, x.kind, x.column or ""))


def injected_defects(schools: int = DEFAULT_SCHOOLS, seed: int = DEFAULT_SEED, terms=DEFAULT_TERMS) -> list[Defect]:
    """The defects that generate_district(..., messy=True) puts into the files, without writing them."""
    return _defects(build_returns(build_district(schools, seed, terms), messy=True))


def defects_json(defects: list[Defect]) -> str:
    return json.dumps([x.as_dict() for x in defects], ensure_ascii=False, indent=1) + "\n"


def generate_district(
    out_dir,
    schools: int = DEFAULT_SCHOOLS,
    seed: int = DEFAULT_SEED,
    terms=DEFAULT_TERMS,
    messy: bool = True,
    jobs: int | None = None,
) -> dict:
    """Write <out_dir>/<TERM>/<code>.xlsx and <out_dir>/<TERM>/office/*.csv; return a summary.

    The summary: schools, students per term, files and bytes per term, submitted codes per term,
    and ``defects`` (list of Defect: the format defects when messy, and the planted cases, which are in the
    district's data either way).
    """
    out_dir = Path(out_dir)
    d = build_district(schools, seed, terms)
    returns = build_returns(d, messy)
    summary = {
        "schools": schools,
        "seed": seed,
        "terms": list(d.terms),
        "messy": messy,
        "students": {},
        "files": {},
        "bytes": {},
        "submitted": {},
    }
    for term in d.terms:
        term_dir = out_dir / term
        term_dir.mkdir(parents=True, exist_ok=True)
        for old in sorted(term_dir.glob("*.xlsx")):  # a rerun must not leave stale returns behind
            old.unlink()
        write_office(d, term, term_dir)
        items = [(r, term_dir / f"{code}.xlsx") for code, r in returns[term].items() if r.submitted]
        size = write_returns(items, jobs if jobs is not None else default_jobs())
        summary["students"][term] = int(len(d.students[term]))
        summary["files"][term] = len(items)
        summary["bytes"][term] = size
        summary["submitted"][term] = [r.school_code for r, _ in items]
    summary["defects"] = _defects(returns)
    return summary
