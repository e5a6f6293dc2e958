"""End to end on the shipped 40-school sample (issue 12): every case planted for the school-life families
(tests/fixtures/sample_defects.json) is found, by its rule in the data-quality issues or by name in the internal
district report, and the public edition names no student and no staff member.

`make report TERM=2023-2` and then `MODE=public` run once, on a scratch project that links the repository's
code, notebooks, params and checks and holds a copy of the shipped data/raw.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from helpers import REPO
from helpers.project import TERM, link_code, make, visible_text
from tqa.devtools.sample import PLANT_KINDS

pytestmark = pytest.mark.e2e

FIXTURE = REPO / "tests" / "fixtures" / "sample_defects.json"

# The plant kinds found by a data-quality rule (the working brief's table of fixed rule ids).
RULE_OF_KIND = {
    "fitness_low_coverage": "fitness_coverage_low",
    "fitness_implausible": "fitness_implausible",
    "survey_low_response": "survey_response_low",
    "survey_identical": "survey_identical_answers",
    "survey_impossible": "survey_impossible_day",
    "unexplained_leaver": "suspected_leaver",
    "unreported_arrival": "unreported_arrival",
    "roll_mismatch": "roll_mismatch",
    "routine_evaluated_over_observed": "routine_evaluated_over_observed",
    "routine_over_teaching_days": "routine_over_teaching_days",
}
# The plant kinds found by name in a section of the internal district report, and the section's heading.
SECTION_OF_KIND = {
    "weak_fitness": "十四、学生体质健康",
    "heavy_homework": "十五、作业与睡眠",
    "lazy_principal": "十七、教学常规",
}
ENROLMENT_SECTION = "十六、学籍变动与控辍保学"
# Plants on a row: the issue names the same row (or the student / staff member it is about).
ROW_KINDS = {
    "unexplained_leaver",
    "unreported_arrival",
    "survey_impossible",
    "routine_evaluated_over_observed",
    "routine_over_teaching_days",
}


def test_every_plant_kind_has_a_finder():
    assert set(RULE_OF_KIND) | set(SECTION_OF_KIND) == set(PLANT_KINDS)
    assert not set(RULE_OF_KIND) & set(SECTION_OF_KIND)


def plants(kind: str) -> list[dict]:
    found = [x for x in json.loads(FIXTURE.read_text(encoding="utf-8")) if x["term"] == TERM and x["kind"] == kind]
    assert found, f"no {kind} plant in {FIXTURE.name}"
    return found


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("shipped")
    link_code(root)
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    for mode in ("internal", "public"):
        run = make(root, "report", f"MODE={mode}", timeout=3600)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return root


@pytest.fixture(scope="module")
def issues(project) -> pd.DataFrame:
    return pd.read_parquet(project / "data" / "checked" / TERM / "issues.parquet")


@pytest.fixture(scope="module")
def workbook_rows(project) -> set[tuple[str, str]]:
    """(school code, message) of every row of the data-quality workbook's 全部问题 sheet."""
    from tqa.checks.workbook import ALL_SHEET, HEADERS

    wb = openpyxl.load_workbook(project / "outputs" / TERM / "data-quality.xlsx", read_only=True)
    rows = list(wb[ALL_SHEET].iter_rows(values_only=True))
    wb.close()
    head = next(i for i, r in enumerate(rows) if r and r[0] == HEADERS[0])
    code, message = rows[head].index("学校代码"), rows[head].index("问题")
    return {(str(r[code]), str(r[message])) for r in rows[head + 1 :] if r and r[code] is not None}


def section(html: str, heading: str) -> str:
    """The visible text of a report section: from its h2 to the next h2."""
    start = re.search(rf"<h2[^>]*>\s*{re.escape(heading)}", html)
    assert start, f"no section {heading}"
    end = html.find("<h2", start.end())
    return visible_text(html[start.start() : end if end >= 0 else len(html)], provenance=True)


def _mentions(issue: pd.Series, text: str) -> bool:
    return text in str(issue["value"]) or text in str(issue["message"])


