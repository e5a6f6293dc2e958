"""The first page: what a reader needs to know, as statements generated from the results (pure functions).

Only what the intervals support is said, and every statement carries its number:
- a strength or weakness is a paper whose difference from the district has an interval that excludes 0 (its band
  is 高于 / 明显高于 or 低于 / 明显低于, ``tqa.measures.intervals.band``);
- a change since last term is one whose interval excludes 0 (change level other than 持平,
  ``tqa.measures.academic.change``);
- value added is named only where its interval excludes 0 (band other than 持平);
- a pass rate is "below its target" only where the whole interval lies below the target.
Withheld cohorts never appear: the statistics reach these functions through the views, which withhold them.
How many papers and schools are named comes from params ``findings``.
"""

from __future__ import annotations

import pandas as pd

from tqa.core import units
from tqa.core.issues import KEEPS_DATA
from tqa.core.ordering import sort_rows
from tqa.core.vocabulary import GRADE_LABELS
from tqa.measures import intervals as unc
from tqa.params import Params
from tqa.reports.display import Group, Statement, Summary

ABOVE = ("明显高于", "高于")
BELOW = ("明显低于", "低于")
RISE = ("显著上升", "上升")
FALL = ("显著下降", "下降")


def capped(statements: list[Statement], limit: int, where: str) -> list[Statement]:
    """The first ``limit`` statements, then one line saying how many more there are and where they are."""
    if len(statements) <= limit:
        return statements
    return [*statements[:limit], Statement(f"另有 {len(statements) - limit} 门，见“{where}”部分。")]


def paper_name(grade, subject) -> str:
    return f"{GRADE_LABELS[int(grade)]}{subject}"


def _pct(v: float) -> str:
    return f"{v * 100:.1f}%"


def _pp(v: float) -> str:
    return f"{abs(v) * 100:.1f} 个百分点"


def _against(results: pd.DataFrame, level: units.Level) -> pd.DataFrame:
    """Rows of ``level`` keyed by (grade, subject[, category]) for the comparison columns."""
    cols = ["grade", "subject", "mean", "pass_rate"] + (["category"] if level is units.CATEGORY else [])
    rename = {"mean": f"{level.name}_mean", "pass_rate": f"{level.name}_pass_rate"}
    return units.rows(results, level)[cols].rename(columns=rename)


def school_papers(results: pd.DataFrame) -> pd.DataFrame:
    """Every school's published papers beside its category's and the district's mean and pass rate (one pass for
    all schools; a report takes its school's rows, ``split``)."""
    own = units.rows(results, units.SCHOOL)
    own = own[own["publishable"].fillna(False).astype(bool)]
    out = own.merge(_against(results, units.DISTRICT), on=["grade", "subject"], how="left")
    return out.merge(_against(results, units.CATEGORY), on=["grade", "subject", "category"], how="left")


def split(frame: pd.DataFrame, column: str) -> dict[str, pd.DataFrame]:
    """``frame`` by the values of ``column`` (a school's rows are then a look-up, not a filter per report)."""
    return {str(k): part for k, part in frame.groupby(column, sort=False)}


def _paper_line(r, level: float) -> str:
    name = paper_name(r.grade, r.subject)
    lvl = f"{round(level * 100):g}%"
    if pd.isna(r.mean):  # level-graded papers: the pass rate is their figure
        line = f"{name}：合格率 {_pct(r.pass_rate)}（{lvl} 区间 {_pct(r.pass_rate_lo)}–{_pct(r.pass_rate_hi)}），"
        line += f"全区 {_pct(r.district_pass_rate)}"
        return line
    diff = r.mean - r.district_mean
    line = (
        f"{name}：平均分 {r.mean:.1f}（{lvl} 区间 {r.mean_lo:.1f}–{r.mean_hi:.1f}），全区 {r.district_mean:.1f}，"
        f"{'高' if diff > 0 else '低'} {abs(diff):.1f} 分"
    )
    if pd.notna(getattr(r, "category_mean", float("nan"))):
        line += f"；同类学校 {r.category_mean:.1f}"
    if pd.notna(r.pass_rate):
        line += f"；及格率 {_pct(r.pass_rate)}，全区 {_pct(r.district_pass_rate)}"
    return line


