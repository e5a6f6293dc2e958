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
    """Save an openpyxl workbook so that equal contents give equal bytes (rows given to ``append_rows`` are
    written into their sheets here)."""
    wb.properties.creator = "tqa"
    wb.properties.lastModifiedBy = "tqa"
    buf = io.BytesIO()
    wb.save(buf)
    blocks = {ws.path.lstrip("/"): ws for ws in wb.worksheets if getattr(ws, _BLOCK, None)}
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in sorted(zin.infolist(), key=lambda i: _entry_order(i.filename)):
            data = zin.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = _W3CDTF.sub(rb"\g<1>" + FIXED_ISO_TIME.encode() + rb"\g<3>", data)
            elif item.filename in blocks:
                data = _with_block(data, blocks[item.filename])
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


# ---- many rows at once ------------------------------------------------------------------------------------
# openpyxl builds an element per cell and serialises it in pure Python (about 0.1 ms a cell): most of the time of
# a workbook with thousands of rows. ``append_rows`` keeps the rows aside and ``save_workbook`` writes them into
# the sheet's XML itself, as the very bytes openpyxl writes for cells set with ``put`` and added with
# ``ws.append`` (tests/io/test_xlsx_rows.py compares the two): text always as text (an inline string, quote
# prefix on a formula trigger), numbers as openpyxl writes them.
_BLOCK = "_tqa_rows"  # attribute of a worksheet: (first row, rows, style id of a quote-prefixed cell or None)


def append_rows(ws, rows: list[list]) -> None:
    """Append ``rows`` (str, int, float or None values) below the sheet's last row, as ``ws.append`` of cells set
    with ``put`` would; written when the workbook is saved with ``save_workbook``. Nothing may be added to the sheet
    below them afterwards, and one block per sheet."""
    if getattr(ws, _BLOCK, None):
        raise ValueError(f"sheet {ws.title!r} already has rows appended by append_rows")
    first = ws._current_row + 1
    quote = None
    for row in rows:
        for value in row:
            if value is None or type(value) is int or type(value) is float:
                continue
            if type(value) is not str:
                raise TypeError(f"append_rows writes text and numbers only, not {type(value).__name__}")
            if quote is None and cell_text(value).startswith(FORMULA_TRIGGERS):
                from openpyxl.styles.cell_style import StyleArray

                style = StyleArray()
                style.quotePrefix = 1
                quote = ws.parent._cell_styles.add(style)
    ws._current_row = first - 1 + len(rows)
    setattr(ws, _BLOCK, (first, rows, quote))


_DIMENSION = re.compile(rb'<dimension ref="([A-Z]+)([0-9]+):([A-Z]+)([0-9]+)" />')


def _escape(text: str) -> str:
    """Text as ElementTree writes it (openpyxl's XML writer)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _block_xml(first: int, rows: list[list], quote: int | None) -> tuple[str, int]:
    """The rows' XML, and the widest row."""
    from openpyxl.compat import safe_string
    from openpyxl.utils import get_column_letter

    width = max((len(r) for r in rows), default=0)
    letters = [get_column_letter(j) for j in range(1, width + 1)]
    parts = []
    for i, row in enumerate(rows, start=first):
        if not row:
            continue
        parts.append(f'<row r="{i}">')
        for letter, value in zip(letters, row):
            if value is None:
                continue
            if type(value) is str:
                text = cell_text(value)
                style = f' s="{quote}"' if text.startswith(FORMULA_TRIGGERS) else ""
                if text == "":
                    parts.append(f'<c r="{letter}{i}"{style} t="inlineStr" />')
                    continue
                stripped = text.strip()
                space = ' xml:space="preserve"' if stripped and stripped != text else ""
                parts.append(f'<c r="{letter}{i}"{style} t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>')
            else:
                number = safe_string(value)  # NaN and infinities: "" (an empty element, as openpyxl writes it)
                parts.append(
                    f'<c r="{letter}{i}" t="n"><v>{number}</v></c>' if number else f'<c r="{letter}{i}" t="n"><v /></c>'
                )
        parts.append("</row>")
    return "".join(parts), width


def _with_block(data: bytes, ws) -> bytes:
    """A sheet's XML with its ``append_rows`` block written in, and its dimension widened to cover it (as openpyxl
    computes it: every value of an appended row is a cell, None included)."""
    from openpyxl.utils import column_index_from_string, get_column_letter

    first, rows, quote = getattr(ws, _BLOCK)
    filled = [first + k for k, r in enumerate(rows) if r]
    if not filled:
        return data
    if ws._cells and max(r for r, _ in ws._cells) >= first:
        raise ValueError(f"sheet {ws.title!r} has cells in or below the rows given to append_rows")
    if any(first <= r <= filled[-1] for r in ws.row_dimensions):
        raise ValueError(f"sheet {ws.title!r} sets row heights in the rows given to append_rows")
    xml, width = _block_xml(first, rows, quote)
    data = data.replace(b"<sheetData />", b"<sheetData></sheetData>", 1)
    head, sep, tail = data.partition(b"</sheetData>")
    if not sep:
        raise ValueError(f"no sheetData in the XML of sheet {ws.title!r}")
    data = head + xml.encode("utf-8") + sep + tail
    c0, r0, c1, r1 = 1, filled[0], width, filled[-1]
    if ws._cells:
        m = _DIMENSION.search(data)
        c0 = min(c0, column_index_from_string(m[1].decode()))
        r0 = min(r0, int(m[2]))
        c1 = max(c1, column_index_from_string(m[3].decode()))
    ref = f'<dimension ref="{get_column_letter(c0)}{r0}:{get_column_letter(c1)}{r1}" />'
    return _DIMENSION.sub(ref.encode(), data, count=1)


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
