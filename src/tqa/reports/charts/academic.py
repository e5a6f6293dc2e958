"""Charts for the reports (matplotlib figures; the caller displays and closes them).

Readable from 5 to 300 schools: up to ``LABELLED_MAX`` schools each gets a labelled row; beyond
that the schools become sorted bars without names (the tables carry the names), coloured by category.
Every school mean is drawn with its 95 % confidence interval, so a reader does not take a gap that
the data cannot support for a real difference.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.path import Path
from matplotlib.text import Text

from tqa.reports.display import FIGURE_DPI, figure_pixels
from tqa.schema import GRADE_LABELS
from tqa.measures.intervals import mean_ci, wilson_ci

LABELLED_MAX = 45
CATEGORY_COLOURS = {"城区": "#3b6ea5", "乡镇": "#e0a030", "农村": "#5a9e5a"}
OTHER_COLOUR = "#999999"
DISTRICT_COLOUR = "#b22222"
HIGHLIGHT_COLOUR = "#d62728"
SCHOOL_COLOUR, DISTRICT_COLOUR_CMP = "#d62728", "#7f7f7f"


def school_means_chart(schools: pd.DataFrame, district_mean: float, title: str,
                       highlight: str | None = None) -> Figure:
    """School means (with 95 % CI) sorted, against the district mean; one grade and subject.

    ``schools`` has unit_code, unit_name, category, mean, sd, tested_n, full_marks.
    """
    df = schools.dropna(subset=["mean"]).sort_values(["mean", "unit_code"], ascending=[True, True])
    lo, hi = mean_ci(df["mean"], df["sd"], df["tested_n"])
    colours = [HIGHLIGHT_COLOUR if c == highlight else CATEGORY_COLOURS.get(cat, OTHER_COLOUR)
               for c, cat in zip(df["unit_code"], df["category"])]
    n = len(df)
    full = float(df["full_marks"].iloc[0]) if n else 100.0
    if n <= LABELLED_MAX:
        fig = Figure(figsize=(7.2, 1.2 + 0.24 * max(n, 3)))
        ax = fig.subplots()
        y = np.arange(n)
        ax.hlines(y, lo, hi, colors=colours, linewidth=2, alpha=0.55)
        ax.scatter(df["mean"], y, c=colours, s=22, zorder=3)
        ax.set_yticks(y, [f"{c} {nm}" for c, nm in zip(df["unit_code"], df["unit_name"])], fontsize=7.5)
        ax.axvline(district_mean, color=DISTRICT_COLOUR, linestyle="--", linewidth=1)
        ax.set_xlabel(f"平均分（满分 {full:g}），横线为 95% 置信区间")
        ax.set_ylim(-0.7, n - 0.3)
    else:
        fig = Figure(figsize=(7.2, 3.4))
        ax = fig.subplots()
        x = np.arange(n)
        ax.vlines(x, lo, hi, colors=colours, linewidth=1, alpha=0.5)
        ax.scatter(x, df["mean"], c=colours, s=8, zorder=3)
        ax.axhline(district_mean, color=DISTRICT_COLOUR, linestyle="--", linewidth=1)
        ax.set_xticks([])
        ax.set_xlabel(f"{n} 所学校，按平均分从低到高排列（竖线为 95% 置信区间）")
        ax.set_ylabel(f"平均分（满分 {full:g}）")
    handles = [Patch(color=col, label=cat) for cat, col in CATEGORY_COLOURS.items()
               if cat in set(df["category"])]
    handles.append(Line2D([0], [0], color=DISTRICT_COLOUR, linestyle="--", label=f"全区平均 {district_mean:.1f}"))
    if highlight is not None and highlight in set(df["unit_code"]):
        handles.append(Patch(color=HIGHLIGHT_COLOUR, label="本校"))
    ax.legend(handles=handles, fontsize=7.5, loc="lower right", frameon=False)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x" if n <= LABELLED_MAX else "y", alpha=0.3)
    fig.tight_layout()
    return fig


GAP_ABOVE, GAP_BELOW, GAP_NONE = "#2b6cb0", "#c53030", "#9e9e9e"


# ---- methodology charts: small multiples, readable for 300 schools ----------------------------------
# One panel per subject (district report, one figure per grade) or, when the rows carry a ``panel`` column
# (school_tables.funnel_panels & co.), one panel per label: the school report puts every grade x subject it
# sat (up to 42) into one figure, 300 times. A matplotlib Axes costs ~25 ms to create and as much again to
# draw its ticks, so the panels are not Axes: ``SmallMultiples`` lays them out in one hidden Axes measured
# in inches and draws frames, a few nice ticks and the data as a handful of batched collections.

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


def _tick_text(v: float) -> str:
    return f"{v:g}".replace("-", "\u2212")


def _span(values, pad: float = 0.06, floor: float | None = None, ceil: float | None = None) -> tuple[float, float]:
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


def _label_path(s: str, size: float, ha: str, va: str) -> Path:
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

    def __init__(self, labels: list[str], title: str | None, ncols: int = 3, cell_height: float = 1.6,
                 xlabel: str | None = None, legend: list | None = None, width: float = 7.2,
                 background: np.ndarray | None = None):
        """Many panels (a 九年一贯制 school sits up to 42 papers) first get more columns (up to MAX_COLS), then
        lower cells, so that the figure is at most MAX_HEIGHT inches tall.

        ``background``: the pixels of a figure with the same layout, rendered at FIGURE_DPI (``_on_background``);
        it is shown as is and only what is queued now is drawn on top (its legend and caption are in it)."""
        self.labels = list(labels)
        n = max(len(self.labels), 1)
        self.header = 0.34 + (0.24 if legend else 0.0)
        footer = 0.3 if xlabel else 0.08
        self.ncols = max(1, min(ncols, n))
        while (self.ncols < min(self.MAX_COLS, n)
               and self.header + np.ceil(n / self.ncols) * cell_height + footer > self.MAX_HEIGHT):
            self.ncols += 1
        self.nrows = int(np.ceil(n / self.ncols))
        cell_height = min(cell_height, (self.MAX_HEIGHT - self.header - footer) / self.nrows)
        self.width = width
        self.cell_w, self.cell_h = (width - 0.3) / self.ncols, cell_height
        self.height = self.header + self.nrows * cell_height + footer
        self.fig = Figure(figsize=(width, self.height), dpi=FIGURE_DPI)
        self.inches = self.fig.dpi_scale_trans    # no Axes: creating and drawing one costs ~25 ms
        if title:
            self.fig.text(0.5, 1 - 0.1 / self.height, title, ha="center", va="top", fontsize=9.5)
        if background is not None:
            self.fig.add_artist(_Pixels(background))
        else:
            if legend:
                self.fig.legend(handles=legend, loc="upper center", ncol=len(legend), fontsize=7, frameon=False,
                                bbox_to_anchor=(0.5, 1 - 0.3 / self.height), handletextpad=0.3, columnspacing=1.2)
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
        """A panel title or tick label at (x, y) inches. Queued as a glyph outline (``_label_path``, cached
        across figures) and drawn with all the others as one PathCollection: a Text costs ~0.7 ms to draw,
        and a figure of 42 panels has some 300 labels."""
        if s:
            self._labels.append((_label_path(s, size, ha, va), (x, y)))

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

    def panel(self, i: int, xlim: tuple[float, float], ylim: tuple[float, float], xticks=None, xticklabels=None,
              yticks=None, yticklabels=None, tick_size: float = 6, xgrid: bool = False):
        """Frame, title and ticks of panel i (x and y: nice_ticks unless given, labels optional; ``xgrid``:
        a light vertical line at each x tick); returns ``to(x, y)`` mapping data of this panel to inches."""
        x0, y0, x1, y1 = self.rect(i)
        (a, b), (c, d) = xlim, ylim
        to = self.mapper(i, xlim, ylim)
        self._frames += [[(x0, y1), (x0, y0), (x1, y0)]]
        self.label((x0 + x1) / 2, y1 + 0.05, self.labels[i], 7.5, va="baseline")
        ticks = nice_ticks(c, d) if yticks is None else yticks
        labels = [_tick_text(v) for v in ticks] if yticklabels is None else yticklabels
        for v, text in zip(ticks, labels):
            ty = to(a, v)[1]
            self._frames.append([(x0 - 0.03, ty), (x0, ty)])
            if text:
                self.label(x0 - 0.05, ty, text, tick_size, ha="right")
        ticks = nice_ticks(a, b) if xticks is None else xticks
        labels = [_tick_text(v) for v in ticks] if xticklabels is None else xticklabels
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
            np.stack([np.column_stack([xa, ya]), np.column_stack([xb, yb])], axis=1))

    def point(self, xy, colour: str, size: float = 8, marker: str = "o", edge: str | None = None) -> None:
        self._points.setdefault((colour, size, marker, edge), []).append(np.column_stack(xy))

    def bar(self, x, bottom, top, half_width, colour: str) -> None:
        for a, b, c in zip(np.atleast_1d(x), np.atleast_1d(bottom), np.atleast_1d(top)):
            self._bars.setdefault(colour, []).append([(a - half_width, b), (a - half_width, c), (a + half_width, c),
                                                      (a + half_width, b)])

    def finish(self) -> Figure:
        from matplotlib.collections import LineCollection, PathCollection, PolyCollection
        from matplotlib.markers import MarkerStyle
        from matplotlib.transforms import Affine2D, IdentityTransform

        def add(collection, **kw):
            collection.set(transform=kw.pop("transform", self.inches), **kw)
            self.fig.add_artist(collection)

        if self._labels:
            paths, offsets = zip(*self._labels)
            add(PathCollection(list(paths), offsets=np.array(offsets), offset_transform=self.inches,
                               facecolors=LABEL_COLOUR, edgecolors="none", linewidths=0),
                transform=Affine2D().scale(1 / 72) + self.inches)  # glyph outlines are in points
        if self._frames:
            add(LineCollection(self._frames, colors="#666666", linewidths=0.6))
        for colour, verts in self._bars.items():
            add(PolyCollection(verts, facecolors=colour, edgecolors="none"))
        for (colour, width, style, snap), segs in self._lines.items():
            add(LineCollection(segs, colors=colour, linewidths=width, linestyles=style), snap=snap or None)
        for (colour, size, marker, edge), pts in sorted(self._points.items(), key=lambda kv: kv[0][1]):
            style = MarkerStyle(marker)  # as Axes.scatter builds its markers: sizes in points²
            add(PathCollection([style.get_path().transformed(style.get_transform())], sizes=[size],
                               offsets=np.vstack(pts), offset_transform=self.inches, facecolors=colour,
                               edgecolors=edge or "none", linewidths=0.6 if edge else 0),
                transform=IdentityTransform(), zorder=3 + size / 100)
        return self.fig


class _Pixels(Artist):
    """Pixels of a figure rendered at FIGURE_DPI, put back as they are (no resampling): the shared background
    of a school-report chart."""
    zorder = -1   # under everything drawn on it

    def __init__(self, rgba: np.ndarray):
        super().__init__()
        self.rgba = rgba

    def draw(self, renderer):
        gc = renderer.new_gc()
        renderer.draw_image(gc, 0, 0, self.rgba[::-1])  # renderers take rows bottom-up
        gc.restore()


def school_gap_chart(cmp: pd.DataFrame, title: str) -> Figure:
    """Every paper the school sat, in one figure: the school minus the district, with 95 % intervals.

    Left: mean as a share of full marks (score-graded papers); right: pass rate (all papers).
    ``cmp`` is school_tables.comparisons chart rows (levels school / category / district). A dot whose interval
    clears zero is coloured; one whose interval contains zero is grey: no difference shown.
    """
    school = cmp[cmp["level"] == "school"].reset_index(drop=True)
    district = (cmp[cmp["level"] == "district"].set_index(["grade", "subject"])
                .reindex(pd.MultiIndex.from_frame(school[["grade", "subject"]])).reset_index(drop=True))
    labels = [f"{g}年级{s}" if isinstance(g, str) else f"{GRADE_LABELS.get(int(g), g)}{s}"
              for g, s in zip(school["grade"], school["subject"])]
    full = school["full_marks"].astype(float)
    lo, hi = mean_ci(school["mean"].astype(float), school["sd"].astype(float), school["tested_n"])
    mean_gap = (school["mean"] - district["mean"]) / full * 100
    mean_lo, mean_hi = (lo - district["mean"]) / full * 100, (hi - district["mean"]) / full * 100
    p_lo, p_hi = wilson_ci(school["pass_n"].astype(float), school["tested_n"].astype(float))
    pass_gap = (school["pass_rate"] - district["pass_rate"]) * 100
    pass_lo, pass_hi = (p_lo - district["pass_rate"]) * 100, (p_hi - district["pass_rate"]) * 100
    n = len(school)
    sm = _RowsSideBySide(["平均分与全区之差（占满分 %）", "及格率与全区之差（百分点）"], title, n)
    y = np.arange(n, dtype="float64")[::-1]
    for i, (gap, glo, ghi) in enumerate(((mean_gap, mean_lo, mean_hi), (pass_gap, pass_lo, pass_hi))):
        gap, glo, ghi = (v.to_numpy(dtype="float64") for v in (gap, glo, ghi))
        ok = ~np.isnan(gap)
        xlim = _span(np.concatenate([glo[ok], ghi[ok], gap[ok], [0.0]]), pad=0.05)
        to = sm.panel(i, xlim, (-0.7, n - 0.3), xticks=nice_ticks(*xlim, n=6), yticks=y if i == 0 else [],
                      yticklabels=labels if i == 0 else [], tick_size=7, xgrid=True)
        sm.line(to([0.0, 0.0], [-0.7, n - 0.3]), "#555555", 0.8)
        colours = np.where(glo > 0, GAP_ABOVE, np.where(ghi < 0, GAP_BELOW, GAP_NONE))
        for c in dict.fromkeys(colours[ok]):
            m = ok & (colours == c)
            sm.segments(to(glo[m], y[m]), to(ghi[m], y[m]), c + "99", 2.0)   # alpha 0.6
            sm.point(to(gap[m], y[m]), c, 22)
    return sm.finish()


class _RowsSideBySide(SmallMultiples):
    """Two panels side by side sharing one row per paper (school_gap_chart): the paper names left of the
    first panel, 0.2 inch per row."""
    LABELS, GAP, RIGHT_EDGE, TOP_EDGE, BOTTOM_EDGE = 1.1, 0.15, 0.12, 0.5, 0.3

    def __init__(self, panel_titles: list[str], title: str, n_rows: int, width: float = 7.2):
        super().__init__(panel_titles, title, ncols=2, cell_height=0.2 * max(n_rows, 4) + 0.48, width=width)

    def rect(self, i: int) -> tuple[float, float, float, float]:
        w = (self.width - self.LABELS - self.GAP - self.RIGHT_EDGE) / 2
        x0 = self.LABELS + i * (w + self.GAP)
        return x0, self.BOTTOM_EDGE, x0 + w, self.height - self.TOP_EDGE


def _panels(df: pd.DataFrame) -> tuple[list, dict]:
    """Panel labels in order of appearance and each panel's rows (one groupby, not a filter per panel)."""
    key = (df["panel"] if "panel" in df.columns else df["subject"]).to_numpy(dtype=object)
    labels = list(pd.unique(key))   # not dict.fromkeys(series): iterating an Arrow string column is slow
    groups = dict(iter(df.groupby(key, sort=False))) if len(df) else {}
    return labels, groups