def strengths_and_weaknesses(papers: pd.DataFrame, top_n: int, level: float) -> tuple[list, list]:
    """The school's papers clearly above the district (best first) and clearly below it (worst first): at most
    ``top_n`` each, by the standardised difference. Level-graded papers count by their pass-rate band."""
    band = papers["mean_band"].fillna(papers["pass_rate_band"])
    size = papers["mean_diff_z"].fillna(papers["pass_rate_diff"])
    p = papers.assign(band_=band, size_=size)
    good = p[p["band_"].isin(ABOVE)].sort_values(["size_", "grade"], ascending=[False, True]).head(top_n)
    bad = p[p["band_"].isin(BELOW)].sort_values(["size_", "grade"], ascending=[True, True]).head(top_n)
    return (
        [Statement(f"{_paper_line(r, level)}（{r.band_}全区）", "good") for r in good.itertuples()],
        [Statement(f"{_paper_line(r, level)}（{r.band_}全区）", "bad") for r in bad.itertuples()],
    )


def changes(change: pd.DataFrame, code: str, top_n: int) -> list[Statement]:
    """A school's pass-rate changes since last term beyond chance (largest first)."""
    c = change[change["change_level"].isin(RISE + FALL)]
    c = c[c["unit_code"] == code]
    c = c.assign(size_=c["change"].abs()).sort_values(["size_", "grade"], ascending=[False, True]).head(top_n)
    return [
        Statement(
            f"{paper_name(r.grade, r.subject)}及格率：由 {_pct(r.prior_value)} {'升至' if r.change > 0 else '降至'} "
            f"{_pct(r.current_value)}（{'上升' if r.change > 0 else '下降'} {_pp(r.change)}，超出随机波动）",
            "good" if r.change > 0 else "bad",
        )
        for r in c.itertuples()
    ]


def district_changes(trend: pd.DataFrame, level: float, top_n: int) -> list[Statement]:
    """The district's pass-rate changes from the previous term on disk whose interval (Newcombe) excludes 0,
    largest first, each with its interval."""
    d = units.rows(trend, units.DISTRICT)
    terms = sorted(d["term"].unique())
    if len(terms) < 2:
        return []
    keys = ["grade", "subject"]
    pair = d[d["term"] == terms[-1]].merge(d[d["term"] == terms[-2]], on=keys, suffixes=("", "_prior"))
    pair = pair.dropna(subset=["pass_rate", "pass_rate_prior"])
    k2, k1 = (pair["pass_rate"] * pair["tested_n"]).round(), (pair["pass_rate_prior"] * pair["tested_n_prior"]).round()
    diff, lo, hi = unc.rate_change(k1, pair["tested_n_prior"], k2, pair["tested_n"], level)
    pair = pair.assign(diff=diff, lo=lo, hi=hi)
    pair = pair[(pair["lo"] > 0) | (pair["hi"] < 0)]
    pair = pair.assign(size_=pair["diff"].abs()).sort_values(["size_", "grade"], ascending=[False, True]).head(top_n)
    lvl = f"{round(level * 100):g}%"
    return [
        Statement(
            f"{paper_name(r.grade, r.subject)}及格率：由 {_pct(r.pass_rate_prior)} {'升至' if r.diff > 0 else '降至'} "
            f"{_pct(r.pass_rate)}（{'上升' if r.diff > 0 else '下降'} {_pp(r.diff)}，{lvl} 区间 {r.lo * 100:+.1f} 至 "
            f"{r.hi * 100:+.1f} 个百分点）",
            "good" if r.diff > 0 else "bad",
        )
        for r in pair.itertuples()
    ]


