"""Shaping the scores and issues into the tables the reports show (pure functions).

The notebooks decide what to show and explain it; these functions only select, order and label.
Figures for fewer than ``reporting.min_published_n`` tested students are replaced by 样本过少.
"""
from __future__ import annotations

import pandas as pd

from tqa.core.issues import BLOCKING, FIXED, SEVERITY_LABELS, WARNING
from tqa.schema import EXAM_MODE_LEVEL, GRADE_LABELS

TOO_FEW = "样本过少"

# Chinese headers for the statistics' columns, shared by every table.
LABELS = {
    "school_code": "学校代码", "unit_code": "代码", "unit_name": "学校", "school_name": "学校名称",
    "category": "类别", "school_type": "类型", "grade": "年级", "grade_label": "年级", "subject": "学科",
    "class_no": "班级", "full_marks": "满分", "enrolled": "应考", "tested_n": "实考", "absent_n": "缺考",
    "exempt_n": "免考", "invalid_n": "无效", "participation": "参考率", "mean": "平均分", "sd": "标准差",
    "min": "最低分", "max": "最高分", "pass_rate": "及格率", "excellent_rate": "优秀率",
    "low_rate": "低分率", "pass_n": "及格人数", "excellent_n": "优秀人数", "low_n": "低分人数",
    "rank_district": "区排名", "rank_category": "类别排名", "pass_rate_rank_district": "及格率区排名",
    "excellent_rate_rank_district": "优秀率区排名", "low_rate_rank_district": "低分率区排名",
    "level_label": "范围", "status": "状态", "sheet": "工作表", "excel_row": "行号", "column": "列",
    "value": "值", "message": "问题", "action": "处理", "severity_label": "严重程度",
}
RATE_FORMAT = "{:.1%}"
FORMATS = {"participation": RATE_FORMAT, "pass_rate": RATE_FORMAT, "excellent_rate": RATE_FORMAT,
           "low_rate": RATE_FORMAT, "mean": "{:.1f}", "sd": "{:.1f}", "min": "{:g}", "max": "{:g}",
           "full_marks": "{:g}"}


def labels_for(columns) -> dict[str, str]:
    return {c: LABELS.get(c, c) for c in columns}


def grade_subjects(stats: pd.DataFrame) -> list[tuple[int, str]]:
    """(grade, subject) pairs present, in the scores' order."""
    d = stats.loc[stats["level"] == "district", ["grade", "subject"]]
    return list(d.itertuples(index=False, name=None))


def suppress_small(df: pd.DataFrame, min_n: int, value_columns: list[str]) -> pd.DataFrame:
    """Replace statistics of units with fewer than min_n tested students by 样本过少."""
    out = df.copy()
    small = out["tested_n"] < min_n
    for c in value_columns:
        if c in out:
            out[c] = out[c].astype(object).where(~small, TOO_FEW)
    return out


def rank_text(rank, n) -> str:
    """'3/25' or '—' for an unranked school."""
    if pd.isna(rank) or pd.isna(n):
        return "—"
    return f"{int(rank)}/{int(n)}"


def returns_summary(returns: pd.DataFrame) -> pd.DataFrame:
    """应交 / 已交 / 未交 / 纳入统计 / 暂不纳入, overall and by category."""
    def counts(g: pd.DataFrame) -> pd.Series:
        submitted = g["submitted"].astype(bool)
        usable = g["usable"].astype(bool)
        return pd.Series({"应交": len(g), "已交": int(submitted.sum()), "未交": int((~submitted).sum()),
                          "纳入统计": int(usable.sum()), "暂不纳入": int((submitted & ~usable).sum())})
    rows = [counts(g).rename(cat) for cat, g in returns.groupby("category", sort=True)]
    rows.append(counts(returns).rename("全区"))
    out = pd.DataFrame(rows)
    out.index.name = "类别"
    return out.reset_index()


def participation_overview(stats: pd.DataFrame) -> pd.DataFrame:
    """District-level participation per grade and subject."""
    d = stats.loc[stats["level"] == "district"].copy()
    d["grade_label"] = d["grade"].map(GRADE_LABELS)
    return d[["grade_label", "subject", "enrolled", "tested_n", "absent_n", "exempt_n", "invalid_n",
              "participation"]]


def low_participation(stats: pd.DataFrame, threshold: float) -> pd.DataFrame:
    s = stats.loc[(stats["level"] == "school") & (stats["participation"] < threshold)].copy()
    s["grade_label"] = s["grade"].map(GRADE_LABELS)
    return s[["unit_code", "unit_name", "grade_label", "subject", "enrolled", "tested_n", "absent_n",
              "exempt_n", "participation"]]


