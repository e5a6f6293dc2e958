"""学生体质健康 in the reports: the district's section (its figures against the targets, the schools below the
district named internally, equity across schools, the trend), a school's section (per grade against its category
and the district, targets, the level mix beside the district's) and the first-page statements of both.

Mixins of the views (``tqa.reports.views.View``: ``self.read``, ``self.params``, ``self.public``, ``self.level``,
``self.term``); the public district edition's schools come as bands (``FitnessPublicDistrict``)."""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from tqa.core import units
from tqa.core.vocabulary import GRADE_LABELS
from tqa.measures.fitness.rates import SEX_ALL
from tqa.measures.fitness.targets import STATUS_MISSED, target_list
from tqa.reports.charts import fitness as charts
from tqa.reports.display import Group, Heading, Note, Statement, Table
from tqa.reports.labels import signed
from tqa.reports.tables import common as tc
from tqa.reports.tables import fitness as tf

ABOVE, BELOW = ("明显高于", "高于"), ("明显低于", "低于")
RATES = (("good_or_better_rate", "优良率"), ("pass_or_better_rate", "达标率"))
METHOD = (
    "学年总分按《国家学生体质健康标准（2014年修订）》分为优秀（≥ 90.0）、良好（80.0–89.9）、及格（60.0–79.9）、"
    "不及格（≤ 59.9）。优良率 = （优秀 + 良好）人数 ÷ 参加测试人数，达标率 = 及格及以上人数 ÷ 参加测试人数。"
    "报表中没有“免予执行”一栏：免测学生不计入各率的分母，只使测试覆盖率（参加测试人数 ÷ 在籍人数）降低，"
    "所以覆盖率与各率一同列出。括号内为 {level} 置信区间；与全区比较时区间不含 0 才说高于或低于。"
)
TARGET_NOTE = (
    "“未达成（区间支持）”指整个区间都低于目标；实际值低于目标而区间仍够得着目标时，写作“低于目标，但在随机波动范围内”。"
)


def _pct(v: float) -> str:
    return f"{v * 100:.1f}%"


def grade_list(grades, n_all: int) -> str:
    """'一年级、三年级', or '全部 9 个年级' when the list is every grade of ``n_all``."""
    grades = sorted(int(g) for g in grades)
    return f"全部 {n_all} 个年级" if len(grades) == n_all > 1 else "、".join(GRADE_LABELS[g] for g in grades)


def _span(values, fmt) -> str:
    lo, hi = float(min(values)), float(max(values))
    return fmt(lo) if lo == hi else f"{fmt(lo)}–{fmt(hi)}"


def missed_targets(targets: pd.DataFrame) -> list[Statement]:
    """One statement per target the unit misses for certain (the interval wholly below it), naming the grades and
    the range of their rates: a first page does not list nine grades by three targets line by line. The district's
    own targets differ by band: they make one statement per indicator ("本区目标", its values)."""
    missed = targets[targets["status"] == STATUS_MISSED]
    out = []
    for (tid, indicator), rows in missed.groupby(["target_id", "indicator_label"], sort=False):
        n_all = int(((targets["target_id"] == tid) & (targets["indicator_label"] == indicator)).sum())
        label = "本区目标" if tid == "district" else rows["target_label"].iloc[0]
        values = "/".join(_pct(v) for v in sorted(set(rows["target"])))
        out.append(Statement(f"未达到{label}{indicator} {values}（区间支持）：{grade_list(rows['grade'], n_all)}"
                             f"（{_span(rows['actual'], _pct)}）", "bad"))  # fmt: skip
    return out


def band_statements(rows: pd.DataFrame) -> list[Statement]:
    """A school's grades above or below the district (band supported by the interval), one statement per rate and
    band: '优良率明显低于全区：全部 9 个年级（0.0%–5.9%，差 -37.2 至 -30.3 个百分点）'."""
    out = []
    for rate, name in RATES:
        for bands, tone in ((("明显高于",), "good"), (("高于",), "good"), (("低于",), "bad"), (("明显低于",), "bad")):
            hit = rows[rows[f"{rate}_band"].isin(bands).fillna(False)]
            if hit.empty:
                continue
            diffs = hit[f"{rate}_diff"] * 100
            gap = signed(diffs.iloc[0]) if len(hit) == 1 else f"{signed(diffs.min())} 至 {signed(diffs.max())}"
            out.append(Statement(f"{name}{bands[0]}全区：{grade_list(hit['grade'], len(rows))}"
                                 f"（{_span(hit[rate], _pct)}，差 {gap} 个百分点）", tone))  # fmt: skip
    return out