def value_added(va: pd.DataFrame, code: str, level: float) -> list[Statement]:
    """The school's value added where its interval excludes 0, largest first."""
    v = va[(va["school_code"] == code) & va["band"].isin(ABOVE + BELOW)]
    v = sort_rows(v, ["grade", "subject"])
    v = v.assign(size_=v["effect"].abs()).sort_values("size_", ascending=False, kind="stable")
    lvl = f"{round(level * 100):g}%"
    return [
        Statement(
            f"{paper_name(r.grade, r.subject)}：增值 {r.effect:+.2f} 个标准分（{lvl} 区间 {r.lo:+.2f} 至 {r.hi:+.2f}），"
            f"{r.band}全区平均",
            "good" if r.band in ABOVE else "bad",
        )
        for r in v.itertuples()
    ]


def below_target(results: pd.DataFrame, targets: pd.DataFrame, code: str | None) -> pd.DataFrame:
    """Papers whose pass rate lies wholly below its target (the interval's upper end under the target): of one
    school, or (``code`` None) of every school. Columns unit_code, grade, subject, pass_rate, pass_rate_hi, target."""
    t = targets[(targets["indicator"] == "pass_rate") & targets["target"].notna()]
    t = t[units.is_level(t, units.SCHOOL)][["unit_code", "grade", "subject", "target"]]
    r = units.rows(results, units.SCHOOL)
    if code is not None:
        r, t = r[r["unit_code"] == code], t[t["unit_code"] == code]
    m = r.merge(t, on=["unit_code", "grade", "subject"])
    m = m[m["publishable"].fillna(False).astype(bool) & (m["pass_rate_hi"] < m["target"])]
    return m[["unit_code", "grade", "subject", "pass_rate", "pass_rate_hi", "target"]]


def target_statements(below: pd.DataFrame) -> list[Statement]:
    """Largest shortfall first."""
    below = sort_rows(below, ["grade", "subject"])
    below = below.assign(short_=below["pass_rate"] - below["target"]).sort_values("short_", kind="stable")
    return [
        Statement(
            f"{paper_name(r.grade, r.subject)}及格率 {_pct(r.pass_rate)}，区间上限 {_pct(r.pass_rate_hi)} 仍低于目标 "
            f"{_pct(r.target)}",
            "bad",
        )
        for r in below.itertuples()
    ]


def school_lead(name: str, papers: pd.DataFrame, good: int, bad: int) -> str:
    n = len(papers)
    if not n:
        return f"{name}本学期没有可以公布成绩的考试（实考人数过少或没有成绩），本报告只列出参考情况。"
    rest = n - good - bad
    return (
        f"{name}本学期有 {n} 门考试公布成绩。与全区相比，{good} 门明确高于全区，{bad} 门明确低于全区，"
        f"其余 {rest} 门与全区的差别在随机波动范围以内。"
    )


def dropped(issues: pd.DataFrame) -> pd.Series:
    """True for the problems whose rows were left out of the statistics (a warning whose action does not keep
    the data, ``tqa.core.issues.KEEPS_DATA``)."""
    action = issues["action"] if "action" in issues else pd.Series("", index=issues.index)
    return (issues["severity"] == "warning") & ~action.isin(KEEPS_DATA)


def quality_statement(issues: pd.DataFrame, status: str) -> Statement:
    """The school's return as the checks found it (internal edition only)."""
    out_of_stats = int(dropped(issues).sum())
    to_check = int(((issues["severity"] == "warning") & ~dropped(issues)).sum())
    fixed = int((issues["severity"] == "fixed").sum())
    if not (out_of_stats or to_check or fixed):
        return Statement("报表未发现数据问题。", "good")
    parts = []
    if out_of_stats:
        parts.append(f"{out_of_stats} 条记录因数据问题未计入统计")
    if to_check:
        parts.append(f"{to_check} 处请学校核对（记录已保留）")
    if fixed:
        parts.append(f"{fixed} 处已按规则自动修正")
    tone = "bad" if out_of_stats else ""
    return Statement(f"报表状态：{status}；" + "，".join(parts) + "（明细见“本校报表中的数据问题”）。", tone)


