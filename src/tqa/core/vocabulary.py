"""The words the whole pipeline shares: grades, sexes, roles, school types and categories, score markers
and statuses, exam modes, item types, the measures' and the change grid's Chinese names. Plain constants, no
dependencies."""

from __future__ import annotations

GRADES = tuple(range(1, 10))
GRADE_LABELS = {
    1: "一年级",
    2: "二年级",
    3: "三年级",
    4: "四年级",
    5: "五年级",
    6: "六年级",
    7: "七年级",
    8: "八年级",
    9: "九年级",
}
# Other ways schools write a grade (cleaning maps them to 1..9).
GRADE_ALIASES = {
    **{v: k for k, v in GRADE_LABELS.items()},
    "初一": 7,
    "初二": 8,
    "初三": 9,
    **{str(k): k for k in range(1, 10)},
    **{f"{k}年级": k for k in range(1, 10)},
}
SEXES = ("男", "女")
ROLES = ("校长", "业务副校长", "中层", "教研组长", "教师")
SCHOOL_TYPES = ("小学", "初中", "九年一贯制")
SCHOOL_CATEGORIES = ("城区", "乡镇", "农村")
GRADES_BY_TYPE = {"小学": tuple(range(1, 7)), "初中": (7, 8, 9), "九年一贯制": tuple(range(1, 10))}

# A score cell holds a number, or one of these markers (cleaning also accepts variants).
ABSENT = "缺考"
EXEMPT = "免考"
ABSENT_VARIANTS = ("缺考", "缺", "缺席", "缺 考", "缺考 ", "(缺考)", "（缺考）", "Q", "q")
EXEMPT_VARIANTS = ("免考", "免", "免试", "免 考", "缓考", "(免考)", "（免考）", "M", "m")
# Grades 1-2 have no paper exams (2021 national rule): results are levels.
LEVELS = ("优秀", "良好", "合格", "待合格")

# Score status in the clean table.
STATUS_SCORED = "scored"
STATUS_LEVEL = "level"
STATUS_ABSENT = "absent"
STATUS_EXEMPT = "exempt"
STATUS_INVALID = "invalid"  # a cell that could not be read: excluded, with a warning
SCORE_STATUSES = (STATUS_SCORED, STATUS_LEVEL, STATUS_ABSENT, STATUS_EXEMPT, STATUS_INVALID)

# A bottom row whose first non-empty cell is one of these is a total, not a student.
TOTAL_ROW_MARKERS = ("合计", "总计", "小计", "合 计", "总 计")

# How a paper is assessed (exam_spec.csv 评价方式).
EXAM_MODE_SCORE = "分数"
EXAM_MODE_LEVEL = "等级"
EXAM_MODES = (EXAM_MODE_SCORE, EXAM_MODE_LEVEL)

# Item types of the item spec (题型) -> the English type the item analysis uses.
ITEM_TYPE_OBJECTIVE = "客观"
ITEM_TYPE_SUBJECTIVE = "主观"
ITEM_TYPES = {ITEM_TYPE_OBJECTIVE: "objective", ITEM_TYPE_SUBJECTIVE: "subjective"}

# The measures as readers name them (the params' metric and component literals, the composite).
MEASURE_LABELS = {
    "mean": "平均分",
    "mean_share": "平均分率",
    "mean_z": "平均标准分",
    "ratio_to_mean": "比均率",
    "pass_rate": "及格率",
    "excellent_rate": "优秀率",
    "low_rate": "低分率",
    "composite": "综合得分",
}

# 较上学期变化 (params change): the grid's rows (status, from the highest), its columns (change, from the
# largest fall) and its colours.
STATUS_LABELS = ("很高", "高", "中等", "低", "很低")
CHANGE_LABELS = ("显著下降", "下降", "持平", "上升", "显著上升")
COLOUR_LABELS = {"Blue": "蓝", "Green": "绿", "Yellow": "黄", "Orange": "橙", "Red": "红"}
