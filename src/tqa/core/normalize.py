"""Cell-level normalisation: pure functions from one raw cell value to a clean value.

Each function returns the clean value plus the "fixes" it applied (e.g. full-width digits), so
the caller can raise one `fixed` issue per normalised cell. Unreadable values come back as None
(or status invalid for scores): the caller decides whether that sets the cell or the row aside.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from tqa.core import vocabulary as vocab

# Fix codes (the caller turns them into Chinese messages).
FIX_FULLWIDTH = "fullwidth"
FIX_UNIT = "unit"
FIX_ABSENT_VARIANT = "absent_variant"
FIX_EXEMPT_VARIANT = "exempt_variant"
FIX_LEVEL_VARIANT = "level_variant"

_WS = re.compile(r"\s+")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_BRACKETS = "()[]【】（）"
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

# Level-graded subjects: other ways people write the four levels.
LEVEL_VARIANTS = {
    "优": "优秀",
    "良": "良好",
    "及格": "合格",
    "不合格": "待合格",
    "不及格": "待合格",
    "A": "优秀",
    "B": "良好",
    "C": "合格",
    "D": "待合格",
}
SEX_VARIANTS = {"男": "男", "女": "女", "男生": "男", "女生": "女", "男性": "男", "女性": "女"}
# Subject headers: each group is one subject; the exam spec decides which member is canonical.
SUBJECT_ALIAS_GROUPS = (
    ("道德与法治", "道法", "思品", "思想品德", "品德", "品德与社会", "品德与生活", "政治", "思想政治"),
    ("英语", "外语", "英文"),
    ("生物", "生物学"),
    ("信息科技", "信息技术"),
    ("体育", "体育与健康"),
    ("历史", "中国历史"),
)


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def squash(text: str) -> str:
    """NFKC and no whitespace at all: the key used to compare labels people type."""
    if text.isascii() and text.isalnum():
        return text  # already its own key (NFKC leaves ASCII alone): most 学籍号 and codes
    return _WS.sub("", nfkc(text))


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def cell_text(value) -> str:
    """A cell as the person wrote it (for raw_value, messages and duplicate detection)."""
    if type(value) is str:  # the common case first: this runs once per score cell
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    return str(value)


def clip(text: str, limit: int | None) -> str:
    """A text as a message or a table may quote it: its first `limit` characters and "…" when longer."""
    return text if limit is None or len(text) <= limit else text[:limit] + "…"


@dataclass(frozen=True)
class Parsed:
    value: float | None  # None: blank or unreadable
    fixes: tuple[str, ...] = ()
    blank: bool = False


@lru_cache(maxsize=65536, typed=True)  # a district repeats the same few thousand values
def parse_number(value, units: tuple[str, ...] = ()) -> Parsed:
    """A number from a cell: Excel numbers as they are; text with full-width digits, spaces or a
    unit suffix (e.g. "85分", "８５", "60 分钟") is read and the fix reported."""
    if is_blank(value):
        return Parsed(None, blank=True)
    if isinstance(value, bool) or isinstance(value, (_dt.date, _dt.datetime)):
        return Parsed(None)
    if isinstance(value, (int, float)):
        return Parsed(float(value))
    raw = str(value)
    fixes = []
    text = nfkc(raw)
    if text != raw and any(unicodedata.category(c) == "Nd" and not c.isascii() for c in raw):
        fixes.append(FIX_FULLWIDTH)
    text = _WS.sub("", text)
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit) and len(text) > len(unit):
            text = text[: -len(unit)]
            fixes.append(FIX_UNIT)
            break
    if not _NUMBER.match(text):
        return Parsed(None)
    return Parsed(float(text), tuple(fixes))


def parse_int(value, units: tuple[str, ...] = ()) -> Parsed:
    """Like parse_number, but a count: a non-integer number is unreadable."""
    p = parse_number(value, units)
    if p.value is not None and not float(p.value).is_integer():
        return Parsed(None, p.fixes)
    return p


def _marker_key(text: str) -> str:
    return squash(text).strip(_BRACKETS).upper()


_ABSENT_KEYS = {_marker_key(v) for v in vocab.ABSENT_VARIANTS}
_EXEMPT_KEYS = {_marker_key(v) for v in vocab.EXEMPT_VARIANTS}


@dataclass(frozen=True)
class ScoreCell:
    status: str  # one of vocab.SCORE_STATUSES
    score: float | None = None
    level: str | None = None
    fixes: tuple[str, ...] = ()
    reason: str | None = None  # why invalid (Chinese)


@lru_cache(maxsize=65536, typed=True)
def parse_score(value, mode: str = vocab.EXAM_MODE_SCORE) -> ScoreCell:
    """One subject cell: a score (分数 mode), a level (等级 mode), absent, exempt or invalid."""
    if is_blank(value):
        return ScoreCell(vocab.STATUS_INVALID, reason="成绩为空，应填写分数、等级或缺考/免考")
    if isinstance(value, str):
        key = _marker_key(value)
        if key in _ABSENT_KEYS:
            fixes = () if value == vocab.ABSENT else (FIX_ABSENT_VARIANT,)
            return ScoreCell(vocab.STATUS_ABSENT, fixes=fixes)
        if key in _EXEMPT_KEYS:
            fixes = () if value == vocab.EXEMPT else (FIX_EXEMPT_VARIANT,)
            return ScoreCell(vocab.STATUS_EXEMPT, fixes=fixes)
        level = key if key in vocab.LEVELS else LEVEL_VARIANTS.get(key)
        if level is not None:
            if mode != vocab.EXAM_MODE_LEVEL:
                return ScoreCell(vocab.STATUS_INVALID, reason="该学科按分数评价，却填写了等级")
            fixes = () if value == level else (FIX_LEVEL_VARIANT,)
            return ScoreCell(vocab.STATUS_LEVEL, level=level, fixes=fixes)
    number = parse_number(value, units=("分",))
    if number.value is not None:
        if mode == vocab.EXAM_MODE_LEVEL:
            return ScoreCell(vocab.STATUS_INVALID, reason="该学科按等级评价，却填写了分数")
        return ScoreCell(vocab.STATUS_SCORED, score=number.value, fixes=number.fixes)
    return ScoreCell(vocab.STATUS_INVALID, reason="无法识别的成绩")


_GRADE_KEYS = {squash(k): v for k, v in vocab.GRADE_ALIASES.items()}


@lru_cache(maxsize=4096, typed=True)
def normalize_grade(value) -> tuple[int | None, tuple[str, ...]]:
    """1..9 from 七年级 / 初一 / 7 / "7" / "７年级"; None when unreadable."""
    if is_blank(value):
        return None, ()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        v = float(value)
        return (int(v), ()) if v.is_integer() and int(v) in vocab.GRADES else (None, ())
    raw = str(value)
    key = squash(raw)
    fixes = (FIX_FULLWIDTH,) if any(unicodedata.category(c) == "Nd" and not c.isascii() for c in raw) else ()
    if key.endswith(".0"):  # "7.0" from a text export
        key = key[:-2]
    grade = _GRADE_KEYS.get(key)
    if grade is None and key.endswith("年级"):  # "7年级": vocab.GRADE_ALIASES lists only 七年级
        grade = _GRADE_KEYS.get(key[:-2])
    return (grade, fixes) if grade is not None else (None, ())


def _cn_number(text: str) -> int | None:
    """一..九十九 (class numbers rarely go beyond twenty)."""
    if not text or any(c not in _CN_DIGITS and c != "十" for c in text):
        return None
    if "十" not in text:
        return _CN_DIGITS[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    t = _CN_DIGITS.get(tens, None) if tens else 1
    o = _CN_DIGITS.get(ones, None) if ones else 0
    return None if t is None or o is None else t * 10 + o


_CLASS_PAREN = re.compile(r"\((\d+|[一二三四五六七八九十]+)\)")


@lru_cache(maxsize=4096, typed=True)
def normalize_class(value) -> int | None:
    """3 from 3 / "3" / "03" / "3班" / "（3）班" / "七(3)班" / "三班" / "第3班"."""
    if is_blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        v = float(value)
        return int(v) if v.is_integer() and v > 0 else None
    text = squash(str(value))
    m = _CLASS_PAREN.search(text)
    if m:
        text = m.group(1)
    else:
        text = text.removesuffix("班").removeprefix("第")
    if text.isascii() and text.isdigit():
        return int(text) if int(text) > 0 else None
    return _cn_number(text)


@lru_cache(maxsize=1024, typed=True)
def normalize_sex(value) -> str | None:
    return None if is_blank(value) else SEX_VARIANTS.get(squash(str(value)))


def normalize_student_id(value) -> str | None:
    """学籍号 as text: no spaces, upper-case letters; a numeric cell loses its ".0"."""
    if is_blank(value):
        return None
    text = squash(cell_text(value)).upper()
    return text or None


def normalize_code(value) -> str | None:
    """A school code as text (a numeric cell loses its ".0")."""
    if is_blank(value):
        return None
    return squash(cell_text(value)) or None


_ITEM_LABEL = re.compile(r"^\d+(\(\d+\))*$")
_ITEM_DECOR = re.compile(r"^(第)?(.+?)(题|小题)?$")


def normalize_item_label(value) -> str | None:
    """An item label as the item spec writes it: "1", "13(1)". Accepts full-width digits and brackets,
    spaces, 第1题 / 1题, leading zeros, and Excel numbers (1.0). None when the cell is not an item label."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() and value > 0 else None
    text = squash(str(value)).replace("（", "(").replace("）", ")")
    m = _ITEM_DECOR.match(text)
    text = m.group(2) if m else text
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if not _ITEM_LABEL.match(text) or int(re.match(r"\d+", text).group(0)) == 0:
        return None
    return re.sub(r"\d+", lambda d: str(int(d.group(0))), text)


def _subject_key(text: str) -> str:
    key = re.sub(r"\(.*?\)", "", squash(text))
    for suffix in ("成绩", "分数", "得分", "等级"):
        if key.endswith(suffix) and len(key) > len(suffix):
            key = key[: -len(suffix)]
    return key


def canonical_subject(header: str, subjects) -> str | None:
    """The exam-spec subject a score column header stands for, or None.

    Exact names first ("数学"), then decorations ("数学成绩", "数学(100分)"), then aliases
    ("道法" for 道德与法治, "外语" for 英语) but only towards a subject the spec actually has."""
    if is_blank(header):
        return None
    by_key = {squash(s): s for s in subjects}
    key = _subject_key(str(header))
    if key in by_key:
        return by_key[key]
    for group in SUBJECT_ALIAS_GROUPS:
        if key in group:
            for member in group:
                if member in by_key:
                    return by_key[member]
    return None
