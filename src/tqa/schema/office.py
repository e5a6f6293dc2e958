"""The office's own files (data/raw/<TERM>/office/*.csv): one spec each, read by ``tqa.io.office``.

CSV saved from Excel (UTF-8 with a BOM). Columns are matched by their Chinese header; the readers turn them
into the English names below.
"""

from __future__ import annotations

from dataclasses import dataclass

OFFICE_DIR = "office"
# School codes are text of this many digits; a code Excel stored as a number ("1") is padded back ("001").
SCHOOL_CODE_DIGITS = 3


@dataclass(frozen=True)
class OfficeFile:
    file: str  # file name in office/
    title: str  # what the office calls it (messages)
    columns: dict[str, str]  # English name -> Chinese header
    required: bool = True
    doc: str = ""


REGISTRY = OfficeFile(
    "registry.csv",
    "学校名册",
    {
        "school_code": "学校代码",
        "school_name": "学校名称",
        "name_variants": "曾用名或简称",  # separated by "|"
        "school_type": "学校类型",
        "category": "学校类别",
    },
)
EXAM_SPEC = OfficeFile(
    "exam_spec.csv",
    "考试安排",
    {
        "grade": "年级",
        "subject": "学科",
        "full_marks": "满分",
        "mode": "评价方式",  # 分数 or 等级
    },
)
# Item specification of the papers with item-level scores (one row per item, in paper order).
ITEM_SPEC = OfficeFile(
    "item_spec.csv",
    "试卷结构表",
    {
        "grade": "年级",
        "subject": "学科",
        "item": "题号",
        "full_marks": "满分",
        "type": "题型",  # 客观 or 主观
    },
    required=False,
)
RATINGS = OfficeFile(
    "inspection_ratings.csv",
    "督导评估结果",
    {
        "school_code": "学校代码",
        "indicator_id": "指标编号",
        "indicator": "指标名称",
        "level": "等级",
        "score": "得分",
        "max_score": "满分",
        "rater": "评价人",
    },
    required=False,
)
RATING_LEVELS = ("A", "B", "C")

OFFICE_FILES = (REGISTRY, EXAM_SPEC, ITEM_SPEC, RATINGS)
