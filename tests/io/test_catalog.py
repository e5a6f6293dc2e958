"""tqa.io.catalog: where the files live, and the per-process table cache used by the school reports."""

from __future__ import annotations

import os

import pandas as pd

from tqa.io.catalog import Catalog


def test_table_paths_follow_the_dag(tmp_path):
    c = Catalog("2023-2", tmp_path)
    assert c.table("clean", "scores") == tmp_path / "data" / "clean" / "2023-2" / "scores.parquet"
    assert c.table("scores", "results") == tmp_path / "data" / "scores" / "2023-2" / "results.parquet"
    assert c.raw == tmp_path / "data" / "raw" / "2023-2"


def test_read_caches_until_the_file_changes(tmp_path):
    c = Catalog("2023-2", tmp_path)
    path = c.table("scores", "results")
    path.parent.mkdir(parents=True)
    pd.DataFrame({"school_code": ["001", "002"], "mean": [80.5, 71.0]}).to_parquet(path)
    first = c.read("scores", "results")
    first.loc[0, "mean"] = -1.0  # one report changing its frame ...
    first["extra"] = 1
    second = c.read("scores", "results")  # ... leaves the next report's frame as on disk
    assert second["mean"].tolist() == [80.5, 71.0] and "extra" not in second
    pd.DataFrame({"school_code": ["001"], "mean": [90.0]}).to_parquet(path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a re-written table
    again = c.read("scores", "results")
    assert again["mean"].tolist() == [90.0]


def test_read_does_not_reread_an_unchanged_file(tmp_path, monkeypatch):
    c = Catalog("2023-2", tmp_path)
    path = c.table("scores", "trend")
    path.parent.mkdir(parents=True)
    pd.DataFrame({"x": [1]}).to_parquet(path)
    calls = []
    real = pd.read_parquet
    monkeypatch.setattr(pd, "read_parquet", lambda p, *a, **k: calls.append(p) or real(p, *a, **k))
    for _ in range(3):
        assert c.read("scores", "trend")["x"].tolist() == [1]
    assert len(calls) == 1


def test_write_atomic_leaves_no_temporary_file(tmp_path):
    from tqa.io.catalog import write_atomic

    text = write_atomic(tmp_path / "a" / "r.html", "<p>中文</p>")
    data = write_atomic(tmp_path / "a" / "r.pdf", b"%PDF-1.4")
    assert text.read_text(encoding="utf-8") == "<p>中文</p>" and data.read_bytes() == b"%PDF-1.4"
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["r.html", "r.pdf"]


def test_the_raw_folder_rules_name_the_office_folder_as_the_schema_does():
    """tqa.io.rawfiles is stdlib only (make runs it with the system Python): its copy of the office folder's name
    must be the schema's."""
    from tqa.io import rawfiles
    from tqa.schema import office

    assert rawfiles.OFFICE_DIR == office.OFFICE_DIR
