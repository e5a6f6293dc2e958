"""The charts of the exam results (学业成绩) for the district and school reports (matplotlib figures; the caller
displays and closes them).

Readable from 5 to 300 schools: up to ``LABELLED_MAX`` schools each gets a labelled row; beyond that the
schools become sorted bars without names (the tables carry the names), coloured by category. Every interval is
drawn at the confidence level of params ``uncertainty.level`` (funnel limits at ``funnel.levels``), and its
label says which.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from tqa.core import units
from tqa.core.ordering import sort_rows
from tqa.core.vocabulary import GRADE_LABELS
from tqa.measures.academic.funnel import FUNNEL_POSITIONS
from tqa.measures.intervals import mean_ci, wilson_ci
from tqa.reports.charts.base import (
    HIGHLIGHT_COLOUR,
    OTHER_SCHOOLS,
    RowsSideBySide,
    SmallMultiples,
    frame_digest,
    nice_ticks,
    on_background,
    own_legend,
    panels_of,
    span,
    tick_text,
)
from tqa.reports.labels import percent

LABELLED_MAX = 45


CATEGORY_COLOURS = {"城区": "#3b6ea5", "乡镇": "#e0a030", "农村": "#5a9e5a"}


OTHER_COLOUR = "#999999"


DISTRICT_COLOUR = "#b22222"
SCHOOL_COLOUR, DISTRICT_COLOUR_CMP = "#d62728", "#7f7f7f"
GAP_ABOVE, GAP_BELOW, GAP_NONE = "#2b6cb0", "#c53030", "#9e9e9e"


def school_means_chart(
    schools: pd.DataFrame, district_mean: float, title: str, level: float, highlight: str | None = None
) -> Figure:
    """School means (with their confidence interval at ``level``) sorted, against the district mean; one grade
    and subject.

    ``schools`` has unit_code, unit_name, category, mean, sd, tested_n, full_marks.
    """
    df = schools.dropna(subset=["mean"]).sort_values(["mean", "unit_code"], ascending=[True, True])
    lo, hi = mean_ci(df["mean"], df["sd"], df["tested_n"], level)
    colours = [
        HIGHLIGHT_COLOUR if c == highlight else CATEGORY_COLOURS.get(cat, OTHER_COLOUR)
        for c, cat in zip(df["unit_code"], df["category"])
    ]
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
        ax.set_xlabel(f"平均分（满分 {full:g}），横线为 {percent(level)} 置信区间")
        ax.set_ylim(-0.7, n - 0.3)
    else:
        fig = Figure(figsize=(7.2, 3.4))
        ax = fig.subplots()
        x = np.arange(n)
        ax.vlines(x, lo, hi, colors=colours, linewidth=1, alpha=0.5)
        ax.scatter(x, df["mean"], c=colours, s=8, zorder=3)
        ax.axhline(district_mean, color=DISTRICT_COLOUR, linestyle="--", linewidth=1)
        ax.set_xticks([])
        ax.set_xlabel(f"{n} 所学校，按平均分从低到高排列（竖线为 {percent(level)} 置信区间）")
        ax.set_ylabel(f"平均分（满分 {full:g}）")
    handles = [Patch(color=col, label=cat) for cat, col in CATEGORY_COLOURS.items() if cat in set(df["category"])]
    handles.append(Line2D([0], [0], color=DISTRICT_COLOUR, linestyle="--", label=f"全区平均 {district_mean:.1f}"))
    if highlight is not None and highlight in set(df["unit_code"]):
        handles.append(Patch(color=HIGHLIGHT_COLOUR, label="本校"))
    ax.legend(handles=handles, fontsize=7.5, loc="lower right", frameon=False)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x" if n <= LABELLED_MAX else "y", alpha=0.3)
    fig.tight_layout()
    return fig


def school_gap_chart(cmp: pd.DataFrame, title: str, level: float) -> Figure:
    """Every paper the school sat, in one figure: the school minus the district, with intervals at ``level``.

    Left: mean as a share of full marks (score-graded papers); right: pass rate (all papers).
    ``cmp`` is school_tables.comparisons chart rows (levels school / category / district). A dot whose interval
    clears zero is coloured; one whose interval contains zero is grey: no difference shown.
    """
    school = units.rows(cmp, units.SCHOOL).reset_index(drop=True)
    district = (
        units.rows(cmp, units.DISTRICT)
        .set_index(["grade", "subject"])
        .reindex(pd.MultiIndex.from_frame(school[["grade", "subject"]]))
        .reset_index(drop=True)
    )
    labels = [
        f"{g}年级{s}" if isinstance(g, str) else f"{GRADE_LABELS.get(int(g), g)}{s}"
        for g, s in zip(school["grade"], school["subject"])
    ]
    full = school["full_marks"].astype(float)
    lo, hi = mean_ci(school["mean"].astype(float), school["sd"].astype(float), school["tested_n"], level)
    mean_gap = (school["mean"] - district["mean"]) / full * 100
    mean_lo, mean_hi = (lo - district["mean"]) / full * 100, (hi - district["mean"]) / full * 100
    p_lo, p_hi = wilson_ci(school["pass_n"].astype(float), school["tested_n"].astype(float), level)
    pass_gap = (school["pass_rate"] - district["pass_rate"]) * 100
    pass_lo, pass_hi = (p_lo - district["pass_rate"]) * 100, (p_hi - district["pass_rate"]) * 100
    n = len(school)
    sm = RowsSideBySide(["平均分与全区之差（占满分 %）", "及格率与全区之差（百分点）"], title, n)
    y = np.arange(n, dtype="float64")[::-1]
    for i, (gap, glo, ghi) in enumerate(((mean_gap, mean_lo, mean_hi), (pass_gap, pass_lo, pass_hi))):
        gap, glo, ghi = (v.to_numpy(dtype="float64") for v in (gap, glo, ghi))
        ok = ~np.isnan(gap)
        xlim = span(np.concatenate([glo[ok], ghi[ok], gap[ok], [0.0]]), pad=0.05)
        to = sm.panel(
            i,
            xlim,
            (-0.7, n - 0.3),
            xticks=nice_ticks(*xlim, n=6),
            yticks=y if i == 0 else [],
            yticklabels=labels if i == 0 else [],
            tick_size=7,
            xgrid=True,
        )
        sm.line(to([0.0, 0.0], [-0.7, n - 0.3]), "#555555", 0.8)
        colours = np.where(glo > 0, GAP_ABOVE, np.where(ghi < 0, GAP_BELOW, GAP_NONE))
        for c in dict.fromkeys(colours[ok]):
            m = ok & (colours == c)
            sm.segments(to(glo[m], y[m]), to(ghi[m], y[m]), c + "99", 2.0)  # alpha 0.6
            sm.point(to(gap[m], y[m]), c, 22)
    return sm.finish()


FUNNEL_XLABEL = "实考人数（横轴） · 比率 %（纵轴）"


FUNNEL_LIMITS = (
    ("inner_lo", "#888888", "--"),
    ("inner_hi", "#888888", "--"),
    ("outer_lo", "#444444", "-"),
    ("outer_hi", "#444444", "-"),
)


def _funnel_panels(
    sm: SmallMultiples, panels: list, by_panel: dict, curves_by_panel: dict, empty: pd.DataFrame, points
) -> list:
    """Frames, control limits and district line of each panel; ``points(to, rows, n, value)`` draws the
    schools. Returns each panel's (xlim, ylim)."""
    limits = []
    for i, panel in enumerate(panels):
        pt, cv = by_panel[panel], curves_by_panel.get(panel, empty).sort_values("n")
        n, value = pt["n"].to_numpy(dtype="float64"), pt["value"].to_numpy(dtype="float64") * 100
        cn = cv["n"].to_numpy(dtype="float64")
        lims = {c: cv[c].to_numpy(dtype="float64") * 100 for c, _, _ in FUNNEL_LIMITS}
        n_max = max(n.max() if len(n) else 0.0, cn.max() if len(cn) else 0.0, 1.0) * 1.04
        xlim, ylim = (0.0, n_max), span(np.concatenate([value, *lims.values()]), floor=-2, ceil=102)
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


