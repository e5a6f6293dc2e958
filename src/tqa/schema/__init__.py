"""The raw-return format and the clean tables' columns: one place for names shared by
the sample generator, the blank template, cleaning, checks, scoring and reports.

Raw workbooks are written by people, so every canonical header has aliases that cleaning
accepts (with a warning when the header is not the canonical one).
"""
from __future__ import annotations

# ---- sheets of a school's return (data/raw/<TERM>/<school_code>.xlsx) -------------------
SHEET_INFO = "学校信息"
SHEET_SCORES = "学业成绩"
SHEET_FITNESS = "体质健康"
SHEET_SURVEY = "作业与睡眠"
SHEET_ROUTINE = "教学常规"
SHEET_ITEMS = "小题得分"  # optional, item-level scores (methodology issue)
REQUIRED_SHEETS = (SHEET_INFO, SHEET_SCORES, SHEET_FITNESS, SHEET_SURVEY, SHEET_ROUTINE)

# 学校信息: a key/value block at the top (column A key, column B value) ...
INFO_KEYS = {
    "school_code": "学校代码",
    "school_name": "学校名称",
    "term": "学期",
    "filled_by": "填表人",
    "phone": "联系电话",
}
# ... then, below a blank row, a per-grade table whose header row starts with 年级.
ENROLMENT_COLUMNS = {  # clean name -> canonical raw header
    "grade": "年级",
    "enrolled": "在籍人数",
    "transferred_in": "转入",
    "transferred_out": "转出",
    "dropped_out": "辍学",
    "died": "死亡",
}

# 学业成绩: fixed columns, then one column per subject (header = subject name).
SCORE_ID_COLUMNS = {
    "student_id": "全国学籍号",
    "name": "姓名",
    "grade": "年级",
    "class_no": "班级",
    "sex": "性别",
}
FITNESS_COLUMNS = {
    "student_id": "学籍号",
    "grade": "年级",
    "sex": "性别",
    "total_score": "学年总分",
}
SURVEY_COLUMNS = {
    "student_id": "学籍号",
    "grade": "年级",
    "homework_minutes": "日均书面作业时间（分钟）",
    "sleep_hours": "日均睡眠时间（小时）",
}
ROUTINE_COLUMNS = {
    "staff_name": "姓名",
    "role": "职务",
    "lessons_observed": "听课节数",
    "lessons_evaluated": "评课节数",
    "research_hours": "教研时数",
}

# 小题得分 (optional): fixed columns, then one column per item (header = item label: "1", "13(1)", ...);
# one row per student and paper; a cell holds the item score, or is blank / 缺考 for an absent student.
ITEM_ID_COLUMNS = {
    "student_id": "全国学籍号",
    "grade": "年级",
    "subject": "学科",
}

# Header variants seen in returns, per clean column name (canonical header is accepted too).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "student_id": ("全国学籍号", "学籍号", "学生学籍号", "学籍编号", "全国学籍号码"),
    "name": ("姓名", "学生姓名", "名字"),
    "grade": ("年级", "所在年级"),
    "class_no": ("班级", "班", "班别", "所在班级"),
    "sex": ("性别",),
    "total_score": ("学年总分", "总分", "体测总分", "体质健康总分"),
    "homework_minutes": ("日均书面作业时间（分钟）", "日均书面作业时间(分钟)", "作业时间（分钟）", "作业时间", "书面作业时间"),
    "sleep_hours": ("日均睡眠时间（小时）", "日均睡眠时间(小时)", "睡眠时间（小时）", "睡眠时间", "睡眠时长"),
    "staff_name": ("姓名", "教师姓名"),
    "role": ("职务", "岗位"),
    "lessons_observed": ("听课节数", "听课", "听课数"),
    "lessons_evaluated": ("评课节数", "评课", "评课数"),
    "research_hours": ("教研时数", "教研时间", "教研（小时）", "教研(小时)"),
    "enrolled": ("在籍人数", "在籍", "学生数"),
    "transferred_in": ("转入", "转入人数"),
    "transferred_out": ("转出", "转出人数"),
    "dropped_out": ("辍学", "辍学人数"),
    "died": ("死亡", "死亡人数"),
    "subject": ("学科", "科目", "考试科目", "学科名称"),
}

