"""Every measure of step 3, declared as data: the function, what it reads, the params sections it may use, the
tables it makes (Kedro's pipelines as data, in small).

The scores step's params sections are the union of its measures' (``step_sections``): that decides when the
statistics re-run. ``Measures(params)`` gives the notebook each measure as a callable that receives only its
declared sections (reading another one is an error) and whose outputs are checked against the table specs, so
a declaration cannot drift from the code. Stdlib only at import (the Makefile reads it through ``tqa.run.dag``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

# Sections most academic measures read: the lines of each paper (rates by grade band) and the levels of
# level-graded papers.
LINES = ("grade_bands", "rates", "levels")


@dataclass(frozen=True)
class Measure:
    name: str
    function: str  # "module:function"
    inputs: tuple[str, ...]  # "stage/table", "office/file", "prior/<stage>/<table>" (last term), "earlier/..."
    params: tuple[str, ...]  # the params sections it reads
    outputs: tuple[str, ...]  # the scores tables it returns, in order

    def load(self):
        module, _, name = self.function.partition(":")
        return getattr(importlib.import_module(module), name)


MEASURES = (
    Measure(
        "subject_stats",
        "tqa.measures.academic.rates:subject_stats",
        ("checked/scores", "checked/enrolment", "checked/returns", "office/exam_spec"),
        (*LINES, "participation", "ranking"),
        ("subject_stats",),
    ),
    Measure(
        "school_results",
        "tqa.measures.academic.results:school_results",
        ("scores/subject_stats", "checked/scores", "office/exam_spec"),
        (*LINES, "uncertainty", "reporting", "bands", "ranking", "composite"),
        ("results",),
    ),
    Measure(
        "total_stats",
        "tqa.measures.academic.totals:total_stats",
        ("checked/scores", "checked/returns", "office/exam_spec"),
        (*LINES, "uncertainty", "reporting", "bands"),
        ("total_stats",),
    ),
    Measure("equity", "tqa.measures.equity:equity", ("scores/subject_stats",), ("equity",), ("equity",)),
    Measure(
        "sensitivity",
        "tqa.measures.academic.composite:sensitivity",
        ("scores/subject_stats",),
        ("reporting", "ranking", "composite"),
        ("sensitivity",),
    ),
    Measure(
        "score_bands",
        "tqa.measures.academic.score_bands:score_band_table",
        ("checked/scores", "office/exam_spec", "checked/returns"),
        (*LINES, "score_bands"),
        ("score_bands",),
    ),
    Measure(
        "targets",
        "tqa.measures.academic.targets:targets",
        ("scores/subject_stats",),
        ("grade_bands", "targets", "reporting"),
        ("targets",),
    ),
    Measure(
        "funnel",
        "tqa.measures.academic.funnel:funnel_limits",
        ("scores/subject_stats",),
        ("funnel",),
        ("funnel_curves", "funnel_points"),
    ),
    Measure(
        "class_results",
        "tqa.measures.academic.results:class_results",
        ("checked/scores", "office/exam_spec"),
        (*LINES, "participation", "uncertainty", "reporting"),
        ("class_stats",),
    ),
    Measure(
        "student_lists",
        "tqa.measures.academic.students:student_lists",
        ("checked/scores", "checked/students", "office/exam_spec"),
        (*LINES, "tiers", "borderline"),
        ("tiers", "borderline"),
    ),
    Measure(
        "value_added",
        "tqa.measures.academic.valueadded:value_added",
        ("checked/scores", "prior/checked/scores"),
        ("valueadded", "uncertainty", "reporting"),
        ("value_added", "va_models"),
    ),
    Measure(
        "change",
        "tqa.measures.academic.change:change_since",
        ("scores/results", "prior/scores/results"),
        ("grade_bands", "change", "reporting", "uncertainty"),
        ("change",),
    ),
    Measure("trend", "tqa.measures.academic.trend:trend", ("earlier/scores/results", "scores/results"), (), ("trend",)),
    Measure(
        "items",
        "tqa.measures.academic.items:analyse",
        ("checked/items", "office/item_spec"),
        ("items",),
        ("item_stats", "paper_stats", "item_gaps"),
    ),
    Measure(
        "enrolment_rates",
        "tqa.measures.enrolment.rates:consolidation",
        ("checked/enrolment", "checked/returns", "checked/enrolment_reconciliation"),
        ("uncertainty", "reporting", "bands", "enrolment"),
        ("enrolment_rates",),
    ),
    Measure(
        "enrolment_entry",
        "tqa.measures.enrolment.entry:entry_rates",
        ("checked/enrolment", "checked/returns", "office/population"),
        ("uncertainty", "enrolment"),
        ("enrolment_entry",),
    ),
    Measure(
        "fitness_stats",
        "tqa.measures.fitness.rates:fitness_stats",
        ("checked/fitness", "checked/enrolment", "checked/returns", "earlier/scores/fitness_stats"),
        ("grade_bands", "fitness", "uncertainty", "bands", "reporting"),
        ("fitness_stats",),
    ),
    Measure(
        "fitness_targets",
        "tqa.measures.fitness.targets:fitness_targets",
        ("scores/fitness_stats",),
        ("grade_bands", "fitness", "reporting"),
        ("fitness_targets",),
    ),
    Measure(
        "fitness_equity",
        "tqa.measures.fitness.equity:fitness_equity",
        ("scores/fitness_stats",),
        ("equity", "fitness"),
        ("fitness_equity",),
    ),
    Measure(
        "fitness_trend",
        "tqa.measures.fitness.trend:fitness_trend",
        ("earlier/scores/fitness_stats", "scores/fitness_stats"),
        ("uncertainty",),
        ("fitness_trend",),
    ),
    Measure(
        "wellbeing",
        "tqa.measures.wellbeing.survey:survey_stats",
        ("checked/survey", "checked/enrolment", "checked/returns"),
        ("grade_bands", "homework_sleep", "uncertainty", "reporting", "bands"),
        ("wellbeing_stats", "wellbeing_band_stats"),
    ),
    Measure(
        "wellbeing_equity",
        "tqa.measures.wellbeing.survey:equity",
        ("scores/wellbeing_stats",),
        ("homework_sleep", "equity", "reporting"),
        ("wellbeing_equity",),
    ),
    Measure(
        "wellbeing_burden",
        "tqa.measures.wellbeing.burden:burden",
        ("scores/wellbeing_stats", "scores/results"),
        ("reporting",),
        ("wellbeing_burden", "wellbeing_burden_summary"),
    ),
    Measure(
        "routine",
        "tqa.measures.routine:routine",
        ("checked/routine", "checked/returns"),
        ("routine", "uncertainty", "reporting", "bands", "equity"),
        ("routine_staff", "routine_roles", "routine_equity"),
    ),
)
BY_NAME = {m.name: m for m in MEASURES}


def step_sections() -> tuple[str, ...]:
    """The params sections the scores step reads: every measure's, in first-use order."""
    return tuple(dict.fromkeys(s for m in MEASURES for s in m.params))


def outputs() -> tuple[str, ...]:
    return tuple(t for m in MEASURES for t in m.outputs)


class Measures:
    """``Measures(params).subject_stats(...)``: each measure called with only its declared params sections; what
    it returns is conformed to the specs of its declared output tables (a missing or undeclared column is an
    error), one frame per output."""

    def __init__(self, params):
        self._params = params

    def __getattr__(self, name: str):
        if name not in BY_NAME:
            raise AttributeError(f"no measure {name!r} is declared in tqa.measures.catalog")
        measure = BY_NAME[name]
        function = measure.load()

        def call(*args, **kwargs):
            from tqa.params import view
            from tqa.schema.tables import SCORES

            if measure.params:
                kwargs["params"] = view(self._params, measure.params, owner=f"measure {name}")
            result = function(*args, **kwargs)
            frames = result if isinstance(result, tuple) else (result,)
            if len(frames) != len(measure.outputs):
                raise ValueError(f"measure {name} returned {len(frames)} tables, declares {measure.outputs}")
            out = tuple(SCORES[t].conform(f) for t, f in zip(measure.outputs, frames))
            return out if isinstance(result, tuple) else out[0]

        call.__name__ = name
        call.__doc__ = function.__doc__
        return call
