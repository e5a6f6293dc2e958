"""docs/raw-returns.md says what the specs say: the sheets' field tables are generated, the office files' columns
match their specs."""

from __future__ import annotations

import re
from dataclasses import replace

from helpers import REPO
from tqa.devtools.docs import field_table, main, render
from tqa.schema import office, sheets

DOC = REPO / "docs" / "raw-returns.md"


def test_the_field_tables_are_current():
    text = DOC.read_text(encoding="utf-8")
    new, missing = render(text)
    assert missing == [] and new == text, "run python -m tqa.devtools.docs"
    assert main(["--check", "--doc", str(DOC)]) == 0


def test_a_spec_change_shows_in_the_table_and_check_notices(tmp_path, monkeypatch):
    doc = tmp_path / "raw-returns.md"
    doc.write_text(DOC.read_text(encoding="utf-8"), encoding="utf-8")
    fitness = sheets.FITNESS
    changed = replace(
        fitness, fields=tuple(replace(f, range=(0, 110)) if f.name == "total_score" else f for f in fitness.fields)
    )
    monkeypatch.setattr(sheets, "SHEETS", tuple(changed if s is fitness else s for s in sheets.SHEETS))
    assert "数值 0–110" in field_table(changed)
    assert main(["--check", "--doc", str(doc)]) == 1
    assert main(["--doc", str(doc)]) == 0 and "数值 0–110" in doc.read_text(encoding="utf-8")


def test_every_field_and_alias_is_documented():
    text = DOC.read_text(encoding="utf-8")
    for sheet in sheets.SHEETS:
        for f in sheet.fields:
            assert f"**{f.header}**" in text
            for a in f.aliases:
                assert a == f.header or f"`{a}`" in text, a


def test_the_office_files_documented_columns_are_their_specs():
    text = DOC.read_text(encoding="utf-8")
    for spec in office.OFFICE_FILES:
        section = re.search(rf"### {re.escape(spec.file)}[^\n]*\n\n(\|[^\n]*)\n", text)
        assert section, spec.file
        header = [c.strip() for c in section.group(1).strip("|").split("|")]
        assert header == list(spec.columns.values()), spec.file
