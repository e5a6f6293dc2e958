"""Notebooks are committed clean: no outputs, no execution counts, a tagged parameters cell."""

import nbformat
import pytest

from helpers import REPO

NOTEBOOKS = sorted(REPO.joinpath("notebooks").glob("*.ipynb"))
REQUIRED_PARAMS = {
    "01_clean": {"term"},
    "02_checks": {"term"},
    "03_scores": {"term"},
    "04_district_report": {"term", "mode"},
    "05_school_report": {"term", "school_code", "mode"},
}


def test_all_steps_present():
    assert {p.stem for p in NOTEBOOKS} == set(REQUIRED_PARAMS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert dirty == [], f"{path.name}: cells {dirty} have outputs; strip them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: exactly one cell must be tagged 'parameters'"
    names = {line.split("=")[0].strip() for line in tagged[0].source.splitlines() if "=" in line}
    assert REQUIRED_PARAMS[path.stem] <= names
    # Codes are strings: a default like 001 without quotes would be an int.
    assert all('"' in line for line in tagged[0].source.splitlines() if "=" in line)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_methodology_is_explained(path):
    """A reader of a notebook sees the methodology: markdown explains each step."""
    nb = nbformat.read(path, as_version=4)
    prose = sum(len(c.source) for c in nb.cells if c.cell_type == "markdown")
    assert prose > 300


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_markdown_emphasis_renders(path):
    """CommonMark does not close ``**`` after Chinese punctuation followed by a character (…使用。**只…):
    the asterisks would reach the report as text. Put the punctuation outside the bold."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            assert "**" not in markdown2html_mistune(cell.source), f"cell {i}: unrendered ** in {path.name}"


def test_no_fixed_claim_about_a_school_in_the_report_narrative():
    """Every sentence about a unit is generated from its own results: the narrative explains the measures and
    never states a result (it once said, in every school's report, that the school's value-added interval crossed
    0, also beside a band of 明显高于)."""
    import nbformat

    for stem in ("04_district_report", "05_school_report"):
        nb = nbformat.read(REPO / "notebooks" / f"{stem}.ipynb", as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        for claim in ("本校的区间跨过", "本校的增值与全区平均无法区分", "多数学校都是如此", "本校高于", "本校低于"):
            assert claim not in text, (stem, claim)
        assert "`" not in text, stem  # no parameter keys or code words (they were written in backticks)
