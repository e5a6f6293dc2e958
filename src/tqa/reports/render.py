"""Offline HTML (nbconvert, own template) and PDF (headless Chromium, tqa.reports.pdf) for executed notebooks.

The HTML has no code, no prompts and no network references; images are data URIs. Its only script is the
template's own (sorting tables on screen, in the internal edition): nothing from a return or a notebook output
is ever a script. The edition comes from the notebook's parameters (papermill records them): in the public
edition the cells tagged ``internal-only`` (the narrative of sections only the internal edition has) are
dropped. A contents list of the sections (h2) is put where the report's cover marks it.
One HTMLExporter per process is built once and reused (building it costs far more than a page).
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

import nbformat

from tqa.io.catalog import write_atomic
from tqa.reports import pdf

TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "tqa"
DEFAULT_TITLE = "报告"

# Outputs are chosen by this priority; JavaScript is never rendered.
DISPLAY_PRIORITY = [
    "text/html",
    "image/png",
    "image/jpeg",
    "image/svg+xml",
    "text/markdown",
    "text/latex",
    "text/plain",
]
# Tags that authors can put on cells to keep them out of the report.
REMOVE_CELL_TAGS = {"remove-cell", "remove_cell", "hide-cell"}
REMOVE_OUTPUT_TAGS = {"remove-output", "remove_output", "hide-output"}
# Cells only the internal edition has (their narrative would describe a section the public edition lacks).
INTERNAL_ONLY_TAG = "internal-only"
PUBLIC_ONLY_TAG = "public-only"  # and the few lines only the public edition needs
_ONLY = {"internal": PUBLIC_ONLY_TAG, "public": INTERNAL_ONLY_TAG}  # the tag each edition leaves out
_SECTION = re.compile(r"^## [一二三四五六七八九十]+、", re.M)
_NUMERALS = "一二三四五六七八九十"
EDITIONS = ("internal", "public")
TOC_MARK = "<!--tqa-toc-->"

_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
_HTML_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S | re.I)


def notebook_title(nb: nbformat.NotebookNode) -> str:
    """metadata.title if set, else the first H1 (markdown cell, or an HTML output such as
    tqa.reports.display.show_heading), else a generic title."""
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


# nbconvert's heading-anchor filter writes Chinese headings as numeric character references; browsers show
# them the same, but the page should read (and grep) as Chinese. Non-ASCII characters are never markup.
_NON_ASCII_REF = re.compile(r"&#(x[0-9a-fA-F]+|[0-9]+);")


def _unescape_non_ascii(m: re.Match) -> str:
    ref = m.group(1)
    code = int(ref[1:], 16) if ref[0] in "xX" else int(ref)
    return chr(code) if code > 127 else m.group(0)


@lru_cache(maxsize=1)
def _exporter_class():
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        """HTMLExporter without its BeautifulSoup pass (alt text and tabindex on JupyterLab classes).

        That pass re-parses and re-serialises the whole page, about 0.3 s per school report (profiled),
        and our template already writes alt text and has no JupyterLab classes.
        """

        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            resources = self._init_resources(resources)
            self.register_filter(
                "highlight_code", self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            )
            self.register_filter(
                "filter_data_type",
                WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources),
            )
            body, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _NON_ASCII_REF.sub(_unescape_non_ascii, body), resources

    return ReportExporter


@lru_cache(maxsize=1)
def _exporter():
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    c = Config()
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES_DIR)]
    c.HTMLExporter.template_name = TEMPLATE_NAME
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.display_data_priority = DISPLAY_PRIORITY
    # Only the tag filter: none of nbconvert's eleven default preprocessors changes a report (no code shown,
    # nothing to execute or extract; same HTML measured), yet each costs a whole-notebook validation (~1 ms).
    c.HTMLExporter.default_preprocessors = []
    c.HTMLExporter.preprocessors = [TagRemovePreprocessor]
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_CELL_TAGS)
    c.TagRemovePreprocessor.remove_all_outputs_tags = set(REMOVE_OUTPUT_TAGS)
    return _exporter_class()(config=c)


@lru_cache(maxsize=1)
def _page_script() -> tuple[str, str]:
    """The template's one script and its CSP hash: the page's Content-Security-Policy allows that script and no
    other, so even a script that reached the page some other way would not run."""
    import base64
    import hashlib

    text = (TEMPLATES_DIR / TEMPLATE_NAME / "sort.js").read_text(encoding="utf-8").strip()
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return text, f"sha256-{digest}"


def edition(nb: nbformat.NotebookNode) -> str:
    """internal or public: the ``mode`` the notebook was run with (internal when it has none)."""
    given = ((nb.get("metadata") or {}).get("papermill") or {}).get("parameters") or {}
    mode = given.get("mode", "internal")
    return mode if mode in EDITIONS else "internal"


def chinese_numeral(n: int) -> str:
    """1..99 as section numbers are written: 一, 十, 十一, 二十三."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _NUMERALS[tens - 1] + "十")
    return head + (_NUMERALS[ones - 1] if ones else "") or "零"