OUTSIDE_OUTER = (FUNNEL_POSITIONS[0], FUNNEL_POSITIONS[-1])  # beyond the outer control limits


def funnel_chart(
    points: pd.DataFrame,
    curves: pd.DataFrame,
    title: str,
    levels: tuple[float, float],
    highlight: str | None = None,
    ncols: int = 3,
    cell_height: float = 1.5,
) -> Figure:
    """Funnel plots (Spiegelhalter 2005), one panel per subject (or per ``panel`` label): each school's
    rate (%) against its number tested, with the district rate (red line) and its inner (dashed) and outer
    (solid) control limits at ``levels`` (params funnel.levels: 95 % and 99.8 %, say). ``highlight``: that
    school is a large red diamond and every other school a small grey dot (the school report: where this
    school stands, not which school is which); otherwise schools are coloured by category."""
    panels, by_panel = panels_of(points)
    _, curves_by_panel = panels_of(curves)
    empty = curves.iloc[0:0]
    limits = [
        Line2D([0], [0], color=DISTRICT_COLOUR, linewidth=0.8, label="全区"),
        Line2D([0], [0], color="#888888", linestyle="--", linewidth=0.7, label=f"{percent(levels[0])} 控制限"),
        Line2D([0], [0], color="#444444", linewidth=0.7, label=f"{percent(levels[1])} 控制限"),
    ]
    if highlight is None:
        cats = [c for c in CATEGORY_COLOURS if c in set(points["category"])]
        legend = [
            Line2D(
                [0], [0], marker="o", color="none", markerfacecolor=CATEGORY_COLOURS[c], markeredgecolor="none", label=c
            )
            for c in cats
        ] + limits
        sm = SmallMultiples(panels, title, ncols, cell_height, xlabel=FUNNEL_XLABEL, legend=legend)

        def by_category(to, pt, n, value):
            cat = pt["category"].to_numpy()
            for c in dict.fromkeys(cat):
                sm.point(to(n[cat == c], value[cat == c]), CATEGORY_COLOURS.get(c, OTHER_COLOUR), 10)
            # Only the schools a reader must see are named: those outside the outer control limits.
            outside = pt["position"].isin(OUTSIDE_OUTER).to_numpy() if "position" in pt else np.zeros(len(pt), bool)
            xs, ys = to(n[outside], value[outside])
            for x, y, code in zip(xs, ys, pt["unit_code"].to_numpy()[outside]):
                sm.label(float(x) + 0.04, float(y), str(code), 5.0, ha="left")

        _funnel_panels(sm, panels, by_panel, curves_by_panel, empty, by_category)
        return sm.finish()

    # The school report: the other schools (internal edition only) are part of the shared background.
    others = bool((points["unit_code"] != highlight).any())
    layout = dict(
        labels=panels, ncols=ncols, cell_height=cell_height, xlabel=FUNNEL_XLABEL, legend=own_legend(others, limits)
    )
    # The points set the axes even when only the school's own point is shown (public edition): always in the key.
    shown = points[["panel", "n", "value"]] if "panel" in points else points[["subject", "n", "value"]]
    key = (
        "funnel",
        tuple(panels),
        others,
        tuple(levels),
        frame_digest(shown),
        frame_digest(curves.drop(columns=["grade", "rate"], errors="ignore")),
        ncols,
        cell_height,
    )

    def background(bg):
        def grey(to, pt, n, value):
            if others:
                bg.point(to(n, value), OTHER_SCHOOLS, 6)

        return _funnel_panels(bg, panels, by_panel, curves_by_panel, empty, grey)

    sm, panel_limits = on_background(key, background, title, **layout)
    for i, panel in enumerate(panels):
        pt = by_panel[panel]
        own = (pt["unit_code"] == highlight).to_numpy()
        to = sm.mapper(i, *panel_limits[i])
        sm.point(
            to(pt["n"].to_numpy(dtype="float64")[own], pt["value"].to_numpy(dtype="float64")[own] * 100),
            HIGHLIGHT_COLOUR,
            30,
            "D",
            "black",
        )
    return sm.finish()


