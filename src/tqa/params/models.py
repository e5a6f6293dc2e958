"""The methodology's parameters as typed, validated models: one model per section of params/methodology.yaml.

Every key is required (the YAML is the one source of every default: the package holds no copy), an unknown key
is an error, every value has its type and range. Values that follow from others are derived here, never
written twice (``public.min_band_n`` from ``reporting.min_published_n``, ``public.band_strong`` from
``bands.mean_well_cut_z``, ``public.band_z`` from ``uncertainty.level``). Validation messages are Chinese
(``tqa.params.loading`` adds the file, the YAML path and the line).

Models are frozen; field order follows the YAML (the reports' appendix lists the parameters in that order).

Every field, the sections (the fields of ``Params``) included, has a Chinese ``title`` (what the item is, in a
few words) and ``description`` (one sentence on what it does): the appendix shows readers these, never a key
(``tqa.params.describe``; tests/params/test_describe.py fails on a field without them).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, model_validator

from tqa.core import vocabulary as vocab

# A number as written in the YAML (30 stays 30, 0.5 stays 0.5: the appendix prints what the analyst wrote).
Number = StrictInt | StrictFloat
Share = Annotated[Number, Field(ge=0, le=1)]  # a share or rate, 0..1
OpenShare = Annotated[Number, Field(gt=0, lt=1)]  # strictly between 0 and 1
Positive = Annotated[Number, Field(gt=0)]
Count = Annotated[StrictInt, Field(ge=0)]
PositiveCount = Annotated[StrictInt, Field(ge=1)]
Grade = Annotated[StrictInt, Field(ge=min(vocab.GRADES), le=max(vocab.GRADES))]
Text = Annotated[StrictStr, Field(min_length=1)]
Colour = Literal["Blue", "Green", "Yellow", "Orange", "Red"]
RateMetric = Literal["mean", "pass_rate", "excellent_rate", "low_rate"]
Component = Literal["mean_share", "mean_z", "ratio_to_mean", "pass_rate", "excellent_rate", "low_rate"]


def derived_message(section: str, key: str, source: tuple[str, str]) -> str:
    src = ".".join(source)
    return f"这个值由 {src} 推出，不单独设定：请删除这个键（需要改变时修改 {src}）"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RateLines(Section):
    """Pass / excellent at or above, low below: shares of full marks."""

    pass_: Share = Field(alias="pass", title="及格线", description="得分不低于满分的这一比例为及格。")
    excellent: Share = Field(title="优秀线", description="得分不低于满分的这一比例为优秀。")
    low: Share = Field(title="低分线", description="得分低于满分的这一比例为低分。")

    model_config = ConfigDict(populate_by_name=True)


class Rule(Section):
    """Where an override applies: a grade band, a grade, a subject (each optional; none = everywhere)."""

    band: Text | None = Field(None, title="学段", description="规则适用的学段；不写表示所有学段。")
    grade: Grade | None = Field(None, title="年级", description="规则适用的年级；不写表示所有年级。")
    subject: Text | None = Field(None, title="学科", description="规则适用的学科；不写表示所有学科。")


class RateOverride(Rule):
    pass_: Share | None = Field(
        None, alias="pass", title="及格线", description="这一范围内改用的及格线（占满分的比例）；不写则沿用前面的规定。"
    )
    excellent: Share | None = Field(
        None, title="优秀线", description="这一范围内改用的优秀线（占满分的比例）；不写则沿用前面的规定。"
    )
    low: Share | None = Field(
        None, title="低分线", description="这一范围内改用的低分线（占满分的比例）；不写则沿用前面的规定。"
    )

    model_config = ConfigDict(populate_by_name=True)


class Rates(Section):
    default: RateLines = Field(title="默认分数线", description="没有另行规定的年级和学科使用的分数线。")
    overrides: list[RateOverride] = Field(
        title="另定的分数线", description="按学段、年级、学科另定的分数线，按顺序应用，后面的覆盖前面的。"
    )


class Levels(Section):
    pass_: list[Literal[vocab.LEVELS]] = Field(  # type: ignore[valid-type]
        alias="pass", title="计入及格的等级", description="一、二年级得到这些等级的学生计入及格。"
    )
    excellent: list[Literal[vocab.LEVELS]] = Field(  # type: ignore[valid-type]
        title="计入优秀的等级", description="一、二年级得到这些等级的学生计入优秀。"
    )
    low: list[Literal[vocab.LEVELS]] = Field(  # type: ignore[valid-type]
        title="计入低分的等级", description="一、二年级得到这些等级的学生计入低分。"
    )

    model_config = ConfigDict(populate_by_name=True)


class Participation(Section):
    exclude_exempt_from_enrolled: StrictBool = Field(
        title="应考人数扣除免考学生", description="是：应考人数为在籍人数减去免考人数；否：应考人数即在籍人数。"
    )
    warn_below: Share = Field(
        title="参考率提示线",
        description="参考率（实考人数 ÷ 应考人数）低于此值的学校在报告中单列提示，因为参考率低会使各率虚高。",
    )


class Ranking(Section):
    rank_by: RateMetric = Field(title="排名依据", description="学校的名次按这一指标排出（三率另各有名次）。")
    tie_method: Literal["min", "max", "average", "first", "dense"] = Field(
        title="并列的名次", description="成绩相同的学校如何确定名次。"
    )


class Checks(Section):
    tested_over_enrolled_tolerance: Count = Field(
        title="成绩表人数超出在籍人数的容差",
        description="某年级成绩表中的学生比在籍人数多出的人数超过此数时，该年级的在籍人数不予采用，不计算参考率。",
    )
    unlisted_subject_min_students: PositiveCount = Field(
        title="认定考试安排漏列学科的人数",
        description="某年级某学科有分数、但考试安排中没有该科时：有分数的学生达到此数，视为考试安排漏列而停止运行；少于此数，视为个别误填，该成绩不计入统计。",
    )
    enrolment_movement_max_share: OpenShare = Field(
        title="学籍变动占年级人数的提示线",
        description="一个年级一个学期内离开（转出、辍学、死亡）的人数超过学期初人数的这一比例，或转入人数超过在籍人数的这一比例时，该年级的人数记录不予采用（不计算参考率），请学校核对。",
    )
    enrolment_movement_max: PositiveCount = Field(
        title="一个年级一项学籍变动的提示人数",
        description="一个年级一个学期内转入、转出、辍学或死亡任一项超过此人数时，该年级的人数记录不予采用（不计算参考率），请学校核对。",
    )


class Cleaning(Section):
    max_text_length: PositiveCount = Field(
        title="单元格文字的最多字数",
        description="报表中一个单元格的文字（姓名、学校名称、学科、无法识别的原值等）超过这一字数时只保留前面这些字，"
        "并提示学校；数据质量清单引用原值时也截到这一长度。",
    )


class Reporting(Section):
    min_published_n: PositiveCount = Field(
        title="公布成绩的最少实考人数",
        description="实考人数少于此数的学校、班级不公布成绩（不作图、不着色、不参与排序），只给出人数；达到此数的连同置信区间公布。",
    )
    min_rank_n: PositiveCount = Field(
        title="参加排名的最少实考人数", description="实考人数少于此数的学校不排名，标注“样本较小”。"
    )

    @model_validator(mode="after")
    def _ordered(self):
        if self.min_rank_n < self.min_published_n:
            raise ValueError(
                f"min_rank_n（{self.min_rank_n}）不能小于 min_published_n（{self.min_published_n}）：排名的人数下限不低于公布的下限"
            )
        return self


class District(Section):
    name: Text = Field(title="区名", description="印在报告抬头中的区名。")


class Uncertainty(Section):
    level: OpenShare = Field(title="置信水平", description="报告中所有置信区间和名次区间的置信水平。")
    rank_draws: Annotated[StrictInt, Field(ge=100)] = Field(
        title="名次区间的模拟次数", description="估计名次区间时重复模拟的次数。"
    )
    rank_seed: Count = Field(title="名次模拟的随机种子", description="固定的随机种子，使名次区间每次运行的结果都相同。")


class Bands(Section):
    mean_well_cut_z: Positive = Field(
        title="平均分“明显”高低的界值",
        description="本校平均分与全区之差的区间不含 0、且差距达到全区学生标准差的这一倍数时，为明显高于（或低于）全区。",
    )
    rate_well_cut: OpenShare = Field(
        title="比率“明显”高低的界值",
        description="本校比率与全区之差的区间不含 0、且差距达到此数时，为明显高于（或低于）全区。",
    )


class Equity(Section):
    cv_threshold: Positive = Field(
        title="差异系数提示线", description="各校平均分的差异系数（标准差 ÷ 平均数）大于此值时，提示校际差异偏大。"
    )
    cv_weighted: StrictBool = Field(
        title="差异系数按人数加权", description="是：按各校实考人数加权（均衡评估公式的做法）；否：每校一票。"
    )


class ValueAdded(Section):
    min_match_rate: Share = Field(
        title="增值评价的最低匹配率", description="能与上学期成绩对上的学生比例低于此值的学校不计算增值。"
    )
    well_cut_z: Positive = Field(
        title="增值“明显”高低的界值",
        description="增值的区间不含 0、且增值达到此数（成绩化为标准分时，以全区学生标准差为单位）时，为明显高于（或低于）全区。",
    )
    fit_methods: list[Literal["default", "powell", "nm", "bfgs", "lbfgs", "cg"]] = Field(
        title="另加的交叉核对算法",
        description="模型总是用精确的限制性极大似然法（REML）拟合，这里列出另加的拟合算法，各结果比较后取似然最大者。",
    )
    standardise: StrictBool = Field(
        title="先化为标准分", description="是：两个学期的成绩先各自在年级学科内化为标准分，再作比较。"
    )


class EbelBand(Section):
    min: Share | None = Field(title="区分度下限", description="区分度不低于此值的题归入这一档；最后一档不设下限。")
    label: Text = Field(title="档次名称", description="试卷分析中这一档显示的名称。")


class Items(Section):
    group_share: Annotated[Number, Field(gt=0, le=0.5)] = Field(
        title="高低分组的比例", description="按总分各取最高、最低这一比例的学生作高分组和低分组，用来计算区分度。"
    )
    min_students: Annotated[StrictInt, Field(ge=2)] = Field(
        title="试卷分析的最少人数", description="答完全部小题的学生少于此数时，试卷分析标注“样本过少，仅供参考”。"
    )
    low_discrimination: Number = Field(title="区分度偏低的界值", description="区分度低于此值的题标注“区分度偏低”。")
    too_hard: Share = Field(title="过难的界值", description="得分率（难度）低于此值的题标注为过难。")
    too_easy: Share = Field(title="过易的界值", description="得分率（难度）高于此值的题标注为过易。")
    alpha_floor: Share = Field(title="信度的最低值", description="整卷的克隆巴赫 α 系数低于此值时标注“信度偏低”。")
    ebel_bands: Annotated[list[EbelBand], Field(min_length=1)] = Field(
        title="区分度分档", description="按伊贝尔标准把每道题的区分度从高到低分档。"
    )

    @model_validator(mode="after")
    def _consistent(self):
        if self.too_hard >= self.too_easy:
            raise ValueError(f"too_hard（{self.too_hard}）应小于 too_easy（{self.too_easy}）")
        mins = [b.min for b in self.ebel_bands]
        if mins[-1] is not None or any(m is None for m in mins[:-1]):
            raise ValueError("ebel_bands：只有最后一档的 min 为 null（其余各档写下限）")
        if mins[:-1] != sorted(mins[:-1], reverse=True):
            raise ValueError("ebel_bands：各档的下限应从高到低排列")
        return self


class Public(Section):
    marker: Text = Field(title="隐去处的符号", description="公开版中被隐去的统计显示为这个符号。")
    # Derived (not written in the YAML): the same numbers as reporting.min_published_n (one small-cohort rule
    # in both editions: a shown figure is banded by its interval) and bands.mean_well_cut_z.
    min_band_n: PositiveCount = Field(
        json_schema_extra={"derived_from": ("reporting", "min_published_n")},
        title="公开版分档的最少实考人数",
        description="实考人数少于此数的学校、类别在公开版中不分档，显示“人数不足，不分档”。",
    )
    band_strong: Positive = Field(
        json_schema_extra={"derived_from": ("bands", "mean_well_cut_z")},
        title="公开版“明显”高低的界值",
        description="公开版中平均分与全区之差的区间不含 0、且差距达到全区学生标准差的这一倍数时，为明显高于（或低于）全区。",
    )
    drop_columns: list[Text] = Field(title="公开版去掉的列", description="公开版不列出这些统计，以免指向个别学生。")


class Weighting(Section):
    name: Text = Field(title="方案名称", description="备选权重方案在报告中显示的名称。")
    weights: dict[Component, Number] = Field(title="方案的权重", description="这一方案中各项指标的权重。")


class Composite(Section):
    scale: Positive = Field(
        title="综合得分的倍数", description="各项指标按权重相加后乘以此数，即为综合得分（比率按小数计）。"
    )
    # A weighting is one whole: a term file that writes weights replaces them (other mappings merge key by key).
    weights: Annotated[dict[Component, Number], Field(min_length=1, json_schema_extra={"replace": True})] = Field(
        title="综合得分的权重",
        description="计算综合得分时各项指标的权重（本区自定，无国家统一公式）；负权重表示该指标越低越好。",
    )
    alternatives: list[Weighting] = Field(
        title="备选权重方案", description="另按这些权重重新计算综合得分和名次，看名次受权重选择的影响有多大。"
    )


class ScoreBands(Section):
    edges: Annotated[list[Share], Field(min_length=2)] = Field(
        title="分段点", description="得分占满分的比例按这些点分段，每段含下限、不含上限，最后一段含满分。"
    )

    @model_validator(mode="after")
    def _edges(self):
        e = self.edges
        if e[0] != 0 or e[-1] != 1 or any(b <= a for a, b in zip(e, e[1:])):
            raise ValueError("edges 应从 0 开始、到 1 结束，且严格递增")
        return self


class Tiers(Section):
    top: Share = Field(title="优生线", description="得分不低于满分的这一比例为优生。")
    struggling_below: Share = Field(title="学困生线", description="得分低于满分的这一比例为学困生，其余为中等生。")

    @model_validator(mode="after")
    def _ordered(self):
        if self.struggling_below > self.top:
            raise ValueError(f"struggling_below（{self.struggling_below}）不能高于 top（{self.top}）")
        return self


class Borderline(Section):
    margin: OpenShare = Field(
        title="临界范围", description="得分低于及格线或优秀线、差距在满分的这一比例以内的学生为临界生。"
    )


class TargetValues(Section):
    pass_rate: Share | None = Field(None, title="及格率目标", description="及格率不低于此值为达成。")
    excellent_rate: Share | None = Field(None, title="优秀率目标", description="优秀率不低于此值为达成。")
    low_rate_max: Share | None = Field(None, title="低分率上限", description="低分率不高于此值为达成。")


class TargetOverride(Rule):
    pass_rate: Share | None = Field(
        None, title="及格率目标", description="这一范围内改用的及格率目标；不写则沿用前面的规定，设为空则不设这一目标。"
    )
    excellent_rate: Share | None = Field(
        None, title="优秀率目标", description="这一范围内改用的优秀率目标；不写则沿用前面的规定，设为空则不设这一目标。"
    )
    low_rate_max: Share | None = Field(
        None, title="低分率上限", description="这一范围内改用的低分率上限；不写则沿用前面的规定，设为空则不设这一目标。"
    )


class Targets(Section):
    default: TargetValues = Field(title="默认目标", description="没有另行规定的学段、年级和学科使用的目标。")
    overrides: list[TargetOverride] = Field(
        title="另定的目标", description="按学段、年级、学科另定的目标，按顺序应用，后面的覆盖前面的。"
    )


class Findings(Section):
    top_n: PositiveCount = Field(
        title="首页列出的考试门数", description="学校报告第一页最强、最弱的考试以及增值、目标各列出几门，其余见正文。"
    )
    attention_max: PositiveCount = Field(
        title="需关注学校名单的最多校数", description="全区报告（内部版）需关注学校名单最多列出几所，按原因多少排列。"
    )
    serious_warnings: PositiveCount = Field(
        title="数据问题严重的记录数",
        description="一份报表中因数据问题未计入统计的记录达到这个条数，该校列入需关注学校。",
    )


class Printing(Section):
    all_schools_max: PositiveCount = Field(
        title="打印版逐校列出的最多校数",
        description="全区报告中一门考试的各校成绩表超过这么多所学校时，打印版只列出低于全区的学校，"
        "并注明校数；网页版总是列出全部学校，可排序。",
    )


class Change(Section):
    metric: Literal["pass_rate", "excellent_rate"] = Field(
        title="比较的指标", description="现状和变化都按这一比率计算。"
    )
    status_cuts: dict[Text, Annotated[list[Share], Field(min_length=4, max_length=4)]] = Field(
        title="现状分级的界值",
        description="本学期的值依次不低于这四个界值为很高、高、中等、低，其余为很低；可按学段另设。",
    )
    significant: Positive = Field(
        title="显著变化的界值", description="本学期与上学期之差超出偶然波动、且达到此数时，为显著上升（或显著下降）。"
    )
    changed: Positive = Field(
        title="变化的界值", description="本学期与上学期之差超出偶然波动、且达到此数时，为上升（或下降），否则为持平。"
    )
    grid: Annotated[
        list[Annotated[list[Colour], Field(min_length=5, max_length=5)]], Field(min_length=5, max_length=5)
    ] = Field(title="配色", description="每一级现状在变化为显著下降、下降、持平、上升、显著上升时依次显示的颜色。")

    @model_validator(mode="after")
    def _consistent(self):
        if "default" not in self.status_cuts:
            raise ValueError("status_cuts 必须有 default（没有单独设定的学段使用它）")
        for band, cuts in self.status_cuts.items():
            if cuts != sorted(cuts, reverse=True):
                raise ValueError(f"status_cuts.{band}：四个界值应从高到低排列")
        if self.changed > self.significant:
            raise ValueError(f"changed（{self.changed}）不能大于 significant（{self.significant}）")
        return self


class Funnel(Section):
    levels: Annotated[list[OpenShare], Field(min_length=2, max_length=2)] = Field(
        title="控制限", description="漏斗图内、外两条控制限的水平；落在控制限以内的学校，其偏离可以用随机波动解释。"
    )
    grid_points: Annotated[StrictInt, Field(ge=2)] = Field(
        title="控制限曲线的取点数", description="每条控制限曲线上计算的人数点数。"
    )

    @model_validator(mode="after")
    def _ordered(self):
        if self.levels[0] >= self.levels[1]:
            raise ValueError("levels：先写内控制限（如 0.95），再写外控制限（如 0.998）")
        return self


class InputLimits(Section):
    """Checked before a return is parsed (tqa.clean.reader.check_workbook): a file beyond any limit is refused."""

    max_file_mb: Positive = Field(title="报表文件的最大大小（MB）", description="大于此大小的报表文件不读取。")
    max_unpacked_mb: Positive = Field(
        title="解压后的最大大小（MB）",
        description="报表文件（工作簿文件是一个压缩包）解压后各部分合计大于此大小时不读取。",
    )
    max_ratio: Positive = Field(
        title="最大压缩比", description="文件中一个部分解压后与压缩后大小之比超过此倍数时不读取（“压缩炸弹”）。"
    )
    ratio_min_mb: Number = Field(
        ge=0, title="检查压缩比的最小部分（MB）", description="解压后小于此大小的部分不检查压缩比。"
    )
    max_rows: PositiveCount = Field(title="工作表的最大行数", description="一张工作表的行数超过此数时不读取该文件。")
    max_columns: PositiveCount = Field(title="工作表的最大列数", description="一张工作表的列数超过此数时不读取该文件。")
    max_cells: PositiveCount = Field(
        title="工作表的最大单元格数",
        description="一张工作表的行数乘列数超过此数时不读取该文件（读取时按这个矩形分配内存）。",
    )


class Enrolment(Section):
    """学籍变动、辍学与巩固（控辍保学）: targets, the roll check's tolerances, the intake grades."""

    enrolment_rate_target: Share = Field(
        title="入学率目标",
        description="本区教育质量规划的入学率目标（在籍学生数 ÷ 适龄人口）；有适龄人口表时才计算入学率。",
    )
    consolidation_target: Share = Field(
        title="巩固率目标",
        description="本区教育质量规划的学期巩固率目标（学期初人数中没有辍学的比例）；区间全部不低于目标才算达到。",
    )
    roll_mismatch_min_n: PositiveCount = Field(
        title="在籍人数与成绩表人数之差的提示人数",
        description="某年级填报的在籍人数与「学业成绩」中的学生数相差达到此人数、且相差比例也达到提示比例时，提示学校核对。",
    )
    roll_mismatch_min_share: OpenShare = Field(
        title="在籍人数与成绩表人数之差的提示比例",
        description="两者之差占在籍人数的比例达到此值、且相差人数也达到提示人数时，提示学校核对。",
    )
    intake_grades: Annotated[list[Grade], Field(min_length=1)] = Field(
        title="秋季学期的起始年级",
        description="秋季学期这些年级的学生大多是新入学的，不与上学期的名单核对“新出现的学生”。",
    )


