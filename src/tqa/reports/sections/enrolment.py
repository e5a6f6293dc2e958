"""学籍变动与控辍保学: the report sections and first-page statements (mixins of ``tqa.reports.views``).

District: the district's 巩固率 and 辍学率 against the target, 入学率 when the office gave the school-age population
(otherwise why not), the categories, each school (internal: counts, rates, bands and the reconciliation's counts;
public: the band against the district only, in category and code order), and internally the schools with
suspected leavers (the students themselves are in the data-quality workbook). School: its grades against the
district; internally its 疑似流失 count and what to do. No student's name or 学籍号 appears in any report.
"""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from tqa.core import units
from tqa.measures.enrolment.rates import TARGET_MET, TARGET_MISSED
from tqa.reports.display import Heading, Landscape, Note, Statement, Table
from tqa.reports.labels import PUBLIC_BANDS, percent
from tqa.reports.tables import enrolment as te

SECTION_NOTE = (
    "「学校信息」中的在籍人数为填表时（学期末）的人数，学期初人数 = 期末在籍 − 转入 + 转出 + 辍学 + 死亡。"
    "转学不算流失，死亡不算辍学，两个率都以“学期初人数 − 死亡”为基数："
    "学期巩固率 =（期末在籍 − 转入 + 转出）÷（学期初人数 − 死亡），即基数中没有辍学的比例；"
    "学期辍学率 = 辍学 ÷（学期初人数 − 死亡）= 1 − 学期巩固率。"
    "这沿用常用的初中三年巩固率公式（毕业生 − 转入 + 转出）÷（入学人数 − 死亡），按一个学期计算。"
    "类别和全区为各校人数之和相除；括号内为 {level} 置信区间；区间的下限不低于目标才算“区间支持达到”，"
    "上限低于目标为“区间支持未达到”，其余为“区间不能确定”。"
)
RECONCILE_NOTE = (
    "疑似流失：按学籍号，上学期报表中的学生本学期不在全区任何学校的报表中、又没有毕业（秋季学期时上学期在小学六年级、"
    "初中或九年一贯制九年级），且本校本学期报告的转出（先扣除在区内其他学校找到的学生）、辍学、死亡人数不够说明的人数。"
    "无转入记录的新生：上学期不在全区任何报表中的学生（秋季学期的一、七年级除外），本校报告的转入人数"
    "（先扣除从区内其他学校转来的学生）不够说明的人数。学籍号不规范的学生无法核对，不计入。"
)


class _Enrolment:
    """What the district and school sections share."""

    @cached_property
    def enrolment_rates(self) -> pd.DataFrame:
        return self.read("scores", "enrolment_rates")

    @cached_property
    def enrolment_entry(self) -> pd.DataFrame:
        return self.read("scores", "enrolment_entry")

    def enrolment_reconciled(self) -> bool:
        return bool(self.enrolment_rates["reconciled"].any())

    def _enrolment_note(self) -> Note:
        return Note(SECTION_NOTE.format(level=percent(self.level)), title="口径")


