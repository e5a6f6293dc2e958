"""The drawing machinery of the report charts: small multiples without Axes, ticks, glyph labels, shared
backgrounds. Each family's charts (``academic``, ...) are built from these.

One panel per subject (district report, one figure per grade) or, when the rows carry a ``panel`` column
(``tqa.reports.tables.school.funnel_panels`` & co.), one panel per label: the school report puts every grade x
subject it sat (up to 42) into one figure, 300 times. A matplotlib Axes costs ~25 ms to create and as much
again to draw its ticks, so the panels are not Axes: ``SmallMultiples`` lays them out in one hidden Axes
measured in inches and draws frames, a few nice ticks and the data as a handful of batched collections.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.path import Path
from matplotlib.text import Text

from tqa.reports.display import FIGURE_DPI, figure_pixels

HIGHLIGHT_COLOUR = "#d62728"


OTHER_SCHOOLS = "#c4c4c4"


GRID_COLOUR = "#e3e3e3"


def nice_ticks(lo: float, hi: float, n: int = 3) -> list[float]:
    """Up to about n round tick values inside [lo, hi] (MaxNLocator's choice)."""
    from matplotlib.ticker import MaxNLocator

    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return [lo] if np.isfinite(lo) else []
    values = MaxNLocator(nbins=n, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
    eps = (hi - lo) * 1e-9
    return [float(round(v, 9)) for v in values if lo - eps <= v <= hi + eps]


def tick_text(v: float) -> str:
    return f"{v:g}".replace("-", "\u2212")


def span(values, pad: float = 0.06, floor: float | None = None, ceil: float | None = None) -> tuple[float, float]:
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype="float64")
    if not len(v):
        return (0.0, 1.0)
    lo, hi = float(v.min()), float(v.max())
    width = hi - lo if hi > lo else max(abs(hi), 1.0) * 0.1
    lo, hi = lo - pad * width, hi + pad * width
    if floor is not None:
        lo = max(lo, floor)
    if ceil is not None:
        hi = min(hi, ceil)
    return lo, hi


_LABEL_PATHS: dict[tuple, Path] = {}


LABEL_COLOUR = "#222222"


def label_path(s: str, size: float, ha: str, va: str) -> Path:
    """The outline of ``s`` at ``size`` points in the report font, aligned on (0, 0) as ha / va say (va
    "baseline": on the baseline); cached per process, so 300 school reports lay out "三年级语文" once."""
    import matplotlib
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    family = tuple(matplotlib.rcParams["font.family"])
    key = (s, size, ha, va, family)
    if key not in _LABEL_PATHS:
        if len(_LABEL_PATHS) > 20000:
            _LABEL_PATHS.clear()
        path = TextPath((0, 0), s, size=size, prop=FontProperties(family=list(family)))
        ext = path.get_extents()
        dx = {"left": -ext.x0, "center": -(ext.x0 + ext.x1) / 2, "right": -ext.x1}[ha]
        dy = {"baseline": 0.0, "bottom": -ext.y0, "center": -(ext.y0 + ext.y1) / 2, "top": -ext.y1}[va]
        _LABEL_PATHS[key] = Path(path.vertices + (dx, dy), path.codes)
    return _LABEL_PATHS[key]


class SmallMultiples:
    """Panels in a grid, drawn in one Axes whose data units are inches (origin bottom left).

    ``panel(i, xlim, ylim)`` returns a mapper for panel i (frame, title and ticks drawn); ``line`` /
    ``point`` / ``bar`` queue data in panel coordinates; ``finish()`` draws the queues as one collection per
    style and returns the figure.
    """

    LEFT, RIGHT, TOP, BOTTOM = 0.36, 0.1, 0.2, 0.2  # margins inside a cell, inches
    MAX_HEIGHT, MAX_COLS = 9.8, 6  # one A4 page at the report's width (the print CSS keeps a figure whole)

    def __init__(
        self,
        labels: list[str],
        title: str | None,
        ncols: int = 3,
        cell_height: float = 1.6,
        xlabel: str | None = None,
        legend: list | None = None,
        width: float = 7.2,
        background: np.ndarray | None = None,
    ):
        """Many panels (a 九年一贯制 school sits up to 42 papers) first get more columns (up to MAX_COLS), then
        lower cells, so that the figure is at most MAX_HEIGHT inches tall.

        ``background``: the pixels of a figure with the same layout, rendered at FIGURE_DPI (``on_background``);
        it is shown as is and only what is queued now is drawn on top (its legend and caption are in it)."""
        self.labels = list(labels)
        n = max(len(self.labels), 1)
        self.header = 0.34 + (0.24 if legend else 0.0)
        footer = 0.3 if xlabel else 0.08
        self.ncols = max(1, min(ncols, n))
        while (
            self.ncols < min(self.MAX_COLS, n)
            and self.header + np.ceil(n / self.ncols) * cell_height + footer > self.MAX_HEIGHT
        ):
            self.ncols += 1
        self.nrows = int(np.ceil(n / self.ncols))
        cell_height = min(cell_height, (self.MAX_HEIGHT - self.header - footer) / self.nrows)
        self.width = width
        self.cell_w, self.cell_h = (width - 0.3) / self.ncols, cell_height
        self.height = self.header + self.nrows * cell_height + footer
        self.fig = Figure(figsize=(width, self.height), dpi=FIGURE_DPI)
        self.inches = self.fig.dpi_scale_trans  # no Axes: creating and drawing one costs ~25 ms
        if title:
            self.fig.text(0.5, 1 - 0.1 / self.height, title, ha="center", va="top", fontsize=9.5)
        if background is not None:
            self.fig.add_artist(Pixels(background))
        else:
            if legend:
                self.fig.legend(
                    handles=legend,
                    loc="upper center",
                    ncol=len(legend),
                    fontsize=7,
                    frameon=False,
                    bbox_to_anchor=(0.5, 1 - 0.3 / self.height),
                    handletextpad=0.3,
                    columnspacing=1.2,
                )
            if xlabel:  # one caption for the figure, naming both axes
                self.text(width / 2, 0.06, xlabel, ha="center", va="bottom", fontsize=7.5)
        self._labels: list = []
        self._lines: dict[tuple, list] = {}
        self._points: dict[tuple, list] = {}
        self._bars: dict[str, list] = {}
        self._frames: list = []

    def text(self, x: float, y: float, s: str, **kw) -> None:
        """A caption at (x, y) inches, as a Text (only a few per figure: the axis captions)."""
        self.fig.add_artist(Text(x, y, s, transform=self.inches, **kw))

    def label(self, x: float, y: float, s: str, size: float, ha: str = "center", va: str = "center") -> None:
        """A panel title or tick label at (x, y) inches. Queued as a glyph outline (``label_path``, cached
        across figures) and drawn with all the others as one PathCollection: a Text costs ~0.7 ms to draw,
        and a figure of 42 panels has some 300 labels."""
        if s:
            self._labels.append((label_path(s, size, ha, va), (x, y)))

    def header_bottom(self) -> float:
        return self.height - self.header

    def rect(self, i: int) -> tuple[float, float, float, float]:
        """Plot area (x0, y0, x1, y1) of panel i, in inches."""
        row, col = divmod(i, self.ncols)
        cx, top = 0.3 + col * self.cell_w, self.header_bottom() - row * self.cell_h
        return cx + self.LEFT, top - self.cell_h + self.BOTTOM, cx + self.cell_w - self.RIGHT, top - self.TOP

    def mapper(self, i: int, xlim: tuple[float, float], ylim: tuple[float, float]):
        """``to(x, y)``: data of panel i (shown over xlim, ylim) to inches; draws nothing."""
        x0, y0, x1, y1 = self.rect(i)
        (a, b), (c, d) = xlim, ylim
        sx, sy = (x1 - x0) / ((b - a) or 1.0), (y1 - y0) / ((d - c) or 1.0)

        def to(x, y):
            x, y = np.broadcast_arrays(np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64"))
            return x0 + (x - a) * sx, y0 + (y - c) * sy

        return to

    def panel(
        self,
        i: int,
        xlim: tuple[float, float],
        ylim: tuple[float, float],
        xticks=None,
        xticklabels=None,
        yticks=None,
        yticklabels=None,
        tick_size: float = 6,
        xgrid: bool = False,
    ):
        """Frame, title and ticks of panel i (x and y: nice_ticks unless given, labels optional; ``xgrid``:
        a light vertical line at each x tick); returns ``to(x, y)`` mapping data of this panel to inches."""
        x0, y0, x1, y1 = self.rect(i)
        (a, b), (c, d) = xlim, ylim
        to = self.mapper(i, xlim, ylim)
        self._frames += [[(x0, y1), (x0, y0), (x1, y0)]]
        self.label((x0 + x1) / 2, y1 + 0.05, self.labels[i], 7.5, va="baseline")
        ticks = nice_ticks(c, d) if yticks is None else yticks
        labels = [tick_text(v) for v in ticks] if yticklabels is None else yticklabels
        for v, text in zip(ticks, labels):
            ty = to(a, v)[1]
            self._frames.append([(x0 - 0.03, ty), (x0, ty)])
            if text:
                self.label(x0 - 0.05, ty, text, tick_size, ha="right")
        ticks = nice_ticks(a, b) if xticks is None else xticks
        labels = [tick_text(v) for v in ticks] if xticklabels is None else xticklabels
        for v, text in zip(ticks, labels):
            tx = to(v, c)[0]
            self._frames.append([(tx, y0), (tx, y0 - 0.03)])
            if xgrid:
                self.line(([tx, tx], [y0, y1]), GRID_COLOUR, 0.6)
            if text:
                self.label(tx, y0 - 0.05, text, tick_size, va="top")
        return to

    def line(self, xy, colour: str, width: float = 0.8, style: str = "-") -> None:
        self._lines.setdefault((colour, width, style, False), []).append(np.column_stack(xy))

    def segments(self, start, end, colour: str, width: float = 0.8) -> None:
        """Straight segments from start[k] to end[k] (x arrays, y arrays); ``colour`` may be "#rrggbbaa".
        Snapped to whole pixels, so that equal intervals look equally thick wherever they fall."""
        (xa, ya), (xb, yb) = start, end
        self._lines.setdefault((colour, width, "-", True), []).extend(
            np.stack([np.column_stack([xa, ya]), np.column_stack([xb, yb])], axis=1)
        )

    def point(self, xy, colour: str, size: float = 8, marker: str = "o", edge: str | None = None) -> None:
        self._points.setdefault((colour, size, marker, edge), []).append(np.column_stack(xy))

    def bar(self, x, bottom, top, half_width, colour: str) -> None:
        for a, b, c in zip(np.atleast_1d(x), np.atleast_1d(bottom), np.atleast_1d(top)):
            self._bars.setdefault(colour, []).append(
                [(a - half_width, b), (a - half_width, c), (a + half_width, c), (a + half_width, b)]
            )

    def finish(self) -> Figure:
        from matplotlib.collections import LineCollection, PathCollection, PolyCollection
        from matplotlib.markers import MarkerStyle
        from matplotlib.transforms import Affine2D, IdentityTransform

        def add(collection, **kw):
            collection.set(transform=kw.pop("transform", self.inches), **kw)
            self.fig.add_artist(collection)

        if self._labels:
            paths, offsets = zip(*self._labels)
            add(
                PathCollection(
                    list(paths),
                    offsets=np.array(offsets),
                    offset_transform=self.inches,
                    facecolors=LABEL_COLOUR,
                    edgecolors="none",
                    linewidths=0,
                ),
                transform=Affine2D().scale(1 / 72) + self.inches,
            )  # glyph outlines are in points
        if self._frames:
            add(LineCollection(self._frames, colors="#666666", linewidths=0.6))
        for colour, verts in self._bars.items():
            add(PolyCollection(verts, facecolors=colour, edgecolors="none"))
        for (colour, width, style, snap), segs in self._lines.items():
            add(LineCollection(segs, colors=colour, linewidths=width, linestyles=style), snap=snap or None)
        for (colour, size, marker, edge), pts in sorted(self._points.items(), key=lambda kv: kv[0][1]):
            style = MarkerStyle(marker)  # as Axes.scatter builds its markers: sizes in points²
            add(
                PathCollection(
                    [style.get_path().transformed(style.get_transform())],
                    sizes=[size],
                    offsets=np.vstack(pts),
                    offset_transform=self.inches,
                    facecolors=colour,
                    edgecolors=edge or "none",
                    linewidths=0.6 if edge else 0,
                ),
                transform=IdentityTransform(),
                zorder=3 + size / 100,
            )
        return self.fig


class Pixels(Artist):
    """Pixels of a figure rendered at FIGURE_DPI, put back as they are (no resampling): the shared background
    of a school-report chart."""

    zorder = -1  # under everything drawn on it

    def __init__(self, rgba: np.ndarray):
        super().__init__()
        self.rgba = rgba

    def draw(self, renderer):
        gc = renderer.new_gc()
        renderer.draw_image(gc, 0, 0, self.rgba[::-1])  # renderers take rows bottom-up
        gc.restore()


class RowsSideBySide(SmallMultiples):
    """Two panels side by side sharing one row per paper (school_gap_chart): the paper names left of the
    first panel, 0.2 inch per row."""

    LABELS, GAP, RIGHT_EDGE, TOP_EDGE, BOTTOM_EDGE = 1.1, 0.15, 0.12, 0.5, 0.3

    def __init__(self, panel_titles: list[str], title: str, n_rows: int, width: float = 7.2):
        super().__init__(panel_titles, title, ncols=2, cell_height=0.2 * max(n_rows, 4) + 0.48, width=width)

    def rect(self, i: int) -> tuple[float, float, float, float]:
        w = (self.width - self.LABELS - self.GAP - self.RIGHT_EDGE) / 2
        x0 = self.LABELS + i * (w + self.GAP)
        return x0, self.BOTTOM_EDGE, x0 + w, self.height - self.TOP_EDGE


def panels_of(df: pd.DataFrame) -> tuple[list, dict]:
    """Panel labels in order of appearance and each panel's rows (one groupby, not a filter per panel)."""
    key = (df["panel"] if "panel" in df.columns else df["subject"]).to_numpy(dtype=object)
    labels = list(pd.unique(key))  # not dict.fromkeys(series): iterating an Arrow string column is slow
    groups = dict(iter(df.groupby(key, sort=False))) if len(df) else {}
    return labels, groups


def own_legend(others: bool, extra: list | None = None) -> list:
    handles = [
        Line2D(
            [0], [0], marker="D", color="none", markerfacecolor=HIGHLIGHT_COLOUR, markeredgecolor="black", label="本校"
        )
    ]
    if others:
        handles.append(
            Line2D(
                [0],
                [0],
                marker="o",
                color="none",
                markerfacecolor=OTHER_SCHOOLS,
                markeredgecolor="none",
                label="其他学校",
            )
        )
    return handles + (extra or [])


# ---- the school report's charts: one background for every school, the school drawn on top -----------------
# A school report's funnel and caterpillar show every school of the district (grey) and the school itself
# (red). The grey part is the same for all schools that sat the same papers (three or four paper sets in a
# district), so each process renders it once (``on_background``) and each report only draws its own marks
# on those pixels: the grey dot or bar of the school itself lies under its red mark and is covered by it.
# Cached and freshly rendered backgrounds take the same path, so a report's bytes do not depend on which
# school a worker happened to draw first.

_BACKGROUNDS: OrderedDict[tuple, tuple[np.ndarray, list]] = OrderedDict()


BACKGROUND_CACHE_SIZE = 16  # each a few MB of pixels


def frame_digest(df: pd.DataFrame) -> str:
    """A content hash of a frame (column names and values, not the index): part of a background's key."""
    h = hashlib.sha256("\x1f".join(map(str, df.columns)).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


def on_background(key: tuple, draw_background, title: str, **layout) -> tuple[SmallMultiples, list]:
    """A SmallMultiples showing the background that ``draw_background(sm) -> extras`` draws (rendered once per
    process and key) under ``title``; returns it with the extras (per panel: limits, positions...)."""
    entry = _BACKGROUNDS.get(key)
    if entry is None:
        sm = SmallMultiples(title=None, **layout)
        extras = draw_background(sm)
        entry = _BACKGROUNDS[key] = (figure_pixels(sm.finish()).copy(), extras)
        while len(_BACKGROUNDS) > BACKGROUND_CACHE_SIZE:
            _BACKGROUNDS.popitem(last=False)
    else:
        _BACKGROUNDS.move_to_end(key)
    pixels, extras = entry
    return SmallMultiples(title=title, background=pixels, **layout), extras
