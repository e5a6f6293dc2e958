"""Byte-identical .xlsx files.

openpyxl stamps the save time into docProps/core.xml and the zip entries carry the current
time, so the same workbook saved twice differs. We fix both: the reproducibility promise covers
the sample data, the blank template and data-quality.xlsx alike.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from pathlib import Path

from tqa.io.catalog import write_atomic

FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
FIXED_ISO_TIME = "2000-01-01T00:00:00Z"
_W3CDTF = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def save_workbook(wb, path: str | Path) -> Path:
    """Save an openpyxl workbook so that equal contents give equal bytes."""
    wb.properties.creator = "tqa"
    wb.properties.lastModifiedBy = "tqa"
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in sorted(zin.infolist(), key=lambda i: _entry_order(i.filename)):
            data = zin.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = _W3CDTF.sub(rb"\g<1>" + FIXED_ISO_TIME.encode() + rb"\g<3>", data)
            info = zipfile.ZipInfo(item.filename, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zout.writestr(info, data)
    return write_atomic(path, out.getvalue())


def _entry_order(name: str) -> tuple[int, str]:
    # [Content_Types].xml must stay first for some readers.
    return (0 if name == "[Content_Types].xml" else 1, name)


# ---- text from returns is text, never a formula ---------------------------------------------------
# Cells of a school's return (values, header texts, school names) reach the workbooks sent back to schools.
# openpyxl turns any string starting with "=" into a live formula (a HYPERLINK, a DDE payload); Excel would
# also re-read "+", "-", "@", a tab or a carriage return at the start as a formula once a person edits the
# cell (OWASP, CSV/formula injection). So every text cell is written as a string, and one starting with such a
# character also gets Excel's quote prefix (the cell stays text when edited, and shows exactly what was
# written: "-5" reads "-5", not "'-5").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
EXCEL_MAX_TEXT = 32767  # Excel refuses to open a cell holding more characters
TRUNCATED = "…（已截断）"


def cell_text(value: str) -> str:
    """A string as a cell may hold it: XML-illegal control characters replaced (openpyxl refuses them), at
    most Excel's 32,767 characters."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if len(text) > EXCEL_MAX_TEXT:
        text = text[: EXCEL_MAX_TEXT - len(TRUNCATED)] + TRUNCATED
    return text


def put(cell, value):
    """Set ``cell`` to ``value``; a string is always stored as text (see above). Returns the cell."""
    if isinstance(value, str):
        text = cell_text(value)
        cell.value = text
        cell.data_type = "s"
        if text.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


# ---- sheet names and page headers from hostile text ------------------------------------------------
SHEET_TITLE_MAX = 31  # Excel's limit
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")
HEADER_FOOTER_MAX = 255  # Excel's limit for one header or footer, its codes included


def sheet_title(text: str, taken: set[str] | frozenset[str] = frozenset(), fallback: str = "Sheet") -> str:
    """``text`` as a sheet name Excel accepts: no [ ] : * ? / or backslash, no control characters, no apostrophe
    at either end, at most 31 characters, and (Excel compares names case-insensitively) not one of ``taken``: a
    clash gets " (2)", " (3)", ... within the 31 characters."""
    title = _SHEET_TITLE_FORBIDDEN.sub("", str(text)).strip().strip("'").strip()
    title = title[:SHEET_TITLE_MAX].rstrip("' ") or fallback[:SHEET_TITLE_MAX]
    used = {t.casefold() for t in taken}
    candidate, n = title, 1
    while candidate.casefold() in used:
        n += 1
        suffix = f" ({n})"
        candidate = title[: SHEET_TITLE_MAX - len(suffix)].rstrip("' ") + suffix
    return candidate


def header_footer_text(text: str, limit: int = HEADER_FOOTER_MAX) -> str:
    """Text for a page header or footer section: "&" starts a code there (&P is the page number), so a literal
    one is doubled; control characters dropped; cut to ``limit`` characters without splitting an "&&"."""
    plain = re.sub(r"[\x00-\x1f\x7f]", "", str(text))
    out = ""
    for ch in plain:
        piece = "&&" if ch == "&" else ch
        if len(out) + len(piece) > limit:
            break
        out += piece
    return out


# ---- layout shared by the workbooks this project writes ------------------------------------------------------


def display_width(value) -> int:
    """Columns a value needs in a sheet: CJK and full-width characters take two."""
    if value is None:
        return 0
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def fit_to_page_width(ws, landscape: bool, title_row: int | None = 1) -> None:
    """Print set-up: A4, every column on one page's width (as many pages down as it takes), ``title_row``
    repeated at the top of every page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if landscape else ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_row is not None:
        ws.print_title_rows = f"{title_row}:{title_row}"
