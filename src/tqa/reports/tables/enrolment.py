"""学籍变动与控辍保学: the report tables of ``enrolment_rates`` and ``enrolment_entry`` (Chinese headers, rates with
their intervals, counts beside them). Every function takes the whole table and returns a frame ready to show.
Withheld cohorts (fewer than reporting.min_published_n) arrive with their rates blanked (``View.read``) and show
their sample status instead."""

from __future__ import annotations

import pandas as pd

from tqa.core import ordering, units
from tqa.core.vocabulary import GRADE_LABELS
from tqa.reports.labels import band_words, pct_text, signed

ALL_GRADES = "合计"
COUNTS = {
    "start_n": "学期初",
    "enrolled": "期末在籍",
    "transferred_in": "转入",
    "transferred_out": "转出",
    "dropped_out": "辍学",
    "died": "死亡",
}


def grade_label(grade) -> str:
    return ALL_GRADES if pd.isna(grade) else GRADE_LABELS.get(int(grade), f"{int(grade)} 年级")


WITHHELD = "人数过少，不公布"


def rate_text(est, lo, hi, digits: int = 2) -> list[str]:
    """'99.50%（99.10%–99.80%）' per row (an estimate without interval alone); '—' where missing."""
    out = []
    for e, a, b in zip(est, lo, hi):
        if pd.isna(e):
            out.append("—")
        elif pd.isna(a) or pd.isna(b):
            out.append(f"{e:.{digits}%}")
        else:
            out.append(f"{e:.{digits}%}（{a:.{digits}%}–{b:.{digits}%}）")
    return out


def _rate(df: pd.DataFrame, name: str) -> list[str]:
    """A rate with its interval, or the sample status of a withheld cohort."""
    text = rate_text(df[f"{name}_rate"], df[f"{name}_lo"], df[f"{name}_hi"])
    status = df["sample_status"].astype("string").fillna("")
    return [WITHHELD if st == WITHHELD else t for t, st in zip(text, status)]


def _plain_rate(df: pd.DataFrame, name: str) -> list[str]:
    """A rate without its interval (辍学率 = 1 − 巩固率: its interval mirrors the one beside it)."""
    status = df["sample_status"].astype("string").fillna("")
    return [WITHHELD if st == WITHHELD else t for t, st in zip(pct_text(df[f"{name}_rate"], 2), status)]


def _bands(df: pd.DataFrame, public: bool) -> list[str]:
    band = band_words(df["consolidation_band"].astype("object").where(df["consolidation_band"].notna(), None), public)
    status = df["sample_status"].astype("string").fillna("")
    return [WITHHELD if st == WITHHELD else (b or "—") for b, st in zip(band, status)]


