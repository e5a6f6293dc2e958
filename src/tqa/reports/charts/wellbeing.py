"""The charts of 作业与睡眠 (matplotlib figures from ``tqa.reports.charts.base``; the caller displays and closes
them). Shares are drawn in percent with their Wilson intervals at params uncertainty.level; withheld cohorts
never reach a chart (the views read the statistics through ``cohorts.withhold`` and the callers drop them)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from tqa.core.vocabulary import GRADE_LABELS
from tqa.reports.charts.academic import CATEGORY_COLOURS, DISTRICT_COLOUR, OTHER_COLOUR
from tqa.reports.charts.base import RowsSideBySide, SmallMultiples, nice_ticks, span
from tqa.reports.labels import percent

SCHOOL_COLOUR, DISTRICT_MARK = "#d62728", "#555555"


def _category_legend(categories) -> list:
    present = set(categories)
    return [
        Line2D([0], [0], marker="o", color="none", markerfacecolor=col, markeredgecolor="none", label=cat)
        for cat, col in CATEGORY_COLOURS.items()
        if cat in present
    ]


def over_limit_chart(schools: pd.DataFrame, district: pd.DataFrame, title: str, level: float) -> Figure:
    """Internal district chart: per grade band (one panel each), every shown school's share over the homework
    limit (dot, coloured by category) with its interval, schools ordered by the share (no names: the tables name
    them), and the district's share as a dashed line.

    ``schools``: school rows of wellbeing_band_stats with a shown share; ``district``: the district rows."""
    bands = list(dict.fromkeys(district["band"]))
    labels = [f"{b}（上限 {lim:g} 分钟）" for b, lim in zip(district["band"], district["homework_limit"])]
    legend = [
        *_category_legend(schools["category"]),
        Line2D([0], [0], color=DISTRICT_COLOUR, linestyle="--", linewidth=0.8, label="全区"),
    ]
    xlabel = f"各校按作业超时比例从低到高排列（竖线为 {percent(level)} 置信区间） · 超时比例 %（纵轴）"
    sm = SmallMultiples(labels, title, ncols=2, cell_height=1.9, xlabel=xlabel, legend=legend)
    for i, band in enumerate(bands):
        rows = schools[schools["band"] == band].sort_values(["homework_over_share", "unit_code"])
        d = float(district.loc[district["band"] == band, "homework_over_share"].iloc[0]) * 100
        n = max(len(rows), 1)
        x = np.arange(len(rows), dtype="float64")
        share, lo, hi = (rows[c].to_numpy(dtype="float64") * 100 for c in
                         ("homework_over_share", "homework_over_share_lo", "homework_over_share_hi"))  # fmt: skip
        ylim = span(np.concatenate([lo, hi, [d, 0.0]]), floor=0.0, ceil=100.0)
        to = sm.panel(i, (-0.8, n - 0.2), ylim, xticks=[], yticks=nice_ticks(*ylim))
        sm.line(to([-0.8, n - 0.2], [d, d]), DISTRICT_COLOUR, 0.8, "--")
        colours = np.array([CATEGORY_COLOURS.get(c, OTHER_COLOUR) for c in rows["category"]], dtype=object)
        for c in dict.fromkeys(colours):
            m = colours == c
            sm.segments(to(x[m], lo[m]), to(x[m], hi[m]), c + "88", 1.2)
            sm.point(to(x[m], share[m]), c, 10)
    return sm.finish()


def burden_chart(points: pd.DataFrame, summary: pd.DataFrame, title: str) -> Figure:
    """Internal district chart: per grade (one panel each), each school's share over the homework limit (x, %)
    against its mean standardised paper mean (y), coloured by category, with Spearman's rho in the panel title.
    No names: the point is the pattern, which is an association and not a cause."""
    grades = sorted(points["grade"].unique())
    rho = summary.set_index("grade")["spearman_rho"]
    labels = [
        f"{GRADE_LABELS[int(g)]}（{'ρ = ' + format(rho[g], '.2f') if pd.notna(rho.get(g)) else '学校过少，不计算相关'}）"
        for g in grades
    ]
    xlabel = "作业超时比例 %（横轴） · 各科平均标准分的平均（纵轴，0 = 全区平均）"
    sm = SmallMultiples(
        labels, title, ncols=3, cell_height=1.7, xlabel=xlabel, legend=_category_legend(points["category"])
    )
    for i, g in enumerate(grades):
        rows = points[points["grade"] == g]
        x = rows["homework_over_share"].to_numpy(dtype="float64") * 100
        y = rows["mean_z"].to_numpy(dtype="float64")
        xlim, ylim = span(np.append(x, 0.0), floor=0.0, ceil=100.0), span(np.append(y, 0.0))
        to = sm.panel(i, xlim, ylim)
        sm.line(to(list(xlim), [0.0, 0.0]), "#bbbbbb", 0.6)
        colours = np.array([CATEGORY_COLOURS.get(c, OTHER_COLOUR) for c in rows["category"]], dtype=object)
        for c in dict.fromkeys(colours):
            m = colours == c
            sm.point(to(x[m], y[m]), c, 10)
    return sm.finish()


def school_shares_chart(school: pd.DataFrame, district: pd.DataFrame, title: str, level: float) -> Figure:
    """School report: per grade (one row each), the school's share over the homework limit and its share meeting
    the sleep requirement (red dot, interval) beside the district's (grey diamond). A withheld share is not drawn.

    ``school`` and ``district``: rows of wellbeing_stats for the same grades, in the same order."""
    n = len(school)
    sm = RowsSideBySide(["作业超时比例 %", "睡眠达标比例 %"], title, n)
    y = np.arange(n, dtype="float64")[::-1]
    labels = [GRADE_LABELS[int(g)] for g in school["grade"]]
    for i, name in enumerate(("homework_over", "sleep_met")):
        share, lo, hi = (school[f"{name}_share{s}"].to_numpy(dtype="float64") * 100 for s in ("", "_lo", "_hi"))
        d = district[f"{name}_share"].to_numpy(dtype="float64") * 100
        ok = ~np.isnan(share)
        xlim = span(np.concatenate([lo[ok], hi[ok], d[~np.isnan(d)], [0.0]]), floor=0.0, ceil=100.0)
        to = sm.panel(i, xlim, (-0.7, n - 0.3), xticks=nice_ticks(*xlim, n=5), yticks=y if i == 0 else [],
                      yticklabels=labels if i == 0 else [], tick_size=7, xgrid=True)  # fmt: skip
        sm.segments(to(lo[ok], y[ok]), to(hi[ok], y[ok]), SCHOOL_COLOUR + "99", 2.0)
        sm.point(to(share[ok], y[ok]), SCHOOL_COLOUR, 22)
        sm.point(to(d[~np.isnan(d)], y[~np.isnan(d)]), DISTRICT_MARK, 18, marker="D")
    return sm.finish()


SCHOOL_LEGEND = "红点为本校（横线为置信区间），灰色菱形为全区"
