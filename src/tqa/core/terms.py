"""TERM names: ``<first year of the school year>-<semester>``.

``2023-1`` is the autumn semester of the 2023-2024 school year, ``2023-2`` its spring semester.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_TERM = re.compile(r"^(\d{4})-([12])$")


class TermError(ValueError):
    """A TERM that is malformed or has no data; the message is one readable line."""


@dataclass(frozen=True, order=True)
class Term:
    year: int
    semester: int

    @property
    def name(self) -> str:
        return f"{self.year}-{self.semester}"

    @property
    def label(self) -> str:
        """Chinese label used in reports, e.g. 2023-2024学年第二学期."""
        return f"{self.year}-{self.year + 1}学年第{'一' if self.semester == 1 else '二'}学期"

    def previous(self) -> Term:
        return Term(self.year, 1) if self.semester == 2 else Term(self.year - 1, 2)

    def __str__(self) -> str:
        return self.name


def parse_term(text: str) -> Term:
    m = _TERM.match(str(text).strip())
    if not m:
        raise TermError(f"学期 TERM={text!r} 格式不对：应为“学年起始年份-学期”，如 2023-1（秋季）或 2023-2（春季）")
    return Term(int(m.group(1)), int(m.group(2)))


def available_terms(raw_root: str | Path = "data/raw") -> list[str]:
    root = Path(raw_root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and _TERM.match(p.name))


def require_term(text: str, raw_root: str | Path = "data/raw") -> Term:
    """Parse TERM and check that data/raw/<TERM>/ exists; errors list the terms that do."""
    known = available_terms(raw_root)
    hint = f"已有的学期：{'、'.join(known)}" if known else f"{raw_root}/ 下还没有任何学期的数据"
    try:
        term = parse_term(text)
    except TermError as e:
        raise TermError(f"{e}。{hint}") from None
    if term.name not in known:
        raise TermError(f"学期 TERM={term.name} 没有数据（找不到 {raw_root}/{term.name}/）。{hint}")
    return term


def main(argv: list[str] | None = None) -> int:
    """``python -m tqa.core.terms TERM``: exit 0 if TERM is usable, else print one line and exit 2."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    try:
        require_term(args[0] if args else "")
    except TermError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