class FitnessLevels(Section):
    """Lower bounds of the levels of 学年总分 (《国家学生体质健康标准（2014年修订）》); below ``pass_``: 不及格."""

    excellent: Annotated[Number, Field(ge=0, le=120)] = Field(
        title="优秀的最低学年总分", description="学年总分不低于此分为优秀。"
    )
    good: Annotated[Number, Field(ge=0, le=120)] = Field(
        title="良好的最低学年总分", description="学年总分不低于此分、低于优秀线为良好。"
    )
    pass_: Annotated[Number, Field(ge=0, le=120)] = Field(
        alias="pass", title="及格的最低学年总分", description="学年总分不低于此分、低于良好线为及格；低于此分为不及格。"
    )

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="after")
    def _ordered(self):
        if not (self.pass_ < self.good < self.excellent):
            raise ValueError("及格、良好、优秀的最低分必须依次升高")
        return self


class FitnessNationalTarget(Section):
    year: Annotated[StrictInt, Field(ge=2000, le=2100)] = Field(
        title="目标年份", description="国家目标要求达到的年份。"
    )
    good_or_better_rate: Share = Field(title="优良率目标", description="优良率（优秀 + 良好）不低于此值为达成。")


class FitnessBandTarget(Section):
    good_or_better_rate: Share | None = Field(
        None, title="优良率目标", description="这一学段的优良率不低于此值为达成；不写表示不设。"
    )
    pass_or_better_rate: Share | None = Field(
        None, title="达标率目标", description="这一学段的达标率（及格及以上）不低于此值为达成；不写表示不设。"
    )


