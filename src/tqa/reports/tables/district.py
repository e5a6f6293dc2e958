"""The district report's tables (pure functions): returns and participation, each paper's schools with
intervals and bands, targets, value-added models, item analysis, the rank history, data quality, parameters.

The notebook decides what to show and explains it; these functions only select, order and label.
"""

from __future__ import annotations

import pandas as pd

from tqa.core import units
from tqa.core.issues import BLOCKING, FIXED, SEVERITY_LABELS, WARNING
from tqa.core.ordering import sort_rows
from tqa.core.vocabulary import GRADE_LABELS, SCHOOL_CATEGORIES
from tqa.measures.academic.change import CHANGE_LABELS, STATUS_LABELS
from tqa.measures.cohorts import STATUS_FULL, STATUS_WITHHELD
from tqa.measures.intervals import BAND_BELOW, BAND_WELL_BELOW
from tqa.reports.labels import TYPE_LABELS, band_words, interval_text, pct_text, percent
from tqa.reports.tables.common import is_level_graded, rank_columns, trend_cells

# How a value-added model was fitted, in words (tqa.measures.academic.valueadded: the exact profiled REML, or an
# optimiser's fit when the guard preferred it).
FIT_METHODS = {"profiled_reml": "限制性极大似然（精确解）"}


def returns_summary(returns: pd.DataFrame) -> pd.DataFrame:
    """应交 / 已交 / 未交 / 纳入统计 / 暂不纳入, overall and by category."""

    def counts(g: pd.DataFrame) -> pd.Series:
        submitted = g["submitted"].astype(bool)
        usable = g["usable"].astype(bool)
        return pd.Series(
            {
                "应交": len(g),
                "已交": int(submitted.sum()),
                "未交": int((~submitted).sum()),
                "纳入统计": int(usable.sum()),
                "暂不纳入": int((submitted & ~usable).sum()),
            }
        )

    rows = [counts(g).rename(cat) for cat, g in returns.groupby("category", sort=True)]
    rows.append(counts(returns).rename("全区"))
    out = pd.DataFrame(rows)
    out.index.name = "类别"
    return out.reset_index()


def participation_overview(stats: pd.DataFrame) -> pd.DataFrame:
    """District-level participation per grade and subject."""
    d = stats.loc[units.is_level(stats, units.DISTRICT)].copy()
    d["grade_label"] = d["grade"].map(GRADE_LABELS)
    cols = ["grade_label", "subject", "enrolled", "participation_denominator", "tested_n", "absent_n", "exempt_n"]
    return d[[*cols, "invalid_n", "participation"]]


def low_participation(stats: pd.DataFrame, threshold: float) -> pd.DataFrame:
    s = stats.loc[units.is_level(stats, units.SCHOOL) & (stats["participation"] < threshold)].copy()
    s["grade_label"] = s["grade"].map(GRADE_LABELS)
    return s[
        [
            "unit_code",
            "unit_name",
            "grade_label",
            "subject",
            "enrolled",
            "participation_denominator",
            "tested_n",
            "absent_n",
            "exempt_n",
            "participation",
        ]
    ]


def district_rates(stats: pd.DataFrame, grade: int, subject: str) -> pd.DataFrame:
    """District and category rows for one paper."""
    s = stats.loc[
        (stats["grade"] == grade)
        & (stats["subject"] == subject)
        & (units.is_level(stats, units.DISTRICT) | units.is_level(stats, units.CATEGORY))
    ].copy()
    s["level_label"] = s["unit_name"]
    cols = ["level_label", "tested_n", "mean", "sd", "pass_rate", "excellent_rate", "low_rate"]
    if is_level_graded(s):
        cols = [c for c in cols if c not in ("mean", "sd")]
    return s[cols]


def issue_counts(issues: pd.DataFrame) -> pd.DataFrame:
    """Per school: problems by severity (schools without problems are left out)."""
    if issues.empty:
        return pd.DataFrame(columns=["school_code", "school_name", *SEVERITY_LABELS.values()])
    t = issues.assign(sev=issues["severity"].map(SEVERITY_LABELS)).pivot_table(
        index=["school_code", "school_name"], columns="sev", values="rule", aggfunc="count", fill_value=0
    )
    for sev in (BLOCKING, WARNING, FIXED):
        if SEVERITY_LABELS[sev] not in t:
            t[SEVERITY_LABELS[sev]] = 0
    return t[[SEVERITY_LABELS[s] for s in (BLOCKING, WARNING, FIXED)]].reset_index()


def _paper_schools(results: pd.DataFrame, grade: int, subject: str) -> pd.DataFrame:
    return results.loc[
        units.is_level(results, units.SCHOOL) & (results["grade"] == grade) & (results["subject"] == subject)
    ]


