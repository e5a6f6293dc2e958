"""One `make report` per term at a time, and outputs that say when the run that wrote them did not finish.

The Makefile runs ``python -m tqa.run.lock ... -- make report TQA_LOCKED=1`` with the system Python (standard
library only: on a new machine the virtual environment does not exist yet). This wrapper

- takes an exclusive flock(2) on ``outputs/<T>/.run.lock`` (one lock per term: both editions share the
  term's clean, checked and statistics tables). A second run stops at once with a message naming the running
  one's process and start time. The kernel drops the lock when the process ends, however it ends, so a killed
  run never leaves a stale lock behind;
- writes ``.run-incomplete.json`` in the edition's report directory before the first step and removes it
  after the last one succeeded; while it is there, index.html carries a red banner and manifest.json an
  ``incomplete_run`` entry saying that the files on disk may be a mix of this run's and an earlier one's.
  Banner and entry are added to the files in place with their modification times kept (make must not see
  them as new) and removed byte for byte at the successful end, so complete runs stay byte-identical;
- prints a note for an office CSV that is not UTF-8 (Excel on Chinese Windows saves GB18030).

Nothing here is time-dependent in a complete run's outputs: the start time is only in the files removed (or
the text stripped) at its end.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tqa.core.encoding import EXPECTED, HOW_TO_SAVE, file_encoding

LOCK_NAME = ".run.lock"  # in outputs/<T>/: empty, never rewritten (its bytes and mtime stay the same)
HOLDER_NAME = ".run-holder.json"  # in outputs/<T>/ while a run holds the lock: who and since when
MARKER_NAME = ".run-incomplete.json"  # in the report directory from a run's start to its successful end
RUN_FILES = (LOCK_NAME, HOLDER_NAME, MARKER_NAME)  # not outputs: the manifest lists none of them
BUSY = 75  # EX_TEMPFAIL: try again later

_BANNER_START, _BANNER_END = "<!--tqa:incomplete-run-->", "<!--/tqa:incomplete-run-->"
_BANNER_RE = re.compile(re.escape(_BANNER_START) + ".*?" + re.escape(_BANNER_END), re.S)
_MANIFEST_KEY = '  "incomplete_run": '
_BANNER_STYLE = "background:#b00020;color:#fff;padding:.8em 1em;margin:0 0 1em;font-weight:bold;line-height:1.6"


class Busy(RuntimeError):
    """Another run holds the term's lock; the message says which (Chinese)."""


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def busy_message(term: str, holder: dict) -> str:
    who = "，".join(
        part
        for part in (
            f"进程 {holder['pid']}" if holder.get("pid") else "",
            f"开始于 {holder['started']}" if holder.get("started") else "",
            f"MODE={holder['mode']}" if holder.get("mode") else "",
        )
        if part
    )
    return (
        f"另一个 make report TERM={term} 正在运行{f'（{who}）' if who else ''}，请等它结束后再运行"
        "（两次运行同时写同一学期的文件，结果会互相覆盖）。"
    )


def acquire(out: Path, term: str, mode: str) -> int:
    """The term's lock (an open descriptor; closing it, or the process ending, releases it) or Busy."""
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise Busy(busy_message(term, _read_json(out / HOLDER_NAME))) from None
    holder = {"term": term, "mode": mode, "pid": os.getpid(), "started": _now()}
    (out / HOLDER_NAME).write_text(json.dumps(holder, ensure_ascii=False) + "\n", encoding="utf-8")
    return fd


def release(fd: int, out: Path) -> None:
    (out / HOLDER_NAME).unlink(missing_ok=True)
    os.close(fd)  # drops the flock


# ---- the incomplete-run marks ------------------------------------------------------------------------
def banner_text(marker: dict) -> str:
    term = marker.get("term", "")
    return (
        f"本目录中的报告来自一次未完成的运行（make report TERM={term}，开始于 {marker.get('started', '')}）："
        "有的文件可能已是新的，有的仍是上一次运行的，彼此可能对不上。请查看运行时屏幕上的提示，处理后重新运行"
        f" make report TERM={term}；运行完成后本提示自动消失。"
    )


def with_banner(html: str, marker: dict) -> str:
    """index.html with the red banner right after <body> (once)."""
    html = without_banner(html)
    block = f'{_BANNER_START}<div role="alert" style="{_BANNER_STYLE}">{banner_text(marker)}</div>{_BANNER_END}'
    m = re.search(r"<body[^>]*>", html)
    at = m.end() if m else 0
    return html[:at] + block + html[at:]


def without_banner(html: str) -> str:
    return _BANNER_RE.sub("", html)


def _rewrite_keeping_mtime(path: Path, text: str) -> None:
    """Rewrite a file in place with its timestamps kept: make decides by modification time, and a banner added
    or removed is not a new output."""
    if path.read_text(encoding="utf-8") == text:
        return
    st = path.stat()
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def read_marker(rdir: Path) -> dict | None:
    path = rdir / MARKER_NAME
    return (_read_json(path) or {"term": "", "started": ""}) if path.exists() else None