class Fitness(Section):
    levels: FitnessLevels = Field(title="体质健康等级", description="按学年总分划分优秀、良好、及格、不及格的分数线。")
    score_decimals: Annotated[StrictInt, Field(ge=0, le=3)] = Field(
        title="学年总分的小数位数",
        description="学年总分按这一位数四舍五入后再与等级分数线比较，避免计算机小数误差把 89.9 与 90.0 弄混。",
    )
    national_targets: list[FitnessNationalTarget] = Field(
        title="国家优良率目标", description="《健康中国行动》提出的全国学生体质健康优良率目标，全区逐年级对照。"
    )
    district_targets: dict[Text, FitnessBandTarget] = Field(
        title="本区各学段目标", description="本区质量规划中按学段设定的优良率、达标率目标（示例口径，由本区自定）。"
    )
    coverage_min: Share = Field(
        title="测试覆盖率的最低值",
        description="某校某年级参加体测的人数 ÷ 在籍人数低于此值时提示学校核对（测试覆盖率低会使各率失真）。",
    )
    coverage_min_enrolled: PositiveCount = Field(
        title="测试覆盖率检查的最少在籍人数",
        description="在籍人数少于此数的年级不检查测试覆盖率：一两名学生缺测就会使比例大幅变化。",
    )
    identical_min_n: Annotated[StrictInt, Field(ge=2)] = Field(
        title="“成绩完全相同”检查的最少人数",
        description="某校某年级至少有这么多学生参加体测、而学年总分全部相同时，提示学校核对（记录保留）。",
    )
    no_fail_min_n: PositiveCount = Field(
        title="“无人不及格”检查的最少人数",
        description="某校某年级参加体测的人数不少于此数、却没有一人不及格，而全区该年级不及格的比例较高时，提示学校核对。",
    )
    no_fail_district_share: Share = Field(
        title="“无人不及格”检查的全区不及格比例",
        description="全区该年级不及格学生的比例高于此值时，一个大年级无人不及格才算不合常理。",
    )
    cv_threshold: Positive = Field(
        title="优良率差异系数提示线",
        description="各校优良率的差异系数（标准差 ÷ 平均数）大于此值时，提示体质健康的校际差异偏大（本区自定）。",
    )


