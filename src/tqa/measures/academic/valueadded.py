"""School value-added (增值评价) with a random-intercept model, fitted and cross-checked.

    y_ij = b0 + b1 prior_ij (+ covariates) + u_j + e_ij,   u_j ~ N(0, s2_u), e_ij ~ N(0, s2_e).

- ``link_prior``: current scores linked to the previous term's by student_id and subject; match rates per
  school x grade x subject; value-added withheld where the match rate is below the threshold.
- ``profiled_reml``: an exact REML fit in numpy/scipy. Fixed effects and s2_e are profiled out and the REML
  log-likelihood is maximised over the variance ratio g = s2_u / s2_e. With the intercept-only random part,
  V_j^-1 = (I - w_j 11') / s2_e with w_j = g / (1 + n_j g), so everything reduces to per-school sums
  (n_j, Σx, Σy) plus the totals X'X, X'y, y'y: one pass over the data, then O(J p²) per evaluation.
- ``fit_random_intercept``: statsmodels MixedLM (REML) with several optimisers plus ``profiled_reml``;
  every candidate's (s2_u, s2_e) is scored on the same exact REML log-likelihood and the best is kept
  (``choose_fit``). Why: MixedLM with method="lbfgs" has been seen to return s2_u = 0 (and even llf = inf)
  where the REML optimum is well inside the space. Fixed effects, SEs and school effects are then
  computed in closed form (GLS and BLUP) at the chosen variance components.
- ``school_value_added``: the above per grade x subject on standardised scores, with withholding and bands.

Parameters (``tqa.params.Params``): ``valueadded.min_match_rate``, ``valueadded.well_cut_z`` (band cut for a
school effect, in units of y; z-scores by default), ``valueadded.fit_methods`` (statsmodels optimisers tried
besides the exact REML, e.g. "default" = MixedLM's own chain, "powell", "nm"), ``valueadded.standardise``,
``reporting`` (the small-cohort rule, ``tqa.measures.cohorts``), ``uncertainty.level``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as sps

from tqa.core.ordering import sort_rows
from tqa.measures import cohorts
from tqa.measures import intervals as unc
from tqa.params import Params
from tqa.schema.tables import SCORES

NOTE_WITHHELD = "匹配率不足，不计算增值"
LLF_TIE = 1e-6  # candidates within this REML log-likelihood count as equally good (keep the earlier one)
BOUNDARY = 1e-8  # s2_u / s2_e below this is "at the boundary"


# ---- linking -----------------------------------------------------------------------------------

# The scores columns link_prior reads; the others are left behind before the 500k-row filters and merges.
LINK_COLUMNS = ("school_code", "student_id", "grade", "class_no", "id_valid", "subject", "status", "score")
PRIOR_COLUMNS = ("prior", "prior_z", "prior_school_code", "prior_grade")


def _linkable(scores: pd.DataFrame) -> pd.Series:
    """Rows whose 学籍号 may link two terms: present, and of the documented form (``id_valid``, set by cleaning;
    a malformed one is counted in its own term but could join two different students). A table without the
    column (a hand-made one) counts every present id as linkable."""
    sid = scores["student_id"]
    ok = sid.notna() & (sid.astype("string").str.strip() != "").fillna(False)
    if "id_valid" in scores.columns:
        ok &= scores["id_valid"].astype("boolean").fillna(False)
    return ok.astype(bool)


def _tested(scores: pd.DataFrame) -> pd.DataFrame:
    scores = scores[[c for c in scores.columns if c in LINK_COLUMNS]]
    score = pd.to_numeric(scores["score"], errors="coerce").astype("float64")
    keep = score.notna()
    if "status" in scores.columns:
        keep &= (scores["status"].astype("string") == "scored").fillna(False)
    out = scores[keep.to_numpy()].copy()
    out["score"] = score[keep]
    out["grade"] = out["grade"].astype("int64")
    return out


def _zscore(values: pd.Series, groups: list[pd.Series]) -> pd.Series:
    g = values.groupby(groups, dropna=False)
    return (values - g.transform("mean")) / g.transform("std")


def link_prior(
    current_scores: pd.DataFrame, prior_scores: pd.DataFrame, params: Params
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Link this term's tested students to their previous-term score in the same subject.

    Both inputs are clean/checked ``scores`` tables; only rows with a numeric score (status scored) count.
    The link is student_id + subject, whatever the school or grade was last term (students who moved are
    kept; prior_school_code / prior_grade say where they were). A student_id appearing more than once in
    the prior term for the subject is ambiguous and left unmatched; a missing id, or one not of the documented
    form (``id_valid`` False: tqa.clean.studentid), never matches, in either term.
    score_z / prior_z are z-scores within grade x subject of each term (all tested students), so a prior
    from a different paper (e.g. a repeated grade) is on a comparable scale.

    Returns (linked, match_rates):
      linked: school_code, student_id, grade, class_no, subject, score, score_z, matched, prior, prior_z,
        prior_school_code, prior_grade; one row per current tested row, sorted.
      match_rates: school_code, grade, subject, tested_n, matched_n, match_rate, va_withheld, note
        (va_withheld when match_rate < valueadded.min_match_rate).
    """
    threshold = float(params.valueadded.min_match_rate)
    cur = _tested(current_scores)
    cur["score_z"] = _zscore(cur["score"], [cur["grade"], cur["subject"]])
    pri = _tested(prior_scores)
    pri["prior_z"] = _zscore(pri["score"], [pri["grade"], pri["subject"]])
    pri = pri[_linkable(pri).to_numpy()]
    dup = pri.duplicated(["student_id", "subject"], keep=False)
    pri = pri[~dup.to_numpy()].rename(
        columns={"score": "prior", "school_code": "prior_school_code", "grade": "prior_grade"}
    )
    pri = pri[["student_id", "subject", "prior", "prior_z", "prior_school_code", "prior_grade"]]

    keep = ["school_code", "student_id", "grade", "class_no", "subject", "score", "score_z"]
    keep = [c for c in keep if c in cur.columns]
    linked = cur[keep].merge(pri, on=["student_id", "subject"], how="left", validate="many_to_one")
    # A malformed 学籍号 this term stays tested (it counts in the match rate's denominator) and is never matched.
    linked.loc[~_linkable(cur).to_numpy(), list(PRIOR_COLUMNS)] = np.nan
    linked["matched"] = linked["prior"].notna()
    linked = linked[[*keep, "matched", "prior", "prior_z", "prior_school_code", "prior_grade"]]
    linked["prior_grade"] = linked["prior_grade"].astype("Int64")
    linked = linked.sort_values(["school_code", "grade", "subject", "student_id"], kind="stable")
    linked = linked.reset_index(drop=True)

    rates = (
        linked.groupby(["school_code", "grade", "subject"], sort=True)
        .agg(tested_n=("matched", "size"), matched_n=("matched", "sum"))
        .reset_index()
    )
    rates["tested_n"] = rates["tested_n"].astype("int64")
    rates["matched_n"] = rates["matched_n"].astype("int64")
    rates["match_rate"] = rates["matched_n"] / rates["tested_n"]
    rates["va_withheld"] = rates["match_rate"] < threshold
    note = f"与上学期成绩的匹配率低于 {threshold:.0%}，" + NOTE_WITHHELD
    rates["note"] = pd.Series(np.where(rates["va_withheld"], note, ""), dtype="string")
    return linked, rates


