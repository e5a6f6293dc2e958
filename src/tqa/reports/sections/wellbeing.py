"""作业与睡眠 in the reports: mixins of the views (``tqa.reports.views``) with the section the notebooks show and the
first page's statements.

- District (``WellbeingDistrict``): the limits; the district's and categories' figures against them (respondents,
  response rate, medians with quartiles, shares with counts and intervals); internally the schools of concern (a
  share over the homework limit above the district's, or a sleep share below it, where the interval of the
  difference supports it), the chart of every school's share by grade band and burden against results with its
  caution; the 差异系数 of the school shares.
- Public district (``WellbeingPublicDistrict``): each school against the district as bands, schools in category
  and code order, the public suppression; no named list, no burden.
- School (``WellbeingSchool``): per grade the school, its category and the district; the chart; the first page
  names a grade only where the interval supports the difference.
"""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from tqa.core import units
from tqa.core.vocabulary import GRADE_LABELS
from tqa.reports.charts import wellbeing as charts
from tqa.reports.display import Group, Note, Statement, Table
from tqa.reports.labels import percent
from tqa.reports.tables import common as tc
from tqa.reports.tables import wellbeing as tw

BURDEN_CAUTION = (
    "这里只是学校之间的相关：作业超时比例高的学校成绩偏高或偏低，并不说明作业多少导致了成绩高低。"
    "生源、师资、家庭条件都可能同时影响两者，不能据此要求学校多留或少留作业。"
)
NO_SURVEY = "本学期没有可用的「作业与睡眠」问卷数据。"
GROUP_TITLE = "作业与睡眠"


def _pct(v) -> str:
    return f"{float(v) * 100:.1f}%"


def _interval(df_row, name: str) -> str:
    lo, hi = getattr(df_row, f"{name}_share_lo"), getattr(df_row, f"{name}_share_hi")
    return f"（区间 {_pct(lo)}–{_pct(hi)}）" if pd.notna(lo) and pd.notna(hi) else ""


def district_statements(bands: pd.DataFrame) -> list[Statement]:
    """Per grade band, the district's share over the homework limit and meeting the sleep minimum, with counts."""
    out = []
    for r in units.rows(bands, units.DISTRICT).itertuples():
        parts = []
        if pd.notna(r.homework_over_share):
            limit = "有书面作业" if r.homework_limit == 0 else f"书面作业超过 {r.homework_limit:g} 分钟"
            parts.append(f"{limit}的学生 {r.homework_over_n}/{r.homework_n} 人（{_pct(r.homework_over_share)}）")
        if pd.notna(r.sleep_met_share):
            parts.append(f"睡眠达到 {r.sleep_min:g} 小时的 {r.sleep_met_n}/{r.sleep_n} 人（{_pct(r.sleep_met_share)}）")
        if parts:
            out.append(Statement(f"{r.band}：" + "；".join(parts) + "。"))
    return out


def _worst(rows: pd.DataFrame, district: pd.DataFrame, name: str, highest: bool, brief: bool = False) -> str:
    """The grades of ``rows`` and the one furthest from the district, with its interval and the district's share
    (``brief``: how many grades, the furthest one and the district's share, for a table cell)."""
    r = rows.sort_values([f"{name}_diff", "grade"], ascending=[not highest, True]).iloc[0]
    worst = f"{'最高' if highest else '最低'}为{GRADE_LABELS[r['grade']]} {_pct(r[f'{name}_share'])}"
    shared = f"全区 {_pct(district.loc[r['grade'], f'{name}_share'])}"
    if brief:
        return f"{len(rows)} 个年级（{worst}，{shared}）"
    grades = "、".join(GRADE_LABELS[g] for g in sorted(rows["grade"]))
    lo, hi = r[f"{name}_share_lo"], r[f"{name}_share_hi"]
    return f"{grades}（{worst}，区间 {_pct(lo)}–{_pct(hi)}，{shared}）"


