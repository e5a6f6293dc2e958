"""Step 2: run the reviewed suites on the clean tables, turn failures into Issues, set aside what
warning-level failures point at, and decide whether the run may go on (no blocking failure)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tqa.checks import engine
from tqa.checks.frames import (
    RATINGS,
    build_frames,
    conform,
    enrolment_frame,
    reconciliation,
    survey_groups_frame,
    text_keys,
    with_row,
)
from tqa.checks.reconcile import Reconciliation
from tqa.checks.suites import load_suites
from tqa.core import vocabulary as vocab
from tqa.core.issues import (
    BLOCKING,
    FIXED,
    ISSUE_COLUMNS,
    SEVERITY_LABELS,
    WARNING,
    Issue,
    issues_frame,
    sets_data_aside,
)
from tqa.core.terms import parse_term
from tqa.params import Params
from tqa.schema.tables import CHECKED, ROW_TABLES

STAGE = "checks"
# A school's status (returns.status): what was done to its rows, as the 汇总 sheet of data-quality.xlsx and
# the index page show it (see school_status).
STATUS_OK = "无问题"
STATUS_FIXED = "已自动修正"
STATUS_KEPT = "有待核对（记录已保留）"
STATUS_PARTIAL = "部分记录已剔除"
STATUS_SET_ASIDE = "暂不纳入统计（整校问题）"
STATUS_MISSING = "未提交"
STATUSES = (STATUS_OK, STATUS_FIXED, STATUS_KEPT, STATUS_PARTIAL, STATUS_SET_ASIDE, STATUS_MISSING)
FINAL_SUITE = "usable_returns"  # runs last, on the returns left usable
# Clean-stage problems that set the whole school aside (the school alone: the others go on). A return whose 学期
# names another term (tqa.clean.returns.check_term) is probably the wrong file: none of its rows may be used.
CLEAN_SCHOOL_RULES = ("term_mismatch",)
LATE_SUITES = ("enrolment", "survey_groups")  # run after the other suites' set-asides


class BlockingDataError(RuntimeError):
    """The data has blocking problems: the district's figures would be wrong. The message is the summary."""


@dataclass
class CheckResult:
    issues: pd.DataFrame  # clean-stage + checks-stage issues, ISSUE_COLUMNS
    tables: dict[str, pd.DataFrame]  # usable tables; returns with usable/status
    blocking: bool
    failures: list = field(default_factory=list, repr=False)

    def summary(self) -> str:
        return summarise(self.issues, self.tables["returns"])


# ---- value formatting for messages ---------------------------------------------------------
def fmt(value) -> str:
    """A cell as a person writes it: 150.0 -> '150', 7.25 -> '7.25', NaN -> ''."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int,)) or type(value).__name__.startswith("int"):
        return str(int(value))
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        v = float(value)
        if math.isnan(v):
            return ""
        return str(int(v)) if v.is_integer() else f"{v:.4f}".rstrip("0").rstrip(".")
    return str(value)


class _Fields(dict):
    def __missing__(self, key):
        return ""


def _fill(template: str | None, fields: _Fields) -> str | None:
    if not template:
        return None
    return template.format_map(fields)


# ---- failures -> issues --------------------------------------------------------------------
def failure_issues(
    failure: engine.Failure, frame: pd.DataFrame, names: dict[str, str], context: dict[str, str] | None = None
) -> list[Issue]:
    """One Issue per failing row; messages are filled from the row's values and ``context`` (the suites' text
    parameters, e.g. a field's valid range "0–120")."""
    meta = failure.meta
    rows = [None] if failure.rows is None else [frame.iloc[r] for r in failure.rows]
    base = {k: v for k, v in (context or {}).items() if isinstance(v, str)}
    out = []
    for row in rows:
        fields = _Fields(base if row is None else {**base, **{k: fmt(v) for k, v in row.items()}})
        code = fields.get("school_code") or None
        excel_row = (
            None if row is None or "excel_row" not in row or pd.isna(row["excel_row"]) else int(row["excel_row"])
        )
        out.append(
            Issue(
                stage=STAGE,
                severity=meta["severity"],
                rule=meta["rule"],
                school_code=code,
                school_name=names.get(code) or fields.get("school_name") or None,
                sheet=fields.get("sheet") or meta.get("sheet"),
                excel_row=excel_row,
                column=_fill(meta.get("column"), fields),
                value=_fill(meta.get("value"), fields),
                message=_fill(meta["message"], fields),
                action=meta["action"],
            )
        )
    return out


