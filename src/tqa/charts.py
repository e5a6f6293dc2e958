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
from matplotlib.patches import Patch
from scipy import stats as st

LABELLED_MAX = 45
CATEGORY_COLOURS = {"城区": "#3b6ea5", "乡镇": "#e0a030", "农村": "#5a9e5a"}
OTHER_COLOUR = "#999999"
DISTRICT_COLOUR = "#b22222"
HIGHLIGHT_COLOUR = "#d62728"
SCHOOL_COLOUR, CATEGORY_COLOUR_CMP, DISTRICT_COLOUR_CMP = "#d62728", "#f0a35e", "#7f7f7f"


def mean_ci(mean: pd.Series, sd: pd.Series, n: pd.Series, level: float = 0.95) -> tuple[pd.Series, pd.Series]:
    """t-interval for a mean: mean ± t(n-1) · sd / sqrt(n); NaN where n < 2."""
    n = n.astype(float)
    t = pd.Series(st.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)), index=n.index).where(n >= 2)
    half = t * sd.astype(float) / np.sqrt(n)
    return mean - half, mean + half


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


def school_profile_chart(rows: pd.DataFrame, title: str) -> Figure:
    """One grade: the school against its category and the district, per subject.

    ``rows`` has level (school/category/district), subject, mean, full_marks, pass_rate,
    excellent_rate, low_rate. Means are shown as a share of full marks so that subjects with
    different full marks sit on one axis.
    """
    subjects = list(dict.fromkeys(rows["subject"]))
    has_means = rows["mean"].notna().any()
    panels = ([("mean_share", "平均分 / 满分")] if has_means else []) + [
        ("pass_rate", "及格率"), ("excellent_rate", "优秀率"), ("low_rate", "低分率")]
    rows = rows.assign(mean_share=rows["mean"] / rows["full_marks"])
    fig = Figure(figsize=(7.2, 2.3))
    axes = fig.subplots(1, len(panels), sharey=True)
    width = 0.26
    x = np.arange(len(subjects))
    series = (("school", "本校", SCHOOL_COLOUR), ("category", "同类学校", CATEGORY_COLOUR_CMP),
              ("district", "全区", DISTRICT_COLOUR_CMP))
    for ax, (col, label) in zip(np.atleast_1d(axes), panels):
        for k, (level, name, colour) in enumerate(series):
            vals = (rows.loc[rows["level"] == level].set_index("subject")[col]
                    .reindex(subjects).astype(float).to_numpy())
            ax.bar(x + (k - 1) * width, np.nan_to_num(vals * 100), width, color=colour, label=name)
        ax.set_xticks(x, subjects, fontsize=7.5, rotation=0 if len(subjects) <= 4 else 45)
        ax.set_title(label, fontsize=9)
        ax.set_ylim(0, 100)
        ax.grid(axis="y", alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("%")
    np.atleast_1d(axes)[-1].legend(fontsize=7, frameon=False, loc="upper right")
    fig.suptitle(title, fontsize=10)
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
    labels = [f"{g}年级{s}" if isinstance(g, str) else f"{GRADE_SHORT.get(int(g), g)}{s}"
              for g, s in zip(school["grade"], school["subject"])]
    full = school["full_marks"].astype(float)
    lo, hi = mean_ci(school["mean"].astype(float), school["sd"].astype(float), school["tested_n"])
    mean_gap = (school["mean"] - district["mean"]) / full * 100
    mean_lo, mean_hi = (lo - district["mean"]) / full * 100, (hi - district["mean"]) / full * 100
    p_lo, p_hi = wilson_interval(school["pass_n"].astype(float), school["tested_n"].astype(float))
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


GRADE_SHORT = {1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级", 5: "五年级", 6: "六年级", 7: "七年级",
               8: "八年级", 9: "九年级"}
GAP_ABOVE, GAP_BELOW, GAP_NONE = "#2b6cb0", "#c53030", "#9e9e9e"


def wilson_interval(k: pd.Series, n: pd.Series, level: float = 0.95) -> tuple[pd.Series, pd.Series]:
    """Wilson score interval for k successes of n (NaN where n = 0)."""
    from .uncertainty import wilson_ci

    return wilson_ci(k, n, level)
