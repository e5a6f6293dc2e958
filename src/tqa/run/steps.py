"""Pipeline steps that are more than one notebook: the school reports in parallel, each school's student lists
(internal edition only), the index page, the manifest.
``python -m tqa.run.steps {schools,student-lists,index,manifest} --term T``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

from tqa.core.issues import BLOCKING, FIXED, WARNING
from tqa.core.terms import TermError, parse_term, require_term
from tqa.io.catalog import Catalog
from tqa.run.lock import RUN_FILES, read_marker, unmark_outputs, with_banner

SCHOOL_NOTEBOOK = Path("notebooks/05_school_report.ipynb")
MODES = ("internal", "public")


def report_dir(catalog: Catalog, mode: str) -> Path:
    """Internal reports sit in outputs/<T>/, the public edition in outputs/<T>/public/."""
    return catalog.outputs if mode == "internal" else catalog.outputs / "public"


def usable_schools(returns: pd.DataFrame) -> pd.DataFrame:
    """Schools that get a report: submitted and not set aside as a whole by the checks."""
    mask = returns["submitted"].fillna(False).astype(bool)
    if "usable" in returns:
        mask &= returns["usable"].fillna(False).astype(bool)
    return returns.loc[mask].sort_values("school_code").reset_index(drop=True)


def school_jobs(catalog: Catalog, schools: pd.DataFrame, mode: str = "internal", notebook: Path = SCHOOL_NOTEBOOK):
    from tqa.run.runner import NotebookJob

    out = report_dir(catalog, mode) / "schools"
    return [
        NotebookJob(
            notebook=notebook,
            output=catalog.notebooks_out / mode / "schools" / f"{code}.ipynb",
            parameters={"term": catalog.term, "school_code": code, "mode": mode},
            html=out / f"{code}.html",
            pdf=out / f"{code}.pdf",
        )
        for code in schools["school_code"]
    ]


def remove_stale(directory: Path, keep: set[str], suffixes: tuple[str, ...]) -> list[Path]:
    """Delete reports of schools that no longer get one, so outputs/ shows only the current run."""
    removed = []
    if directory.is_dir():
        for p in sorted(directory.iterdir()):
            if p.suffix in suffixes and p.stem not in keep:
                p.unlink()
                removed.append(p)
    return removed


def cmd_schools(catalog: Catalog, workers: int, mode: str) -> int:
    from tqa.run.runner import run_jobs

    returns = pd.read_parquet(catalog.table("checked", "returns"))
    schools = usable_schools(returns)
    codes = set(schools["school_code"])
    out = report_dir(catalog, mode) / "schools"
    remove_stale(out, codes, (".html", ".pdf"))
    remove_stale(catalog.notebooks_out / mode / "schools", codes, (".ipynb",))
    jobs = school_jobs(catalog, schools, mode)
    results = run_jobs(jobs, workers=workers, desc="学校报告" if mode == "internal" else "学校报告（公开版）")
    names = dict(zip(schools["school_code"], schools["school_name"]))
    entries = []
    for job, res in zip(jobs, results):
        code = job.parameters["school_code"]
        entries.append(
            {
                "school_code": code,
                "school_name": names[code],
                "ok": bool(res.ok),
                "html": job.html.name,
                "pdf": job.pdf.name,
                "error": None if res.ok else res.error,
            }
        )
    failed = [e for e in entries if not e["ok"]]
    index = out / "index.json"
    index.parent.mkdir(parents=True, exist_ok=True)
    if failed:
        for e in failed:
            print(f"学校报告失败：{e['school_code']} {e['school_name']}：{e['error']}", file=sys.stderr)
        print(f"{len(failed)} 所学校的报告生成失败，其余 {len(entries) - len(failed)} 所已生成。", file=sys.stderr)
        return 1
    index.write_text(json.dumps(entries, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"学校报告：{len(entries)} 份，位于 {out}/")
    return 0


def student_list_schools(catalog: Catalog) -> dict[str, str]:
    """school_code -> the file name of its student lists workbook, as the last run wrote them (empty if none)."""
    from tqa.reports.student_workbook import INDEX_FILE

    index = report_dir(catalog, "internal") / "schools" / INDEX_FILE
    if not index.exists():
        return {}
    return {e["school_code"]: e["file"] for e in json.loads(index.read_text(encoding="utf-8"))}


def remove_stale_workbooks(directory: Path, keep: set[str]) -> list[Path]:
    """Delete the student lists of schools that no longer get a report."""
    from tqa.reports.student_workbook import WORKBOOK_SUFFIX, workbook_name

    names = {workbook_name(code) for code in keep}
    removed = []
    if directory.is_dir():
        for p in sorted(directory.glob(f"*{WORKBOOK_SUFFIX}")):
            if p.name not in names:
                p.unlink()
                removed.append(p)
    return removed


def cmd_student_lists(catalog: Catalog, mode: str = "internal") -> int:
    """outputs/<T>/schools/<code>-学生名单.xlsx for every school that gets a report, beside its internal report:
    its 临界生 and 学困生 class by class (tqa.reports.student_workbook), built from one read of the tables. Then
    schools/student-lists.json, the list of what was written (the Makefile's target). Student-level data: the
    public edition gets none (mode public writes nothing)."""
    from tqa.io.catalog import write_atomic
    from tqa.io.office import read_exam_spec
    from tqa.reports import student_workbook as sw
    from tqa.run.dag import step_params

    if mode != "internal":
        print("公开版不含学生名单（学生个人数据只进入内部版），未写任何文件。")
        return 0
    out = report_dir(catalog, "internal") / "schools"
    schools = usable_schools(pd.read_parquet(catalog.table("checked", "returns")))
    params = step_params(catalog.term, "student_lists", catalog.root / "params")
    listed, counts, lines = sw.district_lists(
        pd.read_parquet(catalog.table("checked", "scores"), columns=SCORE_LIST_COLUMNS),
        pd.read_parquet(catalog.table("checked", "students"), columns=["school_code", "student_id", "name"]),
        pd.read_parquet(catalog.table("scores", "borderline")),
        read_exam_spec(catalog.exam_spec),
        params,
    )
    differ = sw.count_mismatches(counts, pd.read_parquet(catalog.table("scores", "tiers")))
    if len(differ):
        print(
            f"学生名单与统计结果（tiers 表）有 {len(differ)} 处人数不一致，未写名单；请先重新运行统计（make scores）。",
            file=sys.stderr,
        )
        print(differ.head(10).to_string(), file=sys.stderr)
        return 1
    books = sw.split_by_school(schools, listed, counts, lines)
    remove_stale_workbooks(out, {b.code for b in books})
    term = parse_term(catalog.term)
    entries = []
    for book in books:
        path = sw.write_school_workbook(book, term, params, out)
        entries.append(
            {
                "school_code": book.code,
                "school_name": book.name,
                "file": path.name,
                "classes": len(book.classes),
                "listed": len(book.students),
            }
        )
    write_atomic(out / sw.INDEX_FILE, json.dumps(entries, ensure_ascii=False, indent=1) + "\n")
    print(f"学生名单（内部版）：{len(entries)} 份，位于 {out}/")
    return 0


# The checked scores' columns the student lists read.
SCORE_LIST_COLUMNS = ["school_code", "student_id", "grade", "class_no", "subject", "status", "score", "level"]


def return_overview(returns: pd.DataFrame, issues: pd.DataFrame) -> pd.DataFrame:
    """Per registry school: status and problem counts by severity (for the index page)."""
    counts = issues.dropna(subset=["school_code"]).pivot_table(
        index="school_code", columns="severity", values="rule", aggfunc="count", fill_value=0
    )
    for sev in (BLOCKING, WARNING, FIXED):
        if sev not in counts:
            counts[sev] = 0
    out = returns.merge(counts[[BLOCKING, WARNING, FIXED]].reset_index(), on="school_code", how="left")
    for sev in (BLOCKING, WARNING, FIXED):
        out[sev] = out[sev].fillna(0).astype(int)
    return out.sort_values("school_code").reset_index(drop=True)


def cmd_index(catalog: Catalog, mode: str) -> int:
    from jinja2 import Environment, PackageLoader, select_autoescape

    from tqa.io.provenance import provenance

    returns = pd.read_parquet(catalog.table("checked", "returns"))
    issues = pd.read_parquet(catalog.table("checked", "issues"))
    rdir = report_dir(catalog, mode)
    reports = json.loads((rdir / "schools" / "index.json").read_text(encoding="utf-8"))
    overview = return_overview(returns, issues)
    has_report = {r["school_code"] for r in reports if r["ok"]}
    env = Environment(loader=PackageLoader("tqa.reports", "templates"), autoescape=select_autoescape())
    html = env.get_template("index_page.html.j2").render(
        term=parse_term(catalog.term),
        schools=overview.to_dict("records"),
        has_report=has_report,
        missing=overview.loc[~overview["submitted"].astype(bool)].to_dict("records"),
        problems=overview.loc[overview["submitted"].astype(bool) & ~overview["usable"].astype(bool)].to_dict("records"),
        n_submitted=int(overview["submitted"].sum()),
        n_registry=int(len(overview)),
        provenance=provenance(catalog),
        public=(mode == "public"),
        # school_code -> its student lists workbook (schools/<code>-学生名单.xlsx), internal edition only
        student_lists={} if mode == "public" else student_list_schools(catalog),
    )
    marker = read_marker(rdir)  # a run under way, or one that stopped: say so at the top (tqa.run.lock)
    (rdir / "index.html").write_text(html if marker is None else with_banner(html, marker), encoding="utf-8")
    return 0


def cmd_manifest(catalog: Catalog, mode: str) -> int:
    from tqa.io.provenance import build_manifest, write_manifest
    from tqa.reports.pdf import browser_version

    rdir = report_dir(catalog, mode)
    target = rdir / "manifest.json"
    public = catalog.outputs / "public"
    # The last step: index.html is listed as a complete run leaves it (tqa.run.lock adds the banner back if the
    # run fails after all); the lock's own files are no outputs.
    unmark_outputs(rdir)
    outputs = [
        p
        for p in rdir.rglob("*")
        if p.is_file()
        and p != target
        and (mode == "public" or public not in p.parents)
        and "template.xlsx" != p.name
        and p.name not in RUN_FILES
    ]
    write_manifest(build_manifest(catalog, outputs, tools={"chromium": browser_version()}), target)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tqa.run.steps")
    ap.add_argument("command", choices=["schools", "student-lists", "index", "manifest"])
    ap.add_argument("--term", required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--mode", choices=MODES, default="internal")
    args = ap.parse_args(argv)
    try:
        term = require_term(args.term)
    except TermError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    catalog = Catalog(term.name)
    command = {
        "schools": lambda: cmd_schools(catalog, args.workers, args.mode),
        "student-lists": lambda: cmd_student_lists(catalog, args.mode),
        "index": lambda: cmd_index(catalog, args.mode),
        "manifest": lambda: cmd_manifest(catalog, args.mode),
    }[args.command]
    start = time.perf_counter()
    try:
        return command()
    finally:
        from tqa.run.runner import record_step_time

        record_step_time(f"{args.command} term={term.name} mode={args.mode}", time.perf_counter() - start)


if __name__ == "__main__":
    raise SystemExit(main())
