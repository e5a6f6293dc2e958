"""Clean table rows by hand, for the measures' tests (one builder, the clean `scores` table's columns)."""

from __future__ import annotations

from tqa.core.vocabulary import ABSENT, EXEMPT

INVALID = "??"


def score_row(school, sid, grade, subject, value, class_no=1, status=None) -> dict:
    """One row of the clean `scores` table. ``value``: a number -> scored; a level word -> level; 缺考 / 免考;
    ``??`` -> invalid; ("scored", x) -> a number in a level-graded paper (status mismatch). ``status`` overrides
    (a NaN score with status="absent", say)."""
    kind, score, level = "scored", float("nan"), None
    if isinstance(value, tuple):
        score = float(value[1])
    elif isinstance(value, (int, float)):
        score = float(value)
    elif value == ABSENT:
        kind = "absent"
    elif value == EXEMPT:
        kind = "exempt"
    elif value == INVALID:
        kind = "invalid"
    else:
        kind, level = "level", value
    return {
        "school_code": school,
        "sheet": "学业成绩",
        "excel_row": 0,
        "student_id": sid,
        "grade": grade,
        "class_no": class_no,
        "subject": subject,
        "status": status or kind,
        "score": score,
        "level": level,
        "raw_value": str(value),
    }
