"""The homework and sleep survey, summarised by medians, quartiles and shares (never by means: survey minutes are
skewed, and the national rules are about each student's day).

Per school x grade (``survey_stats``; per school x grade band: ``band_stats``), and pooled for the categories and
the district:

- respondents_n: rows with an answer (homework or sleep); homework_n / sleep_n: rows with that answer (each figure
  rests on its own n);
- the response rate: respondents / enrolled (checked enrolment, 在籍人数), Wilson interval; a unit's rate counts
  the respondents of the grades whose enrolment is known (response_base_n), over their enrolment;
- quartiles and median of homework minutes and of sleep hours: numpy's ``linear`` quantiles (Hyndman and Fan's
  type 7, as Excel's QUARTILE.INC and MEDIAN), taken over the unit's students (a pooled median is the median of
  the pooled students, never a median of medians); the median's interval is the distribution-free order-statistic
  interval of ``scipy.stats.quantile_test`` (its level at least params uncertainty.level);
- homework_over: minutes strictly above the grade band's limit (params homework_sleep.homework_limit_minutes: at
  the limit is within it; with a limit of 0, any written homework is over); sleep_met: hours at or above the
  band's minimum (homework_sleep.sleep_min_hours). Counts, shares (pooled: sum of counts / sum of n), Wilson
  intervals, and on school rows the difference from the district with Newcombe's interval
  (``intervals.rate_difference``) and its band (``intervals.band``, bands.rate_well_cut). The band says how the
  share itself compares: 高于 on the share over the homework limit is the worse side, 高于 on the sleep share
  the better one.

The small-cohort rule is the exam results' (``cohorts``, on homework_n and sleep_n separately): the table keeps
every figure, and ``cohorts.withhold`` with the table's WITHHOLD rule blanks a withheld cohort's wherever a report
reads it; no band is computed for it. Only usable schools (returns.usable) count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from tqa.core import units
from tqa.core.ordering import category_key, sort_rows
from tqa.measures import cohorts
from tqa.measures import intervals as unc
from tqa.measures.equity import coefficient_of_variation
from tqa.params import Params
from tqa.schema.tables import SCORES

QUANTILE_METHOD = "linear"  # Hyndman and Fan type 7 (Excel QUARTILE.INC, MEDIAN)
MEASURES = {"homework": "homework_minutes", "sleep": "sleep_hours"}
SHARES = {"homework_over": ("homework_over_n", "homework_n"), "sleep_met": ("sleep_met_n", "sleep_n")}
COUNTS = (
    "enrolled",
    "respondents_n",
    "response_base_n",
    "homework_n",
    "homework_over_n",
    "sleep_n",
    "sleep_met_n",
)
POOLED_RATES = {
    "response_rate": ("response_base_n", "enrolled"),
    "homework_over_share": ("homework_over_n", "homework_n"),
    "sleep_met_share": ("sleep_met_n", "sleep_n"),
}
EQUITY_INDICATORS = {"homework_within": "作业不超时比例", "sleep_met": "睡眠达标比例"}


def quartiles(values: pd.Series) -> tuple[float, float, float]:
    """Q1, median, Q3 (type 7); NaN for no value."""
    x = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype="float64")
    if not len(x):
        return (np.nan, np.nan, np.nan)
    q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75], method=QUANTILE_METHOD)
    return float(q1), float(med), float(q3)


def median_interval(values: pd.Series, level: float) -> tuple[float, float]:
    """The distribution-free interval of the median from order statistics (``scipy.stats.quantile_test``): its
    coverage is at least ``level`` whatever the distribution; NaN where n is too small to reach it."""
    x = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype="float64")
    if len(x) < 2:
        return (np.nan, np.nan)
    ci = sps.quantile_test(x, q=float(np.median(x)), p=0.5).confidence_interval(confidence_level=level)
    lo, hi = float(ci.low), float(ci.high)
    return (lo if np.isfinite(lo) else np.nan, hi if np.isfinite(hi) else np.nan)


def answers(survey: pd.DataFrame, returns: pd.DataFrame, params: Params) -> pd.DataFrame:
    """The usable schools' answer rows with their category, grade band, the band's limits and the flags
    homework_over / sleep_met (NA where the answer is blank)."""
    schools = usable(returns)
    df = survey.loc[survey["school_code"].isin(schools["school_code"]), ["school_code", "grade", *MEASURES.values()]]
    df = df.assign(grade=pd.to_numeric(df["grade"], errors="coerce")).dropna(subset=["grade"])
    df = df[df["homework_minutes"].notna() | df["sleep_hours"].notna()].copy()
    df["grade"] = df["grade"].astype("int64")
    df = df.merge(schools[["school_code", "category"]], on="school_code", how="left")
    grades = sorted(df["grade"].unique())
    limits = pd.DataFrame(
        {
            "grade": grades,
            "band": [params.grade_band(g) for g in grades],
            "homework_limit": [params.homework_limit(g) for g in grades],
            "sleep_min": [params.sleep_minimum(g) for g in grades],
        }
    ).astype({"grade": "int64", "homework_limit": "float64", "sleep_min": "float64"})
    df = df.merge(limits, on="grade", how="left", validate="many_to_one")
    minutes, hours = df["homework_minutes"].astype("float64"), df["sleep_hours"].astype("float64")
    df["homework_over"] = (minutes > df["homework_limit"]).astype("boolean").mask(minutes.isna())
    df["sleep_met"] = (hours >= df["sleep_min"]).astype("boolean").mask(hours.isna())
    return df


def usable(returns: pd.DataFrame) -> pd.DataFrame:
    schools = returns[["school_code", "school_name", "category"]].copy()
    if "usable" in returns.columns:
        schools = schools[returns["usable"].fillna(False).astype(bool).to_numpy()]
    return schools.drop_duplicates("school_code")


def _counts(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    g = rows.groupby(keys, sort=True)
    out = pd.DataFrame(
        {
            "respondents_n": g.size(),
            "homework_n": g["homework_minutes"].count(),
            "homework_over_n": g["homework_over"].sum(),
            "sleep_n": g["sleep_hours"].count(),
            "sleep_met_n": g["sleep_met"].sum(),
        }
    )
    return out.astype("int64").reset_index()


def _distribution(rows: pd.DataFrame, keys: list[str], level: float) -> pd.DataFrame:
    """Quartiles, median and the median's interval of both answers per group of students."""
    records = []
    for key, g in rows.groupby(keys, sort=True):
        rec = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        for name, col in MEASURES.items():
            rec[f"{name}_q1"], rec[f"{name}_median"], rec[f"{name}_q3"] = quartiles(g[col])
            rec[f"{name}_median_lo"], rec[f"{name}_median_hi"] = median_interval(g[col], level)
        records.append(rec)
    cols = [*keys, *(f"{n}_{s}" for n in MEASURES for s in ("q1", "median", "q3", "median_lo", "median_hi"))]
    return pd.DataFrame(records, columns=cols)


