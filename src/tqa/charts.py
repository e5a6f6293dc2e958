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


# ---- methodology charts: small multiples, one figure per grade, readable for 300 schools ----------

def _grid(n_panels: int, height_per_row: float = 2.1, ncols: int = 3):
    ncols = min(ncols, max(n_panels, 1))
    nrows = int(np.ceil(n_panels / ncols))
    fig = Figure(figsize=(7.2, 0.6 + height_per_row * nrows))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False).ravel())
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes


def funnel_chart(points: pd.DataFrame, curves: pd.DataFrame, title: str, highlight: str | None = None) -> Figure:
    """Funnel plots (Spiegelhalter 2005), one panel per subject: each school's rate against its number
    tested, with the district rate and its 95 % (inner) and 99.8 % (outer) control limits."""
    subjects = list(dict.fromkeys(points["subject"]))
    fig, axes = _grid(len(subjects))
    for ax, subject in zip(axes, subjects):
        pt = points[points["subject"] == subject]
        cv = curves[curves["subject"] == subject].sort_values("n")
        ax.plot(cv["n"], cv["inner_lo"] * 100, color="#888888", linewidth=0.8, linestyle="--")
        ax.plot(cv["n"], cv["inner_hi"] * 100, color="#888888", linewidth=0.8, linestyle="--")
        ax.plot(cv["n"], cv["outer_lo"] * 100, color="#444444", linewidth=0.8)
        ax.plot(cv["n"], cv["outer_hi"] * 100, color="#444444", linewidth=0.8)
        if len(cv):
            ax.axhline(float(cv["p"].iloc[0]) * 100, color=DISTRICT_COLOUR, linewidth=0.8)
        colours = [HIGHLIGHT_COLOUR if c == highlight else CATEGORY_COLOURS.get(cat, OTHER_COLOUR)
                   for c, cat in zip(pt["unit_code"], pt["category"])]
        sizes = [40 if c == highlight else 12 for c in pt["unit_code"]]
        ax.scatter(pt["n"], pt["value"] * 100, c=colours, s=sizes, zorder=3)
        ax.set_title(subject, fontsize=8.5)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("实考人数", fontsize=7)
    axes[0].set_ylabel("%", fontsize=7)
    fig.suptitle(title, fontsize=9.5)
    fig.subplots_adjust(left=0.08, right=0.98, top=1 - 0.5 / fig.get_figheight(), bottom=0.4 / fig.get_figheight() + 0.02,
                        hspace=0.55, wspace=0.25)
    return fig


def caterpillar_chart(effects: pd.DataFrame, title: str, highlight: str | None = None) -> Figure:
    """Value-added school effects with 95 % intervals, sorted, one panel per subject."""
    subjects = list(dict.fromkeys(effects["subject"]))
    fig, axes = _grid(len(subjects))
    for ax, subject in zip(axes, subjects):
        e = effects[(effects["subject"] == subject) & effects["effect"].notna()].sort_values(["effect", "school_code"])
        x = np.arange(len(e))
        colours = np.where(e["lo"] > 0, GAP_ABOVE, np.where(e["hi"] < 0, GAP_BELOW, GAP_NONE))
        colours = [HIGHLIGHT_COLOUR if c == highlight else col for c, col in zip(e["school_code"], colours)]
        ax.vlines(x, e["lo"], e["hi"], colors=colours, linewidth=1.2, alpha=0.7)
        ax.scatter(x, e["effect"], c=colours, s=[36 if c == highlight else 8 for c in e["school_code"]], zorder=3)
        ax.axhline(0, color="#555555", linewidth=0.8)
        ax.set_xticks([])
        ax.set_title(subject, fontsize=8.5)
        ax.tick_params(labelsize=7)
    axes[0].set_ylabel("学校效应（标准分）", fontsize=7)
    fig.suptitle(title, fontsize=9.5)
    fig.subplots_adjust(left=0.1, right=0.98, top=1 - 0.5 / fig.get_figheight(), bottom=0.05, hspace=0.45, wspace=0.25)
    return fig


def score_band_chart(bands: pd.DataFrame, title: str) -> Figure:
    """分数段 histograms (shares of students per 10 % band), one panel per subject, district vs school
    (when a school's rows are present) ."""
    subjects = list(dict.fromkeys(bands["subject"]))
    fig, axes = _grid(len(subjects), height_per_row=1.8)
    for ax, subject in zip(axes, subjects):
        b = bands[bands["subject"] == subject]
        for level, colour, offset, label in (("district", DISTRICT_COLOUR_CMP, 0.2, "全区"), ("school", SCHOOL_COLOUR, -0.2, "本校")):
            rows = b[b["level"] == level].sort_values("band_no")
            if len(rows):
                ax.bar(rows["band_no"] + offset, rows["share"] * 100, width=0.4, color=colour, label=label)
        ticks = b.drop_duplicates("band_no").sort_values("band_no")
        ax.set_xticks(ticks["band_no"], [f"{int(v * 100)}" for v in ticks["lower"]], fontsize=6.5)
        ax.set_title(subject, fontsize=8.5)
        ax.tick_params(labelsize=7)
    axes[0].set_ylabel("学生占比 %", fontsize=7)
    axes[0].legend(fontsize=7, frameon=False)
    fig.suptitle(title + "（横轴：得分占满分的百分比下限）", fontsize=9.5)
    fig.subplots_adjust(left=0.08, right=0.98, top=1 - 0.5 / fig.get_figheight(), bottom=0.05, hspace=0.55, wspace=0.25)
    return fig


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
