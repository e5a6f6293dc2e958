"""What each report shows, section by section: the report notebooks call a view and show what it returns.

``district_view(term, mode)`` and ``school_view(term, school_code, mode)`` give the internal or the public
edition. The editions are different classes: the public ones are built from the suppressed results (small
cells and their complements hidden, ``tqa.reports.disclosure``), have no rank column and read no student-level
table at all (only the internal school view reads the class, tier and 临界生 tables), so the public edition's
protection does not depend on ``if`` branches in notebook cells. A section that an edition does not have
returns None (nothing is shown) or the note that says why.

A view reads files only (``tqa.io.catalog``): a report is a function of the term's files, its parameters and
its code. The tables for school reports are shaped for every school at once and kept per process
(``Catalog.derive``): a worker that runs many school reports shapes them once.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import pandas as pd

from tqa.core import units
from tqa.core.terms import parse_term
from tqa.core.vocabulary import GRADE_LABELS
from tqa.io.catalog import Catalog
from tqa.io.provenance import provenance
from tqa.measures import cohorts
from tqa.measures.academic.change import CHANGE_LABELS, STATUS_LABELS
from tqa.params import Params, load_params
from tqa.params.describe import describe
from tqa.reports import findings
from tqa.reports.charts import academic as charts
from tqa.reports.disclosure import apply_suppression
from tqa.reports.display import Cover, Group, Heading, Landscape, Note, Paragraphs, Provenance, Summary, Table
from tqa.reports.labels import FORMATS, LABELS, RANK_NAMES, labels_for, percent, rank_labels
from tqa.reports.sections.enrolment import EnrolmentDistrict, EnrolmentSchool
from tqa.reports.sections.fitness import FitnessDistrict, FitnessPublicDistrict, FitnessSchool
from tqa.reports.sections.routine import RoutineDistrict, RoutineInternalSchool, RoutinePublicDistrict, RoutineSchool
from tqa.reports.sections.wellbeing import WellbeingDistrict, WellbeingPublicDistrict, WellbeingSchool
from tqa.reports.student_workbook import workbook_name
from tqa.reports.tables import common as tc
from tqa.reports.tables import district as td
from tqa.reports.tables import school as ts
from tqa.schema.tables import spec

MODES = ("internal", "public")

# The method in words, with its formulas (the district report's first appendix).
METHOD_NOTES = (
    ("平均分的区间", "平均分 ± t × 标准差 ÷ √n（t 分布，自由度 n − 1），并限制在 0 到满分之间。"),
    ("比率的区间", "及格率等比率用 Wilson 方法：在 n 很小或比率接近 0、100% 时仍然可靠。"),
    (
        "与全区比较的分档",
        "学校与全区之差（以全区标准差为单位）的区间不含 0 时为高于 / 低于；差值还达到界值时为明显高于 / 明显低于；区间含 0 为持平（与全区相当）。",
    ),
    ("变化", "本学期与上学期比率之差的区间用 Newcombe 方法计算；区间含 0 时为持平，不论差值多大。"),
    (
        "名次区间",
        "按各校估计值的不确定性重复抽样，得到每所学校名次的 95% 可能范围（Goldstein 与 Spiegelhalter，1996）。",
    ),
    (
        "漏斗图",
        "控制限为全区比率 p 下、n 名学生的二项分布精确界，波动幅度约为 √(p(1 − p) ÷ n)（Spiegelhalter，2005）。",
    ),
    (
        "增值",
        "随机截距多层模型：本学期标准分 = 截距 + 斜率 × 上学期标准分 + 学校效应 + 学生误差；用限制性极大似然（REML）拟合，学校效应取经验贝叶斯估计（人数少的学校向 0 收缩），区间为 95%。",
    ),
    ("差异系数", "各校平均分的标准差 ÷ 各校平均分的平均数（按学生数加权）。"),
    (
        "试卷分析",
        "难度 = 平均得分 ÷ 满分；区分度 = 总分前 27% 与后 27% 学生平均得分之差 ÷ 满分；信度为 α 系数；测量标准误 = 标准差 × √(1 − α)。",
    ),
    (
        "综合得分",
        "各指标按本区自定权重加权求和（低分率为减分项），另用两种备选权重重新计算名次，检查名次对权重的敏感程度。",
    ),
)


class View:
    """Shared by every report: the term's catalog and parameters, the checked returns and the statistics."""

    public = False

    @property
    def mode(self) -> str:
        return "public" if self.public else "internal"

    def __init__(self, term: str, root: str = ".", params: Params | None = None):
        self.catalog = Catalog(term, Path(root))
        self.params = params if params is not None else load_params(term, self.catalog.root / "params")
        self.term = parse_term(term)
        self.min_n = int(self.params.reporting.min_published_n)
        self.level = float(self.params.uncertainty.level)

    def read(self, stage: str, name: str) -> pd.DataFrame:
        """A table as a report may see it: the public edition may not read an internal one, and no edition sees a
        withheld cohort's figures (``tqa.measures.cohorts``: the one place the small-cohort rule is applied)."""
        table = spec(stage, name)
        if self.public and table.internal_only:
            raise PermissionError(f"the public edition may not read {stage}/{name} (tqa.schema.tables.INTERNAL_ONLY)")
        df = self.catalog.read(stage, name)
        return (
            self.catalog.derive(cohorts.withhold, df, rules=table.withhold, params=self.params)
            if table.withhold
            else df
        )

    @cached_property
    def returns(self) -> pd.DataFrame:
        return self.read("checked", "returns")

    @cached_property
    def stats(self) -> pd.DataFrame:
        return self.read("scores", "subject_stats")

    @cached_property
    def results(self) -> pd.DataFrame:
        """The result table as this edition may show it (public: suppressed)."""
        results = self.read("scores", "results")
        return self.catalog.derive(apply_suppression, results, params=self.params) if self.public else results

    @cached_property
    def totals(self) -> pd.DataFrame:
        """总分 per unit and grade (``tqa.measures.academic.totals``)."""
        return self.read("scores", "total_stats")

    def provenance(self) -> Provenance:
        return Provenance(provenance(self.catalog))


