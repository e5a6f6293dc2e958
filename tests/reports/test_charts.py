"""Tests for the small-multiple charts (tqa.reports.charts): layout by hand, what is drawn where, that the school
report's highlight shows the school and nothing that names another school, and that a chart drawn on a
cached background is the same picture, byte for byte, whichever school a process drew first."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.colors import to_hex
from matplotlib.patches import Patch

from tqa.reports.charts import academic as charts
from tqa.reports.charts import base
from tqa.reports.display import FIGURE_DPI, figure_jpeg, figure_pixels, setup

LEVELS = (0.95, 0.998)  # params funnel.levels

setup()


def _collections(fig):
    return [a for a in fig.artists if isinstance(a, (LineCollection, PathCollection, PolyCollection))]


def _scatters(fig):
    """(colour, xy in inches) of every marker collection of the figure (drawn in inches, no Axes)."""
    out = []
    for c in _collections(fig):
        if (
            isinstance(c, PathCollection)
            and len(c.get_offsets())
            and c.get_facecolor().shape[0] == 1
            and c.get_transform() is not None
            and c.get_sizes().size
        ):
            out.append((to_hex(c.get_facecolor()[0]), np.asarray(c.get_offsets())))
    return out


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]


def test_nice_ticks_and_tick_text():
    assert base.nice_ticks(58, 101) == [60.0, 80.0, 100.0]
    assert base.nice_ticks(0, 230) == [0.0, 100.0, 200.0]
    assert base.nice_ticks(-0.62, 0.48) == [-0.5, 0.0]
    assert base.nice_ticks(5, 5) == [5]
    assert base.tick_text(-0.5) == "\u22120.5" and base.tick_text(100.0) == "100"
    assert base.span([60, 100]) == pytest.approx((57.6, 102.4))  # 6 % of the width each side
    assert base.span([98, 101], floor=-2, ceil=102) == pytest.approx((97.82, 101.18))


def test_small_multiples_layout_by_hand():
    sm = base.SmallMultiples(list("ABCDE"), "t", ncols=4, cell_height=1.6)
    # width 7.2: cells (7.2 - 0.3) / 4 = 1.725 wide; header 0.34, 2 rows, footer 0.08
    assert (sm.nrows, sm.cell_w, sm.height) == (2, pytest.approx(1.725), pytest.approx(0.34 + 3.2 + 0.08))
    assert sm.fig.get_figheight() == pytest.approx(3.62)
    # panel 5 (i = 4): row 1, col 0; cell top 3.28 - 1.6 = 1.68; margins 0.36 / 0.1 / 0.2 / 0.2
    assert sm.rect(4) == pytest.approx((0.66, 0.28, 1.925, 1.48))
    to = sm.panel(4, (0.0, 10.0), (50.0, 100.0))
    x, y = to([0.0, 10.0], [50.0, 100.0])
    assert list(x) == pytest.approx([0.66, 1.925]) and list(y) == pytest.approx([0.28, 1.48])
    assert sm.panel(0, (0, 1), (0, 1))(0.5, 0.5)[0] == pytest.approx((0.66 + 1.925) / 2)


def test_small_multiples_fit_one_page():
    legend = [Patch(label="x")]
    # 42 panels (a 九年一贯制 school): 4 columns would need 11 rows (0.58 + 16.5 + 0.3 inches); 5 columns 9 rows
    # (14.38); 6 columns (the most) 7 rows, then the cells shrink to (9.8 - 0.88) / 7 inches
    sm = base.SmallMultiples([str(i) for i in range(42)], "t", ncols=4, cell_height=1.5, xlabel="x", legend=legend)
    assert (sm.ncols, sm.nrows) == (6, 7)
    assert sm.cell_h == pytest.approx(8.92 / 7) and sm.height == pytest.approx(9.8)
    # 21 panels (a junior school): 4 columns, 6 rows = 9.88 inches > 9.8 -> 5 columns, 5 rows, cells kept
    sm = base.SmallMultiples([str(i) for i in range(21)], "t", ncols=4, cell_height=1.5, xlabel="x", legend=legend)
    assert (sm.ncols, sm.nrows, sm.cell_h) == (5, 5, 1.5) and sm.height == pytest.approx(8.38)
    # 20 panels: 4 x 5 fits (8.38 inches)
    assert base.SmallMultiples([str(i) for i in range(20)], "t", 4, 1.5, xlabel="x", legend=legend).ncols == 4


def _funnel_frames():
    pts = pd.DataFrame(
        {
            "panel": ["三年级语文"] * 3 + ["三年级数学"] * 3,
            "subject": ["语文"] * 3 + ["数学"] * 3,
            "unit_code": ["001", "002", "003"] * 2,
            "category": ["城区", "乡镇", "农村"] * 2,
            "n": [40, 80, 120] * 2,
            "value": [0.9, 0.8, 0.85] * 2,
        }
    )
    cvs = pd.DataFrame(
        [
            {
                "panel": p,
                "subject": s,
                "p": 0.85,
                "n": n,
                "inner_lo": 0.7,
                "inner_hi": 0.95,
                "outer_lo": 0.6,
                "outer_hi": 0.99,
            }
            for p, s in (("三年级语文", "语文"), ("三年级数学", "数学"))
            for n in (40, 80, 120)
        ]
    )
    return pts, cvs


def _pixels(image: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(image)).convert("RGB"))


@pytest.fixture
def backgrounds(monkeypatch):
    """The figures rendered as shared backgrounds during a test (the cache starts empty)."""
    drawn = []
    render = base.figure_pixels
    monkeypatch.setattr(base, "figure_pixels", lambda fig: drawn.append(fig) or render(fig))
    base._BACKGROUNDS.clear()
    yield drawn
    base._BACKGROUNDS.clear()


def test_funnel_chart_highlights_the_school_only(backgrounds):
    pts, cvs = _funnel_frames()
    fig = charts.funnel_chart(pts, cvs, "漏斗", LEVELS, highlight="001", ncols=4)
    marks = dict(_scatters(fig))
    own = marks[charts.HIGHLIGHT_COLOUR]
    assert list(marks) == [charts.HIGHLIGHT_COLOUR] and len(own) == 2  # one own diamond per panel, on top
    # panel 0: x range 0 .. 120 x 1.04, so n 40 sits at 0.66 + 40 / 124.8 x (1.925 - 0.66)
    x0, _, x1, _ = base.SmallMultiples(["a", "b"], "t", 4, 1.5, legend=[Patch(label="x")]).rect(0)
    assert own[0][0] == pytest.approx(x0 + 40 / 124.8 * (x1 - x0))
    assert "漏斗" in _texts(fig)
    assert not any(code in t for t in _texts(fig) for code in ("002", "003"))  # other schools are never named
    # the background: every school a grey dot (its own one lies under the diamond), the legend, no title
    (background,) = backgrounds
    assert {k: len(v) for k, v in _scatters(background)} == {charts.OTHER_SCHOOLS: 6}
    assert "其他学校" in _texts(background) and "本校" in _texts(background) and "漏斗" not in _texts(background)
    # the public report passes the school's own points only: no grey points, no "其他学校"
    public = charts.funnel_chart(pts[pts["unit_code"] == "001"], cvs, "漏斗", LEVELS, highlight="001")
    assert set(dict(_scatters(public))) == {charts.HIGHLIGHT_COLOUR}
    assert _scatters(backgrounds[1]) == [] and "其他学校" not in _texts(backgrounds[1])
    # the district view colours by category, everything drawn in the figure itself
    fig = charts.funnel_chart(pts.drop(columns="panel"), cvs.drop(columns="panel"), "漏斗", LEVELS)
    assert {charts.CATEGORY_COLOURS[c] for c in ("城区", "乡镇", "农村")} <= set(dict(_scatters(fig)))
    assert "其他学校" not in _texts(fig) and "乡镇" in _texts(fig)


def test_caterpillar_colours_and_highlight(backgrounds):
    eff = pd.DataFrame(
        {
            "school_code": ["A", "B", "C", "D"],
            "subject": "数学",
            "effect": [0.3, -0.3, 0.0, np.nan],
            "lo": [0.1, -0.5, -0.2, np.nan],
            "hi": [0.5, -0.1, 0.2, np.nan],
        }
    )
    marks = dict(_scatters(charts.caterpillar_chart(eff, "增值", 0.95)))
    # above 0 blue, below red, across grey; D (no effect) not drawn
    assert {k: len(v) for k, v in marks.items()} == {charts.GAP_ABOVE: 1, charts.GAP_BELOW: 1, charts.GAP_NONE: 1}
    fig = charts.caterpillar_chart(eff, "增值", 0.95, highlight="B")
    marks = dict(_scatters(fig))
    assert {k: len(v) for k, v in marks.items()} == {charts.HIGHLIGHT_COLOUR: 1}
    assert {k: len(v) for k, v in _scatters(backgrounds[-1])} == {charts.OTHER_SCHOOLS: 3}  # A, B, C grey
    # sorted by effect: B (-0.3) is first, at x = 0 of the range -1 .. 3
    x0, _, x1, _ = base.SmallMultiples(["a"], "t", 3, 1.4, legend=[Patch(label="x")]).rect(0)
    assert marks[charts.HIGHLIGHT_COLOUR][0][0] == pytest.approx(x0 + 1 / 4 * (x1 - x0))
    # C (0.0) is second: one place to the right, on the same shared background
    c = dict(_scatters(charts.caterpillar_chart(eff, "增值", 0.95, highlight="C")))[charts.HIGHLIGHT_COLOUR]
    assert c[0][0] == pytest.approx(x0 + 2 / 4 * (x1 - x0))


def test_public_funnel_axes_follow_each_schools_own_point(backgrounds):
    """Public edition: only the school's own point is shown, and it sets the axes, so schools with the same
    papers but different points must not share a background drawn for another school's point."""
    pts, cvs = _funnel_frames()
    first = pts[pts["unit_code"] == "001"]
    charts.funnel_chart(first, cvs, "漏斗", LEVELS, highlight="001")
    outlier = pts[pts["unit_code"] == "002"].assign(value=0.05)  # far below the control limits
    fig = charts.funnel_chart(outlier, cvs, "漏斗", LEVELS, highlight="002")
    assert len(backgrounds) == 2
    x0, y0, x1, y1 = base.SmallMultiples(["a", "b"], "t", 3, 1.5, legend=[Patch(label="x")]).rect(0)
    (x, y), _ = dict(_scatters(fig))[charts.HIGHLIGHT_COLOUR]
    assert y0 <= y <= y1  # inside its panel, not drawn below it


