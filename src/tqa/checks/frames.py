"""The frames the suites check: clean tables enriched with what a row-level expectation needs
(full marks, school type, how many schools list a 学籍号, ...). Pure pandas, no GX.

Every frame has ``_row``: the row's position in the frame (for base tables, in the clean table),
so a failing row found by GX maps back to the clean table and to school / sheet / Excel row.
"""

from __future__ import annotations

import math

import pandas as pd

from tqa.checks.reconcile import COUNT_COLUMNS, LEAVERS_SHEET, Reconciliation, reconcile
from tqa.core import vocabulary as vocab
from tqa.core.terms import parse_term
from tqa.params import Params
from tqa.schema.sheets import ROUTINE as ROUTINE_SHEET
from tqa.schema.tables import CHECKED, CLEAN, ROW_TABLES

RATINGS = CHECKED["ratings"]

STUDENT_TABLES = ("students", "fitness", "survey")
EXAM_SPEC_SHEET = "考试安排（exam_spec.csv）"
RATINGS_SHEET = "督导评估结果（inspection_ratings.csv）"
# coverage column -> the clean table whose rows show that the sheet arrived
COVERAGE = {
    "n_enrolment": "enrolment",
    "n_students": "students",
    "n_fitness": "fitness",
    "n_survey": "survey",
    "n_routine": "routine",
}


def conform(table: pd.DataFrame | None, name: str) -> pd.DataFrame:
    """A clean table with its contract columns (missing table -> empty frame), fresh index."""
    cols = list(CLEAN[name].names)
    df = pd.DataFrame(columns=cols) if table is None else table.copy()
    for c in cols:
        if c not in df.columns:
            df[c] = pd.NA
    return df.reset_index(drop=True)


def text_keys(df: pd.DataFrame, columns: list[str]) -> pd.MultiIndex:
    """Each row's values of `columns` as text, for membership tests: MultiIndex.isin compares factorized
    codes, far cheaper than building a Python tuple per row of a 500k-row table."""
    return pd.MultiIndex.from_arrays([df[c].astype(str) for c in columns])


def as_grade(s: pd.Series) -> pd.Series:
    # Nullable: a grade cleaning could not read must not crash the checks (it fails grade checks instead).
    return pd.to_numeric(s, errors="coerce").astype("Int64")


def with_row(df: pd.DataFrame) -> pd.DataFrame:
    out = df.reset_index(drop=True)
    out["_row"] = range(len(out))
    return out


def school_types(registry: pd.DataFrame) -> dict[str, str]:
    return dict(zip(registry["school_code"], registry["school_type"]))


def school_names(registry: pd.DataFrame) -> dict[str, str]:
    return dict(zip(registry["school_code"], registry["school_name"]))


def score_spec(exam_spec: pd.DataFrame) -> pd.DataFrame:
    """(grade, subject, full_marks) of score-graded papers, one row per pair (first wins; a
    duplicate is a blocking failure of its own)."""
    spec = exam_spec.loc[exam_spec["mode"] == vocab.EXAM_MODE_SCORE, ["grade", "subject", "full_marks"]]
    spec = spec.drop_duplicates(["grade", "subject"], keep="first")
    return spec.astype({"grade": "Int64", "full_marks": "float64"})


GRADED = (vocab.STATUS_SCORED, vocab.STATUS_LEVEL)


def level_spec(exam_spec: pd.DataFrame) -> pd.DataFrame:
    """(grade, subject) pairs of level-graded papers."""
    spec = exam_spec.loc[exam_spec["mode"] == vocab.EXAM_MODE_LEVEL, ["grade", "subject"]]
    return spec.drop_duplicates().astype({"grade": "Int64"}).assign(level_listed=True)


def _listed(df: pd.DataFrame, exam_spec: pd.DataFrame) -> pd.Series:
    """Whether each graded row's paper is in the spec: a score needs full marks, a level a level paper."""
    lv = df[["grade", "subject"]].merge(level_spec(exam_spec), on=["grade", "subject"], how="left", sort=False)
    level_ok = lv["level_listed"].fillna(False).astype(bool).to_numpy()
    return pd.Series(
        ((df["status"] == vocab.STATUS_SCORED) & df["full_marks"].notna()).to_numpy()
        | ((df["status"] == vocab.STATUS_LEVEL).to_numpy() & level_ok),
        index=df.index,
    )