def _own_legend(others: bool, extra: list | None = None) -> list:
    handles = [Line2D([0], [0], marker="D", color="none", markerfacecolor=HIGHLIGHT_COLOUR, markeredgecolor="black",
                      label="本校")]
    if others:
        handles.append(Line2D([0], [0], marker="o", color="none", markerfacecolor=OTHER_SCHOOLS,
                              markeredgecolor="none", label="其他学校"))
    return handles + (extra or [])


# ---- the school report's charts: one background for every school, the school drawn on top -----------------
# A school report's funnel and caterpillar show every school of the district (grey) and the school itself
# (red). The grey part is the same for all schools that sat the same papers (three or four paper sets in a
# district), so each process renders it once (``_on_background``) and each report only draws its own marks
# on those pixels: the grey dot or bar of the school itself lies under its red mark and is covered by it.
# Cached and freshly rendered backgrounds take the same path, so a report's bytes do not depend on which
# school a worker happened to draw first.

_BACKGROUNDS: OrderedDict[tuple, tuple[np.ndarray, list]] = OrderedDict()
BACKGROUND_CACHE_SIZE = 16   # each a few MB of pixels


def _digest(df: pd.DataFrame) -> str:
    """A content hash of a frame (column names and values, not the index): part of a background's key."""
    h = hashlib.sha256("\x1f".join(map(str, df.columns)).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _on_background(key: tuple, draw_background, title: str, **layout) -> tuple[SmallMultiples, list]:
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


FUNNEL_XLABEL = "实考人数（横轴） · 比率 %（纵轴）"
FUNNEL_LIMITS = (("inner_lo", "#888888", "--"), ("inner_hi", "#888888", "--"),
                 ("outer_lo", "#444444", "-"), ("outer_hi", "#444444", "-"))


def _funnel_panels(sm: SmallMultiples, panels: list, by_panel: dict, curves_by_panel: dict,
                   empty: pd.DataFrame, points) -> list:
    """Frames, control limits and district line of each panel; ``points(to, rows, n, value)`` draws the
    schools. Returns each panel's (xlim, ylim)."""
    limits = []
    for i, panel in enumerate(panels):
        pt, cv = by_panel[panel], curves_by_panel.get(panel, empty).sort_values("n")
        n, value = pt["n"].to_numpy(dtype="float64"), pt["value"].to_numpy(dtype="float64") * 100
        cn = cv["n"].to_numpy(dtype="float64")
        lims = {c: cv[c].to_numpy(dtype="float64") * 100 for c, _, _ in FUNNEL_LIMITS}
        n_max = max(n.max() if len(n) else 0.0, cn.max() if len(cn) else 0.0, 1.0) * 1.04
        xlim, ylim = (0.0, n_max), _span(np.concatenate([value, *lims.values()]), floor=-2, ceil=102)
        to = sm.panel(i, xlim, ylim)
        for col, colour, style in FUNNEL_LIMITS:
            if len(cn):
                sm.line(to(cn, lims[col]), colour, 0.7, style)
        if len(cv):
            p = float(cv["p"].iloc[0]) * 100
            sm.line(to([0.0, n_max], [p, p]), DISTRICT_COLOUR, 0.8)
        points(to, pt, n, value)
        limits.append((xlim, ylim))
    return limits


def funnel_chart(points: pd.DataFrame, curves: pd.DataFrame, title: str, highlight: str | None = None,
                 ncols: int = 3, cell_height: float = 1.5) -> Figure:
    """Funnel plots (Spiegelhalter 2005), one panel per subject (or per ``panel`` label): each school's
    rate (%) against its number tested, with the district rate (red line) and its 95 % (dashed) and 99.8 %
    (solid) control limits. ``highlight``: that school is a large red diamond and every other school a small
    grey dot (the school report: where this school stands, not which school is which); otherwise schools
    are coloured by category."""
    panels, by_panel = _panels(points)
    _, curves_by_panel = _panels(curves)
    empty = curves.iloc[0:0]
    limits = [Line2D([0], [0], color=DISTRICT_COLOUR, linewidth=0.8, label="全区"),
              Line2D([0], [0], color="#888888", linestyle="--", linewidth=0.7, label="95% 控制限"),
              Line2D([0], [0], color="#444444", linewidth=0.7, label="99.8% 控制限")]
    if highlight is None:
        cats = [c for c in CATEGORY_COLOURS if c in set(points["category"])]
        legend = [Line2D([0], [0], marker="o", color="none", markerfacecolor=CATEGORY_COLOURS[c],
                         markeredgecolor="none", label=c) for c in cats] + limits
        sm = SmallMultiples(panels, title, ncols, cell_height, xlabel=FUNNEL_XLABEL, legend=legend)

        def by_category(to, pt, n, value):
            cat = pt["category"].to_numpy()
            for c in dict.fromkeys(cat):
                sm.point(to(n[cat == c], value[cat == c]), CATEGORY_COLOURS.get(c, OTHER_COLOUR), 10)

        _funnel_panels(sm, panels, by_panel, curves_by_panel, empty, by_category)
        return sm.finish()

    # The school report: the other schools (internal edition only) are part of the shared background.
    others = bool((points["unit_code"] != highlight).any())
    layout = dict(labels=panels, ncols=ncols, cell_height=cell_height, xlabel=FUNNEL_XLABEL,
                  legend=_own_legend(others, limits))
    # The points set the axes even when only the school's own point is shown (public edition): always in the key.
    shown = points[["panel", "n", "value"]] if "panel" in points else points[["subject", "n", "value"]]
    key = ("funnel", tuple(panels), others, _digest(shown),
           _digest(curves.drop(columns=["grade", "rate"], errors="ignore")), ncols, cell_height)

    def background(bg):
        def grey(to, pt, n, value):
            if others:
                bg.point(to(n, value), OTHER_SCHOOLS, 6)
        return _funnel_panels(bg, panels, by_panel, curves_by_panel, empty, grey)

    sm, panel_limits = _on_background(key, background, title, **layout)
    for i, panel in enumerate(panels):
        pt = by_panel[panel]
        own = (pt["unit_code"] == highlight).to_numpy()
        to = sm.mapper(i, *panel_limits[i])
        sm.point(to(pt["n"].to_numpy(dtype="float64")[own], pt["value"].to_numpy(dtype="float64")[own] * 100),
                 HIGHLIGHT_COLOUR, 30, "D", "black")
    return sm.finish()


CATERPILLAR_XLABEL = "各校按增值从低到高排列（竖线为 95% 区间） · 纵轴：学校效应（标准分）"


def _caterpillar_panels(sm: SmallMultiples, panels: list, by_panel: dict, colours) -> list:
    """Frames and zero line of each panel, the schools sorted by effect, each an interval and a dot coloured
    by ``colours(lo, hi)``. Returns each panel's (xlim, ylim, {school_code: x})."""
    out = []
    for i, panel in enumerate(panels):
        e = by_panel[panel].sort_values(["effect", "school_code"])
        eff, lo, hi = (e[c].to_numpy(dtype="float64") for c in ("effect", "lo", "hi"))
        x = np.arange(len(e), dtype="float64")
        xlim, ylim = (-1.0, float(len(e))), _span(np.concatenate([lo, hi, [0.0]]))
        to = sm.panel(i, xlim, ylim, xticks=[])
        sm.line(to([-1.0, float(len(e))], [0.0, 0.0]), "#555555", 0.7)
        colour = colours(lo, hi)
        for c in dict.fromkeys(colour):
            m = colour == c
            sm.segments(to(x[m], lo[m]), to(x[m], hi[m]), c, 0.9)
            sm.point(to(x[m], eff[m]), c, 5)
        out.append((xlim, ylim, dict(zip(e["school_code"].to_numpy(dtype=object), x))))
    return out


def caterpillar_chart(effects: pd.DataFrame, title: str, highlight: str | None = None,
                      ncols: int = 3, cell_height: float = 1.4) -> Figure:
    """Value-added school effects with 95 % intervals, sorted, one panel per subject (or ``panel`` label).

    Without ``highlight`` an interval above 0 is blue, below 0 red, across 0 grey. With ``highlight`` (the
    school report) every other school is light grey and that school red, drawn on top."""
    e_all = effects[effects["effect"].notna()]
    panels, by_panel = _panels(e_all)
    if highlight is None:
        legend = [Line2D([0], [0], color=GAP_ABOVE, label="高于全区"), Line2D([0], [0], color=GAP_NONE, label="区间含 0"),
                  Line2D([0], [0], color=GAP_BELOW, label="低于全区")]
        sm = SmallMultiples(panels, title, ncols, cell_height, xlabel=CATERPILLAR_XLABEL, legend=legend)
        _caterpillar_panels(sm, panels, by_panel,
                            lambda lo, hi: np.where(lo > 0, GAP_ABOVE, np.where(hi < 0, GAP_BELOW, GAP_NONE)))
        return sm.finish()

    layout = dict(labels=panels, ncols=ncols, cell_height=cell_height, xlabel=CATERPILLAR_XLABEL,
                  legend=_own_legend(True))
    key = ("caterpillar", tuple(panels),
           _digest(e_all[["panel" if "panel" in e_all else "subject", "school_code", "effect", "lo", "hi"]]),
           ncols, cell_height)
    sm, panel_layout = _on_background(
        key, lambda bg: _caterpillar_panels(bg, panels, by_panel, lambda lo, hi: np.full(len(lo), OTHER_SCHOOLS)),
        title, **layout)
    for i, panel in enumerate(panels):
        xlim, ylim, position = panel_layout[i]
        own = by_panel[panel]
        own = own[own["school_code"] == highlight]
        if own.empty:
            continue
        to = sm.mapper(i, xlim, ylim)
        x = np.full(len(own), position[highlight])
        eff, lo, hi = (own[c].to_numpy(dtype="float64") for c in ("effect", "lo", "hi"))
        sm.segments(to(x, lo), to(x, hi), HIGHLIGHT_COLOUR, 2.0)
        sm.point(to(x, eff), HIGHLIGHT_COLOUR, 30, "D", "black")
    return sm.finish()


def score_band_chart(bands: pd.DataFrame, title: str, ncols: int = 3, cell_height: float = 1.3) -> Figure:
    """分数段 bars (share of students per band of score / full marks), one panel per subject (or ``panel``
    label): the district in grey and, when a school's rows are present, the school in red beside it."""
    panels, by_panel = _panels(bands)
    has_school = bool((bands["level"] == "school").any())
    legend = [Patch(color=SCHOOL_COLOUR, label="本校")] if has_school else []
    legend.append(Patch(color=DISTRICT_COLOUR_CMP, label="全区"))
    ticks = bands.drop_duplicates("band_no").sort_values("band_no")
    n_bands = len(ticks)
    sm = SmallMultiples(panels, title, ncols, cell_height, xlabel="得分占满分的百分比（分段下限） · 纵轴：学生占比 %",
                        legend=legend)
    for i, panel in enumerate(panels):
        b = by_panel[panel]
        bottom_row = i + sm.ncols >= len(panels)  # tick labels under the lowest panel of each column
        labels = [_tick_text(round(v * 100)) if bottom_row and k % 2 == 0 else ""
                  for k, v in enumerate(ticks["lower"])]
        share = b["share"].to_numpy(dtype="float64") * 100
        to = sm.panel(i, (-0.6, n_bands - 0.4), (0.0, max(share.max() * 1.08 if len(share) else 0.0, 1.0)),
                      xticks=list(ticks["band_no"]), xticklabels=labels)
        shift = 0.2 if has_school else 0.0  # school and district side by side, or the district alone
        half = (to(0.2 if has_school else 0.35, 0.0)[0] - to(0.0, 0.0)[0]) * 0.95
        level = b["level"].to_numpy()
        for lv, colour, offset in (("district", DISTRICT_COLOUR_CMP, shift), ("school", SCHOOL_COLOUR, -shift)):
            m = level == lv
            if m.any():
                x = b["band_no"].to_numpy(dtype="float64")[m] + offset
                (bx, top), (_, base) = to(x, share[m]), to(x, 0.0)
                sm.bar(bx, base, top, half, colour)
    return sm.finish()


def trend_chart(trend: pd.DataFrame, title: str, value: str = "pass_rate") -> Figure:
    """Rates over the terms on disk, one line per paper (district rows, or one school's rows)."""
    fig = Figure(figsize=(7.2, 3.0))
    ax = fig.subplots()
    terms = sorted(trend["term"].unique())
    for (grade, subject), rows in trend.groupby(["grade", "subject"], sort=True):
        rows = rows.set_index("term").reindex(terms)
        ax.plot(range(len(terms)), rows[value] * 100, marker="o", markersize=3, linewidth=1,
                label=f"{GRADE_LABELS.get(int(grade), grade)}{subject}")
    ax.set_xticks(range(len(terms)), terms)
    ax.set_ylabel("%")
    ax.grid(alpha=0.3)
    if trend[["grade", "subject"]].drop_duplicates().shape[0] <= 12:
        ax.legend(fontsize=6.5, frameon=False, ncol=3)
    ax.set_title(title, fontsize=9.5)
    fig.tight_layout()
    return fig


DASHBOARD_COLOURS = {"Blue": "#2166ac", "Green": "#4dac26", "Yellow": "#fee08b", "Orange": "#f4a582", "Red": "#d6604d"}


def change_grid_chart(counts: pd.DataFrame, grid: list[list[str]], status_labels, change_labels,
                      title: str) -> Figure:
    """The status x change grid (California School Dashboard manner): each cell in its colour, with the
    number of school x paper results that fall in it."""
    fig = Figure(figsize=(6.0, 3.4))
    ax = fig.subplots()
    values = counts.set_index(counts.columns[0]).reindex(index=list(status_labels), columns=list(change_labels))
    for i, status in enumerate(status_labels):
        for j, change in enumerate(change_labels):
            colour = DASHBOARD_COLOURS.get(grid[i][j], "#dddddd")
            ax.add_patch(Rectangle(
                (j, len(status_labels) - 1 - i), 1, 1, facecolor=colour, edgecolor="white", linewidth=2))
            v = values.loc[status, change]
            ax.text(j + 0.5, len(status_labels) - 0.5 - i, f"{int(v) if pd.notna(v) else 0}", ha="center",
                    va="center", fontsize=9, color="black")
    ax.set_xlim(0, len(change_labels))
    ax.set_ylim(0, len(status_labels))
    ax.set_xticks(np.arange(len(change_labels)) + 0.5, list(change_labels), fontsize=8)
    ax.set_yticks(np.arange(len(status_labels)) + 0.5, list(status_labels)[::-1], fontsize=8)
    ax.set_xlabel("与上学期相比的变化（及格率）", fontsize=8)
    ax.set_ylabel("本学期现状（及格率）", fontsize=8)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title, fontsize=9.5)
    fig.tight_layout()
    return fig
