"""make bench's scratch project links the project's own files (a moved module once linked src/ to itself)."""

from __future__ import annotations

from helpers import REPO
from tqa.run import bench


def test_bench_links_the_project(tmp_path):
    assert bench.REPO == REPO
    assert all((REPO / name).exists() for name in bench.LINKED)
    stale = tmp_path / "Makefile"
    stale.symlink_to(tmp_path / "elsewhere" / "Makefile")  # a link left by another checkout
    for name in bench.LINKED:
        if name != "Makefile":
            (tmp_path / name).symlink_to(REPO / name)
    bench.link_project(tmp_path)
    assert all((tmp_path / name).resolve() == (REPO / name).resolve() for name in bench.LINKED)