# ---- exact REML for the random-intercept model --------------------------------------------------


@dataclass
class GroupSums:
    """Sufficient statistics of a random-intercept model (per group and in total)."""

    groups: pd.Index  # group labels, sorted
    n: np.ndarray  # n_j
    sx: np.ndarray  # J x p: Σ_i x_ij (x includes the intercept column)
    sy: np.ndarray  # J: Σ_i y_ij
    xtx: np.ndarray  # p x p
    xty: np.ndarray  # p
    yty: float
    terms: list[str]

    @property
    def n_obs(self) -> int:
        return int(self.n.sum())

    @property
    def p(self) -> int:
        return len(self.terms)


def _design(
    df: pd.DataFrame, y: str, x: Sequence[str], group: str
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    cols = [y, *x, group]
    d = df[cols].dropna()
    d = d[np.isfinite(d[[y, *x]].astype("float64")).all(axis=1).to_numpy()]
    d = d.sort_values(group, kind="stable").reset_index(drop=True)
    X = np.column_stack([np.ones(len(d)), *(d[c].astype("float64").to_numpy() for c in x)])
    codes, _ = pd.factorize(d[group], sort=True)
    return d, X, d[y].astype("float64").to_numpy(), codes


def group_sums(
    df: pd.DataFrame, y: str = "score", x: Sequence[str] = ("prior",), group: str = "school_code"
) -> GroupSums:
    return _sums(*_design(df, y, list(x), group), list(x), group)


def _sums(d: pd.DataFrame, X: np.ndarray, yv: np.ndarray, codes: np.ndarray, x: list[str], group: str) -> GroupSums:
    """GroupSums of a design (``_design``)."""
    J = int(codes.max()) + 1 if len(codes) else 0
    # Column by column: bincount adds in row order, as np.add.at does, and much faster.
    sx = (
        np.column_stack([np.bincount(codes, weights=X[:, k], minlength=J) for k in range(X.shape[1])])
        if J
        else np.zeros((0, X.shape[1]))
    )
    return GroupSums(
        groups=pd.Index(pd.unique(d[group])),
        n=np.bincount(codes, minlength=J).astype(float),
        sx=sx,
        sy=np.bincount(codes, weights=yv, minlength=J),
        xtx=X.T @ X,
        xty=X.T @ yv,
        yty=float(yv @ yv),
        terms=["Intercept", *x],
    )


def _gls(s: GroupSums, g: float) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """At variance ratio g: A = X'HX, beta (GLS), r'Hr, w_j, where H = s2_e V^-1."""
    w = g / (1 + s.n * g)
    A = s.xtx - (s.sx * w[:, None]).T @ s.sx
    b = s.xty - s.sx.T @ (w * s.sy)
    beta = np.linalg.solve(A, b)
    rhr = s.yty - float(np.sum(w * s.sy**2)) - float(beta @ b)
    return A, beta, rhr, w


def reml_loglik(s: GroupSums, sigma2_u: float, sigma2_e: float) -> float:
    """Exact REML log-likelihood at (s2_u, s2_e) (the convention of statsmodels MixedLM with reml=True):

    -1/2 [ (N-p) log 2π + log|V| + log|X'V^-1 X| + r'V^-1 r ],  r = y - X b_GLS,
    with log|V| = N log s2_e + Σ log(1 + n_j g) and X'V^-1X = X'HX / s2_e.
    """
    if not (np.isfinite(sigma2_u) and np.isfinite(sigma2_e)) or sigma2_e <= 0 or sigma2_u < 0:
        return -np.inf
    g = sigma2_u / sigma2_e
    A, _, rhr, _ = _gls(s, g)
    N, p = s.n_obs, s.p
    _, logdet_a = np.linalg.slogdet(A)
    return float(
        -0.5
        * (
            (N - p) * np.log(2 * np.pi)
            + N * np.log(sigma2_e)
            + np.sum(np.log1p(s.n * g))
            + logdet_a
            - p * np.log(sigma2_e)
            + rhr / sigma2_e
        )
    )


def _profile(s: GroupSums, g: float) -> tuple[float, float]:
    """(profiled REML log-likelihood, s2_e) at variance ratio g."""
    A, _, rhr, _ = _gls(s, g)
    N, p = s.n_obs, s.p
    s2e = rhr / (N - p)
    _, logdet_a = np.linalg.slogdet(A)
    llf = -0.5 * ((N - p) * (np.log(2 * np.pi) + 1 + np.log(s2e)) + np.sum(np.log1p(s.n * g)) + logdet_a)
    return float(llf), float(s2e)


def profiled_reml(
    df: pd.DataFrame,
    y: str = "score",
    x: Sequence[str] = ("prior",),
    group: str = "school_code",
    sums: GroupSums | None = None,
) -> dict[str, Any]:
    """Exact REML fit: maximise the profiled log-likelihood over g = s2_u / s2_e >= 0.

    A log-spaced grid over g in [1e-8, 1e4] plus g = 0 locates the optimum; bounded Brent in log g refines it
    between the neighbouring grid points. Returns sigma2_u, sigma2_e, llf, ratio, beta (dict), method.
    """
    s = sums if sums is not None else group_sums(df, y, x, group)
    grid = np.logspace(-8, 4, 97)
    vals = np.array([_profile(s, g)[0] for g in grid])
    i = int(np.nanargmax(vals))
    lo, hi = np.log(grid[max(i - 1, 0)]), np.log(grid[min(i + 1, len(grid) - 1)])
    res = optimize.minimize_scalar(
        lambda t: -_profile(s, float(np.exp(t)))[0], bounds=(lo, hi), method="bounded", options={"xatol": 1e-10}
    )
    best_g, best = float(np.exp(res.x)), -float(res.fun)
    if vals[i] > best:
        best_g, best = float(grid[i]), float(vals[i])
    llf0, _ = _profile(s, 0.0)
    if llf0 >= best:
        best_g, best = 0.0, llf0
    _, s2e = _profile(s, best_g)
    _, beta, _, _ = _gls(s, best_g)
    return {
        "method": "profiled_reml",
        "sigma2_u": best_g * s2e,
        "sigma2_e": s2e,
        "llf": best,
        "ratio": best_g,
        "beta": dict(zip(s.terms, beta.tolist())),
    }


# ---- statsmodels fits and the guard -------------------------------------------------------------


def _statsmodels_fit(d: pd.DataFrame, y: str, x: Sequence[str], group: str, method: str) -> dict[str, Any]:
    import statsmodels.api as sm

    exog = sm.add_constant(d[list(x)].astype("float64"), has_constant="add")
    model = sm.MixedLM(d[y].astype("float64"), exog, groups=d[group])
    kwargs = {} if method == "default" else {"method": method}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            r = model.fit(reml=True, **kwargs)
        except Exception as exc:  # an optimiser failing is itself a result to record
            return {
                "method": method,
                "sigma2_u": np.nan,
                "sigma2_e": np.nan,
                "llf_reported": np.nan,
                "converged": False,
                "warning": f"{type(exc).__name__}: {exc}",
            }
    return {
        "method": method,
        "sigma2_u": float(r.cov_re.iloc[0, 0]),
        "sigma2_e": float(r.scale),
        "llf_reported": float(r.llf),
        "converged": bool(r.converged),
        "warning": "; ".join(sorted({str(w.message).splitlines()[0] for w in caught})),
        "beta": dict(zip(["Intercept", *x], np.asarray(r.fe_params, dtype=float).tolist())),
    }


def choose_fit(candidates: pd.DataFrame) -> pd.Series:
    """The candidate with the highest exact REML log-likelihood (column llf); non-finite llf never wins.

    Ties within LLF_TIE keep the earlier row (the order given). Raises if no candidate has a finite llf.
    A fit with s2_u at the boundary therefore loses to any fit that finds a higher likelihood inside.
    """
    ok = candidates[np.isfinite(candidates["llf"].astype("float64"))]
    if ok.empty:
        raise ValueError("随机截距模型拟合失败：没有任何一种算法得到有限的似然值")
    best = ok["llf"].max()
    return ok[ok["llf"] >= best - LLF_TIE].iloc[0]


@dataclass
class VAResult:
    """A fitted random-intercept value-added model."""

    fixed: pd.DataFrame  # term, estimate, se, lo, hi
    sigma2_u: float
    sigma2_e: float
    icc: float
    llf: float  # exact REML log-likelihood at the chosen variance components
    method: str  # which candidate was kept
    candidates: pd.DataFrame  # method, sigma2_u, sigma2_e, llf, llf_reported, converged, at_boundary, ...
    effects: pd.DataFrame  # one row per school: see fit_random_intercept
    n_obs: int
    n_groups: int
    notes: list[str] = field(default_factory=list)


def _effects(s: GroupSums, s2u: float, s2e: float, level: float) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    g = s2u / s2e
    A, beta, _, _ = _gls(s, g)
    a_inv = np.linalg.inv(A)
    cov_beta = s2e * a_inv
    mean_resid = (s.sy - s.sx @ beta) / s.n
    R = s.n * g / (1 + s.n * g)
    u = R * mean_resid
    approx_var = s2u * (1 - R)
    # Exact prediction-error variance Var(u_hat - u) adds the uncertainty of the fixed effects:
    # s2_u (1 - R_j) + s2_u² c_j' (X'V^-1X)^-1 c_j with c_j = Σx_j / (s2_e (1 + n_j g)).
    c = s.sx / (s2e * (1 + s.n * g))[:, None]
    extra = s2u**2 * np.einsum("jp,pq,jq->j", c, s2e * a_inv, c)
    se = np.sqrt(approx_var + extra)
    z = float(sps.norm.ppf(0.5 + level / 2))
    eff = pd.DataFrame(
        {
            "group": s.groups,
            "n_j": s.n.astype("int64"),
            "mean_resid": mean_resid,
            "shrinkage": R,
            "effect": u,
            "se": se,
            "se_approx": np.sqrt(approx_var),
            "lo": u - z * se,
            "hi": u + z * se,
        }
    )
    return eff, beta, cov_beta


def fit_random_intercept(
    df: pd.DataFrame,
    params: Params,
    y: str = "score",
    x: Sequence[str] = ("prior",),
    group: str = "school_code",
    methods: Iterable[str] | None = None,
) -> VAResult:
    """REML random-intercept fit with the guard described in the module docstring.

    Candidates: statsmodels MixedLM with each of ``methods`` (default valueadded.fit_methods) and
    ``profiled_reml``; each is scored by ``reml_loglik`` and ``choose_fit`` keeps the best. Covariates go in
    ``x`` as numeric columns (dummy-code categories first).

    effects columns: <group>, n_j, mean_resid (mean raw residual), shrinkage R_j = s2_u / (s2_u + s2_e/n_j),
      effect u_j = R_j * mean_resid (empirical Bayes), se (exact prediction-error SE, including the fixed
      effects' uncertainty), se_approx = sqrt(s2_u (1 - R_j)), lo / hi (normal, uncertainty.level), band
      (uncertainty.band with valueadded.well_cut_z, from reporting.min_published_n students: ``cohorts``).
    """
    level = float(params.uncertainty.level)
    cut = float(params.valueadded.well_cut_z)
    methods = list(methods if methods is not None else params.valueadded.fit_methods)
    x = list(x)
    design = _design(df, y, x, group)
    d = design[0]
    s = _sums(*design, x, group)
    if s.n_obs <= s.p or len(s.groups) < 2:
        raise ValueError("随机截距模型拟合失败：学生或学校数量不足")

    rows = [_statsmodels_fit(d, y, x, group, m) for m in methods]
    prof = profiled_reml(d, y, x, group, sums=s)
    rows.append({**prof, "llf_reported": prof["llf"], "converged": True, "warning": ""})
    cand = pd.DataFrame(rows).drop(columns=["beta", "ratio"], errors="ignore")
    cand["llf"] = [reml_loglik(s, u, e) for u, e in zip(cand["sigma2_u"], cand["sigma2_e"])]
    cand["at_boundary"] = (cand["sigma2_u"] / cand["sigma2_e"]) < BOUNDARY
    cand = cand[["method", "sigma2_u", "sigma2_e", "llf", "llf_reported", "converged", "at_boundary", "warning"]]
    best = choose_fit(cand)
    s2u, s2e = float(best["sigma2_u"]), float(best["sigma2_e"])

    notes = []
    rejected = cand[cand["at_boundary"] & (cand["llf"].fillna(-np.inf) < best["llf"] - LLF_TIE)]
    if not best["at_boundary"] and len(rejected):
        notes.append(
            f"算法 {'、'.join(rejected['method'])} 将学校间方差估计为 0，似然值较低，已弃用；"
            f"采用 {best['method']} 的结果"
        )
    if best["at_boundary"]:
        notes.append("学校间方差估计为 0：各校增值与全区无法区分")

    eff, beta, cov_beta = _effects(s, s2u, s2e, level)
    eff = eff.rename(columns={"group": group})
    b = unc.band(eff["effect"], eff["lo"], eff["hi"], cut)
    eff["band"] = b.where(pd.Series(cohorts.shown(eff["n_j"], params), index=eff.index)).astype("string")
    se_b = np.sqrt(np.diag(cov_beta))
    z = float(sps.norm.ppf(0.5 + level / 2))
    fixed = pd.DataFrame({"term": s.terms, "estimate": beta, "se": se_b, "lo": beta - z * se_b, "hi": beta + z * se_b})
    return VAResult(
        fixed=fixed,
        sigma2_u=s2u,
        sigma2_e=s2e,
        icc=s2u / (s2u + s2e),
        llf=float(best["llf"]),
        method=str(best["method"]),
        candidates=cand,
        effects=eff,
        n_obs=s.n_obs,
        n_groups=len(s.groups),
        notes=notes,
    )


# ---- per grade x subject -------------------------------------------------------------------------


def school_value_added(
    linked: pd.DataFrame, match_rates: pd.DataFrame, params: Params
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit per grade x subject on matched students and return (effects, fits).

    y / prior are score_z / prior_z (valueadded.standardise) or score / prior. Students of schools whose
    value-added is withheld stay in the fit (they inform the slope); only their effect is withheld
    (effect and interval NaN, band = the Chinese note).
    effects: school_code, grade, subject, n_j, shrinkage, effect, se, lo, hi, band, va_withheld.
    fits: grade, subject, n_obs, n_groups, b_prior, b_prior_se, sigma2_u, sigma2_e, icc, method, notes.
    """
    std = bool(params.valueadded.standardise)
    y, xcol = ("score_z", "prior_z") if std else ("score", "prior")
    # Only the columns the fits read: each grade x subject slice then copies five columns, not all.
    matched = linked.loc[
        linked["matched"].fillna(False).astype(bool).to_numpy(), ["grade", "subject", "school_code", y, xcol]
    ]
    eff_parts, fit_rows = [], []
    for (grade, subject), d in matched.groupby(["grade", "subject"], sort=True):
        try:
            r = fit_random_intercept(d, params, y=y, x=[xcol], group="school_code")
        except (ValueError, np.linalg.LinAlgError) as exc:
            fit_rows.append({"grade": grade, "subject": subject, "notes": str(exc)})
            continue
        e = r.effects.assign(grade=grade, subject=subject)
        eff_parts.append(e)
        fx = r.fixed.set_index("term")
        fit_rows.append(
            {
                "grade": grade,
                "subject": subject,
                "n_obs": r.n_obs,
                "n_groups": r.n_groups,
                "b_prior": fx.loc[xcol, "estimate"],
                "b_prior_se": fx.loc[xcol, "se"],
                "sigma2_u": r.sigma2_u,
                "sigma2_e": r.sigma2_e,
                "icc": r.icc,
                "method": r.method,
                "notes": "；".join(r.notes),
            }
        )
    cols = ["school_code", "grade", "subject", "n_j", "shrinkage", "effect", "se", "lo", "hi", "band"]
    effects = pd.concat(eff_parts, ignore_index=True)[cols] if eff_parts else pd.DataFrame(columns=cols)
    effects = effects.merge(
        match_rates[["school_code", "grade", "subject", "va_withheld"]],
        on=["school_code", "grade", "subject"],
        how="left",
    )
    withheld = effects["va_withheld"].fillna(False).astype(bool)
    for c in ("effect", "se", "lo", "hi"):
        effects[c] = effects[c].astype("float64").mask(withheld)
    effects["band"] = effects["band"].astype("string").mask(withheld, NOTE_WITHHELD)
    fits = pd.DataFrame(
        fit_rows,
        columns=[
            "grade",
            "subject",
            "n_obs",
            "n_groups",
            "b_prior",
            "b_prior_se",
            "sigma2_u",
            "sigma2_e",
            "icc",
            "method",
            "notes",
        ],
    )
    effects = effects.sort_values(["grade", "subject", "school_code"], kind="stable").reset_index(drop=True)
    return effects, fits


# ---- the scores step's tables ---------------------------------------------------------------------


def value_added(
    current_scores: pd.DataFrame, prior_scores: pd.DataFrame | None, params: Params
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """增值评价: this term's scores on last term's, random-intercept model per grade x subject (no prior term:
    two empty tables).

    Returns (effects, models).
    effects: one row per school x grade x subject with tested students this term: tested_n, matched_n,
      match_rate, n_j (students in the fit), shrinkage, effect (empirical-Bayes school effect in z units),
      se, lo / hi (uncertainty.level), band (vs the district, from reporting.min_published_n students in the
      fit; the withheld note when va_withheld), va_withheld (match rate below valueadded.min_match_rate), note.
    models: grade, subject, n_obs, n_groups, b_prior, b_prior_se, sigma2_u, sigma2_e, icc, method (the
      candidate kept by the exact-REML guard), notes.
    """
    if prior_scores is None:
        return SCORES["value_added"].empty(), SCORES["va_models"].empty()
    linked, rates = link_prior(current_scores, prior_scores, params)
    effects, models = school_value_added(linked, rates, params)
    out = rates.merge(effects.drop(columns=["va_withheld"]), on=["school_code", "grade", "subject"], how="left")
    out["band"] = out["band"].astype("string").mask(out["va_withheld"], NOTE_WITHHELD)
    out["n_j"] = out["n_j"].astype("Int64")
    paper = ["grade", "subject"]
    return (sort_rows(out[list(SCORES["value_added"].names)], [*paper, "school_code"]), sort_rows(models, paper))
