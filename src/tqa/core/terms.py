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


# How schools write a term in 学校信息: 2023-2024学年第二学期 and its usual variants (spaces and full-width digits
# are gone before this: see read_term_label). The second year may be written in full or by its last two digits.
_DASH = r"[-—–―~～至到]"
_SEMESTER = {"一": 1, "1": 1, "上": 1, "秋": 1, "秋季": 1, "二": 2, "2": 2, "下": 2, "春": 2, "春季": 2}
_LABEL = re.compile(
    rf"^(\d{{4}})(?:年)?{_DASH}(\d{{4}}|\d{{2}})(?:年)?学年(?:度)?[,，、]?"
    r"(?:第(一|二|1|2)|(上|下)|(秋季|春季|秋|春))学期$"
)
# 2024年春季学期 / 2023年秋季学期: the calendar year of the semester itself.
_SEASON = re.compile(r"^(\d{4})年?(秋|春)季?学期$")


def read_term_label(text: str) -> Term | None:
    """The term a 学期 cell names, or None when it names none unambiguously.

    Accepted: the label (2023-2024学年第二学期) with any spaces, full-width digits or dashes (2023—2024, 2023～2024),
    学年度, the second year's two last digits (2023-24), 第2学期 for 第二学期, 上学期 / 下学期 (the school year's first,
    autumn, and second, spring, semesters: unambiguous once the school year is written), 秋季 / 春季 学期 after
    the school year, 2023年秋季学期 / 2024年春季学期 (the semester's own calendar year), and the term code itself
    (2023-2). Not accepted: a school year whose two years are not consecutive, a semester without its school year."""
    import unicodedata

    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))
    if _TERM.match(key):
        return parse_term(key)
    m = _LABEL.match(key)
    if m:
        first, second = int(m.group(1)), m.group(2)
        second = int(second) if len(second) == 4 else first // 100 * 100 + int(second)
        if second != first + 1:
            return None
        return Term(first, _SEMESTER[next(g for g in m.groups()[2:] if g)])
    m = _SEASON.match(key)
    if m:
        year = int(m.group(1))
        return Term(year, 1) if m.group(2) == "秋" else Term(year - 1, 2)
    return None


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
