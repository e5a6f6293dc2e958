"""tqa.measures.academic.valueadded: linking, the exact REML fit, the statsmodels cross-check and the guard."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from helpers import params_with
from helpers.rows import score_row
from tqa.measures.academic import valueadded as va

P = params_with()  # the shipped parameters

# Simulation truth (the brief): 60 schools x 40 students, s2_u 0.2, s2_e 1.0, b0 0.3, b1 0.7.
J, NJ, S2U, S2E, B0, B1 = 60, 40, 0.2, 1.0, 0.3, 0.7


def simulate(n_per_school, s2u=S2U, s2e=S2E, seed=20240901):
    rng = np.random.default_rng(seed)
    n = np.asarray(n_per_school)
    g = np.repeat(np.arange(len(n)), n)
    u = rng.normal(0, math.sqrt(s2u), len(n))
    prior = rng.normal(0, 1, len(g))
    y = B0 + B1 * prior + u[g] + rng.normal(0, math.sqrt(s2e), len(g))
    return pd.DataFrame({"school_code": [f"S{j:03d}" for j in g], "prior": prior, "score": y})


@pytest.fixture(scope="module")
def balanced():
    return simulate([NJ] * J)


@pytest.fixture(scope="module")
def fit(balanced):
    return va.fit_random_intercept(balanced, P, methods=["default", "lbfgs"])


# ---- linking -----------------------------------------------------------------------------------


def _score(school, sid, grade, subject, score, status=None):
    return score_row(school, sid, grade, subject, score, status=status)


def test_link_prior_match_rates_and_withholding():
    cur = pd.DataFrame(
        [
            *(_score("A", f"a{i}", 5, "数学", 60.0 + 10 * i) for i in range(5)),  # a4 is new this term
            *(_score("B", f"b{i}", 5, "数学", 70.0) for i in range(4)),  # b2, b3 have no prior
            _score("B", "b9", 5, "数学", np.nan, status="absent"),  # absent: not tested
            _score("B", "a9", 5, "数学", 80.0),  # moved from A
            _score("B", "d1", 5, "数学", 50.0),  # ambiguous prior id
        ]
    )
    prior = pd.DataFrame(
        [
            *(_score("A", f"a{i}", 4, "数学", 50.0 + 10 * i) for i in range(4)),
            _score("A", "a9", 4, "数学", 90.0),
            _score("B", "b0", 4, "数学", 40.0),
            _score("B", "b1", 4, "数学", 60.0),
            _score("B", "b2", 4, "数学", np.nan, status="absent"),  # absent last term: no prior
            _score("B", "d1", 4, "数学", 55.0),
            _score("A", "d1", 4, "数学", 65.0),  # duplicated id
            _score("A", "a0", 4, "语文", 99.0),  # other subject: ignored
        ]
    )
    linked, rates = va.link_prior(cur, prior, P)
    assert len(linked) == 11  # current tested rows only
    r = rates.set_index("school_code")
    # A: a0..a3 matched, a4 new -> 4 / 5 = 0.80, not below 0.80.
    assert (r.loc["A", "tested_n"], r.loc["A", "matched_n"]) == (5, 4)
    assert r.loc["A", "match_rate"] == pytest.approx(0.8) and not r.loc["A", "va_withheld"]
    # B: b0, b1, a9 matched; b2 (absent before), b3 (no row), d1 (ambiguous) not -> 3 / 6 = 0.5.
    assert (r.loc["B", "tested_n"], r.loc["B", "matched_n"]) == (6, 3)
    assert r.loc["B", "va_withheld"] and "匹配率" in r.loc["B", "note"]
    lk = linked.set_index("student_id")
    assert lk.loc["a9", "prior_school_code"] == "A" and lk.loc["a9", "prior"] == 90.0
    assert lk.loc["a9", "prior_grade"] == 4
    assert not lk.loc["d1", "matched"]
    # prior_z of a0: prior 数学 grade 4 tested scores 50 60 70 80 90 40 60 55 65 -> mean 570 / 9 = 63.333,
    # sd (ddof 1) = sqrt(1850 / 8) = 15.2069; z(50) = -13.333 / 15.2069 = -0.876795.
    assert lk.loc["a0", "prior_z"] == pytest.approx(-0.8767945990, abs=1e-9)
    # score_z within current grade 5 数学: the 11 tested scores.
    y = np.array([60, 70, 80, 90, 100, 70, 70, 70, 70, 80, 50.0])
    assert lk.loc["a0", "score_z"] == pytest.approx((60 - y.mean()) / y.std(ddof=1), abs=1e-12)
    strict = va.link_prior(cur, prior, params_with({"valueadded": {"min_match_rate": 0.9}}))[1]
    assert strict.set_index("school_code").loc["A", "va_withheld"]


# ---- exact REML ----------------------------------------------------------------------------------


def test_profiled_reml_recovers_simulation_truth(balanced):
    r = va.profiled_reml(balanced)
    # Sampling SEs with 60 x 40: s2_u ~ sqrt(2/59) (0.2 + 1/40) = 0.041; s2_e ~ sqrt(2/2340) = 0.029;
    # b1 ~ 1/sqrt(2400) = 0.020. Tolerances are about 2.5 SE (the seed is fixed, so this is deterministic).
    assert r["sigma2_u"] == pytest.approx(S2U, abs=0.10)
    assert r["sigma2_e"] == pytest.approx(S2E, abs=0.075)
    assert r["beta"]["prior"] == pytest.approx(B1, abs=0.05)
    assert r["beta"]["Intercept"] == pytest.approx(B0, abs=0.15)


def test_reml_loglik_matches_statsmodels_convention(balanced):
    s = va.group_sums(balanced)
    exog = sm.add_constant(balanced[["prior"]])
    model = sm.MixedLM(balanced["score"], exog, groups=balanced["school_code"])
    res = model.fit(reml=True)
    assert va.reml_loglik(s, float(res.cov_re.iloc[0, 0]), res.scale) == pytest.approx(res.llf, abs=1e-6)
    # The profiled optimum is at least as high as statsmodels' (it maximises the same function).
    assert va.profiled_reml(balanced)["llf"] >= res.llf - 1e-7


def test_statsmodels_agrees_with_profiled_reml(balanced, fit):
    prof = va.profiled_reml(balanced)
    sm_fit = va._statsmodels_fit(balanced, "score", ["prior"], "school_code", "default")
    assert round(sm_fit["sigma2_u"], 3) == round(prof["sigma2_u"], 3)
    assert round(sm_fit["sigma2_e"], 3) == round(prof["sigma2_e"], 3)
    for term in ("Intercept", "prior"):
        assert round(sm_fit["beta"][term], 3) == round(prof["beta"][term], 3)
    # The closed-form GLS / BLUP at the chosen fit reproduce statsmodels' estimates, SEs and EB effects.
    exog = sm.add_constant(balanced[["prior"]])
    res = sm.MixedLM(balanced["score"], exog, groups=balanced["school_code"]).fit(reml=True)
    np.testing.assert_allclose(fit.fixed["estimate"], res.fe_params.to_numpy(), atol=1e-4)
    np.testing.assert_allclose(fit.fixed["se"], res.bse_fe.to_numpy(), atol=1e-4)
    re = pd.Series({k: float(v.iloc[0]) for k, v in res.random_effects.items()})
    eff = fit.effects.set_index("school_code")["effect"]
    np.testing.assert_allclose(eff.loc[re.index].to_numpy(), re.to_numpy(), atol=1e-3)
    assert fit.icc == pytest.approx(fit.sigma2_u / (fit.sigma2_u + fit.sigma2_e))


# ---- the guard ----------------------------------------------------------------------------------


def test_lbfgs_alone_collapses_and_guard_rejects_it(balanced, fit):
    # Measured with statsmodels 0.15: method="lbfgs" returns s2_u = 0 on this well-identified simulation
    # (true s2_u 0.2) and reports llf = inf. Scored on the exact REML likelihood it is far worse.
    lb = va._statsmodels_fit(balanced, "score", ["prior"], "school_code", "lbfgs")
    assert lb["sigma2_u"] < 1e-8
    cand = fit.candidates.set_index("method")
    assert cand.loc["lbfgs", "at_boundary"]
    assert cand.loc["lbfgs", "llf"] < cand.loc["profiled_reml", "llf"] - 100
    assert fit.method in ("default", "profiled_reml") and fit.sigma2_u > 0.1
    assert any("lbfgs" in n for n in fit.notes)
    # Even with lbfgs as the only statsmodels optimiser, the result is the REML optimum.
    only = va.fit_random_intercept(balanced, P, methods=["lbfgs"])
    assert only.method == "profiled_reml"
    assert only.sigma2_u == pytest.approx(va.profiled_reml(balanced)["sigma2_u"], abs=1e-9)


def test_choose_fit_picks_higher_likelihood():
    two = pd.DataFrame(
        {"method": ["boundary", "inside"], "sigma2_u": [0.0, 0.17], "sigma2_e": [0.96, 0.98], "llf": [-3597.5, -3451.8]}
    )
    assert va.choose_fit(two)["method"] == "inside"
    with_inf = pd.DataFrame(
        {"method": ["bad", "ok"], "sigma2_u": [0.0, 0.1], "sigma2_e": [1.0, 1.0], "llf": [np.inf, -10.0]}
    )
    assert va.choose_fit(with_inf)["method"] == "ok"  # an infinite likelihood is a failure, not a win
    tie = pd.DataFrame(
        {"method": ["first", "second"], "sigma2_u": [0.1, 0.1000001], "sigma2_e": [1, 1], "llf": [-10.0, -10.0 + 1e-9]}
    )
    assert va.choose_fit(tie)["method"] == "first"
    with pytest.raises(ValueError, match="拟合失败"):
        va.choose_fit(pd.DataFrame({"method": ["x"], "sigma2_u": [np.nan], "sigma2_e": [np.nan], "llf": [-np.inf]}))


def test_true_boundary_is_kept():
    # Residuals demeaned within each school: no between-school variation at all, so REML s2_u = 0.
    df = simulate([30] * 20, s2u=0.0, seed=5)
    resid = df["score"] - B0 - B1 * df["prior"]
    df["score"] = B0 + B1 * df["prior"] + resid - resid.groupby(df["school_code"]).transform("mean")
    r = va.fit_random_intercept(df, P, methods=["default"])
    assert r.sigma2_u < 1e-6 and r.icc < 1e-6
    assert any("学校间方差估计为 0" in n for n in r.notes)
    assert (r.effects["band"] == "持平").all()


# ---- empirical Bayes -----------------------------------------------------------------------------


def test_eb_shrinkage_small_schools_shrink_more():
    sizes = [5] * 20 + [200] * 20
    df = simulate(sizes, seed=9)
    r = va.fit_random_intercept(df, P, methods=["default"])  # reporting.min_rank_n: 30
    e = r.effects.set_index("school_code")
    # R_j = s2_u / (s2_u + s2_e / n_j), and u_j = R_j * mean raw residual.
    expected_r = r.sigma2_u / (r.sigma2_u + r.sigma2_e / e["n_j"])
    np.testing.assert_allclose(e["shrinkage"], expected_r, rtol=1e-12)
    np.testing.assert_allclose(e["effect"], e["shrinkage"] * e["mean_resid"], rtol=1e-12)
    small, large = e[e["n_j"] == 5], e[e["n_j"] == 200]
    assert small["shrinkage"].max() < large["shrinkage"].min()
    assert (e["effect"].abs() <= e["mean_resid"].abs() + 1e-15).all()
    assert small["se"].min() > large["se"].max()
    np.testing.assert_allclose(e["se_approx"], np.sqrt(r.sigma2_u * (1 - e["shrinkage"])), rtol=1e-12)
    assert (e["se"] >= e["se_approx"]).all()  # the exact SE adds the fixed effects' uncertainty
    assert (small["band"] == "样本过少").all()
    assert large["band"].isin(["明显高于", "高于", "持平", "低于", "明显低于"]).all()
    np.testing.assert_allclose(e["hi"] - e["effect"], 1.959963984540054 * e["se"], rtol=1e-12)


def test_school_value_added_withholds():
    df = simulate([40] * 12, seed=13)
    linked = df.assign(grade=6, subject="数学", score_z=df["score"], prior_z=df["prior"], matched=True)
    rates = (
        linked[["school_code", "grade", "subject"]]
        .drop_duplicates()
        .assign(va_withheld=lambda d: d["school_code"] == "S003")
    )
    effects, fits = va.school_value_added(linked, rates, P)
    e = effects.set_index("school_code")
    assert e.loc["S003", "band"] == va.NOTE_WITHHELD and math.isnan(e.loc["S003", "effect"])
    assert e.drop(index="S003")["effect"].notna().all()
    assert len(fits) == 1 and fits.loc[0, "n_obs"] == 480 and fits.loc[0, "n_groups"] == 12
    assert fits.loc[0, "b_prior"] == pytest.approx(B1, abs=0.1)


def test_default_fit_is_the_exact_reml_alone():
    df = simulate([40] * 8, seed=5)
    r = va.fit_random_intercept(df, P)  # the shipped params: valueadded.fit_methods is [] (the exact fit alone)
    assert list(r.candidates["method"]) == ["profiled_reml"] and r.method == "profiled_reml"
