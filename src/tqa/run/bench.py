"""``make bench``: time the pipeline on a large generated district, against a naive baseline.

It builds a scratch project outside the repository's tracked files (default /tmp/tqa-bench): the
repository's code, notebooks, params and checks linked in, a generated district of SCHOOLS schools
as data/raw/<TERM>/. Then, in one run:
1. a cold ``make report`` exactly as the office runs it (all steps, the Makefile's parallel jobs, WORKERS
   parallel school reports); each step's own duration is recorded through $TQA_TIMINGS;
2. a no-op ``make report`` (nothing changed);
3. the school-report step alone (its target removed, ``make schools``): the pipeline's per-school cost;
4. the naive baseline on a subset of schools, one after another: papermill CLI, then
   ``jupyter nbconvert --to html`` CLI, then the Chromium CLI (``--print-to-pdf``) for the PDF;
5. one hostile return: a zip bomb (a few MB whose sheet inflates to 2 GB, as once sent), cleaned alone in a
   fresh process: its seconds and peak memory (``zip_bomb_s``, ``zip_bomb_peak_rss_mb``; the refusal must cost
   seconds and bounded memory, ``tqa.clean.reader.check_workbook``), beside the same process's memory without it.
It prints the figures and writes them as JSON beside the scratch project, with a CPU speed probe taken before
and after (the host is shared, and its speed moves every figure).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tqa.reports.pdf import find_browser
from tqa.run.runner import TIMINGS_ENV

REPO = Path(__file__).resolve().parents[3]  # src/tqa/run/bench.py -> the project
LINKED = ("Makefile", "notebooks", "params", "checks", "src", ".venv", "requirements.lock", "pyproject.toml")


def run(cmd: list[str], cwd: Path, env: dict | None = None) -> float:
    # Started from `make bench`: the outer make's jobserver does not reach this child, drop its flags.
    env = {k: v for k, v in (env or os.environ).items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def speed_probe() -> float:
    """CPU seconds of a fixed pure-Python loop (best of 3). This machine's host is shared: the same loop
    has measured anywhere from 0.49 to 0.82 s within an hour, and every figure here moves with it. The
    probe, taken before and after the runs, says how fast the machine was while they ran."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        sum(i * i for i in range(10**7))
        best = min(best, time.process_time() - start)
    return round(best, 3)


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished process this one started, and of theirs that they waited
    for: the whole cold run's work on all cores, which (unlike its wall time) does not depend on how well
    the steps overlap. Divided by the probe it compares runs taken on a faster or slower host."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gb,
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def link_project(workdir: Path) -> None:
    """Link the project's code, notebooks, params, checks and environment into ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name in LINKED:
        link = workdir / name
        if link.is_symlink() and link.readlink() != REPO / name:  # left by a run of another checkout
            link.unlink()
        if not link.is_symlink():
            link.symlink_to(REPO / name)


def prepare(workdir: Path, schools: int, seed: int, term: str) -> None:
    link_project(workdir)
    raw = workdir / "data" / "raw"
    marker = workdir / f".generated-{schools}-{seed}"
    if not marker.exists():
        shutil.rmtree(raw, ignore_errors=True)
        print(f"生成 {schools} 所学校的模拟数据 …", file=sys.stderr)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tqa.devtools.sample",
                "--out",
                str(raw),
                "--schools",
                str(schools),
                "--seed",
                str(seed),
                "--terms",
                f"{int(term[:4])}-1,{term}",
            ],
            check=True,
            cwd=REPO,
        )
        marker.touch()


def baseline(workdir: Path, term: str, codes: list[str]) -> list[float]:
    """One school after another with the plain command-line tools."""
    bindir = REPO / ".venv" / "bin"
    out = workdir / "baseline"
    out.mkdir(exist_ok=True)
    times = []
    for code in codes:
        start = time.perf_counter()
        nb = out / f"{code}.ipynb"
        subprocess.run(
            [
                str(bindir / "papermill"),
                "--no-progress-bar",
                "notebooks/05_school_report.ipynb",
                str(nb),
                "-r",
                "term",
                term,
                "-r",
                "school_code",
                code,
            ],
            cwd=workdir,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        subprocess.run(
            [str(bindir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)],
            cwd=workdir,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        subprocess.run(
            [
                find_browser(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                f"--print-to-pdf={nb.with_suffix('.pdf')}",
                nb.with_suffix(".html").resolve().as_uri(),
            ],
            cwd=workdir,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - start)
    return times


BOMB_MB = 2048  # what the sheet of the hostile return once sent inflated to


def write_zip_bomb(path: Path, unpacked_mb: int = BOMB_MB) -> Path:
    """A minimal valid workbook whose one sheet is ``unpacked_mb`` MB of a repeated row, deflated as a stream
    (a few MB on disk; never in memory)."""
    import zipfile

    ns = "http://schemas.openxmlformats.org"
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{ns}/package/2006/content-types"><Default Extension="rels" '
        f'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        f'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
        f'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        f'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>",
        "_rels/.rels": f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" '
        f'Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/'
        'relationships"><sheets><sheet name="学业成绩" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship '
        f'Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>",
    }
    row = b'<row><c t="inlineStr"><is><t>' + b"G" * 200 + b"</t></is></c></row>"
    block = row * ((1 << 20) // len(row) + 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:  # (about 260 to 1, as sent)
        for name, text in parts.items():
            z.writestr(name, text)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<worksheet xmlns="{ns}/spreadsheetml/2006/main"><sheetData>'.encode())
            for _ in range(unpacked_mb * (1 << 20) // len(block) + 1):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return path


# Run in a fresh process: clean one return with the shipped limits, print seconds, peak RSS (MB) and the rule.
_CLEAN_ONE = """
import json, resource, sys, time
from tqa.clean.returns import clean_return
from tqa.params import load_params
limits = load_params(sys.argv[2], sys.argv[3]).input_limits
start = time.perf_counter()
if sys.argv[1] != "-":
    res = clean_return(sys.argv[1], {}, None, limits)
    rules = [i.rule for i in res["issues"]]
