"""End to end, as the office runs it: `make report` on a small generated district.

A scratch project links the repository's code, notebooks, params and checks, and holds its own
generated data/raw/. One school's return is deliberately unreadable: the others must still report.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from helpers import REPO
from helpers.project import TERM, link_code, make, visible_text
from tqa.devtools.sample import generate_district

REPO = REPO
GENERATED = ("outputs", "data/clean", "data/checked", "data/scores")

pytestmark = pytest.mark.e2e


def scratch_project(root: Path, schools: int, seed: int) -> Path:
    link_code(root)
    generate_district(root / "data" / "raw", schools=schools, seed=seed, terms=("2023-1", TERM))
    return root


def snapshot(root: Path) -> dict[str, str]:
    """Every generated file's hash; not the raw folder's listing (make's record of the returns' names, sizes and
    times, tqa.io.rawfiles: a re-sent return changes it, and so re-runs cleaning)."""
    files = {}
    for d in GENERATED:
        for p in sorted((root / d).rglob("*")):
            if p.is_file() and p.name != ".raw-files.json":
                files[p.relative_to(root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return files


def pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


HOSTILE_NAME = '=HYPERLINK("http://evil.example/","点此核对")'
HOSTILE_HEADER = "=cmd|' /C calc'!A0"
HOSTILE_SCORE = "@SUM(1+1)"


def plant_hostile_text(path: Path) -> None:
    """Formula-like text where a school types it (as text): the school name, an extra header, a score cell."""
    import openpyxl

    from tqa.io.xlsx import put, save_workbook

    wb = openpyxl.load_workbook(path)
    info = wb["学校信息"]
    name_cell = next(row[1] for row in info.iter_rows(min_col=1, max_col=2) if row[0].value == "学校名称")
    put(name_cell, HOSTILE_NAME)
    scores = wb["学业成绩"]
    header = next(r for r in range(1, 10) if any(c.value in ("全国学籍号", "学籍号") for c in scores[r]))
    put(scores.cell(row=header, column=scores.max_column + 1), HOSTILE_HEADER)
    subject_col = next(c.column for c in scores[header] if c.value == "数学")
    put(scores.cell(row=header + 1, column=subject_col), HOSTILE_SCORE)
    save_workbook(wb, path)


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    root = scratch_project(tmp_path_factory.mktemp("district"), schools=5, seed=11)
    returns = sorted((root / "data" / "raw" / TERM).glob("*.xlsx"))
    broken = returns[-1]
    broken.write_bytes(b"this is not an xlsx file")  # one school's broken file
    plant_hostile_text(returns[0])
    # Any file name: Windows' copy name with every character make or the shell would read as syntax (the
    # school is found from the leading code), and a file that is not a return (listed, not read).
    returns[1].rename(returns[1].with_name(f"{returns[1].stem} - 副本 $HOME 'a' & (1) #2 %3 :4.xlsx"))
    (returns[1].parent / "说明 (见附件).docx").write_bytes(b"not a return")
    run = make(root, "report")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return root, broken.stem, run


def test_every_report_exists(district):
    root, broken, _ = district
    out = root / "outputs" / TERM
    for name in ("index.html", "district.html", "district.pdf", "data-quality.xlsx", "manifest.json"):
        assert (out / name).stat().st_size > 0, name
    returns = pd.read_parquet(root / "data" / "checked" / TERM / "returns.parquet")
    usable = returns.loc[returns["usable"].astype(bool), "school_code"].tolist()
    assert len(usable) >= 3 and broken not in usable
    for code in usable:
        assert (out / "schools" / f"{code}.html").exists() and (out / "schools" / f"{code}.pdf").exists()
    assert not (out / "schools" / f"{broken}.pdf").exists()
    assert len(list((out / "notebooks" / "internal" / "schools").glob("*.ipynb"))) == len(usable)


def test_no_workbook_the_pipeline_writes_holds_a_formula_from_a_return(district):
    import openpyxl

    root, _, _ = district
    assert make(root, "template").returncode == 0
    books = sorted((root / "outputs").rglob("*.xlsx"))
    template = root / "outputs" / TERM / "template.xlsx"
    assert {p.name for p in books} >= {"data-quality.xlsx", "template.xlsx"}
    seen = set()
    for path in books:
        wb = openpyxl.load_workbook(path)
        cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
        assert [c.coordinate for c in cells if c.data_type == "f"] == [], path.name
        seen |= {c.value for c in cells if isinstance(c.value, str)}
    # the hostile texts did reach the workbook sent back to schools, as text
    assert HOSTILE_HEADER in seen and HOSTILE_SCORE in seen and any(HOSTILE_NAME in v for v in seen)
    template.unlink()  # not a report output: the later snapshot tests compare runs of `make report`


def test_pdfs_carry_their_school_in_chinese(district):
    root, _, _ = district
    out = root / "outputs" / TERM
    returns = pd.read_parquet(root / "data" / "checked" / TERM / "returns.parquet")
    for code, name in returns.loc[returns["usable"].astype(bool), ["school_code", "school_name"]].itertuples(
        index=False
    ):
        text = pdftotext(out / "schools" / f"{code}.pdf")
        assert name in text.replace(" ", ""), f"{code}: {name} not found in its PDF"
        assert "及格率" in text and "数据与程序来源" in text
    district_text = pdftotext(out / "district.pdf")
    assert "全区报告" in district_text.replace(" ", "") and "口径说明" in district_text


def test_pdf_fonts_are_embedded(district):
    root, _, _ = district
    fonts = subprocess.run(
        ["pdffonts", str(root / "outputs" / TERM / "district.pdf")], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert fonts, "no fonts in the PDF"
    assert all(line.split()[-5] == "yes" for line in fonts), fonts  # the 'emb' column
    assert all(line.split()[-3] == "yes" for line in fonts), fonts  # 'uni': text maps back to Unicode


def test_html_fetches_nothing_external(district):
    root, _, _ = district
    out = root / "outputs" / TERM
    for path in [out / "index.html", out / "district.html", *sorted((out / "schools").glob("*.html"))]:
        html = path.read_text(encoding="utf-8")
        # No script but the template's own (sorting), which fetches nothing and is the only one the CSP allows
        own = (REPO / "src" / "tqa" / "reports" / "templates" / "tqa" / "sort.js").read_text(encoding="utf-8").strip()
        scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, re.S | re.I)
        assert scripts in ([], [own]), path.name
        assert "fetch(" not in own and "XMLHttpRequest" not in own and "import(" not in own
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I), path.name
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", html, re.I), path.name
        assert not re.search(r"@import", html, re.I), path.name


def test_index_lists_reports_and_the_broken_return(district):
    root, broken, _ = district
    html = (root / "outputs" / TERM / "index.html").read_text(encoding="utf-8")
    entries = json.loads((root / "outputs" / TERM / "schools" / "index.json").read_text(encoding="utf-8"))
    for e in entries:
        assert f'href="schools/{e["school_code"]}.pdf"' in html
    assert "暂不纳入统计的学校" in html and broken in html


def test_broken_file_is_reported_with_its_school(district):
    root, broken, _ = district
    issues = pd.read_parquet(root / "data" / "checked" / TERM / "issues.parquet")
    own = issues[issues["school_code"] == broken]
    assert len(own) >= 1 and own["message"].str.contains("无法").any(), own.to_dict("records")


def test_manifest_lists_every_input_with_its_hash(district):
    root, _, _ = district
    manifest = json.loads((root / "outputs" / TERM / "manifest.json").read_text(encoding="utf-8"))
    raw = sorted(p for p in (root / "data" / "raw" / TERM).rglob("*") if p.is_file())
    listed = {e["path"]: e["sha256"] for e in manifest["inputs"]}
    assert sorted(listed) == [p.relative_to(root).as_posix() for p in raw]
    for p in raw:
        assert listed[p.relative_to(root).as_posix()] == hashlib.sha256(p.read_bytes()).hexdigest()
    assert manifest["params_sha256"] and manifest["code_version"].startswith("tqa ")
    assert {"pandas", "great_expectations", "papermill", "chromium"} <= set(manifest["packages"])
    footer = pdftotext(root / "outputs" / TERM / "district.pdf")
    assert manifest["params_sha256"][:12] in footer and manifest["code_version"] in footer


def test_rerun_is_a_noop(district):
    root, _, _ = district
    before = {p: p.stat().st_mtime_ns for p in (root / "outputs" / TERM).rglob("*") if p.is_file()}
    q = make(root, "-q", f"outputs/{TERM}/manifest.json")
    assert q.returncode == 0, "make -q says something is out of date"
    dry = make(root, "-n", "report").stdout.strip().splitlines()
    assert len(dry) == 1 and "完成" in dry[0], dry  # only the closing message would run
    run = make(root, "report")
    assert run.returncode == 0 and "==> [" not in run.stdout, run.stdout
    after = {p: p.stat().st_mtime_ns for p in (root / "outputs" / TERM).rglob("*") if p.is_file()}
    assert before == after


def test_only_affected_steps_rerun(district):
    root, _, _ = district
    what_if = lambda f: make(root, "-n", "-W", f, "report").stdout  # noqa: E731 (dry run, touches nothing)
    school_nb = what_if("notebooks/05_school_report.ipynb")
    assert "tqa.run.steps schools" in school_nb
    assert "01_clean" not in school_nb and "04_district" not in school_nb
    # Each step re-runs only when a params section it reads changed value (its stamp); a comment changes none.
    link = root / "params"
    link.unlink()
    shutil.copytree(REPO / "params", link)
    methodology = link / "methodology.yaml"
    shipped = methodology.read_text(encoding="utf-8")

    def rerun_with(text):
        methodology.write_text(text, encoding="utf-8")
        run = make(root, "report")
        assert run.returncode == 0, run.stderr[-3000:]
        return {k for k in range(1, 7) if f"==> [{k}/6]" in run.stdout}

    assert rerun_with(shipped + "# e2e: a comment only\n") == set()
    # The district's name is read by the reports only.
    assert rerun_with(shipped.replace("name: 清河区", "name: 清河区（演练）", 1)) == {4, 5, 6}
    # The publication floor is read by the statistics and the reports, not by cleaning or the checks.
    assert "min_published_n: 10" in shipped
    assert rerun_with(shipped.replace("min_published_n: 10", "min_published_n: 11", 1)) == {3, 4, 5, 6}
    methodology.write_text(shipped, encoding="utf-8")
    assert make(root, "report").returncode == 0
    # A re-sent return (same bytes, newer file) re-runs cleaning onward, for real, with the same results.
    before = snapshot(root)
    os.utime(sorted((root / "data" / "raw" / TERM).glob("*.xlsx"))[0])
    run = make(root, "report")
    assert run.returncode == 0, run.stderr[-3000:]
    assert all(f"[{k}/6]" in run.stdout for k in range(1, 7)), run.stdout
    assert snapshot(root) == before


def test_a_chart_edit_rerenders_the_reports_only_and_a_cleaning_edit_reruns_everything(district):
    root, _, _ = district
    # The project's own copy of the code (mtimes kept), so the test touches no file of the repository.
    (root / "src").unlink()
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__"))
    try:

        def stale(goal, term=TERM):  # make -q: exit 1 when the goal (or anything under it) would re-run
            env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
            return (
                subprocess.run(
                    ["make", "-q", "--no-print-directory", goal, f"TERM={term}"],
                    cwd=root,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=300,
                ).returncode
                == 1
            )

        goals = ("clean", "checks", "scores", "district", "schools", "index", f"outputs/{TERM}/manifest.json")
        assert not any(stale(g) for g in goals)
        (root / "src" / "tqa" / "reports" / "charts" / "academic.py").touch()
        assert [g for g in goals if stale(g)] == ["district", "schools", "index", f"outputs/{TERM}/manifest.json"]
        run = make(root, "report")
        assert run.returncode == 0, run.stderr[-3000:]
        assert {k for k in range(1, 7) if f"==> [{k}/6]" in run.stdout} == {4, 5, 6}, run.stdout
        assert "先计算较早学期" not in run.stdout
        (root / "src" / "tqa" / "clean" / "sheets.py").touch()
        assert [g for g in goals if stale(g)] == list(goals) and stale("scores", "2023-1")
    finally:
        shutil.rmtree(root / "src")
        (root / "src").symlink_to(REPO / "src")
    run = make(root, "report")  # back on the repository's code (older mtimes than the copy's touch)
    assert run.returncode == 0, run.stderr[-3000:]


def test_a_school_report_is_a_function_of_files_alone(district, tmp_path):
    """One school's report, rendered in a fresh process in a project holding only the checked tables, the
    statistics and the inputs record (no raw returns, no clean tables, no other school's output), is byte for
    byte the report `make report` wrote, and the job writes only its own three files: the same job can run on
    any worker that sees these files."""
    root, _, _ = district
    solo = tmp_path / "solo"
    solo.mkdir()
    link_code(solo)
    for stage in ("checked", "scores"):
        shutil.copytree(root / "data" / stage, solo / "data" / stage)
    (solo / "data" / "clean" / TERM).mkdir(parents=True)
    shutil.copy2(root / "data" / "clean" / TERM / "inputs.json", solo / "data" / "clean" / TERM)

    def files():  # os.walk does not follow the links to the code
        return {Path(d, f).relative_to(solo).as_posix() for d, _, fs in os.walk(solo) for f in fs}

    before = files()
    code = json.loads((root / "outputs" / TERM / "schools" / "index.json").read_text(encoding="utf-8"))[0][
        "school_code"
    ]
    out = solo / "elsewhere"
    # the environment make gives every recipe (its exports), and nothing else of the parent's
    exports = dict(re.findall(r"^export (\w+) := (\S+)", (REPO / "Makefile").read_text(encoding="utf-8"), re.M))
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), **exports}
    run = subprocess.run(
        [
            ".venv/bin/python",
            "-m",
            "tqa.run.runner",
            "notebooks/05_school_report.ipynb",
            str(out / f"{code}.ipynb"),
            "-p",
            "term",
            TERM,
            "-p",
            "school_code",
            code,
            "-p",
            "mode",
            "internal",
            "--html",
            str(out / f"{code}.html"),
            "--pdf",
            str(out / f"{code}.pdf"),
        ],
        cwd=solo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    made = root / "outputs" / TERM / "schools"
    assert (out / f"{code}.html").read_bytes() == (made / f"{code}.html").read_bytes()
    assert (out / f"{code}.pdf").read_bytes() == (made / f"{code}.pdf").read_bytes()
    assert files() - before == {f"elsewhere/{code}.{x}" for x in ("ipynb", "html", "pdf")}


def notebook_calls(stem: str) -> list[str]:
    """The view methods a report notebook shows, in order."""
    import nbformat

    nb = nbformat.read(REPO / "notebooks" / f"{stem}.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return list(dict.fromkeys(re.findall(r"\bview\.(\w+)\(", code)))


def test_the_public_views_read_no_internal_table(district, monkeypatch):
    """Structural, not a branch in a cell: every section the report notebooks show, called on the public
    views, reads only tables the public edition may read (tqa.schema.tables.INTERNAL_ONLY)."""
    from tqa.io.catalog import Catalog
    from tqa.reports.display import setup
    from tqa.reports.views import district_view, school_view
    from tqa.schema.tables import spec

    root, _, _ = district
    setup()  # as the notebooks do: the report fonts
    reads = []
    original = Catalog.read
    monkeypatch.setattr(
        Catalog, "read", lambda self, stage, name: reads.append((stage, name)) or original(self, stage, name)
    )
    code = json.loads((root / "outputs" / TERM / "schools" / "index.json").read_text(encoding="utf-8"))[0][
        "school_code"
    ]
    for stem, view in (
        ("04_district_report", district_view(TERM, "public", root=str(root))),
        ("05_school_report", school_view(TERM, code, "public", root=str(root))),
    ):
        calls = notebook_calls(stem)
        assert len(calls) > 10, calls
        for name in calls:
            getattr(view, name)()
    assert reads and not [r for r in reads if spec(*r).internal_only], sorted(set(reads))
    internal = school_view(TERM, code, "internal", root=str(root))
    internal.classes_section()
    assert ("scores", "tiers") in reads  # the internal edition does read its classes' students by tier
    with pytest.raises(PermissionError, match="scores/borderline"):
        school_view(TERM, code, "public", root=str(root)).read("scores", "borderline")


def test_second_cold_run_is_byte_identical(district):
    root, _, _ = district
    first = snapshot(root)
    for d in GENERATED:
        shutil.rmtree(root / d, ignore_errors=True)
    run = make(root, "report")
    assert run.returncode == 0, run.stderr[-3000:]
    second = snapshot(root)
    assert sorted(first) == sorted(second)
    differ = [p for p in first if first[p] != second[p]]
    assert differ == []
    assert any(p.endswith(".pdf") for p in first) and any(p.endswith(".parquet") for p in first)


def test_public_mode_has_bands_not_ranks_and_no_students(district):
    root, _, _ = district
    run = make(root, "report", "MODE=public")
    assert run.returncode == 0, run.stderr[-3000:]
    pub = root / "outputs" / TERM / "public"
    entries = json.loads((pub / "schools" / "index.json").read_text(encoding="utf-8"))
    assert entries and all((pub / "schools" / f"{e['school_code']}.pdf").exists() for e in entries)
    scores = pd.read_parquet(root / "data" / "checked" / TERM / "scores.parquet")
    students = pd.read_parquet(root / "data" / "checked" / TERM / "students.parquet")
    for path in [pub / "index.html", pub / "district.html", *sorted((pub / "schools").glob("*.html"))]:
        html = path.read_text(encoding="utf-8")
        for header in ("名次", "排名", "综合得分"):  # no rank column in any table
            assert not re.search(rf"<th[^>]*>[^<]*{header}", html), f"{path.name} has a {header} column"
        assert "临界生名单" not in html and 'href="data-quality.xlsx"' not in html, path.name
        if path.name != "index.html":  # an edition says which it is, and carries nothing of the other
            assert '<span class="tqa-edition public">公开版</span>' in html and "· 公开版" in html, path.name
            for internal_words in ("仅内部版", "本表从略", "供教研室内部研判使用", "tqa-edition internal"):
                assert internal_words not in html, (path.name, internal_words)
        assert not re.search(r"G\d{18}", html), f"{path.name} shows a student ID"
        assert not any(name in html for name in students["name"].head(200)), f"{path.name} shows a student name"
    assert "与全区比较" in (pub / "district.html").read_text(encoding="utf-8")
    internal = (root / "outputs" / TERM / "district.html").read_text(encoding="utf-8")
    assert re.search(r"<th[^>]*>\s*平均分名次（全区）", internal) and re.search(r"<th[^>]*>\s*名次区间", internal)
    assert len(scores) > 0


def test_blocking_problem_stops_the_run_with_a_summary(tmp_path):
    root = scratch_project(tmp_path, schools=3, seed=5)
    spec = root / "data" / "raw" / TERM / "office" / "exam_spec.csv"
    lines = spec.read_text(encoding="utf-8-sig").splitlines()
    dropped = next(line for line in lines[1:] if ",数学," in line)
    spec.write_text("\n".join(line for line in lines if line != dropped) + "\n", encoding="utf-8-sig")
    run = make(root, "report")
    assert run.returncode != 0
    assert "阻断" in run.stderr and "数学" in run.stderr
    assert "Traceback" not in run.stderr
    assert (root / "outputs" / TERM / "data-quality.xlsx").exists()
    assert not (root / "outputs" / TERM / "district.pdf").exists()


def _tables(html: str) -> list[tuple[list[str], list[list[str]]]]:
    """Every report table as (column headers, rows of cell texts)."""
    out = []
    for table in re.findall(r"<table class=\"tqa-table.*?</table>", html, re.S):
        cols = re.search(r'<tr class="cols">(.*?)</tr>', table, re.S)
        heads = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>(.*?)</th>", cols.group(1))] if cols else []
        body = re.search(r"<tbody>(.*?)</tbody>", table, re.S)
        rows = [
            [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1) if body else "", re.S)
        ]
        out.append((heads, rows))
    return out


def test_no_public_table_or_chart_orders_schools_by_a_result(district):
    """The public edition never lets a reader order schools: every table listing schools lists them by category,
    then code (never in an order that follows a result), shows no school's figure beside its name, and no chart
    names a school."""
    from matplotlib.figure import Figure

    from tqa.core.vocabulary import SCHOOL_CATEGORIES
    from tqa.reports.display import setup
    from tqa.reports.views import district_view

    root, _, _ = district
    run = make(root, "report", "MODE=public")
    assert run.returncode == 0, run.stderr[-3000:]
    returns = pd.read_parquet(root / "data" / "checked" / TERM / "returns.parquet")
    codes = set(returns["school_code"])
    category = dict(zip(returns["school_code"], returns["category"]))
    html = (root / "outputs" / TERM / "public" / "district.html").read_text(encoding="utf-8")
    listed = 0
    for heads, rows in _tables(html):
        if "代码" not in heads:
            continue
        i = heads.index("代码")
        order = [r[i] for r in rows if r and r[i] in codes]
        if len(order) < 2:
            continue
        listed += 1
        expected = sorted(order, key=lambda c: (SCHOOL_CATEGORIES.index(category[c]), c))
        assert order == expected, (heads, order)
        numeric = [
            h for h in heads if h != "代码" and any(re.fullmatch(r"-?[\d.,]+%?", r[heads.index(h)] or "") for r in rows)
        ]
        assert numeric == [], f"a public table shows schools' figures: {numeric}"
    assert listed >= 3  # the papers' tables and the value added: each school against the district only
    setup()
    view = district_view(TERM, "public", root=str(root))
    names = set(returns["school_name"].dropna())
    for name in notebook_calls("04_district_report"):
        items = getattr(view, name)()
        for fig in items if isinstance(items, list) else [items]:
            if isinstance(fig, Figure):
                texts = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels() + ax.get_xticklabels()]
                texts += [t.get_text() for ax in fig.axes for t in ax.texts]
                assert not [t for t in texts if any(n in t for n in names) or t in codes], (name, texts)
    internal = (root / "outputs" / TERM / "district.html").read_text(encoding="utf-8")
    assert "需关注学校（" in internal and "需关注学校（" not in html  # the named list is the office's only


PARAM_KEY = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b|\b[a-z_]+\.[a-z_]+\b")
FILE_NAME = re.compile(r"[\w.-]+\.(csv|xlsx|yaml|json|html|pdf|parquet|ipynb)\b")


def test_no_parameter_key_or_code_word_reaches_a_reader(district):
    """Every rendered report, both editions: no params key (section.key or a key name) and no snake_case identifier
    in the text a reader sees."""
    from tqa.params import load_params

    root, _, _ = district
    assert make(root, "report", "MODE=public").returncode == 0  # (a no-op when an earlier test made it)
    params = load_params(TERM, root / "params")
    keys = {k for section in params.appendix().values() if isinstance(section, dict) for k in section}
    keys = {k for k in keys if "_" in k or len(k) > 5}  # single short words (weights, grid) are ordinary English
    returns = pd.read_parquet(root / "data" / "checked" / TERM / "returns.parquet")
    names = set(returns["school_name"].dropna()) | set(returns["name_in_return"].dropna())
    out = root / "outputs" / TERM
    pages = [out / "district.html", *sorted((out / "schools").glob("*.html"))]
    pages += [out / "public" / "district.html", *sorted((out / "public" / "schools").glob("*.html"))]
    assert len(pages) >= 4
    for page in pages:
        text = FILE_NAME.sub(" ", visible_text(page.read_text(encoding="utf-8")))
        for name in names:  # what a school typed (its name: a hostile one is planted) is data, not a code word
            text = text.replace(name, " ")
        found = set(PARAM_KEY.findall(text)) | {k for k in keys if re.search(rf"\b{re.escape(k)}\b", text)}
        assert not found, f"{page.relative_to(root)}: {sorted(found)[:10]}"


PAGE_FACTS = """JSON.stringify({
  scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
  sections: Array.from(document.querySelectorAll("h2[id]")).map(h => decodeURIComponent(h.id)),
  contents: Array.from(document.querySelectorAll("nav.toc a")).map(a => decodeURIComponent(a.hash.slice(1))),
  sortable: document.querySelectorAll("table.sortable").length,
  back: Array.from(document.querySelectorAll(".tqa-back a")).map(a => a.getAttribute("href")),
})"""


def page_facts(browser, path: Path, width: int) -> dict:
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 800},
        session=True,
    )
    browser.call("Page.navigate", {"url": path.resolve().as_uri()}, session=True)
    browser.wait_for("Page.loadEventFired", 120)
    result = browser.call("Runtime.evaluate", {"expression": PAGE_FACTS, "returnByValue": True}, session=True)
    return json.loads(result["result"]["value"])


def test_screen_at_desktop_and_phone_width(district):
    """In headless Chromium at 1280 px and 390 px: the page never scrolls sideways (wide tables scroll in their
    box), every section is reachable from the contents, the way back to the index is there, and tables sort only
    in the internal edition."""
    from tqa.reports import pdf

    root, _, _ = district
    assert make(root, "report", "MODE=public").returncode == 0  # (a no-op when an earlier test made it)
    out = root / "outputs" / TERM
    code = json.loads((out / "schools" / "index.json").read_text(encoding="utf-8"))[0]["school_code"]
    pages = {
        out / "district.html": ("internal", "index.html"),
        out / "schools" / f"{code}.html": ("internal", "../index.html"),
        out / "public" / "district.html": ("public", "index.html"),
        out / "public" / "schools" / f"{code}.html": ("public", "../index.html"),
    }
    browser = pdf.Browser()
    try:
        for path, (edition, back) in pages.items():
            for width in (1280, 390):
                facts = page_facts(browser, path, width)
                where = f"{path.relative_to(root)} at {width}px"
                assert facts["scroll"] <= facts["inner"], f"{where} scrolls sideways: {facts['scroll']}"
                assert facts["sections"] and set(facts["sections"]) <= set(facts["contents"]), where
                assert facts["back"] == [back], where
                assert (facts["sortable"] > 0) == (edition == "internal"), where
    finally:
        browser.close()


def _section_items(view, stem: str) -> list:
    from tqa.reports.display import Landscape

    items: list = []

    def collect(item):
        if isinstance(item, (list, tuple)):
            for i in item:
                collect(i)
        elif isinstance(item, Landscape):  # a paper's block printed on landscape pages
            collect(item.items)
        elif item is not None:
            items.append(item)
            table = getattr(item, "table", None)  # a first page's table
            if table is not None:
                collect(table)

    for name in notebook_calls(stem):
        collect(getattr(view, name)())
    return items


def test_one_small_cohort_rule_in_every_section_of_both_editions(district):
    """With the publication minimum raised until most school x paper cohorts fall below it (a district of small
    schools, in effect), no section of any report shows a withheld cohort's figure: no per-school table row, no
    first-page statement, no figure in the school's own tables; the district's own figures stay."""
    from tqa.core.vocabulary import GRADE_LABELS
    from tqa.params import load_params, override
    from tqa.reports.display import Summary, Table, setup
    from tqa.reports.views import DistrictView, InternalSchoolView, PublicDistrictView, PublicSchoolView

    root, _, _ = district
    setup()
    params = override(load_params(TERM, root / "params"), {"reporting": {"min_published_n": 150, "min_rank_n": 150}})
    stats = pd.read_parquet(root / "data" / "scores" / TERM / "subject_stats.parquet")
    schools = stats[stats["level"] == "school"]
    small = schools[(schools["tested_n"] > 0) & (schools["tested_n"] < 150)]
    assert len(small) > len(schools) / 2  # most cohorts are now below the minimum
    withheld = {(r.unit_code, f"{GRADE_LABELS[r.grade]}{r.subject}") for r in small.itertuples()}
    hidden = [
        f"{GRADE_LABELS[r.grade]}{r.subject}：平均分 {r.mean:.1f}" for r in small.itertuples() if pd.notna(r.mean)
    ]
    district_rows = 0
    for view in (DistrictView(TERM, str(root), params), PublicDistrictView(TERM, str(root), params)):
        for item in _section_items(view, "04_district_report"):
            if isinstance(item, Table) and "代码" in item.df and "平均分（95%区间）" in item.df:
                paper = item.caption.split("：")[0]
                district_rows += len(item.df)
                assert not [c for c in item.df["代码"] if (c, paper) in withheld], item.caption
            if isinstance(item, Summary):
                text = " ".join(st.text for g in item.groups for st in g.statements)
                assert not [h for h in hidden if h in text]
    assert district_rows > 0  # the schools above the minimum are still listed
    whole = schools.groupby("unit_code")["tested_n"].max()
    code = whole[whole < 150].index[0]  # a school all of whose cohorts are withheld
    for view in (InternalSchoolView(TERM, code, str(root), params), PublicSchoolView(TERM, code, str(root), params)):
        items = _section_items(view, "05_school_report")
        summary = next(i for i in items if isinstance(i, Summary))
        said = " ".join(st.text for g in summary.groups for st in g.statements)
        assert not [p for c, p in withheld if c == code and f"{p}：" in said]  # no statement on a withheld paper
        shown = 0
        for item in items:
            if isinstance(item, Table) and "level_label" in item.df:
                own = item.df[item.df["level_label"] == "本校"]
                for col in [c for c in ("mean", "pass_rate", "excellent_rate", "low_rate") if c in own]:
                    for v in own[col]:  # the school's own figures are never numbers
                        shown += 1
                        assert not isinstance(v, float) or pd.isna(v), (col, v)
        assert shown > 0
