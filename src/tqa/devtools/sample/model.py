"""The fictional district as data (no files): schools, students, scores and the other tables.

One latent ability per student = category effect + school effect + class effect + own ability;
each subject score is that ability plus subject noise, mapped to marks through a logistic curve
(steep near full marks in primary grades: the ceiling effect). The spring term keeps the same
students (same grade and class) with growth that differs by school (value added), a few
transfers, dropouts and one death; the spring term also carries the cases planted for the school-life checks
and reports (tqa.devtools.sample.plants). Every draw comes from a generator keyed by (seed, purpose),
so adding a term or a table does not shift the other tables' numbers.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tqa.core import vocabulary as vocab
from tqa.core.terms import Term, parse_term
from tqa.devtools.sample import names, plants
from tqa.schema import office

# ---- exam specification -------------------------------------------------------------------
SUBJECT_ORDER = ("语文", "数学", "英语", "科学", "道德与法治", "历史", "地理", "生物", "物理", "化学")
LEVEL_SUBJECTS = {1: ("语文", "数学"), 2: ("语文", "数学")}
SCORE_SUBJECTS = {
    **{g: (("语文", 100), ("数学", 100), ("英语", 100), ("科学", 100)) for g in (3, 4, 5, 6)},
    7: (("语文", 120), ("数学", 120), ("英语", 120), ("道德与法治", 100), ("历史", 100), ("地理", 100), ("生物", 100)),
    8: (
        ("语文", 120),
        ("数学", 120),
        ("英语", 120),
        ("道德与法治", 100),
        ("历史", 100),
        ("地理", 100),
        ("生物", 100),
        ("物理", 100),
    ),
    9: (("语文", 120), ("数学", 120), ("英语", 120), ("道德与法治", 100), ("历史", 100), ("物理", 100), ("化学", 100)),
}
HALF_POINT_SUBJECTS = frozenset({"语文", "英语", "道德与法治"})  # junior papers marked in half points
# Logistic location per subject (higher = easier); primary papers are easy, so marks pile up near full.
_DIFFICULTY = {
    "primary": {"语文": 1.55, "数学": 1.75, "英语": 1.60, "科学": 1.95},
    "junior": {
        "语文": 0.85,
        "数学": 0.35,
        "英语": 0.55,
        "道德与法治": 0.95,
        "历史": 0.80,
        "地理": 0.60,
        "生物": 0.70,
        "物理": 0.30,
        "化学": 0.50,
    },
}
# z-cuts for grades 1-2 levels (优秀 / 良好 / 合格 / 待合格).
_LEVEL_CUTS = (0.15, -0.75, -1.75)

CATEGORY_EFFECT = {"城区": 0.25, "乡镇": 0.0, "农村": -0.30}
# (classes per grade: choices, probabilities), (class size low, high)
_SIZE = {
    "城区": (((2, 3, 4, 5), (0.2, 0.35, 0.3, 0.15)), (40, 50)),
    "乡镇": (((1, 2, 3), (0.3, 0.45, 0.25)), (32, 45)),
    "农村": (((1, 2), (0.75, 0.25)), (12, 32)),
}
_TYPE_MIX = {
    "城区": (0.55, 0.30, 0.15),
    "乡镇": (0.50, 0.30, 0.20),
    "农村": (0.60, 0.10, 0.30),
}
_CATEGORY_MIX = (0.30, 0.35, 0.35)
# Beyond 40 schools a district is a county with many small village schools.
_CATEGORY_MIX_LARGE = (0.15, 0.30, 0.55)
# The first schools cycle through these, so that even a 3-school test district is mixed.
_FIRST = (
    ("城区", "小学"),
    ("乡镇", "初中"),
    ("农村", "九年一贯制"),
    ("城区", "九年一贯制"),
    ("乡镇", "小学"),
    ("农村", "小学"),
)

INDICATORS = (
    ("A1.1", "办学理念与发展规划"),
    ("A1.2", "依法治校与章程建设"),
    ("A2.1", "国家课程开齐开足"),
    ("A2.2", "教学常规管理"),
    ("A2.3", "作业管理与“双减”落实"),
    ("A3.1", "教师队伍建设"),
    ("A3.2", "校本教研"),
    ("B1.1", "学生体质健康"),
    ("B1.2", "课后服务"),
    ("B2.1", "校园安全管理"),
)
INDICATOR_MAX = 10


def key_rng(seed: int, *keys) -> np.random.Generator:
    """A generator for one purpose: (seed, key...) -> independent stream, stable across runs."""
    words = [int(seed) & 0xFFFFFFFF]
    for k in keys:
        words.append(zlib.crc32(str(k).encode("utf-8")))
    return np.random.default_rng(words)


def exam_spec() -> pd.DataFrame:
    """The office's exam specification: one row per grade and subject."""
    rows = []
    for g in vocab.GRADES:
        if g in LEVEL_SUBJECTS:
            rows += [(g, s, pd.NA, vocab.EXAM_MODE_LEVEL) for s in LEVEL_SUBJECTS[g]]
        else:
            rows += [(g, s, full, vocab.EXAM_MODE_SCORE) for s, full in SCORE_SUBJECTS[g]]
    df = pd.DataFrame(rows, columns=["grade", "subject", "full_marks", "mode"])
    df["full_marks"] = df["full_marks"].astype("Int64")
    return df


