"""体质健康 rates per school / category / district x grade x sex (and sexes pooled).

Each student's 学年总分, rounded to params ``fitness.score_decimals`` (so that 89.9 and 90.0 never meet in float
noise), falls in one level: 优秀 >= ``levels.excellent``, 良好 >= ``levels.good``, 及格 >= ``levels.pass``, else 不及格.
Rates are over the students tested (the sheet has no 免予执行 field: an exempt student is simply not tested);
测试覆盖率 = tested / enrolled is reported beside them. Enrolment is per grade only, so coverage exists for the
sexes-pooled rows only. Category and district rates are pooled sums (``units.pool``); means and SDs are over all
their students. Every rate has a Wilson interval; 优良率 and 达标率 have a band against the district.

When this term has no fitness rows at all (fitness is assessed once a school year), ``carry_over`` takes the
latest earlier term's table instead: ``data_term`` says whose data every row is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tqa.core import units
from tqa.core.ordering import category_key, sort_rows
from tqa.measures import cohorts
from tqa.measures import intervals as unc
from tqa.measures.academic.rates import usable_schools
from tqa.params import Params
from tqa.schema import sheets
from tqa.schema.tables import SCORES

SEX_ALL = "全部"  # the sexes-pooled rows
SEX_ORDER = ("男", "女", SEX_ALL)
LEVELS = ("excellent", "good", "pass", "fail")  # 优秀, 良好, 及格, 不及格
LEVEL_LABELS = {"excellent": "优秀", "good": "良好", "pass": "及格", "fail": "不及格"}
# rate -> (numerator, label); every rate is over tested_n
RATES = {
    **{f"{lv}_rate": (f"{lv}_n", LEVEL_LABELS[lv]) for lv in LEVELS},
    "good_or_better_rate": ("good_or_better_n", "优良率"),
    "pass_or_better_rate": ("pass_or_better_n", "达标率"),
}
BANDED = ("good_or_better_rate", "pass_or_better_rate")  # the rates banded against the district
COUNTS = ("tested_n", *(f"{lv}_n" for lv in LEVELS), "good_or_better_n", "pass_or_better_n")
MOMENTS = ("mean", "sd")
SCORE_RANGE = next(f.range for f in sheets.FITNESS.fields if f.name == "total_score")


def fitness_levels(scores: pd.Series, params: Params) -> pd.Series:
    """Each 学年总分's level (excellent / good / pass / fail; NA where missing), compared on the value rounded
    to ``fitness.score_decimals``: 89.9 is 良好, 90.0 优秀, 59.9 不及格, 60.0 及格."""
    lv = params.fitness.levels
    x = pd.to_numeric(scores, errors="coerce").astype("float64").round(int(params.fitness.score_decimals))
    x = x.to_numpy()
    chosen = np.select(
        [x >= float(lv.excellent), x >= float(lv.good), x >= float(lv.pass_), np.isfinite(x)],
        list(LEVELS),
        default="",
    )
    return pd.Series(chosen, index=scores.index, dtype="string").replace("", pd.NA)


def student_levels(fitness: pd.DataFrame, schools: pd.DataFrame, params: Params) -> pd.DataFrame:
    """The usable schools' fitness rows with grade, sex, category, the rounded score and one flag per level."""
    rows = fitness[fitness["school_code"].isin(schools["school_code"])]
    rows = rows[["school_code", "grade", "sex", "total_score"]].dropna(subset=["total_score", "grade"])
    rows = rows.merge(schools[["school_code", "category"]], on="school_code", how="left")
    rows["grade"] = rows["grade"].astype("int64")
    rows["sex"] = rows["sex"].astype("str")
    rows["score"] = rows["total_score"].astype("float64").round(int(params.fitness.score_decimals))
    level = fitness_levels(rows["score"], params)
    for lv in LEVELS:
        rows[f"is_{lv}"] = (level == lv).fillna(False).astype(bool)
    rows["is_good_or_better"] = rows["is_excellent"] | rows["is_good"]
    rows["is_pass_or_better"] = rows["is_good_or_better"] | rows["is_pass"]
    return rows


