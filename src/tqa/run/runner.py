"""Notebook execution: papermill with a reused kernel, parallel worker processes, deterministic output.

Two ways to run a notebook:
- run_notebook(job): one pipeline step (clean / checks / scores / district) in this process, with a fresh
  papermill kernel; raises NotebookFailed with a readable Chinese message.
- run_jobs(jobs, workers): many parameterised notebooks (one per school). Each worker process keeps ONE
  kernel alive for all its notebooks (papermill engine "tqa_reuse") and resets the kernel's namespace
  between notebooks, which saves the ~0.9 s kernel start/stop per notebook. A failing job never stops
  the others; every job gets a JobResult.

Executed notebooks are normalised (no timings, stable cell ids) so that two runs give identical bytes.

CLI: python -m tqa.run.runner NOTEBOOK OUTPUT_IPYNB [-p name value ...] [--html H] [--pdf P]
"""

from __future__ import annotations

import argparse
import atexit
import functools
import itertools
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient.util import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.exceptions import PapermillExecutionError
from papermill.execute import execute_notebook

from tqa.io.catalog import write_atomic

ENGINE_NAME = "tqa_reuse"
STEP_TIMEOUT = None  # pipeline steps may legitimately run long
JOB_CELL_TIMEOUT = 600  # a school report cell running 10 min is stuck: fail that job, keep going
START_TIMEOUT = 60

_TIMING_KEYS = ("start_time", "end_time", "duration")


# --------------------------------------------------------------------------------------------------
# Jobs and results
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NotebookJob:
    notebook: Path
    output: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    html: Path | None = None
    pdf: Path | None = None
    cwd: Path | None = None  # kernel working directory (default: this process's cwd)

    def describe(self) -> str:
        params = "，".join(f"{k}={v!r}" for k, v in self.parameters.items()) or "无"
        return f"笔记本 {self.notebook}（参数：{params}）"


@dataclass
class JobResult:
    job: NotebookJob
    ok: bool
    error: str | None = None  # readable Chinese message, None when ok
    ename: str | None = None
    evalue: str | None = None
    cell_index: int | None = None  # 0-based index of the failing cell in the executed notebook
    seconds: float = 0.0  # wall time in the worker (informational only)


class NotebookFailed(RuntimeError):
    """A notebook did not run to the end; str(e) is a readable Chinese message."""

    def __init__(
        self, message: str, ename: str | None = None, evalue: str | None = None, cell_index: int | None = None
    ):
        super().__init__(message)
        self.ename, self.evalue, self.cell_index = ename, evalue, cell_index


def failure_message(job: NotebookJob, ename: str | None, evalue: str | None, cell_index: int | None = None) -> str:
    where = f"第 {cell_index + 1} 个单元格" if cell_index is not None else "执行过程"
    detail = f"{ename}: {evalue}" if evalue else str(ename)
    return f"{job.describe()} 执行失败：{where}出错 {detail}；输出笔记本：{job.output}"


# --------------------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------------------
def normalize_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip timings/timestamps and give cells stable ids (cell-0001, ...), in place; returns nb."""
    nb.nbformat, nb.nbformat_minor = 4, max(int(nb.get("nbformat_minor", 0)), 5)
    pm = nb.metadata.get("papermill")
    if pm is not None:
        for key in _TIMING_KEYS:
            pm.pop(key, None)
    for i, cell in enumerate(nb.cells, start=1):
        cell["id"] = f"cell-{i:04d}"
        cell.metadata.pop("execution", None)  # nbclient's record_timing
        cpm = cell.metadata.get("papermill")
        if cpm is not None:
            for key in _TIMING_KEYS:
                cpm.pop(key, None)
    return nb


def _write(nb: nbformat.NotebookNode, path: Path) -> None:
    write_atomic(path, nbformat.writes(nb))


def _renormalize_file(path: Path) -> None:
    """After a failure papermill wrote the notebook (with its error banner): normalise it too."""
    if path.exists():
        _write(normalize_notebook(nbformat.read(str(path), as_version=4)), path)


def _first_error(exc: PapermillExecutionError) -> tuple[str, str, int | None]:
    return exc.ename, exc.evalue, exc.cell_index


# --------------------------------------------------------------------------------------------------
# The kernel-reusing papermill engine
# --------------------------------------------------------------------------------------------------
_IPC_SEQ = itertools.count(1)


@functools.lru_cache(maxsize=1)
def _ipc_dir() -> str:
    """A private directory per process for the kernels' unix sockets."""
    path = tempfile.mkdtemp(prefix="tqa-kernels-")
    atexit.register(shutil.rmtree, path, True)
    return path