def district_rates(stats: pd.DataFrame, grade: int, subject: str) -> pd.DataFrame:
    """District and category rows for one paper."""
    s = stats.loc[(stats["grade"] == grade) & (stats["subject"] == subject)
                  & stats["level"].isin(["district", "category"])].copy()
    s["level_label"] = s["unit_name"]
    cols = ["level_label", "tested_n", "mean", "sd", "pass_rate", "excellent_rate", "low_rate"]
    if is_level_graded(s):
        cols = [c for c in cols if c not in ("mean", "sd")]
    return s[cols]


def with_rank_text(df: pd.DataFrame) -> pd.DataFrame:
    """rank_district / rank_category as 'rank/n' text for display."""
    out = df.copy()
    for scope in ("district", "category"):
        out[f"rank_{scope}"] = [rank_text(r, n) for r, n in zip(df[f"rank_{scope}"], df[f"n_ranked_{scope}"])]
    return out


def is_level_graded(rows: pd.DataFrame) -> bool:
    return bool(len(rows)) and bool((rows["mode"] == EXAM_MODE_LEVEL).all())


def lines_table(stats: pd.DataFrame) -> pd.DataFrame:
    """Full marks and the three lines per paper, as shown in the 口径说明 appendix."""
    d = stats.drop_duplicates(["grade", "subject"])
    level = d["mode"] == EXAM_MODE_LEVEL
    out = pd.DataFrame({"年级": d["grade"].map(GRADE_LABELS), "学科": d["subject"]})
    for col, name in (("full_marks", "满分"), ("pass_line", "及格线"), ("excellent_line", "优秀线"),
                      ("low_line", "低分线（低于）")):
        out[name] = [("等级评价" if lv else f"{v:g}") for v, lv in zip(d[col], level)]
    return out.reset_index(drop=True)