def first_steps(bad: list[Statement], falls: list[Statement], below: list[Statement], quality: Statement | None):
    """What to do first: the clearest problem of each kind, in this order."""
    out = []
    if falls:
        out.append(Statement("查明下降原因：" + falls[0].text.split("：")[0], "bad"))
    if bad:
        out.append(Statement("优先改进：" + bad[0].text.split("：")[0] + "（低于全区最多）", "bad"))
    if below:
        out.append(Statement("对照目标：" + below[0].text.split("及格率")[0] + "及格率明显低于目标", "bad"))
    if quality is not None and quality.tone == "bad":
        out.append(Statement("核对并更正本校报表中被剔除的记录，避免下学期再次缺失", "bad"))
    return out


def first_step(group: Group) -> Statement:
    """What to do first about a family of the first page (体质健康, 作业与睡眠, ...): its first bad finding, named
    by the family, e.g. 关注学生体质健康：优良率明显低于全区."""
    bad = next(s for s in group.statements if s.tone == "bad")
    return Statement(f"关注{group.title}：" + bad.text.split("：")[0].rstrip("。"), "bad")


def school_summary(
    name: str,
    code: str,
    papers: pd.DataFrame,
    change: pd.DataFrame,
    va: pd.DataFrame,
    below: pd.DataFrame,
    issues: pd.DataFrame | None,
    status: str,
    params: Params,
) -> Summary:
    """A school report's first page from the school's rows: its published papers (``school_papers``), its changes,
    value added and papers wholly below target (``below_target``). ``issues`` None: the public edition (no
    data-quality statement)."""
    top_n, level = int(params.findings.top_n), float(params.uncertainty.level)
    good, bad = strengths_and_weaknesses(papers, top_n, level)
    bands = papers["mean_band"].fillna(papers["pass_rate_band"])
    n_good, n_bad = int(bands.isin(ABOVE).sum()), int(bands.isin(BELOW).sum())
    moved = changes(change, code, top_n) if len(change) else []
    falls = [s for s in moved if s.tone == "bad"]
    added = value_added(va, code, level) if len(va) else []
    below = target_statements(below)
    quality = quality_statement(issues, status) if issues is not None else None
    groups = [
        Group("明显强于全区的考试", good, "没有哪门考试明确高于全区。"),
        Group("明显弱于全区的考试", bad, "没有哪门考试明确低于全区。"),
        Group("与上学期相比", moved, "各门考试的及格率与上学期相比，变化都在随机波动范围以内（或上学期无可比数据）。"),
        Group(
            "增值", capped(added, top_n, "进步与增值"), "各门考试的增值与全区平均没有可以确定的差别（或不计算增值）。"
        ),
        Group("目标", capped(below, top_n, "目标达成"), "没有哪门考试的及格率明确低于目标。"),
    ]
    if quality is not None:
        groups.append(Group("数据质量", [quality]))
    steps = first_steps(bad, falls, below, quality)
    groups.append(Group("建议先做", steps, "各项结果与全区相当或更好，保持现有做法，关注人数较少、区间较宽的考试。"))
    return Summary(school_lead(name, papers, n_good, n_bad), groups)


# ---- the district ---------------------------------------------------------------------------------------------


def district_targets(targets: pd.DataFrame, limit: int) -> tuple[list[Statement], int, int]:
    """The district's missed targets with the ``limit`` largest gaps (in paper order, then how many more), and how
    many paper x indicator targets it has and meets."""
    d = targets[units.is_level(targets, units.DISTRICT) & targets["target"].notna() & targets["met"].notna()]
    missed = d[~d["met"].astype(bool)]
    rest = max(len(missed) - limit, 0)
    missed = sort_rows(missed.assign(size_=missed["gap"].abs()).nlargest(limit, "size_"), ["grade", "subject"])
    sign = {"不低于": "≥", "不高于": "≤"}
    out = [
        Statement(
            f"{paper_name(r.grade, r.subject)}{r.indicator_label} {_pct(r.actual)}（目标 {sign.get(r.kind, r.kind)} "
            f"{_pct(r.target)}，差 {_pp(r.gap)}）",
            "bad",
        )
        for r in missed.itertuples()
    ]
    if rest:
        out.append(Statement(f"另有 {rest} 项未达成，见“目标达成”部分。"))
    return out, len(d), int(d["met"].astype(bool).sum())