def caterpillar_xlabel(level: float) -> str:
    return f"各校按增值从低到高排列（竖线为 {percent(level)} 区间） · 纵轴：学校效应（标准分）"


def _caterpillar_panels(sm: SmallMultiples, panels: list, by_panel: dict, colours) -> list:
    """Frames and zero line of each panel, the schools sorted by effect, each an interval and a dot coloured
    by ``colours(lo, hi)``. Returns each panel's (xlim, ylim, {school_code: x})."""
    out = []
    for i, panel in enumerate(panels):
        e = by_panel[panel].sort_values(["effect", "school_code"])
        eff, lo, hi = (e[c].to_numpy(dtype="float64") for c in ("effect", "lo", "hi"))
        x = np.arange(len(e), dtype="float64")
        xlim, ylim = (-1.0, float(len(e))), span(np.concatenate([lo, hi, [0.0]]))
        to = sm.panel(i, xlim, ylim, xticks=[])
        sm.line(to([-1.0, float(len(e))], [0.0, 0.0]), "#555555", 0.7)
        colour = colours(lo, hi)
        for c in dict.fromkeys(colour):
            m = colour == c
            sm.segments(to(x[m], lo[m]), to(x[m], hi[m]), c, 0.9)
            sm.point(to(x[m], eff[m]), c, 5)
        out.append((xlim, ylim, dict(zip(e["school_code"].to_numpy(dtype=object), x))))
    return out