# ---- the district report ------------------------------------------------------------------------------------


class DistrictView(FitnessDistrict, WellbeingDistrict, EnrolmentDistrict, RoutineDistrict, View):
    """The internal district report (for the office: ranks, named schools, the data-quality list)."""

    @cached_property
    def issues(self) -> pd.DataFrame:
        return self.read("checked", "issues")

    def title(self) -> Cover:
        name = self.params.district.name
        return Cover(
            f"{name}{self.term.label}教学质量分析报告",
            "全区报告",
            self.mode,
            back_href="index.html",
            running=f"{name} {self.term.label} 全区报告",
            unit=name,
        )

    def summary(self) -> Summary:
        """Pages 1-2: returns, targets, papers of concern, equity; internally the named 需关注学校."""
        summary = findings.district_summary(
            self.params.district.name, self.returns, self.results, self.read("scores", "targets"), self.trend,
            self.read("scores", "equity"), self.params,
        )  # fmt: skip
        summary.groups.extend(self.school_life_groups())
        return self.with_attention(summary)

    def with_attention(self, summary: Summary) -> Summary:
        table = findings.attention_list(
            self.results, self.read("scores", "targets"), self.read("scores", "change"), self.value_added,
            self.returns, self.issues, self.params,
            dict(zip(findings.SCHOOL_LIFE_REASONS,
                     (self.fitness_attention(), self.wellbeing_attention(), self.enrolment_attention()))),
        )  # fmt: skip
        limit = int(self.params.findings.attention_max)
        caption = f"需关注学校（{len(table)} 所，按需关注的原因数排列）"
        if len(table) > limit:
            caption = f"需关注学校（共 {len(table)} 所，列出原因最多的 {limit} 所）"
        if table.empty:
            return Summary(summary.lead, summary.groups, Note("没有学校出现需关注的情况。"))
        shown = Table(table.head(limit), caption=caption, wide=True)
        return Summary(summary.lead, summary.groups, shown)

    def school_life_groups(self) -> list[Group]:
        """The first page's groups of the families beyond the exam results, in the report's section order."""
        enrolment = Group("学籍变动与控辍保学", self.enrolment_statements(), "本学期没有可用的分年级人数。")
        return [self.fitness_group(), self.wellbeing_group(), enrolment, self.routine_group()]

    def method_appendix(self) -> Paragraphs:
        return Paragraphs(list(METHOD_NOTES))

    def returns_section(self) -> list:
        out: list = [Table(td.returns_summary(self.returns), caption="各类别学校报表提交情况")]
        missing = self.returns.loc[~self.returns["submitted"], ["school_code", "school_name", "category"]]
        if len(missing):
            out.append(
                Note(
                    "未提交报表的学校：" + "、".join(missing["school_code"] + " " + missing["school_name"]),
                    kind="warning",
                )
            )
        return out

    def participation_section(self) -> list:
        overview = td.participation_overview(self.stats)
        out: list = [
            Table(overview, columns=labels_for(overview.columns), formats=FORMATS, caption="全区各年级各学科参考情况")
        ]
        threshold = self.params.participation.warn_below
        low = td.low_participation(self.stats, threshold)
        if len(low):
            out.append(
                Table(
                    low, columns=labels_for(low.columns), formats=FORMATS, caption=f"参考率低于 {threshold:.0%} 的学校"
                )
            )
        return out

    def papers_section(self) -> list:
        """Per paper: the district and category rates, the schools with intervals and bands, the means chart."""
        out: list = []
        stats = self.stats
        papers = tc.grade_subjects(stats)
        for i, (grade, subject) in enumerate(papers):
            block: list = [
                Heading(f"{GRADE_LABELS[grade]} {subject}", level=3),
                Table(td.district_rates(stats, grade, subject), columns=labels_for(["level_label"]) | LABELS,
                      formats=FORMATS),
                *self.paper_schools(grade, subject),
            ]  # fmt: skip
            if i + 1 == len(papers) or papers[i + 1][0] != grade:
                block += [*self.grade_totals(grade), *self.grade_schools(grade)]
            if self.public:
                out.extend(block)
            else:  # every paper has its wide school table: the papers flow over landscape pages
                out.append(Landscape(block))
        return out

    def total_units(self, grade: int) -> pd.DataFrame:
        """Whose 总分 the district table shows: the categories and the district, then (internally) the schools
        with a published total, highest first."""
        t = self.totals[self.totals["grade"] == grade]
        head = t[t["level"] != units.SCHOOL.name]
        schools = t[(t["level"] == units.SCHOOL.name) & t["publishable"].fillna(False).astype(bool)]
        schools = schools.sort_values(["mean", "unit_code"], ascending=[False, True])
        return pd.concat([head, schools])[["level", "unit_code"]]

    def grade_totals(self, grade: int) -> list:
        caption = tc.total_caption(self.totals, grade)
        if caption is None:
            return []
        shown = self.total_units(grade)
        table = tc.total_rows(self.totals, grade, shown, self.level, self.public, named=True)
        head = (shown["level"] != units.SCHOOL.name).to_numpy()  # the categories and the district always print
        printed, note = td.printed_schools(table, self.params.printing.all_schools_max, always=head)
        return [Table(table, caption=caption, wide=True, cell_classes=("与全区比较",), print_rows=printed,
                      print_note=note)]  # fmt: skip

    def grade_schools(self, grade: int) -> list:
        return []

    def paper_schools(self, grade: int, subject: str) -> list:
        """The internal edition: the schools with published figures, best first, their intervals and ranks, the
        means chart; the others as a count."""
        label = f"{GRADE_LABELS[grade]}{subject}"
        table = td.ranking_with_uncertainty(self.results, grade, subject, self.level, self.params.ranking.rank_by)
        printed, note = td.printed_schools(table, self.params.printing.all_schools_max)
        out: list = [Table(table, caption=f"{label}：各校成绩（按平均分从高到低）", wide=True,
                           cell_classes=("与全区比较",), print_rows=printed, print_note=note)]  # fmt: skip
        hidden = td.unpublished_count(self.results, grade, subject)
        if hidden:
            out.append(Note(f"另有 {hidden} 所学校实考人数不足 {self.min_n} 人，成绩不公布，不在表中。"))
        stats = self.stats
        paper = (stats["grade"] == grade) & (stats["subject"] == subject)
        schools = stats[units.is_level(stats, units.SCHOOL) & paper & (stats["tested_n"] >= self.min_n)]
        district = stats[units.is_level(stats, units.DISTRICT) & paper]
        if schools["mean"].notna().any():
            out.append(
                charts.school_means_chart(
                    schools, float(district["mean"].iloc[0]), f"{label}：各校平均分与全区平均", self.level
                )  # fmt: skip
            )
        return out

    def funnel_section(self) -> list:
        curves = self.read("scores", "funnel_curves")
        points = self.read("scores", "funnel_points")
        curves, points = curves[curves["rate"] == "pass_rate"], points[points["rate"] == "pass_rate"]
        levels = tuple(self.params.funnel.levels)
        return [
            charts.funnel_chart(pts, curves[curves["grade"] == grade], f"{GRADE_LABELS[grade]}：及格率漏斗图", levels)
            for grade, pts in points.groupby("grade", sort=True)
        ]

    def score_band_section(self) -> list:
        bands = self.read("scores", "score_bands")
        district = units.rows(bands, units.DISTRICT)
        out: list = []
        for grade, rows in district.groupby("grade", sort=True):
            out.append(charts.score_band_chart(rows, f"{GRADE_LABELS[grade]}：全区分数段分布"))
            counts = td.score_band_counts(bands, grade)
            if len(counts):
                out.append(Table(counts, caption=f"{GRADE_LABELS[grade]}：各类学校各分数段人数", wide=True))
        return out

    @cached_property
    def value_added(self) -> pd.DataFrame:
        return self.read("scores", "value_added")

    def value_added_section(self) -> list:
        va = self.value_added
        if va.empty:
            return [Note("没有上一学期的数据，本学期不计算增值与变化。")]
        out: list = [
            charts.caterpillar_chart(
                rows, f"{GRADE_LABELS[grade]}：各校增值（学校效应及 {percent(self.level)} 区间）", self.level
            )
            for grade, rows in va[va["grade"] >= 3].groupby("grade", sort=True)
        ]
        withheld = va[va["va_withheld"]].drop_duplicates("school_code")
        if len(withheld):
            out.append(Note("匹配率不足、未计算增值的学校：" + "、".join(withheld["school_code"]), kind="warning"))
        return out

    def change_section(self) -> list:
        change = self.read("scores", "change")
        if change.empty:
            return []
        pass_change = change[(change["metric"] == "pass_rate") & (change["unit_code"] != units.DISTRICT_CODE)]
        counts = td.change_grid_counts(pass_change, {})
        return [
            charts.change_grid_chart(
                counts, self.params.change.grid, STATUS_LABELS, CHANGE_LABELS, "及格率：现状 × 变化（学校 × 考试 个数）"
            )
        ]

    @cached_property
    def trend(self) -> pd.DataFrame:
        return self.read("scores", "trend")

    def trend_section(self) -> list:
        district = units.rows(self.trend, units.DISTRICT)
        out = []
        for band, grades in self.params.grade_bands.items():
            rows = district[district["grade"].isin(grades)]
            if rows["pass_rate"].notna().any():
                out.append(charts.trend_chart(rows, f"{band}：全区及格率历次变化"))
        return out

    def rank_trend_section(self) -> list:
        out = []
        rank_name = RANK_NAMES[self.params.ranking.rank_by]
        for grade, subject in tc.grade_subjects(self.stats):
            table = td.district_rank_trend(self.trend, grade, subject)
            if len(table):
                out.append(
                    Table(table, caption=f"{GRADE_LABELS[grade]}{subject}：各校历次及格率 / {rank_name}（全区）")
                )
        return out

    def targets_section(self) -> Table:
        return Table(td.targets_summary(self.read("scores", "targets")))

    def equity_section(self) -> Table:
        equity = self.read("scores", "equity")
        return Table(
            pd.DataFrame(
                {
                    "年级": equity["grade"].map(GRADE_LABELS),
                    "学科": equity["subject"],
                    "学校数": equity["n_schools"],
                    "差异系数": equity["cv"].map("{:.3f}".format),
                    "是否超过阈值": equity["cv_over"].map({True: "是", False: "否"}),
                }
            )
        )

    def sensitivity_section(self):
        return Table(
            td.sensitivity_summary(self.read("scores", "sensitivity")), caption="在其他权重下名次变动最大的学校"
        )

    def items_section(self) -> list:
        papers = self.read("scores", "paper_stats")
        items = self.read("scores", "item_stats")
        if papers.empty:
            return [Note("本学期没有学校报送小题得分，或缺少 item_spec.csv，不做试卷分析。")]
        return [
            Table(td.paper_table(papers), caption="各试卷的信度与难度"),
            *(
                Table(td.item_table(rows), caption=f"{GRADE_LABELS[grade]}{subject}：各题难度与区分度")
                for (grade, subject), rows in items.groupby(["grade", "subject"], sort=True)
            ),
        ]

    def quality_section(self) -> list:
        issues = self.issues
        counts = td.issue_counts(issues)
        warnings = issues[issues["severity"] == "warning"]
        return [
            Table(counts, columns=labels_for(counts.columns), caption="各校数据问题条数"),
            Table(
                tc.issue_list(warnings).assign(学校=warnings["school_code"] + " " + warnings["school_name"].fillna("")),
                columns=LABELS,
                caption="警告：已剔除出统计的记录",
            ),
        ]

    def appendix(self) -> list:
        models = self.read("scores", "va_models")
        out: list = (
            [] if models.empty else [Table(td.va_model_table(models), caption="增值模型估计（随机截距模型，REML）")]
        )
        return [
            *out,
            Table(describe(self.params), caption="评价参数：项目、取值与含义"),
            Table(tc.lines_table(units.rows(self.stats, units.DISTRICT)), caption="各年级各学科分数线"),
            self.provenance(),
        ]