def for_edition(nb: nbformat.NotebookNode, mode: str) -> nbformat.NotebookNode:
    """The notebook as the edition shows it: without the other edition's cells, its numbered sections
    (## 一、…) numbered again in order, so no edition shows a gap."""
    drop = _ONLY[mode]
    keep = [c for c in nb.cells if drop not in (c.get("metadata") or {}).get("tags", [])]
    count = 0

    def renumber(m: re.Match) -> str:
        nonlocal count
        count += 1
        return f"## {chinese_numeral(count)}、"

    cells = []
    for c in keep:
        if c.get("cell_type") == "markdown" and _SECTION.search(c.source):
            c = nbformat.from_dict({**c, "source": _SECTION.sub(renumber, c.source)})
        cells.append(c)
    return nbformat.from_dict({**nb, "cells": cells})


def with_contents(body: str) -> str:
    """The page with a contents list of its sections (every h2, linked by its id) where the cover put TOC_MARK."""
    if TOC_MARK not in body:
        return body
    items = [(hid, text) for level, hid, text in pdf.headings(body) if level == 2]
    if not items:
        return body.replace(TOC_MARK, "")
    links = "".join(f'<li><a href="#{hid}">{html.escape(text)}</a></li>' for hid, text in items)
    return body.replace(
        TOC_MARK, f'<nav class="toc" aria-label="目录"><div class="toc-title">目录</div><ol>{links}</ol></nav>', 1
    )


def notebook_to_html(nb: nbformat.NotebookNode | str | Path) -> str:
    """Executed notebook (node or .ipynb path) to a self-contained Chinese HTML page."""
    if isinstance(nb, (str, Path)):
        nb = nbformat.read(str(nb), as_version=4)
    mode = edition(nb)
    nb = for_edition(nb, mode)
    script, script_hash = _page_script()
    resources = {"tqa_title": notebook_title(nb), "tqa_edition": mode, "tqa_script": script,
                 "tqa_script_hash": script_hash}  # fmt: skip
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return with_contents(body)


def html_to_pdf(html: str, path: str | Path) -> Path:
    """Render an HTML string to an A4 PDF (tqa.reports.pdf: headless Chromium); same input gives the same bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".html", dir=path.parent, encoding="utf-8", delete=False) as tmp:
        tmp.write(html)
    try:
        return pdf.html_file_to_pdf(tmp.name, path)
    finally:
        os.unlink(tmp.name)


def export(
    nb: nbformat.NotebookNode, html_path: str | Path | None = None, pdf_path: str | Path | None = None
) -> str | None:
    """Write HTML and/or PDF for an executed notebook; returns the HTML (None if neither was asked).

    The PDF is printed from the HTML file just written, so the two always show the same report.
    """
    if html_path is None and pdf_path is None:
        return None
    html = notebook_to_html(nb)
    if html_path is None:
        html_to_pdf(html, pdf_path)
        return html
    write_atomic(html_path, html)
    if pdf_path is not None:
        pdf.html_file_to_pdf(html_path, pdf_path)
    return html
