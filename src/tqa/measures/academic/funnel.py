"""漏斗图: control limits for the schools' rates against their number tested (Spiegelhalter 2005)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from tqa.core import units
from tqa.core.ordering import sort_rows
from tqa.measures import intervals as unc
from tqa.params import Params
from tqa.schema.tables import SCORES

PAPER = ["grade", "subject"]


def binomial_limits(p: Any, n: Any, prob: float) -> np.ndarray:
    """The ``prob`` quantile of an observed proportion among n when the true rate is p, interpolated as in
    Spiegelhalter (2005, Stat Med, appendix): r = smallest count with P(X <= r) >= prob,
    alpha = (P(X <= r) - prob) / P(X = r), limit = (r - alpha) / n. NaN where n <= 0.
    The interpolation spreads each count over (r - 1, r], so the limits sit 0.5 / n below a symmetric pair:
    a smooth curve for drawing; the classification of schools uses exact tails (``funnel_limits``)."""
    pp, nn = np.broadcast_arrays(np.asarray(p, dtype="float64"), np.asarray(n, dtype="float64"))
    ok = nn > 0
    nn_safe = np.where(ok, nn, 1)
    r = sps.binom.ppf(prob, nn_safe, pp)
    cdf, pmf = sps.binom.cdf(r, nn_safe, pp), sps.binom.pmf(r, nn_safe, pp)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(pmf > 0, (cdf - prob) / pmf, 0.0)
        limit = np.clip((r - alpha) / nn_safe, 0.0, 1.0)
    return np.where(ok, limit, np.nan)


def _funnel_grid(tested_n: pd.Series, points: int) -> np.ndarray:
    """Whole numbers of students, log-spaced from the smallest to the largest school."""
    lo_n, hi_n = int(tested_n.min()), int(tested_n.max())
    return np.unique(np.round(np.geomspace(max(lo_n, 1), max(hi_n, 1), points)))


FUNNEL_POSITIONS = ("高于外控制限", "高于内控制限", "控制限内", "低于内控制限", "低于外控制限")


def funnel_limits(stats: pd.DataFrame, params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Funnel-plot control limits for the three rates per grade x subject. Returns (curves, points).

    p is the district rate. Limits at params funnel.levels (inner, outer: e.g. 95 % and 99.8 %) are exact
    binomial (``binomial_limits``).
    curves: grade, subject, rate, p, n, inner_lo, inner_hi, outer_lo, outer_hi on a grid of n from the
      smallest to the largest school (funnel.grid_points, log-spaced, integers);
    points: grade, subject, rate, unit_code, unit_name, category, n, k, value, p, the four limits at the
      school's own n, position (高于外控制限 … 低于外控制限, from the exact one-sided binomial tail
      P(X >= k) or P(X <= k) against (1 - level) / 2; neutral: for low_rate 高于 is worse).
    """
    inner, outer = (float(x) for x in params.funnel.levels)
    district = units.rows(stats, units.DISTRICT)
    school = units.rows(stats, units.SCHOOL)
    school = school[school["tested_n"] > 0]
    curves, points = [], []

    def limits(p, n) -> dict[str, np.ndarray]:
        return {
            "inner_lo": binomial_limits(p, n, (1 - inner) / 2),
            "inner_hi": binomial_limits(p, n, (1 + inner) / 2),
            "outer_lo": binomial_limits(p, n, (1 - outer) / 2),
            "outer_hi": binomial_limits(p, n, (1 + outer) / 2),
        }

    for rate in unc.RATE_NAMES:
        d = district[[*PAPER, f"{rate}_n", "tested_n"]]
        d = d.assign(p=d[f"{rate}_n"] / d["tested_n"].where(d["tested_n"] > 0))[[*PAPER, "p"]]
        s = school.merge(d, on=PAPER, how="inner")
        s = s[s["p"].notna()]
        papers = [
            (grade, subject, float(g["p"].iloc[0]), _funnel_grid(g["tested_n"], int(params.funnel.grid_points)))
            for (grade, subject), g in s.groupby(PAPER, sort=True)
        ]
        if papers:
            # Every paper's curve in one call: scipy's binomial functions work element by element, and a
            # call costs far more than its elements.
            sizes = [len(n) for *_, n in papers]
            p_all, n_all = np.repeat([p for _, _, p, _ in papers], sizes), np.concatenate([n for *_, n in papers])
            curves.append(
                pd.DataFrame(
                    {
                        "grade": np.repeat([g for g, *_ in papers], sizes),
                        "subject": np.repeat([sub for _, sub, *_ in papers], sizes),
                        "rate": f"{rate}_rate",
                        "p": p_all,
                        "n": n_all.astype("int64"),
                        **limits(p_all, n_all),
                    }
                )
            )
        n_s, k_s, p_s = s["tested_n"].to_numpy(), s[f"{rate}_n"].to_numpy(), s["p"].to_numpy()
        lim = limits(p_s, n_s)
        value = k_s / n_s
        # A school's position uses the exact binomial tails, not the interpolated curves: with few students
        # an ordinary 5 / 5 lies above the interpolated upper limit (which stays just below 1).
        upper_p, lower_p = sps.binom.sf(k_s - 1, n_s, p_s), sps.binom.cdf(k_s, n_s, p_s)
        pos = np.select(
            [
                upper_p < (1 - outer) / 2,
                upper_p < (1 - inner) / 2,
                lower_p < (1 - outer) / 2,
                lower_p < (1 - inner) / 2,
            ],
            [FUNNEL_POSITIONS[0], FUNNEL_POSITIONS[1], FUNNEL_POSITIONS[4], FUNNEL_POSITIONS[3]],
            FUNNEL_POSITIONS[2],
        )
        points.append(
            pd.DataFrame(
                {
                    "grade": s["grade"].to_numpy(),
                    "subject": s["subject"].to_numpy(),
                    "rate": f"{rate}_rate",
                    "unit_code": s["unit_code"].to_numpy(),
                    "unit_name": s["unit_name"].to_numpy(),
                    "category": s["category"].to_numpy(),
                    "n": s["tested_n"].to_numpy(),
                    "k": s[f"{rate}_n"].to_numpy(),
                    "value": value,
                    "p": s["p"].to_numpy(),
                    **lim,
                    "position": pos,
                }
            )
        )
    curve_cols, point_cols = list(SCORES["funnel_curves"].names), list(SCORES["funnel_points"].names)
    c = pd.concat(curves, ignore_index=True) if curves else SCORES["funnel_curves"].empty()
    pt = pd.concat(points, ignore_index=True) if points else SCORES["funnel_points"].empty()
    pt["position"] = pt["position"].astype("string")
    return sort_rows(c[curve_cols], [*PAPER, "rate", "n"]), sort_rows(pt[point_cols], [*PAPER, "rate", "unit_code"])