def test_background_is_shared_and_bytes_do_not_depend_on_order(backgrounds):
    pts, cvs = _funnel_frames()
    first = figure_jpeg(charts.funnel_chart(pts, cvs, "漏斗 001", LEVELS, highlight="001"))  # renders the background
    other = figure_jpeg(charts.funnel_chart(pts, cvs, "漏斗 002", LEVELS, highlight="002"))  # same papers: reuses it
    assert len(base._BACKGROUNDS) == 1 and first != other
    assert figure_jpeg(charts.funnel_chart(pts, cvs, "漏斗 001", LEVELS, highlight="001")) == first  # from the cache
    # other data, other background
    moved = pts.assign(value=pts["value"].where(pts["unit_code"] != "003", 0.5))
    charts.funnel_chart(moved, cvs, "漏斗 001", LEVELS, highlight="001")
    assert len(base._BACKGROUNDS) == 2 and len(backgrounds) == 2
    base._BACKGROUNDS.clear()
    assert figure_jpeg(charts.funnel_chart(pts, cvs, "漏斗 001", LEVELS, highlight="001")) == first


def test_school_marks_land_on_the_background():
    eff = pd.DataFrame(
        {
            "school_code": list("ABCDE"),
            "panel": "数学",
            "subject": "数学",
            "effect": [0.3, -0.3, 0.0, 0.1, -0.1],
            "lo": [0.1, -0.5, -0.2, -0.1, -0.3],
            "hi": [0.5, -0.1, 0.2, 0.3, 0.1],
        }
    )
    fig = charts.caterpillar_chart(eff, "增值", 0.95, highlight="C")
    img = figure_pixels(fig)[..., :3]  # the raster itself (the JPEG is checked below)
    assert img.shape == (round(fig.get_figheight() * FIGURE_DPI), round(7.2 * FIGURE_DPI), 3)
    # the own diamond is drawn where the mapper puts it
    ((x, y),) = dict(_scatters(fig))[charts.HIGHLIGHT_COLOUR]
    row, col = int(img.shape[0] - y * FIGURE_DPI), int(x * FIGURE_DPI)
    assert tuple(img[row, col]) == tuple(int(charts.HIGHLIGHT_COLOUR[i : i + 2], 16) for i in (1, 3, 5))
    assert (img[:5, :5] == 255).all()  # white paper, the background kept exactly


