"""Step 2, data-quality checks: Great Expectations suites (checks/*.json) run on the clean tables.

Public API: run_checks, CheckResult, BlockingDataError, summarise, load_suites, read_suite_files, and the
school statuses. The office's files are read with ``tqa.io.office``.
"""

from tqa.checks.step import (
    STATUS_FIXED,
    STATUS_KEPT,
    STATUS_MISSING,
    STATUS_OK,
    STATUS_PARTIAL,
    STATUS_SET_ASIDE,
    STATUSES,
    BlockingDataError,
    CheckResult,
    run_checks,
    school_status,
    summarise,
)
from tqa.checks.suites import load_suites, read_suite_files

__all__ = [
    "BlockingDataError",
    "CheckResult",
    "run_checks",
    "school_status",
    "summarise",
    "load_suites",
    "read_suite_files",
    "STATUSES",
    "STATUS_OK",
    "STATUS_FIXED",
    "STATUS_KEPT",
    "STATUS_PARTIAL",
    "STATUS_SET_ASIDE",
    "STATUS_MISSING",
]
