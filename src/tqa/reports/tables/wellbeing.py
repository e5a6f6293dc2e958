"""Table shaping for 作业与睡眠 (pure functions): the district's figures against the limits, the schools of concern
(internal), the 差异系数, burden against results (internal), the public edition's bands and a school's grades.

Every share is printed with its count ("k/n") and its interval; medians with their quartiles; never a mean. A
withheld cohort's figures arrive blank (the views read the statistics through ``cohorts.withhold``) and are
printed as its status (人数过少，不公布). The public edition's schools are in category then code order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tqa.core import units
from tqa.core.ordering import sort_rows
from tqa.core.vocabulary import GRADE_LABELS, SCHOOL_CATEGORIES
from tqa.measures.cohorts import STATUS_WITHHELD
from tqa.params import Params
from tqa.reports import disclosure
from tqa.reports.labels import band_words, interval_text

ABOVE, BELOW = ("明显高于", "高于"), ("明显低于", "低于")
# What each answer's figures are (blanked together in the public edition's complementary suppression)
FIGURES = {
    "homework": ("q1", "median", "q3", "median_lo", "median_hi", "over_n", "over_share", "over_share_lo",
                 "over_share_hi", "over_diff", "over_diff_lo", "over_diff_hi", "over_band"),
    "sleep": ("q1", "median", "q3", "median_lo", "median_hi", "met_n", "met_share", "met_share_lo", "met_share_hi",
              "met_diff", "met_diff_lo", "met_diff_hi", "met_band"),
}  # fmt: skip
SHARE = {"homework": "homework_over", "sleep": "sleep_met"}
SCOPE = {units.SCHOOL.name: "本校", units.CATEGORY.name: "同类学校", units.DISTRICT.name: "全区"}


def _number(v) -> str:
    return "—" if pd.isna(v) else f"{float(v):g}"


def median_text(df: pd.DataFrame, name: str) -> list[str]:
    """'60（45–61）': the median and, in brackets, the lower and upper quartiles."""
    return [
        "—" if pd.isna(m) else f"{_number(m)}（{_number(a)}–{_number(b)}）"
        for m, a, b in zip(df[f"{name}_median"], df[f"{name}_q1"], df[f"{name}_q3"])
    ]


def share_text(df: pd.DataFrame, name: str) -> list[str]:
    """'40.0%（11.8%–76.9%）': a share with its interval."""
    return interval_text(df[f"{name}_share"], df[f"{name}_share_lo"], df[f"{name}_share_hi"], "{:.1f}%", 100.0)


def count_text(k, n) -> list[str]:
    return ["—" if pd.isna(a) or pd.isna(b) else f"{int(a)}/{int(b)}" for a, b in zip(k, n)]


def _or_status(text: list[str], value: pd.Series, n: pd.Series, status: pd.Series) -> list[str]:
    """A figure's text, or why there is none (its cohort's status, or the public edition's suppression note)."""
    out = []
    for t, v, k, s in zip(text, value, n, status):
        if pd.notna(v):
            out.append(t)
        elif pd.notna(k) and int(k) > 0:
            out.append(s if isinstance(s, str) and s else STATUS_WITHHELD)
        else:
            out.append("—")
    return out


def _status(df: pd.DataFrame, answer: str) -> pd.Series:
    note = df.get("suppression_note_" + answer)
    status = df[f"{answer}_status"].astype("string").fillna("")
    if note is not None:
        status = note.fillna("").where(note.fillna("") != "", status)
    return status


def limits_text(params: Params) -> str:
    """The limits as readers read them, one clause per grade band (from params homework_sleep)."""
    hs = params.homework_sleep
    parts = []
    for band, grades in params.grade_bands.items():
        lim, sleep = hs.homework_limit_minutes[band], hs.sleep_min_hours[band]
        homework = "不布置书面家庭作业" if lim == 0 else f"书面作业不超过 {lim:g} 分钟"
        parts.append(f"{band}（{grades[0]}–{grades[-1]} 年级）{homework}、睡眠不少于 {sleep:g} 小时")
    return "；".join(parts) + "。"