def _counts(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({label: df[col].astype("int64").to_numpy() for col, label in COUNTS.items()}, index=df.index)


def _leavers(values) -> list[str]:
    return ["未核对" if pd.isna(v) else str(int(v)) for v in values]


def district_table(rates: pd.DataFrame, public: bool = False) -> pd.DataFrame:
    """The district's grades (and all grades): counts, both rates with intervals, the target and its support;
    internally the reconciliation's 疑似流失 too."""
    d = rates.loc[rates["level"] == units.DISTRICT.name]
    out = pd.DataFrame({"年级": [grade_label(g) for g in d["grade"]]}, index=d.index)
    out = out.join(_counts(d))
    out["巩固率（区间）"] = _rate(d, "consolidation")
    out["辍学率"] = _plain_rate(d, "dropout")
    out["与目标之差（百分点）"] = [signed(v * 100, 2) for v in d["gap"]]
    out["是否达到"] = d["target_status"].astype("string").fillna("—").to_numpy()
    if not public:
        out["疑似流失"] = _leavers(d["suspected_leavers_n"])
    return out.reset_index(drop=True)


def category_table(rates: pd.DataFrame, public: bool = False) -> pd.DataFrame:
    """Each category's grades together, in the vocabulary's category order."""
    c = rates.loc[(rates["level"] == units.CATEGORY.name) & rates["grade"].isna()]
    c = c.assign(_c=ordering.category_key(c["unit_code"])).sort_values("_c", kind="stable")
    out = pd.DataFrame({"类别": c["unit_code"].to_numpy()}, index=c.index).join(_counts(c))
    out["巩固率（区间）"] = _rate(c, "consolidation")
    out["辍学率"] = _plain_rate(c, "dropout")
    if not public:
        out["疑似流失"] = _leavers(c["suspected_leavers_n"])
    return out.reset_index(drop=True)


def schools_table(rates: pd.DataFrame, public: bool) -> pd.DataFrame:
    """Each school's grades together, in category and school-code order. Internal: counts, rates and the
    reconciliation's counts; public: the band against the district only (nothing to order schools by)."""
    s = rates.loc[(rates["level"] == units.SCHOOL.name) & rates["grade"].isna()].copy()
    s = s.assign(_c=ordering.category_key(s["category"])).sort_values(["_c", "unit_code"], kind="stable")
    out = pd.DataFrame(
        {"学校代码": s["unit_code"].to_numpy(), "学校": s["unit_name"].to_numpy(), "类别": s["category"].to_numpy()}
    )
    bands = _bands(s, public)
    if public:
        out["巩固率与全区比较"] = bands
        return out
    counts = _counts(s).reset_index(drop=True)
    out = pd.concat([out, counts[["学期初", "期末在籍", "转出", "辍学", "死亡"]]], axis=1)
    out["巩固率（区间）"] = _rate(s, "consolidation")
    out["与全区比较"] = bands
    out["疑似流失"] = _leavers(s["suspected_leavers_n"])
    out["无转入记录的新生"] = _leavers(s["unexplained_arrivals_n"])
    return out


def leaver_schools(rates: pd.DataFrame) -> pd.DataFrame:
    """Internal: the schools with suspected leavers or new students without a reported transfer in, the grades
    concerned and the counts; most suspected leavers first, then by code."""
    g = rates.loc[(rates["level"] == units.SCHOOL.name) & rates["grade"].notna()]
    g = g.loc[(g["suspected_leavers_n"].fillna(0) > 0) | (g["unexplained_arrivals_n"].fillna(0) > 0)]
    if g.empty:
        return pd.DataFrame(columns=["学校代码", "学校", "类别", "疑似流失", "涉及年级", "无转入记录的新生"])
    rows = []
    for code, x in g.groupby("unit_code", sort=True):
        lost = x.loc[x["suspected_leavers_n"] > 0]
        rows.append(
            {
                "学校代码": code,
                "学校": x["unit_name"].iloc[0],
                "类别": x["category"].iloc[0],
                "疑似流失": int(x["suspected_leavers_n"].sum()),
                "涉及年级": "、".join(
                    f"{grade_label(a)} {int(b)} 人" for a, b in zip(lost["grade"], lost["suspected_leavers_n"])
                )
                or "—",
                "无转入记录的新生": int(x["unexplained_arrivals_n"].sum()),
            }
        )
    out = pd.DataFrame(rows)
    return out.sort_values(["疑似流失", "学校代码"], ascending=[False, True], kind="stable").reset_index(drop=True)


def school_grades(rates: pd.DataFrame, code: str, public: bool) -> pd.DataFrame:
    """One school's grades (and all grades) with the district's 巩固率 beside; internal: the counts and the
    reconciliation's counts too."""
    s = rates.loc[(rates["level"] == units.SCHOOL.name) & (rates["unit_code"] == code)]
    d = rates.loc[rates["level"] == units.DISTRICT.name].set_index("grade", drop=False)
    out = pd.DataFrame({"年级": [grade_label(g) for g in s["grade"]]})
    if not public:
        out = pd.concat([out, _counts(s).reset_index(drop=True)], axis=1)
    out["本校巩固率（区间）"] = _rate(s, "consolidation")
    if not public:
        out["本校辍学率（区间）"] = _rate(s, "dropout")
    dist = d.reindex(s["grade"].to_numpy())
    out["全区巩固率"] = [f"{v:.2f}%" if pd.notna(v) else "—" for v in dist["consolidation_rate"].to_numpy() * 100]
    out["与全区比较"] = _bands(s, public)
    if not public:
        out["疑似流失"] = _leavers(s["suspected_leavers_n"])
        out["无转入记录的新生"] = _leavers(s["unexplained_arrivals_n"])
    return out


def entry_table(entry: pd.DataFrame) -> pd.DataFrame:
    """入学率 per area and 学段 against the target."""
    out = pd.DataFrame(
        {
            "片区": entry["area"].to_numpy(),
            "学段": entry["stage"].to_numpy(),
            "适龄人口": entry["population"].astype("int64").to_numpy(),
            "在籍学生": entry["enrolled"].astype("int64").to_numpy(),
        }
    )
    out["入学率（区间）"] = rate_text(entry["rate"], entry["rate_lo"], entry["rate_hi"], digits=1)
    out["目标"] = pct_text(entry["target"])
    out["与目标之差（百分点）"] = [signed(v * 100, 1) for v in entry["gap"]]
    out["是否达到"] = entry["target_status"].astype("string").fillna("—").to_numpy()
    out["未报送的学校"] = [s or "—" for s in entry["schools_missing"]]
    return out