class HomeworkSleep(Section):
    """双减 and 五项管理: the homework limit and the sleep minimum per grade band, and the survey's checks."""

    homework_limit_minutes: dict[Text, Annotated[Number, Field(ge=0)]] = Field(
        title="日均书面作业时间上限（分钟）",
        description="各学段学生日均书面作业时间不超过此数为不超时（等于上限不算超时）；上限为 0 的学段不布置书面作业，有任何书面作业即为超时。",
    )
    sleep_min_hours: dict[Text, Annotated[Number, Field(gt=0, le=24)]] = Field(
        title="日均睡眠时间下限（小时）", description="各学段学生日均睡眠时间不少于此数为睡眠达标。"
    )
    response_rate_min: Share = Field(
        title="问卷回收率提示线",
        description="一所学校一个年级回答问卷的人数低于在籍人数的这一比例时提示回收率偏低，记录保留，请学校核对。",
    )
    identical_min_respondents: Annotated[StrictInt, Field(ge=2)] = Field(
        title="认定疑似代填的最少回答人数",
        description="一所学校（或一个年级）至少有这么多学生回答、且所有回答完全相同时，提示疑似一人代填，记录保留，请学校核对。",
    )
    school_day_hours: Annotated[Number, Field(ge=0, lt=24)] = Field(
        title="一天在校的最少小时数",
        description="作业时间、睡眠时间与这一在校时间相加超过 24 小时的回答不可能成立，该行不计入统计。",
    )
    cv_threshold: Positive = Field(
        title="作业与睡眠差异系数提示线",
        description="各校作业不超时比例、睡眠达标比例的差异系数（标准差 ÷ 平均数）大于此值时，提示校际差异偏大。",
    )