def unit_rows(stats: pd.DataFrame, answer: str, with_band: bool = False) -> pd.DataFrame:
    """One answer's figures, one row per unit of ``stats`` (as given): respondents, median and quartiles, count and
    share with interval (and on request the band against the district)."""
    share = SHARE[answer]
    status = _status(stats, answer)
    n = stats[f"{answer}_n"]
    med, shr = median_text(stats, answer), share_text(stats, share)
    limit = stats["homework_limit"] if answer == "homework" else stats["sleep_min"]
    name = "作业" if answer == "homework" else "睡眠"
    unit = "分钟" if answer == "homework" else "小时"
    what = "超时" if answer == "homework" else "达标"
    out = pd.DataFrame(
        {
            f"{'上限' if answer == 'homework' else '下限'}（{unit}）": [_number(v) for v in limit],
            f"填写{name}人数": n.astype("Int64").to_numpy(),
            f"{name}时间中位数（四分位数）": _or_status(med, stats[f"{answer}_median"], n, status),
            f"{what}人数": _or_status(count_text(stats[f"{share}_n"], n), stats[f"{share}_n"], n, status),
            f"{what}比例（区间）": _or_status(shr, stats[f"{share}_share"], n, status),
        }
    )
    if with_band:
        out["与全区比较"] = [b if isinstance(b, str) else "—" for b in stats[f"{share}_band"].astype(object)]
    return out


def district_table(stats: pd.DataFrame, answer: str) -> pd.DataFrame:
    """Per grade, the district and each category: respondents, response rate, and ``answer``'s figures."""
    rows = stats[~units.is_level(stats, units.SCHOOL)]
    rows = sort_rows(rows.assign(_o=rows["level"].map({"district": 0, "category": 1})), ["grade", "_o"])
    head = pd.DataFrame(
        {
            "年级": rows["grade"].map(GRADE_LABELS).to_numpy(),
            "范围": rows["unit_name"].astype("string").to_numpy(),
        }
    )
    return pd.concat([head, unit_rows(rows, answer).reset_index(drop=True)], axis=1)


def response_table(stats: pd.DataFrame) -> pd.DataFrame:
    """One row per grade, a column for the district and each category: the response rate with its interval and
    the respondents over the enrolment ("100.0%（99.8%–100.0%），2338/2338")."""
    rows = stats[~units.is_level(stats, units.SCHOOL)]
    rows = sort_rows(rows.assign(_o=rows["level"].map({"district": 0, "category": 1})), ["grade", "_o"])
    rate = interval_text(rows["response_rate"], rows["response_rate_lo"], rows["response_rate_hi"], "{:.1f}%", 100.0)
    cells = rows.assign(
        年级=rows["grade"].map(GRADE_LABELS),
        cell=[
            f"{r}，{c}" if c != "—" else r for r, c in zip(rate, count_text(rows["response_base_n"], rows["enrolled"]))
        ],
        scope=rows["unit_name"].astype("string"),
    )
    scopes = list(dict.fromkeys(cells["scope"]))
    wide = cells.pivot_table(index="grade", columns="scope", values="cell", aggfunc="first").reindex(columns=scopes)
    wide = wide.fillna("—").reset_index()
    wide.columns.name = None
    wide.insert(0, "年级", wide.pop("grade").map(GRADE_LABELS))
    return wide


def concern(stats: pd.DataFrame) -> pd.DataFrame:
    """School x grade rows whose share over the homework limit is above the district's, or whose share meeting
    the sleep requirement is below it, with the interval supporting it (band 高于 / 低于: the interval of the
    difference excludes 0). Columns of the stats plus ``homework_concern`` and ``sleep_concern``."""
    s = units.rows(stats, units.SCHOOL)
    hw = s["homework_over_band"].isin(ABOVE).fillna(False).to_numpy(dtype=bool)
    sl = s["sleep_met_band"].isin(BELOW).fillna(False).to_numpy(dtype=bool)
    out = s[hw | sl].assign(homework_concern=hw[hw | sl], sleep_concern=sl[hw | sl])
    return sort_rows(out, ["unit_code", "grade"])  # a school's grades together


