"""控辍保学: every student of the previous term's checked returns is followed into this term's returns by 学籍号.

A student of last term (valid 学籍号) who is in no return this term, and did not graduate, must be explained by
a transfer out, a dropout or a death that their school reported in this term's 学校信息 (at the grade the
student is in now: grades advance by one from a spring term to the next autumn term, not within a school
year). A student found in another school of the district moved within the district: that move uses one of
the old school's reported transfers out first, so only the transfers out left over (plus dropouts and deaths)
explain the students found nowhere. Where a school's grade has more students found nowhere than that, the
excess is the grade's 疑似流失 count, and every student of the grade found nowhere is listed for the school to
say which ones it reported (the pipeline cannot tell which). New students (in no return of last term) are
matched the same way against reported transfers in, after the arrivals from other district schools.

Only schools that can be compared are: a school that sent no student rows this term has no leavers found (its
students are "unchecked"); a school with no students in last term's checked tables has no arrivals found.
Pure pandas: DataFrames in, DataFrames out.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tqa.core import vocabulary as vocab
from tqa.core.terms import parse_term

LEAVERS_SHEET = "学校信息"
# The last grade of each school type: a student there in a spring term graduates before the next autumn term.
LAST_GRADE = {t: max(grades) for t, grades in vocab.GRADES_BY_TYPE.items()}
COUNT_COLUMNS = (
    "prev_n",
    "stayed_n",
    "moved_out_n",
    "missing_n",
    "unchecked_n",
    "transferred_out",
    "dropped_out",
    "died",
    "unreported_moves_out_n",
    "leaving_capacity_n",
    "explained_n",
    "suspected_leavers_n",
    "new_n",
    "moved_in_n",
    "transferred_in",
    "unreported_moves_in_n",
    "unexplained_arrivals_n",
)


@dataclass(frozen=True)
class Reconciliation:
    leavers: pd.DataFrame  # one row per student of last term found nowhere this term (reconcilable schools)
    arrivals: pd.DataFrame  # one row per student new this term (reconcilable schools, not an intake grade)
    counts: pd.DataFrame  # per school x this term's grade: COUNT_COLUMNS
    graduated_n: int  # last term's students in the last grade of their school's type (a new school year)


def crosses_school_year(term: str) -> bool:
    """Whether the previous term is in the previous school year (this term is an autumn term)."""
    return parse_term(term).semester == 1


def _linkable(students: pd.DataFrame) -> pd.DataFrame:
    """Rows with a valid 学籍号 and a school, one per 学籍号 (the first in school / sheet / row order)."""
    df = students.loc[students["id_valid"].fillna(False).astype(bool)]
    df = df.dropna(subset=["student_id", "school_code"])
    df = df.assign(grade=pd.to_numeric(df["grade"], errors="coerce").astype("Int64"))
    order = [c for c in ("school_code", "sheet", "excel_row") if c in df.columns]
    return df.sort_values(order, kind="stable").drop_duplicates("student_id", keep="first").reset_index(drop=True)


def _reported(enrolment: pd.DataFrame) -> pd.DataFrame:
    """This term's reported movements per school x grade (a blank cell counts as 0), with the block's Excel row."""
    cols = ["transferred_in", "transferred_out", "dropped_out", "died"]
    df = enrolment.assign(grade=pd.to_numeric(enrolment["grade"], errors="coerce").astype("Int64"))
    df = df.dropna(subset=["school_code", "grade"])
    for c in cols:
        df[c] = pd.to_numeric(df[c], errors="coerce").fillna(0).clip(lower=0).astype("int64")
    df = df.sort_values(["school_code", "excel_row"], kind="stable").drop_duplicates(["school_code", "grade"])
    return df[["school_code", "grade", "excel_row", *cols]].rename(columns={"excel_row": "enrolment_row"})


def reconcile(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    enrolment: pd.DataFrame,
    registry: pd.DataFrame,
    term: str,
    intake_grades: list[int] | tuple[int, ...],
) -> Reconciliation:
    """Last term's checked students (``previous``) against this term's students (``current``, every clean row:
    a student in any return is not a leaver) and this term's 学校信息 (``enrolment``, as reported)."""
    new_year = crosses_school_year(term)
    types = dict(zip(registry["school_code"], registry["school_type"]))
    prev, cur = _linkable(previous), _linkable(current)
    prev["school_type"] = prev["school_code"].map(types)
    last = prev["school_type"].map(LAST_GRADE)
    graduated = (prev["grade"] == last).fillna(False).astype(bool) if new_year else pd.Series(False, index=prev.index)
    graduates = prev.loc[graduated]
    prev = prev.loc[~graduated].copy()
    prev["prev_grade"] = prev["grade"]
    prev["grade"] = (prev["grade"] + 1) if new_year else prev["grade"]

    where_now = dict(zip(cur["student_id"], cur["school_code"]))
    now = prev["student_id"].map(where_now)
    prev["status"] = "missing"
    prev.loc[now.notna() & (now == prev["school_code"]), "status"] = "stayed"
    prev.loc[now.notna() & (now != prev["school_code"]), "status"] = "moved"
    sent_now = set(current["school_code"].dropna())
    prev.loc[(prev["status"] == "missing") & ~prev["school_code"].isin(sent_now), "status"] = "unchecked"

    keys = ["school_code", "grade"]
    out_counts = (
        prev.assign(**{s: prev["status"] == s for s in ("stayed", "moved", "missing", "unchecked")})
        .groupby(keys, sort=True)[["stayed", "moved", "missing", "unchecked"]]
        .sum()
        .rename(
            columns={"stayed": "stayed_n", "moved": "moved_out_n", "missing": "missing_n", "unchecked": "unchecked_n"}
        )
    )
    out_counts["prev_n"] = out_counts[["stayed_n", "moved_out_n", "missing_n", "unchecked_n"]].sum(axis=1)

    # Arrivals: this term's students not in last term's returns (new to the district) or from another school.
    known_before = dict(zip(prev["student_id"], prev["school_code"]))
    grad_ids = set(graduates["student_id"])
    cur = cur.loc[~cur["student_id"].isin(grad_ids)].copy()  # a graduate's next school is no transfer
    if new_year:
        cur = cur.loc[~cur["grade"].isin(list(intake_grades))]
    before = cur["student_id"].map(known_before)
    cur["status"] = "stayed"
    cur.loc[before.isna(), "status"] = "new"
    cur.loc[before.notna() & (before != cur["school_code"]), "status"] = "moved"
    sent_before = set(previous["school_code"].dropna())
    cur = cur.loc[cur["school_code"].isin(sent_before)]
    in_counts = (
        cur.assign(new_n=cur["status"] == "new", moved_in_n=cur["status"] == "moved")
        .groupby(keys, sort=True)[["new_n", "moved_in_n"]]
        .sum()
    )

    counts = out_counts.join(in_counts, how="outer").fillna(0).astype("int64").reset_index()
    counts = counts.merge(_reported(enrolment), on=keys, how="left")
    for c in ("transferred_in", "transferred_out", "dropped_out", "died"):
        counts[c] = counts[c].fillna(0).astype("int64")
    # Moves within the district use the reported transfers first; what is left explains the students found nowhere.
    counts["unreported_moves_out_n"] = (counts["moved_out_n"] - counts["transferred_out"]).clip(lower=0)
    left_out = (counts["transferred_out"] - counts["moved_out_n"]).clip(lower=0)
    counts["leaving_capacity_n"] = left_out + counts["dropped_out"] + counts["died"]
    counts["explained_n"] = counts[["missing_n", "leaving_capacity_n"]].min(axis=1)
    counts["suspected_leavers_n"] = counts["missing_n"] - counts["explained_n"]
    counts["unreported_moves_in_n"] = (counts["moved_in_n"] - counts["transferred_in"]).clip(lower=0)
    left_in = (counts["transferred_in"] - counts["moved_in_n"]).clip(lower=0)
    counts["unexplained_arrivals_n"] = (counts["new_n"] - left_in).clip(lower=0)
    counts = counts.astype({c: "int64" for c in COUNT_COLUMNS})

    detail = counts[[*keys, "enrolment_row", *COUNT_COLUMNS]]
    leavers = prev.loc[prev["status"] == "missing"].merge(detail, on=keys, how="left")
    leavers["unexplained"] = leavers["suspected_leavers_n"] > 0
    arrivals = cur.loc[cur["status"] == "new"].drop(columns=["enrolment_row"], errors="ignore")
    arrivals = arrivals.merge(detail.drop(columns=["enrolment_row"]), on=keys, how="left")
    arrivals["unexplained"] = arrivals["unexplained_arrivals_n"] > 0
    return Reconciliation(
        leavers=leavers.sort_values([*keys, "student_id"], kind="stable").reset_index(drop=True),
        arrivals=arrivals.sort_values([*keys, "student_id"], kind="stable").reset_index(drop=True),
        counts=counts[[*keys, *COUNT_COLUMNS]].sort_values(keys, kind="stable").reset_index(drop=True),
        graduated_n=len(graduates),
    )
