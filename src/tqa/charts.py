"""Charts for the reports (matplotlib figures; the caller displays and closes them).

Readable from 5 to 300 schools: up to ``LABELLED_MAX`` schools each gets a labelled row; beyond
that the schools become sorted bars without names (the tables carry the names), coloured by category.
Every school mean is drawn with its 95 % confidence interval, so a reader does not take a gap that
the data cannot support for a real difference.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.path import Path
from matplotlib.text import Text

from .schema import GRADE_LABELS
from .uncertainty import mean_ci, wilson_ci

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


def school_gap_chart(cmp: pd.DataFrame, title: str) -> Figure:
    """Every paper the school sat, in one figure: the school minus the district, with 95 % intervals.

    Left: mean as a share of full marks (score-graded papers); right: pass rate (all papers).
    ``cmp`` is reporting.school_comparison output (levels school / district). A dot whose interval
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
    fig = Figure(figsize=(7.2, 0.9 + 0.2 * max(n, 4)))
    axes = fig.subplots(1, 2, sharey=True)
    y = np.arange(n)[::-1]
    for ax, gap, glo, ghi, name in ((axes[0], mean_gap, mean_lo, mean_hi, "平均分与全区之差（占满分 %）"),
                                    (axes[1], pass_gap, pass_lo, pass_hi, "及格率与全区之差（百分点）")):
        above, below = glo > 0, ghi < 0
        colours = np.where(above, GAP_ABOVE, np.where(below, GAP_BELOW, GAP_NONE))
        ok = gap.notna().to_numpy()
        ax.hlines(y[ok], glo[ok], ghi[ok], colors=colours[ok], linewidth=2, alpha=0.6)
        ax.scatter(gap[ok], y[ok], c=colours[ok], s=14, zorder=3)
        ax.axvline(0, color="#555555", linewidth=0.8)
        ax.set_title(name, fontsize=8.5)
        ax.tick_params(labelsize=7.5)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, labels)
    axes[0].set_ylim(-0.7, n - 0.3)
    fig.suptitle(title, fontsize=9.5)
    fig.subplots_adjust(left=0.16, right=0.98, top=1 - 0.55 / fig.get_figheight(),
                        bottom=0.35 / fig.get_figheight(), wspace=0.08)
    return fig


GAP_ABOVE, GAP_BELOW, GAP_NONE = "#2b6cb0", "#c53030", "#9e9e9e"


# ---- methodology charts: small multiples, readable for 300 schools ----------------------------------
# One panel per subject (district report, one figure per grade) or, when the rows carry a ``panel`` column
# (reporting.school_funnel & co.), one panel per label: the school report puts every grade x subject it
# sat (up to 42) into one figure, 300 times. A matplotlib Axes costs ~25 ms to create and as much again to
# draw its ticks, so the panels are not Axes: ``SmallMultiples`` lays them out in one hidden Axes measured
# in inches and draws frames, a few nice ticks and the data as a handful of batched collections.