def _published(rows: pd.DataFrame) -> pd.Series:
    return rows["publishable"].fillna(False).astype(bool)


def unpublished_count(results: pd.DataFrame, grade: int, subject: str) -> int:
    """Schools on one paper whose figures are not published (too few tested students): a count, not rows."""
    s = _paper_schools(results, grade, subject)
    return int((~_published(s) & (s["tested_n"].fillna(0) > 0)).sum())


def printed_schools(
    table: pd.DataFrame, most: int, band_column: str = "与全区比较", always=None
) -> tuple[pd.Series | None, str | None]:
    """Which rows of a table of schools (a paper's ``ranking_with_uncertainty``, a grade's 总分) print, and the
    note the paper shows; ``always``: rows that are not schools (the categories, the district) and always print.

    Up to ``most`` schools (params printing.all_schools_max) every row prints (None, None). Beyond it the
    printed page keeps the schools below the district (低于, 明显低于: the ones the office must look at) and
    says how many there are and where the rest is; the screen always has every school, sortable. A district
    of 300 schools otherwise prints about 460 pages of such tables."""
    fixed = pd.Series(False if always is None else list(always), index=range(len(table)), dtype=bool)
    schools = int((~fixed).sum())
    if schools <= most:
        return None, None
    below = table[band_column].isin([BAND_BELOW, BAND_WELL_BELOW]).reset_index(drop=True) & ~fixed
    where = f"全部 {schools} 所学校的成绩见网页版报告（与本报告同一目录的 district.html），可按任一列排序。"
    if not below.any():
        return below | fixed, f"打印版只列出低于全区的学校，这里没有；{where}"
    return below | fixed, f"打印版只列出与全区比较为“低于”或“明显低于”的 {int(below.sum())} 所学校；{where}"


def ranking_with_uncertainty(
    results: pd.DataFrame, grade: int, subject: str, level: float, rank_by: str
) -> pd.DataFrame:
    """The internal edition: schools with published figures on one paper, best mean first: estimates with their
    intervals (at ``level``), the band against the district, the rank by ``rank_by`` beside its plausible range.
    Schools without published figures are not rows (``unpublished_count``): neither their figures nor their
    place in the order can be read from the table."""
    s = _paper_schools(results, grade, subject)
    s = s[_published(s)].sort_values(
        ["mean", "pass_rate", "unit_code"], ascending=[False, False, True], na_position="last"
    )
    mean_col = f"平均分（{percent(level)}区间）"
    out = pd.DataFrame(
        {
            "代码": s["unit_code"],
            "学校": s["unit_name"],
            "类别": s["category"],
            "实考": s["tested_n"],
            mean_col: interval_text(s["mean"], s["mean_lo"], s["mean_hi"]),
            f"及格率（{percent(level)}区间）": interval_text(
                s["pass_rate"], s["pass_rate_lo"], s["pass_rate_hi"], "{:.1f}%", 100
            ),
            "优秀率": pct_text(s["excellent_rate"]),
            "低分率": pct_text(s["low_rate"]),
            "与全区比较": s["mean_band"].fillna(s["pass_rate_band"]).fillna("—"),
            "样本": s["sample_status"].replace({STATUS_FULL: ""}).fillna(""),
        }
    ).assign(**rank_columns(s, rank_by))
    if is_level_graded(s):
        out = out.drop(columns=[c for c in out if c == mean_col or "名次" in c or c == "综合得分"])
    return out.reset_index(drop=True)


def school_bands(results: pd.DataFrame, grade: int, subject: str) -> pd.DataFrame:
    """The public edition: every school on one paper against the district only, in category then code order
    (never in an order that follows a result): its band in the public wording, or why it has none."""
    s = sort_rows(_paper_schools(results, grade, subject), ["category", "unit_code"], {"category": SCHOOL_CATEGORIES})
    band = s["mean_band"].fillna(s["pass_rate_band"])
    shown = _published(s) & band.notna()
    reason = s["sample_status"].astype(object)
    if "suppression_note" in s:  # hidden so that totals cannot give it away
        note = s["suppression_note"].fillna("").astype(object)
        reason = note.where(note != "", reason)
    reason = reason.where(reason.notna(), STATUS_WITHHELD)
    return pd.DataFrame(
        {
            "代码": s["unit_code"].to_numpy(),
            "学校": s["unit_name"].to_numpy(),
            "类别": s["category"].to_numpy(),
            "与全区比较": [
                w if ok else r for w, ok, r in zip(band_words(band, public=True), shown, reason.astype(object))
            ],
        }
    )