class PublicDistrictView(FitnessPublicDistrict, WellbeingPublicDistrict, RoutinePublicDistrict, DistrictView):
    """The public district report: bands instead of ranks, small cells suppressed, no data-quality list."""

    public = True

    @cached_property
    def issues(self) -> pd.DataFrame:
        return spec("checked", "issues").empty()  # the problem lists go to schools, not to the public

    def with_attention(self, summary: Summary) -> Summary:
        return summary  # the named list is for the office only

    def paper_schools(self, grade: int, subject: str) -> list:
        return []  # the schools come once per grade (grade_schools)

    def total_units(self, grade: int) -> pd.DataFrame:
        t = self.totals[(self.totals["grade"] == grade) & (self.totals["level"] != units.SCHOOL.name)]
        return t[["level", "unit_code"]]  # the schools' totals: as bands, in the table below

    def grade_schools(self, grade: int) -> list:
        """Each school against the district only, one column per subject, in category and code order: nothing to
        order schools by."""
        table = td.school_band_matrix(self.results, grade, self.totals)
        return [Table(table, caption=f"{GRADE_LABELS[grade]}：各校与全区比较（按类别、学校代码排列）",
                      wide=len(table.columns) > 8, cell_classes=tuple(table.columns[3:]))]  # fmt: skip

    def funnel_section(self) -> Note:
        return Note("公开版不画各校的漏斗图：每所学校与全区比较的结果见上表的分档。")

    def value_added_section(self) -> list:
        va = self.value_added
        if va.empty:
            return [Note("没有上一学期的数据，本学期不计算增值与变化。")]
        table = td.value_added_bands(va, self.returns)
        return [Table(table, caption="各校增值与全区平均比较（按类别、学校代码排列）", wide=len(table.columns) > 8,
                      cell_classes=tuple(table.columns[3:]))]  # fmt: skip

    def quality_section(self) -> Note:
        return Note("各校报表的数据问题清单已逐校发回核对，公开版不列出。被剔除的记录不计入本报告的任何数字。")

    def rank_trend_section(self) -> None:
        return None

    def sensitivity_section(self) -> None:
        return None