def mark_outputs(rdir: Path) -> None:
    """Put the marker's banner into index.html and its entry into manifest.json (when they exist)."""
    marker = read_marker(rdir)
    if marker is None:
        return
    index, manifest = rdir / "index.html", rdir / "manifest.json"
    if index.exists():
        _rewrite_keeping_mtime(index, with_banner(index.read_text(encoding="utf-8"), marker))
    if manifest.exists():
        text = _manifest_without_entry(manifest.read_text(encoding="utf-8"))
        if text.startswith("{\n"):
            entry = _MANIFEST_KEY + json.dumps(banner_text(marker), ensure_ascii=False) + ",\n"
            _rewrite_keeping_mtime(manifest, "{\n" + entry + text[2:])


def _manifest_without_entry(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith(_MANIFEST_KEY))


def unmark_outputs(rdir: Path) -> None:
    """Take the banner and the manifest entry out again, byte for byte."""
    index, manifest = rdir / "index.html", rdir / "manifest.json"
    if index.exists():
        _rewrite_keeping_mtime(index, without_banner(index.read_text(encoding="utf-8")))
    if manifest.exists():
        _rewrite_keeping_mtime(manifest, _manifest_without_entry(manifest.read_text(encoding="utf-8")))


def start_run(rdir: Path, term: str, mode: str) -> dict | None:
    """Write the marker (the outputs are incomplete from now on); the previous run's marker, if it left one."""
    previous = read_marker(rdir)
    rdir.mkdir(parents=True, exist_ok=True)
    marker = {"term": term, "mode": mode, "pid": os.getpid(), "started": _now()}
    (rdir / MARKER_NAME).write_text(json.dumps(marker, ensure_ascii=False) + "\n", encoding="utf-8")
    mark_outputs(rdir)
    return previous


def finish_run(rdir: Path) -> None:
    unmark_outputs(rdir)
    (rdir / MARKER_NAME).unlink(missing_ok=True)


def encoding_notes(office_dir: Path) -> list[str]:
    notes = []
    for path in sorted(office_dir.glob("*.csv")) if office_dir.is_dir() else ():
        enc = file_encoding(path)
        if enc is None:
            notes.append(f"注意：{path.name} 的文字编码无法识别，读取它的步骤会停止。{HOW_TO_SAVE}")
        elif enc not in EXPECTED:
            notes.append(f"注意：{path.name} 按 {enc}读取（不是 UTF-8；内容照常使用，建议另存为“CSV UTF-8”）")
    return notes


# ---- the wrapper ---------------------------------------------------------------------------------------
def run_locked(cmd: list[str], term: str, mode: str, out: Path, rdir: Path, office_dir: Path) -> int:
    try:
        fd = acquire(out, term, mode)
    except Busy as e:
        print(f"错误：{e}", file=sys.stderr)
        return BUSY
    try:
        previous = start_run(rdir, term, mode)
        if previous is not None:
            print(
                f"注意：上一次运行（开始于 {previous.get('started') or '未知时间'}）没有完成，本次运行会重新生成未完成的部分。",
                file=sys.stderr,
            )
        for note in encoding_notes(office_dir):
            print(note, file=sys.stderr)
        child = subprocess.Popen(cmd, close_fds=False)  # make's jobserver descriptors pass through
        # Ctrl+C reaches make itself (same process group); here it must not cut the bookkeeping short.
        previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: child.terminate())
        try:
            rc = child.wait()
        finally:
            signal.signal(signal.SIGINT, previous_int)
        if rc == 0:
            finish_run(rdir)
        else:
            mark_outputs(rdir)  # index.html may have been rewritten by this run, without the banner
            print(
                f"运行没有完成：{rdir} 中的文件可能一部分是本次的、一部分是上一次的（index.html 顶部有红色提示）。"
                f"处理上面的问题后请重新运行 make report TERM={term}。",
                file=sys.stderr,
            )
        return rc
    finally:
        release(fd, out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        print(
            "用法：python -m tqa.run.lock --term T --mode M --out DIR --rdir DIR --office DIR -- 命令 ...",
            file=sys.stderr,
        )
        return 2
    split = argv.index("--")
    ap = argparse.ArgumentParser(prog="python -m tqa.run.lock")
    ap.add_argument("--term", required=True)
    ap.add_argument("--mode", default="internal")
    ap.add_argument("--out", required=True, type=Path, help="outputs/<T>: where the lock lives")
    ap.add_argument("--rdir", required=True, type=Path, help="the edition's report directory")
    ap.add_argument("--office", required=True, type=Path, help="data/raw/<T>/office")
    args = ap.parse_args(argv[:split])
    cmd = argv[split + 1 :]
    if not cmd:
        ap.error("-- 之后缺少要运行的命令")
    return run_locked(cmd, args.term, args.mode, args.out, args.rdir, args.office)


if __name__ == "__main__":
    sys.exit(main())
