"""tqa.run.runner: kernel reuse, isolation, string parameters, failures, deterministic notebooks, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tqa.run.runner import NotebookFailed, NotebookJob, normalize_notebook, run_jobs, run_notebook

PARAMS = "school = 'x'\nterm = 'y'"


def make_nb(path: Path, *sources: str, params: str = PARAMS) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    p = nbformat.v4.new_code_cell(params)
    p.metadata.tags = ["parameters"]
    cells = [nbformat.v4.new_markdown_cell("# 测试")] + [p]
    cells += [
        nbformat.v4.new_markdown_cell(s[2:]) if s.startswith("#!") else nbformat.v4.new_code_cell(s) for s in sources
    ]
    nb.cells = cells
    nbformat.write(nb, str(path))
    return path


def stdout_of(path: Path) -> str:
    nb = nbformat.read(str(path), as_version=4)
    return "".join(
        o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "stream" and o.name == "stdout"
    )


@pytest.fixture(scope="module")
def nbs(tmp_path_factory):
    d = tmp_path_factory.mktemp("nbs")
    return {
        "typed": make_nb(d / "typed.ipynb", "print(repr(school), type(school).__name__)"),
        "dirty": make_nb(
            d / "dirty.ipynb",
            "import os, matplotlib, warnings\nsecret = 42\nmatplotlib.rcParams['figure.dpi'] = 33\n"
            "warnings.simplefilter('ignore')\nprint('pid', os.getpid())",
        ),
        "probe": make_nb(
            d / "probe.ipynb",
            "import os, matplotlib, warnings\n"
            "print('secret' in dir(), 'secret' in globals())\n"
            "print('dpi', matplotlib.rcParams['figure.dpi'])\n"
            "print('filters', any(f[0] == 'ignore' and f[2] is Warning for f in warnings.filters))\n"
            "print('pid', os.getpid())",
        ),
        "bad": make_nb(d / "bad.ipynb", "x = 1", "raise KeyError('缺少学校')", "print('never')"),
    }


def test_parameters_arrive_as_strings(nbs, tmp_path):
    out = tmp_path / "typed.ipynb"
    [r] = run_jobs([NotebookJob(nbs["typed"], out, {"school": "001"})], workers=1, progress=False)
    assert r.ok, r.error
    assert stdout_of(out) == "'001' str\n"


def test_kernel_reuse_isolates_namespaces(nbs, tmp_path):
    a, b = tmp_path / "dirty.ipynb", tmp_path / "probe.ipynb"
    results = run_jobs(
        [NotebookJob(nbs["dirty"], a), NotebookJob(nbs["probe"], b, {"school": "p"})], workers=1, progress=False
    )
    assert [r.ok for r in results] == [True, True]
    pid_a = stdout_of(a).split()[-1]
    lines = stdout_of(b).splitlines()
    assert lines[0] == "False False"  # the variable of the previous notebook is gone
    assert lines[1] == "dpi 100.0"  # matplotlib rcParams back to the kernel's start state
    assert lines[2] == "filters False"  # warning filters restored
    assert lines[3] == f"pid {pid_a}"  # ... yet it was the same kernel process
    nb = nbformat.read(str(b), as_version=4)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == [1, 2, 3]  # parameters, injected parameters, probe: counts restart


def test_failing_job_does_not_stop_others(nbs, tmp_path):
    jobs = [
        NotebookJob(nbs["typed"], tmp_path / "1.ipynb", {"school": "001"}),
        NotebookJob(nbs["bad"], tmp_path / "2.ipynb", {"school": "003"}),
        NotebookJob(nbs["typed"], tmp_path / "3.ipynb", {"school": "004"}),
    ]
    results = run_jobs(jobs, workers=2, progress=False)
    assert [r.ok for r in results] == [True, False, True]
    bad = results[1]
    assert (bad.ename, bad.evalue) == ("KeyError", "'缺少学校'")
    assert "bad.ipynb" in bad.error and "school='003'" in bad.error and "KeyError" in bad.error
    assert "执行失败" in bad.error
    assert stdout_of(tmp_path / "3.ipynb") == "'004' str\n"
    # papermill's error banner is kept in the written notebook, which is normalised too
    text = (tmp_path / "2.ipynb").read_text(encoding="utf-8")
    assert "papermill-error-cell" in text and "start_time" not in text
    assert "never" not in stdout_of(tmp_path / "2.ipynb")


def test_executed_notebook_is_byte_identical_across_runs(nbs, tmp_path):
    out = tmp_path / "typed.ipynb"
    job = NotebookJob(nbs["typed"], out, {"school": "001"})
    run_jobs([job], workers=1, progress=False)
    first = out.read_bytes()
    run_jobs([job, job], workers=1, progress=False)  # second run on an already used kernel
    assert out.read_bytes() == first
    nb = json.loads(first)
    assert [c["id"] for c in nb["cells"]] == ["cell-0001", "cell-0002", "cell-0003", "cell-0004"]
    assert "start_time" not in first.decode() and '"execution"' not in first.decode()


def test_run_notebook_raises_readable_error(nbs, tmp_path):
    with pytest.raises(NotebookFailed) as info:
        run_notebook(NotebookJob(nbs["bad"], tmp_path / "bad.ipynb", {"school": "003"}))
    assert info.value.ename == "KeyError" and info.value.evalue == "'缺少学校'"
    assert "Traceback" not in str(info.value) and "第 5 个单元格" in str(info.value)


def test_run_notebook_ok_is_deterministic(nbs, tmp_path):
    out = tmp_path / "t.ipynb"
    run_notebook(NotebookJob(nbs["typed"], out, {"school": "007"}))
    first = out.read_bytes()
    run_notebook(NotebookJob(nbs["typed"], out, {"school": "007"}))
    assert out.read_bytes() == first and stdout_of(out) == "'007' str\n"


def test_cli_strings_and_exit_codes(nbs, tmp_path):
    out = tmp_path / "cli.ipynb"
    ok = subprocess.run(
        [sys.executable, "-m", "tqa.run.runner", str(nbs["typed"]), str(out), "-p", "school", "001"],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert stdout_of(out) == "'001' str\n"
    bad = subprocess.run(
        [sys.executable, "-m", "tqa.run.runner", str(nbs["bad"]), str(tmp_path / "b.ipynb")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    assert "KeyError: '缺少学校'" in bad.stderr and "Traceback" not in bad.stderr


def test_normalize_notebook_strips_timings():
    nb = nbformat.v4.new_notebook()
    nb.metadata.papermill = {"start_time": "t0", "end_time": "t1", "duration": 1.5, "parameters": {"a": "1"}}
    c = nbformat.v4.new_code_cell("1")
    c.metadata.execution = {"iopub.status.busy": "t"}
    c.metadata.papermill = {"start_time": "t", "end_time": "t", "duration": 0.1, "status": "completed"}
    nb.cells = [nbformat.v4.new_markdown_cell("x"), c]
    normalize_notebook(nb)
    assert nb.metadata.papermill == {"parameters": {"a": "1"}}
    assert [x.id for x in nb.cells] == ["cell-0001", "cell-0002"]
    assert dict(nb.cells[1].metadata) == {"papermill": {"status": "completed"}}
    nbformat.validate(nb)