# ---- a school's report ----------------------------------------------------------------------------------------


class SchoolView(FitnessSchool, WellbeingSchool, EnrolmentSchool, RoutineSchool, View):
    """A school's public report: the school against its category and the district, bands, no ranks, no
    student-level data (the sections below that only the internal edition has return None)."""

    def __init__(self, term: str, school_code: str, root: str = ".", params: Params | None = None):
        super().__init__(term, root, params)
        self.code = school_code
        self.school = self.returns.set_index("school_code").loc[school_code]
        self.name = self.school["school_name"]

    def title(self) -> Cover:
        s = self.school
        return Cover(
            f"{self.name}{self.term.label}教学质量分析报告",
            f"{self.params.district.name} · 学校代码 {self.code} · {s['school_type']} · {s['category']}学校",
            self.mode,
            back_href="../index.html",
            running=f"{self.code} {self.name} {self.term.label}",
            unit=self.name,
        )

    @cached_property
    def _comparisons(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        # school, category and district rows per paper; small cohorts masked (chart) or 样本过少 (tables)
        return self.catalog.derive(ts.comparisons, self.results, min_n=self.min_n)[self.code]

    def summary(self) -> Summary:
        """Page 1: strongest and weakest papers against the district, changes, value added, targets, data quality,
        what to do first (the public edition without the data-quality statement)."""

        def own(frame: pd.DataFrame, column: str) -> pd.DataFrame:
            return self.catalog.derive(findings.split, frame, column=column).get(self.code, frame.iloc[0:0])

        targets = self.read("scores", "targets")
        papers = self.catalog.derive(findings.school_papers, self.results)
        below = self.catalog.derive(findings.below_target, self.results, targets, code=None)
        summary = findings.school_summary(
            self.name, self.code, own(papers, "unit_code"), own(self.read("scores", "change"), "unit_code"),
            own(self.value_added, "school_code"), own(below, "unit_code"),
            None if self.public else self.own_issues(), str(self.school["status"]), self.params,
        )  # fmt: skip
        life = self.school_life_groups()
        steps = summary.groups[-1]  # 建议先做: the clearest problem of each family follows the exams'
        more = [findings.first_step(g) for g in life if any(s.tone == "bad" for s in g.statements)]
        summary.groups[-1:] = [*life, Group(steps.title, [*steps.statements, *more], steps.empty)]
        return summary

    def school_life_groups(self) -> list[Group]:
        """The first page's groups of the families beyond the exam results, in the report's section order."""
        enrolment = Group("学籍变动", self.enrolment_statements(), "没有需要特别说明的学籍变动。")
        return [self.fitness_group(), self.wellbeing_group(), enrolment, self.routine_group()]

    def gap_chart(self):
        return charts.school_gap_chart(self._comparisons[0], f"{self.name}：各科与全区的差异", self.level)

    def grade_tables(self) -> list:
        cols = [
            "subject",
            "level_label",
            "tested_n",
            "participation",
            "mean",
            "pass_rate",
            "excellent_rate",
            "low_rate",
            "rank_district",
            "rank_category",
        ]
        out: list = []
        for grade, rows in self._comparisons[1].groupby("grade", sort=True):
            out.append(Heading(GRADE_LABELS[grade], level=3))
            level_graded = tc.is_level_graded(rows)
            shown = [
                c
                for c in cols
                if not ((level_graded and c == "mean") or ((self.public or level_graded) and c.startswith("rank_")))
            ]
            out.append(
                Table(
                    rows[shown],
                    columns=labels_for(shown) | rank_labels(self.params.ranking.rank_by),
                    formats=FORMATS,
                    highlight=units.is_level(rows, units.SCHOOL),
                )
            )
            out.extend(self.grade_total(grade))
        return out

    def grade_total(self, grade: int) -> list:
        totals = self.totals
        caption = tc.total_caption(totals, grade)
        if caption is None:
            return []
        shown = pd.DataFrame(
            {
                "level": ["school", "category", "district"],
                "unit_code": [self.code, self.school["category"], units.DISTRICT_CODE],
            }
        )
        table = tc.total_rows(totals, grade, shown, self.level, self.public)
        return [Table(table, caption=caption, cell_classes=("与全区比较",), highlight=table["范围"] == "本校")]

    @cached_property
    def papers(self) -> pd.DataFrame:
        """The papers whose figures this report shows (public: without the papers hidden as complements)."""
        return self.catalog.derive(ts.published_papers, self.results, min_n=self.min_n).get(self.code, ts.NO_PAPERS)

    def score_band_section(self):
        bands = self.catalog.derive(
            ts.score_bands, self.read("scores", "score_bands"), self.results, min_n=self.min_n
        ).get(self.code)
        if bands is None:
            return Note("本校没有可以显示分数段的分数制考试。")
        return charts.score_band_chart(bands, f"{self.name}：各科分数段（本校与全区）", ncols=4)

    def funnel_section(self):
        funnel = self.catalog.derive(
            ts.funnel_panels, self.read("scores", "funnel_points"), self.read("scores", "funnel_curves")
        )
        points, curves = funnel.for_school(self.code, self.papers, others=not self.public)  # public: no other schools
        if not len(points):
            return None
        return charts.funnel_chart(
            points, curves, f"{self.name}：及格率漏斗图", tuple(self.params.funnel.levels), highlight=self.code, ncols=4
        )

    def standings(self) -> Table:
        table = self.catalog.derive(ts.standings, self.results, public=self.public, rank_by=self.params.ranking.rank_by)
        return Table(table[self.code], cell_classes=("平均分与全区比较", "及格率与全区比较"))

    def sensitivity_section(self):
        return None

    def targets_section(self) -> Table:
        return Table(self.catalog.derive(ts.target_tables, self.read("scores", "targets")).get(self.code, ts.NO_ROWS))

    @cached_property
    def value_added(self) -> pd.DataFrame:
        return self.read("scores", "value_added")

    def change_section(self) -> list:
        if self.value_added.empty:
            return [Note("没有上一学期的数据，本学期不计算增值与变化。")]
        change = self.read("scores", "change")
        return [
            Table(
                self.catalog.derive(ts.value_added_tables, self.value_added, level=self.level, public=self.public).get(
                    self.code, ts.NO_ROWS
                ),
                caption="增值评价",
                cell_classes=("与全区平均比较",),
            ),
            Table(
                self.catalog.derive(ts.change_tables, change, public=self.public).get(self.code, ts.NO_ROWS),
                caption="及格率：与上学期相比",
                cell_classes=("变化", "颜色"),
            ),
            self.rank_trend_table(),
        ]

    def rank_trend_table(self):
        return None

    def caterpillar_section(self):
        return None

    def classes_section(self):
        return None

    def items_section(self) -> list:
        gaps = self.read("scores", "item_gaps")
        own = gaps[gaps["school_code"] == self.code] if "school_code" in gaps else gaps.iloc[0:0]
        if own.empty:
            return [Note("本校没有报送小题得分，或本学期不做试卷分析。")]
        stats = self.read("scores", "item_stats")
        return [
            Table(
                ts.item_gap_table(rows, stats),
                caption=f"{GRADE_LABELS[grade]}{subject}：本校各题得分率（最弱的题在前）",
            )
            for (grade, subject), rows in own.groupby(["grade", "subject"], sort=True)
        ]

    def own_issues(self) -> pd.DataFrame:
        return spec("checked", "issues").empty()

    def quality_section(self):
        own = self.own_issues()
        if own.empty:
            return Note("本校报表未发现数据问题。")
        return Table(tc.issue_list(own), columns=LABELS)

    def appendix(self) -> list:
        return [Table(self.catalog.derive(ts.line_tables, self.stats).get(self.code, ts.NO_ROWS)), self.provenance()]


class PublicSchoolView(SchoolView):
    public = True


class InternalSchoolView(RoutineInternalSchool, SchoolView):
    """The school's internal report: ranks, the composite's sensitivity, the value-added caterpillar, its
    classes and students (临界生), its data problems."""

    def sensitivity_section(self):
        sens = self.catalog.derive(ts.sensitivities, self.read("scores", "sensitivity")).get(self.code)
        if sens is None:
            return Note("本校没有参加综合得分排名的考试。")
        return Table(sens, caption="综合得分名次（全区）：主方案与备选权重")

    def rank_trend_table(self) -> Table:
        return Table(
            self.catalog.derive(ts.rank_trends, self.read("scores", "trend")).get(self.code, ts.NO_ROWS),
            caption=f"历次学期的及格率 / {RANK_NAMES[self.params.ranking.rank_by]}（全区）",
        )

    def caterpillar_section(self):
        if self.value_added.empty:
            return None
        effects, _ = self.catalog.derive(ts.caterpillar_panels, self.value_added).for_school(self.code)
        if not len(effects):
            return None
        return charts.caterpillar_chart(
            effects,
            f"{self.name}：增值（学校效应及 {percent(self.level)} 区间）",
            self.level,
            highlight=self.code,
            ncols=4,
        )

    def classes_section(self) -> list:
        classes = self.catalog.derive(
            ts.class_tables, self.read("scores", "class_stats"), self.read("scores", "tiers"), level=self.level
        )  # the matrix below reads the same table
        class_stats = self.read("scores", "class_stats")
        matrix = dict(self.catalog.derive(ts.class_subject_matrix, class_stats).get(self.code, []))
        out: list = []
        for grade, table in classes.get(self.code, []):
            if grade in matrix:
                # Landscape like the class table after it: the section then flows over landscape pages instead of
                # alternating a half-empty portrait page per matrix with a landscape one per table.
                out.append(Table(matrix[grade], caption=f"{GRADE_LABELS[grade]}：各班各科平均分（括号内为与本校平均分之差）",
                                 cell_classes=(), wide=True))  # fmt: skip
            out.append(Table(table, caption=f"{GRADE_LABELS[grade]}班级对比", wide=True))
        out.append(
            Note(
                "临界生和学困生的名单（每班一张表，含学籍号、得分和距分数线的差距，可直接打印发给班主任）见随本报告发给学校的"
                f"工作簿“{workbook_name(self.code)}”。名单含学生个人信息，只在校内使用。",
                title="学生名单",
            )
        )
        return out

    def own_issues(self) -> pd.DataFrame:
        issues = self.read("checked", "issues")
        return issues[issues["school_code"] == self.code]


def district_view(term: str, mode: str = "internal", root: str = ".") -> DistrictView:
    return {"internal": DistrictView, "public": PublicDistrictView}[_mode(mode)](term, root)


def school_view(term: str, school_code: str, mode: str = "internal", root: str = ".") -> SchoolView:
    return {"internal": InternalSchoolView, "public": PublicSchoolView}[_mode(mode)](term, school_code, root)


def _mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"mode={mode!r}：只能是 internal（内部版）或 public（公开版）")
    return mode