def caterpillar_chart(
    effects: pd.DataFrame,
    title: str,
    level: float,
    highlight: str | None = None,
    ncols: int = 3,
    cell_height: float = 1.4,
) -> Figure:
    """Value-added school effects with their intervals (computed at ``level``, params uncertainty.level),
    sorted, one panel per subject (or ``panel`` label).

    Without ``highlight`` an interval above 0 is blue, below 0 red, across 0 grey. With ``highlight`` (the
    school report) every other school is light grey and that school red, drawn on top."""
    e_all = effects[effects["effect"].notna()]
    panels, by_panel = panels_of(e_all)
    if highlight is None:
        legend = [
            Line2D([0], [0], color=GAP_ABOVE, label="高于全区"),
            Line2D([0], [0], color=GAP_NONE, label="区间含 0"),
            Line2D([0], [0], color=GAP_BELOW, label="低于全区"),
        ]
        sm = SmallMultiples(panels, title, ncols, cell_height, xlabel=caterpillar_xlabel(level), legend=legend)
        _caterpillar_panels(
            sm, panels, by_panel, lambda lo, hi: np.where(lo > 0, GAP_ABOVE, np.where(hi < 0, GAP_BELOW, GAP_NONE))
        )
        return sm.finish()

    layout = dict(
        labels=panels, ncols=ncols, cell_height=cell_height, xlabel=caterpillar_xlabel(level), legend=own_legend(True)
    )
    key = (
        "caterpillar",
        tuple(panels),
        level,
        frame_digest(e_all[["panel" if "panel" in e_all else "subject", "school_code", "effect", "lo", "hi"]]),
        ncols,
        cell_height,
    )
    sm, panel_layout = on_background(
        key,
        lambda bg: _caterpillar_panels(bg, panels, by_panel, lambda lo, hi: np.full(len(lo), OTHER_SCHOOLS)),
        title,
        **layout,
    )
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
    panels, by_panel = panels_of(bands)
    has_school = bool(units.is_level(bands, units.SCHOOL).any())
    legend = [Patch(color=SCHOOL_COLOUR, label="本校")] if has_school else []
    legend.append(Patch(color=DISTRICT_COLOUR_CMP, label="全区"))
    ticks = bands.drop_duplicates("band_no").sort_values("band_no")
    n_bands = len(ticks)
    sm = SmallMultiples(
        panels, title, ncols, cell_height, xlabel="得分占满分的百分比（分段下限） · 纵轴：学生占比 %", legend=legend
    )
    for i, panel in enumerate(panels):
        b = by_panel[panel]
        bottom_row = i + sm.ncols >= len(panels)  # tick labels under the lowest panel of each column
        labels = [tick_text(round(v * 100)) if bottom_row and k % 2 == 0 else "" for k, v in enumerate(ticks["lower"])]
        share = b["share"].to_numpy(dtype="float64") * 100
        to = sm.panel(
            i,
            (-0.6, n_bands - 0.4),
            (0.0, max(share.max() * 1.08 if len(share) else 0.0, 1.0)),
            xticks=list(ticks["band_no"]),
            xticklabels=labels,
        )
        shift = 0.2 if has_school else 0.0  # school and district side by side, or the district alone
        half = (to(0.2 if has_school else 0.35, 0.0)[0] - to(0.0, 0.0)[0]) * 0.95
        level = b["level"].to_numpy()
        for lv, colour, offset in (
            (units.DISTRICT.name, DISTRICT_COLOUR_CMP, shift),
            (units.SCHOOL.name, SCHOOL_COLOUR, -shift),
        ):
            m = level == lv
            if m.any():
                x = b["band_no"].to_numpy(dtype="float64")[m] + offset
                (bx, top), (_, base) = to(x, share[m]), to(x, 0.0)
                sm.bar(bx, base, top, half, colour)
    return sm.finish()