class EnrolmentDistrict(_Enrolment):
    def enrolment_section(self) -> list:
        rates = self.enrolment_rates
        if rates.empty:
            return [Note("本学期没有可用的分年级人数（「学校信息」），不计算辍学率和巩固率。")]
        out: list = [
            self._enrolment_note(),
            Table(te.district_table(rates, self.public), caption="全区各年级学籍变动、巩固率与辍学率", wide=True),
            Table(te.category_table(rates, self.public), caption="各类别学校的学籍变动（各年级合计）"),
            Heading("入学率", level=3),
            *self.enrolment_entry_blocks(),
        ]
        schools = te.schools_table(rates, self.public)
        caption = "各校巩固率与全区比较（各年级合计，按类别、学校代码排列）"
        block = [
            Heading("各校巩固率", level=3),
            Table(schools, caption=caption, wide=not self.public, cell_classes=self._band_columns(schools)),
            Note(
                "各校的巩固率都接近 100%，各校之间的差异系数接近 0，不能反映校际差别，本节不计算；"
                "学校之间的差别看上表与全区比较的分档" + ("。" if self.public else "和疑似流失人数。")
            ),
        ]
        # the wide tables flow over landscape pages (no half-empty portrait page between them)
        return [Landscape([*out, *block, *([] if self.public else self.enrolment_leaver_blocks())])]

    def _band_columns(self, table: pd.DataFrame) -> tuple[str, ...]:
        return tuple(c for c in table.columns if "比较" in c)

    def enrolment_entry_blocks(self) -> list:
        entry = self.enrolment_entry
        if entry.empty:
            return [
                Note(
                    "本学期没有计算入学率：入学率的分母是片区或全区的适龄人口，学校报表中没有这一数字，"
                    "需要教研室把教育局提供的适龄人口表（population.csv）放进本学期数据的 office 文件夹，格式见项目的数据说明。"
                )
            ]
        out: list = [Table(te.entry_table(entry), caption="入学率（学段各年级在籍学生 ÷ 适龄人口）")]
        out.append(
            Note(
                "报表中没有学生的出生日期，在籍学生包括不在适龄范围内的学生（毛入学率的口径）；"
                "入学率超过 100% 说明有超龄、低龄或片区外的学生，此时不计算区间。"
            )
        )
        return out

    def enrolment_leaver_blocks(self) -> list:
        out: list = [Heading("按学籍号核对：疑似流失的学校", level=3)]
        if not self.enrolment_reconciled():
            prev = self.term.previous().label
            return [*out, Note(f"上学期（{prev}）的数据不在本系统中，本学期没有按学籍号核对学生去向。")]
        table = te.leaver_schools(self.enrolment_rates)
        if table.empty:
            out.append(Note("上学期的学生本学期都能在全区的报表中找到，或已由学校报告的转出、辍学、死亡说明。"))
        else:
            out.append(Table(table, caption=f"有疑似流失或无转入记录新生的学校（{len(table)} 所，疑似流失多的在前）"))
            out.append(Note("每名学生（姓名、学籍号、上学期的年级）已逐条列入数据质量清单，发回学校说明去向。"))
        out.append(Note(RECONCILE_NOTE, title="核对方法"))
        return out

    def enrolment_attention(self) -> pd.DataFrame:
        """需关注学校 (internal): the schools whose last-term students are unaccounted for (suspected leavers, found
        by 学籍号), with the count and the grades."""
        if not self.enrolment_reconciled():
            return pd.DataFrame(columns=["code", "cell"])
        lost = te.leaver_schools(self.enrolment_rates)
        lost = lost.loc[lost["疑似流失"] > 0]
        cells = [f"{int(n)} 人（{grades}）" for n, grades in zip(lost["疑似流失"], lost["涉及年级"])]
        return pd.DataFrame({"code": lost["学校代码"].to_numpy(), "cell": cells})

    def enrolment_statements(self) -> list[Statement]:
        """The first page: the district's 巩固率 against the target; internally the schools with suspected leavers."""
        rates = self.enrolment_rates
        d = rates.loc[(rates["level"] == units.DISTRICT.name) & rates["grade"].isna()]
        if d.empty:
            return []
        r = d.iloc[0]
        status = r["target_status"] if pd.notna(r["target_status"]) else "—"
        tone = {TARGET_MET: "good", TARGET_MISSED: "bad"}.get(status, "")
        text = (
            f"全区学期巩固率 {te.rate_text([r['consolidation_rate']], [r['consolidation_lo']], [r['consolidation_hi']])[0]}，"
            f"辍学 {int(r['dropped_out'])} 人（基数 {int(r['base_n'])} 人）；目标 {r['target']:.1%}：{status}。"
        )
        out = [Statement(text, tone)]
        entry = self.enrolment_entry
        for e in entry.loc[entry["area"] == "全区"].itertuples():
            rate = te.rate_text([e.rate], [e.rate_lo], [e.rate_hi], digits=1)[0]
            out.append(Statement(f"全区{e.stage}入学率 {rate}，目标 {e.target:.0%}：{e.target_status}。"))
        if not self.public and self.enrolment_reconciled():
            table = te.leaver_schools(rates)
            lost = table.loc[table["疑似流失"] > 0]
            if lost.empty:
                out.append(Statement("按学籍号核对，上学期的学生去向都有说明，没有疑似流失。", "good"))
            else:
                named = "、".join(
                    f"{c} {n} {k} 人" for c, n, k in zip(lost["学校代码"], lost["学校"], lost["疑似流失"])
                )
                out.append(
                    Statement(
                        f"按学籍号核对，{len(lost)} 所学校共 {int(lost['疑似流失'].sum())} 名学生去向不明（疑似流失）：{named}。",
                        "bad",
                    )
                )
        return out