class _IPCKernelManager(AsyncKernelManager):
    """Local kernels over unix sockets: no TCP ports, and no 'TCP without encryption' warning."""

    def __init__(self, **kwargs):
        kwargs.setdefault("transport", "ipc")
        if kwargs["transport"] == "ipc":
            # The default socket prefix is "kernel-ipc" in the cwd: parallel workers would collide.
            kwargs.setdefault("ip", os.path.join(_ipc_dir(), f"k{next(_IPC_SEQ)}"))
        super().__init__(**kwargs)

    async def start_kernel(self, **kwargs):
        # jupyter_client interrupts a kernel before shutting it down and ipykernel logs that as an ERROR
        # on the terminal at every notebook: keep only critical kernel log lines.
        extra = list(kwargs.pop("extra_arguments", None) or [])
        kwargs["extra_arguments"] = [*extra, "--IPKernelApp.log_level=CRITICAL"]
        await super().start_kernel(**kwargs)


# Runs (silently) in the kernel right after it starts: preload the heavy libraries every report uses,
# then snapshot the state that _RESET restores before each notebook.
_BOOTSTRAP = r"""
def __tqa_bootstrap():
    import sys, warnings
    state = {"filters": list(warnings.filters)}
    try:
        import matplotlib, matplotlib.pyplot, pandas
        state["rc"] = dict(matplotlib.rcParams)
    except ImportError:
        pass
    get_ipython().__tqa_state = state
    import gc
    gc.collect()
    gc.freeze()   # startup objects (libraries) leave the GC's view: each reset's collection gets cheap
__tqa_bootstrap()
del __tqa_bootstrap
"""

# Runs (silently) before each notebook: a clean namespace, execution count 1, the startup rcParams,
# warning filters and pandas options, and the worker's working directory.
_RESET = r"""
def __tqa_reset(cwd):
    import os, sys, warnings
    ip = get_ipython()
    state = getattr(ip, "__tqa_state", {})
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    ip.reset(new_session=True)            # user namespace, history, Out cache; execution_count = 1
    if "rc" in state:
        import matplotlib
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matplotlib.rcParams.update(state["rc"])
    if "pandas" in sys.modules:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sys.modules["pandas"].reset_option("all")
    warnings.filters[:] = state.get("filters", warnings.filters)
    warnings._filters_mutated()           # forget 'already shown' registries: same warnings every run
    os.chdir(cwd)
    # reset() ends with a full gc.collect(); what survives it (the libraries' and tqa's per-process caches)
    # leaves the GC's view, so the next reset and the collections during the next notebook only look at
    # that notebook's objects (a full collection over the caches cost ~0.06 s per school report).
    import gc
    gc.freeze()
__tqa_reset(%r)
"""


class _KernelPool:
    """One live kernel per kernel name in this process."""

    def __init__(self):
        self.kernels: dict[str, tuple[AsyncKernelManager, Any]] = {}

    def get(self, name: str):
        entry = self.kernels.get(name)
        if entry is not None and not run_sync(entry[0].is_alive)():
            self.drop(name)
            entry = None
        return entry

    def put(self, name: str, km, kc) -> None:
        self.kernels[name] = (km, kc)

    def drop(self, name: str) -> None:
        km, kc = self.kernels.pop(name, (None, None))
        if km is None:
            return
        try:
            if kc is not None:
                kc.stop_channels()
            if run_sync(km.is_alive)():
                run_sync(km.shutdown_kernel)(now=True)
            run_sync(km.cleanup_resources)()
        except Exception:  # a dying kernel must not take the worker with it
            pass

    def shutdown(self) -> None:
        for name in list(self.kernels):
            self.drop(name)


KERNELS = _KernelPool()
atexit.register(KERNELS.shutdown)


def shutdown_kernels() -> None:
    """Stop this process's reused kernels (workers do this on exit)."""
    KERNELS.shutdown()


