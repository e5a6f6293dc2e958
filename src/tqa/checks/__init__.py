"""Step 2, data-quality checks: Great Expectations suites (checks/*.json) run on the clean tables.

Public API: run_checks, CheckResult, read_registry, read_exam_spec, read_item_spec, load_suites.
"""
from tqa.checks.step import (STATUS_MISSING, BlockingDataError, STATUS_OK, STATUS_PARTIAL, STATUS_SET_ASIDE, CheckResult, run_checks,
                   summarise)
from tqa.io.office import normalise_school_code, read_exam_spec, read_item_spec, read_registry
from tqa.checks.suites import load_suites, read_suite_files

__all__ = ["BlockingDataError", "CheckResult", "run_checks", "summarise", "read_registry", "read_exam_spec", "read_item_spec", "load_suites",
           "read_suite_files", "normalise_school_code", "STATUS_OK", "STATUS_PARTIAL", "STATUS_MISSING",
           "STATUS_SET_ASIDE"]
