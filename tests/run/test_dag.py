"""tqa.run.dag: the steps as data, the Makefile's variables, the params stamps."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from helpers import REPO
from tqa.params import SECTIONS
from tqa.run.dag import BY_NAME, STEPS, code_files, makevars, sections, write_stamps
from tqa.schema.tables import STAGES

TERM = "2023-2"


@pytest.fixture
def project(tmp_path):
    shutil.copytree(REPO / "params", tmp_path / "params")
    return tmp_path


def stamp(root, step):
    return root / BY_NAME[step].stamp.format(term=TERM)


def test_each_step_declares_its_sections_and_the_reports_read_them_all():
    assert sections("clean") == ("cleaning", "input_limits") and sections("checks") == (
        "checks",
        "enrolment",
        "fitness",
        "homework_sleep",
        "routine",
    )
    assert set(sections("reports")) == set(SECTIONS)
    scores = set(sections("scores"))
    assert {"rates", "uncertainty", "valueadded"} <= scores and not scores & {"checks", "district", "public"}


def test_stamps_hold_the_sections_and_are_rewritten_only_when_they_change(project):
    written = write_stamps(TERM, project)
    assert {p.relative_to(project).as_posix() for p in written} == {s.stamp.format(term=TERM) for s in STEPS}
    assert set(json.loads(stamp(project, "checks").read_text(encoding="utf-8"))) == {
        "checks",
        "enrolment",
        "fitness",
        "homework_sleep",
        "routine",
    }
    assert set(json.loads(stamp(project, "clean").read_text(encoding="utf-8"))) == {"cleaning", "input_limits"}
    for p in written:
        os.utime(p, ns=(1, 1))
    assert write_stamps(TERM, project) == []  # nothing changed: no stamp touched
    methodology = project / "params" / "methodology.yaml"
    text = methodology.read_text(encoding="utf-8")
    methodology.write_text(text + "# a comment\n", encoding="utf-8")
    assert write_stamps(TERM, project) == []
    methodology.write_text(text.replace("name: 清河区", "name: 河西区", 1), encoding="utf-8")
    assert write_stamps(TERM, project) == [stamp(project, "reports")]
    (project / "params" / "terms" / f"{TERM}.yaml").write_text(
        "checks:\n  unlisted_subject_min_students: 5\n", encoding="utf-8"
    )
    changed = write_stamps(TERM, project)
    assert changed == [stamp(project, "checks"), stamp(project, "reports")]
    assert stamp(project, "clean").stat().st_mtime_ns == 1


def test_makevars_lists_each_steps_code_and_each_stages_tables():
    words = dict(w.split("=", 1) for w in makevars().split())
    assert set(words) == {f"{s.name.upper()}_CODE" for s in STEPS} | {f"{s.upper()}_TABLES" for s in STAGES}
    for stage, tables in STAGES.items():
        assert words[f"{stage.upper()}_TABLES"].split(",") == list(tables)
    reports = words["REPORTS_CODE"].split(",")
    assert "src/tqa/reports/charts/academic.py" in reports and "src/tqa/reports/charts/academic.py" not in words[
        "SCORES_CODE"
    ].split(",")
    assert all((REPO / f).is_file() for s in STEPS for f in code_files(s.name))
    # every step runs through the runner and reads its params through the DAG
    assert all({"src/tqa/run/runner.py", "src/tqa/run/dag.py"} <= set(code_files(s.name)) for s in STEPS)


def test_the_student_lists_run_only_their_own_module_of_the_reports():
    code = set(code_files("student_lists"))
    assert {"src/tqa/reports/student_workbook.py", "src/tqa/measures/academic/students.py"} <= code
    assert "src/tqa/run/steps.py" in code
    # a chart or a report view edit re-renders the reports, not the workbooks
    assert not {"src/tqa/reports/charts/academic.py", "src/tqa/reports/views.py"} & code
    assert {"src/tqa/reports/student_workbook.py", "src/tqa/reports/views.py"} <= set(code_files("reports"))
    assert set(sections("student_lists")) == {"grade_bands", "rates", "levels", "tiers", "borderline"}


def test_a_step_restricted_to_some_modules_imports_no_other_module_of_its_package():
    import ast

    for step in STEPS:
        if not step.modules:
            continue
        own = {m.removesuffix(".py").replace("/", ".") for m in step.modules}
        for module in step.modules:
            tree = ast.parse((REPO / "src" / "tqa" / module).read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                for name in names:
                    parts = name.split(".")
                    if parts[:2] == ["tqa", step.package] and len(parts) > 2:
                        inside = ".".join(parts[1:3])
                        assert inside in own or f"{inside}.__init__" in own, f"{module} imports {name}"