def concern_table(stats: pd.DataFrame) -> pd.DataFrame:
    """The internal district report's schools of concern, one row per school x grade (code, then grade)."""
    c = concern(stats)
    d = units.rows(stats, units.DISTRICT).set_index("grade")
    reasons = [
        "、".join(r for r, on in (("作业超时比例高于全区", h), ("睡眠达标比例低于全区", s)) if on)
        for h, s in zip(c["homework_concern"], c["sleep_concern"])
    ]
    return pd.DataFrame(
        {
            "代码": c["unit_code"].to_numpy(),
            "学校": c["unit_name"].to_numpy(),
            "类别": c["category"].to_numpy(),
            "年级": c["grade"].map(GRADE_LABELS).to_numpy(),
            "需关注": reasons,
            "作业超时比例（区间）": share_text(c, "homework_over"),
            "全区作业超时比例": [f"{v:.1%}" for v in c["grade"].map(d["homework_over_share"])],
            "睡眠达标比例（区间）": share_text(c, "sleep_met"),
            "全区睡眠达标比例": [f"{v:.1%}" if pd.notna(v) else "—" for v in c["grade"].map(d["sleep_met_share"])],
        }
    )


def equity_table(equity: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "年级": equity["grade"].map(GRADE_LABELS).to_numpy(),
            "指标": equity["indicator_label"].to_numpy(),
            "学校数": equity["n_schools"].to_numpy(),
            "各校平均": [f"{v:.1%}" if pd.notna(v) else "—" for v in equity["mean_of_means"]],
            "差异系数": [f"{v:.3f}" if pd.notna(v) else "—" for v in equity["cv"]],
            "是否超过提示线": equity["cv_over"].map({True: "是", False: "否"}).fillna("学校过少").to_numpy(),
        }
    )


def burden_table(summary: pd.DataFrame) -> pd.DataFrame:
    def reading(rho) -> str:
        if pd.isna(rho):
            return "学校过少，不计算"
        size = "较强" if abs(rho) >= 0.5 else ("较弱" if abs(rho) >= 0.2 else "几乎没有")
        way = "作业超时比例高的学校成绩偏低" if rho < 0 else "作业超时比例高的学校成绩偏高"
        return f"{size}的相关" + ("" if abs(rho) < 0.2 else f"（{way}）")

    return pd.DataFrame(
        {
            "年级": summary["grade"].map(GRADE_LABELS).to_numpy(),
            "学校数": summary["n_schools"].to_numpy(),
            "等级相关系数 ρ": [f"{v:.2f}" if pd.notna(v) else "—" for v in summary["spearman_rho"]],
            "读法": [reading(v) for v in summary["spearman_rho"]],
        }
    )


def public_suppression(stats: pd.DataFrame, params: Params) -> pd.DataFrame:
    """The public edition's figures: per answer, the school -> category -> district tree of each grade (or grade
    band) suppressed as the exam results are (``disclosure.suppression`` on the answer's n: a withheld cohort, and
    its complement so that totals cannot give it away); the answer's figures blanked in those rows, with
    ``suppression_note_<answer>`` saying why."""
    out = stats.copy()
    key = "grade" if "grade" in stats.columns else "band"
    for answer, figures in FIGURES.items():
        tree = stats.assign(subject=answer, grade=stats[key], tested_n=stats[f"{answer}_n"])
        reason = disclosure.suppression(tree[["level", "unit_code", "category", "grade", "subject", "tested_n"]],
                                        params)  # fmt: skip
        hit = (reason != "").to_numpy()
        for f in figures:
            col = f"{answer}_{f}"
            values = out[col].astype("Int64") if pd.api.types.is_integer_dtype(out[col]) else out[col]
            out[col] = values.where(~hit)
        out[f"suppression_note_{answer}"] = reason.map(lambda r: disclosure.REASON_LABELS.get(r, "")).astype("string")
    return out