else:
    rules = []
print(json.dumps({"s": time.perf_counter() - start, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rules": rules}))
"""


def zip_bomb_case(workdir: Path, term: str, unpacked_mb: int = BOMB_MB) -> dict:
    """Seconds and peak memory of cleaning one zip bomb in a fresh process, and the same process's peak memory
    without it (its imports)."""
    bomb = write_zip_bomb(workdir / "hostile" / "bomb.xlsx", unpacked_mb)

    def clean_one(path: str) -> dict:
        out = subprocess.run(
            [sys.executable, "-c", _CLEAN_ONE, path, term, str(REPO / "params")],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    measured, idle = clean_one(str(bomb)), clean_one("-")
    return {
        "zip_bomb_file_mb": round(bomb.stat().st_size / 2**20, 1),
        "zip_bomb_unpacked_mb": unpacked_mb,
        "zip_bomb_s": round(measured["s"], 3),
        "zip_bomb_peak_rss_mb": round(measured["rss_mb"], 1),
        "zip_bomb_baseline_rss_mb": round(idle["rss_mb"], 1),
        "zip_bomb_rules": measured["rules"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tqa.run.bench")
    ap.add_argument("--schools", type=int, default=300)
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--term", default="2023-2")
    ap.add_argument("--baseline-schools", type=int, default=8)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/tqa-bench"))
    args = ap.parse_args(argv)

    work = args.workdir
    prepare(work, args.schools, args.seed, args.term)
    for d in ("data/clean", "data/checked", "data/scores", "outputs", "baseline"):
        shutil.rmtree(work / d, ignore_errors=True)
    make = ["make", "--no-print-directory", f"TERM={args.term}", f"WORKERS={args.workers}"]
    timings = work / "timings.tsv"
    timings.unlink(missing_ok=True)
    env = {**os.environ, TIMINGS_ENV: str(timings)}
    probe_before = speed_probe()
    print("冷启动：make report …", file=sys.stderr)
    cold_start = time.time()
    cpu_before = children_cpu()
    cold = run([*make, "report"], work, env)
    cold_cpu = children_cpu() - cpu_before
    steps: dict[str, float] = {}
    timeline: dict[str, list[float]] = {}  # step -> [start, end] in seconds from the start of the cold run
    for line in timings.read_text(encoding="utf-8").splitlines():
        label, seconds, end = line.split("\t")
        steps[label] = round(steps.get(label, 0.0) + float(seconds), 1)
        timeline[label] = [round(float(end) - float(seconds) - cold_start, 1), round(float(end) - cold_start, 1)]
    noop = run([*make, "report"], work)
    out = work / "outputs" / args.term / "schools"
    n_reports = len(list(out.glob("*.pdf")))
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    print("只重跑学校报告一步：make schools …", file=sys.stderr)
    (out / "index.json").unlink()
    schools_step = run([*make, "schools"], work)
    codes = [e["school_code"] for e in index][: args.baseline_schools]
    print(f"基线：逐校运行命令行工具（{len(codes)} 所）…", file=sys.stderr)
    base = baseline(work, args.term, codes)
    print("一份“压缩炸弹”报表：单独清洗，计时并测峰值内存 …", file=sys.stderr)
    bomb = zip_bomb_case(work, args.term)
    probe_after = speed_probe()
    per_school = schools_step / max(n_reports, 1)
    base_per_school = sum(base) / len(base)
    result = {
        "machine": machine(),
        "speed_probe_s": {"before": probe_before, "after": probe_after},
        "schools": args.schools,
        "workers": args.workers,
        "reports": n_reports,
        "cold_report_s": round(cold, 1),
        "cold_cpu_s": round(cold_cpu, 1),
        "cold_cpu_per_probe": round(cold_cpu / ((probe_before + probe_after) / 2), 1),
        "cold_steps_s": steps,
        "cold_timeline_s": timeline,
        "schools_step_s": round(schools_step, 1),
        "noop_report_s": round(noop, 2),
        "pipeline_per_school_s": round(per_school, 3),
        "baseline_schools": len(base),
        "baseline_per_school_s": round(base_per_school, 2),
        "speedup_per_school": round(base_per_school / per_school, 1),
        **bomb,
    }
    (work / "bench.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
