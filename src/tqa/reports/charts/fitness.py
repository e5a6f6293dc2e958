"""体质健康 charts: the school's level mix per grade beside the district's (stacked bars), and the district's
优良率 by school against the target lines (internal edition: schools ordered by their rate)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from tqa.core import units
from tqa.core.vocabulary import GRADE_LABELS
from tqa.reports.charts.academic import CATEGORY_COLOURS, DISTRICT_COLOUR, OTHER_COLOUR
from tqa.reports.charts.base import SmallMultiples, tick_text

# bottom to top: 不及格 at the base, 优秀 on top
LEVEL_STACK = (("fail_rate", "不及格", "#d9534f"), ("pass_rate", "及格", "#f0ad4e"), ("good_rate", "良好", "#8fc1e3"),
               ("excellent_rate", "优秀", "#2f6fa8"))  # fmt: skip
TARGET_STYLES = {"national": ("#555555", ":"), "district": ("#7b3294", "--")}


def level_stack_chart(rows: pd.DataFrame, title: str) -> Figure:
    """Per grade two stacked bars, the school's (left) and the district's (right): the shares of 优秀, 良好,
    及格, 不及格 among the students tested. ``rows``: fitness_stats rows (sexes pooled) of one school and of the
    district; a grade whose school figures are withheld is drawn for the district only."""
    grades = sorted(set(rows["grade"]))
    legend = [Patch(color=c, label=label) for _, label, c in reversed(LEVEL_STACK)]
    sm = SmallMultiples(["各年级（每组左为本校、右为全区）"], title, ncols=1, cell_height=2.2, legend=legend,
                        xlabel="纵轴：占参加测试学生的百分比")  # fmt: skip
    labels = [GRADE_LABELS[g] for g in grades]
    to = sm.panel(0, (-0.6, len(grades) - 0.4), (0.0, 100.0), xticks=list(range(len(grades))), xticklabels=labels,
                  yticks=[0, 25, 50, 75, 100])  # fmt: skip
    half = (to(0.17, 0)[0] - to(0.0, 0)[0]) * 0.95
    for level, offset in ((units.SCHOOL.name, -0.2), (units.DISTRICT.name, 0.2)):
        sub = rows[units.is_level(rows, level)].set_index("grade")
        for k, g in enumerate(grades):
            if g not in sub.index or pd.isna(sub.at[g, "fail_rate"]):
                continue
            base = 0.0
            for col, _, colour in LEVEL_STACK:
                top = base + float(sub.at[g, col]) * 100
                (x, y1), (_, y0) = to(k + offset, top), to(k + offset, base)
                sm.bar(x, y0, y1, half, colour)
                base = top
    return sm.finish()


def school_rate_chart(schools: pd.DataFrame, district: pd.DataFrame, targets: list[tuple[str, str, float]],
                      title: str, level: float) -> Figure:  # fmt: skip
    """优良率 by school (points with their Wilson interval), lowest first, one panel per grade, with the district's
    rate (solid line) and the grade's targets (dotted: national, dashed: the district's own). ``schools``: the
    published school rows (sexes pooled); ``district``: the district rows; ``targets``: (kind, grade, value) with
    kind "national" or "district"."""
    grades = sorted(set(schools["grade"]))
    cats = [c for c in CATEGORY_COLOURS if c in set(schools["category"])]
    legend = [Line2D([0], [0], marker="o", color="none", markerfacecolor=CATEGORY_COLOURS[c], markeredgecolor="none",
                     label=c) for c in cats]  # fmt: skip
    legend.append(Line2D([0], [0], color=DISTRICT_COLOUR, label="全区"))
    for kind, (colour, style) in TARGET_STYLES.items():
        if any(t[0] == kind for t in targets):
            legend.append(
                Line2D([0], [0], color=colour, linestyle=style, label="国家目标" if kind == "national" else "本区目标")
            )
    sm = SmallMultiples([GRADE_LABELS[g] for g in grades], title, ncols=3, cell_height=1.7, legend=legend,
                        xlabel=f"各校按优良率从低到高排列，竖线为 {round(level * 100):g}% 置信区间 · 纵轴：优良率 %")  # fmt: skip
    d = district.set_index("grade")
    for i, g in enumerate(grades):
        s = schools[schools["grade"] == g].sort_values(["good_or_better_rate", "unit_code"], kind="stable")
        n = len(s)
        to = sm.panel(i, (-1.0, max(n, 1)), (0.0, 100.0), xticks=[], yticks=[0, 50, 100],
                      yticklabels=[tick_text(v) for v in (0, 50, 100)])  # fmt: skip
        x = np.arange(n, dtype="float64")
        colours = [CATEGORY_COLOURS.get(c, OTHER_COLOUR) for c in s["category"]]
        lo, hi = s["good_or_better_rate_lo"].to_numpy() * 100, s["good_or_better_rate_hi"].to_numpy() * 100
        for colour in sorted(set(colours)):
            m = np.array([c == colour for c in colours])
            sm.segments(to(x[m], lo[m]), to(x[m], hi[m]), colour + "88", 0.8)
            sm.point(to(x[m], s["good_or_better_rate"].to_numpy()[m] * 100), colour, 8)
        if g in d.index and pd.notna(d.at[g, "good_or_better_rate"]):
            sm.line(to([-1.0, n], [d.at[g, "good_or_better_rate"] * 100] * 2), DISTRICT_COLOUR, 0.9)
        for kind, grade, value in targets:
            if grade == g:
                colour, style = TARGET_STYLES[kind]
                sm.line(to([-1.0, n], [value * 100] * 2), colour, 0.9, style)
    return sm.finish()