def public_band_matrix(band_stats: pd.DataFrame, returns: pd.DataFrame) -> pd.DataFrame:
    """The public edition: one row per school (category, then code: never by a result), per grade band two
    columns, the share over the homework limit and the share meeting the sleep requirement against the district
    in the public wording, or why there is none."""
    s = units.rows(band_stats, units.SCHOOL)
    schools = returns.drop_duplicates("school_code").set_index("school_code")
    codes = sorted(s["unit_code"].unique())
    out = pd.DataFrame({"代码": codes})
    out["学校"] = out["代码"].map(schools["school_name"])
    out["类别"] = out["代码"].map(schools["category"])
    for band in dict.fromkeys(s["band"]):
        rows = s[s["band"] == band].set_index("unit_code")
        for answer, label in (("homework", "作业超时比例"), ("sleep", "睡眠达标比例")):
            band_col = rows[f"{SHARE[answer]}_band"]
            words = pd.Series(band_words(band_col.astype(object), public=True), index=rows.index, dtype=object)
            status = _status(rows, answer)
            why = status.where(status != "", STATUS_WITHHELD)
            cell = words.where(band_col.notna(), why.where(rows[f"{answer}_n"] > 0, "—"))
            out[f"{band}{label}"] = out["代码"].map(cell).fillna("—").to_numpy()
    return sort_rows(out, ["类别", "代码"], {"类别": SCHOOL_CATEGORIES})


def school_rows(stats: pd.DataFrame, public: bool) -> pd.DataFrame:
    """Every unit's row of a school report's grade tables, formatted at once (the reports pick their school's, its
    category's and the district's rows: shaping them school by school cost ~0.5 s a report): the unit's scope,
    each answer's median (quartiles), share (interval) with its count, and a school's band against the district;
    ``_level``, ``_unit`` and ``_grade`` say whose row it is."""
    rows = stats.reset_index(drop=True)
    out = pd.DataFrame({"范围": rows["level"].map(SCOPE).to_numpy(), "回答人数": rows["respondents_n"].to_numpy()})
    out["回收率"] = [f"{v:.1%}" if pd.notna(v) else "—" for v in rows["response_rate"]]
    for answer in ("homework", "sleep"):
        part = unit_rows(rows, answer, with_band=True)
        name = "作业" if answer == "homework" else "睡眠"
        part = part.drop(columns=[part.columns[0], part.columns[1]])  # the limit is in the caption, n below
        part["与全区比较"] = band_words(part["与全区比较"].where(rows["level"] == "school", ""), public)
        part = part.rename(columns={"与全区比较": f"{name}与全区比较"})
        out = pd.concat([out, part], axis=1)
    out = out.replace({"": "—"})
    return out.assign(
        _level=rows["level"].to_numpy(), _unit=rows["unit_code"].to_numpy(), _grade=rows["grade"].to_numpy()
    )


def pick_grade(formatted: pd.DataFrame, code: str, category: str, grade: int) -> pd.DataFrame:
    """One grade of a school's report from ``school_rows``: the school, its category and the district."""
    g = formatted[formatted["_grade"] == grade]
    level, unit = g["_level"], g["_unit"]
    pick = [
        g[(level == units.SCHOOL.name) & (unit == code)],
        g[(level == units.CATEGORY.name) & (unit == category)],
        g[level == units.DISTRICT.name],
    ]
    return pd.concat(pick, ignore_index=True).drop(columns=["_level", "_unit", "_grade"])


def school_grade_table(stats: pd.DataFrame, code: str, category: str, grade: int, public: bool) -> pd.DataFrame:
    """One grade of a school's report: the school, its category and the district, each answer's median
    (quartiles), share (interval) with its count, and the school's band against the district."""
    return pick_grade(school_rows(stats, public), code, category, grade)


def school_tables(formatted: pd.DataFrame, code: str, category: str) -> list[tuple[int, pd.DataFrame]]:
    """The school's grades, each as ``pick_grade`` shows it (``formatted``: ``school_rows``)."""
    own = (formatted["_level"] == units.SCHOOL.name) & (formatted["_unit"] == code)
    grades = sorted(formatted.loc[own, "_grade"].unique())
    return [(int(g), pick_grade(formatted, code, category, int(g))) for g in grades]


def chart_rows(stats: pd.DataFrame, code: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The school's grades (with a shown share) and the district's same grades, in grade order, for the chart."""
    own = sort_rows(stats[units.is_level(stats, units.SCHOOL) & (stats["unit_code"] == code)], ["grade"])
    own = own[own["homework_over_share"].notna() | own["sleep_met_share"].notna()]
    d = units.rows(stats, units.DISTRICT).set_index("grade").reindex(own["grade"]).reset_index()
    return own.reset_index(drop=True), d


def has_figures(df: pd.DataFrame) -> bool:
    return bool(len(df)) and bool(np.isfinite(df["homework_over_share"].astype("float64")).any())
