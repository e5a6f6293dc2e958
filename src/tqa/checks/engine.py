"""Running the suites with Great Expectations 1.x: one ephemeral context per process, a pandas
data source with one dataframe asset, whole-dataframe batches. ``import great_expectations``
costs seconds, so it happens here, lazily, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from tqa.checks.frames import fitness_suite_parameters, type_grade_keys
from tqa.core import vocabulary as vocab
from tqa.params import Params
from tqa.schema import office, sheets


@dataclass(frozen=True)
class Failure:
    """One failing expectation: the frame it ran on, its meta, and the failing rows' ``_row``
    (None for a table-level expectation such as a row count)."""

    frame: str
    meta: dict
    rows: tuple[int, ...] | None
    observed: object = None


@lru_cache(maxsize=1)
def batch_definition():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # Progress bars go to stderr and would clutter notebook outputs.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    asset = context.data_sources.add_pandas("tqa").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole")


def range_parameters() -> dict:
    """The valid range of every ranged field of the returns' sheets (``tqa.schema.sheets``), as suite
    parameters ``<table>_<field>_min`` / ``_max`` and, for messages, ``_range`` ("0–120")."""
    out = {}
    for sheet in sheets.SHEETS:
        for f in sheet.ranged:
            key = f"{sheet.table}_{f.name}"
            out[f"{key}_min"], out[f"{key}_max"] = f.range
            out[f"{key}_range"] = f.range_text
    return out


def suite_parameters(registry: pd.DataFrame, params: Params) -> dict:
    """Run-time values the suites refer to with {"$PARAMETER": name}; the text ones also fill messages."""
    return {
        "registry_codes": sorted(registry["school_code"].dropna().astype(str)),
        "type_grade_keys": type_grade_keys(),
        "sexes": list(vocab.SEXES),
        "exam_modes": list(vocab.EXAM_MODES),
        "rating_levels": list(office.RATING_LEVELS),
        "tested_over_enrolled_tolerance": int(params.checks.tested_over_enrolled_tolerance),
        "enrolment_movement_max_share": float(params.checks.enrolment_movement_max_share),
        "enrolment_movement_max_share_text": f"{float(params.checks.enrolment_movement_max_share):.0%}",
        "enrolment_movement_max": int(params.checks.enrolment_movement_max),
        "enrolment_movement_max_text": str(int(params.checks.enrolment_movement_max)),
        "roll_mismatch_min_n_text": str(int(params.enrolment.roll_mismatch_min_n)),
        "roll_mismatch_min_share_text": f"{float(params.enrolment.roll_mismatch_min_share):.0%}",
        **fitness_suite_parameters(params),
        **survey_parameters(params),
        **range_parameters(),
    }


def survey_parameters(params: Params) -> dict:
    """The survey checks' thresholds (params homework_sleep), with their text for messages."""
    hs = params.homework_sleep
    return {
        "survey_response_rate_min": float(hs.response_rate_min),
        "survey_response_rate_min_text": f"{float(hs.response_rate_min):.0%}",
        "survey_school_day_hours_text": f"{float(hs.school_day_hours):g}",
        "survey_day_hours_max": 24,
    }


def suite_columns(suite) -> list[str]:
    cols = []
    for e in suite.expectations:
        kw = e.configuration.kwargs
        cols += [kw[k] for k in ("column", "column_A", "column_B") if k in kw]
        cols += list(kw.get("column_list") or [])
    return sorted(set(cols))


def _raised(info) -> str | None:
    """The first exception message in a GX exception_info (flat, or keyed by metric)."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for v in info.values():
        msg = _raised(v)
        if msg:
            return msg
    return None


def validate(frame_name: str, frame: pd.DataFrame, suite, parameters: dict) -> list[Failure]:
    """Run one suite on one frame; every failure with the ``_row`` of each failing row."""
    # GX hashes the whole batch and filters it per expectation: hand it only the columns the suite reads,
    # plus ``_row`` to name failing rows (the messages take school, sheet and Excel row from the frame).
    index_cols = ["_row"]
    used = [c for c in suite_columns(suite) if c in frame.columns and c not in index_cols]
    batch = batch_definition().get_batch(batch_parameters={"dataframe": frame[index_cols + used]})
    result = batch.validate(
        suite,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": index_cols},
        expectation_parameters=parameters,
    )
    failures = []
    for r in result.results:
        meta = dict(r.expectation_config.meta)
        error = _raised(r.exception_info)
        if error:
            # A suite that cannot run is a bug or a contract change, never a data problem.
            raise RuntimeError(f"检查规则 {frame_name}/{meta.get('rule')} 无法运行：{error}")
        if r.success:
            continue
        index_list = r.result.get("unexpected_index_list")
        rows = None if index_list is None else tuple(sorted({int(i["_row"]) for i in index_list}))
        failures.append(Failure(frame_name, meta, rows, r.result.get("observed_value")))
    return sorted(failures, key=lambda f: f.meta["rule"])
