"""Each school's return as sheets of cell values, and the defects injected into messy returns.

A sheet is rows above the header (an info block or title rows), the header, and body rows. Each
body row carries the defects injected into it, so a defect's Excel row is known only when the
layout is final (title rows, blank rows and duplicates shift rows).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from tqa.core import vocabulary as vocab
from tqa.core.terms import parse_term
from tqa.devtools.sample import names
from tqa.devtools.sample.model import District, key_rng, subjects_for_grades
from tqa.schema import sheets

KINDS = (
    "header_alias",
    "columns_reordered",
    "title_rows",
    "fullwidth_digits",
    "score_with_unit",
    "marker_variant",
    "blank_rows",
    "total_row",
    "school_name_listed_variant",
    "school_name_unlisted_variant",
    "duplicate_row",
    "impossible_score",
    "not_submitted",
    "student_in_two_schools",
    "item_label_variant",
)


@dataclass(frozen=True)
class Defect:
    term: str
    school_code: str
    sheet: str | None
    excel_row: int | None  # 1-based as Excel shows it; None for a whole-file defect or a school-level plant
    kind: str  # one of KINDS, or of PLANT_KINDS (tqa.devtools.sample.plants)
    detail: str  # Chinese, what was done
    column: str | None = None  # header text as written in the file
    value: str | None = None  # the cell as written

    def as_dict(self) -> dict:
        return asdict(self)


class Row:
    __slots__ = ("cells", "marks")

    def __init__(self, cells, marks=None):
        self.cells = cells
        self.marks = marks  # list of (kind, detail, column, value) or None


@dataclass
class Sheet:
    name: str
    header: list
    body: list  # of Row
    pre: list = field(default_factory=list)  # rows above the header (lists of cells)
    pre_marks: dict = field(default_factory=dict)  # index in pre -> [(kind, detail, column, value)]
    header_marks: list = field(default_factory=list)
    sheet_marks: list = field(default_factory=list)  # planted cases of the whole sheet (no row)
    merges: list = field(default_factory=list)  # e.g. "A1:J1"
    renames: dict = field(default_factory=dict)  # canonical header -> header as written

    def rename(self, canonical: str, written: str) -> None:
        self.header[self.col(canonical)] = written
        self.renames[canonical] = written

    @property
    def header_row(self) -> int:
        return len(self.pre) + 1

    def col(self, header: str) -> int:
        return self.header.index(header)

    def rows(self):
        """All rows as lists of cells, top to bottom."""
        yield from self.pre
        yield self.header
        for r in self.body:
            yield r.cells

    def defects(self, term: str, code: str) -> list[Defect]:
        out = []
        for i, marks in sorted(self.pre_marks.items()):
            out += [Defect(term, code, self.name, i + 1, *m) for m in marks]
        out += [Defect(term, code, self.name, self.header_row, *m) for m in self.header_marks]
        out += [Defect(term, code, self.name, None, *m) for m in self.sheet_marks]
        base = self.header_row + 1
        for i, r in enumerate(self.body):
            for kind, detail, column, value in r.marks or ():
                # a cell defect names its column as the file's header shows it
                out.append(
                    Defect(term, code, self.name, base + i, kind, detail, self.renames.get(column, column), value)
                )
        return out


@dataclass
class Return:
    term: str
    school_code: str
    sheets: list  # of Sheet, in sheets.REQUIRED_SHEETS order, then the optional 小题得分
    submitted: bool = True
    file_defects: list = field(default_factory=list)  # Defect without a sheet (not_submitted)

    def sheet(self, name: str) -> Sheet:
        return next(s for s in self.sheets if s.name == name)

    def has_sheet(self, name: str) -> bool:
        return any(s.name == name for s in self.sheets)

    def defects(self) -> list[Defect]:
        out = list(self.file_defects)
        for s in self.sheets:
            out += s.defects(self.term, self.school_code)
        return out


# ---- clean returns -------------------------------------------------------------------------
def _rows(frame: pd.DataFrame) -> list[Row]:
    return [Row(cells) for cells in frame.to_numpy(dtype=object).tolist()]


def _grade_labels(s: pd.Series) -> pd.Series:
    return s.map(vocab.GRADE_LABELS).astype(object)


def item_label_key(label: str) -> tuple[int, int]:
    """Paper order of an item label: "13" < "13(1)" < "13(2)" < "14"."""
    main, _, sub = label.partition("(")
    return int(main), int(sub.rstrip(")") or 0)


def items_sheets(papers: dict) -> dict[str, Sheet]:
    """Each school's 小题得分 sheet (schools without a paper with item scores have none): one row per
    student and paper; the header is the union of the school's papers' item labels, a paper's other items
    left blank. Rows are converted once per paper (per-school pandas slicing is slow on 300 schools)."""
    fixed = ["school_code", *sheets.ITEMS.columns]
    by_school: dict[str, list[tuple[list[str], list]]] = {}
    for w in papers.values():
        labels = [c for c in w.columns if c not in fixed]
        w = w.assign(grade=_grade_labels(w["grade"]))
        codes = w["school_code"].to_numpy()
        rows = w[[*sheets.ITEMS.columns, *labels]].to_numpy(dtype=object).tolist()
        for code, row in zip(codes, rows):
            entry = by_school.setdefault(code, [])
            if not entry or entry[-1][0] is not labels:
                entry.append((labels, []))
            entry[-1][1].append(row)
    out = {}
    for code, blocks in by_school.items():
        union = sorted({lab for labels, _ in blocks for lab in labels}, key=item_label_key)
        pos = {lab: i for i, lab in enumerate(union)}
        body = []
        for labels, rows in blocks:
            where = [pos[lab] for lab in labels]
            for row in rows:
                cells = list(row[:3]) + [None] * len(union)
                for j, v in zip(where, row[3:]):
                    cells[3 + j] = v
                body.append(Row(cells))
        out[code] = Sheet(sheets.ITEMS.name, [*sheets.ITEMS.columns.values(), *union], body)
    return out


def clean_returns(d: District, term: str) -> dict[str, Return]:
    """Canonical returns for every registered school, keyed by school code."""
    label = parse_term(term).label
    out = {}
    by = {
        name: tab.groupby("school_code", sort=True)
        for name, tab in (
            ("scores", d.scores[term]),
            ("fitness", d.fitness[term]),
            ("survey", d.survey[term]),
            ("routine", d.routine[term]),
            ("enrolment", d.enrolment[term]),
        )
    }
    item_sheets = items_sheets(d.items.get(term, {}))
    rng = key_rng(d.seed, "contacts")
    fillers = names.person_names(len(d.schools), rng)
    phones = rng.integers(1000000, 9999999, len(d.schools))
    for i, s in enumerate(d.schools.itertuples()):
        code = s.school_code
        grades = vocab.GRADES_BY_TYPE[s.school_type]
        enr = by["enrolment"].get_group(code).copy()
        enr["grade"] = _grade_labels(enr["grade"])
        info = Sheet(
            sheets.INFO.name,
            list(sheets.INFO.columns.values()),
            _rows(enr[list(sheets.INFO.columns)]),
            pre=[
                [sheets.INFO_LABELS["school_code"], code],
                [sheets.INFO_LABELS["school_name"], s.school_name],
                [sheets.INFO_LABELS["term"], label],
                [sheets.INFO_LABELS["filled_by"], str(fillers[i])],
                [sheets.INFO_LABELS["phone"], f"0599-{phones[i]}"],
                [],
            ],
        )
        subjects = subjects_for_grades(grades)
        sc = by["scores"].get_group(code).copy()
        sc["grade"] = _grade_labels(sc["grade"])
        scores = Sheet(
            sheets.SCORES.name,
            [*sheets.SCORES.columns.values(), *subjects],
            _rows(sc[[*sheets.SCORES.columns, *subjects]]),
        )
        fit = by["fitness"].get_group(code).copy()
        fit["grade"] = _grade_labels(fit["grade"])
        fitness = Sheet(
            sheets.FITNESS.name, list(sheets.FITNESS.columns.values()), _rows(fit[list(sheets.FITNESS.columns)])
        )
        sv = by["survey"].get_group(code).copy()
        sv["grade"] = _grade_labels(sv["grade"])
        survey = Sheet(sheets.SURVEY.name, list(sheets.SURVEY.columns.values()), _rows(sv[list(sheets.SURVEY.columns)]))
        rt = by["routine"].get_group(code)
        routine = Sheet(
            sheets.ROUTINE.name, list(sheets.ROUTINE.columns.values()), _rows(rt[list(sheets.ROUTINE.columns)])
        )
        tabs = [info, scores, fitness, survey, routine]
        if code in item_sheets:
            tabs.append(item_sheets[code])
        out[code] = Return(term, code, tabs)
    for p in d.plants.get(term, ()):
        mark_plant(out[p.school_code].sheet(p.sheet), p)
    return out


def mark_plant(sheet: Sheet, p) -> None:
    """A planted case on its row (found by the sheet's key cell: 学籍号, 姓名 or 年级), or on the whole sheet."""
    if p.row_key is None:
        sheet.sheet_marks.append((p.kind, p.detail, p.column, p.value))
        return
    spec = sheets.SHEETS_BY_NAME[sheet.name]
    j = sheet.col(spec.columns[spec.key])
    row = next(r for r in sheet.body if r.cells[j] == p.row_key)
    _mark(row, p.kind, p.detail, p.column, p.value)


# ---- messiness -----------------------------------------------------------------------------
_FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")
_ABSENT_WRITTEN = ("缺", "缺 考", "（缺考）", "缺席", "Q")
_EXEMPT_WRITTEN = ("免", "免试", "免 考", "(免考)", "M")


def _mark(row: Row, kind, detail, column=None, value=None):
    row.marks = (row.marks or []) + [(kind, detail, column, value)]


def _subject_cols(sheet: Sheet) -> list[str]:
    return [h for h in sheet.header if h not in sheets.SCORES.columns.values()]


def _numeric_cells(sheet: Sheet, rng, k: int, full: int | None = None, integer=False):
    """k (row index, column index) pairs of untouched numeric score cells, seeded."""
    from tqa.devtools.sample.model import SCORE_SUBJECTS

    fulls = {(vocab.GRADE_LABELS[g], s): f for g, ss in SCORE_SUBJECTS.items() for s, f in ss}
    gcol = sheet.col(sheets.SCORES.columns["grade"])
    cand = []
    for j, h in enumerate(sheet.header):
        if h in sheets.SCORES.columns.values():
            continue
        for i, r in enumerate(sheet.body):
            v = r.cells[j]
            if not isinstance(v, (int, float)) or isinstance(v, bool) or r.marks:
                continue
            if integer and v != int(v):
                continue
            if full is not None and fulls.get((r.cells[gcol], h)) != full:
                continue
            cand.append((i, j))
    if not cand:
        return []
    pick = rng.choice(len(cand), size=min(k, len(cand)), replace=False)
    return [cand[p] for p in sorted(pick)]


def inject_header_alias(ret: Return, rng, **_):
    sc = ret.sheet(sheets.SCORES.name)
    for key, alias in (("student_id", "学籍号"), ("class_no", "班")):
        sc.rename(sheets.SCORES.columns[key], alias)
        sc.header_marks.append(
            ("header_alias", f"表头“{sheets.SCORES.columns[key]}”写成“{alias}”", alias, sheets.SCORES.columns[key])
        )
    fit = ret.sheet(sheets.FITNESS.name)
    fit.rename(sheets.FITNESS.columns["total_score"], "体测总分")
    fit.header_marks.append(("header_alias", "表头“学年总分”写成“体测总分”", "体测总分", "学年总分"))
    sv = ret.sheet(sheets.SURVEY.name)
    for key, alias in (("homework_minutes", "日均书面作业时间(分钟)"), ("sleep_hours", "睡眠时间")):
        sv.rename(sheets.SURVEY.columns[key], alias)
        sv.header_marks.append(
            ("header_alias", f"表头“{sheets.SURVEY.columns[key]}”写成“{alias}”", alias, sheets.SURVEY.columns[key])
        )


def _permute(sheet: Sheet, order: list[int]):
    sheet.header = [sheet.header[j] for j in order]
    for r in sheet.body:
        r.cells = [r.cells[j] for j in order]


def inject_columns_reordered(ret: Return, rng, **_):
    sc = ret.sheet(sheets.SCORES.name)
    h = sc.header
    ids = list(sheets.SCORES.columns.values())
    # 班级 and 年级 swapped, 性别 right after 姓名 already; subjects reversed.
    front = [h.index(x) for x in (ids[0], ids[1], ids[4], ids[3], ids[2])]
    subj = [j for j in range(len(h)) if h[j] not in ids][::-1]
    _permute(sc, front + subj)
    sc.header_marks.append(("columns_reordered", "列顺序与模板不同：" + "、".join(sc.header), None, None))
    rt = ret.sheet(sheets.ROUTINE.name)
    _permute(rt, [1, 0, 2, 3, 4])
    rt.header_marks.append(("columns_reordered", "列顺序与模板不同：" + "、".join(rt.header), None, None))


def inject_title_rows(ret: Return, rng, school_name: str, **_):
    sc = ret.sheet(sheets.SCORES.name)
    label = parse_term(ret.term).label
    title = f"{school_name}{label}期末成绩统计表"
    last = _col_letter(len(sc.header))
    sc.pre = [[title] + [None] * (len(sc.header) - 1), [f"填报单位：{school_name}", None, None, "单位：分"]]
    sc.merges.append(f"A1:{last}1")
    sc.header_marks.append(("title_rows", f"表头上方有 2 行标题（A1:{last}1 合并单元格），表头在第 3 行", None, title))


def _col_letter(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def inject_fullwidth_digits(ret: Return, rng, **_):
    sc = ret.sheet(sheets.SCORES.name)
    for i, j in _numeric_cells(sc, rng, 2, integer=True):
        v = str(int(sc.body[i].cells[j])).translate(_FULLWIDTH)
        sc.body[i].cells[j] = v
        _mark(sc.body[i], "fullwidth_digits", f"分数写成全角数字“{v}”", sc.header[j], v)
    fit = ret.sheet(sheets.FITNESS.name)
    j = fit.col(sheets.FITNESS.columns["total_score"])
    i = int(rng.integers(0, len(fit.body)))
    v = f"{fit.body[i].cells[j]:.1f}".translate(_FULLWIDTH)
    fit.body[i].cells[j] = v
    _mark(fit.body[i], "fullwidth_digits", f"学年总分写成全角数字“{v}”", fit.header[j], v)


def inject_score_with_unit(ret: Return, rng, **_):
    sc = ret.sheet(sheets.SCORES.name)
    for i, j in _numeric_cells(sc, rng, 2):
        v = f"{sc.body[i].cells[j]}分"
        sc.body[i].cells[j] = v
        _mark(sc.body[i], "score_with_unit", f"分数后带“分”字：“{v}”", sc.header[j], v)


def inject_marker_variant(ret: Return, rng, **_):
    sc = ret.sheet(sheets.SCORES.name)
    cells = [
        (i, j)
        for i, r in enumerate(sc.body)
        if not r.marks
        for j, v in enumerate(r.cells)
        if v in (vocab.ABSENT, vocab.EXEMPT)
    ]
    if len(cells) < 3:  # a small school may have no absentee: make some
        for i, j in _numeric_cells(sc, rng, 3 - len(cells)):
            sc.body[i].cells[j] = vocab.ABSENT
            cells.append((i, j))
    pick = [cells[p] for p in sorted(rng.choice(len(cells), size=min(4, len(cells)), replace=False))]
    for n, (i, j) in enumerate(pick):
        was = sc.body[i].cells[j]
        absent = was != vocab.EXEMPT
        pool = _ABSENT_WRITTEN if absent else _EXEMPT_WRITTEN
        v = pool[n % len(pool)]
        sc.body[i].cells[j] = v
        what = "缺考" if absent else "免考"
        _mark(sc.body[i], "marker_variant", f"{what}写成“{v}”", sc.header[j], v)


def inject_blank_rows(ret: Return, rng, **_):
    for name, k in ((sheets.SCORES.name, 2), (sheets.FITNESS.name, 1)):
        sh = ret.sheet(name)
        at = len(sh.body) // 2
        for _ in range(k):
            r = Row([None] * len(sh.header))
            _mark(r, "blank_rows", "表格中间有空行")
            sh.body.insert(at, r)


def inject_total_row(ret: Return, rng, **_):
    sc = ret.sheet(sheets.SCORES.name)
    cells = [None] * len(sc.header)
    cells[0] = "合计"
    cells[1] = f"共{len(sc.body)}人"
    for j in range(len(sc.header)):
        if sc.header[j] in sheets.SCORES.columns.values():
            continue
        vals = [r.cells[j] for r in sc.body if isinstance(r.cells[j], (int, float))]
        if vals:
            cells[j] = round(float(np.mean(vals)), 1)
    r = Row(cells)
    _mark(r, "total_row", "表格末尾有“合计”行", sc.header[0], "合计")
    sc.body.append(r)


def inject_duplicate_row(ret: Return, rng, **_):
    sc = ret.sheet(sheets.SCORES.name)
    i = int(rng.integers(0, len(sc.body)))
    while sc.body[i].marks or sc.body[i].cells[0] is None:
        i = (i + 1) % len(sc.body)
    dup = Row(list(sc.body[i].cells))
    _mark(dup, "duplicate_row", f"学生 {dup.cells[0]} 的整行重复出现（与上一行相同）", sc.header[0], str(dup.cells[0]))
    sc.body.insert(i + 1, dup)


def inject_impossible_score(ret: Return, rng, **_):
    sc = ret.sheet(sheets.SCORES.name)
    ((i, j),) = _numeric_cells(sc, rng, 1, full=100)
    sc.body[i].cells[j] = 150
    _mark(sc.body[i], "impossible_score", f"{sc.header[j]}满分 100，填了 150", sc.header[j], "150")


def inject_school_name(ret: Return, rng, name_written: str, listed: bool, registry_name: str, **_):
    info = ret.sheet(sheets.INFO.name)
    info.pre[1] = [info.pre[1][0], name_written]
    kind = "school_name_listed_variant" if listed else "school_name_unlisted_variant"
    note = "（登记表“曾用名或简称”中有）" if listed else "（登记表中没有这个写法）"
    info.pre_marks.setdefault(1, []).append(
        (
            kind,
            f"学校名称写成“{name_written}”，登记名为“{registry_name}”{note}",
            sheets.INFO_LABELS["school_name"],
            name_written,
        )
    )


def inject_foreign_student(ret: Return, rng, other: Return, **_):
    """A student of `other` school also listed in this school's 学业成绩."""
    mine, theirs = ret.sheet(sheets.SCORES.name), other.sheet(sheets.SCORES.name)
    gcol_m, gcol_t = mine.col(sheets.SCORES.columns["grade"]), theirs.col(sheets.SCORES.columns["grade"])
    my_grades = {r.cells[gcol_m] for r in mine.body}
    cand = [
        r
        for r in theirs.body
        if r.cells[gcol_t] in my_grades and not r.marks and any(isinstance(v, (int, float)) for v in r.cells[5:])
    ]
    src = cand[int(rng.integers(0, len(cand)))]
    # Same grade; placed at the end of that grade's block, in class 1, under this sheet's column order.
    by_header = dict(zip(theirs.header, src.cells))
    cells = [by_header.get(h) for h in mine.header]
    cells[mine.col(sheets.SCORES.columns["class_no"])] = 1
    at = max(i for i, r in enumerate(mine.body) if r.cells[gcol_m] == src.cells[gcol_t]) + 1
    row = Row(cells)
    _mark(
        row,
        "student_in_two_schools",
        f"学籍号 {cells[0]} 同时出现在学校 {other.school_code} 的学业成绩中",
        mine.header[0],
        str(cells[0]),
    )
    mine.body.insert(at, row)


_ITEM_LABELS_WRITTEN = {"1": "第1题", "2": "第２题"}


def inject_item_label_variant(ret: Return, rng, **_):
    """小题得分: item labels written as 第1题 / 第２题, and two scores in full-width digits."""
    sh = ret.sheet(sheets.ITEMS.name)
    for label, written in _ITEM_LABELS_WRITTEN.items():
        if label in sh.header:
            sh.rename(label, written)
            sh.header_marks.append(("item_label_variant", f"题号“{label}”写成“{written}”", written, label))
    fixed = set(sheets.ITEMS.columns.values())
    cand = [
        (i, j)
        for i, r in enumerate(sh.body)
        if not r.marks
        for j, v in enumerate(r.cells)
        if sh.header[j] not in fixed and isinstance(v, int) and not isinstance(v, bool)
    ]
    for p in sorted(rng.choice(len(cand), size=min(2, len(cand)), replace=False)):
        i, j = cand[p]
        v = str(sh.body[i].cells[j]).translate(_FULLWIDTH)
        sh.body[i].cells[j] = v
        _mark(sh.body[i], "fullwidth_digits", f"小题得分写成全角数字“{v}”", sh.header[j], v)


def _unlisted_variant(name: str) -> str:
    """A close but unregistered way of writing a school name (never one of the registry's variants)."""
    return name + "（本部）"


# kinds applied to returns, in this order (structure changes after cell edits).
_CELL_KINDS = ("fullwidth_digits", "score_with_unit", "marker_variant", "impossible_score")
_STRUCT_KINDS = (
    "duplicate_row",
    "columns_reordered",
    "header_alias",
    "blank_rows",
    "total_row",
    "title_rows",
    "item_label_variant",
)
_INJECT = {
    "header_alias": inject_header_alias,
    "columns_reordered": inject_columns_reordered,
    "title_rows": inject_title_rows,
    "fullwidth_digits": inject_fullwidth_digits,
    "score_with_unit": inject_score_with_unit,
    "marker_variant": inject_marker_variant,
    "blank_rows": inject_blank_rows,
    "total_row": inject_total_row,
    "duplicate_row": inject_duplicate_row,
    "impossible_score": inject_impossible_score,
    "item_label_variant": inject_item_label_variant,
}
# A few defects in the autumn term too.
_AUTUMN_KINDS = ("header_alias", "fullwidth_digits", "marker_variant", "title_rows")


def _overlap(d_sch, a: str, b: str) -> bool:
    ga = set(vocab.GRADES_BY_TYPE[d_sch.at[a, "school_type"]])
    return bool(ga & set(vocab.GRADES_BY_TYPE[d_sch.at[b, "school_type"]]))


def make_messy(returns: dict[str, Return], d: District, term: str) -> None:
    """Inject the defects into the returns of one term, in place (deterministic choice of schools)."""
    rng = key_rng(d.seed, "messy", term)
    sch = d.schools.set_index("school_code")
    codes = list(returns)
    kinds = list(KINDS) if parse_term(term).semester == 2 else list(_AUTUMN_KINDS)
    perm = [codes[i] for i in rng.permutation(len(codes))]
    listed_school = None
    if "school_name_listed_variant" in kinds:
        listed_school = next(c for c in perm if sch.at[c, "name_variants"])
    rest = [c for c in perm if c != listed_school]
    submitting = list(perm)
    if "not_submitted" in kinds and len(codes) >= 3:
        # The absent school must leave a pair of schools sharing a grade (for the shared 学籍号).
        # ... and preferably is a school without a planted case (in a small district every school has one)
        planted = {p.school_code for p in d.plants.get(term, ())}
        gone = next(
            c
            for c in [c for c in rest if c not in planted] + [c for c in rest if c in planted]
            if any(_overlap(sch, a, b) for a in submitting if a != c for b in submitting if b not in (a, c))
        )
        rest.remove(gone)
        submitting.remove(gone)
        returns[gone].submitted = False
        returns[gone].file_defects.append(
            Defect(term, gone, None, None, "not_submitted", f"学校 {gone} {sch.at[gone, 'school_name']} 本学期未报送")
        )
    cycle = rest + ([listed_school] if listed_school else [])
    plan: dict[str, list] = {}
    for n, k in enumerate(k for k in kinds if k not in ("not_submitted", "school_name_listed_variant")):
        code = cycle[n % len(cycle)]
        if k == "student_in_two_schools":  # needs a partner school with a common grade
            start = n % len(cycle)
            code = next(
                (c for c in cycle[start:] + cycle[:start] if any(_overlap(sch, c, o) for o in submitting if o != c)),
                None,
            )
            if code is None:  # e.g. a primary and a junior school only: no grade in common
                continue
        if k == "item_label_variant":  # needs a school with a 小题得分 sheet
            start = n % len(cycle)
            code = next((c for c in cycle[start:] + cycle[:start] if returns[c].has_sheet(sheets.ITEMS.name)), None)
            if code is None:
                continue
        if k == "school_name_unlisted_variant" and code == listed_school:  # one name per school
            code = next((c for c in cycle if c != listed_school), None)
            if code is None:
                continue
        plan.setdefault(code, []).append(k)
    if listed_school:
        plan.setdefault(listed_school, []).append("school_name_listed_variant")
    # Pass 1: shared students, while every sheet still has the canonical layout.
    for code in codes:
        if "student_in_two_schools" in plan.get(code, ()):
            partner = next(o for o in perm if o != code and o in submitting and _overlap(sch, code, o))
            inject_foreign_student(returns[code], key_rng(d.seed, "defect", term, code, "shared"), returns[partner])
    # Pass 2: cell edits, then structural changes, then the school name.
    for code in codes:
        todo = plan.get(code, [])
        seq = (
            [k for k in _CELL_KINDS if k in todo]
            + [k for k in _STRUCT_KINDS if k in todo]
            + [k for k in todo if k.startswith("school_name")]
        )
        name = sch.at[code, "school_name"]
        for k in seq:
            krng = key_rng(d.seed, "defect", term, code, k)
            if k == "school_name_listed_variant":
                inject_school_name(returns[code], krng, str(sch.at[code, "name_variants"]).split("|")[0], True, name)
            elif k == "school_name_unlisted_variant":
                inject_school_name(returns[code], krng, _unlisted_variant(name), False, name)
            elif k != "student_in_two_schools":
                _INJECT[k](returns[code], krng, school_name=name)