Role = Literal[vocab.ROLES]  # type: ignore[valid-type]


class Routine(Section):
    """教学常规: the district plan's minimums per role and term, and the bounds of a term's possible numbers."""

    lessons_observed_min: dict[Role, Count] = Field(
        title="每学期听课节数的最低要求",
        description="这些职务的人员每学期听课不少于此数；未列出的职务只统计、不评判听课。",
    )
    lessons_evaluated_min: dict[Role, Count] = Field(
        title="每学期评课节数的最低要求",
        description="这些职务的人员每学期评课不少于此数；未列出的职务只统计、不评判评课。",
    )
    research_hours_per_week: Positive = Field(
        title="每周教研活动的最低时数",
        description="教研组（备课组）活动每周不少于这么多小时；乘以每学期教学周数即每学期教研时数的最低要求。",
    )
    research_roles: list[Role] = Field(
        title="评判教研时数的职务", description="只对这些职务的人员评判每学期教研时数是否达到最低要求。"
    )
    teaching_weeks: PositiveCount = Field(
        title="每学期教学周数", description="换算每学期教研时数的最低要求、推算每学期教学日数所用的周数。"
    )
    teaching_days_per_week: Annotated[StrictInt, Field(ge=1, le=7)] = Field(
        title="每周教学日数", description="每学期教学日数 = 每学期教学周数 × 每周教学日数。"
    )
    max_lessons_per_day: PositiveCount = Field(
        title="一人每个教学日最多听评课节数",
        description="一人一学期听课或评课的节数超过“教学日数 × 此数”时，数据质量清单提示学校核对（记录保留）。",
    )
    cv_threshold: Positive = Field(
        title="达到要求比例的差异系数提示线",
        description="各校达到教学常规最低要求的比例的差异系数（标准差 ÷ 平均数）大于此值时，提示校际差异偏大。",
    )

    @property
    def research_hours_min(self) -> float:
        """The term's minimum of research hours: hours a week × teaching weeks."""
        return float(self.research_hours_per_week) * int(self.teaching_weeks)

    @property
    def teaching_days(self) -> int:
        return int(self.teaching_weeks) * int(self.teaching_days_per_week)

    @property
    def lesson_limit(self) -> int:
        """The most lessons one person can observe (or evaluate) in a term."""
        return self.teaching_days * int(self.max_lessons_per_day)