def subjects_for_grades(grades) -> list[str]:
    have = {s for g in grades for s in LEVEL_SUBJECTS.get(g, ())}
    have |= {s for g in grades for s, _ in SCORE_SUBJECTS.get(g, ())}
    return [s for s in SUBJECT_ORDER if s in have]


@dataclass
class District:
    seed: int
    terms: tuple[str, ...]
    schools: pd.DataFrame  # code, name, name_variants, school_type, category, town, ...
    exam_spec: pd.DataFrame
    students: dict[str, pd.DataFrame] = field(default_factory=dict)  # per term, one row per student
    scores: dict[str, pd.DataFrame] = field(default_factory=dict)  # per term, wide: subject columns (objects)
    fitness: dict[str, pd.DataFrame] = field(default_factory=dict)
    survey: dict[str, pd.DataFrame] = field(default_factory=dict)
    routine: dict[str, pd.DataFrame] = field(default_factory=dict)
    enrolment: dict[str, pd.DataFrame] = field(default_factory=dict)
    ratings: dict[str, pd.DataFrame] = field(default_factory=dict)
    # per term: (grade, subject) -> wide item scores of that paper (tqa.devtools.sample.items)
    items: dict[str, dict] = field(default_factory=dict)
    item_spec: pd.DataFrame | None = None
    # per term: the cases planted for the school-life checks and reports (tqa.devtools.sample.plants)
    plants: dict[str, list] = field(default_factory=dict)