def test_jpeg_keeps_the_chart_exact_where_it_matters():
    """Quality 95 without chroma subsampling: white paper stays white, the school's red diamond stays red,
    and elsewhere only faint halos at sharp edges differ from the raster."""
    pts, cvs = _funnel_frames()
    fig = charts.funnel_chart(pts, cvs, "漏斗", LEVELS, highlight="001")
    raster = figure_pixels(fig)[..., :3].astype(int)
    decoded = _pixels(figure_jpeg(fig)).astype(int)
    assert decoded.shape == raster.shape
    assert (decoded[:5, :5] == 255).all()
    (x, y), *_ = dict(_scatters(fig))[charts.HIGHLIGHT_COLOUR]
    row, col = int(raster.shape[0] - y * FIGURE_DPI), int(x * FIGURE_DPI)
    red = np.array([int(charts.HIGHLIGHT_COLOUR[i : i + 2], 16) for i in (1, 3, 5)])
    assert np.abs(decoded[row, col] - red).max() <= 8
    assert np.abs(decoded - raster).mean() < 1.0


def test_school_gap_chart_rows_and_colours():
    cmp = pd.DataFrame(
        [
            {
                "level": lv,
                "grade": 3,
                "subject": s,
                "full_marks": 100.0,
                "mean": m,
                "sd": 10.0,
                "tested_n": n,
                "pass_n": round(r * n),
                "pass_rate": r,
            }
            for s, (school, district) in {
                "语文": ((80.0, 0.95), (70.0, 0.80)),
                "数学": ((70.0, 0.80), (70.5, 0.81)),
            }.items()
            for lv, (m, r), n in (("school", school, 100), ("district", district, 5000))
        ]
    )
    fig = charts.school_gap_chart(cmp, "差异", 0.95)
    marks = dict(_scatters(fig))
    # 语文: 10 points above the district, interval clear of 0 -> blue in both panels; 数学: within noise -> grey
    assert {k: len(v) for k, v in marks.items()} == {charts.GAP_ABOVE: 2, charts.GAP_NONE: 2}
    assert marks[charts.GAP_ABOVE][0][1] > marks[charts.GAP_NONE][0][1]  # first paper on the top row
    assert fig.axes == [] and "差异" in _texts(fig)


