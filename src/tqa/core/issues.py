"""Data-quality problems as one table shape, shared by cleaning and checks.

Every problem names the school, the sheet, the Excel row, the column and the value, says in
Chinese what is wrong and what the pipeline did about it, and carries a severity:
- blocking: the district's figures as a whole would be wrong; the run stops;
- warning: confined to rows or to one school; those rows or that school are set aside and listed;
- fixed: the value was normalised (e.g. full-width digits) and kept; listed so the school can fix
  its own template next term.

The action says what the pipeline did. Most warnings set something aside (a row, a value, one of the school's
measures, or the whole school; the checks' suites word it each their own way); the few actions in KEEPS_DATA
leave the school's rows as they are (kept for the school to check, or fixed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

BLOCKING = "blocking"
WARNING = "warning"
FIXED = "fixed"
SEVERITIES = (BLOCKING, WARNING, FIXED)
SEVERITY_LABELS = {BLOCKING: "阻断", WARNING: "警告", FIXED: "已自动修正"}

# Actions that leave the school's data in the statistics (Issue.action).
ACT_FIXED = "已自动修正"
ACT_SKIPPED = "已跳过"  # title rows, blank rows: not data
ACT_KEPT = "已保留，请核对"
ACT_DATA_KEPT = "已保留数据，待核对"
ACT_IGNORED = "已忽略"  # a header cell that names no column of the sheet: the rows are read without it
# A malformed 学籍号: the row counts in the term's own statistics but is never linked with another term.
ACT_UNLINKED = "已保留，不参与跨学期匹配"
KEEPS_DATA = frozenset({ACT_FIXED, ACT_SKIPPED, ACT_KEPT, ACT_DATA_KEPT, ACT_IGNORED, ACT_UNLINKED})

ISSUE_COLUMNS = (
    "stage",
    "severity",
    "rule",
    "school_code",
    "school_name",
    "sheet",
    "excel_row",
    "column",
    "value",
    "message",
    "action",
)


@dataclass(frozen=True)
class Issue:
    stage: str  # "clean" or "checks"
    severity: str  # one of SEVERITIES
    rule: str  # short English id, e.g. "score_above_full_marks"
    school_code: str | None
    sheet: str | None
    excel_row: int | None
    column: str | None
    value: str | None
    message: str  # Chinese, names what is wrong
    action: (
        str  # Chinese, what the pipeline did: 已剔除该行 / 已保留，请核对 / 已自动修正 / 该校暂不纳入统计 / 运行已停止
    )
    school_name: str | None = field(default=None)

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    def text(self) -> str:
        """One line a person reads: 【学校 001 某某小学】学业成绩 第12行 数学=150：…"""
        where = (
            [f"学校 {self.school_code}" + (f" {self.school_name}" if self.school_name else "")]
            if self.school_code
            else ["全区"]
        )
        if self.sheet:
            where.append(f"工作表「{self.sheet}」")
        if self.excel_row is not None:
            where.append(f"第 {self.excel_row} 行")
        cell = f"{self.column}=“{self.value}”" if self.column and self.value is not None else ""
        return f"【{SEVERITY_LABELS[self.severity]}】{'，'.join(where)}{('，' + cell) if cell else ''}：{self.message}（{self.action}）"


def sets_data_aside(severity: str, action: str) -> bool:
    """Whether the pipeline left some of the school's data out over this problem: any warning or blocking
    problem whose action is not one of KEEPS_DATA (an action worded in a way not listed there counts as
    setting data aside, so a school is never told its rows were kept when they were not)."""
    return severity != FIXED and action not in KEEPS_DATA


def issues_frame(issues: list[Issue]):
    """Issues as a DataFrame with the fixed ISSUE_COLUMNS, in a stable order."""
    import pandas as pd

    rows = [asdict(i) for i in issues]
    df = pd.DataFrame(rows, columns=list(ISSUE_COLUMNS))
    df["excel_row"] = df["excel_row"].astype("Int64")
    order = ["school_code", "sheet", "excel_row", "column", "rule"]
    return df.sort_values(order, na_position="first", kind="stable").reset_index(drop=True)