def concern_by_school(stats: pd.DataFrame, brief: bool = False) -> pd.DataFrame:
    """The schools of concern (internal), one row each: code, name, how many grades, and the evidence ("作业超时比例
    高于全区：三年级（最高为三年级 35.0%，区间 …，全区 …）"; ``brief``: "作业超时比例高于全区 3 个年级（最高为
    九年级 71.3%，全区 27.9%）"), in code order."""
    c = tw.concern(stats)
    district = units.rows(stats, units.DISTRICT).set_index("grade")
    rows = []
    for code, found in c.groupby("unit_code", sort=True):
        hw, sl = found[found["homework_concern"]], found[found["sleep_concern"]]
        parts = []
        if len(hw):
            parts.append(
                "作业超时比例高于全区" + (" " if brief else "：") + _worst(hw, district, "homework_over", True, brief)
            )
        if len(sl):
            parts.append(
                "睡眠达标比例低于全区" + (" " if brief else "：") + _worst(sl, district, "sleep_met", False, brief)
            )
        rows.append((code, found["unit_name"].iloc[0], len(hw) + len(sl), ("，" if brief else "；").join(parts)))
    return pd.DataFrame(rows, columns=["code", "name", "grades", "cell"])


def concern_statements(stats: pd.DataFrame, limit: int) -> list[Statement]:
    """The internal first page: the schools of concern by name, those with the most grades of concern first (then
    by code), at most ``limit``, then how many more."""
    c = concern_by_school(stats).sort_values(["grades", "code"], ascending=[False, True], kind="stable")
    out = [Statement(f"{r.code} {r.name}：{r.cell}。", "bad") for r in c.itertuples()]
    if len(out) > limit:
        return [*out[:limit], Statement(f"另有 {len(out) - limit} 所学校，见“作业与睡眠”部分。")]
    return out


# (answer's share, the bands that are worse, the reader's name): a school's grades in one statement per side
SIDES = (
    ("homework_over", tw.ABOVE, tw.BELOW, "作业超时比例"),
    ("sleep_met", tw.BELOW, tw.ABOVE, "睡眠达标比例"),
)


def school_statements(stats: pd.DataFrame, code: str) -> list[Statement]:
    """The school's grades whose difference from the district the interval supports (band other than 持平), one
    statement per answer and side: the grades, and the one furthest from the district with its interval. The
    worse sides first."""
    own = stats[units.is_level(stats, units.SCHOOL) & (stats["unit_code"] == code)]
    district = units.rows(stats, units.DISTRICT).set_index("grade")
    bad, good = [], []
    for name, worse, better, label in SIDES:
        band = own[f"{name}_band"].astype("string")
        for bands, out in ((worse, bad), (better, good)):
            rows = own[band.isin(bands).fillna(False).to_numpy(dtype=bool)]
            if len(rows):
                above = bands == tw.ABOVE
                text = (
                    f"{label}{'高于' if above else '低于'}全区：" + _worst(rows, district, name, highest=above) + "。"
                )
                out.append(Statement(text, "bad" if out is bad else "good"))
    return bad + good


class _Wellbeing:
    """What every edition reads: the statistics as the edition may show them."""

    def _wellbeing_table(self, name: str) -> pd.DataFrame:
        df = self.read("scores", name)
        return self.catalog.derive(tw.public_suppression, df, params=self.params) if self.public else df

    @cached_property
    def wellbeing(self) -> pd.DataFrame:
        return self._wellbeing_table("wellbeing_stats")

    @cached_property
    def wellbeing_bands(self) -> pd.DataFrame:
        return self._wellbeing_table("wellbeing_band_stats")

    def wellbeing_limits(self) -> Note:
        return Note(tw.limits_text(self.params), title="标准")