class Params(Section):
    """Every section of params/methodology.yaml (with the term's overrides merged over it), validated."""

    grade_bands: Annotated[dict[Text, Annotated[list[Grade], Field(min_length=1)]], Field(min_length=1)] = Field(
        title="学段划分", description="各学段包含的年级；分数线、目标和现状分级界值可以按学段分别设定。"
    )
    rates: Rates = Field(title="一分三率的分数线", description="及格、优秀、低分的分数线，按占满分的比例设定。")
    levels: Levels = Field(title="等级制评价", description="一、二年级按等级评价时，哪些等级计入及格、优秀、低分。")
    participation: Participation = Field(title="参考率", description="参考率为实考人数除以应考人数。")
    ranking: Ranking = Field(title="排名", description="学校名次按什么指标排、并列时怎样定名次（名次只用于内部研判）。")
    cleaning: Cleaning = Field(title="报表清洗", description="读取各校报表时使用的界限。")
    checks: Checks = Field(title="数据检查", description="检查各校报送数据时使用的界值。")
    reporting: Reporting = Field(
        title="小样本规则", description="按实考人数决定一项统计是否公布、是否排名，全部表格、图和文字一律适用。"
    )
    district: District = Field(title="报告抬头", description="报告抬头中的地区信息。")
    uncertainty: Uncertainty = Field(title="置信区间与名次区间", description="统计结果不确定性的计算设定。")
    bands: Bands = Field(
        title="与全区比较的分档", description="本校与全区之差的区间不含 0 才算高于或低于全区，差距再超过界值为“明显”。"
    )
    equity: Equity = Field(title="校际均衡", description="用各校平均分的差异系数反映校际差距。")
    valueadded: ValueAdded = Field(
        title="增值评价", description="在学生起点相同的前提下，看各校学生本学期比预期考得好还是差。"
    )
    items: Items = Field(title="试卷分析", description="有小题得分时，判断每道题和整卷的难度、区分度、信度所用的标准。")
    public: Public = Field(title="公开版", description="对外发布的版本：小样本隐去，名次改为分档，不含个人分数。")
    composite: Composite = Field(
        title="综合得分", description="把多项指标按权重合成一个分数（本区自定，无国家统一公式）。"
    )
    score_bands: ScoreBands = Field(title="分数段", description="按得分占满分的比例划分的分数段。")
    tiers: Tiers = Field(
        title="学生分层", description="按得分占满分的比例把学生分为优生、中等生、学困生（仅学校内部使用）。"
    )
    borderline: Borderline = Field(title="临界生", description="离及格线或优秀线只差一点的学生（仅学校内部使用）。")
    targets: Targets = Field(
        title="目标达成", description="本区设定的及格率、优秀率目标和低分率上限（示例口径，由本区自定）。"
    )
    change: Change = Field(
        title="较上学期变化",
        description="按本学期的现状和比上学期的变化给每所学校每门考试一种颜色（分级界值与配色由本区自定）。",
    )
    findings: Findings = Field(
        title="报告首页要点", description="报告第一页写哪些结论、列出多少：只写区间支持的结论，每条都给出数字。"
    )
    funnel: Funnel = Field(title="漏斗图", description="各校比率对实考人数作图，控制限随人数增加而收窄。")
    printing: Printing = Field(
        title="打印版", description="学校很多时，全区报告的打印版只列出读者需要看的学校，全部明细见网页版。"
    )
    input_limits: InputLimits = Field(
        title="报表文件的安全上限",
        description="清洗前检查每份报表文件：超过任一上限的文件不读取，该校暂不纳入统计，其余学校照常。",
    )
    fitness: Fitness = Field(
        title="学生体质健康",
        description="按《国家学生体质健康标准（2014年修订）》的学年总分统计优秀、良好、及格、不及格，并对照国家和本区目标。",
    )
    homework_sleep: HomeworkSleep = Field(
        title="作业与睡眠",
        description="“双减”规定的书面作业时间上限和睡眠时间下限，以及检查作业与睡眠问卷时使用的界值。",
    )
    enrolment: Enrolment = Field(
        title="学籍变动与控辍保学",
        description="辍学率、巩固率、入学率的目标，以及跨学期逐个学生核对学籍变动时使用的界值。",
    )
    routine: Routine = Field(
        title="教学常规",
        description="校长、业务副校长、中层干部听课评课和教职工教研时数的最低要求（本区教学常规管理规定），按职务评判是否达到。",
    )

    @model_validator(mode="before")
    @classmethod
    def _derive(cls, data: Any) -> Any:
        """Fill the derived fields from the values they follow (written in the YAML, they are refused)."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for section, model in cls.model_fields.items():
            sub = model.annotation
            if not (isinstance(sub, type) and issubclass(sub, BaseModel)) or not isinstance(data.get(section), dict):
                continue
            block = None
            for key, f in sub.model_fields.items():
                source = (
                    (f.json_schema_extra or {}).get("derived_from") if isinstance(f.json_schema_extra, dict) else None
                )
                if not source:
                    continue
                if key in data[section]:
                    raise ValueError(f"{section}.{key}：{derived_message(section, key, source)}")
                value = (data.get(source[0]) or {}).get(source[1]) if isinstance(data.get(source[0]), dict) else None
                if value is None:
                    continue  # the source's own error is reported
                block = block if block is not None else dict(data[section])
                block[key] = value
            if block is not None:
                # keep the model's field order (the appendix lists fields in that order)
                data[section] = {k: block[k] for k in sub.model_fields if k in block} | {
                    k: v for k, v in block.items() if k not in sub.model_fields
                }
        return data

    @model_validator(mode="after")
    def _bands_known(self):
        known = set(self.grade_bands)
        seen: dict[int, str] = {}
        for band, grades in self.grade_bands.items():
            for g in grades:
                if g in seen:
                    raise ValueError(f"grade_bands：{g} 年级同时属于“{seen[g]}”和“{band}”")
                seen[g] = band
        for where, rules in (("rates.overrides", self.rates.overrides), ("targets.overrides", self.targets.overrides)):
            for i, rule in enumerate(rules):
                if rule.band is not None and rule.band not in known:
                    raise ValueError(
                        f"{where}[{i}].band：学段“{rule.band}”不在 grade_bands 中（可用：{'、'.join(known)}）"
                    )
        unknown = [b for b in self.fitness.district_targets if b not in known]
        if unknown:
            raise ValueError(
                f"fitness.district_targets：学段“{'、'.join(unknown)}”不在 grade_bands 中（可用：{'、'.join(known)}）"
            )
        for key in ("homework_limit_minutes", "sleep_min_hours"):
            given = set(getattr(self.homework_sleep, key))
            if given != known:
                raise ValueError(
                    f"homework_sleep.{key}：应为每个学段各写一个值（grade_bands 的学段：{'、'.join(known)}；"
                    f"缺少：{'、'.join(sorted(known - given)) or '无'}；多出：{'、'.join(sorted(given - known)) or '无'}）"
                )
        unknown = [b for b in self.change.status_cuts if b != "default" and b not in known]
        if unknown:
            raise ValueError(
                f"change.status_cuts：学段“{'、'.join(unknown)}”不在 grade_bands 中（可用：{'、'.join(known)}）"
            )
        return self

    # ---- what the methodology asks of a paper ---------------------------------------------------------
    def grade_band(self, grade: int) -> str | None:
        for band, grades in self.grade_bands.items():
            if int(grade) in grades:
                return band
        return None

    def _resolve(self, default: BaseModel, rules, keys, grade: int, subject: str) -> dict:
        """``default``, then each override rule in order whose band / grade / subject (each optional) match."""
        out = default.model_dump(by_alias=True)
        band = self.grade_band(grade)
        for rule in rules:
            if (
                rule.band not in (None, band)
                or rule.grade not in (None, int(grade))
                or rule.subject not in (None, subject)
            ):
                continue
            given = rule.model_dump(by_alias=True, exclude_unset=True)
            out.update({k: given[k] for k in keys if k in given})
        return out

    def rate_thresholds(self, grade: int, subject: str) -> dict[str, float]:
        """The pass / excellent / low thresholds (shares of full marks) for one grade and subject."""
        out = self._resolve(self.rates.default, self.rates.overrides, ("pass", "excellent", "low"), grade, subject)
        return {k: float(out[k]) for k in ("pass", "excellent", "low")}

    def targets_for(self, grade: int, subject: str) -> dict[str, float]:
        """The targets for one grade and subject (a key set to null removes that target)."""
        keys = tuple(TargetValues.model_fields)
        out = self._resolve(self.targets.default, self.targets.overrides, keys, grade, subject)
        return {k: float(v) for k, v in out.items() if k in keys and v is not None}

    def status_cuts(self, grade: int) -> list[float]:
        return list(self.change.status_cuts.get(self.grade_band(grade), self.change.status_cuts["default"]))

    def homework_limit(self, grade: int) -> float:
        """The grade's homework limit in minutes (over it, strictly, is over the limit)."""
        return float(self.homework_sleep.homework_limit_minutes[self.grade_band(grade)])

    def sleep_minimum(self, grade: int) -> float:
        """The grade's sleep minimum in hours (at or above it meets the requirement)."""
        return float(self.homework_sleep.sleep_min_hours[self.grade_band(grade)])

    def sections(self) -> tuple[str, ...]:
        return tuple(type(self).model_fields)

    def appendix(self) -> dict[str, Any]:
        """The effective parameters as plain values, in the YAML's order (what the reports print)."""
        return self.model_dump(by_alias=True, exclude_unset=True)


SECTIONS = tuple(Params.model_fields)