class _ReusingClient(PapermillNotebookClient):
    """papermill's client (error banner, cell metadata) on a kernel that outlives the notebook."""

    def papermill_execute_cells(self):
        reply = self.wait_for_reply(self.kc.execute(_RESET % os.getcwd(), silent=True, store_history=False))
        if reply is None or reply["content"].get("status") != "ok":
            content = (reply or {}).get("content", {})
            raise RuntimeError(f"内核重置失败：{content.get('ename')}: {content.get('evalue')}")
        super().papermill_execute_cells()


class ReusedKernelEngine(NBClientEngine):
    """papermill engine that keeps one kernel per process and normalises the executed notebook."""

    @classmethod
    def execute_notebook(cls, nb, kernel_name, **kwargs):
        kwargs.setdefault("record_timing", False)
        nb = super().execute_notebook(nb, kernel_name, **kwargs)
        return normalize_notebook(nb)

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=START_TIMEOUT,
        execution_timeout=None,
        **kwargs,
    ):
        kwargs.pop("input_path", None)
        kwargs.pop("timeout", None)
        kwargs.pop("startup_timeout", None)
        name = kernel_name or "python3"
        entry = KERNELS.get(name)
        fresh = entry is None
        km = _IPCKernelManager(kernel_name=name) if fresh else entry[0]
        client = _ReusingClient(
            nb_man,
            km=km,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=name,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
            **kwargs,
        )
        if not fresh:
            client.kc = entry[1]
        try:
            if fresh:
                with client.setup_kernel():  # starts kernel + client; not owned, so not shut down
                    reply = client.wait_for_reply(client.kc.execute(_BOOTSTRAP, silent=True, store_history=False))
                    if reply is None or reply["content"].get("status") != "ok":
                        raise RuntimeError("内核初始化失败")
                KERNELS.put(name, km, client.kc)
            return client.execute()
        except Exception as exc:
            # Timeouts, dead kernels, failed resets: the kernel's state is unknown, start afresh next time.
            if not isinstance(exc, PapermillExecutionError):
                KERNELS.put(name, km, client.kc)
                KERNELS.drop(name)
            raise


papermill_engines.register(ENGINE_NAME, ReusedKernelEngine)


# --------------------------------------------------------------------------------------------------
# Running one job
# --------------------------------------------------------------------------------------------------
def _execute(job: NotebookJob, engine_name: str | None, timeout: float | None) -> nbformat.NotebookNode:
    kwargs: dict[str, Any] = {"record_timing": False}
    if engine_name is None:
        kwargs["kernel_manager_class"] = _IPCKernelManager
    if timeout is not None:
        kwargs["execution_timeout"] = timeout
    return execute_notebook(
        str(job.notebook),
        str(job.output),
        parameters=dict(job.parameters),
        engine_name=engine_name,
        request_save_on_cell_execute=False,
        progress_bar=False,
        log_output=False,
        cwd=str(job.cwd) if job.cwd is not None else None,
        **kwargs,
    )


def _run_one(job: NotebookJob, engine_name: str | None, timeout: float | None) -> JobResult:
    t0 = time.perf_counter()
    output = Path(job.output)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        nb = _execute(job, engine_name, timeout)
        if engine_name is None:
            normalize_notebook(nb)
        _write(nb, output)  # the normalised notebook replaces papermill's copy
        if job.html is not None or job.pdf is not None:
            from tqa.reports import render

            render.export(nb, job.html, job.pdf)
        return JobResult(job, True, seconds=time.perf_counter() - t0)
    except PapermillExecutionError as exc:
        _renormalize_file(output)
        ename, evalue, idx = _first_error(exc)
        return JobResult(
            job, False, failure_message(job, ename, evalue, idx), ename, evalue, idx, time.perf_counter() - t0
        )
    except Exception as exc:  # missing file, kernel died, timeout, render error: report, don't stop
        ename, evalue = type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return JobResult(job, False, failure_message(job, ename, evalue), ename, evalue, None, time.perf_counter() - t0)


def run_notebook(job: NotebookJob, timeout: float | None = STEP_TIMEOUT) -> JobResult:
    """Run one pipeline-step notebook here with a fresh papermill kernel; raise NotebookFailed on error."""
    result = _run_one(job, None, timeout)
    if not result.ok:
        raise NotebookFailed(result.error, result.ename, result.evalue, result.cell_index)
    return result


