"""One spec per raw sheet: the suites take every value range from tqa.schema.sheets, never a number of their own."""

from __future__ import annotations

from helpers import SUITES
from tqa.checks.engine import range_parameters
from tqa.checks.suites import read_suite_files
from tqa.schema import sheets

BETWEEN = "expect_column_values_to_be_between"


def range_expectations():
    suites = read_suite_files(SUITES)
    return {
        (name, e["kwargs"]["column"]): e
        for name, s in suites.items()
        for e in s["expectations"]
        if e["type"] == BETWEEN
    }


def test_every_ranged_field_is_checked_against_its_spec_range():
    exps = range_expectations()
    missing = []
    for sheet in sheets.SHEETS:
        for f in sheet.ranged:
            e = exps.get((sheet.table, f.name))
            key = f"{sheet.table}_{f.name}"
            if e is None:
                missing.append(key)
                continue
            assert e["kwargs"]["min_value"] == {"$PARAMETER": f"{key}_min"}, key
            assert e["kwargs"]["max_value"] == {"$PARAMETER": f"{key}_max"}, key
    assert missing == []


def test_no_suite_writes_a_range_of_its_own_for_a_sheet_field():
    ranged = {(s.table, f.name) for s in sheets.SHEETS for f in s.ranged}
    fields = {(s.table, f.name) for s in sheets.SHEETS for f in s.fields}
    for (suite, column), e in range_expectations().items():
        if (suite, column) in fields:
            assert (suite, column) in ranged, f"{suite}.{column}: a range in the suite but none in the sheet spec"
            for bound in ("min_value", "max_value"):
                assert isinstance(e["kwargs"].get(bound), dict), f"{suite}.{column}: {bound} written as a number"


def test_the_range_parameters_are_the_spec_ranges():
    params = range_parameters()
    for sheet in sheets.SHEETS:
        for f in sheet.ranged:
            key = f"{sheet.table}_{f.name}"
            assert (params[f"{key}_min"], params[f"{key}_max"]) == f.range
            assert params[f"{key}_range"] == f.range_text


def test_every_rule_is_in_the_checks_readme():
    """checks/README.md's rule table names every rule (a `prefix_*` row covers its family)."""
    import re

    text = (SUITES / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"(?<![A-Za-z_])([a-z][a-z_]*[a-z](?:_\*)?)", text))
    families = [n[:-1] for n in named if n.endswith("*")]
    missing = [
        e["meta"]["rule"]
        for s in read_suite_files(SUITES).values()
        for e in s["expectations"]
        if e["meta"]["rule"] not in named and not any(e["meta"]["rule"].startswith(f) for f in families)
    ]
    assert missing == []