# ---- vocabularies ----------------------------------------------------------------------
GRADES = tuple(range(1, 10))
GRADE_LABELS = {1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级", 5: "五年级", 6: "六年级",
                7: "七年级", 8: "八年级", 9: "九年级"}
# Other ways schools write a grade (cleaning maps them to 1..9).
GRADE_ALIASES = {
    **{v: k for k, v in GRADE_LABELS.items()},
    "初一": 7, "初二": 8, "初三": 9,
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

# ---- office inputs (data/raw/<TERM>/office/*.csv, UTF-8 with BOM so Excel opens them) ----
OFFICE_DIR = "office"
REGISTRY_FILE = "registry.csv"
REGISTRY_COLUMNS = {
    "school_code": "学校代码",
    "school_name": "学校名称",
    "name_variants": "曾用名或简称",  # separated by "|"
    "school_type": "学校类型",
    "category": "学校类别",
}
EXAM_SPEC_FILE = "exam_spec.csv"
EXAM_SPEC_COLUMNS = {
    "grade": "年级",
    "subject": "学科",
    "full_marks": "满分",
    "mode": "评价方式",  # 分数 or 等级
}
EXAM_MODE_SCORE = "分数"
EXAM_MODE_LEVEL = "等级"
# Item specification of the papers with item-level scores (one row per item, in paper order).
ITEM_SPEC_FILE = "item_spec.csv"
ITEM_SPEC_COLUMNS = {
    "grade": "年级",
    "subject": "学科",
    "item": "题号",
    "full_marks": "满分",
    "type": "题型",  # 客观 or 主观
}
ITEM_TYPE_OBJECTIVE = "客观"
ITEM_TYPE_SUBJECTIVE = "主观"
# 题型 as written -> the English type tqa.items uses.
ITEM_TYPES = {ITEM_TYPE_OBJECTIVE: "objective", ITEM_TYPE_SUBJECTIVE: "subjective"}
RATINGS_FILE = "inspection_ratings.csv"
RATINGS_COLUMNS = {
    "school_code": "学校代码",
    "indicator_id": "指标编号",
    "indicator": "指标名称",
    "level": "等级",
    "score": "得分",
    "max_score": "满分",
    "rater": "评价人",
}

# ---- clean tables (data/clean/<TERM>/*.parquet) ------------------------------------------
# Every clean row keeps where it came from: school_code, sheet, excel_row (1-based, as Excel shows).
SOURCE_COLUMNS = ("school_code", "sheet", "excel_row")
CLEAN_TABLES = {
    "returns": ("school_code", "school_name", "school_type", "category", "submitted", "source_file",
                "source_sha256", "name_in_return", "filled_by"),
    "enrolment": (*SOURCE_COLUMNS, "grade", "enrolled", "transferred_in", "transferred_out",
                  "dropped_out", "died"),
    "students": (*SOURCE_COLUMNS, "student_id", "name", "grade", "class_no", "sex"),
    "scores": (*SOURCE_COLUMNS, "student_id", "grade", "class_no", "subject", "status", "score",
               "level", "raw_value"),
    "fitness": (*SOURCE_COLUMNS, "student_id", "grade", "sex", "total_score"),
    "survey": (*SOURCE_COLUMNS, "student_id", "grade", "homework_minutes", "sleep_hours"),
    "routine": (*SOURCE_COLUMNS, "staff_name", "role", "lessons_observed", "lessons_evaluated",
                "research_hours"),
    "rejected": (*SOURCE_COLUMNS, "source_file", "reason", "raw_values"),
    "accounting": ("school_code", "sheet", "nonempty_rows", "clean_rows", "rejected_rows"),
    # long: one row per student and item with a score (blank and 缺考 cells give no row)
    "items": (*SOURCE_COLUMNS, "student_id", "grade", "subject", "item", "score"),
}
# Sheets whose rows become rows of a clean table (for the row accounting).
SHEET_TABLE = {
    SHEET_SCORES: "students",
    SHEET_FITNESS: "fitness",
    SHEET_SURVEY: "survey",
    SHEET_ROUTINE: "routine",
    SHEET_INFO: "enrolment",
    SHEET_ITEMS: "items",  # clean_rows counts the sheet's accepted rows, not the long table's item rows
}