def _enrolment(enrolment: pd.DataFrame, by: str, params: Params) -> pd.DataFrame:
    enr = enrolment[["school_code", "grade", "enrolled"]].copy()
    enr["grade"] = pd.to_numeric(enr["grade"], errors="coerce")
    enr["enrolled"] = pd.to_numeric(enr["enrolled"], errors="coerce")
    enr = enr.dropna(subset=["grade", "enrolled"]).astype({"grade": "int64"})
    if by == "band":
        enr["band"] = [params.grade_band(g) for g in enr["grade"]]
    return enr.groupby(["school_code", by], as_index=False)["enrolled"].sum()


def _summarise(answers_: pd.DataFrame, enrolment: pd.DataFrame, returns: pd.DataFrame, by: str, params: Params):
    level = float(params.uncertainty.level)
    schools = usable(returns)
    limits = answers_[[by, "homework_limit", "sleep_min", *(["band"] if by == "grade" else [])]].drop_duplicates(by)

    # schools: every school x group with answers, and the groups of those schools with enrolment and none
    school = _counts(answers_, ["school_code", by])
    enr = _enrolment(enrolment, by, params)
    enr = enr[enr["school_code"].isin(school["school_code"])]
    school = school.merge(enr, on=["school_code", by], how="outer", sort=True)
    for c in ("respondents_n", "homework_n", "homework_over_n", "sleep_n", "sleep_met_n"):
        school[c] = school[c].fillna(0).astype("int64")
    school["response_base_n"] = school["respondents_n"].where(school["enrolled"].notna(), 0).astype("int64")
    school = school.merge(schools, on="school_code", how="left")
    school = school.merge(limits, on=by, how="left")
    school = school.assign(level=units.SCHOOL.name, unit_code=school["school_code"], unit_name=school["school_name"])
    for name, (num, den) in POOLED_RATES.items():
        school[name] = school[num].astype("float64") / school[den].astype("float64").where(school[den] > 0)

    pooled = units.pool(school, [by], sums=list(COUNTS), rates=POOLED_RATES)
    pooled = pooled.merge(limits, on=by, how="left")
    is_category = units.is_level(pooled, units.CATEGORY)
    pooled["category"] = pooled["unit_code"].where(is_category)
    pooled["unit_name"] = pooled["unit_code"].where(is_category, units.DISTRICT_NAME)
    out = pd.concat([school, pooled], ignore_index=True)
    out["unit_code"] = out["unit_code"].astype("str")

    # the distribution of the answers, over each unit's own students
    dists = [_distribution(answers_, ["school_code", by], level).rename(columns={"school_code": "unit_code"})]
    dists[0]["level"] = units.SCHOOL.name
    for lv in units.POOLED:
        keys = [*([lv.key] if lv.key else []), by]
        d = _distribution(answers_, keys, level)
        d = d.assign(level=lv.name, unit_code=units.unit_of(lv, d))
        dists.append(d.drop(columns=[lv.key] if lv.key else []))
    dist = pd.concat(dists, ignore_index=True)
    out = out.merge(dist.astype({"unit_code": "str"}), on=["level", "unit_code", by], how="left")

    out["response_rate_lo"], out["response_rate_hi"] = unc.wilson_ci(
        out["response_base_n"].where(out["response_base_n"] <= out["enrolled"]), out["enrolled"], level
    )
    for name, (num, den) in SHARES.items():
        out[f"{name}_share_lo"], out[f"{name}_share_hi"] = unc.wilson_ci(out[num], out[den], level)
    out = _bands(out, by, params)
    out["homework_status"] = cohorts.sample_status(out["homework_n"], params)
    out["sleep_status"] = cohorts.sample_status(out["sleep_n"], params)
    for c in COUNTS:
        out[c] = out[c].astype("Int64" if c == "enrolled" else "int64")
    out["unit_code"], out["category"] = out["unit_code"].astype("str"), out["category"].astype("str")
    return out


