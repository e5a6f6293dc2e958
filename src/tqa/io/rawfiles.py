"""Which entries of a term's raw folder are returns, decided here in code (stdlib only: the Makefile runs it
with the system Python while it reads its rules).

A return is a regular file directly in data/raw/<T>/ whose name ends in .xlsx, .xlsm or .xls (any case): the
format is then told by its content (``tqa.clean.reader``), not by the name. Anything else in the folder is
listed, never silently dropped and never followed: a symbolic link (it may point outside the project), a
folder named like a return, a pipe; a file of another kind (a PDF, a Word file, a CSV). The office's own
folder (office/), Excel's lock files (~$…) and the hidden files a desktop leaves behind are not returns and not
problems.

make never sees a file name: its rules depend on one listing per term (``write_listing``: every entry under
data/raw/<T>/ with its type, size and modification time, rewritten only when it changes), so a name with a
space, a quote, ``$``, ``#``, ``%`` or ``:`` (Windows' "005 - 副本.xlsx") is data, not make syntax.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

RETURN_SUFFIXES = (".xlsx", ".xlsm", ".xls")
OFFICE_DIR = "office"  # (tqa.schema.office.OFFICE_DIR, which tests/io/test_catalog.py checks against this)
# Left alone: Excel's lock files, hidden files (.DS_Store), Windows' thumbnail and folder settings.
SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini"})
LISTING = ".raw-files.json"  # under data/clean/<T>/: what make depends on instead of file names

RETURN = "return"
NOT_REGULAR = "not_regular"  # named like a return, but not a regular file
NOT_RETURN = "not_return"  # a file or folder that is not a return


@dataclass(frozen=True)
class Entry:
    path: Path
    kind: str  # RETURN, NOT_REGULAR or NOT_RETURN
    what: str = ""  # for the two others: what the entry is, in Chinese

    @property
    def name(self) -> str:
        return self.path.name


def ignored(name: str) -> bool:
    return name.startswith(("~$", ".")) or name.lower() in SYSTEM_FILES


def is_return_name(name: str) -> bool:
    return Path(name).suffix.lower() in RETURN_SUFFIXES


def describe(mode: int) -> str:
    """What a non-regular entry is, as the office would call it."""
    if stat.S_ISLNK(mode):
        return "符号链接（快捷方式）"
    if stat.S_ISDIR(mode):
        return "文件夹"
    if stat.S_ISFIFO(mode):
        return "管道文件"
    return "特殊文件"


def scan(term_dir: str | Path) -> list[Entry]:
    """Every entry of a term folder that is a return or a problem, sorted by name (lstat: nothing is followed)."""
    term_dir = Path(term_dir)
    out = []
    try:
        names = sorted(os.listdir(term_dir))
    except FileNotFoundError:
        return []
    for name in names:
        if ignored(name):
            continue
        path = term_dir / name
        mode = os.lstat(path).st_mode
        if name == OFFICE_DIR and stat.S_ISDIR(mode):
            continue
        regular = stat.S_ISREG(mode)
        if is_return_name(name):
            out.append(Entry(path, RETURN) if regular else Entry(path, NOT_REGULAR, describe(mode)))
        else:
            out.append(Entry(path, NOT_RETURN, "文件" if regular else describe(mode)))
    return out


def return_files(term_dir: str | Path) -> list[Path]:
    return [e.path for e in scan(term_dir) if e.kind == RETURN]


def regular_files(term_dir: str | Path) -> list[Path]:
    """Every regular file under a term folder (office/ included), symbolic links neither listed nor followed."""
    out = []
    for parent, dirs, files in os.walk(term_dir):  # followlinks=False: a linked folder is not entered
        dirs.sort()
        for name in sorted(files):
            path = Path(parent) / name
            if not name.startswith("~$") and stat.S_ISREG(os.lstat(path).st_mode):
                out.append(path)
    return sorted(out)


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """The sha256 of a file, read in chunks (a file is never held whole in memory to be hashed)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


# ---- the listing make depends on ----------------------------------------------------------------------
def listing(term_dir: str | Path) -> list[list]:
    """Every entry under a term folder, nothing followed: [relative path, type, size, mtime_ns] (a link's
    target in the size's place; a folder without its time, which changes whenever Excel opens a file in it and
    leaves a lock file), in a stable order. Lock files and hidden files are left out, as ``scan`` leaves them."""
    term_dir = Path(term_dir)
    rows = []
    for parent, dirs, files in os.walk(term_dir):  # (a linked folder is listed among dirs, not entered)
        dirs[:] = sorted(d for d in dirs if not ignored(d))
        for name in sorted([*dirs, *(f for f in files if not ignored(f))]):
            path = Path(parent) / name
            st = os.lstat(path)
            rel = path.relative_to(term_dir).as_posix()
            if stat.S_ISLNK(st.st_mode):
                rows.append([rel, "link", os.readlink(path), st.st_mtime_ns])
            elif stat.S_ISREG(st.st_mode):
                rows.append([rel, "file", st.st_size, st.st_mtime_ns])
            elif stat.S_ISDIR(st.st_mode):
                rows.append([rel, "dir", 0, 0])
            else:
                rows.append([rel, "other", 0, st.st_mtime_ns])
    return rows


def write_listing(root: str | Path, term: str) -> bool:
    """data/clean/<T>/.raw-files.json from data/raw/<T>/, written only when it changed (make re-runs cleaning
    when a return is added, removed, renamed or re-sent, and nothing when nothing changed). True if written."""
    root = Path(root)
    text = json.dumps(listing(root / "data" / "raw" / term), ensure_ascii=False, indent=0) + "\n"
    out = root / "data" / "clean" / term / LISTING
    if out.exists() and out.read_text(encoding="utf-8") == text:
        return False
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return True