def _scored_counts(scores: pd.DataFrame) -> pd.DataFrame:
    """Students with a score or a level per (grade, subject)."""
    scored = scores.loc[scores["status"].isin(GRADED), ["grade", "subject"]]
    scored = scored.assign(grade=as_grade(scored["grade"])).dropna(subset=["grade"])
    return scored.groupby(["grade", "subject"], sort=True).size().rename("n_scored").reset_index()


def scores_frame(scores: pd.DataFrame, exam_spec: pd.DataFrame, min_students: int) -> pd.DataFrame:
    """Scores with their paper's full marks, and `stray_subject`: a score for a subject the exam spec
    does not list for the grade, too rare to mean the spec is missing the subject."""
    df = with_row(scores)
    df["grade"] = as_grade(df["grade"])
    merged = df.merge(score_spec(exam_spec), on=["grade", "subject"], how="left", sort=False)
    merged = merged.merge(_scored_counts(scores), on=["grade", "subject"], how="left", sort=False)
    merged["stray_subject"] = (
        ~_listed(merged, exam_spec) & merged["status"].isin(GRADED) & (merged["n_scored"].fillna(0) < min_students)
    ).astype(bool)
    return merged.drop(columns="n_scored").sort_values("_row", kind="stable").reset_index(drop=True)


def tested_subjects_frame(
    scores: pd.DataFrame, exam_spec: pd.DataFrame, min_students: int, max_schools: int = 5
) -> pd.DataFrame:
    """One row per (grade, subject, status) graded for at least `min_students` students, with `in_spec`:
    whether the exam spec has that paper (with full marks for scores, as a level paper for levels)."""
    graded = scores.loc[scores["status"].isin(GRADED), ["grade", "subject", "status", "school_code"]]
    graded = graded.assign(grade=as_grade(graded["grade"])).dropna(subset=["grade"])
    rows = []
    for (grade, subject, status), g in graded.groupby(["grade", "subject", "status"], sort=True):
        if len(g) < min_students:
            continue  # a few stray cells: row-level warnings in the scores suite
        codes = sorted(g["school_code"].dropna().unique())
        more = f" 等 {len(codes)} 所" if len(codes) > max_schools else ""
        rows.append(
            {
                "grade": int(grade),
                "subject": subject,
                "status": status,
                "kind": "分数" if status == vocab.STATUS_SCORED else "等级",
                "schools": "、".join(codes[:max_schools]) + more,
            }
        )
    df = pd.DataFrame(rows, columns=["grade", "subject", "status", "kind", "schools"]).astype({"grade": "Int64"})
    df = df.merge(score_spec(exam_spec), on=["grade", "subject"], how="left", sort=False)
    df["in_spec"] = _listed(df, exam_spec).astype(bool)
    return with_row(df)


