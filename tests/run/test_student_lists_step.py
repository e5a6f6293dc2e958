"""The student lists step (tqa.run.steps.cmd_student_lists): one workbook per reported school beside the internal
reports, stale ones removed, the public edition never gets any, and make runs it for the internal edition only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import openpyxl
import pandas as pd
import pytest

from helpers import REPO
from helpers.rows import score_row
from tqa.io.catalog import Catalog
from tqa.measures.academic.students import student_lists
from tqa.params import load_params
from tqa.run.steps import cmd_student_lists, student_list_schools

TERM = "2023-2"
# (school, student, class, 语文 out of 100): 001 and 002 get a report, 003 was set aside by the checks.
ROWS = [
    ("001", "S1", 1, 57),  # 临界及格 and 学困生
    ("001", "S2", 1, 83),  # 临界优秀
    ("001", "S3", 2, 90),
    ("002", "S4", 1, 30),  # 学困生
    ("003", "S5", 1, 20),
]


@pytest.fixture
def catalog(tmp_path):
    (tmp_path / "params").symlink_to(REPO / "params")
    catalog = Catalog(TERM, tmp_path)
    scores = pd.DataFrame([score_row(s, sid, 3, "语文", v, class_no=c) for s, sid, c, v in ROWS])
    scores = scores.astype({"grade": "Int64", "class_no": "Int64"})
    students = pd.DataFrame(
        {
            "school_code": [r[0] for r in ROWS],
            "student_id": [r[1] for r in ROWS],
            "name": ["=1+1", "乙", "丙", "丁", "戊"],
        }
    )
    returns = pd.DataFrame(
        {
            "school_code": ["001", "002", "003"],
            "school_name": ["第一小学", "第二小学", "第三小学"],
            "submitted": [True, True, True],
            "usable": [True, True, False],
        }
    )
    catalog.office.mkdir(parents=True)
    catalog.exam_spec.write_text("年级,学科,满分,评价方式\n3,语文,100,分数\n", encoding="utf-8-sig")
    tiers, borderline = student_lists(
        scores,
        students,
        pd.DataFrame({"grade": [3], "subject": ["语文"], "full_marks": [100.0], "mode": ["分数"]}),
        load_params(TERM, REPO / "params"),
    )
    for stage, name, df in (
        ("checked", "returns", returns),
        ("checked", "scores", scores),
        ("checked", "students", students),
        ("scores", "borderline", borderline),
        ("scores", "tiers", tiers),
    ):
        path = catalog.table(stage, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        df.to_parquet(path)
    return catalog


def files_under(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_public_mode_writes_no_student_lists(catalog):
    assert cmd_student_lists(catalog, "public") == 0
    assert not (catalog.outputs).exists()
    assert student_list_schools(catalog) == {}


def test_internal_mode_writes_one_workbook_per_reported_school_beside_the_reports(catalog):
    schools = catalog.outputs / "schools"
    schools.mkdir(parents=True)
    (schools / "001.html").write_text("report", encoding="utf-8")
    (schools / "099-学生名单.xlsx").write_bytes(b"a school no longer reported")
    assert cmd_student_lists(catalog, "internal") == 0
    assert files_under(catalog.outputs) == [
        "schools/001-学生名单.xlsx",
        "schools/001.html",  # the reports are not the step's to remove
        "schools/002-学生名单.xlsx",
        "schools/student-lists.json",
    ]
    index = json.loads((schools / "student-lists.json").read_text(encoding="utf-8"))
    assert [(e["school_code"], e["file"], e["classes"], e["listed"]) for e in index] == [
        ("001", "001-学生名单.xlsx", 2, 3),
        ("002", "002-学生名单.xlsx", 1, 1),
    ]
    assert student_list_schools(catalog) == {"001": "001-学生名单.xlsx", "002": "002-学生名单.xlsx"}
    wb = openpyxl.load_workbook(schools / "001-学生名单.xlsx")
    assert wb.sheetnames == ["说明", "三年级1班", "三年级2班"]
    rows = [[c.value for c in row] for row in wb["三年级1班"].iter_rows()]
    assert [r[:4] for r in rows[1:]] == [
        ["语文", "临界及格", "S1", "=1+1"],
        ["语文", "临界优秀", "S2", "乙"],
        ["语文", "学困生", "S1", "=1+1"],
    ]
    assert wb["三年级1班"]["D2"].data_type == "s"


def test_lists_that_disagree_with_the_statistics_are_not_written(catalog, capsys):
    path = catalog.table("scores", "tiers")
    tiers = pd.read_parquet(path)
    tiers.assign(struggling_n=tiers["struggling_n"] + 1).to_parquet(path)
    assert cmd_student_lists(catalog, "internal") == 1
    assert "人数不一致" in capsys.readouterr().err
    assert not catalog.outputs.exists() or not list(catalog.outputs.rglob("*.xlsx"))


@pytest.fixture
def project(tmp_path):
    for name in ("Makefile", "notebooks", "checks", "src", ".venv", "requirements.lock", "pyproject.toml", "params"):
        (tmp_path / name).symlink_to(REPO / name)
    (tmp_path / "data" / "raw" / TERM).mkdir(parents=True)
    return tmp_path


def dry_run(root, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    run = subprocess.run(
        ["make", "-n", "--no-print-directory", *args, f"TERM={TERM}"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_report_writes_the_lists_for_the_internal_edition_only(project):
    assert "tqa.run.steps student-lists --term 2023-2" in dry_run(project, "report")
    public = dry_run(project, "report", "MODE=public")
    assert "tqa.run.steps schools --term 2023-2 --mode public" in public and "student-lists" not in public