def equity_statements(equity: pd.DataFrame) -> list[Statement]:
    over = sort_rows(equity[equity["cv_over"].fillna(False).astype(bool)], ["grade", "subject"])
    return [
        Statement(
            f"{paper_name(r.grade, r.subject)}：校际差异系数 {r.cv:.3f}，超过界值 {r.cv_threshold:.2f}（{r.n_schools} 所学校）",
            "bad",
        )
        for r in over.itertuples()
    ]


ATTENTION_REASONS = ("增值明显偏低", "及格率明显低于目标", "及格率下降超出随机波动", "参考率偏低", "报表数据问题")
# The school-life families' reasons share one column (a column each would not fit a landscape page); each counts.
SCHOOL_LIFE_COLUMN = "体质、作业睡眠、学籍"
SCHOOL_LIFE_REASONS = ("体质", "作业睡眠", "疑似流失")


def _worst(rows: pd.DataFrame, key: str, ascending: bool, text) -> pd.DataFrame:
    """Per school: how many papers, and the worst one's evidence as text."""
    if rows.empty:
        return pd.DataFrame(columns=["code", "cell"])
    rows = sort_rows(rows, ["grade", "subject"]).sort_values(key, ascending=ascending, kind="stable")
    first = rows.groupby("code", sort=False).head(1).set_index("code")
    count = rows.groupby("code").size()
    cells = {c: f"{int(count[c])} 门；{'最低' if ascending else '最大'}：{text(r)}" for c, r in first.iterrows()}
    return pd.DataFrame({"code": list(cells), "cell": list(cells.values())})