def dup_rows(df: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Per row, the CSV rows of every row with the same ``keys`` ("3、7"), so that a duplicate's message names
    them all."""
    rows = df["csv_row"].astype("Int64").astype("string").fillna("?")
    return df.assign(_r=rows).groupby(keys, dropna=False, sort=False)["_r"].transform("、".join).astype("string")


def exam_spec_frame(exam_spec: pd.DataFrame) -> pd.DataFrame:
    df = with_row(exam_spec)
    df["sheet"] = EXAM_SPEC_SHEET
    df["excel_row"] = df["csv_row"]  # the line in the CSV (line 1 is the header), as Excel shows it
    df["dup_rows"] = dup_rows(df, ["grade", "subject"])
    # A paper marked in points needs a number for its full marks (blank or text: NaN from the reader).
    text = df["full_marks_text"] if "full_marks_text" in df else df["full_marks"].map(lambda v: "" if v != v else v)
    df["full_marks_text"] = text.astype("string").fillna("")
    df["full_marks_readable"] = (df["mode"] != vocab.EXAM_MODE_SCORE) | df["full_marks"].notna()
    df["full_marks_problem"] = ["满分为空" if t == "" else f"满分“{t}”不是数字" for t in df["full_marks_text"]]
    return df


def ratings_frame(ratings: pd.DataFrame | None) -> pd.DataFrame:
    """The office's inspection ratings (``tqa.io.office.read_inspection_ratings``; none: no rows), with the
    file as ``sheet`` and its CSV row as ``excel_row``, so that a problem names where it is."""
    if ratings is None:
        ratings = RATINGS.empty()
    df = with_row(ratings)
    df["sheet"] = RATINGS_SHEET
    df["excel_row"] = df["csv_row"]
    for col in ("score", "max_score"):  # as written (the reader keeps it), for the messages
        if f"{col}_text" not in df:
            df[f"{col}_text"] = df[col].map(lambda v: "" if v != v else v)
        df[f"{col}_text"] = df[f"{col}_text"].astype("string").fillna("")
    df["dup_rows"] = dup_rows(df, ["school_code", "indicator_id"])
    return df


def type_grade(school_type: pd.Series, grade: pd.Series) -> pd.Series:
    """ "小学:3" etc. GX's column-pair in-set check loops over rows in Python (minutes on a district);
    a one-column in-set check on this key is vectorised and says the same."""
    key = school_type.astype("string") + ":" + pd.to_numeric(grade, errors="coerce").astype("Int64").astype("string")
    return key.astype("string")


def type_grade_keys() -> list[str]:
    return [f"{t}:{g}" for t, grades in vocab.GRADES_BY_TYPE.items() for g in grades]


def student_frame(table: pd.DataFrame, registry: pd.DataFrame) -> pd.DataFrame:
    """A student-level table with school_type and, per row, how many schools list its 学籍号."""
    df = with_row(table)
    df["school_type"] = df["school_code"].map(school_types(registry)).astype("string")
    df["type_grade"] = type_grade(df["school_type"], df["grade"])
    ids = df.dropna(subset=["student_id", "school_code"])
    per_id = ids.groupby("student_id", sort=False)["school_code"].nunique()
    df["id_school_count"] = df["student_id"].map(per_id).fillna(0).astype("int64")
    df["other_schools"] = ""
    conflict = df["id_school_count"] > 1
    if conflict.any():
        names = school_names(registry)
        sub = ids.loc[ids["student_id"].isin(df.loc[conflict, "student_id"])]
        codes = sub.groupby("student_id")["school_code"].agg(lambda s: sorted(set(s)))
        df.loc[conflict, "other_schools"] = [
            "、".join(f"{c} {names.get(c, '')}".strip() for c in codes[sid] if c != code)
            for sid, code in zip(df.loc[conflict, "student_id"], df.loc[conflict, "school_code"])
        ]
    return df


def enrolment_frame(
    enrolment: pd.DataFrame, students: pd.DataFrame, registry: pd.DataFrame, params: Params | None = None
) -> pd.DataFrame:
    """学校信息's grades with the grade's students in 学业成绩 (``tested``), the term's movements and, with
    ``params``, ``roll_mismatch`` (params enrolment.roll_mismatch_min_n / _min_share) and ``roll_gap``."""
    df = with_row(enrolment)
    df["school_type"] = df["school_code"].map(school_types(registry)).astype("string")
    df["type_grade"] = type_grade(df["school_type"], df["grade"])
    tested = students.groupby(["school_code", "grade"]).size().rename("tested").reset_index()
    tested["grade"] = as_grade(tested["grade"])
    df["grade"] = as_grade(df["grade"])
    df = df.merge(tested, on=["school_code", "grade"], how="left", sort=False)
    df = df.sort_values("_row", kind="stable").reset_index(drop=True)
    df["tested"] = df["tested"].fillna(0).astype("int64")
    df["tested_over_enrolled"] = df["tested"] - pd.to_numeric(df["enrolled"], errors="coerce")
    df["roll_gap"] = (pd.to_numeric(df["enrolled"], errors="coerce") - df["tested"]).abs()
    if params is None:
        df["roll_mismatch"] = False
    else:
        e = params.enrolment
        over = int(params.checks.tested_over_enrolled_tolerance)
        df["roll_mismatch"] = roll_mismatch(df, int(e.roll_mismatch_min_n), float(e.roll_mismatch_min_share), over)
    return movements(df)


MOVEMENTS = {"transferred_in": "转入", "transferred_out": "转出", "dropped_out": "辍学", "died": "死亡"}


def _pct(share: pd.Series) -> pd.Series:
    # whole percent, rounded down: 999 of 1001 is "99%", not "100%"
    return share.map(lambda v: "" if v != v else f"{math.floor(v * 100 + 1e-9)}%").astype("string")


def movements(df: pd.DataFrame) -> pd.DataFrame:
    """The term's movements against the grade's enrolment. 在籍人数 is the count when the return is filled in
    (the end of the term, the participation denominator), so the start of the term is derived:
    start = enrolled − in + out + dropped out + died, and must not be negative. Shares and the largest
    movement for the plausibility checks. Rows with a negative or missing enrolment are left to the range
    checks (NaN here: GX skips them); a movement left blank or unreadable counts as 0."""
    enrolled = pd.to_numeric(df["enrolled"], errors="coerce").astype("float64")
    moves = pd.DataFrame({c: pd.to_numeric(df[c], errors="coerce").astype("float64") for c in MOVEMENTS})
    usable = enrolled.ge(0) & moves.fillna(0).ge(0).all(axis=1)
    moves = moves.fillna(0).where(usable)
    leaving = moves["transferred_out"] + moves["dropped_out"] + moves["died"]
    start = enrolled.where(usable) - moves["transferred_in"] + leaving
    df["start_implied"] = start
    df["leaving"] = leaving
    df["leaving_share"] = (leaving / start).where(start > 0)
    # (a negative start already says that the arrivals are wrong: no second warning about their share)
    df["arriving_share"] = (moves["transferred_in"] / enrolled).where(usable & (enrolled > 0) & (start >= 0))
    df["leaving_pct"], df["arriving_pct"] = _pct(df["leaving_share"]), _pct(df["arriving_share"])
    df["largest_movement"] = moves.max(axis=1)
    df["largest_movement_label"] = moves.fillna(-1).idxmax(axis=1).map(MOVEMENTS).where(usable).astype("string")
    return df


def roll_mismatch(df: pd.DataFrame, min_n: int, min_share: float, over_tolerance: int) -> pd.Series:
    """在籍人数 against the grade's students in 学业成绩: both the gap and its share of 在籍人数 at or beyond the
    params' tolerances. A grade already set aside by tested_over_enrolled (more students than enrolled beyond
    ``over_tolerance``) is left to that rule: one warning for one problem."""
    enrolled = pd.to_numeric(df["enrolled"], errors="coerce").astype("float64")
    gap = (enrolled - df["tested"].astype("float64")).abs()
    over = df["tested_over_enrolled"].astype("float64") > over_tolerance
    hit = (gap >= min_n) & (gap >= min_share * enrolled) & enrolled.gt(0) & ~over
    return hit.fillna(False).astype(bool)


def _term_label(term: str | None) -> str:
    return parse_term(term).previous().label if term else ""


def leavers_frame(rec: Reconciliation | None, term: str | None = None) -> pd.DataFrame:
    """One row per student of last term found in no return this term (``tqa.checks.reconcile``), addressed to
    last term's school at the row of 学校信息 where it reports the grade's movements; ``unexplained``: the grade's
    reported transfers out, dropouts and deaths do not cover its students found nowhere."""
    cols = ["school_code", "student_id", "name", "prev_grade", "grade", "enrolment_row", "unexplained", *COUNT_COLUMNS]
    df = pd.DataFrame(columns=cols) if rec is None else rec.leavers[cols].copy()
    df["sheet"] = LEAVERS_SHEET
    df["excel_row"] = pd.to_numeric(df["enrolment_row"], errors="coerce").astype("Int64")
    df["prev_term_label"] = _term_label(term)
    df["unexplained"] = df["unexplained"].astype(bool)
    return with_row(df)


def arrivals_frame(rec: Reconciliation | None, term: str | None = None) -> pd.DataFrame:
    """One row per student new this term (in no return of last term), at the student's row of 学业成绩;
    ``unexplained``: the grade's reported transfers in (after the arrivals from other district schools) do not
    cover its new students."""
    cols = ["school_code", "sheet", "excel_row", "student_id", "name", "grade", "unexplained", *COUNT_COLUMNS]
    df = pd.DataFrame(columns=cols) if rec is None else rec.arrivals[cols].copy()
    df["prev_term_label"] = _term_label(term)
    df["unexplained"] = df["unexplained"].astype(bool)
    return with_row(df)


def reconciliation(
    previous: pd.DataFrame | None, tables: dict[str, pd.DataFrame], registry: pd.DataFrame, term: str | None, params
) -> Reconciliation | None:
    """The cross-term reconciliation, or None when last term's checked students are not on disk (or the term
    is not known): then nothing is compared and no issue is raised."""
    if previous is None or term is None:
        return None
    return reconcile(
        previous,
        conform(tables.get("students"), "students"),
        conform(tables.get("enrolment"), "enrolment"),
        registry,
        term,
        list(params.enrolment.intake_grades),
    )


SURVEY_SHEET = "作业与睡眠"


def survey_frame(survey: pd.DataFrame, registry: pd.DataFrame, school_day_hours: float) -> pd.DataFrame:
    """The survey's rows (``student_frame``) with ``day_hours``: homework minutes / 60 + sleep hours + the hours a
    day at school (params homework_sleep.school_day_hours), where both answers are given; over 24 the answers
    cannot both be true."""
    df = student_frame(survey, registry)
    minutes = pd.to_numeric(df["homework_minutes"], errors="coerce").astype("float64")
    sleep = pd.to_numeric(df["sleep_hours"], errors="coerce").astype("float64")
    df["day_hours"] = (minutes / 60 + sleep + float(school_day_hours)).round(2)
    return df


def _answer_text(values: pd.Series) -> str:
    v = values.iloc[0]
    return "空" if pd.isna(v) else (f"{v:g}" if isinstance(v, float) else str(v))


def _answer_groups(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group of ``keys``: respondents, distinct (homework, sleep) pairs (a blank answer is a value of its own)
    and the first answers as text (what an identical form says)."""
    names = [*keys, "respondents", "n_answers", "identical_homework", "identical_sleep"]
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in names})
    g = df.groupby(keys, sort=True)
    pairs = df.drop_duplicates([*keys, "homework_minutes", "sleep_hours"]).groupby(keys, sort=True).size()
    out = pd.DataFrame(
        {
            "respondents": g.size(),
            "n_answers": pairs,
            "identical_homework": g["homework_minutes"].agg(_answer_text),
            "identical_sleep": g["sleep_hours"].agg(_answer_text),
        }
    )
    return out.reset_index()[names]