@pytest.mark.parametrize("kind", sorted(RULE_OF_KIND))
def test_each_plant_is_found_by_its_rule(kind, issues, workbook_rows):
    rule = RULE_OF_KIND[kind]
    for plant in plants(kind):
        hits = issues[(issues["rule"] == rule) & (issues["school_code"] == plant["school_code"])]
        assert len(hits), f"rule {rule} found nothing in school {plant['school_code']}: {plant['detail']}"
        if kind in ROW_KINDS:
            same = [
                i
                for _, i in hits.iterrows()
                if _mentions(i, plant["value"]) or (pd.notna(i["excel_row"]) and i["excel_row"] == plant["excel_row"])
            ]
            assert same, f"rule {rule} in school {plant['school_code']} does not name {plant['value']}"
            hits = pd.DataFrame(same)
        elif kind == "roll_mismatch":  # the grade's row of 学校信息, or the grade named
            assert any(
                (pd.notna(i["excel_row"]) and i["excel_row"] == plant["excel_row"]) or "年级" in str(i["message"])
                for _, i in hits.iterrows()
            ), hits["message"].tolist()
        # and the school receives it in the data-quality workbook
        assert any((plant["school_code"], m) in workbook_rows for m in hits["message"]), hits["message"].tolist()


def test_the_suspected_leavers_are_counted_in_the_district_report(project):
    html = (project / "outputs" / TERM / "district.html").read_text(encoding="utf-8")
    text = section(html, ENROLMENT_SECTION)
    names = school_names(project)
    for code in sorted({x["school_code"] for x in plants("unexplained_leaver")}):
        assert "疑似流失" in text and names[code] in text, f"{names[code]} not named in {ENROLMENT_SECTION}"


def school_names(project: Path) -> dict[str, str]:
    registry = pd.read_csv(project / "data" / "raw" / TERM / "office" / "registry.csv", dtype=str, encoding="utf-8-sig")
    return dict(zip(registry["学校代码"], registry["学校名称"]))


@pytest.mark.parametrize("kind", sorted(SECTION_OF_KIND))
def test_each_named_plant_is_in_its_district_section(kind, project):
    html = (project / "outputs" / TERM / "district.html").read_text(encoding="utf-8")
    text = section(html, SECTION_OF_KIND[kind])
    names = school_names(project)
    for plant in plants(kind):
        who = plant["value"] if kind == "lazy_principal" else names[plant["school_code"]]
        assert who in text, f"{who} ({plant['detail']}) not named in {SECTION_OF_KIND[kind]}"


def _public_texts(project: Path) -> dict[str, str]:
    pub = project / "outputs" / TERM / "public"
    out = {}
    for path in sorted(pub.rglob("*")):
        if path.suffix in (".html", ".json"):
            out[path.relative_to(pub).as_posix()] = visible_text(path.read_text(encoding="utf-8"), provenance=True)
        elif path.suffix == ".pdf":
            text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
            out[path.relative_to(pub).as_posix()] = text
    return out


def test_the_public_edition_names_no_student_and_no_staff_member(project):
    checked = project / "data" / "checked"
    students = pd.concat(
        [pd.read_parquet(p, columns=["name"]) for p in sorted(checked.glob("*/students.parquet"))], ignore_index=True
    )
    staff = pd.concat(
        [pd.read_parquet(p, columns=["staff_name"]) for p in sorted(checked.glob("*/routine.parquet"))],
        ignore_index=True,
    )
    # Every three-character name (a two-character one may be an ordinary word), and every planted staff member.
    people = set(students["name"].dropna()) | set(staff["staff_name"].dropna())
    named = {
        x["value"] for kind in ("lazy_principal", *sorted(k for k in ROW_KINDS if "routine" in k)) for x in plants(kind)
    }
    three = {n for n in people if len(n) == 3}
    texts = _public_texts(project)
    assert any(p.endswith(".pdf") for p in texts) and any(p.endswith(".html") for p in texts)
    for path, text in texts.items():
        assert not re.search(r"G\d{18}", text), f"{path} shows a student ID"
        grams = {text[i : i + 3] for i in range(len(text) - 2)}
        shown = sorted((grams & three) | {n for n in named if n in text})
        assert not shown, f"{path} names {shown[:10]}"
