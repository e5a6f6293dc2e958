"""The reviewed expectation suites: checks/<frame>.json, one suite per checked frame.

The JSON files are the source of truth, read at run time. Each expectation's ``meta`` says:
  rule      short English id (unique across all suites), becomes Issue.rule
  severity  blocking | warning
  set_aside what a warning removes: cell (the score only) | row (the sheet row, in every table
            built from it) | measure (the school's rows in ``tables``) | school (the whole school) | none
  column    the column as the school sees it (Chinese header; may be a template like "{subject}")
  value     optional template for the reported value (default: the expectation's column)
  message   Chinese message template, filled from the failing row ({score}, {full_marks}, ...)
  action    Chinese: what the pipeline did
  sheet     optional, for frames without a sheet column
Kwargs may refer to run-time values with {"$PARAMETER": name} (see checks.engine.suite_parameters).

``python -m tqa.checks [checks]`` rewrites the files in canonical form (stable key order,
2-space indent) so hand edits give small, reviewable diffs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SEVERITIES = ("blocking", "warning")
SET_ASIDE = ("cell", "row", "measure", "school", "none")
REQUIRED_META = ("rule", "severity", "set_aside", "message", "action")
# GX's own severity field, kept consistent with ours.
GX_SEVERITY = {"blocking": "critical", "warning": "warning"}
_EXPECTATION_KEYS = ("type", "kwargs", "severity", "meta")
_META_ORDER = ("rule", "severity", "set_aside", "tables", "sheet", "column", "value", "message", "action")


def canonical(suite: dict) -> dict:
    """The suite with keys in a fixed order (what dump_suite writes)."""
    out = {"name": suite["name"]}
    if suite.get("meta"):
        out["meta"] = dict(sorted(suite["meta"].items()))
    exps = []
    for e in suite["expectations"]:
        meta = e.get("meta", {})
        ordered = {k: meta[k] for k in _META_ORDER if k in meta}
        ordered.update({k: meta[k] for k in sorted(meta) if k not in ordered})
        exp = {
            "type": e["type"],
            "kwargs": e.get("kwargs", {}),
            "severity": GX_SEVERITY.get(meta.get("severity"), e.get("severity", "critical")),
            "meta": ordered,
        }
        exps.append({k: exp[k] for k in _EXPECTATION_KEYS})
    out["expectations"] = exps
    return out


def dump_suite(suite: dict, path: str | Path) -> Path:
    path = Path(path)
    text = json.dumps(canonical(suite), ensure_ascii=False, indent=2) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def read_suite_files(suites_dir: str | Path = "checks") -> dict[str, dict]:
    """checks/*.json as plain dicts keyed by suite name (= the frame it checks), validated."""
    suites = {}
    for f in sorted(Path(suites_dir).glob("*.json")):
        suite = json.loads(f.read_text(encoding="utf-8"))
        if suite.get("name") != f.stem:
            raise ValueError(f"{f}: suite name {suite.get('name')!r} must equal the file name")
        validate_suite(suite, f.name)
        suites[suite["name"]] = suite
    if not suites:
        raise FileNotFoundError(f"no expectation suites (*.json) in {suites_dir}")
    rules = [e["meta"]["rule"] for s in suites.values() for e in s["expectations"]]
    dupes = sorted({r for r in rules if rules.count(r) > 1})
    if dupes:
        raise ValueError(f"rule ids used twice: {dupes}")
    return suites


def validate_suite(suite: dict, where: str = "") -> None:
    for e in suite.get("expectations", []):
        meta = e.get("meta") or {}
        missing = [k for k in REQUIRED_META if k not in meta]
        if missing:
            raise ValueError(f"{where}: {e.get('type')} lacks meta {missing}")
        if meta["severity"] not in SEVERITIES:
            raise ValueError(f"{where}: {meta['rule']}: severity {meta['severity']!r}")
        if meta["set_aside"] not in SET_ASIDE:
            raise ValueError(f"{where}: {meta['rule']}: set_aside {meta['set_aside']!r}")
        if meta["set_aside"] == "measure" and not meta.get("tables"):
            raise ValueError(f"{where}: {meta['rule']}: set_aside measure needs meta.tables")


def load_suites(suites_dir: str | Path = "checks") -> dict:
    """checks/*.json as gx.ExpectationSuite objects keyed by name (imports great_expectations)."""
    import great_expectations as gx

    return {
        name: gx.ExpectationSuite(name=name, expectations=s["expectations"], meta=s.get("meta") or {})
        for name, s in read_suite_files(suites_dir).items()
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    suites_dir = Path(argv[0] if argv else "checks")
    for name, suite in read_suite_files(suites_dir).items():
        dump_suite(suite, suites_dir / f"{name}.json")
        print(f"{suites_dir / name}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
