"""A scratch project for the end-to-end tests: the repository's code linked in, make run there, and the text a
reader sees in a rendered report."""

from __future__ import annotations

import html as html_module
import os
import re
import subprocess
from pathlib import Path

from helpers import REPO

TERM = "2023-2"
LINKED = ("Makefile", "notebooks", "params", "checks", "src", ".venv", "requirements.lock", "pyproject.toml")


def link_code(root: Path) -> Path:
    """``root`` with the repository's code, notebooks, params and environment linked in (data of its own)."""
    for name in LINKED:
        (root / name).symlink_to(REPO / name)
    return root


def make(root: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """``make ARGS TERM=2023-2`` in ``root``, outside any make that runs the tests."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(
        ["make", "--no-print-directory", *args, f"TERM={TERM}"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def visible_text(html: str, provenance: bool = False) -> str:
    """What a reader sees: no tags, styles, scripts or attributes; without the provenance block (file names and
    hashes) unless asked for."""
    html = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html, flags=re.S)
    if not provenance:
        html = re.sub(r'<footer class="tqa-provenance.*?</footer>', " ", html, flags=re.S)
    return html_module.unescape(re.sub(r"<[^>]+>", " ", html))
