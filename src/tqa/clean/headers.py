"""Finding the header row of a sheet and mapping its cells to clean column names."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from tqa.core.normalize import canonical_subject, cell_text, is_blank, squash
from tqa.schema.sheets import Sheet


def header_key(text) -> str:
    """Comparison key of a header cell: NFKC (full-width brackets become ASCII), no spaces, no colon."""
    return squash(cell_text(text)).rstrip(":")


@lru_cache(maxsize=64)
def alias_index(sheet: Sheet) -> dict[str, str]:
    """header key -> clean name, for one sheet's fields (canonical header and its aliases). Treat the
    result as read-only: it is shared (built once per sheet spec, not for every sheet of every return)."""
    index: dict[str, str] = {}
    for f in sheet.fields:
        for alias in (f.header, *f.aliases):
            index.setdefault(header_key(alias), f.name)
    return index


def col_letter(i: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 26 -> AA)."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def find_header_row(rows: list[list], sheet: Sheet, min_hits: int = 2, max_scan: int = 30) -> int | None:
    """0-based index of the first row (among the first max_scan) naming at least min_hits of the
    sheet's fields; rows above it are titles. A merged title cell is one cell and never matches."""
    index = alias_index(sheet)
    need = min(min_hits, len(sheet.fields))
    for i, row in enumerate(rows[:max_scan]):
        hits = {index[k] for k in (header_key(c) for c in row if not is_blank(c)) if k in index}
        if len(hits) >= need:
            return i
    return None


@dataclass
class HeaderMap:
    columns: dict[int, str] = field(default_factory=dict)  # col -> clean field name
    subjects: dict[int, str] = field(default_factory=dict)  # col -> exam-spec subject
    texts: dict[int, str] = field(default_factory=dict)  # col -> header as written
    renamed: list[tuple[int, str, str]] = field(default_factory=list)  # (col, written, canonical)
    ignored: list[tuple[int, str]] = field(default_factory=list)  # (col, written)
    duplicated: list[tuple[int, str, int]] = field(default_factory=list)  # (col, written, first col)
    missing: list[str] = field(default_factory=list)  # canonical headers of absent fields
    reordered: bool = False

    def label(self, col: int) -> str:
        return self.texts.get(col) or col_letter(col)


def map_header(row: list, sheet: Sheet, subjects=()) -> HeaderMap:
    """Map one header row: fields by canonical header or alias, then score subjects (matched to the
    exam spec's subjects, aliases allowed), anything else ignored."""
    fields = sheet.columns
    index = alias_index(sheet)
    out = HeaderMap()
    seen: dict[str, int] = {}
    for col, cell in enumerate(row):
        if is_blank(cell):
            continue
        written = cell_text(cell).strip()
        out.texts[col] = written
        name = index.get(header_key(cell))
        target = name or (canonical_subject(written, subjects) if subjects else None)
        if target is None:
            out.ignored.append((col, written))
            continue
        if target in seen:
            out.duplicated.append((col, written, seen[target]))
            continue
        seen[target] = col
        canonical = fields[name] if name else target
        if written != canonical:
            out.renamed.append((col, written, canonical))
        if name:
            out.columns[col] = name
        else:
            out.subjects[col] = target
    out.missing = [fields[n] for n in fields if n not in seen]
    found = [n for n in sorted(out.columns, key=int)]
    order = [out.columns[c] for c in found]
    template = [n for n in fields if n in order]
    out.reordered = order != template
    return out