def _bands(out: pd.DataFrame, by: str, params: Params) -> pd.DataFrame:
    """School rows: each share minus the district's, Newcombe interval, band (none for a withheld cohort)."""
    level, cut = float(params.uncertainty.level), float(params.bands.rate_well_cut)
    district = units.rows(out, units.DISTRICT).set_index(by)
    is_school = units.is_level(out, units.SCHOOL).to_numpy()
    for name, (num, den) in SHARES.items():
        kd = out[by].map(district[num]).astype("float64")
        nd = out[by].map(district[den]).astype("float64")
        d, lo, hi = unc.rate_difference(out[num], out[den], kd, nd, level)
        keep = is_school & cohorts.shown(out[den], params)
        out[f"{name}_diff"] = np.where(keep, d, np.nan)
        out[f"{name}_diff_lo"] = np.where(keep, lo, np.nan)
        out[f"{name}_diff_hi"] = np.where(keep, hi, np.nan)
        out[f"{name}_band"] = unc.band(out[f"{name}_diff"], out[f"{name}_diff_lo"], out[f"{name}_diff_hi"], cut)
    return out


def _ordered(out: pd.DataFrame, spec_name: str, by: str, params: Params) -> pd.DataFrame:
    """Conformed to its spec; units in level order (categories in category order), then grades or grade bands (in
    params grade_bands order)."""
    spec = SCORES[spec_name]
    out = spec.conform(out[list(spec.names)])
    key = category_key(out["unit_code"]).where(units.is_level(out, units.CATEGORY), out["unit_code"].astype("string"))
    orders = {"band": list(params.grade_bands)} if by == "band" else {}
    return sort_rows(out.assign(_cat=key), ["level", "_cat", by], orders).drop(columns="_cat")