OTHER_SCHOOLS = "#c4c4c4"


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

    def __init__(self, labels: list[str], title: str, ncols: int = 3, cell_height: float = 1.6,
                 xlabel: str | None = None, legend: list | None = None, width: float = 7.2):
        """Many panels (a 九年一贯制 school sits up to 42 papers) first get more columns (up to MAX_COLS), then
        lower cells, so that the figure is at most MAX_HEIGHT inches tall."""
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
        self.cell_w, self.cell_h = (width - 0.3) / self.ncols, cell_height
        self.height = self.header + self.nrows * cell_height + footer
        self.fig = Figure(figsize=(width, self.height))
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(0, self.height)
        self.ax.set_axis_off()
        self.fig.text(0.5, 1 - 0.1 / self.height, title, ha="center", va="top", fontsize=9.5)
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
        self.fig.add_artist(Text(x, y, s, transform=self.ax.transData, **kw))

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

    def panel(self, i: int, xlim: tuple[float, float], ylim: tuple[float, float], xticks=None, xticklabels=None):
        """Frame, title and ticks of panel i (y: nice_ticks; x: nice_ticks unless given, labels optional);
        returns ``to(x, y)`` mapping data of this panel to inches."""
        x0, y0, x1, y1 = self.rect(i)
        (a, b), (c, d) = xlim, ylim
        sx, sy = (x1 - x0) / ((b - a) or 1.0), (y1 - y0) / ((d - c) or 1.0)

        def to(x, y):
            x, y = np.broadcast_arrays(np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64"))
            return x0 + (x - a) * sx, y0 + (y - c) * sy

        self._frames += [[(x0, y1), (x0, y0), (x1, y0)]]
        self.label((x0 + x1) / 2, y1 + 0.05, self.labels[i], 7.5, va="baseline")
        for v in nice_ticks(c, d):
            ty = to(a, v)[1]
            self._frames.append([(x0 - 0.03, ty), (x0, ty)])
            self.label(x0 - 0.05, ty, _tick_text(v), 6, ha="right")
        ticks = nice_ticks(a, b) if xticks is None else xticks
        labels = [_tick_text(v) for v in ticks] if xticklabels is None else xticklabels
        for v, text in zip(ticks, labels):
            tx = to(v, c)[0]
            self._frames.append([(tx, y0), (tx, y0 - 0.03)])
            if text:
                self.label(tx, y0 - 0.05, text, 6, va="top")
        return to

    def line(self, xy, colour: str, width: float = 0.8, style: str = "-") -> None:
        self._lines.setdefault((colour, width, style), []).append(np.column_stack(xy))

    def segments(self, start, end, colour: str, width: float = 0.8) -> None:
        """Straight segments from start[k] to end[k] (x arrays, y arrays)."""
        (xa, ya), (xb, yb) = start, end
        self._lines.setdefault((colour, width, "-"), []).extend(
            np.stack([np.column_stack([xa, ya]), np.column_stack([xb, yb])], axis=1))

    def point(self, xy, colour: str, size: float = 8, marker: str = "o", edge: str | None = None) -> None:
        self._points.setdefault((colour, size, marker, edge), []).append(np.column_stack(xy))

    def bar(self, x, bottom, top, half_width, colour: str) -> None:
        for a, b, c in zip(np.atleast_1d(x), np.atleast_1d(bottom), np.atleast_1d(top)):
            self._bars.setdefault(colour, []).append([(a - half_width, b), (a - half_width, c), (a + half_width, c),
                                                      (a + half_width, b)])

    def finish(self) -> Figure:
        from matplotlib.collections import LineCollection, PathCollection, PolyCollection
        from matplotlib.transforms import Affine2D

        if self._labels:
            paths, offsets = zip(*self._labels)
            glyphs = PathCollection(list(paths), offsets=np.array(offsets), offset_transform=self.ax.transData,
                                    facecolors=LABEL_COLOUR, edgecolors="none", linewidths=0)
            glyphs.set_transform(Affine2D().scale(1 / 72) + self.fig.dpi_scale_trans)  # points -> pixels
            self.ax.add_collection(glyphs, autolim=False)

        self.ax.add_collection(LineCollection(self._frames, colors="#666666", linewidths=0.6))
        for colour, verts in self._bars.items():
            self.ax.add_collection(PolyCollection(verts, facecolors=colour, edgecolors="none"))
        for (colour, width, style), segs in self._lines.items():
            self.ax.add_collection(LineCollection(segs, colors=colour, linewidths=width, linestyles=style))
        for (colour, size, marker, edge), pts in sorted(self._points.items(), key=lambda kv: kv[0][1]):
            xy = np.vstack(pts)
            self.ax.scatter(xy[:, 0], xy[:, 1], s=size, c=colour, marker=marker, linewidths=0.6 if edge else 0,
                            edgecolors=edge or "none", zorder=3 + size / 100)
        return self.fig


def _panels(df: pd.DataFrame) -> tuple[list, dict]:
    """Panel labels in order of appearance and each panel's rows (one groupby, not a filter per panel)."""
    key = df["panel"] if "panel" in df.columns else df["subject"]
    labels = list(dict.fromkeys(key))
    groups = dict(iter(df.groupby(key.to_numpy(), sort=False))) if len(df) else {}
    return labels, groups


def _own_legend(others: bool, extra: list | None = None) -> list:
    handles = [Line2D([0], [0], marker="D", color="none", markerfacecolor=HIGHLIGHT_COLOUR, markeredgecolor="black",
                      label="本校")]
    if others:
        handles.append(Line2D([0], [0], marker="o", color="none", markerfacecolor=OTHER_SCHOOLS,
                              markeredgecolor="none", label="其他学校"))
    return handles + (extra or [])


def funnel_chart(points: pd.DataFrame, curves: pd.DataFrame, title: str, highlight: str | None = None,
                 ncols: int = 3, cell_height: float = 1.5) -> Figure:
    """Funnel plots (Spiegelhalter 2005), one panel per subject (or per ``panel`` label): each school's
    rate (%) against its number tested, with the district rate (red line) and its 95 % (dashed) and 99.8 %
    (solid) control limits. ``highlight``: that school is a large red diamond and every other school a small
    grey dot (the school report: where this school stands, not which school is which); otherwise schools
    are coloured by category."""
    panels, by_panel = _panels(points)
    _, curves_by_panel = _panels(curves)
    limits = [Line2D([0], [0], color=DISTRICT_COLOUR, linewidth=0.8, label="全区"),
              Line2D([0], [0], color="#888888", linestyle="--", linewidth=0.7, label="95% 控制限"),
              Line2D([0], [0], color="#444444", linewidth=0.7, label="99.8% 控制限")]
    if highlight is None:
        cats = [c for c in CATEGORY_COLOURS if c in set(points["category"])]
        legend = [Line2D([0], [0], marker="o", color="none", markerfacecolor=CATEGORY_COLOURS[c],
                         markeredgecolor="none", label=c) for c in cats] + limits
    else:
        legend = _own_legend(bool((points["unit_code"] != highlight).any()), limits)
    sm = SmallMultiples(panels, title, ncols, cell_height, xlabel="实考人数（横轴） · 比率 %（纵轴）", legend=legend)
    empty = curves.iloc[0:0]
    for i, panel in enumerate(panels):
        pt, cv = by_panel[panel], curves_by_panel.get(panel, empty).sort_values("n")
        n, value = pt["n"].to_numpy(dtype="float64"), pt["value"].to_numpy(dtype="float64") * 100
        cn = cv["n"].to_numpy(dtype="float64")
        lims = {c: cv[c].to_numpy(dtype="float64") * 100 for c in ("inner_lo", "inner_hi", "outer_lo", "outer_hi")}
        n_max = max(n.max() if len(n) else 0.0, cn.max() if len(cn) else 0.0, 1.0) * 1.04
        to = sm.panel(i, (0.0, n_max), _span(np.concatenate([value, *lims.values()]), floor=-2, ceil=102))
        for col, colour, style in (("inner_lo", "#888888", "--"), ("inner_hi", "#888888", "--"),
                                   ("outer_lo", "#444444", "-"), ("outer_hi", "#444444", "-")):
            if len(cn):
                sm.line(to(cn, lims[col]), colour, 0.7, style)
        if len(cv):
            p = float(cv["p"].iloc[0]) * 100
            sm.line(to([0.0, n_max], [p, p]), DISTRICT_COLOUR, 0.8)
        if highlight is None:
            cat = pt["category"].to_numpy()
            for c in dict.fromkeys(cat):
                sm.point(to(n[cat == c], value[cat == c]), CATEGORY_COLOURS.get(c, OTHER_COLOUR), 10)
        else:
            own = (pt["unit_code"] == highlight).to_numpy()
            sm.point(to(n[~own], value[~own]), OTHER_SCHOOLS, 6)
            sm.point(to(n[own], value[own]), HIGHLIGHT_COLOUR, 30, "D", "black")
    return sm.finish()


def caterpillar_chart(effects: pd.DataFrame, title: str, highlight: str | None = None,
                      ncols: int = 3, cell_height: float = 1.4) -> Figure:
    """Value-added school effects with 95 % intervals, sorted, one panel per subject (or ``panel`` label).

    Without ``highlight`` an interval above 0 is blue, below 0 red, across 0 grey. With ``highlight`` (the
    school report) every other school is light grey and that school red, drawn on top."""
    e_all = effects[effects["effect"].notna()]
    panels, by_panel = _panels(e_all)
    legend = (_own_legend(True) if highlight is not None else
              [Line2D([0], [0], color=GAP_ABOVE, label="高于全区"), Line2D([0], [0], color=GAP_NONE, label="区间含 0"),
               Line2D([0], [0], color=GAP_BELOW, label="低于全区")])
    sm = SmallMultiples(panels, title, ncols, cell_height,
                        xlabel="各校按增值从低到高排列（竖线为 95% 区间） · 纵轴：学校效应（标准分）", legend=legend)
    for i, panel in enumerate(panels):
        e = by_panel[panel].sort_values(["effect", "school_code"])
        eff, lo, hi = (e[c].to_numpy(dtype="float64") for c in ("effect", "lo", "hi"))
        x = np.arange(len(e), dtype="float64")
        to = sm.panel(i, (-1.0, float(len(e))), _span(np.concatenate([lo, hi, [0.0]])), xticks=[])
        sm.line(to([-1.0, float(len(e))], [0.0, 0.0]), "#555555", 0.7)
        own = (e["school_code"] == highlight).to_numpy() if highlight is not None else np.zeros(len(e), bool)
        if highlight is None:
            colour = np.where(lo > 0, GAP_ABOVE, np.where(hi < 0, GAP_BELOW, GAP_NONE))
        else:
            colour = np.where(own, HIGHLIGHT_COLOUR, OTHER_SCHOOLS)
        for c in dict.fromkeys(colour):
            m = (colour == c) & ~own
            if m.any():
                sm.segments(to(x[m], lo[m]), to(x[m], hi[m]), c, 0.9)
                sm.point(to(x[m], eff[m]), c, 5)
        if own.any():
            sm.segments(to(x[own], lo[own]), to(x[own], hi[own]), HIGHLIGHT_COLOUR, 2.0)
            sm.point(to(x[own], eff[own]), HIGHLIGHT_COLOUR, 30, "D", "black")
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
