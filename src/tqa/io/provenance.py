"""Which inputs, params and code produced a report: hashes, versions, manifest.json.

Everything here is content-based (sha256 of bytes), never wall-clock based, so the same inputs
give the same footer and the same manifest byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from importlib import metadata
from pathlib import Path

from tqa import __version__
from tqa.core.encoding import file_encoding
from tqa.io import rawfiles
from tqa.io.catalog import Catalog
from tqa.params import param_files, params_hash

# Files whose bytes make up "the code": the package, the step notebooks, the expectation suites.
CODE_GLOBS = ("src/tqa/**/*.py", "src/tqa/reports/templates/**/*", "notebooks/*.ipynb", "checks/*.json")
KEY_PACKAGES = (
    "pandas",
    "numpy",
    "pyarrow",
    "scipy",
    "statsmodels",
    "great_expectations",
    "papermill",
    "nbconvert",
    "nbclient",
    "ipykernel",
    "matplotlib",
    "openpyxl",
    "python-calamine",
)
SHORT = 12


file_sha256 = rawfiles.file_sha256  # streamed: a file is never read whole to be hashed


def _digest(entries: list[tuple[str, str]]) -> str:
    h = hashlib.sha256()
    for name, sha in entries:
        h.update(f"{name}\0{sha}\n".encode())
    return h.hexdigest()


def input_files(catalog: Catalog) -> list[Path]:
    """Every raw input of a term: the returns and the office's files (regular files only: a symbolic link is
    neither followed nor hashed, cleaning lists it as a problem)."""
    return rawfiles.regular_files(catalog.raw)


def inputs_listing(catalog: Catalog) -> list[dict]:
    """Each input's path, sha256 and size; an office CSV also says which encoding it was read in
    (tqa.core.encoding: Excel on Chinese Windows saves GB18030), so the record shows how it was read."""
    root = catalog.root
    out = []
    for p in input_files(catalog):
        entry = {"path": p.relative_to(root).as_posix(), "sha256": file_sha256(p), "bytes": p.stat().st_size}
        if p.suffix.lower() == ".csv":
            entry["encoding"] = file_encoding(p) or "无法识别"
        out.append(entry)
    return out


def inputs_hash(catalog: Catalog) -> str:
    return _digest([(e["path"], e["sha256"]) for e in inputs_listing(catalog)])


def code_files(root: str | Path = ".") -> list[Path]:
    root = Path(root)
    files = {p for g in CODE_GLOBS for p in root.glob(g) if p.is_file() and "__pycache__" not in p.parts}
    return sorted(files)


def code_hash(root: str | Path = ".") -> str:
    root = Path(root)
    return _digest([(p.relative_to(root).as_posix(), file_sha256(p)) for p in code_files(root)])


def code_version(root: str | Path = ".") -> str:
    """Package version plus a content hash of the code, e.g. ``tqa 0.1.0+3f2a9c1b7d0e``."""
    return f"tqa {__version__}+{code_hash(root)[:SHORT]}"


def git_describe(root: str | Path = ".") -> str | None:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def package_versions(tools: dict[str, str] | None = None) -> dict[str, str]:
    """The key Python packages' versions, then ``tools`` (programs whose version decides output bytes, such as
    the PDF engine, supplied by the step that uses them)."""
    out = {}
    for name in KEY_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "未安装"
    return {**out, **(tools or {})}


INPUTS_RECORD = "inputs.json"


def write_inputs_record(catalog: Catalog) -> Path:
    """Hash the raw inputs once per run (the cleaning step), so 300 reports need not re-read them."""
    listing = inputs_listing(catalog)
    record = {"inputs_sha256": _digest([(e["path"], e["sha256"]) for e in listing]), "inputs": listing}
    path = catalog.clean / INPUTS_RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def read_inputs_record(catalog: Catalog) -> dict:
    path = catalog.clean / INPUTS_RECORD
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    listing = inputs_listing(catalog)
    return {"inputs_sha256": _digest([(e["path"], e["sha256"]) for e in listing]), "inputs": listing}


def provenance(catalog: Catalog, params_dir: str | Path = "params") -> dict[str, str]:
    """The short facts every report prints in its footer (Chinese keys, as shown)."""
    record = read_inputs_record(catalog)
    return {
        "学期": catalog.term,
        "输入数据": f"sha256:{record['inputs_sha256'][:SHORT]}（{len(record['inputs'])} 个文件，清单见 manifest.json）",
        "评价参数": f"sha256:{params_hash(catalog.term, params_dir)[:SHORT]}",
        "代码版本": code_version(catalog.root),
    }


def build_manifest(
    catalog: Catalog, outputs: list[Path], params_dir: str | Path = "params", tools: dict[str, str] | None = None
) -> dict:
    root = catalog.root
    return {
        "term": catalog.term,
        "inputs": inputs_listing(catalog),
        "inputs_sha256": inputs_hash(catalog),
        "params_files": [p.as_posix() for p in param_files(catalog.term, params_dir)],
        "params_sha256": params_hash(catalog.term, params_dir),
        "code_version": code_version(root),
        "code_sha256": code_hash(root),
        "git": git_describe(root),
        "packages": package_versions(tools),
        "outputs": [{"path": p.relative_to(root).as_posix(), "sha256": file_sha256(p)} for p in sorted(outputs)],
    }


def write_manifest(manifest: dict, path: str | Path) -> None:
    Path(path).write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False) + "\n", encoding="utf-8")