def escalated_unknown_schools(clean_issues: pd.DataFrame, flagged: set[str], names: dict[str, str]) -> list[Issue]:
    """Cleaning may already have found a return of an unregistered school; that stops the run too."""
    hits = clean_issues.loc[clean_issues["rule"] == "unknown_school"]
    out = []
    for code in sorted(set(hits["school_code"].dropna()) - flagged):
        out.append(
            Issue(
                stage=STAGE,
                severity=BLOCKING,
                rule="unknown_school",
                school_code=code,
                school_name=names.get(code),
                sheet=None,
                excel_row=None,
                column="学校代码",
                value=code,
                message=f"学校代码 {code} 不在学校名册中（清洗步骤已发现）",
                action="运行已停止；请核对学校代码或更新学校名册",
            )
        )
    return out


# ---- set-asides ----------------------------------------------------------------------------
@dataclass
class SetAside:
    rows: set = field(default_factory=set)  # (school_code, sheet, excel_row) sheet rows
    cells: set = field(default_factory=set)  # _row positions in scores
    item_cells: set = field(default_factory=set)  # _row positions in items (one item score each)
    schools: set = field(default_factory=set)
    measures: set = field(default_factory=set)  # (school_code, table)

    def add(self, failure: engine.Failure, frame: pd.DataFrame) -> None:
        scope = failure.meta["set_aside"]
        if scope == "none" or failure.rows is None:
            return
        sub = frame.iloc[list(failure.rows)]
        if scope == "cell":
            (self.item_cells if failure.frame == "items" else self.cells).update(int(r) for r in sub["_row"])
        elif scope == "row":
            sub = sub.dropna(subset=["school_code", "sheet", "excel_row"])
            self.rows.update(
                (str(c), str(s), int(r)) for c, s, r in zip(sub["school_code"], sub["sheet"], sub["excel_row"])
            )
        elif scope == "school":
            self.schools.update(str(c) for c in sub["school_code"].dropna())
        elif scope == "measure":
            self.measures.update((str(c), t) for c in sub["school_code"].dropna() for t in failure.meta["tables"])


def _source_keys(df: pd.DataFrame) -> pd.MultiIndex:
    """Each row's (school_code, sheet, excel_row) as SetAside.rows writes it; a missing part never matches.
    A MultiIndex, not a Series of tuples: its isin works on factorized codes."""
    return pd.MultiIndex.from_arrays(
        [
            df["school_code"].astype(str),
            df["sheet"].astype(str),
            pd.to_numeric(df["excel_row"]).fillna(-1).astype("int64"),
        ]
    )


def _rows_set_aside(df: pd.DataFrame, rows: set) -> np.ndarray:
    """Whether each row of `df` is one of the sheet rows in `rows`. Only the rows of the schools named
    there are keyed: a few thousand instead of a whole 500k-row table."""
    hit = np.zeros(len(df), dtype=bool)
    maybe = df["school_code"].isin(sorted({code for code, _, _ in rows})).to_numpy()
    if maybe.any():
        hit[maybe] = _source_keys(df[maybe]).isin(list(rows))
    return hit


