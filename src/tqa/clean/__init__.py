"""Cleaning (step 1): schools' Excel returns -> tidy tables, rejected rows and clean-stage issues.

Public API: `clean_term(catalog, params)`, `write_tables(tables, out_dir)`, `read_tables(dir)`; the
lower-level pure functions live in `normalize` (cell values), `headers` (header row and mapping),
`reader` (workbook grids), `xmlscan` (what the values do not show: hidden sheets and rows, formulas saved
without a value), `sheets` (one sheet), `returns` (office inputs, school matching, a return, a term).

Reader choice: python-calamine, not openpyxl. Measured on the project's 2-core machine (shared
with other jobs, load average 2-5) on sample returns (tqa.devtools.sample, 300 schools, ~385 students each):
reading one return took 0.025-0.033 s with calamine and 0.40-0.50 s with openpyxl in normal mode
(~15x; openpyxl's read-only mode would be faster but hides merged ranges, which we fill down).
The whole term (299 returns, 119k students, 520k score cells, 567k item scores) takes about 8 CPU
seconds, 5 s on the clock with two worker processes (the default from 20 files; idle 2-core machine):
reading the workbooks is about 2.3 of those seconds. Rows become tuples (not dicts), repeated cell
values are parsed once (lru caches), the garbage collector is paused while a return is cleaned, and
the workers send back typed columns, not a million tuples.
Row numbers: calamine's default `to_python()` drops leading empty rows and columns (its `start` is
then not (0, 0)), which would shift every reported Excel row; we call
`to_python(skip_empty_area=False)` so that list index i is Excel row i + 1. A test checks that both
engines give identical grids (leading empty rows, merged title and merged data cells), and another
that the whole term cleans to identical tables with either engine. openpyxl stays available as
`clean_term(catalog, engine="openpyxl")`; it parses XML through defusedxml (installed). Hostile XML:
a sheet defining nested entities ("billion laughs") is refused by both engines (calamine: "unrecognized
entity"), so that return becomes an unreadable-file warning (tested). Before either engine parses a
return, `reader.check_workbook` tells its format by its first bytes (zip: .xlsx/.xlsm; compound file: .xls, or a
password-protected .xlsx) and refuses, in bounded time and memory, a file beyond params' `input_limits` (a zip
bomb, a sheet whose extent calamine would allocate as billions of cells); a refused or unreadable file is one
school's warning, the school set aside. A real .xls is read through calamine whatever its name.
"""

from __future__ import annotations

from tqa.clean.headers import find_header_row, map_header
from tqa.clean.reader import WorkbookError, read_workbook
from tqa.clean.returns import clean_return, clean_term, match_school, name_match
from tqa.core.normalize import (
    canonical_subject,
    normalize_class,
    normalize_grade,
    normalize_sex,
    normalize_student_id,
    parse_number,
    parse_score,
)
from tqa.io.tables import read_tables, write_tables

__all__ = [
    "clean_term",
    "write_tables",
    "read_tables",
    "clean_return",
    "match_school",
    "name_match",
    "read_workbook",
    "WorkbookError",
    "find_header_row",
    "map_header",
    "parse_number",
    "parse_score",
    "normalize_grade",
    "normalize_class",
    "normalize_sex",
    "normalize_student_id",
    "canonical_subject",
]