class FitnessView:
    """What both reports share: the statistics (withheld cohorts blanked) and whose term's data they are."""

    @cached_property
    def fitness_stats(self) -> pd.DataFrame:
        return self.read("scores", "fitness_stats")

    def fitness_data_note(self) -> list:
        """Which term's data the section uses when this term had no fitness test (fitness is tested once a year)."""
        terms = sorted(set(self.fitness_stats["data_term"]))
        if not self.fitness_has_data():
            return [Note("本学期及以前各学期都没有体质健康测试数据。")]
        if terms != [self.term.name]:
            return [Note(f"本学期没有体质健康测试数据（体质测试每学年一次），以下使用 {'、'.join(terms)} 学期的数据。")]
        return []

    def fitness_has_data(self) -> bool:
        return bool((self.fitness_stats["tested_n"] > 0).any())


class FitnessDistrict(FitnessView):
    def fitness_section(self) -> list:
        if not self.fitness_has_data():
            return self.fitness_data_note()
        stats = self.fitness_stats
        targets = self.read("scores", "fitness_targets")
        equity = self.read("scores", "fitness_equity")
        trend = units.rows(self.read("scores", "fitness_trend"), units.DISTRICT)
        return [
            *self.fitness_data_note(),
            Note(METHOD.format(level=f"{self.level:.0%}")),
            Table(tf.district_grades(stats), caption="全区与各类学校各年级体质健康情况", wide=True),
            Heading("目标达成", level=3),
            Table(tf.targets_table(units.rows(targets, units.DISTRICT)), caption="全区各年级对照国家与本区目标",
                  cell_classes=("结论",)),  # fmt: skip
            Note(TARGET_NOTE),
            *self.fitness_schools(),
            Heading("校际均衡", level=3),
            Table(tf.equity_table(equity), caption=f"各校优良率、达标率的差异系数（提示线 {self.params.fitness.cv_threshold:g}）"),
            Heading("历次学期", level=3),
            Table(tf.trend_table(trend), caption="全区各年级优良率的历次变化（变化的区间不含 0 才是确定的变化）")
            if len(trend) else Note("磁盘上只有本学期的体质健康数据，暂无历次变化。"),
        ]  # fmt: skip

    def fitness_schools(self) -> list:
        """Internal: the schools below the district (named, with the evidence) and 优良率 by school against the
        target lines."""
        concern = tf.concern_schools(self.fitness_stats)
        out: list = [Heading("低于全区的学校", level=3)]
        if concern.empty:
            out.append(Note("没有学校的优良率或达标率确定低于全区（区间不含 0）。"))
        else:
            out.append(Table(concern, caption=f"优良率或达标率低于全区的学校与年级（{concern['代码'].nunique()} 所学校，按代码排列）",
                             wide=True, cell_classes=("优良率与全区比较", "达标率与全区比较")))  # fmt: skip
        stats = self.fitness_stats
        pooled = stats[stats["sex"] == SEX_ALL]
        schools = units.rows(pooled, units.SCHOOL)
        schools = schools[schools["publishable"].fillna(False).astype(bool)]
        if len(schools):
            lines = [
                ("national" if tid.startswith("national") else "district", int(g), value)
                for g in sorted(set(schools["grade"]))
                for tid, _, indicator, value in target_list(int(g), self.params)
                if indicator == "good_or_better_rate"
            ]
            out.append(charts.school_rate_chart(schools, units.rows(pooled, units.DISTRICT), lines,
                                                "各校优良率与全区、目标", self.level))  # fmt: skip
        return out

    def fitness_group(self) -> Group:
        """The first page: the district's 优良率 and 达标率, the targets the intervals say are missed, and
        (internally) how many schools are below the district, named."""
        stats = self.fitness_stats
        if not self.fitness_has_data():
            return Group("学生体质健康", [], "本学期没有体质健康测试数据。")
        d = units.rows(stats, units.DISTRICT)
        d = d[d["sex"] == SEX_ALL]
        tested = int(d["tested_n"].sum())
        terms = sorted(set(stats["data_term"]))
        source = "" if terms == [self.term.name] else f"（{'、'.join(terms)} 学期数据）"
        out = [
            Statement(
                f"全区参加体质测试 {tested:,} 人{source}：优良率 {_pct(d['good_or_better_n'].sum() / tested)}，"
                f"达标率 {_pct(d['pass_or_better_n'].sum() / tested)}（各年级合计）。"
            )
        ]
        t = units.rows(self.read("scores", "fitness_targets"), units.DISTRICT)
        out += missed_targets(t)
        if len(t) and not (t["status"] == STATUS_MISSED).any():
            out.append(Statement(f"全区各年级在 {len(t)} 项体质健康目标中，没有确定未达成的（区间支持）。", "good"))
        out.extend(self.fitness_concern_statements())
        return Group("学生体质健康", out)

    def fitness_attention(self) -> pd.DataFrame:
        """需关注学校 (internal): each school with a grade whose 优良率 or 达标率 is below the district (interval
        supporting it): how many grades, and the grade and rate furthest below ("2 个年级低于全区，最低为五年级优良率
        31.2%（低于全区 18.0 个百分点）")."""
        s = tf.published_school_grades(self.fitness_stats)
        rows = []
        for rate, name in RATES:
            hit = s[s[f"{rate}_band"].isin(BELOW).fillna(False)]
            rows.append(pd.DataFrame({"code": hit["unit_code"], "grade": hit["grade"], "name": name,
                                      "value": hit[rate], "diff": hit[f"{rate}_diff"]}))  # fmt: skip
        hits = pd.concat(rows, ignore_index=True)
        out = []
        for code, found in hits.sort_values(["code", "diff", "grade"], kind="stable").groupby("code", sort=True):
            r = found.iloc[0]
            out.append((code, f"{found['grade'].nunique()} 个年级低于全区，最低为{GRADE_LABELS[int(r['grade'])]}"
                              f"{r['name']} {_pct(r['value'])}（低于全区 {abs(r['diff']) * 100:.1f} 个百分点）"))  # fmt: skip
        return pd.DataFrame(out, columns=["code", "cell"])

    def fitness_concern_statements(self) -> list[Statement]:
        concern = tf.concern_schools(self.fitness_stats)
        if concern.empty:
            return [Statement("没有学校的优良率或达标率确定低于全区。", "good")]
        names = concern.drop_duplicates("代码")
        listed = "、".join(names["代码"] + " " + names["学校"])
        return [Statement(f"{len(names)} 所学校有年级的优良率或达标率低于全区（区间支持）：{listed}。", "bad")]