def apply_set_asides(
    tables: dict[str, pd.DataFrame], aside: SetAside, names: tuple[str, ...] = ROW_TABLES
) -> dict[str, pd.DataFrame]:
    """The row tables of `names` without what `aside` sets aside."""
    out = {}
    for name in names:
        df = conform(tables.get(name), name)
        if name == "scores" and aside.cells:
            # The score alone is set aside: the student stays, the cell counts as unreadable.
            hit = df.index.isin(sorted(aside.cells))
            df.loc[hit, "status"] = vocab.STATUS_INVALID
            df.loc[hit, "score"] = float("nan")
        keep = ~df["school_code"].isin(sorted(aside.schools))
        if name == "items" and aside.item_cells:
            keep &= ~df.index.isin(sorted(aside.item_cells))  # a long row is one cell of the sheet
        keep &= ~df["school_code"].isin(sorted(c for c, t in aside.measures if t == name))
        if aside.rows and len(df):
            keep &= ~_rows_set_aside(df, aside.rows)
        out[name] = df if keep.all() else df.loc[keep].reset_index(drop=True)  # (df has a fresh index)
    return _without_set_aside_students(tables, out)


def _student_keys(df: pd.DataFrame) -> pd.MultiIndex:
    return text_keys(df, ["school_code", "student_id"])