def survey_stats(
    survey: pd.DataFrame, enrolment: pd.DataFrame, returns: pd.DataFrame, params: Params
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tables ``wellbeing_stats`` (per school / category / district x grade) and ``wellbeing_band_stats``
    (per school / category / district x grade band); see the module's docstring."""
    rows = answers(survey, returns, params)
    if rows.empty:
        return SCORES["wellbeing_stats"].empty(), SCORES["wellbeing_band_stats"].empty()
    by_grade = _ordered(_summarise(rows, enrolment, returns, "grade", params), "wellbeing_stats", "grade", params)
    by_band = _ordered(_summarise(rows, enrolment, returns, "band", params), "wellbeing_band_stats", "band", params)
    return by_grade, by_band


def equity(stats: pd.DataFrame, params: Params) -> pd.DataFrame:
    """差异系数 of the school shares per grade: the share within the homework limit (1 − the share over it) and the
    share meeting the sleep requirement, over the schools whose figure is shown (n >= reporting.min_published_n),
    weighted by respondents as params equity.cv_weighted says, flagged above homework_sleep.cv_threshold.

    Columns: grade, indicator, indicator_label, n_schools, weighted, mean_of_means, sd_of_means, cv, cv_threshold,
    cv_over. The within-limit share is used, not the share over it: a CV of a share near 0 is large for
    differences of a few students."""
    schools = units.rows(stats, units.SCHOOL)
    parts = []
    for indicator in EQUITY_INDICATORS:
        n_col = "homework_n" if indicator == "homework_within" else "sleep_n"
        value = 1 - schools["homework_over_share"] if indicator == "homework_within" else schools["sleep_met_share"]
        part = schools.assign(subject=indicator, value=value, weight=schools[n_col])
        parts.append(part[cohorts.shown(part["weight"], params)][["grade", "subject", "value", "weight"]])
    frame = pd.concat(parts, ignore_index=True)
    # the same formula as the exam results' 差异系数, with this family's threshold
    shim = _EquityParams(float(params.homework_sleep.cv_threshold), bool(params.equity.cv_weighted))
    cv = coefficient_of_variation(frame, shim, value_col="value", weight_col="weight")
    cv = cv.rename(columns={"subject": "indicator"})
    cv["indicator_label"] = cv["indicator"].map(EQUITY_INDICATORS)
    order = {k: i for i, k in enumerate(EQUITY_INDICATORS)}
    cv = sort_rows(cv, ["grade", "indicator"], {"indicator": list(order)})
    spec = SCORES["wellbeing_equity"]
    return spec.conform(cv[list(spec.names)]) if len(cv) else spec.empty()


class _EquityParams:
    """What ``coefficient_of_variation`` reads of the params (``equity``), with this family's threshold."""

    def __init__(self, threshold: float, weighted: bool):
        self.equity = type("EquitySection", (), {"cv_threshold": threshold, "cv_weighted": weighted})()