class FitnessPublicDistrict:
    """The public district edition: every school's bands against the district, in category and code order."""

    def fitness_schools(self) -> list:
        out: list = [Heading("各校与全区比较", level=3)]
        for rate, name in RATES:
            table = tf.public_band_matrix(self.fitness_stats, rate)
            out.append(Table(table, caption=f"各校各年级{name}与全区比较（按类别、学校代码排列）",
                             wide=len(table.columns) > 8, cell_classes=tuple(table.columns[3:])))  # fmt: skip
        return out

    def fitness_concern_statements(self) -> list[Statement]:
        return []  # the named schools are for the office only


class FitnessSchool(FitnessView):
    @cached_property
    def fitness_stats(self) -> pd.DataFrame:
        """The school's rows and every category and district row (all a school report reads), split once per
        process for every school."""
        return self.catalog.derive(tc.SchoolRows, self.read("scores", "fitness_stats"))[self.code]

    @cached_property
    def fitness_targets(self) -> pd.DataFrame:
        return self.catalog.derive(tc.SchoolRows, self.read("scores", "fitness_targets"))[self.code]

    def fitness_section(self) -> list:
        if not self.fitness_has_data():
            return self.fitness_data_note()
        stats = self.fitness_stats
        own = units.rows(stats, units.SCHOOL)
        if own[own["unit_code"] == self.code].empty:
            return [*self.fitness_data_note(), Note("本校没有体质健康测试数据。")]
        table = tf.school_grades(stats, self.code, str(self.school["category"]), self.public)
        bands = ("优良率与全区比较", "达标率与全区比较")
        targets = self.fitness_targets
        mine = targets[units.is_level(targets, units.SCHOOL) & (targets["unit_code"] == self.code)]
        out = [
            *self.fitness_data_note(),
            Note(METHOD.format(level=f"{self.level:.0%}")),
            Table(table, caption="各年级体质健康：本校与同类学校、全区" + ("" if self.public else "（男生或女生不足 "
                  f"{self.params.reporting.min_published_n} 人的年级不分男女列出）"), wide=True, cell_classes=bands,
                  highlight=table["范围"].str.startswith("本校")),
        ]  # fmt: skip
        if not self.public:
            out.append(Table(tf.targets_table(mine), caption="本校各年级对照国家与本区目标", cell_classes=("结论",)))
            out.append(Note(TARGET_NOTE))
            pooled = stats[(stats["sex"] == SEX_ALL) & stats["unit_code"].isin([self.code, units.DISTRICT_CODE])]
            out.append(charts.level_stack_chart(pooled, f"{self.name}：各年级体质健康等级构成（本校与全区）"))
        return out

    def fitness_group(self) -> Group:
        """The first page: the grades whose 优良率 or 达标率 differs from the district with the interval supporting
        it, and (internally) the targets missed for certain."""
        own = tf.published_school_grades(self.fitness_stats)
        out = band_statements(own[own["unit_code"] == self.code])
        if not self.public:
            t = self.fitness_targets
            out += missed_targets(t[units.is_level(t, units.SCHOOL) & (t["unit_code"] == self.code)])
        return Group(
            "学生体质健康", out, "各年级的优良率、达标率与全区相比都在随机波动范围以内（或人数过少、没有测试数据）。"
        )
