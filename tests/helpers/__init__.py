"""Shared by the tests: the repository's root, its shipped parameters, and parameters with a few changes."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SUITES = REPO / "checks"


@lru_cache(maxsize=1)
def shipped_params():
    """params/methodology.yaml as the pipeline reads it (a term without an override file)."""
    from tqa.params import load_params

    return load_params("1999-1", REPO / "params")


def params_with(changes: dict | None = None):
    """The shipped parameters with ``changes`` (a nested dict, as a term file writes them), validated."""
    from tqa.params import override

    return override(shipped_params(), changes) if changes else shipped_params()
