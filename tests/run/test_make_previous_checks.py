"""The checks step follows last term's checked students into this term's returns (控辍保学): make builds last
term's checks first (a recursive `make checks TERM=<previous>`) and re-runs this term's checks when they change.
Real make, dry runs on a scratch project (the pipeline itself is not run)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from helpers import REPO
from helpers import cleanfixtures as fx

LINKED = ("Makefile", "notebooks", "checks", "src", ".venv", "requirements.lock", "pyproject.toml")


def make(root, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=root, env=env, capture_output=True, text=True)


@pytest.fixture()
def project(tmp_path):
    for name in LINKED:
        (tmp_path / name).symlink_to(REPO / name)
    shutil.copytree(REPO / "params", tmp_path / "params")
    for term in ("2023-1", "2023-2"):
        fx.write_office(tmp_path / "data" / "raw" / term)
    return tmp_path


def test_last_terms_checks_come_first(project):
    run = make(project, "-n", "checks", "TERM=2023-2")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    first = out.index("==> 先检查上学期 2023-1 的数据（用于跨学期学籍核对）")
    assert out.index("make --no-print-directory checks TERM=2023-1") > first
    assert out.index("==> [2/6] 数据质量检查：2023-2") > first


def test_the_first_term_on_disk_has_no_previous_checks(project):
    run = make(project, "-n", "checks", "TERM=2023-1")
    assert run.returncode == 0, run.stderr
    assert "先检查上学期" not in run.stdout and "==> [2/6] 数据质量检查：2023-1" in run.stdout


def test_this_terms_checks_depend_on_last_terms_students(project):
    db = make(project, "-p", "-n", "checks", "TERM=2023-2").stdout
    rule = next(line for line in db.splitlines() if line.startswith("data/checked/2023-2/students.parquet"))
    assert "data/checked/2023-1/students.parquet" in rule