def _shutdown_browser() -> None:
    from tqa.reports import pdf

    pdf.shutdown()


def _worker_init() -> None:
    # Workers leave through os._exit, which skips atexit: use multiprocessing's finaliser instead.
    multiprocessing.util.Finalize(None, shutdown_kernels, exitpriority=100)
    multiprocessing.util.Finalize(None, _shutdown_browser, exitpriority=90)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")


def _worker_run(job: NotebookJob, timeout: float | None) -> JobResult:
    return _run_one(job, ENGINE_NAME, timeout)


def _progress(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        file=sys.stderr,
        disable=not enabled,
        dynamic_ncols=True,
        bar_format="{desc} {n_fmt}/{total_fmt} |{bar}| [{elapsed}<{remaining}]",
    )


def run_jobs(
    jobs: list[NotebookJob],
    workers: int = 2,
    desc: str = "学校报告",
    progress: bool = True,
    timeout: float | None = JOB_CELL_TIMEOUT,
) -> list[JobResult]:
    """Run many notebook jobs, each worker process reusing one kernel; results in job order.

    workers <= 1 runs in this process (its kernel is stopped at the end). A failing job is reported in
    its JobResult and never stops the others.
    """
    jobs = list(jobs)
    results: list[JobResult | None] = [None] * len(jobs)
    bar = _progress(len(jobs), desc, progress)
    try:
        if workers <= 1 or len(jobs) <= 1:
            try:
                for i, job in enumerate(jobs):
                    results[i] = _worker_run(job, timeout)
                    bar.update(1)
            finally:
                shutdown_kernels()
                _shutdown_browser()
        else:
            ctx = multiprocessing.get_context("spawn")  # no fork of a process that may hold zmq threads
            with ProcessPoolExecutor(
                max_workers=min(workers, len(jobs)), mp_context=ctx, initializer=_worker_init
            ) as pool:
                futures = {pool.submit(_worker_run, job, timeout): i for i, job in enumerate(jobs)}
                for fut in as_completed(futures):
                    i = futures[fut]
                    try:
                        results[i] = fut.result()
                    except BrokenProcessPool as exc:
                        results[i] = JobResult(
                            jobs[i],
                            False,
                            failure_message(jobs[i], "BrokenProcessPool", f"工作进程意外退出：{exc}"),
                            "BrokenProcessPool",
                            str(exc),
                        )
                    bar.update(1)
    finally:
        bar.close()
    return [r for r in results if r is not None]


def summarize_failures(results: list[JobResult]) -> str:
    """A short Chinese summary of failed jobs (empty string if all succeeded)."""
    failed = [r for r in results if not r.ok]
    if not failed:
        return ""
    lines = [f"{len(failed)}/{len(results)} 个笔记本执行失败："]
    lines += [f"  - {r.error}" for r in failed]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Step timings (for make bench only; never written into outputs, which must not depend on the clock)
# --------------------------------------------------------------------------------------------------
TIMINGS_ENV = "TQA_TIMINGS"


def record_step_time(label: str, seconds: float) -> None:
    """Append 'label<TAB>seconds<TAB>end time (epoch)' to the file named by $TQA_TIMINGS, if set (make bench
    sets it, and lays the steps out on a timeline). Only the benchmark sees the clock; outputs never do."""
    path = os.environ.get(TIMINGS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{label}\t{seconds:.3f}\t{time.time():.3f}\n")


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tqa.run.runner", description="用 papermill 执行一个参数化笔记本，可同时导出 HTML/PDF。"
    )
    ap.add_argument("notebook", type=Path)
    ap.add_argument("output", type=Path)
    ap.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="参数（值一律为字符串，如学校代码 001 保持为 '001'）",
    )
    ap.add_argument("--html", type=Path)
    ap.add_argument("--pdf", type=Path)
    ap.add_argument("--cwd", type=Path)
    args = ap.parse_args(argv)
    job = NotebookJob(args.notebook, args.output, dict(args.parameter), args.html, args.pdf, args.cwd)
    start = time.perf_counter()
    try:
        run_notebook(job)
    except NotebookFailed as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        label = " ".join([args.notebook.stem, *(f"{k}={v}" for k, v in args.parameter)])
        record_step_time(label, time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