class WellbeingDistrict(_Wellbeing):
    def wellbeing_section(self) -> list:
        stats = self.wellbeing
        if stats.empty:
            return [Note(NO_SURVEY)]
        return [
            self.wellbeing_limits(),
            Table(tw.response_table(stats), caption="问卷回收率（区间），回答人数/在籍人数"),
            Table(tw.district_table(stats, "homework"), caption="书面作业时间：全区与各类学校", wide=True),
            Table(tw.district_table(stats, "sleep"), caption="睡眠时间：全区与各类学校", wide=True),
            *self.wellbeing_schools(),
            *self.wellbeing_equity(),
            *self.wellbeing_burden(),
        ]

    def wellbeing_schools(self) -> list:
        """Internal: the schools of concern by name, and every school's share over the limit per grade band."""
        table = tw.concern_table(self.wellbeing)
        out: list = [
            Table(
                table, caption="需关注的学校（作业超时比例高于全区或睡眠达标比例低于全区，区间支持这一差异）", wide=True
            )
            if len(table)
            else Note("没有学校的作业超时比例明确高于全区，也没有学校的睡眠达标比例明确低于全区。")
        ]
        bands = self.wellbeing_bands
        schools = units.rows(bands, units.SCHOOL)
        schools = schools[schools["homework_over_share"].notna()]
        district = units.rows(bands, units.DISTRICT)
        district = district[district["homework_over_share"].notna()]
        if len(schools):
            title = "各校作业超时比例（按学段）与全区"
            out.append(charts.over_limit_chart(schools, district, title, self.level))
        return out

    def wellbeing_equity(self) -> list:
        eq = self.read("scores", "wellbeing_equity")
        if eq.empty:
            return []
        threshold = float(self.params.homework_sleep.cv_threshold)
        return [Table(tw.equity_table(eq), caption=f"校际均衡：各校比例的差异系数（提示线 {threshold:g}）")]

    def wellbeing_burden(self) -> list:
        """Internal: burden against results per grade, the scatter and the caution."""
        summary = self.read("scores", "wellbeing_burden_summary")
        points = self.read("scores", "wellbeing_burden")
        if summary.empty:
            return []
        return [
            Table(tw.burden_table(summary), caption="作业负担与成绩：各校作业超时比例与各科平均标准分的等级相关"),
            charts.burden_chart(points, summary, "作业超时比例与成绩（每点一所学校）"),
            Note(BURDEN_CAUTION, title="相关不是因果", kind="warning"),
        ]

    def wellbeing_attention(self) -> pd.DataFrame:
        """需关注学校 (internal): each school of concern and its evidence."""
        return concern_by_school(self.wellbeing, brief=True)[["code", "cell"]]

    def wellbeing_group(self) -> Group:
        """The district's first page: the figures by grade band and (internal) the schools of concern."""
        statements = district_statements(self.wellbeing_bands)
        if not self.public:
            # as long as the district page's other lists (findings.top_n twice)
            statements += concern_statements(self.wellbeing, 2 * int(self.params.findings.top_n))
        return Group(GROUP_TITLE, statements, "本学期没有可用的作业与睡眠问卷数据。")


class WellbeingPublicDistrict:
    """The public district report: each school as a band against the district, no names of concern, no burden."""

    def wellbeing_schools(self) -> list:
        table = tw.public_band_matrix(self.wellbeing_bands, self.returns)
        if table.empty:
            return []
        return [
            Table(table, caption="各校与全区比较（按学段；按类别、学校代码排列）", wide=len(table.columns) > 8),
            Note("“高于全区”对作业超时比例是超时的学生更多，对睡眠达标比例是达标的学生更多。"),
        ]

    def wellbeing_burden(self) -> list:
        return []


class WellbeingSchool(_Wellbeing):
    @cached_property
    def wellbeing(self) -> pd.DataFrame:
        """The school's rows and every category and district row (all a school report reads), split once per
        process for every school."""
        return self.catalog.derive(tc.SchoolRows, self._wellbeing_table("wellbeing_stats"))[self.code]

    def wellbeing_section(self) -> list:
        stats = self.wellbeing
        category = str(self.school["category"])
        tables = tw.school_tables(tw.school_rows(stats, self.public), self.code, category)
        if not tables:
            return [Note("本校本学期没有可用的「作业与睡眠」问卷数据。")]
        out: list = [self.wellbeing_limits()]
        for grade, table in tables:
            limits = stats.loc[stats["grade"] == grade, ["homework_limit", "sleep_min"]].iloc[0]
            caption = (
                f"{GRADE_LABELS[grade]}（书面作业上限 {limits['homework_limit']:g} 分钟，"
                f"睡眠下限 {limits['sleep_min']:g} 小时）"
            )
            out.append(Table(table, caption=caption, wide=True, cell_classes=("睡眠与全区比较",),
                             highlight=table["范围"] == "本校"))  # fmt: skip
        own, district = tw.chart_rows(stats, self.code)
        if len(own):
            title = f"{self.name}：各年级作业超时比例、睡眠达标比例（红点为本校及 {percent(self.level)} 区间，灰色菱形为全区）"
            out.append(charts.school_shares_chart(own, district, title, self.level))
        return out

    def wellbeing_group(self) -> Group:
        return Group(
            GROUP_TITLE,
            school_statements(self.wellbeing, self.code),
            "各年级的作业超时比例、睡眠达标比例与全区相比，差异都在随机波动范围以内（或人数过少）。",
        )
