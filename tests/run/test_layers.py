"""The import direction: a package imports only the layers before it (tqa.run.dag.LAYERS), lazy imports included,
and each step's notebook imports only what its Makefile prerequisites cover."""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from helpers import REPO
from tqa.run.dag import BY_NAME, LAYERS, PACKAGE, code_files

NOTEBOOK_STEP = {
    "01_clean": "clean",
    "02_checks": "checks",
    "03_scores": "scores",
    "04_district_report": "reports",
    "05_school_report": "reports",
}


def tqa_imports(source: str) -> set[str]:
    """The tqa packages a module imports anywhere in its body (top level, functions, conditionals)."""
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + ([f"{node.module}.{a.name}" for a in node.names] if node.module == "tqa" else [])
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "tqa" and len(parts) > 1 and parts[1] in LAYERS:
                out.add(parts[1])
    return out


def package_of(path) -> str | None:
    rel = path.relative_to(PACKAGE).parts
    return rel[0] if len(rel) > 1 else None


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_sits_in_a_declared_layer():
    assert {package_of(p) for p in MODULES} - {None} == set(LAYERS)
    assert [p.name for p in MODULES if package_of(p) is None] == ["__init__.py"]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_a_module_imports_only_earlier_layers(path):
    pkg = package_of(path)
    if pkg is None:
        return
    allowed = {pkg, *LAYERS[pkg]}
    wrong = tqa_imports(path.read_text(encoding="utf-8")) - allowed
    assert wrong == set(), (
        f"{path.relative_to(PACKAGE)} ({pkg}) imports {sorted(wrong)}; it may import {sorted(allowed)}"
    )


def test_the_reports_never_reach_the_checks_engine_or_cleaning():
    for pkg in ("reports", "measures"):
        assert "checks" not in LAYERS[pkg] and "clean" not in LAYERS[pkg]


def test_the_layers_form_a_dag_in_declared_order():
    order = list(LAYERS)
    for pkg, deps in LAYERS.items():
        assert all(order.index(d) < order.index(pkg) for d in deps), pkg
        # what a layer may import, it may import transitively: the lists are closed
        assert all(set(LAYERS[d]) <= set(deps) for d in deps), pkg


def test_the_checker_sees_lazy_imports():
    assert tqa_imports("def f():\n    from tqa.checks.engine import run\n    import tqa.reports.pdf\n") == {
        "checks",
        "reports",
    }
    assert tqa_imports("from tqa import params, core\n") == {"params", "core"}


@pytest.mark.parametrize("stem", NOTEBOOK_STEP)
def test_a_notebook_imports_only_its_steps_code(stem):
    nb = nbformat.read(REPO / "notebooks" / f"{stem}.ipynb", as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code" and not c.source.lstrip().startswith("%"))
    step = NOTEBOOK_STEP[stem]
    allowed = set(BY_NAME[step].code_packages())
    used = tqa_imports(source)
    assert used and used - {"run"} <= allowed, f"{stem} imports {sorted(used - allowed)}, outside its step's code"
    # of the run layer, only the modules the step's code lists (the runner, the DAG)
    run_modules = {f"src/tqa/run/{m.split('.')[2]}.py" for m in re.findall(r"\btqa\.run\.\w+", source)}
    assert run_modules <= set(code_files(step)), sorted(run_modules - set(code_files(step)))


def test_architecture_doc_lists_every_package_once_in_dag_order():
    """docs/architecture.md's package table is true to the tree: every package, each once, layers in DAG order."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = text.split("## Packages, in DAG order", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `tqa\.([\w.]+)` \|", table, flags=re.M)
    packages = sorted(
        p.parent.relative_to(PACKAGE).as_posix().replace("/", ".")
        for p in PACKAGE.rglob("__init__.py")
        if p.parent != PACKAGE and "__pycache__" not in p.parts
    )
    assert sorted(listed) == packages
    order = list(LAYERS)
    tops = [order.index(name.split(".")[0]) for name in listed]
    assert tops == sorted(tops), listed
    for name in packages:  # and each package says what it is
        assert ast.get_docstring(ast.parse((PACKAGE / name.replace(".", "/") / "__init__.py").read_text())), name
