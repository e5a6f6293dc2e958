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

# School-age population (optional): the denominator of 入学率, which the schools cannot report. One row per
# catchment (片区) and 学段, or one 全区 row per 学段; a catchment names the schools serving it.
POPULATION = OfficeFile(
    "population.csv",
    "适龄人口",
    {
        "area": "片区",  # 全区, or a catchment's name
        "stage": "学段",  # 小学 or 初中
        "population": "适龄人口",  # children of the stage's school age living in the area
        "schools": "学校代码",  # the catchment's schools, separated by "|" (blank for 全区: every school)
    },
    required=False,
)
DISTRICT_AREA = "全区"
# The grades of each 学段 (a 九年一贯制 school counts for both).
STAGE_GRADES = {"小学": (1, 2, 3, 4, 5, 6), "初中": (7, 8, 9)}

OFFICE_FILES = (REGISTRY, EXAM_SPEC, ITEM_SPEC, RATINGS, POPULATION)