def _without_set_aside_students(
    tables: dict[str, pd.DataFrame], out: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """Item scores follow their student: when a student's 学业成绩 row is set aside (a 学籍号 in two schools,
    a duplicate row, ...), that student's 小题得分 rows leave the item analysis too, for the same reason."""
    before, after, items = conform(tables.get("students"), "students"), out.get("students"), out.get("items")
    if items is None or after is None or not len(items) or len(after) == len(before):
        return out  # (after is before less some rows: the same length means nobody left)
    gone = _student_keys(before).difference(_student_keys(after))
    if len(gone):
        # Key only the item rows of those 学籍号 (isin on one column is cheap; NaN matches NaN in both).
        hit = np.zeros(len(items), dtype=bool)
        maybe = items["student_id"].astype(str).isin(gone.get_level_values(1)).to_numpy()
        hit[maybe] = _student_keys(items[maybe]).isin(gone)
        out["items"] = items.loc[~hit].reset_index(drop=True)
    return out


def school_status(submitted: bool, set_aside: bool, problems: Iterable[tuple[str, str]]) -> str:
    """A school's status from what was done to its return: ``problems`` are the (severity, action) of its
    issues, clean and checks stages alike; ``set_aside``: the whole school is left out of the statistics.
    Not submitted, then set aside as a whole, then some of its data set aside (a row, a value, a measure),
    then problems whose rows were kept for the school to check, then values only fixed, then none."""
    if not submitted:
        return STATUS_MISSING
    if set_aside:
        return STATUS_SET_ASIDE
    problems = list(problems)
    if any(sets_data_aside(severity, action) for severity, action in problems):
        return STATUS_PARTIAL
    if any(severity != FIXED for severity, _ in problems):
        return STATUS_KEPT
    return STATUS_FIXED if problems else STATUS_OK


def returns_status(returns: pd.DataFrame, issues: pd.DataFrame, aside: SetAside) -> pd.DataFrame:
    """The returns with ``usable`` and ``status`` (school_status); ``issues``: clean and checks stages."""
    out = returns.drop(columns=["_row"], errors="ignore").copy()
    submitted = out["submitted"].astype(bool)
    set_aside = out["school_code"].isin(sorted(aside.schools))
    out["usable"] = submitted & ~set_aside
    problems: dict[str, list[tuple[str, str]]] = {}
    for code, severity, action in (
        issues[["school_code", "severity", "action"]].dropna(subset=["school_code"]).itertuples(index=False, name=None)
    ):
        problems.setdefault(code, []).append((severity, action))
    out["status"] = [
        school_status(s, a, problems.get(code, ()))
        for code, s, a in zip(out["school_code"], submitted.to_numpy(), set_aside.to_numpy())
    ]
    out["status"] = out["status"].astype("string")
    return out.reset_index(drop=True)


# ---- the step ------------------------------------------------------------------------------
def run_checks(
    tables: dict[str, pd.DataFrame],
    registry: pd.DataFrame,
    exam_spec: pd.DataFrame,
    params: Params,
    suites_dir: str | Path = "checks",
    item_spec: pd.DataFrame | None = None,
    ratings: pd.DataFrame | None = None,
    previous_students: pd.DataFrame | None = None,
    term: str | None = None,
) -> CheckResult:
    """The office's files as ``tqa.io.office`` reads them. item_spec: without it the item scores are checked
    for range only against 0 and for the student's 学业成绩 row, not against the item spec. ratings (the
    inspection ratings, optional): checked and kept as the ``ratings`` table, less the rows set aside.
    previous_students (last term's checked students, with ``term``): each of them is followed into this term's
    returns (``tqa.checks.reconcile``); the counts become the ``enrolment_reconciliation`` table. Without them
    nothing is compared, no issue is raised and the table is empty."""
    suites = load_suites(suites_dir)
    parameters = engine.suite_parameters(registry, params)
    names = dict(zip(registry["school_code"], registry["school_name"]))
    rec = reconciliation(previous_students, tables, registry, term, params)
    frames = build_frames(tables, registry, exam_spec, params, item_spec, ratings, rec, term)
    failures, new_issues, aside = [], [], SetAside()

    def check(name: str, frame: pd.DataFrame) -> None:
        for f in engine.validate(name, frame, suites[name], parameters):
            failures.append(f)
            new_issues.extend(failure_issues(f, frame, names, parameters))
            aside.add(f, frame)

    unknown = sorted(set(suites) - set(frames) - {FINAL_SUITE})
    if unknown:
        raise RuntimeError(f"检查规则文件没有对应的检查表：{unknown}")
    for name in sorted(set(suites) - {FINAL_SUITE, *LATE_SUITES}):
        check(name, frames[name])
    # Enrolment is compared with the students left after the row-level set-asides: a student listed
    # by two schools must not also make one of them look over-enrolled.
    interim = apply_set_asides(tables, aside, names=("students",))
    if "enrolment" in suites:
        enrolment = conform(tables.get("enrolment"), "enrolment")
        frames["enrolment"] = enrolment_frame(enrolment, interim["students"], registry, params)
        check("enrolment", frames["enrolment"])
    # The survey's response rates and identical forms are counted on the answers and the enrolment left usable.
    if "survey_groups" in suites:
        kept = apply_set_asides(tables, aside, names=("survey", "enrolment"))
        minimum = int(params.homework_sleep.identical_min_respondents)
        frames["survey_groups"] = survey_groups_frame(kept["survey"], kept["enrolment"], registry, minimum)
        check("survey_groups", frames["survey_groups"])

    clean_issues = tables.get("issues")
    clean_issues = pd.DataFrame(columns=list(ISSUE_COLUMNS)) if clean_issues is None else clean_issues
    flagged = {i.school_code for i in new_issues if i.rule == "unknown_school"}
    escalated = escalated_unknown_schools(clean_issues, flagged, names)
    new_issues += escalated
    aside.schools.update(i.school_code for i in escalated)
    whole = clean_issues.loc[clean_issues["rule"].isin(CLEAN_SCHOOL_RULES), "school_code"]
    aside.schools.update(str(c) for c in whole.dropna())

    usable_tables = apply_set_asides(tables, aside)
    returns = returns_status(frames["returns"], combine_issues(clean_issues, issues_frame(new_issues)), aside)

    if FINAL_SUITE in suites:
        final = with_row(returns.loc[returns["usable"]])
        for f in engine.validate(FINAL_SUITE, final, suites[FINAL_SUITE], parameters):
            failures.append(f)
            new_issues += failure_issues(f, final, names, parameters)

    issues = combine_issues(clean_issues, issues_frame(new_issues))
    for name, df in tables.items():
        if name not in usable_tables and name not in ("returns", "issues"):
            usable_tables[name] = df  # rejected, accounting: passed through unchanged
    usable_tables["returns"] = returns
    rated = frames["ratings"]
    kept = ~_rows_set_aside(rated, aside.rows) if aside.rows and len(rated) else np.ones(len(rated), bool)
    usable_tables["ratings"] = RATINGS.conform(rated.loc[kept, list(RATINGS.names)].reset_index(drop=True))
    usable_tables["enrolment_reconciliation"] = reconciliation_table(rec, term)
    return CheckResult(
        issues=issues, tables=usable_tables, blocking=bool((issues["severity"] == BLOCKING).any()), failures=failures
    )


def reconciliation_table(rec: Reconciliation | None, term: str | None) -> pd.DataFrame:
    """The reconciliation's counts per school x grade (no student rows), with the term compared against;
    empty without last term's students."""
    spec = CHECKED["enrolment_reconciliation"]
    if rec is None:
        return spec.empty()
    prev = parse_term(term).previous().name
    return spec.conform(rec.counts.assign(previous_term=prev))


def combine_issues(clean: pd.DataFrame, checks: pd.DataFrame) -> pd.DataFrame:
    frames = [df[list(ISSUE_COLUMNS)] for df in (clean, checks) if len(df)]
    if not frames:
        return issues_frame([])
    df = pd.concat(frames, ignore_index=True)
    df["excel_row"] = df["excel_row"].astype("Int64")
    order = ["school_code", "sheet", "excel_row", "column", "stage", "rule"]
    return df.sort_values(order, na_position="first", kind="stable").reset_index(drop=True)


def summarise(issues: pd.DataFrame, returns: pd.DataFrame, max_lines: int = 50) -> str:
    counts = issues["severity"].value_counts()
    n = {s: int(counts.get(s, 0)) for s in (BLOCKING, WARNING, FIXED)}
    lines = [
        "数据质量检查结果",
        f"问题：{SEVERITY_LABELS[BLOCKING]} {n[BLOCKING]} 条，{SEVERITY_LABELS[WARNING]} {n[WARNING]} 条，"
        f"{SEVERITY_LABELS[FIXED]} {n[FIXED]} 条。",
        f"学校：共 {len(returns)} 所，已提交 {int(returns['submitted'].sum())} 所，"
        f"可用 {int(returns['usable'].sum())} 所。",
    ]
    for status in (STATUS_PARTIAL, STATUS_KEPT, STATUS_SET_ASIDE, STATUS_MISSING):
        codes = returns.loc[returns["status"] == status, "school_code"].dropna().tolist()
        if codes:
            lines.append(f"{status}：{len(codes)} 所（{'、'.join(codes[:20])}{' 等' if len(codes) > 20 else ''}）")
    blocking = issues.loc[issues["severity"] == BLOCKING]
    if len(blocking):
        lines.append("阻断问题（运行已停止，处理后请重新运行）：")
        for rec in blocking.head(max_lines).itertuples(index=False):
            lines.append("  - " + issue_text(rec._asdict()))
        if len(blocking) > max_lines:
            lines.append(f"  ……另有 {len(blocking) - max_lines} 条，见 data-quality.xlsx")
    else:
        lines.append("没有阻断问题，可以继续。")
    return "\n".join(lines)


def issue_text(rec: dict) -> str:
    clean = {k: (None if (v is pd.NA or (isinstance(v, float) and math.isnan(v))) else v) for k, v in rec.items()}
    if clean.get("excel_row") is not None:
        clean["excel_row"] = int(clean["excel_row"])
    text = Issue(**{k: clean[k] for k in ISSUE_COLUMNS}).text()
    if clean.get("school_code") is None:
        # Issue.text() always names a school; district-level problems (exam spec) have none.
        text = text.replace("学校 None，", "").replace("学校 None", "全区")
    return text
