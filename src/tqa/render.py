"""Offline HTML (nbconvert, own template) and PDF (WeasyPrint) for executed notebooks.

The HTML has no code, no prompts, no JavaScript and no network references; images are data URIs.
One HTMLExporter and one WeasyPrint font configuration are built per process and reused (building them
costs far more than rendering a page).
"""
from __future__ import annotations

import html
import os
import re
from functools import lru_cache
from pathlib import Path

import nbformat

TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "tqa"
DEFAULT_TITLE = "报告"

# Outputs are chosen by this priority; JavaScript is never rendered.
DISPLAY_PRIORITY = [
    "text/html", "image/png", "image/jpeg", "image/svg+xml", "text/markdown", "text/latex", "text/plain",
]
# Tags that authors can put on cells to keep them out of the report.
REMOVE_CELL_TAGS = {"remove-cell", "remove_cell", "hide-cell"}
REMOVE_OUTPUT_TAGS = {"remove-output", "remove_output", "hide-output"}

_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
_HTML_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S | re.I)


def notebook_title(nb: nbformat.NotebookNode) -> str:
    """metadata.title if set, else the first H1 (markdown cell, or an HTML output such as
    tqa.report.show_heading), else a generic title."""
    title = (nb.get("metadata") or {}).get("title")
    if title:
        return str(title)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = _H1.search(cell.source)
            if m:
                return m.group(1).strip()
        for out in cell.get("outputs", []):
            m = _HTML_H1.search(str(out.get("data", {}).get("text/html", "")))
            if m:
                return html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip()
    return DEFAULT_TITLE


@lru_cache(maxsize=1)
def _exporter():
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    c = Config()
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES_DIR)]
    c.HTMLExporter.template_name = TEMPLATE_NAME
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.display_data_priority = DISPLAY_PRIORITY
    c.HTMLExporter.preprocessors = [TagRemovePreprocessor]
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_CELL_TAGS)
    c.TagRemovePreprocessor.remove_all_outputs_tags = set(REMOVE_OUTPUT_TAGS)
    return HTMLExporter(config=c)


def notebook_to_html(nb: nbformat.NotebookNode | str | Path) -> str:
    """Executed notebook (node or .ipynb path) to a self-contained Chinese HTML page."""
    if isinstance(nb, (str, Path)):
        nb = nbformat.read(str(nb), as_version=4)
    body, _ = _exporter().from_notebook_node(nb, resources={"tqa_title": notebook_title(nb)})
    return body


@lru_cache(maxsize=1)
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@lru_cache(maxsize=1)
def _fetcher():
    """Only data: URIs: a report must never reach the network or the disk by URL."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"})


def html_to_pdf(html: str, path: str | Path) -> Path:
    """Render HTML to an A4 PDF with embedded subset CJK fonts; same input gives the same bytes.

    WeasyPrint writes no dates and no /ID unless asked, so the bytes depend only on the HTML, the
    fonts and the WeasyPrint version.
    """
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")  # belt and braces for any date-stamping library
    from weasyprint import HTML

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = HTML(string=html, url_fetcher=_fetcher(), base_url=None)
    pdf = doc.write_pdf(font_config=_font_config(), pdf_identifier=False, custom_metadata=False)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(pdf)
    tmp.replace(path)  # atomic: a half-written PDF never looks finished
    return path


def export(nb: nbformat.NotebookNode, html_path: str | Path | None = None,
           pdf_path: str | Path | None = None) -> str | None:
    """Write HTML and/or PDF for an executed notebook; returns the HTML (None if neither was asked)."""
    if html_path is None and pdf_path is None:
        return None
    html = notebook_to_html(nb)
    if html_path is not None:
        html_path = Path(html_path)
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_text(html, encoding="utf-8")
    if pdf_path is not None:
        html_to_pdf(html, pdf_path)
    return html