class EnrolmentSchool(_Enrolment):
    def _own_rates(self) -> pd.DataFrame:
        rates = self.enrolment_rates
        return rates.loc[(rates["level"] == units.SCHOOL.name) & (rates["unit_code"] == self.code)]

    def enrolment_section(self) -> list:
        own = self._own_rates()
        if own.empty:
            return [Note("本校本学期没有可用的分年级人数（「学校信息」），不计算辍学率和巩固率。")]
        table = te.school_grades(self.enrolment_rates, self.code, self.public)
        shown = Table(table, caption="本校各年级学籍变动与巩固率", wide=not self.public, cell_classes=("与全区比较",))
        if self.public:
            return [self._enrolment_note(), shown]
        return [Landscape([self._enrolment_note(), shown, self.enrolment_todo(own)])]

    def enrolment_todo(self, own: pd.DataFrame) -> Note:
        if not bool(own["reconciled"].any()):
            return Note(f"上学期（{self.term.previous().label}）的数据不在本系统中，本学期没有按学籍号核对学生去向。")
        lost = int(own.loc[own["grade"].isna(), "suspected_leavers_n"].fillna(0).sum())
        new = int(own.loc[own["grade"].isna(), "unexplained_arrivals_n"].fillna(0).sum())
        if not lost and not new:
            return Note("按学籍号核对，本校上学期的学生去向都有说明，本学期的新生都有转入记录。", title="核对结果")
        parts = []
        if lost:
            parts.append(
                f"疑似流失 {lost} 人：上学期在本校、本学期不在全区任何学校报表中的学生，多于本校报告的转出、辍学和死亡人数。"
                "请对照数据质量清单中逐人列出的学生，说明每人的去向；确已转出、辍学或死亡的，补报「学校信息」中的人数；"
                "仍在校的，补入「学业成绩」。"
            )
        if new:
            parts.append(
                f"无转入记录的新生 {new} 人：请核对这些学生的学籍号；确为转入的，补报「学校信息」中的转入人数。"
            )
        return Note("".join(parts) + RECONCILE_NOTE, title="请学校处理", kind="warning")

    def enrolment_statements(self) -> list[Statement]:
        """The first page: the school's 巩固率 where the interval puts it above or below the district, and
        internally its suspected leavers."""
        own = self._own_rates()
        out = []
        total = own.loc[own["grade"].isna()]
        if not total.empty:
            r = total.iloc[0]
            band = r["consolidation_band"]
            if pd.notna(band) and band != "持平":
                rate = te.rate_text([r["consolidation_rate"]], [r["consolidation_lo"]], [r["consolidation_hi"]])[0]
                word = PUBLIC_BANDS.get(band, band)
                out.append(Statement(f"本校学期巩固率 {rate}，{word}。", "good" if "高于" in band else "bad"))
            lost = r["suspected_leavers_n"]
            if not self.public and pd.notna(lost) and int(lost) > 0:
                out.append(
                    Statement(
                        f"按学籍号核对，{int(lost)} 名学生去向不明（疑似流失），请逐一说明（见数据质量清单）。", "bad"
                    )
                )
        return out
