"""make never word-splits a file name in data/raw (issue 11): which files are returns is decided in code
(tqa.io.rawfiles), and the steps depend on one listing per term. Real make on a scratch project; the pipeline
itself is not run (tests/e2e runs it, with an oddly named file in its folder)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from helpers import REPO
from helpers import cleanfixtures as fx
from tqa.io import rawfiles
from tqa.run.dag import makevars

TERM = fx.TERM
LINKED = ("Makefile", "notebooks", "checks", "src", ".venv", "requirements.lock", "pyproject.toml")
# Windows' copy name, and every character make or the shell would take for syntax.
ODD = ["001 - 副本.xlsx", "002 $HOME 'a' & (1) #1 %2 :3;*?.xlsx", "说明 (见附件).docx"]


def make(root, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(
        ["make", "--no-print-directory", *args, f"TERM={TERM}"], cwd=root, env=env, capture_output=True, text=True
    )


@pytest.fixture()
def project(tmp_path):
    for name in LINKED:
        (tmp_path / name).symlink_to(REPO / name)
    shutil.copytree(REPO / "params", tmp_path / "params")
    term_dir = tmp_path / "data" / "raw" / TERM
    fx.write_office(term_dir)
    for name in ODD:
        (term_dir / name).write_bytes(b"PK\x03\x04")
    return tmp_path


def clean_files(root):
    words = dict(w.split("=", 1) for w in makevars().split())
    clean = root / "data" / "clean" / TERM
    return [clean / f"{t}.parquet" for t in words["CLEAN_TABLES"].split(",")] + [clean / "inputs.json"]


def test_odd_file_names_do_not_stop_make_and_cleaning_reruns_only_when_the_folder_changes(project):
    run = make(project, "-n", "report")
    assert run.returncode == 0, run.stderr
    assert "==> [1/6]" in run.stdout and "No rule" not in run.stderr and "副本" not in run.stderr
    listing = project / "data" / "clean" / TERM / rawfiles.LISTING
    assert set(ODD) <= {row[0] for row in json.loads(listing.read_text(encoding="utf-8"))}
    mtime = listing.stat().st_mtime_ns
    assert make(project, "-n", "report").returncode == 0 and listing.stat().st_mtime_ns == mtime  # unchanged

    def stale():  # make -q: 1 when cleaning would re-run
        return make(project, "-q", "clean").returncode == 1

    def cleaned():  # as if step 1 had just run
        for path in clean_files(project):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"")
        assert not stale()

    cleaned()
    assert not stale()  # a second look changes nothing
    term_dir = project / "data" / "raw" / TERM
    (term_dir / "~$001 - 副本.xlsx").write_bytes(b"lock")  # Excel opened a return: nothing to re-run
    assert not stale()
    for change in (
        lambda: (term_dir / "003 (1) $x.xlsx").write_bytes(b"new"),  # a file added
        lambda: (term_dir / "003 (1) $x.xlsx").rename(term_dir / "003 #2.xlsx"),  # renamed
        lambda: os.utime(term_dir / ODD[0]),  # re-sent
        lambda: (term_dir / "003 #2.xlsx").unlink(),  # removed
    ):
        change()
        assert stale()
        cleaned()