def change_grid_counts(change: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """The 5x5 status-by-change grid: how many school x paper cells fall in each colour cell."""
    c = change.dropna(subset=["status_level", "change_level"])
    table = pd.crosstab(c["status_level"], c["change_level"]).reindex(
        index=list(STATUS_LABELS), columns=list(CHANGE_LABELS), fill_value=0
    )
    table.index.name = "现状＼变化"
    return table.reset_index()


def targets_summary(targets: pd.DataFrame) -> pd.DataFrame:
    """Per paper and indicator: the district's value against its target, and how many schools met it."""
    d = targets[units.is_level(targets, units.DISTRICT)].set_index(["grade", "subject", "indicator"])
    s = targets[units.is_level(targets, units.SCHOOL) & targets["met"].notna()]
    met = s.groupby(["grade", "subject", "indicator"])["met"].agg(["sum", "count"])
    out = d.join(met, how="left").reset_index()
    return pd.DataFrame(
        {
            "年级": out["grade"].map(GRADE_LABELS),
            "学科": out["subject"],
            "指标": out["indicator_label"],
            "目标": [f"{k}{t:.0%}" for k, t in zip(out["kind"], out["target"])],
            "全区": [f"{v:.1%}" if pd.notna(v) else "—" for v in out["actual"]],
            "全区达成": out["met"].map({True: "达成", False: "未达成"}).fillna("—"),
            "达成学校": [f"{int(a)}/{int(b)}" if pd.notna(b) else "—" for a, b in zip(out["sum"], out["count"])],
        }
    )


def sensitivity_summary(sens: pd.DataFrame, top: int = 15) -> pd.DataFrame:
    """Schools whose composite rank moves most under the alternative weightings."""
    s = sens.dropna(subset=["max_rank_change"]).drop_duplicates(["unit_code", "grade", "subject"])
    s = s.sort_values(["max_rank_change", "unit_code"], ascending=[False, True]).head(top)
    return pd.DataFrame(
        {
            "代码": s["unit_code"],
            "学校": s["unit_name"],
            "年级": s["grade"].map(GRADE_LABELS),
            "学科": s["subject"],
            "最大名次变动": s["max_rank_change"].astype(int),
        }
    )


def va_model_table(models: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "年级": models["grade"].map(GRADE_LABELS),
            "学科": models["subject"],
            "学生数": models["n_obs"],
            "学校数": models["n_groups"],
            "b1（上学期成绩）": [f"{b:.3f}（{se:.3f}）" for b, se in zip(models["b_prior"], models["b_prior_se"])],
            "校间方差 σ²u": models["sigma2_u"].map("{:.4f}".format),
            "校内方差 σ²e": models["sigma2_e"].map("{:.4f}".format),
            "ICC": models["icc"].map("{:.3f}".format),
            "拟合方法": [FIT_METHODS.get(m, "限制性极大似然（数值优化）") for m in models["method"]],
        }
    )


def paper_table(papers: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "年级": papers["grade"].map(GRADE_LABELS),
            "学科": papers["subject"],
            "学生数": papers["n"],
            "题数": papers["k"],
            "满分": papers["full_marks"].map("{:g}".format),
            "平均分": papers["mean"].map("{:.1f}".format),
            "标准差": papers["sd"].map("{:.1f}".format),
            "难度": papers["difficulty"].map("{:.2f}".format),
            "α 系数": papers["alpha"].map("{:.3f}".format),
            "SEM": papers["sem"].map("{:.2f}".format),
            "提示": papers["flags"].fillna(""),
        }
    ).reset_index(drop=True)


def item_table(items: pd.DataFrame) -> pd.DataFrame:
    items = items.sort_values("item_no")
    return pd.DataFrame(
        {
            "题号": items["item"],
            "题型": items["type"].map(TYPE_LABELS).fillna(items["type"]),
            "满分": items["full_marks"].map("{:g}".format),
            "难度 P": items["difficulty"].map("{:.2f}".format),
            "区分度 D": items["discrimination"].map("{:.2f}".format),
            "题总相关": items["item_total_r"].map("{:.2f}".format),
            "评价": items["ebel_band"].fillna(""),
            "提示": items["flags"].fillna(""),
        }
    ).reset_index(drop=True)