TREND_MIN_SPAN = 20.0  # percentage points: a y-axis narrower than this makes a point or two look steep


def trend_ylim(values: pd.Series) -> tuple[float, float]:
    """A y-range (percent) holding every value and at least TREND_MIN_SPAN points wide, within 0..100."""
    v = values.dropna()
    if v.empty:
        return 0.0, 100.0
    lo, hi = float(v.min()) - 2, float(v.max()) + 2
    if hi - lo < TREND_MIN_SPAN:
        mid = (lo + hi) / 2
        lo, hi = mid - TREND_MIN_SPAN / 2, mid + TREND_MIN_SPAN / 2
    if lo < 0:
        lo, hi = 0.0, max(hi - lo, TREND_MIN_SPAN)
    if hi > 100:
        lo, hi = max(lo - (hi - 100), 0.0), 100.0
    return lo, hi


def trend_chart(trend: pd.DataFrame, title: str, value: str = "pass_rate") -> Figure:
    """Rates over the terms on disk: one panel per grade, one line per subject (so each panel has a legend that
    fits), every panel on the same y-range at least TREND_MIN_SPAN points wide."""
    terms = sorted(trend["term"].unique())
    grades = sorted(int(g) for g in trend["grade"].unique())
    ncols = min(len(grades), 3)
    nrows = -(-len(grades) // ncols)
    fig = Figure(figsize=(7.2, 0.4 + 2.3 * nrows))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    ylim = trend_ylim(trend[value] * 100)
    for ax, grade in zip(axes, grades):
        rows = trend[trend["grade"] == grade]
        for subject in dict.fromkeys(sort_rows(rows, ["subject"])["subject"]):
            line = rows[rows["subject"] == subject].set_index("term").reindex(terms)
            ax.plot(range(len(terms)), line[value] * 100, marker="o", markersize=3, linewidth=1, label=subject)
        ax.set_xticks(range(len(terms)), terms, fontsize=7)
        ax.set_ylim(*ylim)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(GRADE_LABELS.get(grade, str(grade)), fontsize=8.5)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6.5, frameon=False, loc="lower left", ncol=2)
    for ax in axes[len(grades) :]:
        ax.set_visible(False)
    axes[0].set_ylabel("及格率（%）", fontsize=8)
    fig.suptitle(title, fontsize=9.5)
    fig.tight_layout()
    return fig


DASHBOARD_COLOURS = {"Blue": "#2166ac", "Green": "#4dac26", "Yellow": "#fee08b", "Orange": "#f4a582", "Red": "#d6604d"}


def change_grid_chart(counts: pd.DataFrame, grid: list[list[str]], status_labels, change_labels, title: str) -> Figure:
    """The status x change grid (California School Dashboard manner): each cell in its colour, with the
    number of school x paper results that fall in it."""
    fig = Figure(figsize=(6.0, 3.4))
    ax = fig.subplots()
    values = counts.set_index(counts.columns[0]).reindex(index=list(status_labels), columns=list(change_labels))
    for i, status in enumerate(status_labels):
        for j, change in enumerate(change_labels):
            colour = DASHBOARD_COLOURS.get(grid[i][j], "#dddddd")
            ax.add_patch(
                Rectangle((j, len(status_labels) - 1 - i), 1, 1, facecolor=colour, edgecolor="white", linewidth=2)
            )
            v = values.loc[status, change]
            ax.text(
                j + 0.5,
                len(status_labels) - 0.5 - i,
                f"{int(v) if pd.notna(v) else 0}",
                ha="center",
                va="center",
                fontsize=9,
                color="black",
            )
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
