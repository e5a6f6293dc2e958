"""Helpers used inside report notebooks: tables, charts with Chinese labels, notes, provenance footer.

Imported once per school report, so it must stay light: pandas and matplotlib only (never
great_expectations). Everything rendered here is plain HTML/JPEG styled by the tqa nbconvert template.
"""

from __future__ import annotations

import html
import io
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

FONT_FAMILY = ["DejaVu Sans", "Noto Sans CJK SC"]  # Latin first (U+2212 minus from DejaVu), CJK per glyph
FIGURE_DPI = 200  # print-sharp: at least 200 ppi at the size the figure is shown
MISSING = "—"

# Named formats; anything else containing "{" is a str.format pattern, or pass a callable.
NAMED_FORMATS: dict[str, str] = {
    "rate": "{:.1%}",  # 0.853 -> 85.3%
    "percent": "{:.1%}",
    "mean": "{:.1f}",  # 78.26 -> 78.3
    "float1": "{:.1f}",
    "float2": "{:.2f}",
    "int": "{:,.0f}",
    "count": "{:,.0f}",
}


def setup() -> None:
    """Matplotlib (CJK fonts, fixed dpi, PNG inline) and pandas display options for a report notebook."""
    import matplotlib

    matplotlib.rcParams.update(
        {
            "font.family": FONT_FAMILY,
            "axes.unicode_minus": True,  # U+2212 exists in DejaVu Sans, so keep the proper minus sign
            "figure.dpi": FIGURE_DPI,
            "savefig.dpi": FIGURE_DPI,
            "svg.hashsalt": "tqa",
            "figure.figsize": (6.4, 3.6),
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    try:  # only inside IPython: make the inline backend emit PNG
        from IPython import get_ipython

        if get_ipython() is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats("png")
    except ImportError:  # plain Python (tests): nothing to configure
        pass
    pd.set_option("display.max_columns", 50)
    pd.set_option("display.width", 200)
    pd.set_option("display.precision", 1)


def _display_html(markup: str) -> None:
    from IPython.display import HTML, display

    display(HTML(markup))


def _formatter(spec: str | Callable[[Any], str]) -> Callable[[Any], str]:
    if callable(spec):
        fn = spec
    else:
        pattern = NAMED_FORMATS.get(spec, spec)
        if "{" not in pattern:
            raise ValueError(f"未知的数字格式：{spec!r}（可用：{'、'.join(NAMED_FORMATS)}，或如 '{{:.1f}}' 的格式串）")
        fn = pattern.format

    def fmt(value: Any) -> str:
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return MISSING
        if isinstance(value, str):  # placeholders such as 样本过少 stay as they are
            return value
        return fn(value)

    return fmt


def _plain(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return str(value)


def _highlight_mask(df: pd.DataFrame, highlight_row: Any) -> list[bool]:
    """Rows to highlight: a position, positions, a boolean mask, a {column: value} match, or a predicate."""
    n = len(df)
    if highlight_row is None:
        return [False] * n
    if isinstance(highlight_row, Mapping):
        mask = pd.Series(True, index=df.index)
        for col, val in highlight_row.items():
            mask &= df[col] == val
        return [bool(x) for x in mask.fillna(False)]
    if callable(highlight_row):
        return [bool(highlight_row(row)) for _, row in df.iterrows()]
    if isinstance(highlight_row, int):
        return [i == highlight_row for i in range(n)]
    values = list(highlight_row)
    if len(values) == n and all(isinstance(v, (bool, np.bool_)) for v in values):
        return [bool(v) for v in values]  # boolean mask aligned with the rows
    positions = {int(v) for v in values}
    return [i in positions for i in range(n)]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


# A table this short is kept on one page (a 4-row table is never split 3 + 1); a longer one breaks between rows,
# its header (with the caption, the table's running title) repeated on each page.
KEEP_WHOLE_ROWS = 15
SHORT_TEXT = 6  # characters: a cell this short stays on one line
# Cell classes a table may ask for (``cell_classes``): the band and colour words, drawn as coloured cells.
CELL_CLASSES = {
    "明显高于": "b-wa", "高于": "b-a", "持平": "b-av", "低于": "b-b", "明显低于": "b-wb",
    "明显高于全区": "b-wa", "高于全区": "b-a", "与全区相当": "b-av", "低于全区": "b-b", "明显低于全区": "b-wb",
    "蓝": "c-blue", "绿": "c-green", "黄": "c-yellow", "橙": "c-orange", "红": "c-red",
    "达成": "t-met", "未达成": "t-miss", "显著上升": "b-wa", "上升": "b-a", "下降": "b-b", "显著下降": "b-wb",
}  # fmt: skip


def _sort_key(value: Any) -> str | None:
    """The value a sortable table sorts a cell by (data-v): the number itself, not its text."""
    if _is_number(value) and not (isinstance(value, float) and math.isnan(value)):
        return repr(float(value))
    return None


def table_html(
    df: pd.DataFrame,
    columns: Mapping[str, str] | None = None,
    formats: Mapping[str, str | Callable[[Any], str]] | None = None,
    caption: str | None = None,
    highlight_row: Any = None,
    *,
    wide: bool = False,
    cell_classes: tuple[str, ...] = (),
    print_rows: Any = None,
    print_note: str | None = None,
) -> str:
    """The HTML of show_table (pure, testable): no index, Chinese headers, numbers right-aligned.

    All of df's columns are shown in df's order (select with df[cols] first); columns renames them
    ({"pass_rate": "及格率"}) and may hold labels for columns df does not have. formats is keyed by the
    original names: a named format (NAMED_FORMATS), a str.format pattern or a callable; text values
    such as 样本较小 are shown as they are, missing values as a dash.

    The caption is the header's first row, so it repeats on every printed page the table runs to. ``wide``
    prints the table on landscape pages. ``cell_classes`` names the columns whose words (bands, colours,
    达成) colour their cells. Numeric cells carry their value (data-v) for the screen's sorting, which the
    page's script offers only in the internal edition. ``print_rows`` (a boolean mask, as ``highlight_row``
    takes one) keeps the other rows off the printed page, which then shows ``print_note`` under the table: the
    screen has every row, the paper the ones its reader must see.
    """
    columns = dict(columns or {})
    formats = {c: _formatter(f) for c, f in (formats or {}).items() if c in df.columns}
    hl = _highlight_mask(df, highlight_row)
    printed = [True] * len(df) if print_rows is None else _highlight_mask(df, print_rows)
    cols = list(df.columns)
    # Column-wise values: iterrows would upcast ints to floats in mixed frames ("12" -> "12.0").
    values = [df[c].tolist() for c in cols]
    numeric = [any(_is_number(v) for v in vals) for vals in values]
    coloured = {j for j, c in enumerate(cols) if c in cell_classes}

    classes = (
        ["tqa-table"] + (["keep"] if sum(printed) <= KEEP_WHOLE_ROWS else []) + ([] if all(printed) else ["partial"])
    )
    out = [f'<div class="tbl{" wide" if wide else ""}"><table class="{" ".join(classes)}"><thead>']
    if caption:
        out.append(f'<tr class="cap"><th colspan="{max(len(cols), 1)}">{html.escape(caption)}</th></tr>')
    out.append('<tr class="cols">')
    out += [f"<th>{html.escape(str(columns.get(c, c)))}</th>" for c in cols]
    out.append("</tr></thead><tbody>")
    for i in range(len(df)):
        row_classes = " ".join(c for c, on in (("hl", hl[i]), ("np", not printed[i])) if on)
        out.append(f'<tr class="{row_classes}">' if row_classes else "<tr>")
        for j, c in enumerate(cols):
            v = values[j][i]
            text = formats[c](v) if c in formats else _plain(v)
            # numbers and short words (一年级, 城区, 高于) never break inside; long text wraps
            cls = ["num"] if numeric[j] else (["nw"] if len(text) <= SHORT_TEXT else [])
            if j in coloured and text in CELL_CLASSES:
                cls.append(CELL_CLASSES[text])
            key = _sort_key(v) if numeric[j] else None
            attrs = (f' class="{" ".join(cls)}"' if cls else "") + (f' data-v="{key}"' if key is not None else "")
            out.append(f"<td{attrs}>{html.escape(text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    if print_note and not all(printed):
        out.append(f'<p class="print-only tbl-note">{html.escape(print_note)}</p>')
    out.append("</div>")
    return "".join(out)


def show_table(
    df: pd.DataFrame,
    columns: Mapping[str, str] | None = None,
    formats: Mapping[str, str | Callable[[Any], str]] | None = None,
    caption: str | None = None,
    highlight_row: Any = None,
    *,
    highlight_rows: Any = None,
    wide: bool = False,
    cell_classes: tuple[str, ...] = (),
    print_rows: Any = None,
    print_note: str | None = None,
) -> None:
    """Display a DataFrame as a report table (see table_html); highlight_rows is an alias."""
    _display_html(
        table_html(
            df,
            columns,
            formats,
            caption,
            highlight_row if highlight_row is not None else highlight_rows,
            wide=wide,
            cell_classes=cell_classes,
            print_rows=print_rows,
            print_note=print_note,
        )
    )


def heading_html(text: str, level: int = 1, subtitle: str | None = None) -> str:
    level = min(max(int(level), 1), 6)
    out = f'<h{level} class="tqa-heading">{html.escape(text)}</h{level}>'
    if subtitle:
        out += f'<p class="tqa-subtitle">{html.escape(subtitle)}</p>'
    return out


EDITION_LABELS = {"internal": "内部版", "public": "公开版"}
EDITION_NOTES = {"internal": "供教研室和学校内部研判使用，不得公开", "public": "可向社会公开：不含名次和学生个人信息"}


def css_string(text: str) -> str:
    """Text as a CSS string literal: quotes, backslashes, line breaks and angle brackets escaped, so a name from a
    return can neither end the string nor the style element it sits in."""
    out = []
    for ch in str(text):
        if ch in '"\\' or ch in "<>&" or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _title_parts(title: str, unit: str) -> str:
    """The title in parts that each stay on one line (the unit's name, then the term and what the report is)."""
    if not (unit and title.startswith(unit) and len(title) > len(unit)):
        return html.escape(title)
    rest = title[len(unit) :]
    cut = rest.find("学期") + 2  # the term ("2023-2024学年第二学期") and what the report is break apart, not inside
    parts = [unit, rest[:cut], rest[cut:]] if 2 <= cut < len(rest) else [unit, rest]
    return "".join(f"<span>{html.escape(part)}</span>" for part in parts)


def cover_html(title: str, subtitle: str, mode: str, back_href: str, running: str, unit: str = "") -> str:
    """The report's first lines: edition badge, title, subtitle, the way back to the index, where the contents go
    (tqa.reports.render.TOC_MARK), and the running header of every printed page (unit and edition)."""
    label = EDITION_LABELS[mode]
    page_head = css_string(f"{running} · {label}")
    return (
        f'<header class="tqa-cover">'
        f'<p class="tqa-back"><a href="{html.escape(back_href)}">← 返回报告目录</a></p>'
        f'<h1 class="tqa-heading">{_title_parts(title, unit)}</h1>'
        f'<p class="tqa-subtitle">{html.escape(subtitle)} <span class="tqa-edition {mode}">{label}</span></p>'
        f'<p class="tqa-edition-note">{html.escape(EDITION_NOTES[mode])}</p>'
        "<!--tqa-toc-->"
        "</header>"
        f"<style>@page {{ @top-left {{ content: {page_head}; }} }}</style>"
    )


def summary_html(summary) -> str:
    """A first page's statements as a boxed summary: the lead, then each group as a short list."""
    out = ['<section class="tqa-summary">', f'<p class="lead">{html.escape(summary.lead)}</p>']
    for group in summary.groups:
        out.append(f'<div class="group"><h3>{html.escape(group.title)}</h3>')
        if group.statements:
            items = "".join(
                f"<li{f' class={chr(34)}{s.tone}{chr(34)}' if s.tone else ''}>{html.escape(s.text)}</li>"
                for s in group.statements
            )
            out.append(f"<ul>{items}</ul>")
        else:
            out.append(f'<p class="none">{html.escape(group.empty)}</p>')
        out.append("</div>")
    out.append("</section>")
    return "".join(out)


def show_heading(text: str, level: int = 1, subtitle: str | None = None) -> None:
    """A heading built from data (school name...); level 1 also becomes the HTML/PDF title."""
    _display_html(heading_html(text, level, subtitle))


def figure_pixels(fig) -> np.ndarray:
    """The figure drawn at the report dpi, as an RGBA array (rows top-down)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(FIGURE_DPI)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())


def figure_jpeg(fig) -> bytes:
    """JPEG bytes of a figure at the report dpi: quality 95 with full-resolution colour (4:4:4).

    JPEG rather than PNG because of what Chromium does with images when it prints: it re-compresses a PNG's
    pixels with zlib for the PDF, but embeds a JPEG as it is. Measured on a 300-school district's school
    report (4 charts, 3 megapixels): the browser's print time falls from 0.35 to 0.27 CPU-s and encoding from
    about 50 to 11 ms. At quality 95 without chroma subsampling the difference from the PNG is at most a
    faint halo at sharp edges (mean 0.35 of 255 per channel); nothing shows on paper or on screen. The
    figures are opaque and every chart lays itself out, so no alpha and no bbox_inches="tight" (that draws
    the figure twice). libjpeg is deterministic: the same figure gives the same bytes.
    """
    from PIL import Image

    buf = io.BytesIO()
    pixels = figure_pixels(fig)
    # RGBA -> RGB inside PIL: slicing the array first makes PIL copy it through a Python bytes object (3x slower).
    rgb = Image.frombuffer("RGBA", (pixels.shape[1], pixels.shape[0]), pixels, "raw", "RGBA", 0, 1).convert("RGB")
    rgb.save(buf, format="jpeg", quality=95, subsampling=0, dpi=(FIGURE_DPI, FIGURE_DPI))
    return buf.getvalue()


def show_figure(fig) -> None:
    """Display a matplotlib figure as an embedded JPEG, then close it (so it is not shown twice)."""
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    try:
        jpeg = figure_jpeg(fig)
        # Show at the figure's physical size (CSS has 96 px per inch) rather than at pixel size.
        width = int(fig.get_figwidth() * FIGURE_DPI) * 96 // FIGURE_DPI
        display(Image(data=jpeg, format="jpeg", width=width))
    finally:
        plt.close(fig)


def note_html(text: str, title: str = "说明", kind: str = "info") -> str:
    body = "<br>".join(html.escape(line) for line in str(text).splitlines())
    cls = "tqa-note warn" if kind in ("warn", "warning") else "tqa-note"
    return f'<div class="{cls}"><span class="tqa-note-title">{html.escape(title)}：</span>{body}</div>'


def show_note(text: str, title: str = "说明", kind: str = "info") -> None:
    """A call-out box; kind="warn" (or "warning") for a red one (e.g. data caveats)."""
    _display_html(note_html(text, title, kind))


def provenance_html(lines: Mapping[str, str], title: str = "数据与程序来源") -> str:
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in lines.items())
    return (
        f'<footer class="tqa-provenance"><div class="tqa-prov-title">{html.escape(title)}</div>'
        f"<table>{rows}</table></footer>"
    )


def show_provenance(lines: Mapping[str, str], title: str = "数据与程序来源") -> None:
    """Footer block listing term, input hashes, code version… (computed by the caller), in given order."""
    _display_html(provenance_html(lines, title))


def show_paragraphs(items: list[tuple[str, str]]) -> None:
    """Labelled paragraphs ("三年级1班", "语文 临界及格：…"): long lists of names read (and typeset) far
    better as running text than as a table of hundreds of rows."""
    body = "".join(
        f'<p class="tqa-list"><strong>{html.escape(label)}</strong>　{html.escape(text)}</p>' for label, text in items
    )
    _display_html(f'<div class="tqa-lists">{body}</div>')


# ---- what a report view hands a notebook cell ----------------------------------------------------------
# A view (tqa.reports.views) returns the content of a section as these items; ``show`` displays them in order.


@dataclass(frozen=True)
class Table:
    df: pd.DataFrame
    columns: Mapping[str, str] | None = None
    formats: Mapping[str, str | Callable[[Any], str]] | None = None
    caption: str | None = None
    highlight: Any = None
    wide: bool = False  # printed on landscape pages
    cell_classes: tuple[str, ...] = ()  # columns whose band / colour words colour their cells
    print_rows: Any = None  # rows that print (a boolean mask; None: all); the screen shows every row
    print_note: str | None = None  # under the table on paper when rows are left off


@dataclass(frozen=True)
class Note:
    text: str
    title: str = "说明"
    kind: str = "info"


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1
    subtitle: str | None = None


@dataclass(frozen=True)
class Cover:
    """A report's cover: title, subtitle, edition, link back to the index, running header text."""

    title: str
    subtitle: str
    mode: str
    back_href: str
    running: str
    unit: str = ""  # the title's first part (a school's name): the title breaks after it, never inside a word


@dataclass(frozen=True)
class Statement:
    """One line of a first page: its text and whether it is good news, bad news or neither."""

    text: str
    tone: str = ""  # "good", "bad" or ""


@dataclass(frozen=True)
class Group:
    title: str
    statements: list[Statement]
    empty: str = ""  # said when there is nothing to say


@dataclass(frozen=True)
class Summary:
    """A first page: a lead paragraph, then groups of statements (``tqa.reports.findings``)."""

    lead: str
    groups: list[Group] = field(default_factory=list)
    table: Any = None  # a Table shown after the groups (the internal district report's 需关注学校)


@dataclass(frozen=True)
class Landscape:
    """Items printed together on landscape pages (a paper's heading, its tables and chart): a section made of
    such blocks flows from one landscape page to the next instead of alternating a half-empty portrait page
    (the heading, a small table) with a landscape one (the wide table)."""

    items: list


@dataclass(frozen=True)
class Paragraphs:
    items: list


@dataclass(frozen=True)
class Provenance:
    lines: Mapping[str, str]


def show(*items) -> None:
    """Display a section's content: tables, notes, headings, paragraphs, figures, provenance, lists of them;
    None shows nothing (a section this edition does not have)."""
    from matplotlib.figure import Figure

    for item in items:
        if item is None:
            continue
        if isinstance(item, (list, tuple)):
            show(*item)
        elif isinstance(item, Table):
            show_table(
                item.df,
                item.columns,
                item.formats,
                item.caption,
                item.highlight,
                wide=item.wide,
                cell_classes=item.cell_classes,
                print_rows=item.print_rows,
                print_note=item.print_note,
            )
        elif isinstance(item, Note):
            show_note(item.text, item.title, item.kind)
        elif isinstance(item, Heading):
            show_heading(item.text, item.level, item.subtitle)
        elif isinstance(item, Summary):
            _display_html(summary_html(item))
            if item.table is not None:
                show(item.table)
        elif isinstance(item, Cover):
            _display_html(cover_html(item.title, item.subtitle, item.mode, item.back_href, item.running, item.unit))
        elif isinstance(item, Paragraphs):
            show_paragraphs(item.items)
        elif isinstance(item, Landscape):
            # The block's outputs sit one after another in the cell's output box, so an opening and a closing
            # tag around them wrap them all (charts included, which are image outputs, not HTML).
            _display_html('<div class="landscape">')
            try:
                show(*item.items)
            finally:
                _display_html("</div>")
        elif isinstance(item, Provenance):
            show_provenance(item.lines)
        elif isinstance(item, Figure):
            show_figure(item)
        else:
            raise TypeError(f"cannot show {type(item).__name__}")


__all__ = [
    "setup",
    "show",
    "show_table",
    "table_html",
    "show_heading",
    "heading_html",
    "cover_html",
    "Cover",
    "Summary",
    "Group",
    "Statement",
    "summary_html",
    "show_figure",
    "figure_jpeg",
    "figure_pixels",
    "show_note",
    "note_html",
    "show_provenance",
    "provenance_html",
    "show_paragraphs",
    "Table",
    "Note",
    "Heading",
    "Paragraphs",
    "Provenance",
    "NAMED_FORMATS",
    "FONT_FAMILY",
    "FIGURE_DPI",
]