def survey_groups_frame(
    survey: pd.DataFrame, enrolment: pd.DataFrame, registry: pd.DataFrame, min_identical: int
) -> pd.DataFrame:
    """One row per school x grade of the survey (grade rows), then one per school (grade NA, the whole school),
    for the schools whose sheet has rows: respondents (rows with an answer), the grade's enrolment and the response
    rate (respondents / enrolled; NaN where the enrolment is unknown or 0, and on school rows), and ``identical``:
    1 where at least ``min_identical`` respondents all gave the same pair of answers (a form filled in by one
    hand). A grade is not flagged again when its whole school is."""
    cols = ["school_code", "grade", "homework_minutes", "sleep_hours"]
    df = survey[cols].copy() if len(survey) else pd.DataFrame(columns=cols)
    df["grade"] = as_grade(df["grade"])
    df = df.dropna(subset=["school_code", "grade"])
    df = df[df["homework_minutes"].notna() | df["sleep_hours"].notna()]
    parts = []
    for keys, scope in ((["school_code", "grade"], "grade"), (["school_code"], "school")):
        out = _answer_groups(df, keys)
        if scope == "school":
            out["grade"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["scope"] = scope
        parts.append(out)
    grades, schools = parts
    enrolled = enrolment[["school_code", "grade", "enrolled"]].copy()
    enrolled["grade"] = as_grade(enrolled["grade"])
    enrolled["enrolled"] = pd.to_numeric(enrolled["enrolled"], errors="coerce")
    enrolled = enrolled.dropna(subset=["grade"]).drop_duplicates(["school_code", "grade"])
    # grades with enrolment but nobody answering, in schools whose sheet has rows: a response rate of 0
    with_sheet = enrolled[enrolled["school_code"].isin(schools["school_code"])]
    grades = grades.merge(with_sheet, on=["school_code", "grade"], how="outer", sort=True)
    grades["scope"] = "grade"
    grades["respondents"] = grades["respondents"].fillna(0).astype("int64")
    grades["n_answers"] = grades["n_answers"].fillna(0).astype("int64")
    whole = set(schools.loc[(schools["respondents"] >= min_identical) & (schools["n_answers"] == 1), "school_code"])
    schools["identical"] = (schools["school_code"].isin(whole)).astype("int64")
    grades["identical"] = (
        (grades["respondents"] >= min_identical) & (grades["n_answers"] == 1) & ~grades["school_code"].isin(whole)
    ).astype("int64")
    df = pd.concat([grades, schools], ignore_index=True)
    df["enrolled"] = pd.to_numeric(df.get("enrolled"), errors="coerce").astype("float64")
    df["response_rate"] = (df["respondents"] / df["enrolled"].where(df["enrolled"] > 0)).where(df["scope"] == "grade")
    df["response_pct"] = _pct(df["response_rate"])
    df["scope_text"] = ["全校" if s == "school" else f"{int(g)} 年级" for s, g in zip(df["scope"], df["grade"])]
    df["sheet"] = SURVEY_SHEET
    df["excel_row"] = pd.array([pd.NA] * len(df), dtype="Int64")
    df["school_type"] = df["school_code"].map(school_types(registry)).astype("string")
    return with_row(df)


ROUTINE_LESSONS = {"lessons_observed": "听课", "lessons_evaluated": "评课"}


def routine_frame(routine: pd.DataFrame, params: Params) -> pd.DataFrame:
    """教学常规 with what its plausibility checks compare: `evaluated_over_observed` (评课 − 听课) and
    `lessons_over_limit` (the larger of the two − the term's limit, params routine: teaching weeks × days a week ×
    lessons a day), with the limit's parts and which number is over, for the messages. A number outside the
    sheet's range (negative, say) is left to the range checks, which set the row aside: NaN here (GX skips it),
    so one wrong cell gives one issue."""
    df = with_row(routine)
    p = params.routine
    fields = {f.name: f for f in ROUTINE_SHEET.fields}
    lessons = {}
    for col in ROUTINE_LESSONS:
        v = pd.to_numeric(df[col], errors="coerce").astype("float64")
        lo, hi = fields[col].range
        lessons[col] = v.where((v >= lo) & (v <= hi))
    observed, evaluated = lessons["lessons_observed"], lessons["lessons_evaluated"]
    df["evaluated_over_observed"] = evaluated - observed
    most = pd.concat([observed, evaluated], axis=1).max(axis=1, skipna=True)
    df["lessons_over_limit"] = most - p.lesson_limit
    df["over_label"] = (
        pd.Series(
            ["听课、评课" if o > p.lesson_limit and e > p.lesson_limit else ("听课" if o > p.lesson_limit else "评课")
             for o, e in zip(observed.fillna(-1), evaluated.fillna(-1))],
            index=df.index,
        ).astype("string")
    )  # fmt: skip
    df["most_lessons"] = most
    df["lesson_limit"], df["teaching_days"] = p.lesson_limit, p.teaching_days
    df["max_lessons_per_day"] = int(p.max_lessons_per_day)
    df["role_text"] = df["role"].astype("string").fillna("未填职务")
    return df


def coverage_frame(returns: pd.DataFrame, tables: dict[str, pd.DataFrame], registry: pd.DataFrame) -> pd.DataFrame:
    """One row per submitted return of a registered school: usable clean rows per required sheet."""
    known = set(registry["school_code"])
    sub = returns.loc[returns["submitted"].fillna(False).astype(bool) & returns["school_code"].isin(known)]
    df = sub[["school_code", "school_name"]].drop_duplicates("school_code").sort_values("school_code")
    for col, table in COVERAGE.items():
        counts = tables[table]["school_code"].value_counts()
        df[col] = df["school_code"].map(counts).fillna(0).astype("int64")
    return with_row(df)


def returns_frame(returns: pd.DataFrame, registry: pd.DataFrame) -> pd.DataFrame:
    """The returns table, plus a not-submitted row for each registered school it lacks."""
    df = returns.copy()
    missing = registry.loc[~registry["school_code"].isin(df["school_code"].dropna())]
    if len(missing):
        add = pd.DataFrame({c: pd.Series([pd.NA] * len(missing), dtype="object") for c in df.columns})
        for c in ("school_code", "school_name", "school_type", "category"):
            add[c] = missing[c].to_numpy()
        add["submitted"] = False
        df = pd.concat([df.astype("object"), add], ignore_index=True)
    df["submitted"] = df["submitted"].fillna(False).astype(bool)
    for c in df.columns:
        if c != "submitted" and df[c].dtype == object:
            df[c] = df[c].astype("string")
    df = df.sort_values("school_code", kind="stable", na_position="last")
    return with_row(df)


def items_frame(items: pd.DataFrame, students: pd.DataFrame, item_spec: pd.DataFrame | None) -> pd.DataFrame:
    """Item scores with the item's full marks and type from the item spec, and per row:
    `in_item_spec` (NA when no spec was given: the spec checks then do not apply), `in_scores` (the
    student is in the same school's 学业成绩) and `dup_count` (records of the same student, paper and item)."""
    df = with_row(items)
    df["grade"] = as_grade(df["grade"])
    if item_spec is None:
        df["full_marks"] = float("nan")
        df["in_item_spec"] = pd.Series(pd.NA, index=df.index, dtype="boolean")
    else:
        spec = (
            item_spec[["grade", "subject", "item", "full_marks"]]
            .drop_duplicates(["grade", "subject", "item"])
            .astype({"grade": "Int64", "full_marks": "float64"})
        )
        spec = spec.assign(item=spec["item"].astype("str"), _listed=True)
        df = df.merge(spec, on=["grade", "subject", "item"], how="left", sort=False)
        df["in_item_spec"] = df["_listed"].fillna(False).astype("boolean")
        df = df.drop(columns="_listed")
    pair = ["school_code", "student_id"]
    df["in_scores"] = text_keys(df, pair).isin(text_keys(students, pair))
    keys = ["student_id", "grade", "subject", "item"]
    df["dup_count"] = df.groupby(keys, dropna=False, sort=False)["_row"].transform("size").astype("int64")
    return df.sort_values("_row", kind="stable").reset_index(drop=True)


# ---- 体质健康 per school x grade --------------------------------------------------------------
FITNESS_SHEET = "体质健康"


def _pct1(share: float) -> str:
    return "" if share != share else f"{share * 100:.1f}%"


def fitness_grades_frame(fitness: pd.DataFrame, enrolment: pd.DataFrame, registry: pd.DataFrame, params: Params):
    """One row per school x grade of a school that sent 体质健康 rows (its grades with rows or enrolment > 0):
    ``tested`` (rows with a score), ``enrolled``, ``coverage`` (tested / enrolled, NaN without enrolment;
    ``coverage_checked``: only where at least fitness.coverage_min_enrolled are enrolled) and, for
    the plausibility check, ``implausible`` (1 or 0) with its reason in words: every one of at least
    fitness.identical_min_n students with the same 学年总分; or at least fitness.no_fail_min_n students and
    nobody below the pass line while the district's grade has more than fitness.no_fail_district_share below it.
    Scores are compared rounded to fitness.score_decimals, as the statistics do."""
    f = params.fitness
    fit = fitness.dropna(subset=["school_code", "total_score"]).copy()
    fit["grade"] = as_grade(fit["grade"])
    fit = fit.dropna(subset=["grade"])
    fit["score"] = pd.to_numeric(fit["total_score"], errors="coerce").round(int(f.score_decimals))
    fit["below"] = fit["score"] < float(f.levels.pass_)
    g = fit.groupby(["school_code", "grade"])
    per = pd.DataFrame(
        {"tested": g.size(), "distinct": g["score"].nunique(), "score_min": g["score"].min(), "below": g["below"].sum()}
    ).reset_index()
    enr = enrolment.assign(
        grade=as_grade(enrolment["grade"]), enrolled=pd.to_numeric(enrolment["enrolled"], errors="coerce")
    )
    enr = (
        enr.dropna(subset=["school_code", "grade"])
        .groupby(["school_code", "grade"], as_index=False)["enrolled"]
        .sum(min_count=1)
    )
    enr = enr[enr["school_code"].isin(per["school_code"]) & (enr["enrolled"] > 0)]
    df = per.merge(enr, on=["school_code", "grade"], how="outer").sort_values(["school_code", "grade"])
    for c in ("tested", "distinct", "below"):
        df[c] = df[c].fillna(0).astype("int64")
    df["enrolled"] = df["enrolled"].astype("float64")
    df["coverage"] = (df["tested"] / df["enrolled"]).where(df["enrolled"] > 0)
    # a small grade's share moves a lot with one absent student: not checked (NaN: GX skips it)
    df["coverage_checked"] = df["coverage"].where(df["enrolled"] >= int(f.coverage_min_enrolled))
    df["coverage_pct"] = _pct(df["coverage"])
    share = fit.groupby("grade")["below"].mean()
    df["district_below_share"] = df["grade"].map(share).astype("float64")
    identical = (df["tested"] >= int(f.identical_min_n)) & (df["distinct"] == 1)
    no_fail = (
        (df["tested"] >= int(f.no_fail_min_n))
        & (df["below"] == 0)
        & (df["district_below_share"] > float(f.no_fail_district_share))
    )
    pass_text = f"{float(f.levels.pass_):g}"
    reasons = []
    for same, none, n, score, share in zip(
        identical, no_fail, df["tested"], df["score_min"], df["district_below_share"]
    ):
        parts = [f"参加测试的 {n} 名学生学年总分全部为 {score:g} 分"] if same else []
        if none:
            parts.append(
                f"参加测试的 {n} 名学生中没有一人低于 {pass_text} 分，而全区该年级低于 {pass_text} 分的学生占 {_pct1(share)}"
            )
        reasons.append("；".join(parts))
    df["implausible"] = (identical | no_fail).astype("int64")
    df["implausible_reason"] = pd.Series(reasons, index=df.index, dtype="string")
    df["school_name"] = df["school_code"].map(school_names(registry)).astype("string")
    df["sheet"] = FITNESS_SHEET
    df["excel_row"] = pd.NA
    return with_row(df)


def fitness_suite_parameters(params: Params) -> dict:
    """The fitness_grades suite's thresholds (params fitness), with texts for its messages."""
    f = params.fitness
    return {
        "fitness_coverage_min": float(f.coverage_min),
        "fitness_coverage_min_text": f"{float(f.coverage_min):.0%}",
    }


def build_frames(
    tables: dict[str, pd.DataFrame],
    registry: pd.DataFrame,
    exam_spec: pd.DataFrame,
    params: Params,
    item_spec: pd.DataFrame | None = None,
    ratings: pd.DataFrame | None = None,
    rec: Reconciliation | None = None,
    term: str | None = None,
) -> dict[str, pd.DataFrame]:
    """Every frame a suite checks, except usable_returns (built after the set-asides). ``rec``: the cross-term
    reconciliation (``reconciliation``), None without last term's students."""
    t = {name: conform(tables.get(name), name) for name in ROW_TABLES}
    min_students = int(params.checks.unlisted_subject_min_students)
    frames = {
        "returns": returns_frame(conform(tables.get("returns"), "returns"), registry),
        "exam_spec": exam_spec_frame(exam_spec),
        "tested_subjects": tested_subjects_frame(t["scores"], exam_spec, min_students=min_students),
        "scores": scores_frame(t["scores"], exam_spec, min_students=min_students),
        "routine": routine_frame(t["routine"], params),
        "enrolment": enrolment_frame(t["enrolment"], t["students"], registry, params),
        "items": items_frame(t["items"], t["students"], item_spec),
        "ratings": ratings_frame(ratings),
        "enrolment_leavers": leavers_frame(rec, term),
        "enrolment_arrivals": arrivals_frame(rec, term),
        "fitness_grades": fitness_grades_frame(t["fitness"], t["enrolment"], registry, params),
    }
    for name in STUDENT_TABLES:
        frames[name] = student_frame(t[name], registry)
    hs = params.homework_sleep
    frames["survey"] = survey_frame(t["survey"], registry, float(hs.school_day_hours))
    frames["survey_groups"] = survey_groups_frame(
        t["survey"], t["enrolment"], registry, int(hs.identical_min_respondents)
    )
    frames["coverage"] = coverage_frame(frames["returns"], t, registry)
    return frames
