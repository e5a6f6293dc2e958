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


def test_bench_measures_a_zip_bomb_that_cleaning_refuses(tmp_path):
    """The bench's hostile return (smaller here) is refused by cleaning; the figures are measured, never asserted."""
    case = bench.zip_bomb_case(tmp_path, "2023-2", unpacked_mb=120)
    assert case["zip_bomb_rules"] == ["file_too_large_unpacked", "unknown_school"]  # (no registry in the bench)
    assert case["zip_bomb_file_mb"] < 5 and case["zip_bomb_unpacked_mb"] == 120
    assert {"zip_bomb_s", "zip_bomb_peak_rss_mb", "zip_bomb_baseline_rss_mb"} <= set(case)
