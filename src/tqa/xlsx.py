"""Byte-identical .xlsx files.

openpyxl stamps the save time into docProps/core.xml and the zip entries carry the current
time, so the same workbook saved twice differs. We fix both: the reproducibility promise covers
the sample data, the blank template and data-quality.xlsx alike.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from .catalog import write_atomic

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
