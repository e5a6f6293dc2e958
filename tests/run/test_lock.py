"""One `make report` per term at a time (tqa.run.lock), and outputs that say when their run did not finish."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from helpers import REPO
from tqa.run import lock

TERM = "2023-2"


def wrapper(tmp_path, *cmd, env=None) -> subprocess.CompletedProcess:
    """The wrapper as the Makefile runs it (system Python, PYTHONPATH=src), around ``cmd``."""
    out = tmp_path / "outputs" / TERM
    args = ["--term", TERM, "--mode", "internal", "--out", str(out), "--rdir", str(out)]
    args += ["--office", str(tmp_path / "data" / "raw" / TERM / "office"), "--", *cmd]
    return subprocess.run(
        [sys.executable, "-m", "tqa.run.lock", *args],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO / "src"), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_second_run_of_the_same_term_stops_naming_the_running_one(tmp_path):
    out = tmp_path / "outputs" / TERM
    fd = lock.acquire(out, TERM, "internal")  # "the first run"
    try:
        started = json.loads((out / lock.HOLDER_NAME).read_text(encoding="utf-8"))["started"]
        run = wrapper(tmp_path, "touch", "ran")
        assert run.returncode == lock.BUSY
        assert run.stderr.strip() == (
            f"错误：另一个 make report TERM={TERM} 正在运行（进程 {os.getpid()}，开始于 {started}，MODE=internal），"
            "请等它结束后再运行（两次运行同时写同一学期的文件，结果会互相覆盖）。"
        )
        assert not (tmp_path / "ran").exists()  # the second run did nothing
        assert not (out / lock.MARKER_NAME).exists()
    finally:
        lock.release(fd, out)
    run = wrapper(tmp_path, "touch", "ran")
    assert run.returncode == 0 and (tmp_path / "ran").exists()
    assert sorted(p.name for p in out.iterdir()) == [lock.LOCK_NAME]  # holder and marker gone after success


def test_the_lock_of_a_killed_run_does_not_block_the_next(tmp_path):
    out = tmp_path / "outputs" / TERM
    code = (
        "import os, signal, sys; from pathlib import Path; from tqa.run import lock; "
        f"lock.acquire(Path({str(out)!r}), {TERM!r}, 'internal'); os.kill(os.getpid(), signal.SIGKILL)"
    )
    killed = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(REPO / "src")}, timeout=60
    )
    assert killed.returncode == -9 and (out / lock.HOLDER_NAME).exists()  # it left its holder file behind
    run = wrapper(tmp_path, "true")
    assert run.returncode == 0, run.stderr
    assert not (out / lock.HOLDER_NAME).exists()


def outputs(tmp_path):
    out = tmp_path / "outputs" / TERM
    out.mkdir(parents=True)
    index = out / "index.html"
    index.write_text("<!DOCTYPE html>\n<html>\n<body>\n<h1>目录</h1>\n</body>\n</html>\n", encoding="utf-8")
    manifest = out / "manifest.json"
    manifest.write_text(json.dumps({"term": TERM, "outputs": []}, ensure_ascii=False, indent=2) + "\n")
    os.utime(index, ns=(10**18, 10**18))
    os.utime(manifest, ns=(10**18, 10**18))
    return out, index, manifest


def test_a_failed_run_leaves_a_red_banner_and_a_manifest_entry_that_a_complete_run_removes(tmp_path):
    out, index, manifest = outputs(tmp_path)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (index, manifest)}
    failed = wrapper(tmp_path, "false")
    assert failed.returncode == 1
    assert (
        f"运行没有完成：{out} 中的文件可能一部分是本次的、一部分是上一次的（index.html 顶部有红色提示）。"
        in failed.stderr
    )
    html = index.read_text(encoding="utf-8")
    banner = re.search(r'<div role="alert"[^>]*>(.*?)</div>', html).group(1)
    assert re.fullmatch(
        rf"本目录中的报告来自一次未完成的运行（make report TERM={TERM}，开始于 \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC）："
        "有的文件可能已是新的，有的仍是上一次运行的，彼此可能对不上。请查看运行时屏幕上的提示，处理后重新运行"
        f" make report TERM={TERM}；运行完成后本提示自动消失。",
        banner,
    )
    assert html.index("<body>") < html.index(banner) < html.index("<h1>")
    assert json.loads(manifest.read_text(encoding="utf-8"))["incomplete_run"] == banner
    # make must not take the marked files for new outputs
    assert all(p.stat().st_mtime_ns == mtime for p, (_, mtime) in before.items())
    assert (out / lock.MARKER_NAME).exists()

    again = wrapper(tmp_path, "true")
    assert again.returncode == 0
    assert (
        "注意：上一次运行（开始于 " in again.stderr and "）没有完成，本次运行会重新生成未完成的部分。" in again.stderr
    )
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (index, manifest)} == before  # byte for byte
    assert not (out / lock.MARKER_NAME).exists()


def test_the_index_step_shows_the_banner_while_the_marker_is_there():
    marker = {"term": TERM, "started": "2026-12-01 15:30:00 UTC"}
    html = "<html><body class='x'><h1>t</h1></body></html>"
    marked = lock.with_banner(lock.with_banner(html, marker), marker)
    assert marked.count('role="alert"') == 1 and marked.startswith("<html><body class='x'><!--tqa:incomplete-run-->")
    assert lock.without_banner(marked) == html


def test_a_note_says_which_office_csv_was_read_as_gb18030(tmp_path):
    office = tmp_path / "data" / "raw" / TERM / "office"
    office.mkdir(parents=True)
    (office / "registry.csv").write_bytes("学校代码,学校名称\n001,城东小学\n".encode("gb18030"))
    (office / "exam_spec.csv").write_bytes("年级,学科,满分,评价方式\n".encode("utf-8-sig"))
    (office / "inspection_ratings.csv").write_bytes(b"PK\x03\x04\x00\x00")
    run = wrapper(tmp_path, "true")
    assert run.returncode == 0
    assert run.stderr.splitlines() == [
        "注意：inspection_ratings.csv 的文字编码无法识别，读取它的步骤会停止。"
        "请用 Excel 打开该文件，“另存为”并选择“CSV UTF-8（逗号分隔）(*.csv)”，再重新运行",
        "注意：registry.csv 按 GB18030（中文 Windows 的编码）读取（不是 UTF-8；内容照常使用，建议另存为“CSV UTF-8”）",
    ]


@pytest.fixture
def scratch(tmp_path):
    """A project with the repository's Makefile and code and no environment: `make report` gets only as far as
    the lock."""
    for name in ("Makefile", "src", "params", "checks", "notebooks"):
        (tmp_path / name).symlink_to(REPO / name)
    (tmp_path / "data" / "raw" / TERM / "office").mkdir(parents=True)
    return tmp_path


def make(root, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(
        ["make", "--no-print-directory", *args, f"TERM={TERM}"], cwd=root, env=env, capture_output=True, text=True
    )


def test_make_report_takes_the_lock_and_a_dry_run_does_not(scratch):
    out = scratch / "outputs" / TERM
    fd = lock.acquire(out, TERM, "internal")
    try:
        run = make(scratch, "report")
        assert run.returncode != 0
        assert f"错误：另一个 make report TERM={TERM} 正在运行（进程 {os.getpid()}，" in run.stderr
        assert "==> " not in run.stdout  # no step started (not even the environment's installation)
        dry = make(scratch, "-n", "report")
        assert "tqa.run.lock" not in dry.stdout and "正在运行" not in dry.stderr
    finally:
        lock.release(fd, out)
