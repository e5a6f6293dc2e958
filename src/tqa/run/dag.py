"""The pipeline's steps as data: notebook, the code they run, the params sections they read, the tables they
write. The Makefile takes its file lists and stamps from here; the import-direction test takes the layers.

    python -m tqa.run.dag makevars          one line of NAME=a,b,c words for the Makefile (stdlib only)
    python -m tqa.run.dag stamps --term T   validate params/ and rewrite each step's params stamp if it changed
    python -m tqa.run.dag raw --term T      rewrite data/clean/T/.raw-files.json if data/raw/T/ changed (stdlib only)

Layers, in DAG order. A package may import only the packages listed for it (its own modules aside); a step's
code is its package plus everything it may import, plus the notebook runner. So a chart edit re-renders the
reports and nothing else, and a cleaning edit re-cleans (whose new outputs re-run everything after it).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # src/tqa
FOUNDATION = ("core", "schema", "params", "io")
LAYERS: dict[str, tuple[str, ...]] = {
    "core": (),
    "schema": ("core",),
    "params": ("core",),
    "io": ("core", "schema", "params"),
    "clean": FOUNDATION,
    "checks": FOUNDATION,  # reads cleaning's tables, never its code
    "measures": FOUNDATION,
    "reports": (*FOUNDATION, "measures"),  # never the checks engine
    "run": (*FOUNDATION, "clean", "checks", "measures", "reports"),
    "devtools": FOUNDATION,
}
# Every notebook is executed by the runner and reads its params through this module (step_params): each step's
# code includes both (the runner imports reports only to export HTML and PDF, which only the report steps ask for).
RUNNER = ("__init__.py", "run/__init__.py", "run/runner.py", "run/dag.py")
ALL_SECTIONS = "*"


@dataclass(frozen=True)
class Step:
    name: str
    notebook: str | None
    package: str  # the layer holding its code
    stage: str | None  # the tables it writes (tqa.schema.tables), if any
    params: tuple[str, ...] | str  # the params sections it reads (ALL_SECTIONS: every one)
    stamp: str  # where its params stamp lives, under the project root ({term})
    extra: tuple[str, ...] = ()  # modules of the run layer it executes through, besides the runner
    # When given: the only files of its own package it runs (the earlier layers still count whole), so an edit
    # elsewhere in the package does not re-run it.
    modules: tuple[str, ...] = ()

    def code_packages(self) -> tuple[str, ...]:
        return (self.package, *LAYERS[self.package])


def _scores_sections() -> tuple[str, ...]:
    from tqa.measures.catalog import step_sections

    return step_sections()


STEPS = (
    # Cleaning reads the safety limits checked before a return is opened and the longest text it keeps.
    Step(
        "clean",
        "notebooks/01_clean.ipynb",
        "clean",
        "clean",
        ("cleaning", "input_limits"),
        "data/clean/{term}/.params.json",
    ),  # fmt: skip
    Step(
        "checks",
        "notebooks/02_checks.ipynb",
        "checks",
        "checked",
        ("checks", "enrolment", "fitness", "homework_sleep", "routine"),
        "data/checked/{term}/.params.json",
    ),  # fmt: skip
    Step("scores", "notebooks/03_scores.ipynb", "measures", "scores", "measures", "data/scores/{term}/.params.json"),
    # The reports print every parameter in their appendix.
    Step("reports", None, "reports", None, ALL_SECTIONS, "data/scores/{term}/.reports-params.json", ("run/steps.py",)),
    # Each school's 临界生 and 学困生 workbook beside its internal report (tqa.reports.student_workbook): the lines,
    # tiers and borderline margin only, so a report's wording or a chart edit does not rewrite the workbooks.
    Step(
        "student_lists",
        None,
        "reports",
        None,
        ("grade_bands", "rates", "levels", "tiers", "borderline"),
        "data/scores/{term}/.student-lists-params.json",
        ("run/steps.py",),
        ("reports/__init__.py", "reports/student_workbook.py"),
    ),
)
BY_NAME = {s.name: s for s in STEPS}


def sections(step: str) -> tuple[str, ...]:
    """The params sections a step reads."""
    declared = BY_NAME[step].params
    if declared == ALL_SECTIONS:
        from tqa.params import SECTIONS

        return SECTIONS
    return _scores_sections() if declared == "measures" else tuple(declared)


def step_params(term: str, step: str, params_dir: str | Path = "params"):
    """The term's params as the step may read them (only its declared sections)."""
    from tqa.params import load_params, view

    return view(load_params(term, params_dir), sections(step), owner=f"step {step}")


# ---- code files per step (the Makefile's prerequisites) ---------------------------------------------------
CODE_SUFFIXES = (".py", ".j2", ".css", ".tpl", ".json")


def package_files(package: str) -> list[str]:
    root = PACKAGE / package
    files = [
        p for p in sorted(root.rglob("*")) if p.is_file() and p.suffix in CODE_SUFFIXES and "__pycache__" not in p.parts
    ]
    return [p.relative_to(PACKAGE.parents[1]).as_posix() for p in files]


def code_files(step: str) -> list[str]:
    s = BY_NAME[step]
    packages = [pkg for pkg in s.code_packages() if not (s.modules and pkg == s.package)]
    files = [f for pkg in packages for f in package_files(pkg)]
    files += [(PACKAGE / f).relative_to(PACKAGE.parents[1]).as_posix() for f in (*RUNNER, *s.extra, *s.modules)]
    return sorted(dict.fromkeys(files))


def makevars() -> str:
    """NAME=a,b,c words: each step's code files and each stage's table names."""
    from tqa.schema.tables import STAGES

    words = [f"{name.upper()}_CODE=" + ",".join(code_files(name)) for name in BY_NAME]
    words += [f"{stage.upper()}_TABLES=" + ",".join(tables) for stage, tables in STAGES.items()]
    return " ".join(words)


# ---- params stamps ----------------------------------------------------------------------------------------
def write_stamps(term: str, root: str | Path = ".") -> list[Path]:
    """Validate the term's params (ParamsError lists every problem) and write each step's stamp: the canonical
    JSON of the sections it reads, rewritten only when they changed (an unchanged file keeps its mtime, so make
    does not re-run the step). Returns the stamps written."""
    from tqa.params import canonical_json, load_params

    root = Path(root)
    values = load_params(term, root / "params").appendix()
    written = []
    for step in STEPS:
        out = root / step.stamp.format(term=term)
        text = canonical_json({s: values[s] for s in sections(step.name)})
        if out.exists() and out.read_text(encoding="utf-8") == text:
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        written.append(out)
    return written


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m tqa.run.dag")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("makevars")
    stamps = sub.add_parser("stamps")
    stamps.add_argument(
        "--term",
        required=True,
        action="append",
        help="a term whose stamps to bring up to date (repeat for the earlier terms a run reads)",
    )
    stamps.add_argument("--mark", default=None, help="a file to touch once the params are valid")
    raw = sub.add_parser("raw")
    raw.add_argument("--term", required=True, action="append", help="a term whose raw listing to bring up to date")
    args = ap.parse_args(argv)
    if args.command == "makevars":
        print(makevars())
        return 0
    if args.command == "raw":
        # make depends on this listing, never on the returns' names (which may hold spaces, quotes, $ or #)
        from tqa.io.rawfiles import write_listing

        for term in dict.fromkeys(args.term):
            write_listing(".", term)
        return 0
    from tqa.params import ParamsError

    try:
        for term in dict.fromkeys(args.term):
            write_stamps(term)
    except ParamsError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.mark:
        Path(args.mark).parent.mkdir(parents=True, exist_ok=True)
        Path(args.mark).touch()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
