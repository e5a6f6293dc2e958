"""docs/raw-returns.md's field tables, written from the sheet specs (``tqa.schema.sheets``), so the document says
what cleaning, the checks and the template do: one spec, read by all four.

    python -m tqa.devtools.docs            rewrite the tables in docs/raw-returns.md
    python -m tqa.devtools.docs --check    exit 1 (and say which) when a table is out of date

Each sheet's table sits between two marker comments; the prose around them is written by hand.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from tqa.schema import sheets as sh

DOC = Path("docs/raw-returns.md")
BEGIN = "<!-- 字段表：{name}（由 python -m tqa.devtools.docs 依据 tqa.schema.sheets 生成，请勿手改） -->"
END = "<!-- 字段表结束：{name} -->"


def _number(v: float) -> str:
    return f"{v:g}"


def value_text(f: sh.Field) -> str:
    """What a cell may hold, in the words the template's note uses."""
    parts = []
    if f.range:
        lo, hi = f.range
        parts.append(f"{'整数' if f.whole else '数值'} {_number(lo)}–{_number(hi)}")
    elif f.dtype == "Int64" and f.name not in ("grade", "class_no"):
        parts.append("整数")
    if f.units:
        parts.append("可带单位 " + "、".join(f"`{u}`" for u in f.units) + "（读取时去掉）")
    return "；".join(parts)


def required_text(sheet: sh.Sheet, f: sh.Field) -> str:
    if f.required:
        return "必填"
    if f.name in sheet.any_of:
        others = "".join(f"「{sheet.field(n).header}」" for n in sheet.any_of if n != f.name)
        return f"与{others}至少填一项"
    return ""


def field_table(sheet: sh.Sheet) -> str:
    rows = ["| 表头 | 也可写作 | 必填 | 取值 | 说明 |", "|---|---|---|---|---|"]
    for f in sheet.fields:
        aliases = "、".join(f"`{a}`" for a in f.aliases if a != f.header)
        cells = (f"**{f.header}**", aliases, required_text(sheet, f), value_text(f), f.doc)
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    extra = {
        "subjects": "之后每个学科一列，表头为学科名（见考试安排表）。",
        "items": "之后每道小题一列，表头为题号（见试卷结构表）。",
    }.get(sheet.extra_columns or "")
    if extra:
        rows += ["", extra]
    return "\n".join(rows)


def render(text: str) -> tuple[str, list[str]]:
    """The document with every sheet's table rewritten, and the sheets whose markers are missing."""
    missing = []
    for sheet in sh.SHEETS:
        begin, end = BEGIN.format(name=sheet.name), END.format(name=sheet.name)
        pattern = re.compile(re.escape(begin) + r"\n(?:.*?\n)?" + re.escape(end), flags=re.S)
        if not pattern.search(text):
            missing.append(sheet.name)
            continue
        block = f"{begin}\n{field_table(sheet)}\n{end}"
        text = pattern.sub(lambda _m, block=block: block, text, count=1)
    return text, missing


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tqa.devtools.docs")
    ap.add_argument("--check", action="store_true", help="only report whether the tables are current")
    ap.add_argument("--doc", type=Path, default=DOC)
    args = ap.parse_args(argv)
    text = args.doc.read_text(encoding="utf-8")
    new, missing = render(text)
    if missing:
        print(f"{args.doc}: no marked table for the sheets {missing} (add the marker lines)", file=sys.stderr)
        return 1
    if new == text:
        return 0
    if args.check:
        print(f"{args.doc}: the field tables are out of date; run python -m tqa.devtools.docs", file=sys.stderr)
        return 1
    args.doc.write_text(new, encoding="utf-8")
    print(f"rewrote the field tables in {args.doc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
