"""教学常规 in the reports: the view sections (mixins of ``tqa.reports.views``' classes) and the first page's
statements.

What each edition shows: the internal district report names the schools whose leaders are below their minimums
and the leaders, with their numbers; the internal school report lists its leaders by name against the minimums.
The public editions never read the staff-level table (``routine_staff`` is INTERNAL_ONLY: the view refuses it),
so no staff name can reach them: they show counts, pooled shares and bands. A share on fewer staff than
reporting.min_published_n is withheld in every edition (the view's ``read``), as exam results are: a school's one
校长 is never a published share.
"""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from tqa.core import units
from tqa.measures.routine import ALL_STAFF, LEADERS
from tqa.reports.display import Group, Note, Statement, Table
from tqa.reports.findings import ABOVE, BELOW
from tqa.reports.labels import pct_text
from tqa.reports.tables import routine as tr

TITLE = "教学常规"
CELLS = ("与全区比较",)


def _minimum_words(row) -> str:
    return tr.minimum_text(row["observed_min"], row["evaluated_min"], row["research_min"])


def share_statement(row, who: str) -> Statement:
    """'全区校长 40 人中 34 人达到每学期听课 30 节、评课 10 节的要求（85.0%，区间 70.9%–92.9%）'."""
    lo, hi = pct_text([row["meets_share_lo"], row["meets_share_hi"]])
    minimum = _minimum_words(row)
    what = f"{minimum}的要求" if minimum != tr.NO_MINIMUM else "本人职务的各项最低要求"
    share = pct_text([row["meets_share"]])[0]
    text = f"{who}{row['role']} {int(row['judged_n'])} 人中 {int(row['meets_n'])} 人达到每学期{what}（{share}，区间 {lo}–{hi}）"
    return Statement(text, "good" if row["meets_n"] == row["judged_n"] else "bad")


def district_share_statements(roles: pd.DataFrame) -> list[Statement]:
    """The district's shares on the first page (both editions: pooled, no names): the leaders together and every
    judged member of staff; each role's share is in the section's table."""
    d = units.rows(roles, units.DISTRICT)
    d = d[(d["judged_n"] > 0) & d["meets_share"].notna() & d["role"].isin([LEADERS, ALL_STAFF])]
    return [share_statement(r, "全区") for _, r in d.iterrows()]


def equity_statements(equity: pd.DataFrame) -> list[Statement]:
    """Role groups whose schools' shares differ more than routine.cv_threshold allows (both editions)."""
    over = equity[equity["cv_over"].fillna(False).astype(bool)]
    return [
        Statement(
            f"{r.role}达到要求的比例，校际差异系数 {r.cv:.2f}，超过提示线 {r.cv_threshold:.2f}（{r.n_schools} 所学校）",
            "bad",
        )
        for r in over.itertuples()
    ]


def equity_table(equity: pd.DataFrame) -> pd.DataFrame:
    rows = equity[equity["n_schools"] >= 2]
    return pd.DataFrame(
        {
            "职务": rows["role"].to_numpy(),
            "学校数": rows["n_schools"].to_numpy(),
            "各校比例的平均": pct_text(rows["mean_of_shares"]),
            "差异系数": [f"{v:.2f}" for v in rows["cv"]],
            "是否超过提示线": ["是" if v is True else "否" for v in rows["cv_over"].astype(object)],
        }
    )


def leader_statements(staff: pd.DataFrame, *, with_school: bool) -> list[Statement]:
    """Internal only: each leader below a minimum, by name, with the numbers against the minimum, the furthest
    below first."""
    out = []
    for r in tr.leader_rows(staff, furthest_first=True).itertuples():
        where = f"{r.school_code} {r.school_name}" if with_school else ""
        out.append(Statement(f"{where}{r.role}{r.staff_name}本学期{tr.shortfall_text(r)}", "bad"))
    return out


def capped(below: list[Statement], params) -> list[Statement]:
    """The first page names the leaders furthest below (findings.top_n); the section lists them all."""
    limit = int(params.findings.top_n)
    if len(below) <= limit:
        return below
    return [*below[:limit], Statement(f"另有 {len(below) - limit} 名校级和中层干部未达到要求，名单见“{TITLE}”部分。")]


def school_band_statements(roles: pd.DataFrame, code: str) -> list[Statement]:
    """A school's role groups whose share differs from the district's beyond chance (band 高于 / 低于)."""
    s = roles[(roles["level"] == units.SCHOOL.name) & (roles["unit_code"] == code)]
    out = []
    for _, r in s[s["meets_band"].isin([*ABOVE, *BELOW])].iterrows():
        share = pct_text([r["meets_share"]])[0]
        tone = "good" if r["meets_band"] in ABOVE else "bad"
        out.append(
            Statement(
                f"{r['role']}达到教学常规最低要求的比例 {share}（{int(r['meets_n'])}/{int(r['judged_n'])} 人），"
                f"{r['meets_band']}全区",
                tone,
            )
        )
    return out


SMALL_NOTE = (
    "一所学校的校长、业务副校长、中层干部通常只有几个人。按与考试成绩相同的规则，评判人数少于 {n} 人的比例和中位数不公布"
    "（只给人数），也不与全区比较；全区和各类别的比例由各校人数相加后计算（达到要求的人数之和 ÷ 评判人数之和）。"
    "未列出最低要求的职务只统计、不评判；某项最低要求适用而报表未填的，视为未达到。"
)