# ---- schools -------------------------------------------------------------------------------
def build_schools(n: int, seed: int) -> pd.DataFrame:
    rng = key_rng(seed, "schools")
    kinds = list(_FIRST[: min(n, len(_FIRST))])
    for k in range(len(kinds), n):
        cat = vocab.SCHOOL_CATEGORIES[rng.choice(3, p=_CATEGORY_MIX if k < 40 else _CATEGORY_MIX_LARGE)]
        typ = vocab.SCHOOL_TYPES[rng.choice(3, p=_TYPE_MIX[cat])]
        kinds.append((cat, typ))
    cat_rank = {c: i for i, c in enumerate(vocab.SCHOOL_CATEGORIES)}
    type_rank = {t: i for i, t in enumerate(vocab.SCHOOL_TYPES)}
    kinds.sort(key=lambda k: (cat_rank[k[0]], type_rank[k[1]]))
    n_places = sum(1 for c, _ in kinds if c != "城区")
    places = names.place_names(max(n_places, 1), rng)
    used: set[str] = set()
    counters: dict[tuple[str, str], int] = {}
    rows = []
    place_i = 0
    for i, (cat, typ) in enumerate(kinds):
        k = counters[(cat, typ)] = counters.get((cat, typ), 0) + 1
        name, variants, town = _school_name(cat, typ, k, places, place_i, rng)
        if cat != "城区":
            place_i += 1
        while name in used:  # very large districts: make the name unique
            name = name.replace("学校", "第二学校") if name.endswith("学校") else name[:-2] + "二" + name[-2:]
        used.add(name)
        rows.append(
            {
                "school_code": f"{i + 1:03d}",
                "school_name": name,
                "name_variants": variants,
                "school_type": typ,
                "category": cat,
                "town": town,
            }
        )
    df = pd.DataFrame(rows)
    df["school_effect"] = rng.normal(0, 0.30, n) + df["category"].map(CATEGORY_EFFECT).to_numpy()
    # Value added between the two terms: small for most, clearly positive / negative for a few.
    va = rng.normal(0, 0.04, n)
    n_special = max(1, n // 10) if n >= 4 else 0
    special = rng.choice(n, size=2 * n_special, replace=False) if n_special else np.array([], int)
    va[special[:n_special]] += 0.35
    va[special[n_special:]] -= 0.35
    df["value_added"] = va
    fit = rng.normal(0, 1, n)
    weak_fit = rng.choice(n, size=min(2, n), replace=False) if n >= 6 else np.array([], int)
    df["weak_fitness"] = np.isin(np.arange(n), weak_fit)
    df["fitness_effect"] = fit * 3.0 - df["weak_fitness"].to_numpy() * 12.0
    heavy = rng.choice(n, size=max(1, n // 12), replace=False) if n >= 6 else np.array([], int)
    df["heavy_homework"] = np.isin(np.arange(n), heavy)
    df["homework_factor"] = np.exp(rng.normal(0, 0.12, n)) * np.where(df["heavy_homework"], 1.7, 1.0)
    df["quality"] = df["school_effect"] + rng.normal(0, 0.3, n)
    return df


def _school_name(cat, typ, k, places, place_i, rng):
    d = names.DISTRICT
    if cat == "城区":
        if typ == "小学":
            if k == 1:
                return f"{d}实验小学", f"{d[:-1]}实验小学|区实验小学", ""
            o = names.ordinal(k - 1)
            return f"{d}第{o}小学", f"{d[:-1]}{o}小|第{o}小学", ""
        if typ == "初中":
            if k == 1:
                return f"{d}实验中学", f"{d[:-1]}实验中学|区实验中学", ""
            o = names.ordinal(k - 1)
            return f"{d}第{o}中学", f"{d[:-1]}{o}中|第{o}中学", ""
        return (f"{d}外国语学校" if k == 1 else f"{d}第{names.ordinal(k - 1)}九年一贯制学校"), "", ""
    place = places[place_i % len(places)] + ("" if place_i < len(places) else names.ordinal(place_i // len(places) + 1))
    unit = "镇" if cat == "乡镇" else "乡"
    if typ == "小学":
        name = f"{place}{unit}中心小学" if cat == "乡镇" else f"{place}{unit}小学"
        short = f"{place}小学" if cat == "乡镇" else f"{place}乡校"
    elif typ == "初中":
        name, short = f"{place}{unit}中学", f"{place}中学"
    else:
        name, short = f"{place}{unit}九年一贯制学校", f"{place}学校"
    variants = short if rng.random() < 0.5 else ""
    return name, variants, place + unit


# ---- students ------------------------------------------------------------------------------
def build_students(schools: pd.DataFrame, seed: int, year: int) -> pd.DataFrame:
    """Term-1 population: one row per student with school, grade, class, sex and latent traits."""
    rng = key_rng(seed, "students")
    recs = []  # (school index, grade, class_no, size)
    for si, s in enumerate(schools.itertuples()):
        (choices, probs), (lo, hi) = _SIZE[s.category]
        for g in vocab.GRADES_BY_TYPE[s.school_type]:
            n_cls = int(rng.choice(choices, p=probs))
            if s.school_type == "初中":
                n_cls += 1  # junior schools gather pupils from several primaries
            for c in range(1, n_cls + 1):
                recs.append((si, g, c, int(rng.integers(lo, hi + 1))))
    rec = np.array(recs)
    sizes = rec[:, 3]
    n = int(sizes.sum())
    cls_idx = np.repeat(np.arange(len(rec)), sizes)
    df = pd.DataFrame({"school_idx": rec[cls_idx, 0], "grade": rec[cls_idx, 1], "class_no": rec[cls_idx, 2]})
    df["school_code"] = schools["school_code"].to_numpy()[df["school_idx"]]
    df["sex"] = np.where(rng.random(n) < 0.52, "男", "女")
    df["name"] = names.person_names(n, rng)
    class_eff = rng.normal(0, 0.18, len(rec))[cls_idx]
    df["theta"] = schools["school_effect"].to_numpy()[df["school_idx"]] + class_eff + rng.normal(0, 0.85, n)
    df["fit"] = rng.normal(0, 1, n)
    df["hw"] = rng.normal(0, 1, n)
    df["sleep"] = rng.normal(0, 1, n)
    df["exempt"] = rng.random(n) < 0.003  # special-needs pupils, exempt in every term
    df["student_id"] = student_ids(df["grade"].to_numpy(), year, rng)
    return df.sort_values(["school_code", "grade", "class_no", "student_id"], kind="stable").reset_index(drop=True)


def student_ids(grades: np.ndarray, year: int, rng: np.random.Generator) -> np.ndarray:
    """学籍号: "G" + 18-digit identity number (area, birth date, sequence, check digit); unique."""
    n = len(grades)
    area = 379900 + rng.integers(1, 13, n)
    start = pd.Timestamp(year=year - 7, month=9, day=1)  # grade 1 pupils were born from Sept (year-7)
    birth = start - pd.to_timedelta((grades - 1) * 365, unit="D") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    bstr = pd.DatetimeIndex(birth).strftime("%Y%m%d").to_numpy().astype(str)
    ids = np.empty(n, dtype=object)
    todo = np.arange(n)
    seen: set[str] = set()
    while len(todo):
        seq = rng.integers(0, 1000, len(todo))
        chk = rng.integers(0, 10, len(todo))
        retry = []
        for j, i in enumerate(todo):
            s = f"G{area[i]}{bstr[i]}{seq[j]:03d}{chk[j]}"
            if s in seen:
                retry.append(i)
            else:
                seen.add(s)
                ids[i] = s
        todo = np.array(retry, dtype=int)
    return ids


def next_term_students(prev: pd.DataFrame, schools: pd.DataFrame, seed: int, year: int):
    """Spring term: the same students after transfers, dropouts and a death; returns (students, events)."""
    rng = key_rng(seed, "events")
    df = prev.copy()
    n = len(df)
    events = []
    codes = schools["school_code"].to_numpy()
    grades_of = {c: set(vocab.GRADES_BY_TYPE[t]) for c, t in zip(codes, schools["school_type"])}
    classes_of = df.groupby(["school_code", "grade"])["class_no"].max().to_dict()
    u = rng.random(n)
    leave_out = u < 0.003
    move = (u >= 0.003) & (u < 0.007)
    drop = (u >= 0.007) & (u < 0.0085) & (df["grade"].to_numpy() >= 7)
    died = np.zeros(n, bool)
    if n > 10000:
        died[rng.integers(0, n)] = True
        move &= ~died
        leave_out &= ~died
        drop &= ~died
    for i in np.flatnonzero(move):
        g, src = int(df.at[i, "grade"]), df.at[i, "school_code"]
        dests = [c for c in codes if c != src and g in grades_of[c]]
        if not dests:
            continue
        dst = dests[int(rng.integers(0, len(dests)))]
        df.at[i, "school_code"] = dst
        df.at[i, "school_idx"] = int(np.flatnonzero(codes == dst)[0])
        df.at[i, "class_no"] = int(rng.integers(1, classes_of[(dst, g)] + 1))
        events += [("transferred_out", src, g), ("transferred_in", dst, g)]
    for kind, mask in (("transferred_out", leave_out), ("dropped_out", drop), ("died", died)):
        for i in np.flatnonzero(mask):
            events.append((kind, df.at[i, "school_code"], int(df.at[i, "grade"])))
    df = df[~(leave_out | drop | died)]
    # Pupils arriving from outside the district.
    n_new = max(1, int(round(n * 0.003)))
    pick = rng.integers(0, len(df), n_new)
    new = df.iloc[pick].copy()
    new["name"] = names.person_names(n_new, rng)
    new["sex"] = np.where(rng.random(n_new) < 0.52, "男", "女")
    new["theta"] = new["theta"] * 0.3 + rng.normal(-0.1, 0.85, n_new)
    for col in ("fit", "hw", "sleep"):
        new[col] = rng.normal(0, 1, n_new)
    new["exempt"] = False
    ids = student_ids(new["grade"].to_numpy(), year, rng)
    existing = set(prev["student_id"])
    ids = np.array([("G9" + s[2:]) if s in existing else s for s in ids], dtype=object)
    new["student_id"] = ids
    events += [("transferred_in", c, int(g)) for c, g in zip(new["school_code"], new["grade"])]
    df = pd.concat([df, new], ignore_index=True)
    # Growth: prior ability + the school's value added + noise.
    va = schools["value_added"].to_numpy()[df["school_idx"].to_numpy()]
    df["theta"] = df["theta"].to_numpy() + va + rng.normal(0, 0.30, len(df))
    df = df.sort_values(["school_code", "grade", "class_no", "student_id"], kind="stable").reset_index(drop=True)
    return df, events


# ---- scores --------------------------------------------------------------------------------
def build_scores(students: pd.DataFrame, schools: pd.DataFrame, seed: int, term: str) -> pd.DataFrame:
    """Wide scores: id columns plus one object column per subject (number, level, 缺考/免考 or None)."""
    rng = key_rng(seed, "scores", term)
    n = len(students)
    grade = students["grade"].to_numpy()
    theta = students["theta"].to_numpy()
    school_idx = students["school_idx"].to_numpy()
    subj_school = key_rng(seed, "subject_school")  # persistent school x subject strengths
    out = students[["school_code", "student_id", "name", "grade", "class_no", "sex"]].copy()
    absent_all = rng.random(n) < 0.004
    exempt = students["exempt"].to_numpy()
    for subj in SUBJECT_ORDER:
        eff = subj_school.normal(0, 0.15, len(schools))[school_idx]
        z = theta + eff + rng.normal(0, 0.55, n)
        col = np.full(n, None, dtype=object)
        # grades 1-2: levels
        lv = np.isin(grade, [g for g, ss in LEVEL_SUBJECTS.items() if subj in ss])
        if lv.any():
            levels = np.select(
                [z > _LEVEL_CUTS[0], z > _LEVEL_CUTS[1], z > _LEVEL_CUTS[2]], list(vocab.LEVELS[:3]), vocab.LEVELS[3]
            )
            col[lv] = levels[lv]
        for g, ss in SCORE_SUBJECTS.items():
            full = dict(ss).get(subj)
            if full is None:
                continue
            m = grade == g
            if not m.any():
                continue
            band = "primary" if g <= 6 else "junior"
            a = _DIFFICULTY[band][subj] - (0.06 * (g - 3) if band == "primary" else 0.0)
            a += key_rng(seed, "paper", term, g, subj).normal(0, 0.12)  # each paper its own difficulty
            b, stretch = (0.85, 1.07) if band == "primary" else (1.15, 1.0)
            p = np.clip(stretch / (1 + np.exp(-(a + b * z[m]))), 0, 1)
            step = 0.5 if (band == "junior" and subj in HALF_POINT_SUBJECTS) else 1.0
            marks = np.clip(np.round(p * full / step) * step, 0, full)
            col[np.flatnonzero(m)] = [int(x) if x == int(x) else float(x) for x in marks]
        has = np.array([v is not None for v in col])
        cell_absent = has & (rng.random(n) < 0.003)
        col[has & (absent_all | cell_absent)] = vocab.ABSENT
        col[has & exempt] = vocab.EXEMPT
        out[subj] = pd.Series(col, index=out.index, dtype=object)
    return out


# ---- other tables --------------------------------------------------------------------------
def build_fitness(students, schools, seed, term) -> pd.DataFrame:
    rng = key_rng(seed, "fitness", term)
    eff = schools["fitness_effect"].to_numpy()[students["school_idx"].to_numpy()]
    total = 78 + eff + 8.5 * students["fit"].to_numpy() + rng.normal(0, 2.0, len(students))
    total = np.round(np.clip(total, 30, 118), 1)
    return pd.DataFrame(
        {
            "school_code": students["school_code"],
            "student_id": students["student_id"],
            "grade": students["grade"],
            "sex": students["sex"],
            "total_score": total,
        }
    )


def build_survey(students, schools, seed, term) -> pd.DataFrame:
    rng = key_rng(seed, "survey", term)
    n = len(students)
    g = students["grade"].to_numpy()
    factor = schools["homework_factor"].to_numpy()[students["school_idx"].to_numpy()]
    median = np.select([g <= 2, g <= 6], [15.0, 40.0], 65.0)
    minutes = median * factor * np.exp(0.45 * students["hw"].to_numpy() + rng.normal(0, 0.2, n))
    minutes = np.where((g <= 2) & (rng.random(n) < 0.8), 0, minutes)  # no written homework in grades 1-2
    minutes = np.clip(np.round(minutes / 5) * 5, 0, 300).astype(int)
    base = np.select([g <= 2, g <= 6], [10.0, 9.5], 8.6)
    sleep = base - 0.008 * (minutes - median) + 0.5 * students["sleep"].to_numpy() + rng.normal(0, 0.2, n)
    sleep = np.clip(np.round(sleep * 2) / 2, 5.5, 11.5)
    return pd.DataFrame(
        {
            "school_code": students["school_code"],
            "student_id": students["student_id"],
            "grade": g,
            "homework_minutes": minutes,
            "sleep_hours": sleep,
        }
    )


def build_staff(students: pd.DataFrame, schools: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = key_rng(seed, "staff")
    counts = students.groupby("school_code").size()
    rows = []
    for s in schools.itertuples():
        n_staff = max(8, int(round(counts.get(s.school_code, 0) / rng.uniform(12, 16))))
        roles = ["校长", "业务副校长"] + (["业务副校长"] if n_staff > 60 else [])
        roles += ["中层"] * max(2, n_staff // 15)
        roles += ["教研组长"] * min(8, max(2, n_staff // 10))
        roles += ["教师"] * max(0, n_staff - len(roles))
        for r, nm in zip(roles, names.person_names(len(roles), rng)):
            rows.append((s.school_code, nm, r))
    df = pd.DataFrame(rows, columns=["school_code", "staff_name", "role"])
    df["diligence"] = rng.normal(0, 1, len(df))
    # A few principals observe far fewer lessons than expected.
    lazy = df.index[df["role"] == "校长"].to_numpy()
    lazy = rng.choice(lazy, size=max(1, len(lazy) // 8), replace=False)
    df.loc[lazy, "diligence"] = -2.5
    df["lazy"] = df.index.isin(lazy)
    return df


_ROLE_LESSONS = {"校长": (32, 8), "业务副校长": (36, 7), "中层": (26, 6), "教研组长": (22, 5), "教师": (15, 4)}


def build_routine(staff: pd.DataFrame, seed: int, term: str) -> pd.DataFrame:
    rng = key_rng(seed, "routine", term)
    mu = staff["role"].map(lambda r: _ROLE_LESSONS[r][0]).to_numpy(float)
    sd = staff["role"].map(lambda r: _ROLE_LESSONS[r][1]).to_numpy(float)
    obs = np.clip(np.round(mu + sd * (0.8 * staff["diligence"].to_numpy() + 0.6 * rng.normal(0, 1, len(staff)))), 0, 80)
    ev = np.round(obs * rng.uniform(0.5, 1.0, len(staff)))
    research = np.clip(np.round(rng.normal(24, 8, len(staff)) * 2) / 2, 4, 80)
    return pd.DataFrame(
        {
            "school_code": staff["school_code"],
            "staff_name": staff["staff_name"],
            "role": staff["role"],
            "lessons_observed": obs.astype(int),
            "lessons_evaluated": ev.astype(int),
            "research_hours": research,
        }
    )


def build_enrolment(students, schools, seed, term, events) -> pd.DataFrame:
    rng = key_rng(seed, "enrolment", term)
    counts = students.groupby(["school_code", "grade"]).size().to_dict()
    ev = {}
    for kind, code, g in events:
        ev[(kind, code, g)] = ev.get((kind, code, g), 0) + 1
    rows = []
    for s in schools.itertuples():
        for g in vocab.GRADES_BY_TYPE[s.school_type]:
            row = {"school_code": s.school_code, "grade": g, "enrolled": counts.get((s.school_code, g), 0)}
            for kind in ("transferred_in", "transferred_out", "dropped_out", "died"):
                row[kind] = ev.get((kind, s.school_code, g), 0)
            rows.append(row)
    df = pd.DataFrame(rows)
    if not events:  # autumn term: summer transfers, not modelled student by student
        df["transferred_in"] = rng.poisson(0.4, len(df))
        df["transferred_out"] = rng.poisson(0.4, len(df))
    return df


def build_ratings(schools, seed, term) -> pd.DataFrame:
    rng = key_rng(seed, "ratings", term)
    raters = names.person_names(max(2, len(schools) // 5), key_rng(seed, "raters"))
    rows = []
    for i, s in enumerate(schools.itertuples()):
        rater = raters[i % len(raters)]
        for ind_id, ind in INDICATORS:
            share = 1 / (1 + np.exp(-(1.5 + 0.8 * s.quality + rng.normal(0, 0.6))))
            score = float(np.round(share * INDICATOR_MAX * 2) / 2)
            level = "A" if score >= 0.85 * INDICATOR_MAX else ("B" if score >= 0.7 * INDICATOR_MAX else "C")
            rows.append((s.school_code, ind_id, ind, level, score, INDICATOR_MAX, rater))
    return pd.DataFrame(rows, columns=list(office.RATINGS.columns))


# ---- the whole district ---------------------------------------------------------------------
def check_terms(terms) -> list[Term]:
    parsed = sorted(parse_term(t) for t in terms)
    if not parsed:
        raise ValueError("至少需要一个学期")
    if len({t.year for t in parsed}) != 1 or len(set(parsed)) != len(parsed):
        raise ValueError("样例生成器只支持同一学年内的学期（如 2023-1,2023-2）")
    return parsed


def build_district(schools: int = 40, seed: int = 2023, terms=("2023-1", "2023-2")) -> District:
    """The whole district in memory (nothing written)."""
    from tqa.devtools.sample.items import build_item_scores, item_spec  # items draws with key_rng from this module

    parsed = check_terms(terms)
    year = parsed[0].year
    sch = build_schools(schools, seed)
    dist = District(
        seed=seed, terms=tuple(t.name for t in parsed), schools=sch, exam_spec=exam_spec(), item_spec=item_spec()
    )
    first = build_students(sch, seed, year)
    staff = build_staff(first, sch, seed)
    plantable = len(sch) >= plants.MIN_SCHOOLS
    movements = plantable and f"{year}-1" in dist.terms  # leavers and arrivals need last term's returns
    used = set(sch.loc[sch["weak_fitness"] | sch["heavy_homework"], "school_code"])  # one plant per school
    for sem in (1, 2):
        name = f"{year}-{sem}"
        if sem == 1:
            studs, events = first, []
        else:
            studs, events = next_term_students(first, sch, seed, year)
        if name not in dist.terms:
            continue
        planted = plants.existing_plants(sch, staff, name)
        if sem == 2 and movements:
            studs, planted_students = plant_students(first, studs, events, seed, name, year, used)
            planted += planted_students
        dist.students[name] = studs
        dist.scores[name] = build_scores(studs, sch, seed, name)
        dist.fitness[name] = build_fitness(studs, sch, seed, name)
        dist.survey[name] = build_survey(studs, sch, seed, name)
        dist.routine[name] = build_routine(staff, seed, name)
        dist.enrolment[name] = build_enrolment(studs, sch, seed, name, events)
        dist.ratings[name] = build_ratings(sch, seed, name)
        dist.items[name] = build_item_scores(dist.scores[name], seed, name)
        if sem == 2 and plantable:
            planted += plant_tables(dist, name, used)
        dist.plants[name] = planted
    return dist


def plant_students(first, studs, events, seed, term, year, used):
    """Spring term: students who left without a reported reason, students who arrived without one."""
    studs, leavers = plants.plant_unexplained_leavers(
        first, studs, events, key_rng(seed, "plant", "unexplained_leaver"), term, used
    )
    studs, arrivals = plants.plant_unreported_arrivals(
        first, studs, events, key_rng(seed, "plant", "unreported_arrival"), term, year, used
    )
    return studs, leavers + arrivals


def plant_tables(d: District, term: str, used: set[str]) -> list:
    """Spring term: the planted cases of the enrolment block, fitness, survey and routine tables."""

    def rng(kind):
        return key_rng(d.seed, "plant", kind)

    out = plants.plant_roll_mismatch(d.enrolment[term], d.students[term], rng("roll_mismatch"), term, used)
    d.fitness[term], found = plants.plant_fitness_low_coverage(d.fitness[term], rng("fitness_coverage"), term, used)
    out += found
    out += plants.plant_fitness_all_sixty(d.fitness[term], rng("fitness_all_sixty"), term, used)
    out += plants.plant_fitness_none_below_sixty(d.fitness[term], rng("fitness_none_below"), term, used)
    d.survey[term], found = plants.plant_survey_low_response(d.survey[term], rng("survey_response"), term, used)
    out += found
    out += plants.plant_survey_identical(d.survey[term], rng("survey_identical"), term, used)
    out += plants.plant_survey_impossible(d.survey[term], rng("survey_impossible"), term, used)
    out += plants.plant_routine_rows(d.routine[term], rng("routine"), term, used)
    return out
