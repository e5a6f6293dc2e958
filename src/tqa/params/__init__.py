"""Methodology parameters: params/methodology.yaml with the term's overrides merged over it."""
from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import yaml

DEFAULT_FILE = "methodology.yaml"


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in (over or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def param_files(term: str, params_dir: str | Path = "params") -> list[Path]:
    """The files that make up a term's parameters, in merge order."""
    d = Path(params_dir)
    files = [d / DEFAULT_FILE]
    term_file = d / "terms" / f"{term}.yaml"
    if term_file.exists():
        files.append(term_file)
    return files


def load_params(term: str, params_dir: str | Path = "params") -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for f in param_files(term, params_dir):
        merged = _merge(merged, yaml.safe_load(f.read_text(encoding="utf-8")) or {})
    return merged


def params_hash(term: str, params_dir: str | Path = "params") -> str:
    """sha256 over the effective parameter files' bytes (names included), in merge order."""
    h = hashlib.sha256()
    for f in param_files(term, params_dir):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def grade_band(grade: int, params: dict) -> str | None:
    for band, grades in params["grade_bands"].items():
        if int(grade) in grades:
            return band
    return None


def resolve_overrides(default: dict, overrides: list[dict] | None, keys, grade: int, subject: str,
                      params: dict) -> dict:
    """`default`, then each override rule in order whose band / grade / subject (each optional) match."""
    out = dict(default or {})
    band = grade_band(grade, params) if params.get("grade_bands") else None
    for rule in overrides or []:
        if rule.get("band") not in (None, band):
            continue
        if rule.get("grade") not in (None, int(grade)):
            continue
        if rule.get("subject") not in (None, subject):
            continue
        out.update({k: rule[k] for k in keys if k in rule})
    return out


def rate_thresholds(grade: int, subject: str, params: dict) -> dict[str, float]:
    """The pass / excellent / low thresholds (shares of full marks) for one grade and subject."""
    rates = params["rates"]
    out = resolve_overrides(rates["default"], rates.get("overrides"), ("pass", "excellent", "low"), grade,
                            subject, params)
    return {k: float(v) for k, v in out.items()}


# ---- per-step parameter stamps (Makefile) ------------------------------------------------------
# The sections of params/ each early step reads. Cleaning and checks read only these, through
# load_step_params, so a change to (say) a pass threshold re-runs the statistics and the reports but not
# the cleaning and checks of 300 returns. A step that needs another section lists it here.
STEP_SECTIONS: dict[str, tuple[str, ...]] = {
    "clean": ("clean",),
    "checks": ("checks",),
}


def load_step_params(term: str, step: str, params_dir: str | Path = "params") -> dict[str, Any]:
    """Only the sections of the term's params that ``step`` may use (STEP_SECTIONS)."""
    full = load_params(term, params_dir)
    return {k: copy.deepcopy(full[k]) for k in STEP_SECTIONS[step] if k in full}


def write_step_stamp(term: str, step: str, out: str | Path, params_dir: str | Path = "params") -> bool:
    """Write the step's effective params as canonical JSON, only if they differ from what ``out`` holds
    (an unchanged file keeps its mtime, so make does not re-run the step). Returns True if written."""
    import json

    out = Path(out)
    text = json.dumps(load_step_params(term, step, params_dir), ensure_ascii=False, sort_keys=True, indent=1) + "\n"
    if out.exists() and out.read_text(encoding="utf-8") == text:
        return False
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m tqa.params")
    sub = ap.add_subparsers(dest="command", required=True)
    stamp = sub.add_parser("stamp", help="write a step's effective params if they changed (for make)")
    stamp.add_argument("--term", required=True)
    stamp.add_argument("--step", required=True, choices=sorted(STEP_SECTIONS))
    stamp.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)
    write_step_stamp(args.term, args.step, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
