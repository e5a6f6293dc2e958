"""Words and formats for readers: column labels, number formats, texts for estimates with intervals, ranks and
percentages (Chinese, as the reports show them)."""

from __future__ import annotations

import re

import pandas as pd

TOO_FEW = "样本过少"


# Chinese headers for the statistics' columns, shared by every table.
LABELS = {
    "school_code": "学校代码",
    "unit_code": "代码",
    "unit_name": "学校",
    "school_name": "学校名称",
    "category": "类别",
    "school_type": "类型",
    "grade": "年级",
    "grade_label": "年级",
    "subject": "学科",
    "class_no": "班级",
    "full_marks": "满分",
    "enrolled": "在籍",
    "participation_denominator": "应考",
    "tested_n": "实考",
    "absent_n": "缺考",
    "exempt_n": "免考",
    "invalid_n": "无效",
    "participation": "参考率",
    "mean": "平均分",
    "sd": "标准差",
    "min": "最低分",
    "max": "最高分",
    "pass_rate": "及格率",
    "excellent_rate": "优秀率",
    "low_rate": "低分率",
    "pass_n": "及格人数",
    "excellent_n": "优秀人数",
    "low_n": "低分人数",
    "rank_district": "全区名次",
    "rank_category": "同类名次",
    "pass_rate_rank_district": "及格率区排名",
    "excellent_rate_rank_district": "优秀率区排名",
    "low_rate_rank_district": "低分率区排名",
    "level_label": "范围",
    "status": "状态",
    "sheet": "工作表",
    "excel_row": "行号",
    "column": "列",
    "value": "值",
    "message": "问题",
    "action": "处理",
    "severity_label": "严重程度",
}


RATE_FORMAT = "{:.1%}"


FORMATS = {
    "participation": RATE_FORMAT,
    "pass_rate": RATE_FORMAT,
    "excellent_rate": RATE_FORMAT,
    "low_rate": RATE_FORMAT,
    "mean": "{:.1f}",
    "sd": "{:.1f}",
    "min": "{:g}",
    "max": "{:g}",
    "full_marks": "{:g}",
    "enrolled": "{:,.0f}",
    "participation_denominator": "{:,.0f}",
    "tested_n": "{:,.0f}",
    "listed_n": "{:,.0f}",
}

# What a rank ranks, in its header: every rank says its measure (params ranking.rank_by is the report's main one).
RANK_NAMES = {
    "mean": "平均分名次",
    "pass_rate": "及格率名次",
    "excellent_rate": "优秀率名次",
    "low_rate": "低分率名次",
    "composite": "综合得分名次",
}


def rank_labels(metric: str) -> dict[str, str]:
    """Headers of the district and category rank columns when they rank by ``metric``."""
    name = RANK_NAMES[metric]
    return {"rank_district": f"{name}（全区）", "rank_category": f"{name}（同类学校）"}


# The bands as the public reads them: each school against the district, nothing else.
PUBLIC_BANDS = {
    "明显高于": "明显高于全区",
    "高于": "高于全区",
    "持平": "与全区相当",
    "低于": "低于全区",
    "明显低于": "明显低于全区",
}


def band_words(values, public: bool) -> list:
    """Band labels as the edition words them (the public edition: against the district, in full)."""
    if not public:
        return list(values)
    return [PUBLIC_BANDS.get(v, v) if isinstance(v, str) else v for v in values]


def labels_for(columns) -> dict[str, str]:
    return {c: LABELS.get(c, c) for c in columns}


def rank_text(rank, n) -> str:
    """'3/25' or '—' for an unranked school."""
    if pd.isna(rank) or pd.isna(n):
        return "—"
    return f"{int(rank)}/{int(n)}"


def _number(fmt: str, value: float) -> str:
    """``fmt`` applied, without a sign on a value that rounds to zero ("-0.0" and "+0.00" read as 0)."""
    text = fmt.format(value)
    return re.sub(r"^[+-](?=0(\.0+)?(%|$))", "", text)


def interval_text(est, lo, hi, fmt: str = "{:.1f}", scale: float = 1.0) -> list[str]:
    """'85.3（83.1–87.5）' per row; '—' where missing."""
    out = []
    for e, a, b in zip(est, lo, hi):
        if pd.isna(e):
            out.append("—")
        elif pd.isna(a) or pd.isna(b):
            out.append(_number(fmt, e * scale))
        else:
            out.append(f"{_number(fmt, e * scale)}（{_number(fmt, a * scale)}–{_number(fmt, b * scale)}）")
    return out


def rank_range_text(lo, hi) -> list[str]:
    return [
        "—" if pd.isna(a) or pd.isna(b) else (f"{int(a)}" if int(a) == int(b) else f"{int(a)}–{int(b)}")
        for a, b in zip(lo, hi)
    ]


def signed(value: float, digits: int = 1) -> str:
    """+1.5 / -0.3 / 0.0: a difference with its sign, never "-0.0" (a value that rounds to zero has none)."""
    if pd.isna(value):
        return "—"
    return _number(f"{{:+.{digits}f}}", value)


def pct_text(values, digits: int = 1) -> list[str]:
    return [f"{v:.{digits}%}" if pd.notna(v) else "—" for v in values]


TYPE_LABELS = {"objective": "客观", "subjective": "主观"}


def percent(level: float) -> str:
    """A confidence level as readers see it: 0.95 -> "95%", 0.998 -> "99.8%"."""
    return f"{round(float(level) * 100, 6):g}%"