class RoutineDistrict:
    """The internal district report's 教学常规 section and first-page group."""

    @cached_property
    def routine_roles(self) -> pd.DataFrame:
        return self.read("scores", "routine_roles")

    def routine_staff(self) -> pd.DataFrame:
        return self.read("scores", "routine_staff")  # internal only: the public views refuse it

    @cached_property
    def routine_equity(self) -> pd.DataFrame:
        return self.read("scores", "routine_equity")

    def routine_statements(self) -> list[Statement]:
        statements = [*district_share_statements(self.routine_roles), *equity_statements(self.routine_equity)]
        return [*statements, *capped(leader_statements(self.routine_staff(), with_school=True), self.params)]

    def routine_group(self) -> Group:
        return Group(TITLE, self.routine_statements(), "本学期没有教学常规数据。")

    def routine_overview(self) -> list:
        roles = self.routine_roles
        if roles.empty:
            return [Note("本学期各校没有报送教学常规表，或没有可用记录。")]
        d = tr.unit_roles(roles, units.DISTRICT.name, units.DISTRICT_CODE, public=self.public)
        out: list = [Table(d, caption="全区各职务达到教学常规最低要求的情况（每学期）")]
        for group in (LEADERS, ALL_STAFF):
            out.append(Table(tr.category_roles(self.routine_shown, group), caption=f"各类别学校：{group}"))
        return out

    @property
    def routine_shown(self) -> pd.DataFrame:
        return self.routine_roles

    def routine_schools(self) -> list:
        table = tr.school_bands(self.routine_shown, self.returns, tr.GROUPS_SHOWN, public=self.public)
        return [
            Table(
                table, caption="各校达到最低要求的比例与全区比较（按类别、学校代码排列）", cell_classes=tr.GROUPS_SHOWN
            ),
            Note(SMALL_NOTE.format(n=self.min_n)),
            *self.routine_equity_table(),
        ]

    def routine_equity_table(self) -> list:
        table = equity_table(self.routine_equity)
        if table.empty:
            return []
        threshold = float(self.params.routine.cv_threshold)
        return [Table(table, caption=f"各校达到要求比例的校际差异系数（提示线 {threshold:.2f}，只计比例公布的学校）")]

    def routine_section(self) -> list:
        out = [*self.routine_overview(), *self.routine_schools()]
        below = tr.leaders_below(self.routine_staff(), with_school=True)
        n_schools = below["代码"].nunique() if len(below) else 0
        if below.empty:
            out.append(Note("各校校级和中层干部的听课、评课都达到了最低要求。"))
        else:
            caption = (
                f"未达到听课、评课最低要求的校级和中层干部（{n_schools} 所学校，{len(below)} 人；内部资料，含个人姓名）"
            )
            out.append(Table(below, caption=caption))
        return out


class RoutinePublicDistrict(RoutineDistrict):
    """The public district report: district and category shares, each school as a band only, no names."""

    @cached_property
    def routine_shown(self) -> pd.DataFrame:
        return tr.suppress_complements(self.routine_roles, self.min_n)

    def routine_statements(self) -> list[Statement]:
        return [*district_share_statements(self.routine_roles), *equity_statements(self.routine_equity)]

    def routine_section(self) -> list:
        return [*self.routine_overview(), *self.routine_schools()]


class RoutineSchool:
    """A school's 教学常规 (the public report: counts, shares and bands, no names)."""

    @cached_property
    def routine_roles(self) -> pd.DataFrame:
        roles = self.read("scores", "routine_roles")
        return tr.suppress_complements(roles, self.min_n) if self.public else roles

    def routine_statements(self) -> list[Statement]:
        return school_band_statements(self.routine_roles, self.code)

    def routine_group(self) -> Group:
        return Group(
            TITLE, self.routine_statements(), "本校教学常规各项与全区相比没有明确差异（或人数过少，不作比较）。"
        )

    def routine_section(self) -> list:
        own = tr.unit_roles(self.routine_roles, units.SCHOOL.name, self.code, public=self.public)
        if own.empty:
            return [Note("本校本学期没有报送教学常规表，或没有可用记录。")]
        return [
            Table(own, caption=f"{self.name}：各职务达到教学常规最低要求的情况（每学期）", cell_classes=CELLS),
            Note(SMALL_NOTE.format(n=self.min_n)),
        ]


class RoutineInternalSchool(RoutineSchool):
    """The school's internal report: its leaders by name against the minimums."""

    def routine_staff(self) -> pd.DataFrame:
        staff = self.read("scores", "routine_staff")
        return staff[staff["school_code"] == self.code]

    def routine_statements(self) -> list[Statement]:
        below = capped(leader_statements(self.routine_staff(), with_school=False), self.params)
        return [*below, *super().routine_statements()]

    def routine_section(self) -> list:
        out = super().routine_section()
        leaders = tr.staff_by_role(self.routine_staff())
        if len(leaders):
            out.append(Table(leaders, caption="校级和中层干部的听课、评课（内部资料，含个人姓名）"))
        return out
