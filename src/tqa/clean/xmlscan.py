"""What the cell values of a workbook do not show, read from its XML: hidden sheets, hidden rows, and formula
cells saved without a calculated value (a file written by a script, or by WPS without recalculating: the
readers give an empty cell, and the school would be told "成绩为空" cell by cell).

The sheet XML is streamed from the zip with defusedxml's pull parser (a DOCTYPE with entities raises, as in
the readers), and only when a byte search finds something to look for: most returns have neither hidden rows
nor formulas, and then a sheet costs one decompression and two searches.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml.ElementTree import iterparse

_MAIN_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
# Cheap byte tests first (plain searches run at memory speed; a regex with a leading alternation does not):
# a sheet with formulas has "f>" (<f>, </f>, </x:f>); a hidden row has hidden=. Then a formula end that the
# cell's end follows with no value, or an empty one: without that, every formula has its value.
_NO_VALUE = (
    re.compile(rb"f>\s*(?:<(?:\w+:)?v\s*/>\s*|<(?:\w+:)?v>\s*</(?:\w+:)?v>\s*)?</(?:\w+:)?c>"),
    re.compile(rb"/>\s*(?:<(?:\w+:)?v\s*/>\s*|<(?:\w+:)?v>\s*</(?:\w+:)?v>\s*)?</(?:\w+:)?c>"),  # <f .../>
)
_REF = re.compile(r"([A-Za-z]{1,3})(\d+)$")


@dataclass
class SheetFacts:
    state: str = "visible"  # workbook.xml: visible, hidden or veryHidden
    hidden_rows: list[int] = field(default_factory=list)  # Excel row numbers
    uncalculated: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col), 0-based -> formula text

    @property
    def hidden(self) -> bool:
        return self.state in ("hidden", "veryHidden")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _true(value: str | None) -> bool:
    return value in ("1", "true")


def _parse(z: zipfile.ZipFile, member: str):
    with z.open(member) as f:
        yield from iterparse(f, events=("start", "end"))


def _rels(z: zipfile.ZipFile, member: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, target as a zip member name) of a .rels part."""
    base = posixpath.dirname(posixpath.dirname(member))  # xl/_rels/workbook.xml.rels -> xl
    out = {}
    for event, el in _parse(z, member):
        if event == "end" and _local(el.tag) == "Relationship":
            target = el.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
            out[el.get("Id", "")] = (el.get("Type", ""), target)
    return out


def _workbook_part(z: zipfile.ZipFile) -> str:
    names = set(z.namelist())
    if "_rels/.rels" in names:
        for kind, target in _rels(z, "_rels/.rels").values():
            if kind == _MAIN_REL and target in names:
                return target
    return "xl/workbook.xml"


def _scan_sheet(z: zipfile.ZipFile, member: str, facts: SheetFacts) -> None:
    data = z.read(member)
    formulas = b"f>" in data and any(rx.search(data) for rx in _NO_VALUE)
    hidden = b"hidden=" in data
    if not (formulas or hidden):
        return
    shared: dict[str, str] = {}  # si -> the shared formula's text (written once, on its first cell)
    row = 0  # Excel row of the current <row>
    col = -1
    cell_ref: tuple[int, int] | None = None
    cell_type = None
    formula: str | None = None
    value: str | None = None
    for event, el in _parse(z, member):
        tag = _local(el.tag)
        if event == "start":
            if tag == "row":
                r = el.get("r")
                row = int(r) if r and r.isdigit() else row + 1
                col = -1
                if _true(el.get("hidden")):
                    facts.hidden_rows.append(row)
            elif tag == "c":
                m = _REF.match(el.get("r") or "")
                col = _col_index(m.group(1)) if m else col + 1
                cell_ref, cell_type, formula, value = (row - 1, col), el.get("t"), None, None
            continue
        if tag == "f":
            text = el.text or ""
            si = el.get("si")
            if si is not None and text:
                shared[si] = text
            formula = text or shared.get(si, "")
        elif tag == "v":
            value = el.text or ""
        elif tag == "c":
            # an empty <v/> of a text formula is a calculated empty text (=IF(A2="","",…)), not a missing value
            if formula is not None and (value is None or (value == "" and cell_type not in ("str", "inlineStr"))):
                facts.uncalculated[cell_ref] = formula
            el.clear()
        elif tag == "row":
            el.clear()


def scan_workbook(
    path: str | Path, only: set[str] | None = None, plain: set[str] | frozenset[str] = frozenset()
) -> dict[str, SheetFacts]:
    """Sheet name -> its facts, for every sheet the workbook lists (the XML of the sheets in `only`, when
    given: the others keep their state only). Raises on a part that is not well-formed XML or defines
    entities (the caller decides what a failed scan means). `plain`: sheet parts known to hold neither "f>" nor
    "hidden=" (``tqa.clean.reader.check_workbook`` found it while inflating them), not inflated again: the
    byte tests of `_scan_sheet` would find nothing."""
    with zipfile.ZipFile(path) as z:
        book = _workbook_part(z)
        rels_member = posixpath.join(posixpath.dirname(book), "_rels", posixpath.basename(book) + ".rels")
        rels = _rels(z, rels_member) if rels_member in z.namelist() else {}
        listed: list[tuple[str, str, str | None]] = []
        for event, el in _parse(z, book):
            if event == "end" and _local(el.tag) == "sheet":
                target = rels.get(el.get(_R_ID, ""), ("", None))[1]
                listed.append((el.get("name", ""), el.get("state") or "visible", target))
        names = set(z.namelist())
        out = {}
        for name, state, member in listed:
            facts = out[name] = SheetFacts(state)
            if member in names and (only is None or name in only) and member not in plain:
                _scan_sheet(z, member, facts)
        return out