def attention_list(
    results: pd.DataFrame,
    targets: pd.DataFrame,
    change: pd.DataFrame,
    va: pd.DataFrame,
    returns: pd.DataFrame,
    issues: pd.DataFrame,
    params: Params,
    school_life: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """需关注学校 (internal edition only): every school with at least one reason, one column per reason holding how
    many papers it concerns and the clearest case with its evidence ("3 门；最低：七年级数学 -0.24（-0.46 至 -0.02）").

    Reasons (``ATTENTION_REASONS``): value added clearly below the district average (interval below 0); a pass
    rate wholly below its target (interval's upper end under it); a pass-rate decline beyond chance; participation
    below params participation.warn_below; a return with serious data problems (not used at all, or at least
    params findings.serious_warnings records dropped); and ``school_life``, {reason (``SCHOOL_LIFE_REASONS``):
    frame of code and evidence} from the other families, each a reason, together in one column. Columns 代码, 学校,
    类别, 原因数, then the reasons; most reasons first, then code."""
    parts = {}
    low = va[va["band"].isin(BELOW)].rename(columns={"school_code": "code"}) if len(va) else va
    parts["增值明显偏低"] = _worst(
        low, "effect", True, lambda r: f"{paper_name(r.grade, r.subject)} {r.effect:+.2f}（{r.lo:+.2f} 至 {r.hi:+.2f}）"
    )
    below = below_target(results, targets, None).rename(columns={"unit_code": "code"})
    parts["及格率明显低于目标"] = _worst(
        below.assign(short=below["pass_rate"] - below["target"]), "short", True,
        lambda r: f"{paper_name(r.grade, r.subject)} {_pct(r.pass_rate)}（目标 {_pct(r.target)}）",
    )  # fmt: skip
    falls = (
        change[change["change_level"].isin(FALL) & (change["unit_code"] != units.DISTRICT_CODE)]
        if len(change)
        else change
    )
    parts["及格率下降超出随机波动"] = _worst(
        falls.rename(columns={"unit_code": "code"}), "change", True,
        lambda r: f"{paper_name(r.grade, r.subject)} {_pct(r.prior_value)}→{_pct(r.current_value)}",
    )  # fmt: skip
    warn = float(params.participation.warn_below)
    s = units.rows(results, units.SCHOOL)
    parts["参考率偏低"] = _worst(
        s[s["participation"] < warn].rename(columns={"unit_code": "code"}), "participation", True,
        lambda r: f"{paper_name(r.grade, r.subject)} {_pct(r.participation)}（低于 {_pct(warn)}）",
    )  # fmt: skip
    submitted = returns[returns["submitted"].astype(bool)]
    quality = {c: "报表整份未能纳入统计" for c in submitted.loc[~submitted["usable"].astype(bool), "school_code"]}
    lost = issues[dropped(issues)].dropna(subset=["school_code"]).groupby("school_code").size()
    for code, n in lost[lost >= int(params.findings.serious_warnings)].items():
        quality.setdefault(code, f"{int(n)} 条记录因数据问题未计入统计")
    parts["报表数据问题"] = pd.DataFrame({"code": list(quality), "cell": list(quality.values())})
    cells: dict[str, dict[str, str]] = {}
    for reason, frame in parts.items():
        for code, cell in zip(frame["code"], frame["cell"]):
            cells.setdefault(str(code), {})[reason] = cell
    for reason, frame in (school_life or {}).items():
        for code, cell in zip(frame["code"], frame["cell"]):
            cells.setdefault(str(code), {})[reason] = f"{reason}：{cell}"
    names = returns.drop_duplicates("school_code").set_index("school_code")
    rows = [
        {"代码": code, "学校": names["school_name"].get(code, ""), "类别": names["category"].get(code, ""),
         "原因数": len(found), **{r: found.get(r, "") for r in ATTENTION_REASONS},
         SCHOOL_LIFE_COLUMN: "；".join(found[r] for r in SCHOOL_LIFE_REASONS if r in found)}
        for code, found in cells.items()
    ]  # fmt: skip
    out = pd.DataFrame(rows, columns=["代码", "学校", "类别", "原因数", *ATTENTION_REASONS, SCHOOL_LIFE_COLUMN])
    return out.sort_values(["原因数", "代码"], ascending=[False, True], kind="stable").reset_index(drop=True)


def district_summary(
    district_name: str,
    returns: pd.DataFrame,
    results: pd.DataFrame,
    targets: pd.DataFrame,
    trend: pd.DataFrame,
    equity: pd.DataFrame,
    params: Params,
) -> Summary:
    """The district report's first page (both editions): returns, targets, papers of concern, equity."""
    top_n = int(params.findings.top_n)
    submitted, usable = int(returns["submitted"].astype(bool).sum()), int(returns["usable"].astype(bool).sum())
    d = units.rows(results, units.DISTRICT)
    lead = (
        f"{district_name}本学期应交报表 {len(returns)} 份，已交 {submitted} 份，{usable} 所学校的数据纳入统计；"
        f"全区共 {len(d)} 门考试、{int(d['tested_n'].sum()):,} 人次实考。"
    )
    missed, n_targets, n_met = district_targets(targets, limit=2 * top_n)
    if n_targets:
        lead += f"全区在 {n_targets} 项目标中达成 {n_met} 项。"

    moved = district_changes(trend, float(params.uncertainty.level), 2 * top_n)
    return Summary(
        lead,
        [
            Group("未达成的目标（全区）", missed, "全区各项目标均已达成。"),
            Group(
                "与上学期相比（全区）",
                moved,
                "全区各门考试的及格率与上学期相比，变化都在随机波动范围以内（或上学期无可比数据）。",
            ),
            Group("校际均衡", equity_statements(equity), "各门考试的校际差异系数都没有超过界值。"),
        ],
    )
