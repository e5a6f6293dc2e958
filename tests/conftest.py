"""Fixtures shared by every test package (helpers: tests/helpers)."""

from __future__ import annotations

import pytest

from helpers import params_with, shipped_params


@pytest.fixture
def params():
    """The shipped methodology parameters."""
    return shipped_params()


@pytest.fixture
def with_params():
    """``with_params({"reporting": {"min_rank_n": 5}})``: the shipped parameters with a few changes."""
    return params_with