def test_score_band_chart_bars():
    rows = [
        {"panel": p, "subject": "语文", "level": lv, "band_no": b, "lower": b / 10, "share": share}
        for p in ("三年级语文", "四年级语文")
        for lv, share in (("school", 0.5), ("district", 0.25))
        for b in (0, 1)
    ]
    fig = charts.score_band_chart(pd.DataFrame(rows), "分数段", ncols=4)
    polys = [c for c in _collections(fig) if isinstance(c, PolyCollection)]
    assert sorted(len(c.get_paths()) for c in polys) == [4, 4]  # 2 panels x 2 bands, per level
    school = next(c for c in polys if to_hex(c.get_facecolor()[0]) == charts.SCHOOL_COLOUR)
    ys = [p.vertices[:, 1] for p in school.get_paths()]
    x0, y0, x1, y1 = base.SmallMultiples(["a"], "t", 4, 1.3, xlabel="x", legend=[Patch(label="x")]).rect(0)
    # y range 0 .. 50 x 1.08: a 50 % bar reaches y0 + 1 / 1.08 of the panel height
    assert max(ys[0]) == pytest.approx(y0 + (y1 - y0) / 1.08)
    assert "本校" in _texts(fig) and "全区" in _texts(fig)


def test_figures_render_deterministically():
    pts, cvs = _funnel_frames()
    a = figure_jpeg(charts.funnel_chart(pts, cvs, "漏斗", LEVELS, highlight="001"))
    b = figure_jpeg(charts.funnel_chart(pts, cvs, "漏斗", LEVELS, highlight="001"))
    assert a == b and a[:3] == b"\xff\xd8\xff"
    fig = charts.funnel_chart(pts, cvs, "漏斗", LEVELS)
    collections = _collections(fig)
    labels = [c for c in collections if isinstance(c, PathCollection) and not c.get_sizes().size]
    # 2 titles + y ticks (2 x 60 80 100) + x ticks (2 x 0 50 100): one glyph collection for all of them
    assert len(labels) == 1 and len(labels[0].get_paths()) == 2 + 2 * 3 + 2 * 3
    assert fig.axes == []  # no Axes at all: panels are drawn in inches
    assert any(isinstance(c, LineCollection) for c in collections)


def test_trend_has_a_legend_per_grade_and_an_axis_that_does_not_exaggerate():
    rows = [
        {"term": t, "grade": g, "subject": s, "pass_rate": 0.95 + 0.01 * i}
        for i, t in enumerate(["2022-2", "2023-1", "2023-2"])
        for g in (7, 8)
        for s in ("语文", "数学", "英语")
    ]
    fig = charts.trend_chart(pd.DataFrame(rows), "初中：全区及格率历次变化")
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in shown] == ["七年级", "八年级"]
    for ax in shown:
        lo, hi = ax.get_ylim()
        assert hi - lo >= charts.TREND_MIN_SPAN and hi <= 100  # 95 -> 97 % is not drawn as a cliff
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["语文", "数学", "英语"]
    assert charts.trend_ylim(pd.Series([1.0, 3.0])) == (0.0, 20.0)