def comparison_table(cmp: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """School / category / district rows (school_tables.comparisons) ready to show: small cohorts
    suppressed, ranks as text."""
    shown = suppress_small(cmp, min_n, ["mean", "sd", "pass_rate", "excellent_rate", "low_rate"])
    return with_rank_text(shown)


def mask_small(df: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """Statistics of small cohorts set to NaN (for charts, which must not show what tables suppress)."""
    out = df.copy()
    small = out["tested_n"] < min_n
    for c in ("mean", "sd", "pass_rate", "excellent_rate", "low_rate"):
        out[c] = out[c].where(~small)
    return out


def issue_counts(issues: pd.DataFrame) -> pd.DataFrame:
    """Per school: problems by severity (schools without problems are left out)."""
    if issues.empty:
        return pd.DataFrame(columns=["school_code", "school_name", *SEVERITY_LABELS.values()])
    t = issues.assign(sev=issues["severity"].map(SEVERITY_LABELS)).pivot_table(
        index=["school_code", "school_name"], columns="sev", values="rule", aggfunc="count", fill_value=0)
    for sev in (BLOCKING, WARNING, FIXED):
        if SEVERITY_LABELS[sev] not in t:
            t[SEVERITY_LABELS[sev]] = 0
    return t[[SEVERITY_LABELS[s] for s in (BLOCKING, WARNING, FIXED)]].reset_index()


def issue_list(issues: pd.DataFrame) -> pd.DataFrame:
    out = issues.assign(severity_label=issues["severity"].map(SEVERITY_LABELS))
    out["excel_row"] = out["excel_row"].astype("Int64").astype(str).replace("<NA>", "")
    return out[["severity_label", "sheet", "excel_row", "column", "value", "message", "action"]]


def flatten_params(params: dict, prefix: str = "") -> pd.DataFrame:
    """params as (键, 值) rows, for the 口径说明 appendix."""
    rows = []
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows.extend(flatten_params(value, name + ".").itertuples(index=False, name=None))
        else:
            rows.append((name, str(value)))
    return pd.DataFrame(rows, columns=["参数", "取值"])


# ---- methodology tables ----------------------------------------------------------------------------

def interval_text(est, lo, hi, fmt: str = "{:.1f}", scale: float = 1.0) -> list[str]:
    """'85.3（83.1–87.5）' per row; '—' where missing."""
    out = []
    for e, a, b in zip(est, lo, hi):
        if pd.isna(e):
            out.append("—")
        elif pd.isna(a) or pd.isna(b):
            out.append(fmt.format(e * scale))
        else:
            out.append(f"{fmt.format(e * scale)}（{fmt.format(a * scale)}–{fmt.format(b * scale)}）")
    return out


def rank_range_text(lo, hi) -> list[str]:
    return ["—" if pd.isna(a) or pd.isna(b) else (f"{int(a)}" if int(a) == int(b) else f"{int(a)}–{int(b)}")
            for a, b in zip(lo, hi)]


def rank_columns(rows: pd.DataFrame) -> dict[str, list[str]]:
    """区排名 ('rank/n'), 名次区间 and 综合得分 as text, per school row (internal editions only)."""
    return {"区排名": [rank_text(r, n) for r, n in zip(rows["rank_district"], rows["n_ranked_district"])],
            "名次区间": rank_range_text(rows["rank_lo"], rows["rank_hi"]),
            "综合得分": [f"{v:.1f}" if pd.notna(v) else "—" for v in rows["composite"]]}


def withhold_small(out: pd.DataFrame, rows: pd.DataFrame, first: int) -> pd.DataFrame:
    """``out`` (built from ``rows``, row for row) with the columns from position ``first`` on replaced by the
    sample status (样本过少…) where a row is not publishable."""
    shown = rows["publishable"].fillna(False).astype(bool).to_numpy()
    status = rows["sample_status"].to_numpy()
    return out.assign(**{col: out[col].astype(object).where(shown, status) for col in out.columns[first:]})


def ranking_with_uncertainty(results: pd.DataFrame, grade: int, subject: str, public: bool) -> pd.DataFrame:
    """Schools on one paper: estimates with 95 % intervals, the band against the district and, internally,
    the rank beside its plausible range. Small cohorts show their sample status instead."""
    s = results.loc[(results["level"] == "school") & (results["grade"] == grade) & (results["subject"] == subject)]
    s = s.sort_values(["mean", "pass_rate", "unit_code"], ascending=[False, False, True], na_position="last")
    out = pd.DataFrame({
        "代码": s["unit_code"], "学校": s["unit_name"], "类别": s["category"], "实考": s["tested_n"],
        "平均分（95%区间）": interval_text(s["mean"], s["mean_lo"], s["mean_hi"]),
        "及格率（95%区间）": interval_text(s["pass_rate"], s["pass_rate_lo"], s["pass_rate_hi"], "{:.0f}", 100),
        "优秀率": [f"{v:.1%}" if pd.notna(v) else "—" for v in s["excellent_rate"]],
        "低分率": [f"{v:.1%}" if pd.notna(v) else "—" for v in s["low_rate"]],
        "与全区比较": s["mean_band"].fillna(s["pass_rate_band"]).fillna("—"),
    })
    if not public:
        out = out.assign(**rank_columns(s))
    out = withhold_small(out, s, first=4)
    if is_level_graded(s):
        out = out.drop(columns=[c for c in ("平均分（95%区间）", "区排名", "名次区间", "综合得分") if c in out])
    return out.reset_index(drop=True)


def change_grid_counts(change: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """The 5x5 status-by-change grid: how many school x paper cells fall in each colour cell."""
    from tqa.measures.academic.results import CHANGE_LABELS, STATUS_LABELS

    c = change.dropna(subset=["status_level", "change_level"])
    table = pd.crosstab(c["status_level"], c["change_level"]).reindex(index=list(STATUS_LABELS),
                                                                      columns=list(CHANGE_LABELS), fill_value=0)
    table.index.name = "现状＼变化"
    return table.reset_index()


def targets_summary(targets: pd.DataFrame) -> pd.DataFrame:
    """Per paper and indicator: the district's value against its target, and how many schools met it."""
    d = targets[targets["level"] == "district"].set_index(["grade", "subject", "indicator"])
    s = targets[(targets["level"] == "school") & targets["met"].notna()]
    met = s.groupby(["grade", "subject", "indicator"])["met"].agg(["sum", "count"])
    out = d.join(met, how="left").reset_index()
    return pd.DataFrame({
        "年级": out["grade"].map(GRADE_LABELS), "学科": out["subject"], "指标": out["indicator_label"],
        "目标": [f"{k}{t:.0%}" for k, t in zip(out["kind"], out["target"])],
        "全区": [f"{v:.1%}" if pd.notna(v) else "—" for v in out["actual"]],
        "全区达成": out["met"].map({True: "达成", False: "未达成"}).fillna("—"),
        "达成学校": [f"{int(a)}/{int(b)}" if pd.notna(b) else "—" for a, b in zip(out["sum"], out["count"])],
    })


def sensitivity_summary(sens: pd.DataFrame, top: int = 15) -> pd.DataFrame:
    """Schools whose composite rank moves most under the alternative weightings."""
    s = sens.dropna(subset=["max_rank_change"]).drop_duplicates(["unit_code", "grade", "subject"])
    s = s.sort_values(["max_rank_change", "unit_code"], ascending=[False, True]).head(top)
    return pd.DataFrame({"代码": s["unit_code"], "学校": s["unit_name"], "年级": s["grade"].map(GRADE_LABELS),
                         "学科": s["subject"], "最大名次变动": s["max_rank_change"].astype(int)})


def va_model_table(models: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "年级": models["grade"].map(GRADE_LABELS), "学科": models["subject"], "学生数": models["n_obs"],
        "学校数": models["n_groups"],
        "b1（上学期成绩）": [f"{b:.3f}（{se:.3f}）" for b, se in zip(models["b_prior"], models["b_prior_se"])],
        "校间方差 σ²u": models["sigma2_u"].map("{:.4f}".format), "校内方差 σ²e": models["sigma2_e"].map("{:.4f}".format),
        "ICC": models["icc"].map("{:.3f}".format), "拟合方法": models["method"]})


def trend_cells(t: pd.DataFrame) -> pd.Series:
    """'85.3% / 3/25' per trend row: the pass rate and the district rank (ranking.rank_by) among ranked schools."""
    rate = [f"{v:.1%}" if pd.notna(v) else "—" for v in t["pass_rate"]]
    rank = [rank_text(r, n) for r, n in zip(t["rank_district"], t["n_ranked_district"])]
    return pd.Series([f"{a} / {b}" for a, b in zip(rate, rank)], index=t.index, dtype=object)


def pct_text(values, digits: int = 1) -> list[str]:
    return [f"{v:.{digits}%}" if pd.notna(v) else "—" for v in values]


# ---- item analysis (试卷分析) ----------------------------------------------------------------------

TYPE_LABELS = {"objective": "客观", "subjective": "主观"}


def paper_table(papers: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "年级": papers["grade"].map(GRADE_LABELS), "学科": papers["subject"], "学生数": papers["n"],
        "题数": papers["k"], "满分": papers["full_marks"].map("{:g}".format),
        "平均分": papers["mean"].map("{:.1f}".format), "标准差": papers["sd"].map("{:.1f}".format),
        "难度": papers["difficulty"].map("{:.2f}".format), "α 系数": papers["alpha"].map("{:.3f}".format),
        "SEM": papers["sem"].map("{:.2f}".format), "提示": papers["flags"].fillna(""),
    }).reset_index(drop=True)


def item_table(items: pd.DataFrame) -> pd.DataFrame:
    items = items.sort_values("item_no")
    return pd.DataFrame({
        "题号": items["item"], "题型": items["type"].map(TYPE_LABELS).fillna(items["type"]),
        "满分": items["full_marks"].map("{:g}".format), "难度 P": items["difficulty"].map("{:.2f}".format),
        "区分度 D": items["discrimination"].map("{:.2f}".format),
        "题总相关": items["item_total_r"].map("{:.2f}".format), "评价": items["ebel_band"].fillna(""),
        "提示": items["flags"].fillna(""),
    }).reset_index(drop=True)


def item_gap_table(gaps: pd.DataFrame) -> pd.DataFrame:
    gaps = gaps.sort_values(["weakness_rank", "item_no"])
    return pd.DataFrame({
        "题号": gaps["item"], "题型": gaps["type"].map(TYPE_LABELS).fillna(gaps["type"]),
        "满分": gaps["full_marks"].map("{:g}".format), "本校得分率": pct_text(gaps["school_rate"]),
        "全区得分率": pct_text(gaps["district_rate"]),
        "差距（百分点）": [f"{v * 100:+.1f}" for v in gaps["gap"]],
    }).reset_index(drop=True)


def district_rank_trend(trend: pd.DataFrame, grade: int, subject: str) -> pd.DataFrame:
    """排名统计表 for one paper: every school's pass rate / district rank in each term on disk (internal only).

    Rows: schools by their rank in the latest term (unranked or absent then: last, by code); columns 代码, 学校,
    类别 (from the school's latest row), then one per term ("85.3% / 3/25"; "—" where the school has no row that
    term). A paper on which no school was ever ranked (level-graded grades 1-2, or only small schools) gives an
    empty table: there is nothing to rank.
    """
    t = trend[(trend["level"] == "school") & (trend["grade"] == grade) & (trend["subject"] == subject)]
    if t.empty or t["rank_district"].isna().all():
        return pd.DataFrame(columns=["代码", "学校", "类别"])
    t = t.assign(cell=trend_cells(t))
    terms = sorted(t["term"].unique())
    wide = t.pivot_table(index="unit_code", columns="term", values="cell", aggfunc="first").reindex(columns=terms)
    latest = t.sort_values("term").drop_duplicates("unit_code", keep="last").set_index("unit_code")
    now = t[t["term"] == terms[-1]].set_index("unit_code")["rank_district"].astype("Float64")
    order = pd.DataFrame({"rank": now.reindex(wide.index), "code": wide.index},
                         index=wide.index).sort_values(["rank", "code"], na_position="last")
    wide = wide.loc[order.index].fillna("—")
    out = pd.DataFrame({"代码": wide.index, "学校": latest["unit_name"].reindex(wide.index).to_numpy(),
                        "类别": latest["category"].reindex(wide.index).to_numpy()})
    for term in terms:
        out[term] = wide[term].to_numpy()
    return out.reset_index(drop=True)
