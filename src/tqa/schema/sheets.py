"""One spec per sheet of a school's return (data/raw/<TERM>/<school_code>.xlsx).

A sheet's spec says everything the pipeline knows about it: its name, the clean table its rows become, its
columns in template order with the headers schools may write instead (aliases), which are required, the
clean dtype, tolerated unit suffixes, the valid range, and the field that identifies a row. Cleaning reads
the headers, aliases, required fields, dtypes and units; the checks take the ranges (as suite parameters);
the blank template writes the headers and validates the ranges; docs/raw-returns.md's field tables are
generated from here (``python -m tqa.devtools.docs``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from tqa.core import vocabulary as vocab


@dataclass(frozen=True)
class Field:
    name: str  # clean column name
    header: str  # canonical header (the template's)
    aliases: tuple[str, ...] = ()  # other headers accepted (with an "已自动修正" note)
    dtype: str = "str"  # clean dtype: str, Int64 (a count) or float64
    required: bool = False  # a row without a usable value cannot become a clean row
    missing: str = ""  # why such a row is rejected (Chinese), for required numbers and texts
    units: tuple[str, ...] = ()  # unit suffixes read and dropped ("85分")
    range: tuple[float, float] | None = None  # valid values, inclusive: checks, template, docs
    doc: str = ""  # what to write (docs)
    whole_number: bool = False  # the template asks for a whole number (implied for Int64)

    @property
    def whole(self) -> bool:
        return self.whole_number or self.dtype == "Int64"

    @property
    def range_text(self) -> str:
        lo, hi = self.range or (None, None)
        return f"{lo:g}–{hi:g}" if self.range else ""


@dataclass(frozen=True)
class Sheet:
    name: str  # the tab name
    table: str  # the clean table its rows become
    fields: tuple[Field, ...]  # fixed columns, template order
    key: str | None  # the field identifying a row (repeats of a whole row are duplicates)
    row_noun: str  # what a row is: 学生 / 教师 / 年级
    required: bool = True  # a return must have it
    extra_columns: str | None = None  # after the fixed columns: "subjects" or "items"
    any_of: tuple[str, ...] = ()  # at least one of these fields must be usable ...
    any_of_missing: str = ""  # ... or the row is rejected with this reason
    doc: str = ""

    def __post_init__(self):
        if len({f.name for f in self.fields}) != len(self.fields):
            raise ValueError(f"{self.name}: a field twice")

    @cached_property
    def by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    def field(self, name: str) -> Field:
        return self.by_name[name]

    @cached_property
    def columns(self) -> dict[str, str]:
        """clean name -> canonical header, in template order."""
        return {f.name: f.header for f in self.fields}

    @property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    @property
    def ranged(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.range is not None)


# ---- fields shared by several sheets ---------------------------------------------------------------
# One header in every sheet of the template: 全国学籍号 (the national student-register number); the shorter
# 学籍号 of older templates is read as an alias.
STUDENT_ID = Field(
    "student_id",
    "全国学籍号",
    ("全国学籍号", "学籍号", "学生学籍号", "学籍编号", "全国学籍号码"),
    required=True,
    doc="字母 G 加 18 位身份证号（末位可为 X），全区唯一，两个学期不变",
)
# The ages (in whole years on 1 September of the school year) a 学籍号's date of birth may give: wider than grades
# 1-9 need (6-15), for early and late starters and repeaters; a date outside is a typo in the number.
PUPIL_AGE = (5, 20)
GRADE = Field(
    "grade", "年级", ("年级", "所在年级"), dtype="Int64", required=True, doc="一年级…九年级（也可写 初一、7、7年级）"
)
SEX = Field("sex", "性别", ("性别",), doc="男 / 女")


def _count(name: str, header: str, aliases: tuple[str, ...], **kw) -> Field:
    return Field(name, header, aliases, dtype="Int64", units=("人",), range=(0, 5000), **kw)


# ---- 学校信息: a key/value block (column A label, column B value), then a per-grade table -----------------
@dataclass(frozen=True)
class InfoKey:
    name: str
    label: str
    aliases: tuple[str, ...] = ()


INFO_KEYS = (
    InfoKey("school_code", "学校代码", ("代码", "学校编码", "学校编号")),
    InfoKey("school_name", "学校名称", ("校名", "学校全称", "单位名称")),
    InfoKey("term", "学期", ("学年学期",)),
    InfoKey("filled_by", "填表人", ("填报人", "填表")),
    InfoKey("phone", "联系电话", ("电话", "联系方式", "手机")),
)
INFO_LABELS = {k.name: k.label for k in INFO_KEYS}

INFO = Sheet(
    "学校信息",
    "enrolment",
    key="grade",
    row_noun="年级",
    fields=(
        GRADE,
        _count(
            "enrolled", "在籍人数", ("在籍人数", "在籍", "学生数"), required=True, missing="该年级没有可用的在籍人数"
        ),
        _count("transferred_in", "转入", ("转入", "转入人数")),
        _count("transferred_out", "转出", ("转出", "转出人数")),
        _count("dropped_out", "辍学", ("辍学", "辍学人数")),
        _count("died", "死亡", ("死亡", "死亡人数")),
    ),
    doc="上部为学校代码、学校名称、学期、填表人、联系电话（A 列项目，B 列内容）；空一行后为分年级人数表，表头以“年级”开头",
)

SCORES = Sheet(
    "学业成绩",
    "students",
    key="student_id",
    row_noun="学生",
    extra_columns="subjects",
    fields=(
        STUDENT_ID,
        Field("name", "姓名", ("姓名", "学生姓名", "名字")),
        GRADE,
        Field(
            "class_no",
            "班级",
            ("班级", "班", "班别", "所在班级"),
            dtype="Int64",
            doc="班级号，正整数（也可写 3班、(3)班、三班）",
        ),
        SEX,
    ),
    doc="每名学生一行，固定五列之后每个学科一列（表头为学科名）",
)

FITNESS = Sheet(
    "体质健康",
    "fitness",
    key="student_id",
    row_noun="学生",
    fields=(
        STUDENT_ID,
        GRADE,
        SEX,
        Field(
            "total_score",
            "学年总分",
            ("学年总分", "总分", "体测总分", "体质健康总分"),
            dtype="float64",
            required=True,
            missing="没有可用的体测成绩",
            units=("分",),
            range=(0, 120),
            doc="《国家学生体质健康标准》学年总分（标准分最高 100，附加分最高 20），可有一位小数",
        ),
    ),
)

SURVEY = Sheet(
    "作业与睡眠",
    "survey",
    key="student_id",
    row_noun="学生",
    any_of=("homework_minutes", "sleep_hours"),
    any_of_missing="作业时间和睡眠时间都没有可用的数值",
    fields=(
        STUDENT_ID,
        GRADE,
        Field(
            "homework_minutes",
            "日均书面作业时间（分钟）",
            ("日均书面作业时间（分钟）", "日均书面作业时间(分钟)", "作业时间（分钟）", "作业时间", "书面作业时间"),
            dtype="float64",
            units=("分钟", "min", "分"),
            range=(0, 600),
            whole_number=True,
            doc="分钟，整数",
        ),
        Field(
            "sleep_hours",
            "日均睡眠时间（小时）",
            ("日均睡眠时间（小时）", "日均睡眠时间(小时)", "睡眠时间（小时）", "睡眠时间", "睡眠时长"),
            dtype="float64",
            units=("小时", "个小时", "h", "时"),
            range=(0, 16),
            doc="小时，可有一位小数",
        ),
    ),
)

ROUTINE = Sheet(
    "教学常规",
    "routine",
    key="staff_name",
    row_noun="教师",
    any_of=("lessons_observed", "lessons_evaluated", "research_hours"),
    any_of_missing="听课、评课、教研都没有可用的数值",
    fields=(
        Field("staff_name", "姓名", ("姓名", "教师姓名"), required=True, missing="缺少教师姓名"),
        Field("role", "职务", ("职务", "岗位"), doc="/".join(vocab.ROLES)),
        Field(
            "lessons_observed",
            "听课节数",
            ("听课节数", "听课", "听课数"),
            dtype="Int64",
            units=("节",),
            range=(0, 500),
            doc="本学期听课节数，整数",
        ),
        Field(
            "lessons_evaluated",
            "评课节数",
            ("评课节数", "评课", "评课数"),
            dtype="Int64",
            units=("节",),
            range=(0, 500),
            doc="本学期评课节数，整数",
        ),
        Field(
            "research_hours",
            "教研时数",
            ("教研时数", "教研时间", "教研（小时）", "教研(小时)"),
            dtype="float64",
            units=("小时", "h", "时"),
            range=(0, 1000),
            doc="本学期教研小时数，可有 0.5",
        ),
    ),
)

ITEMS = Sheet(
    "小题得分",
    "items",
    key="student_id",
    row_noun="学生",
    required=False,
    extra_columns="items",
    fields=(
        STUDENT_ID,
        GRADE,
        Field("subject", "学科", ("学科", "科目", "考试科目", "学科名称"), required=True),
    ),
    doc="可选：每名学生每份试卷一行，固定三列之后每道小题一列（表头为题号）",
)

SHEETS = (INFO, SCORES, FITNESS, SURVEY, ROUTINE, ITEMS)
SHEETS_BY_NAME = {s.name: s for s in SHEETS}
REQUIRED_SHEETS = tuple(s.name for s in SHEETS if s.required)
