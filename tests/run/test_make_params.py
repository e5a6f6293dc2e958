"""`make report` refuses bad params before its first step, naming the file and the YAML path (one block, in Chinese)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from helpers import REPO

TERM = "2023-2"
LINKED = ("Makefile", "notebooks", "checks", "src", ".venv", "requirements.lock", "pyproject.toml")
METHODOLOGY = "params/methodology.yaml"
TERM_FILE = f"params/terms/{TERM}.yaml"

# (where, what is written, what the message must say): each kind of mistake, in the defaults and in a term file.
# A methodology edit is (old line, new line); a term file is its whole text.
CASES = {
    "unknown-key-methodology": (
        METHODOLOGY,
        ("  warn_below: 0.95", "  warn_below: 0.95\n  warn_above: 1.0"),
        "participation.warn_above：未知的键",
    ),
    "misspelt-key-methodology": (
        METHODOLOGY,
        ("  min_published_n: 10", "  min_publshed_n: 10"),
        "是不是“min_published_n”？",
    ),
    "missing-key-methodology": (
        METHODOLOGY,
        ("  rank_draws: 2000        # 模拟次数\n", ""),
        "uncertainty.rank_draws：缺少这个键",
    ),
    "wrong-type-methodology": (
        METHODOLOGY,
        ("  min_rank_n: 30", "  min_rank_n: 三十"),
        "reporting.min_rank_n：应为整数",
    ),
    "out-of-range-methodology": (METHODOLOGY, ("  level: 0.95", "  level: 1.5"), "uncertainty.level：应小于 1"),
    "unknown-key-term": (TERM_FILE, "participation:\n  warn_above: 1.0\n", "participation.warn_above：未知的键"),
    "misspelt-key-term": (TERM_FILE, "rates:\n  defualt: {pass: 0.5}\n", "是不是“default”？"),
    # A term file overrides only what it writes, so "missing" there is a key written without its value.
    "missing-key-term": (TERM_FILE, "district:\n  name:\n", "district.name：应为文字，但这里只写了键、没有写值"),
    "wrong-type-term": (TERM_FILE, "uncertainty:\n  rank_draws: lots\n", "uncertainty.rank_draws：应为整数"),
    "out-of-range-term": (TERM_FILE, "borderline:\n  margin: 0\n", "borderline.margin：应大于 0"),
}


@pytest.fixture()
def project(tmp_path):
    for name in LINKED:
        (tmp_path / name).symlink_to(REPO / name)
    shutil.copytree(REPO / "params", tmp_path / "params")
    (tmp_path / "data" / "raw" / TERM).mkdir(parents=True)
    return tmp_path


def make_report(root):
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(
        ["make", "--no-print-directory", "report", f"TERM={TERM}"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("case", CASES)
def test_make_report_stops_before_step_1_naming_the_file_and_key(project, case):
    where, edit, expected = CASES[case]
    path = project / where
    if isinstance(edit, tuple):
        old, new = edit
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    else:
        path.write_text(edit, encoding="utf-8")
    run = make_report(project)
    assert run.returncode != 0
    assert "==> [" not in run.stdout, run.stdout
    assert not list((project / "data").rglob("*.parquet")) and not (project / "outputs").exists()
    err = run.stderr
    assert "评价参数（params/）有" in err and "运行已停止" in err and "Traceback" not in err, err
    assert f"  - {where} 第 " in err, err
    assert expected in err, err
    assert "评价参数有误（见上），运行未开始" in err


def test_with_valid_params_the_same_project_would_start_step_1(project):
    """The control for the cases above: nothing else in the scratch project stops make."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    run = subprocess.run(
        ["make", "-n", "--no-print-directory", "report", f"TERM={TERM}"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "==> [1/6]" in run.stdout and "评价参数" not in run.stderr