def _both_sexes(rows: pd.DataFrame) -> pd.DataFrame:
    """Each row once with its sex and once as 全部 (the pooled rows are sums over the same students)."""
    return pd.concat([rows, rows.assign(sex=SEX_ALL)], ignore_index=True)


def _count(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    flags = {"tested_n": None, **{f"{lv}_n": f"is_{lv}" for lv in LEVELS}}
    flags |= {"good_or_better_n": "is_good_or_better", "pass_or_better_n": "is_pass_or_better"}
    g = rows.assign(tested=1).groupby(keys, sort=True)
    out = pd.DataFrame({name: g[col or "tested"].sum() for name, col in flags.items()})
    out["mean"], out["sd"] = g["score"].mean(), g["score"].std(ddof=1)
    return out.reset_index()


def _enrolled(enrolment: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    enr = enrolment[enrolment["school_code"].isin(schools["school_code"])][["school_code", "grade", "enrolled"]]
    enr = enr.dropna(subset=["grade"]).astype({"grade": "int64"})
    enr = enr.groupby(["school_code", "grade"], as_index=False)["enrolled"].sum(min_count=1)
    return enr.astype({"enrolled": "Int64"})


def school_counts(rows: pd.DataFrame, enrolment: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """From the students' rows (``student_levels``, each also as 全部): one row per school x grade x sex with
    fitness rows, plus a 全部 row for every usable school x grade with enrolment > 0: the counts, enrolled
    (全部 rows only), mean and SD."""
    keys = ["school_code", "grade", "sex"]
    counts = _count(rows, keys) if len(rows) else pd.DataFrame(columns=[*keys, *COUNTS, *MOMENTS])
    enr = _enrolled(enrolment, schools)
    skel = enr[enr["enrolled"].fillna(0) > 0][["school_code", "grade"]].assign(sex=SEX_ALL)
    skel = pd.concat([skel, counts[keys]], ignore_index=True).drop_duplicates()
    out = skel.merge(counts, on=keys, how="left").merge(enr.assign(sex=SEX_ALL), on=keys, how="left")
    for c in COUNTS:
        out[c] = out[c].fillna(0).astype("int64")
    out = out.merge(schools, on="school_code", how="inner")
    out["coverage_n"] = out["tested_n"].astype("Int64").where(out["enrolled"].notna())
    return out


def add_intervals(df: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Rates with Wilson intervals, coverage with its interval, the mean's t interval (within the score range)."""
    out = df.copy()
    level = float(params.uncertainty.level)
    tested = out["tested_n"].astype("float64")
    for rate, (num, _) in RATES.items():
        out[rate] = out[num].astype("float64") / tested.where(tested > 0)
        out[f"{rate}_lo"], out[f"{rate}_hi"] = unc.wilson_ci(out[num], out["tested_n"], level)
    enrolled = out["enrolled"].astype("float64")
    out["coverage"] = out["coverage_n"].astype("float64") / enrolled.where(enrolled > 0)
    # a school may test more students than its roll says (a late roll): the interval needs k <= n
    k = np.minimum(out["coverage_n"].astype("float64"), enrolled)
    out["coverage_lo"], out["coverage_hi"] = unc.wilson_ci(pd.Series(k, index=out.index), enrolled, level)
    lo, hi = unc.mean_ci(out["mean"], out["sd"], out["tested_n"], level)
    out["mean_lo"], out["mean_hi"] = lo.clip(lower=SCORE_RANGE[0]), hi.clip(upper=SCORE_RANGE[1])
    return out


def add_bands(df: pd.DataFrame, params: Params) -> pd.DataFrame:
    """School and category rows: 优良率 and 达标率 minus the district's (same grade and sex), Newcombe interval
    (the unit being part of the district), and the band (params bands.rate_well_cut)."""
    out = df.copy()
    district = units.rows(out, units.DISTRICT)[["grade", "sex", "tested_n", *(RATES[r][0] for r in BANDED)]]
    d = out[["grade", "sex"]].merge(district, on=["grade", "sex"], how="left", suffixes=("", "_d"))
    not_district = ~units.is_level(out, units.DISTRICT).to_numpy()
    for rate in BANDED:
        num = RATES[rate][0]
        diff, lo, hi = unc.rate_difference(
            out[num], out["tested_n"], d[num].to_numpy(), d["tested_n"].to_numpy(), float(params.uncertainty.level)
        )
        for suffix, values in (("diff", diff), ("diff_lo", lo), ("diff_hi", hi)):
            out[f"{rate}_{suffix}"] = np.where(not_district, values, np.nan)
        banded = unc.band(
            out[f"{rate}_diff"], out[f"{rate}_diff_lo"], out[f"{rate}_diff_hi"], params.bands.rate_well_cut
        )
        out[f"{rate}_band"] = banded
    return out


def fitness_table(
    fitness: pd.DataFrame, enrolment: pd.DataFrame, returns: pd.DataFrame, term: str, params: Params
) -> pd.DataFrame:
    """This term's fitness_stats rows (no carry-over; see ``fitness_stats``)."""
    schools = usable_schools(returns)
    rows = _both_sexes(student_levels(fitness, schools, params))
    school = school_counts(rows, enrolment, schools)
    school = school.assign(level=units.SCHOOL.name, unit_code=school["school_code"], unit_name=school["school_name"])
    by = ["grade", "sex"]
    pooled = units.pool(school, by, sums=["enrolled", "coverage_n", *COUNTS])
    # means and SDs over all the unit's students, never a mean of school means
    moments = []
    for level in units.POOLED:
        keys = [*([level.key] if level.key else []), *by]
        m = _count(rows, keys) if len(rows) else pd.DataFrame(columns=[*keys, *MOMENTS])
        moments.append(
            m.assign(level=level.name, unit_code=units.unit_of(level, m))[["level", "unit_code", *by, *MOMENTS]]
        )
    pooled = pooled.merge(pd.concat(moments, ignore_index=True), on=["level", "unit_code", *by], how="left")
    category = units.is_level(pooled, units.CATEGORY)
    pooled["category"] = pooled["unit_code"].where(category)
    pooled["unit_name"] = pooled["unit_code"].where(category, units.DISTRICT_NAME)
    out = pd.concat([school, pooled], ignore_index=True)
    for c in MOMENTS:
        out[c] = out[c].astype("float64")
    out = add_bands(add_intervals(out, params), params)
    out["sample_status"] = cohorts.sample_status(out["tested_n"], params)
    out["publishable"] = cohorts.shown(out["tested_n"], params)
    out["data_term"] = term
    out["category"] = out["category"].astype("str")
    out = SCORES["fitness_stats"].conform(out[list(SCORES["fitness_stats"].names)])
    return sort_table(out)


def unit_key(df: pd.DataFrame) -> pd.Series:
    """Units in order within a level: categories in their customary order, schools by code."""
    return category_key(df["unit_code"]).where(units.is_level(df, units.CATEGORY), df["unit_code"].astype("string"))


def sort_table(df: pd.DataFrame) -> pd.DataFrame:
    return sort_rows(df.assign(_u=unit_key(df)), ["level", "_u", "grade", "sex"], orders={"sex": SEX_ORDER}).drop(
        columns="_u"
    )


def has_data(stats: pd.DataFrame) -> bool:
    return bool((units.rows(stats, units.SCHOOL)["tested_n"] > 0).any())


def carry_over(current: pd.DataFrame, earlier: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``current`` when it has any student tested; else the latest earlier term's table that has (its
    ``data_term`` names the term the data come from); else ``current``."""
    if has_data(current):
        return current
    for term in sorted(earlier, reverse=True):
        table = earlier[term]
        if has_data(table):
            return SCORES["fitness_stats"].conform(table)
    return current


def fitness_stats(
    fitness: pd.DataFrame,
    enrolment: pd.DataFrame,
    returns: pd.DataFrame,
    earlier: dict[str, pd.DataFrame],
    term: str,
    params: Params,
) -> pd.DataFrame:
    """体质健康 per school / category / district x grade x sex (男, 女, 全部): tested, enrolled and 测试覆盖率,
    counts and rates of the four levels, 优良率 and 达标率, each with its Wilson interval, the two banded against
    the district, mean 学年总分 with its t interval, sample_status. ``earlier``: the fitness_stats of earlier
    terms (term -> table), used when this term has no fitness rows at all (``carry_over``)."""
    return carry_over(fitness_table(fitness, enrolment, returns, term, params), earlier)
