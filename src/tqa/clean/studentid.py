"""The 全国学籍号 checked against its documented form, so a malformed one never links two students across terms.

The form (docs/raw-returns.md): the letter G and the student's 18-character identity number (GB 11643: a 6-digit
area code, the date of birth YYYYMMDD, a 3-digit sequence number and a check character, a digit or X). What is
checked: the G, the length, digits only (X allowed as the last character), and the date of birth: a real date
that gives a pupil's age (``sheets.PUPIL_AGE``) at the start of the school year. The ISO 7064 MOD 11-2 check
character is not checked: the sample district's generator draws it at random (docs/methodology.md says why).

Temporary numbers (L or J instead of G, given to pupils without an identity number) are reported too: they
change once the pupil has an identity number, so linking by them across terms is not safe.
"""

from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache

from tqa.schema import sheets

_BODY = re.compile(r"^\d{17}[\dX]$")
FORM = "应为字母 G 加 18 位身份证号（17 位数字加 1 位数字或 X）"


_WELL_FORMED = re.compile(r"G[0-9]{17}[0-9X]")  # the common case, told by one match (then only the date is checked)


def problem(sid: str, school_year: int | None = None) -> str | None:
    """What is wrong with a normalised 学籍号 (``normalize_student_id``: no spaces, upper case), in Chinese, or
    None when it has the documented form. ``school_year``: the first calendar year of the term's school year
    (2023 for 2023-1 and 2023-2); without it the date of birth is only checked for being a real date."""
    if _WELL_FORMED.fullmatch(sid):
        wrong = _birth(sid[7:15], school_year)
        return None if wrong is None else f"学籍号“{sid}”{wrong}"
    shown = f"学籍号“{sid}”"
    if sid[:1] != "G":
        if _BODY.match(sid):
            return f"{shown}缺少开头的字母 G（18 位身份证号前应加 G）"
        if sid[:1] in ("L", "J"):
            return f"{shown}是临时学籍号（{sid[:1]} 开头），学生取得身份证号后会改变，不能用于跨学期匹配"
        return f"{shown}不以字母 G 开头，{FORM}"
    body = sid[1:]
    odd = next((c for i, c in enumerate(body) if not c.isdigit() and not (c == "X" and i == len(body) - 1)), None)
    if odd is not None:
        return f"{shown}中含有“{odd}”，{FORM}"
    if len(body) != 18:
        return f"{shown}为 G 加 {len(body)} 位，{FORM}"
    wrong = _birth(body[6:14], school_year)
    return None if wrong is None else shown + wrong


@lru_cache(maxsize=16384)
def _birth(born: str, school_year: int | None) -> str | None:
    """What is wrong with the date of birth of an identity number (its 7th-14th characters), as the rest of a
    message naming the 学籍号, or None. (A district's pupils share a few thousand birthdays: each is checked once.)"""
    try:
        birth = _dt.date(int(born[:4]), int(born[4:6]), int(born[6:]))
    except ValueError:
        return f"中的出生日期（身份证号第 7–14 位）“{born}”不是有效日期"
    if school_year is not None:
        start = _dt.date(school_year, 9, 1)
        age = start.year - birth.year - ((start.month, start.day) < (birth.month, birth.day))
        lo, hi = sheets.PUPIL_AGE
        if birth >= start:
            return f"中的出生日期（身份证号第 7–14 位）为 {birth:%Y-%m-%d}，晚于本学年开学（{start:%Y-%m-%d}）"
        if not lo <= age <= hi:
            return (
                f"中的出生日期（身份证号第 7–14 位）为 {birth:%Y-%m-%d}，"
                f"到本学年开学（{start:%Y-%m-%d}）为 {age} 岁，不在中小学生的 {lo}–{hi} 岁之内"
            )
    return None