def district_rank_trend(trend: pd.DataFrame, grade: int, subject: str) -> pd.DataFrame:
    """排名统计表 for one paper: every school's pass rate / district rank in each term on disk (internal only).

    Rows: schools by their rank in the latest term (unranked or absent then: last, by code); columns 代码, 学校,
    类别 (from the school's latest row), then one per term ("85.3% / 3/25"; "—" where the school has no row that
    term). A paper on which no school was ever ranked (level-graded grades 1-2, or only small schools) gives an
    empty table: there is nothing to rank.
    """
    t = trend[units.is_level(trend, units.SCHOOL) & (trend["grade"] == grade) & (trend["subject"] == subject)]
    if t.empty or t["rank_district"].isna().all():
        return pd.DataFrame(columns=["代码", "学校", "类别"])
    t = t.assign(cell=trend_cells(t))
    terms = sorted(t["term"].unique())
    wide = t.pivot_table(index="unit_code", columns="term", values="cell", aggfunc="first").reindex(columns=terms)
    latest = t.sort_values("term").drop_duplicates("unit_code", keep="last").set_index("unit_code")
    now = t[t["term"] == terms[-1]].set_index("unit_code")["rank_district"].astype("Float64")
    order = pd.DataFrame({"rank": now.reindex(wide.index), "code": wide.index}, index=wide.index).sort_values(
        ["rank", "code"], na_position="last"
    )
    wide = wide.loc[order.index].fillna("—")
    out = pd.DataFrame(
        {
            "代码": wide.index,
            "学校": latest["unit_name"].reindex(wide.index).to_numpy(),
            "类别": latest["category"].reindex(wide.index).to_numpy(),
        }
    )
    for term in terms:
        out[term] = wide[term].to_numpy()
    return out.reset_index(drop=True)


def score_band_counts(bands: pd.DataFrame, grade: int) -> pd.DataFrame:
    """One grade's score bands as counts: a row per subject and category (then the district), a column per band
    (its range as a share of full marks), and the number tested."""
    b = bands[(bands["grade"] == grade) & ~units.is_level(bands, units.SCHOOL)]
    if b.empty:
        return pd.DataFrame()
    b = b.assign(范围=b["unit_code"].where(~units.is_level(b, units.DISTRICT), "全区"))
    labels = list(dict.fromkeys(b.sort_values("band_no")["band"]))
    wide = b.pivot_table(index=["subject", "范围"], columns="band", values="n", aggfunc="first").reindex(columns=labels)
    tested = b.groupby(["subject", "范围"])["tested_n"].first()
    wide = wide.assign(实考=tested).reset_index()
    order = {v: i for i, v in enumerate([*SCHOOL_CATEGORIES, "全区"])}
    wide = sort_rows(wide.assign(_o=wide["范围"].map(order)), ["subject", "_o"]).drop(columns="_o")
    wide.columns.name = None
    out = wide.rename(columns={"subject": "学科"})
    for col in labels:
        out[col] = out[col].astype("Int64")
    return out[["学科", "范围", "实考", *labels]]


def school_band_matrix(results: pd.DataFrame, grade: int, totals: pd.DataFrame | None = None) -> pd.DataFrame:
    """The public edition, one grade: a row per school (category, then code), a column per subject (and 总分 when
    the grade has one), each cell the school's band against the district in the public wording or why it has
    none (``school_bands``)."""
    r = results[(results["grade"] == grade) & units.is_level(results, units.SCHOOL)]
    subjects = list(dict.fromkeys(sort_rows(r, ["subject"])["subject"]))
    out = None
    for subject in subjects:
        part = school_bands(results, grade, subject).rename(columns={"与全区比较": subject})
        out = part if out is None else out.merge(part, on=["代码", "学校", "类别"], how="outer")
    out = out[["代码", "学校", "类别", *subjects]].fillna("—")
    if totals is not None and len(totals[totals["grade"] == grade]):
        t = totals[(totals["grade"] == grade) & units.is_level(totals, units.SCHOOL)]
        t = t.assign(publishable=t["publishable"], pass_rate_band=pd.NA)
        band = school_bands(t.assign(subject="总分"), grade, "总分").set_index("代码")["与全区比较"]
        out["总分"] = out["代码"].map(band).fillna("—")
    return sort_rows(out, ["类别", "代码"], {"类别": SCHOOL_CATEGORIES})


def value_added_bands(value_added: pd.DataFrame, returns: pd.DataFrame) -> pd.DataFrame:
    """The public edition's value added: one row per school (category, then code order; never by a result), one
    column per paper, each cell the school's band against the district average in the public wording."""
    va = value_added[value_added["grade"] >= 3]
    schools = returns.drop_duplicates("school_code").set_index("school_code")
    cells = va.assign(
        paper=va["grade"].map(GRADE_LABELS) + va["subject"],
        cell=band_words(va["band"].fillna("—"), public=True),
    )
    papers = list(dict.fromkeys(sort_rows(cells, ["grade", "subject"])["paper"]))
    wide = cells.pivot_table(index="school_code", columns="paper", values="cell", aggfunc="first")
    wide = wide.reindex(columns=papers).fillna("—").reset_index()
    wide.insert(1, "学校", wide["school_code"].map(schools["school_name"]))
    wide.insert(2, "类别", wide["school_code"].map(schools["category"]))
    wide = sort_rows(wide, ["类别", "school_code"], {"类别": SCHOOL_CATEGORIES})
    wide.columns.name = None
    return wide.rename(columns={"school_code": "代码"})
