"""Every table the steps write: columns with dtypes, row order and an empty form (one place per table).

The steps read and write tables only through ``tqa.io.catalog`` (``Catalog.read`` / ``Catalog.write``), which
refuses a name that is not declared here and a frame whose columns or dtypes differ from its spec; the
Makefile takes each step's file list from here (``tqa.run.dag``). Stdlib only at import: pandas is imported by
the methods that build frames.

Stages: ``clean`` (data/clean/<T>/), ``checked`` (data/checked/<T>/), ``scores`` (data/scores/<T>/).
dtypes are pandas names: ``str`` (pandas' default string, missing = NaN), ``string`` (missing = NA),
``Int64`` (nullable integer), ``int64``, ``float64``, ``bool``, ``boolean`` (nullable).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from tqa.core.issues import ISSUE_COLUMNS
from tqa.schema import sheets as sh

# What describes a paper in every statistics table: its marks, how it is graded and its three lines.
PAPER_COLUMNS = ("full_marks", "mode", "pass_line", "excellent_line", "low_line")

# Every clean row keeps where it came from: school_code, sheet, excel_row (1-based, as Excel shows).
SOURCE_COLUMNS = ("school_code", "sheet", "excel_row")


@dataclass(frozen=True)
class TableSpec:
    name: str
    stage: str
    columns: tuple[tuple[str, str], ...]  # (name, dtype), in order
    sort: tuple[str, ...] = ()  # the row order (clean and checked tables are sorted on write)
    doc: str = ""
    internal_only: bool = False  # the public edition may not read it (INTERNAL_ONLY below)
    # (n column, value columns): the figures a report blanks where n is below reporting.min_published_n
    # (WITHHOLD below, applied by tqa.measures.cohorts.withhold wherever a report reads the table)
    withhold: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)

    @cached_property
    def dtypes(self) -> dict[str, str]:
        return dict(self.columns)

    def empty(self):
        """A frame with no rows and the declared columns and dtypes."""
        import pandas as pd

        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in self.columns})

    def conform(self, df):
        """``df`` with the declared columns in order and dtypes; names outside the spec or missing are an error."""
        missing = [c for c in self.names if c not in df.columns]
        extra = [c for c in df.columns if c not in self.dtypes]
        if missing or extra:
            raise ValueError(f"table {self.stage}/{self.name}: columns missing {missing}, not declared {extra}")
        out = df if list(df.columns) == list(self.names) else df[list(self.names)]
        cast = {c: t for c, t in self.columns if str(out[c].dtype) != t}
        return out.astype(cast) if cast else out


def _cols(text: str) -> tuple[tuple[str, str], ...]:
    """ "a:str, b:Int64" -> (("a", "str"), ("b", "Int64"))."""
    out = []
    for item in text.replace("\n", " ").split(","):
        if item.strip():
            name, dtype = item.strip().split(":")
            out.append((name, dtype))
    return tuple(out)


def _sheet_columns(sheet: sh.Sheet) -> str:
    return ", ".join(f"{f.name}:{f.dtype}" for f in sheet.fields)


SOURCE = "school_code:str, sheet:str, excel_row:int64"
ROW_ORDER = SOURCE_COLUMNS

# ---- step 1: clean tables (one per sheet, plus the returns, the rejected rows, the accounting, the issues) --
_CLEAN = {
    "returns": (
        _cols(
            "school_code:str, school_name:str, school_type:str, category:str, submitted:bool, source_file:str,"
            "source_sha256:str, name_in_return:str, filled_by:str"
        ),
        ("school_code", "source_file"),
        "one row per registry school and submitted file",
    ),
    "enrolment": (_cols(f"{SOURCE}, {_sheet_columns(sh.INFO)}"), ROW_ORDER, "学校信息: one row per grade"),
    "students": (
        _cols(f"{SOURCE}, {_sheet_columns(sh.SCORES)}, id_valid:bool"),
        ROW_ORDER,
        "学业成绩: one row per student; id_valid: the 学籍号 has the documented form (tqa.clean.studentid), so the "
        "student may be linked with another term",
    ),
    "scores": (
        _cols(
            f"{SOURCE}, student_id:str, grade:Int64, class_no:Int64, id_valid:bool, subject:str, status:str,"
            "score:float64, level:str, raw_value:str"
        ),
        (*ROW_ORDER, "subject"),
        "学业成绩, long: one row per student and subject column (status scored / level / absent / exempt / invalid)",
    ),
    "fitness": (_cols(f"{SOURCE}, {_sheet_columns(sh.FITNESS)}"), ROW_ORDER, "体质健康"),
    "survey": (_cols(f"{SOURCE}, {_sheet_columns(sh.SURVEY)}"), ROW_ORDER, "作业与睡眠"),
    "routine": (_cols(f"{SOURCE}, {_sheet_columns(sh.ROUTINE)}"), ROW_ORDER, "教学常规"),
    "items": (
        _cols(f"{SOURCE}, student_id:str, grade:Int64, subject:str, item:str, score:float64"),
        ROW_ORDER,
        "小题得分, long: one row per student and item with a score (blank and 缺考 cells give no row)",
    ),
    "rejected": (
        _cols(f"{SOURCE}, source_file:str, reason:str, raw_values:str"),
        (*ROW_ORDER, "source_file"),
        "every raw row that did not become a clean row, with its reason",
    ),
    "accounting": (
        _cols("school_code:str, sheet:str, nonempty_rows:int64, clean_rows:int64, rejected_rows:int64"),
        ("school_code", "sheet"),
        "per school and sheet: non-empty raw rows = clean rows + rejected rows",
    ),
    "issues": (
        _cols(", ".join(f"{c}:{'Int64' if c == 'excel_row' else 'str'}" for c in ISSUE_COLUMNS)),
        ("school_code", "sheet", "excel_row", "column", "rule"),
        "data-quality problems (tqa.core.issues)",
    ),
}
CLEAN = {name: TableSpec(name, "clean", cols, sort, doc) for name, (cols, sort, doc) in _CLEAN.items()}
# Tables built from a sheet's rows (the row accounting counts them).
ROW_TABLES = ("enrolment", "students", "scores", "fitness", "survey", "routine", "items")

# ---- step 2: checked tables (the usable rows; the returns with their status; every issue) -----------------
CHECKED = {name: TableSpec(name, "checked", spec.columns, spec.sort, spec.doc) for name, spec in CLEAN.items()}
CHECKED["returns"] = TableSpec(
    "returns",
    "checked",
    CLEAN["returns"].columns + _cols("usable:bool, status:string"),
    ("school_code",),
    "one row per registry school: usable, status (tqa.checks.step.STATUSES: 无问题 … 未提交)",
)
CHECKED["issues"] = TableSpec(
    "issues",
    "checked",
    CLEAN["issues"].columns,
    ("school_code", "sheet", "excel_row", "column", "stage", "rule"),
    "clean-stage and checks-stage problems together",
)
CHECKED["ratings"] = TableSpec(
    "ratings",
    "checked",
    _cols(
        "school_code:str, indicator_id:str, indicator:str, level:str, score:float64, max_score:float64, rater:str,"
        "csv_row:int64"
    ),
    ("school_code", "indicator_id"),
    "督导评估结果 (office/inspection_ratings.csv), checked",
)

CHECKED["enrolment_reconciliation"] = TableSpec(
    "enrolment_reconciliation",
    "checked",
    _cols(
        "school_code:str, grade:int64, previous_term:str, prev_n:int64, stayed_n:int64, moved_out_n:int64,"
        "missing_n:int64, unchecked_n:int64, transferred_out:int64, dropped_out:int64, died:int64,"
        "unreported_moves_out_n:int64, leaving_capacity_n:int64, explained_n:int64, suspected_leavers_n:int64,"
        "new_n:int64, moved_in_n:int64, transferred_in:int64, unreported_moves_in_n:int64,"
        "unexplained_arrivals_n:int64"
    ),
    ("school_code", "grade"),
    "控辍保学: last term's students followed into this term's returns by 学籍号, counts per school x this term's"
    " grade (tqa.checks.reconcile; no student rows); empty when last term's checked students are not on disk",
)

# ---- step 3: statistics ---------------------------------------------------------------------------------
_SUBJECT_STATS = (
    "level:str, unit_code:str, unit_name:str, category:str, grade:int64, subject:str,"
    "full_marks:float64, mode:str, pass_line:float64, excellent_line:float64, low_line:float64,"
    "enrolled:Int64, participation_denominator:float64, listed_n:int64, exempt_n:int64, absent_n:int64,"
    "invalid_n:int64, tested_n:int64, participation:float64, mean:float64, sd:float64, min:float64,"
    "max:float64, pass_n:int64, pass_rate:float64, excellent_n:int64, excellent_rate:float64,"
    "low_n:int64, low_rate:float64, rank_by:str, rank_district:Int64, rank_category:Int64,"
    "pass_rate_rank_district:Int64, pass_rate_rank_category:Int64, excellent_rate_rank_district:Int64,"
    "excellent_rate_rank_category:Int64, low_rate_rank_district:Int64, low_rate_rank_category:Int64,"
    "n_ranked_district:Int64, n_ranked_category:Int64"
)
_UNIT_ORDER = ("level", "unit_code", "grade", "subject")
# 作业与睡眠: what every unit's row holds, per grade or per grade band (tqa.measures.wellbeing.survey)
_WELLBEING = (
    "homework_limit:float64, sleep_min:float64, enrolled:Int64, respondents_n:int64, response_base_n:int64,"
    "response_rate:float64, response_rate_lo:float64, response_rate_hi:float64, homework_n:int64,"
    "homework_q1:float64, homework_median:float64, homework_q3:float64, homework_median_lo:float64,"
    "homework_median_hi:float64, homework_over_n:int64, homework_over_share:float64, homework_over_share_lo:float64,"
    "homework_over_share_hi:float64, homework_over_diff:float64, homework_over_diff_lo:float64,"
    "homework_over_diff_hi:float64, homework_over_band:string, sleep_n:int64, sleep_q1:float64,"
    "sleep_median:float64, sleep_q3:float64, sleep_median_lo:float64, sleep_median_hi:float64, sleep_met_n:int64,"
    "sleep_met_share:float64, sleep_met_share_lo:float64, sleep_met_share_hi:float64, sleep_met_diff:float64,"
    "sleep_met_diff_lo:float64, sleep_met_diff_hi:float64, sleep_met_band:string, homework_status:string,"
    "sleep_status:string"
)
_HOMEWORK_FIGURES = tuple(
    f"homework_{c}"
    for c in (
        "q1", "median", "q3", "median_lo", "median_hi", "over_n", "over_share", "over_share_lo", "over_share_hi",
        "over_diff", "over_diff_lo", "over_diff_hi", "over_band",
    )
)  # fmt: skip
_SLEEP_FIGURES = tuple(
    f"sleep_{c}"
    for c in (
        "q1", "median", "q3", "median_lo", "median_hi", "met_n", "met_share", "met_share_lo", "met_share_hi",
        "met_diff", "met_diff_lo", "met_diff_hi", "met_band",
    )
)  # fmt: skip

_SCORES = {
    "subject_stats": (
        _cols(_SUBJECT_STATS),
        _UNIT_ORDER,
        "一分三率 and participation per school / category / district x grade x subject, with ranks (categories in category order)",
    ),
    "results": (
        _cols(
            _SUBJECT_STATS + ","
            "mean_lo:float64, mean_hi:float64,"
            "pass_rate_lo:float64, pass_rate_hi:float64, excellent_rate_lo:float64, excellent_rate_hi:float64,"
            "low_rate_lo:float64, low_rate_hi:float64, mean_share:float64, mean_z:float64, mean_t:float64,"
            "ratio_to_mean:float64, composite:float64, composite_rank_district:Int64,"
            "composite_rank_category:Int64, mean_diff:float64, mean_diff_z:float64, mean_diff_z_lo:float64,"
            "mean_diff_z_hi:float64, mean_band:string, pass_rate_diff:float64, pass_rate_diff_lo:float64,"
            "pass_rate_diff_hi:float64, pass_rate_band:string, excellent_rate_diff:float64,"
            "excellent_rate_diff_lo:float64, excellent_rate_diff_hi:float64, excellent_rate_band:string,"
            "low_rate_diff:float64, low_rate_diff_lo:float64, low_rate_diff_hi:float64, low_rate_band:string,"
            "rank_metric:string, rank_lo:Int64, rank_hi:Int64, rank_median:Int64, rank_n:Int64,"
            "sample_status:string, publishable:bool, rankable:bool"
        ),
        _UNIT_ORDER,
        "subject_stats with intervals, relative measures, composite, bands against the district, rank intervals",
    ),
    "total_stats": (
        _cols(
            "level:str, unit_code:str, unit_name:str, category:str, grade:int64, subjects:str, n_papers:int64,"
            "full_marks:float64, pass_line:float64, excellent_line:float64, low_line:float64, tested_n:int64,"
            "incomplete_n:int64, mean:float64, sd:float64, mean_lo:float64, mean_hi:float64, pass_n:int64,"
            "pass_rate:float64, pass_rate_lo:float64, pass_rate_hi:float64, excellent_n:int64,"
            "excellent_rate:float64, excellent_rate_lo:float64, excellent_rate_hi:float64, low_n:int64,"
            "low_rate:float64, low_rate_lo:float64, low_rate_hi:float64, mean_diff:float64, mean_diff_z:float64,"
            "mean_diff_z_lo:float64, mean_diff_z_hi:float64, mean_band:string, sample_status:string,"
            "publishable:bool"
        ),
        ("level", "unit_code", "grade"),
        "总分 over a grade's score-graded papers per school / category / district x grade: students with a total"
        " (tested on every paper), its mean with interval, three rates with intervals, the school's band",
    ),
    "class_stats": (
        _cols(
            "school_code:str, grade:int64, class_no:Int64, subject:str, full_marks:float64, mode:str,"
            "pass_line:float64, excellent_line:float64, low_line:float64, listed_n:int64, exempt_n:int64,"
            "absent_n:int64, invalid_n:int64, tested_n:int64, participation:float64, mean:float64, sd:float64,"
            "min:float64, max:float64, pass_n:int64, pass_rate:float64, excellent_n:int64,"
            "excellent_rate:float64, low_n:int64, low_rate:float64, mean_lo:float64, mean_hi:float64,"
            "pass_rate_lo:float64, pass_rate_hi:float64, excellent_rate_lo:float64, excellent_rate_hi:float64,"
            "low_rate_lo:float64, low_rate_hi:float64, school_tested_n:int64, school_mean:float64,"
            "school_pass_rate:float64, mean_vs_school:float64, pass_rate_vs_school:float64,"
            "sample_status:string"
        ),
        ("school_code", "grade", "subject", "class_no"),
        "per class x subject, with the school grade's figures",
    ),
    "equity": (
        _cols(
            "grade:int64, subject:str, n_schools:int64, weighted:bool, mean_of_means:float64,"
            "sd_of_means:float64, cv:float64, cv_threshold:float64, cv_over:boolean"
        ),
        ("grade", "subject"),
        "差异系数 of school means per paper",
    ),
    "sensitivity": (
        _cols(
            "unit_code:str, unit_name:str, category:str, grade:int64, subject:str, scheme:str,"
            "composite:float64, composite_rank:Int64, rank_change:Int64, max_rank_change:Int64"
        ),
        ("grade", "subject", "scheme", "unit_code"),
        "composite rank per school under each weighting (schemes in params order)",
    ),
    "score_bands": (
        _cols(
            "level:str, unit_code:string, grade:int64, subject:str, full_marks:float64, band_no:int64,"
            "band:string, lower:float64, upper:float64, lower_mark:float64, upper_mark:float64, n:int64,"
            "tested_n:int64, share:float64"
        ),
        ("level", "unit_code", "grade", "subject", "band_no"),
        "分数段 counts and shares",
    ),
    "targets": (
        _cols(
            "level:str, unit_code:str, unit_name:str, category:str, grade:int64, subject:str, tested_n:int64,"
            "indicator:str, indicator_label:str, kind:str, target:float64, actual:float64, met:boolean,"
            "gap:float64, sample_status:string"
        ),
        ("level", "unit_code", "grade", "subject", "indicator"),
        "目标达成 per unit x paper x target",
    ),
    "funnel_curves": (
        _cols(
            "grade:int64, subject:str, rate:str, p:float64, n:int64, inner_lo:float64, inner_hi:float64,"
            "outer_lo:float64, outer_hi:float64"
        ),
        ("grade", "subject", "rate", "n"),
        "funnel-plot control limits on a grid of n",
    ),
    "funnel_points": (
        _cols(
            "grade:int64, subject:str, rate:str, unit_code:str, unit_name:str, category:str, n:int64, k:int64,"
            "value:float64, p:float64, inner_lo:float64, inner_hi:float64, outer_lo:float64, outer_hi:float64,"
            "position:string"
        ),
        ("grade", "subject", "rate", "unit_code"),
        "each school's point and position in the funnel",
    ),
    "tiers": (
        _cols(
            "school_code:str, grade:int64, class_no:Int64, subject:str, top_n:int64, middle_n:int64,"
            "struggling_n:int64, tested_n:int64, top_share:float64, middle_share:float64,"
            "struggling_share:float64, near_pass_n:int64, near_excellent_n:int64"
        ),
        ("school_code", "grade", "subject", "class_no"),
        "students per tier and near a line, per class x subject (internal)",
    ),
    "borderline": (
        _cols(
            "school_code:str, grade:int64, class_no:Int64, subject:str, student_id:str, name:str, score:float64,"
            "full_marks:float64, borderline:string, line:float64, gap:float64"
        ),
        ("school_code", "grade", "subject", "class_no", "borderline", "gap", "student_id"),
        "临界生 (student-level: internal only)",
    ),
    "value_added": (
        _cols(
            "school_code:str, grade:int64, subject:str, tested_n:int64, matched_n:int64, match_rate:float64,"
            "n_j:Int64, shrinkage:float64, effect:float64, se:float64, lo:float64, hi:float64, band:string,"
            "va_withheld:bool, note:string"
        ),
        ("grade", "subject", "school_code"),
        "增值: school effects with intervals and bands",
    ),
    "va_models": (
        _cols(
            "grade:int64, subject:str, n_obs:Int64, n_groups:Int64, b_prior:float64, b_prior_se:float64,"
            "sigma2_u:float64, sigma2_e:float64, icc:float64, method:str, notes:str"
        ),
        ("grade", "subject"),
        "增值模型: the fitted model per paper",
    ),
    "change": (
        _cols(
            "unit_code:str, unit_name:str, category:str, grade:int64, subject:str, metric:str,"
            "prior_tested_n:Int64, tested_n:int64, prior_value:float64, current_value:float64, change:float64,"
            "prior_rank:Int64, current_rank:Int64, rank_change:Int64, status_level:string, change_level:string,"
            "colour:string, colour_label:string, note:string"
        ),
        ("grade", "subject", "unit_code"),
        "较上学期变化 with the 5 x 5 colour",
    ),
    "trend": (
        _cols(
            "term:str, level:str, unit_code:str, unit_name:str, category:str, grade:int64, subject:str,"
            "tested_n:int64, mean:float64, pass_rate:float64, excellent_rate:float64, low_rate:float64,"
            "rank_district:Int64, rank_category:Int64, pass_rate_rank_district:Int64,"
            "excellent_rate_rank_district:Int64, low_rate_rank_district:Int64, n_ranked_district:Int64,"
            "composite:float64, composite_rank_district:Int64"
        ),
        ("level", "unit_code", "grade", "subject", "term"),
        "every unit's rates and ranks in every term on disk",
    ),
    "item_stats": (
        _cols(
            "grade:int64, subject:str, item_no:int64, item:string, type:string, full_marks:float64, n:int64,"
            "mean:float64, difficulty:float64, group_n:int64, mean_high:float64, mean_low:float64,"
            "p_high:float64, p_low:float64, discrimination:float64, item_total_r:float64, ebel_band:string,"
            "flag_negative:bool, flag_low_discrimination:bool, flag_too_hard:bool, flag_too_easy:bool,"
            "flags:string"
        ),
        ("grade", "subject", "item_no"),
        "试卷分析: per item difficulty, discrimination, flags",
    ),
    "paper_stats": (
        _cols(
            "grade:int64, subject:str, n:int64, n_incomplete:int64, k:int64, full_marks:float64, mean:float64,"
            "sd:float64, difficulty:float64, alpha:float64, sem:float64, flags:string"
        ),
        ("grade", "subject"),
        "试卷分析: per paper reliability and difficulty",
    ),
    "item_gaps": (
        _cols(
            "school_code:str, grade:int64, subject:str, item_no:int64, item:string, type:string,"
            "full_marks:float64, n:int64, school_rate:float64, district_rate:float64, gap:float64,"
            "weakness_rank:int64"
        ),
        ("school_code", "grade", "subject", "weakness_rank"),
        "per school item scoring rates against the district",
    ),
    "enrolment_rates": (
        _cols(
            "level:str, unit_code:str, unit_name:string, category:string, grade:Int64, start_n:int64, enrolled:int64,"
            "transferred_in:int64, transferred_out:int64, dropped_out:int64, died:int64, base_n:int64,"
            "retained_n:int64, suspected_leavers_n:Int64, unexplained_arrivals_n:Int64, missing_n:Int64,"
            "unchecked_n:Int64, reconciled:bool, consolidation_rate:float64, consolidation_lo:float64,"
            "consolidation_hi:float64, dropout_rate:float64, dropout_lo:float64, dropout_hi:float64,"
            "consolidation_diff:float64, consolidation_diff_lo:float64, consolidation_diff_hi:float64,"
            "consolidation_band:string, target:float64, gap:float64, met:boolean, target_status:string,"
            "sample_status:string, publishable:bool"
        ),
        ("level", "unit_code", "grade"),
        "学籍变动: the term's start and end, movements, 巩固率 and 辍学率 with Wilson intervals per school / category /"
        " district x grade (grade NA: the unit's grades together), the school's band against the district, the target,"
        " and the reconciliation's 疑似流失 and unexplained arrivals (NA without a previous term)",
    ),
    "enrolment_entry": (
        _cols(
            "area:str, stage:str, population:int64, enrolled:int64, n_schools:int64, n_schools_missing:int64,"
            "schools_missing:str, rate:float64, rate_lo:float64, rate_hi:float64, target:float64, gap:float64,"
            "met:boolean, target_status:string"
        ),
        (),
        "入学率 per area x 学段 from office/population.csv (the district first); empty without the file",
    ),
    "wellbeing_stats": (
        _cols(f"level:str, unit_code:str, unit_name:str, category:str, grade:int64, band:str, {_WELLBEING}"),
        ("level", "unit_code", "grade"),
        "作业与睡眠 per school / category / district x grade: respondents and response rate, quartiles and median "
        "(with its order-statistic interval) of homework minutes and sleep hours, the shares over the homework limit "
        "and meeting the sleep minimum with counts, Wilson intervals and (schools) bands against the district",
    ),
    "wellbeing_band_stats": (
        _cols(f"level:str, unit_code:str, unit_name:str, category:str, band:str, {_WELLBEING}"),
        ("level", "unit_code", "band"),
        "作业与睡眠 as wellbeing_stats, per grade band (params grade_bands)",
    ),
    "wellbeing_equity": (
        _cols(
            "grade:int64, indicator:str, indicator_label:str, n_schools:int64, weighted:bool, mean_of_means:float64,"
            "sd_of_means:float64, cv:float64, cv_threshold:float64, cv_over:boolean"
        ),
        ("grade", "indicator"),
        "差异系数 of the school shares within the homework limit and meeting the sleep minimum, per grade",
    ),
    "wellbeing_burden": (
        _cols(
            "grade:int64, school_code:str, school_name:str, category:str, homework_n:int64, homework_over_n:int64,"
            "homework_over_share:float64, papers_n:int64, tested_n:int64, mean_z:float64"
        ),
        ("grade", "school_code"),
        "burden against results: per grade and school (both figures shown), the share over the homework limit and "
        "the mean of the school's standardised paper means (internal)",
    ),
    "wellbeing_burden_summary": (
        _cols("grade:int64, n_schools:int64, spearman_rho:float64, p_value:float64"),
        ("grade",),
        "burden against results: per grade, Spearman's correlation across schools (an association, not a cause)",
    ),
    "routine_staff": (
        _cols(
            "school_code:str, school_name:string, category:string, excel_row:int64, staff_name:str, role:string,"
            "lessons_observed:Int64, lessons_evaluated:Int64, research_hours:float64, observed_min:Int64,"
            "evaluated_min:Int64, research_min:float64, leader:bool, judged:bool, meets_observed:boolean,"
            "meets_evaluated:boolean, meets_research:boolean, meets:boolean"
        ),
        (),
        "教学常规 per staff member against the minimums of their role (staff names: internal only)",
    ),
    "routine_roles": (
        _cols(
            "level:str, unit_code:string, unit_name:string, category:string, role:string, staff_n:int64,"
            "judged_n:int64, meets_n:Int64, meets_share:float64, meets_share_lo:float64, meets_share_hi:float64,"
            "meets_diff:float64, meets_diff_lo:float64, meets_diff_hi:float64, meets_band:string,"
            "observed_median:float64, evaluated_median:float64, research_median:float64, observed_min:Int64,"
            "evaluated_min:Int64, research_min:float64, sample_status:string, publishable:bool"
        ),
        (),
        "教学常规 per school / category / district x role group: staff, share meeting the minimums with its "
        "interval and band against the district, medians",
    ),
    "routine_equity": (
        _cols(
            "role:string, n_schools:int64, weighted:bool, mean_of_shares:float64, sd_of_shares:float64, cv:float64,"
            "cv_threshold:float64, cv_over:boolean"
        ),
        (),
        "差异系数 of the schools' shares meeting the 教学常规 minimums, per role group",
    ),
}
# 体质健康 (tqa.measures.fitness): rates are over the students tested; coverage = tested / enrolled.
_FITNESS_RATES = ("excellent_rate", "good_rate", "pass_rate", "fail_rate", "good_or_better_rate", "pass_or_better_rate")
_FITNESS_STATS = (
    "level:str, unit_code:str, unit_name:str, category:str, grade:int64, sex:str, enrolled:Int64, coverage_n:Int64,"
    "tested_n:int64, coverage:float64, coverage_lo:float64, coverage_hi:float64, excellent_n:int64, good_n:int64,"
    "pass_n:int64, fail_n:int64, good_or_better_n:int64, pass_or_better_n:int64,"
    + ",".join(f"{r}:float64, {r}_lo:float64, {r}_hi:float64" for r in _FITNESS_RATES)
    + ", mean:float64, sd:float64, mean_lo:float64, mean_hi:float64,"
    + ",".join(
        f"{r}_diff:float64, {r}_diff_lo:float64, {r}_diff_hi:float64, {r}_band:string"
        for r in ("good_or_better_rate", "pass_or_better_rate")
    )
    + ", sample_status:string, publishable:bool, data_term:str"
)
_SCORES |= {
    "fitness_stats": (
        _cols(_FITNESS_STATS),
        ("level", "unit_code", "grade", "sex"),
        "体质健康 per school / category / district x grade x sex (男, 女, 全部): coverage, levels, 优良率, 达标率 with"
        " intervals and bands, mean 学年总分; data_term: the term whose data these are (an earlier one when this term"
        " has none)",
    ),
    "fitness_targets": (
        _cols(
            "level:str, unit_code:str, unit_name:str, category:str, grade:int64, data_term:str, tested_n:int64,"
            "target_id:str, target_label:str, indicator:str, indicator_label:str, target:float64, actual:float64,"
            "lo:float64, hi:float64, met:boolean, gap:float64, status:string, sample_status:string"
        ),
        ("level", "unit_code", "grade", "target_id", "indicator"),
        "体质健康 targets (national 优良率 goals, the district's per grade band) per unit x grade, sexes pooled",
    ),
    "fitness_equity": (
        _cols(
            "grade:int64, indicator:str, indicator_label:str, n_schools:int64, weighted:bool, mean_of_means:float64,"
            "sd_of_means:float64, cv:float64, cv_threshold:float64, cv_over:boolean"
        ),
        ("grade", "indicator"),
        "差异系数 of the schools' 优良率 and 达标率 per grade",
    ),
    "fitness_trend": (
        _cols(
            "term:str, level:str, unit_code:str, unit_name:str, category:str, grade:int64, tested_n:int64,"
            "good_or_better_n:int64, good_or_better_rate:float64, good_or_better_rate_lo:float64,"
            "good_or_better_rate_hi:float64, pass_or_better_n:int64, pass_or_better_rate:float64,"
            "pass_or_better_rate_lo:float64, pass_or_better_rate_hi:float64, mean:float64,"
            "change:float64, change_lo:float64, change_hi:float64"
        ),
        ("level", "unit_code", "grade", "term"),
        "体质健康 in every term on disk with its own data (sexes pooled); change: 优良率 since the unit's previous"
        " assessed term, with its Newcombe interval",
    ),
}
SCORES = {name: TableSpec(name, "scores", cols, sort, doc) for name, (cols, sort, doc) in _SCORES.items()}

# What the public edition's views may never read (tqa.reports.views refuses it, whatever a notebook asks): a row
# per student or per class, staff names, the problem lists sent back to schools, the inspectors' ratings, and
# every clean table (the public edition reads checked tables and statistics only).
INTERNAL_ONLY = {
    "clean": tuple(CLEAN),
    "checked": ("students", "scores", "fitness", "survey", "items", "routine", "rejected", "issues", "ratings"),
    "scores": ("class_stats", "tiers", "borderline", "wellbeing_burden", "routine_staff"),
}
for _stage, _names in (("clean", CLEAN), ("checked", CHECKED), ("scores", SCORES)):
    for _name in INTERNAL_ONLY[_stage]:
        _names[_name] = replace(_names[_name], internal_only=True)


# What a report may not show of a cohort below reporting.min_published_n (tqa.measures.cohorts): every result
# of the row, while the row itself (who, which paper, how many students were listed, tested, absent) stays.
def _all_but(table: str, keep: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c for c in SCORES[table].names if c not in keep)


_HEADCOUNTS = ("enrolled", "participation_denominator", "listed_n", "exempt_n", "absent_n", "invalid_n", "tested_n")
_UNIT_KEEP = (
    "level", "unit_code", "unit_name", "category", "grade", "subject", *PAPER_COLUMNS, *_HEADCOUNTS, "participation",
    "rank_by", "n_ranked_district", "n_ranked_category", "rank_metric", "rank_n", "sample_status", "publishable",
    "rankable",
)  # fmt: skip
_CLASS_KEEP = (
    "school_code", "grade", "class_no", "subject", *PAPER_COLUMNS, *_HEADCOUNTS, "participation", "school_tested_n",
    "school_mean", "school_pass_rate", "mean_vs_school", "pass_rate_vs_school", "sample_status",
)  # fmt: skip
# 总分: what the total is made of and its headcounts stay (incomplete_n: students without a total).
_TOTAL_KEEP = (*_UNIT_KEEP, "subjects", "n_papers", "incomplete_n")
# 体质健康: who, how many enrolled and tested, the coverage (not a result of the tested students) stay.
_FITNESS_KEEP = (
    "level", "unit_code", "unit_name", "category", "grade", "sex", "enrolled", "coverage_n", "tested_n", "coverage",
    "coverage_lo", "coverage_hi", "sample_status", "publishable", "data_term",
)  # fmt: skip
_CHANGE_BOTH = ("change", "change_level", "colour", "colour_label", "rank_change")
WITHHOLD = {
    "subject_stats": (("tested_n", _all_but("subject_stats", _UNIT_KEEP)),),
    "results": (("tested_n", _all_but("results", _UNIT_KEEP)),),
    "total_stats": (("tested_n", _all_but("total_stats", _TOTAL_KEEP)),),
    "class_stats": (
        ("tested_n", _all_but("class_stats", _CLASS_KEEP)),
        ("school_tested_n", ("school_mean", "school_pass_rate", "mean_vs_school", "pass_rate_vs_school")),
    ),
    "score_bands": (("tested_n", ("n", "share")),),
    "targets": (("tested_n", ("actual", "met", "gap")),),
    "funnel_points": (("n", ("k", "value", "position")),),
    "tiers": (("tested_n", _all_but("tiers", ("school_code", "grade", "class_no", "subject", "tested_n"))),),
    "value_added": (("n_j", ("shrinkage", "effect", "se", "lo", "hi", "band")),),
    "change": (
        ("tested_n", ("current_value", "current_rank", "status_level", *_CHANGE_BOTH)),
        ("prior_tested_n", ("prior_value", "prior_rank", *_CHANGE_BOTH)),
    ),
    "trend": (
        (
            "tested_n",
            _all_but(
                "trend",
                (
                    "term",
                    "level",
                    "unit_code",
                    "unit_name",
                    "category",
                    "grade",
                    "subject",
                    "tested_n",
                    "n_ranked_district",
                ),
            ),
        ),
    ),  # fmt: skip
    "item_gaps": (("n", ("school_rate", "gap", "weakness_rank")),),
    "item_stats": (("n", _all_but("item_stats", ("grade", "subject", "item_no", "item", "type", "full_marks", "n"))),),
    "paper_stats": (("n", _all_but("paper_stats", ("grade", "subject", "n", "n_incomplete", "k", "full_marks"))),),
    # 学籍变动: the headcounts stay; the rates, bands and targets of a grade of fewer than min_published_n go
    "enrolment_rates": (
        (
            "base_n",
            tuple(
                c
                for c in (
                    "consolidation_rate",
                    "consolidation_lo",
                    "consolidation_hi",
                    "dropout_rate",
                    "dropout_lo",
                    "dropout_hi",
                    "consolidation_diff",
                    "consolidation_diff_lo",
                    "consolidation_diff_hi",
                    "consolidation_band",
                    "gap",
                    "met",
                    "target_status",
                )
            ),
        ),
    ),  # fmt: skip
    "fitness_stats": (("tested_n", _all_but("fitness_stats", _FITNESS_KEEP)),),
    "fitness_targets": (("tested_n", ("actual", "lo", "hi", "met", "gap", "status")),),
    "fitness_trend": (
        (
            "tested_n",
            _all_but("fitness_trend", ("term", "level", "unit_code", "unit_name", "category", "grade", "tested_n")),
        ),
    ),  # fmt: skip
    # 作业与睡眠: each answer's figures rest on its own respondents (the counts of respondents stay)
    "wellbeing_stats": (("homework_n", _HOMEWORK_FIGURES), ("sleep_n", _SLEEP_FIGURES)),
    "wellbeing_band_stats": (("homework_n", _HOMEWORK_FIGURES), ("sleep_n", _SLEEP_FIGURES)),
    "wellbeing_burden": (("homework_n", ("homework_over_n", "homework_over_share")), ("tested_n", ("mean_z",))),
    # 教学常规: a share on fewer staff than reporting.min_published_n is withheld as exam results are (a school's one
    # 校长: the share would be the principal's own result); so are the medians of a group that small.
    "routine_roles": (
        (
            "judged_n",
            (
                "meets_n",
                "meets_share",
                "meets_share_lo",
                "meets_share_hi",
                "meets_diff",
                "meets_diff_lo",
                "meets_diff_hi",
                "meets_band",
            ),
        ),
        ("staff_n", ("observed_median", "evaluated_median", "research_median")),
    ),  # fmt: skip
    # 入学率 of an area with fewer school-age children than min_published_n: the counts stay, the rate goes
    "enrolment_entry": (("population", ("rate", "rate_lo", "rate_hi", "gap", "met", "target_status")),),
}
for _name, _rules in WITHHOLD.items():
    SCORES[_name] = replace(SCORES[_name], withhold=_rules)

STAGES = {"clean": CLEAN, "checked": CHECKED, "scores": SCORES}


def spec(stage: str, name: str) -> TableSpec:
    """The declared table; an undeclared stage or name is an error that lists the declared ones."""
    try:
        return STAGES[stage][name]
    except KeyError:
        known = ", ".join(sorted(STAGES.get(stage, {}))) or ", ".join(STAGES)
        raise KeyError(f"no table {stage}/{name} is declared in tqa.schema.tables (declared: {known})") from None
