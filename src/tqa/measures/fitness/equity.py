"""差异系数 of the schools' 优良率 and 达标率 per grade (``tqa.measures.equity``), against fitness.cv_threshold."""

from __future__ import annotations

import pandas as pd

from tqa.core import units
from tqa.core.ordering import sort_rows
from tqa.measures.equity import coefficient_of_variation
from tqa.measures.fitness.rates import RATES, SEX_ALL
from tqa.params import Params
from tqa.schema.tables import SCORES

INDICATORS = ("good_or_better_rate", "pass_or_better_rate")


def fitness_equity(stats: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Per grade and indicator: the schools' 差异系数 (weighted by the students tested as params equity.cv_weighted
    says), flagged over params fitness.cv_threshold (the exam threshold equity.cv_threshold is for means)."""
    schools = units.rows(stats, units.SCHOOL)
    schools = schools[schools["sex"] == SEX_ALL]
    parts = []
    for indicator in INDICATORS:
        cv = coefficient_of_variation(schools.assign(subject=indicator), params, value_col=indicator)
        parts.append(cv.rename(columns={"subject": "indicator"}))
    out = pd.concat(parts, ignore_index=True)
    threshold = float(params.fitness.cv_threshold)
    out["cv_threshold"] = threshold
    out["cv_over"] = (out["cv"] > threshold).astype("boolean").mask(out["cv"].isna())
    out["indicator_label"] = out["indicator"].map({k: RATES[k][1] for k in INDICATORS})
    out = SCORES["fitness_equity"].conform(out[list(SCORES["fitness_equity"].names)])
    return sort_rows(out, ["grade", "indicator"], orders={"indicator": INDICATORS})
