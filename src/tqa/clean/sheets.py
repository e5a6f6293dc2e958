"""Cleaning one sheet of one return: grid in, clean records + rejected rows + issues out.

Row contract: every non-empty row below a sheet's header becomes exactly one clean row or one
rejected row (with a Chinese reason); `SheetOut.nonempty == clean + len(rejected)` is asserted.

Records are tuples in the column order of their table's spec (`tqa.schema.tables`), not dicts: a term
has about 1.3 million of them (one per score and item cell), and tuples are much cheaper to build,
to send back from a worker process and to turn into columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache, partial

from tqa.clean import studentid
from tqa.clean.headers import HeaderMap, col_letter, find_header_row, map_header
from tqa.clean.reader import Grid
from tqa.core import normalize as nz
from tqa.core import vocabulary as vocab
from tqa.core.issues import ACT_FIXED, ACT_IGNORED, ACT_KEPT, ACT_SKIPPED, ACT_UNLINKED, FIXED, WARNING, Issue
from tqa.schema import sheets

# What cleaning does about a problem; the actions that keep the data are tqa.core.issues's (KEEPS_DATA).
ACT_DROP_ROW = "已剔除该行"
ACT_DROP_CELL = "该值不纳入统计"
ACT_NO_DATA = "该校此表无数据"

TOTAL_KEYS = {nz.squash(m) for m in vocab.TOTAL_ROW_MARKERS}
# 学校信息 key/value block: any accepted label -> its key.
_INFO_INDEX = {nz.squash(label): k.name for k in sheets.INFO_KEYS for label in (k.label, *k.aliases)}


@dataclass
class Ctx:
    """Where we are (school, file) and the issue list being filled."""

    school_code: str
    school_name: str | None
    source_file: str
    issues: list[Issue] = field(default_factory=list)
    school_year: int | None = None  # the term folder's school year (2023 for 2023-2): 学籍号 dates of birth
    # The longest text of a cell kept in a table or quoted in a message (params: cleaning.max_text_length;
    # None: no limit, for a caller cleaning one file by hand).
    max_text: int | None = None
    # sheet -> {(row, col), 0-based: formula} of the formula cells saved without a value (tqa.clean.xmlscan)
    uncalculated: dict[str, dict] = field(default_factory=dict)

    def clip(self, text: str) -> str:
        return nz.clip(text, self.max_text)

    def capped(self, sheet, row, column, text: str) -> str:
        """A cell's text as a clean table keeps it: cut to max_text characters, with a warning."""
        limit = self.max_text
        if limit is None or len(text) <= limit:
            return text
        self.add(
            WARNING,
            "long_text",
            sheet,
            row,
            column,
            text,
            f"单元格文字过长（{len(text)} 字），只保留前 {limit} 字",
            ACT_KEPT,
        )
        return text[:limit]

    def add(self, severity, rule, sheet, row, column, value, message, action):
        limit = self.max_text
        if limit is not None:  # a hostile cell or header never reaches a message or a workbook in full
            for text in (value, column):
                if isinstance(text, str) and len(text) > limit:
                    message = message.replace(text, nz.clip(text, limit))
            value = nz.clip(value, limit) if isinstance(value, str) else value
            column = nz.clip(column, limit) if isinstance(column, str) else column
        self.issues.append(
            Issue(
                stage="clean",
                severity=severity,
                rule=rule,
                school_code=self.school_code,
                sheet=sheet,
                excel_row=row,
                column=column,
                value=value,
                message=message,
                action=action,
                school_name=self.school_name,
            )
        )


@dataclass
class SheetOut:
    """Record tuples in their table's column order (see the module docstring)."""

    sheet: str
    records: list[tuple] = field(default_factory=list)  # rows of the sheet's own table (its spec's .table)
    scores: list[tuple] = field(default_factory=list)  # 学业成绩 only
    items: list[tuple] = field(default_factory=list)  # 小题得分 only: one record per item score
    meta_rows: int = 0  # 学校信息 key/value rows (clean rows of the sheet, landing in `returns`)
    item_rows: int = 0  # 小题得分 rows read (a row of blank / 缺考 cells gives no item record)
    rejected: list[tuple] = field(default_factory=list)
    nonempty: int = 0

    @property
    def clean(self) -> int:
        return len(self.records) + self.meta_rows + self.item_rows

    def accounting(self, school_code: str) -> tuple:
        assert self.nonempty == self.clean + len(self.rejected), (school_code, self.sheet)
        return (school_code, self.sheet, self.nonempty, self.clean, len(self.rejected))

    def reject(self, ctx: Ctx, excel_row: int, reason: str, raw: str, value: str | None = None) -> None:
        """`value`: the cell the reason quotes (quoted cut to max_text characters)."""
        if value and ctx.max_text is not None and len(value) > ctx.max_text:
            reason = reason.replace(value, ctx.clip(value))
        self.rejected.append((ctx.school_code, self.sheet, excel_row, ctx.source_file, reason, raw))


@dataclass(frozen=True)
class ExamSpec:
    """grade -> subject -> (mode, full_marks), from office/exam_spec.csv."""

    by_grade: dict[int, dict[str, tuple[str, float]]]

    @classmethod
    def from_frame(cls, exam_spec) -> ExamSpec:
        """From ``tqa.io.office.read_exam_spec`` (a subject listed twice for a grade: the later row; the checks
        block such a spec)."""
        by_grade: dict[int, dict[str, tuple[str, float]]] = {}
        for grade, subject, full, mode in exam_spec[["grade", "subject", "full_marks", "mode"]].itertuples(
            index=False, name=None
        ):
            by_grade.setdefault(int(grade), {})[subject] = (mode, None if full != full else float(full))
        return cls(by_grade)

    @cached_property  # asked for on every 小题得分 row
    def subjects(self) -> tuple[str, ...]:
        return tuple(sorted({s for subs in self.by_grade.values() for s in subs}))


# ---- small helpers ------------------------------------------------------------------------
def _num(v: float | None) -> str:
    return "" if v is None else (str(int(v)) if float(v).is_integer() else str(v))


def first_filled(row: list) -> int:
    """Index of the row's first non-blank cell, -1 for a blank row. One plain loop (it runs on every
    row, and the first cell is nearly always filled): the same test as nz.is_blank, inlined."""
    for i, c in enumerate(row):
        if c is not None and not (isinstance(c, str) and c.strip() == ""):
            return i
    return -1


def is_blank_row(row: list) -> bool:
    return first_filled(row) < 0


def first_cell(row: list):
    i = first_filled(row)
    return row[i] if i >= 0 else None


_TOTAL_FIRST_CHARS = {k[0] for k in TOTAL_KEYS}


def is_total_cell(first) -> bool:
    """Whether a row whose first non-blank cell is `first` is a 合计 row."""
    if not isinstance(first, str) or first.lstrip()[:1] not in _TOTAL_FIRST_CHARS:
        return False  # cheap pre-test: this runs on every row
    return nz.squash(first).rstrip(":") in TOTAL_KEYS


def raw_values(row: list, texts: dict[int, str] | None = None, limit: int | None = None) -> str:
    """A rejected row as text a person can match to the sheet: 姓名=张三 | 数学=85 (each text cut to `limit`)."""
    texts = texts or {}
    return " | ".join(
        f"{nz.clip(texts.get(c) or col_letter(c), limit)}={nz.clip(nz.cell_text(v), limit)}"
        for c, v in enumerate(row)
        if not nz.is_blank(v)
    )


def row_signature(row: list) -> tuple:
    """The row's raw cells without trailing empties: equal signatures mean identical rows."""
    end = len(row)
    while end and nz.is_blank(row[end - 1]):
        end -= 1
    return tuple(None if nz.is_blank(c) else c for c in row[:end])


# Each normalisation applied to a cell: its rule name and message ({text}: the cell as written,
# {value}: what it was read as).
FIX_MESSAGES = {
    nz.FIX_FULLWIDTH: ("fullwidth_digits", "全角数字“{text}”已按 {value} 读取"),
    nz.FIX_UNIT: ("unit_suffix", "数值“{text}”带有单位，已按 {value} 读取"),
    nz.FIX_ABSENT_VARIANT: ("absent_variant", "缺考写作“{text}”，已按“" + vocab.ABSENT + "”处理"),
    nz.FIX_EXEMPT_VARIANT: ("exempt_variant", "免考写作“{text}”，已按“" + vocab.EXEMPT + "”处理"),
    nz.FIX_LEVEL_VARIANT: ("level_variant", "等级写作“{text}”，已按“{value}”处理"),
}


def report_fixes(ctx: Ctx, sheet: str, row: int, column: str, raw, fixes, value_text: str) -> None:
    """One `fixed` issue per normalisation applied to a cell."""
    text = nz.cell_text(raw)
    for fix in fixes:
        if fix in FIX_MESSAGES:
            rule, message = FIX_MESSAGES[fix]
            ctx.add(FIXED, rule, sheet, row, column, text, message.format(text=text, value=value_text), ACT_FIXED)


class Reject(Exception):
    """Raised by a row builder: the row goes to `rejected` with this reason."""

    def __init__(self, reason: str, rule: str, column: str | None = None, value: str | None = None):
        super().__init__(reason)
        self.reason, self.rule, self.column, self.value = reason, rule, column, value


# ---- the row walk shared by every tabular sheet --------------------------------------------
@dataclass
class RowCtx:
    """The row being built. One per sheet, moved from row to row by walk_rows (set `row` and
    `excel_row`); labels and issue texts are only worked out when a cell has something to report."""

    ctx: Ctx
    sheet: str
    hm: HeaderMap
    cols: dict  # clean field -> column index
    excel_row: int = 0
    row: list = field(default_factory=list)

    def raw(self, name: str):
        """The row's cell for a clean field (None when the sheet lacks the column or the row is short)."""
        col = self.cols.get(name)
        return self.row[col] if col is not None and col < len(self.row) else None

    def head(self) -> tuple:
        """(school_code, sheet, excel_row): the first columns of every clean record."""
        return (self.ctx.school_code, self.sheet, self.excel_row)

    def label(self, name: str) -> str:
        col = self.cols.get(name)
        return self.hm.label(col) if col is not None else sheets.SHEETS_BY_NAME[self.sheet].columns[name]

    def number(self, name: str, units=(), integer=False, required_reason: str | None = None):
        """A numeric field: fixes reported; unreadable -> None with a warning (or Reject when required)."""
        raw = self.raw(name)
        p = (nz.parse_int if integer else nz.parse_number)(raw, units)
        if p.value is None:
            label = self.label(name)
            if required_reason is not None:
                why = f"{label}为空" if p.blank else f"{label}“{nz.cell_text(raw)}”无法识别"
                if raw is None and (self.excel_row - 1, self.cols.get(name)) in self.ctx.uncalculated.get(
                    self.sheet, ()
                ):
                    why = f"{label}是公式，但文件中没有计算结果"
                raise Reject(f"{why}，{required_reason}", "no_value", label, nz.cell_text(raw))
            if not p.blank:
                self.ctx.add(
                    WARNING,
                    "unreadable_value",
                    self.sheet,
                    self.excel_row,
                    label,
                    nz.cell_text(raw),
                    # a count such as 转入 "2.5" is a number, just not a whole one: say so
                    f"{label}“{nz.cell_text(raw)}”"
                    + ("应为整数" if integer and nz.parse_number(raw, units).value is not None else "无法识别为数值"),
                    ACT_DROP_CELL,
                )
            return None
        if p.fixes:
            report_fixes(self.ctx, self.sheet, self.excel_row, self.label(name), raw, p.fixes, _num(p.value))
        return p.value

    def grade(self) -> int:
        raw = self.raw("grade")
        grade, fixes = nz.normalize_grade(raw)
        if grade is None:
            label = self.label("grade")
            why = f"{label}为空" if nz.is_blank(raw) else f"{label}“{nz.cell_text(raw)}”无法识别"
            raise Reject(why, "bad_grade", label, nz.cell_text(raw))
        if fixes:
            report_fixes(self.ctx, self.sheet, self.excel_row, self.label("grade"), raw, fixes, str(grade))
        return grade

    def student_id(self) -> str:
        sid = nz.normalize_student_id(self.raw("student_id"))
        if sid is None:
            raise Reject("缺少学籍号", "missing_id", self.label("student_id"), "")
        if self.ctx.max_text is None or len(sid) <= self.ctx.max_text:  # (the label only for a warning)
            return sid
        return self.ctx.capped(self.sheet, self.excel_row, self.label("student_id"), sid)

    def sex(self) -> str | None:
        raw = self.raw("sex")
        sex = nz.normalize_sex(raw)
        if sex is None and "sex" in self.cols:
            label = self.label("sex")
            what = f"{label}为空" if nz.is_blank(raw) else f"{label}“{nz.cell_text(raw)}”无法识别"
            self.ctx.add(
                WARNING,
                "bad_sex",
                self.sheet,
                self.excel_row,
                label,
                nz.cell_text(raw),
                f"{what}，应为“男”或“女”",
                ACT_DROP_CELL,
            )
        return sex

    def text(self, name: str) -> str | None:
        raw = self.raw(name)
        if nz.is_blank(raw):
            return None
        text = nz.cell_text(raw).strip()
        if self.ctx.max_text is None or len(text) <= self.ctx.max_text:  # (the label only for a warning)
            return text
        return self.ctx.capped(self.sheet, self.excel_row, self.label(name), text)


def _filled_below(rows: list[list], hidx: int, cols) -> dict[int, int]:
    """col -> how many non-blank cells it has below the header row (what an ignored column leaves unread)."""
    counts = dict.fromkeys(cols, 0)
    for row in rows[hidx + 1 :]:
        for col in counts:
            if col < len(row) and not nz.is_blank(row[col]):
                counts[col] += 1
    return counts


def _header_issues(ctx: Ctx, sheet: str, hrow: int, hm: HeaderMap, rows: list[list] | None = None) -> None:
    """rows: the sheet's rows, to say how many filled cells an ignored column leaves unread (nothing is lost
    silently: the rows are read, these cells are not)."""
    for col, written, canonical in hm.renamed:
        ctx.add(
            FIXED,
            "header_alias",
            sheet,
            hrow,
            written,
            written,
            f"表头“{written}”（{col_letter(col)} 列）已按“{canonical}”识别",
            ACT_FIXED,
        )
    if hm.reordered:
        order = "、".join(hm.label(c) for c in sorted(hm.columns))
        ctx.add(
            FIXED,
            "columns_reordered",
            sheet,
            hrow,
            None,
            None,
            f"列的顺序与模板不同（{order}），已按表头名称识别",
            ACT_FIXED,
        )
    filled = _filled_below(rows, hrow - 1, [c for c, _ in hm.ignored]) if rows is not None else {}
    for col, written in hm.ignored:
        n = filled.get(col, 0)
        ctx.add(
            WARNING,
            "unknown_column",
            sheet,
            hrow,
            written,
            written,
            f"无法识别的列“{written}”（{col_letter(col)} 列），不属于本表或不是本学期考试学科"
            + (f"，该列 {n} 个非空单元格未读取；如是考试学科，请核对学科名称" if n else ""),
            ACT_IGNORED,
        )
    for col, written, first in hm.duplicated:
        ctx.add(
            WARNING,
            "duplicate_column",
            sheet,
            hrow,
            written,
            written,
            f"列“{written}”（{col_letter(col)} 列）与 {col_letter(first)} 列重复，只读取 {col_letter(first)} 列",
            ACT_IGNORED,
        )
    for canonical in hm.missing:
        layout = sheets.SHEETS_BY_NAME[sheet]
        required = next(f for f in layout.fields if f.header == canonical).required
        ctx.add(
            WARNING,
            "missing_column",
            sheet,
            hrow,
            canonical,
            None,
            f"缺少{'必需的' if required else ''}列“{canonical}”",
            "各行因此无法使用" if required else ACT_KEPT,
        )


def _merged_issues(ctx: Ctx, sheet: Grid, from_row: int) -> None:
    for r0, c0, r1, c1 in sheet.merged:
        if r1 < from_row:
            continue  # merged title cells above the data are normal
        ref = f"{col_letter(c0)}{r0 + 1}:{col_letter(c1)}{r1 + 1}"
        value = nz.cell_text(sheet.rows[r0][c0]) if c0 < len(sheet.rows[r0]) else ""
        ctx.add(
            FIXED,
            "merged_cells",
            sheet.name,
            r0 + 1,
            col_letter(c0),
            value,
            f"合并单元格 {ref} 已按首格的值“{value}”填充到所覆盖的每一格",
            ACT_FIXED,
        )


def _title_issue(ctx: Ctx, sheet: str, rows: list[list], start: int, stop: int) -> None:
    titles = [i + 1 for i in range(start, stop) if not is_blank_row(rows[i])]
    if titles:
        listed = "、".join(str(r) for r in titles)
        first = nz.cell_text(first_cell(rows[titles[0] - 1]))
        ctx.add(
            FIXED,
            "title_rows",
            sheet,
            titles[0],
            col_letter(0),
            first,
            f"表头上方有 {len(titles)} 行标题或说明（第 {listed} 行，首行为“{first}”），不是数据，已跳过",
            ACT_SKIPPED,
        )


def _blank_issue(ctx: Ctx, sheet: str, blanks: list[int], last_row: int) -> None:
    inner = [r for r in blanks if r < last_row]  # trailing empty rows are normal
    if inner:
        listed = "、".join(str(r) for r in inner)
        ctx.add(
            FIXED,
            "blank_rows",
            sheet,
            inner[0],
            None,
            None,
            f"数据中间有 {len(inner)} 个空行（第 {listed} 行），已跳过",
            ACT_SKIPPED,
        )


class _Repeats:
    """Finds a row identical to an earlier one (same signature). Identical rows have equal key cells
    (the 学籍号), so a row's signature is only worked out once a second row with its key cell turns up:
    most rows never need one."""

    def __init__(self, rows: list[list]):
        self.rows = rows
        self.first_by_key: dict = {}  # key cell -> index of the first row with it, -1 once signed
        self.first_by_sig: dict[tuple, int] = {}  # signature -> Excel row of its first row

    def earlier(self, i: int, key_cell) -> int | None:
        """The Excel row that row i repeats, or None (row i is then remembered)."""
        first = self.first_by_key.get(key_cell)
        if first is None:
            self.first_by_key[key_cell] = i
            return None
        if first >= 0:
            self.first_by_sig[row_signature(self.rows[first])] = first + 1
            self.first_by_key[key_cell] = -1
        sig = row_signature(self.rows[i])
        if sig in self.first_by_sig:
            return self.first_by_sig[sig]
        self.first_by_sig[sig] = i + 1
        return None


def walk_rows(sheet: Grid, ctx: Ctx, out: SheetOut, hidx: int, hm: HeaderMap, build, stop: int | None = None) -> None:
    """Rows hidx+1 .. stop-1: blank rows skipped, 合计 rows and duplicates (a whole row repeated, found through
    the sheet's identifying field) rejected, the rest built."""
    layout = sheets.SHEETS_BY_NAME[sheet.name]
    rows = sheet.rows
    stop = len(rows) if stop is None else stop
    cols = {name: col for col, name in hm.columns.items()}
    key_col = cols.get(layout.key) if layout.key else None
    repeats = _Repeats(rows)
    blanks: list[int] = []
    last = hidx + 1
    noun = layout.row_noun
    rc = RowCtx(ctx, sheet.name, hm, cols)

    def reject(excel_row, row, reason, rule, column=None, value=None):
        out.reject(ctx, excel_row, reason, raw_values(row, hm.texts, ctx.max_text), value)
        ctx.add(WARNING, rule, sheet.name, excel_row, column, value, reason, ACT_DROP_ROW)

    for i in range(hidx + 1, stop):
        row = rows[i]
        excel_row = i + 1
        first = first_filled(row)
        if first < 0:
            blanks.append(excel_row)
            continue
        out.nonempty += 1
        last = excel_row
        if is_total_cell(row[first]):
            reject(excel_row, row, f"合计行，不是{noun}记录", "total_row", hm.label(first), nz.cell_text(row[first]))
            continue
        if key_col is not None and key_col < len(row):
            key = nz.cell_text(row[key_col]).strip()
            earlier = repeats.earlier(i, row[key_col]) if key else None
            if earlier is not None:
                reject(excel_row, row, f"与第 {earlier} 行重复", "duplicate_row", hm.label(key_col), key)
                continue
        rc.row, rc.excel_row = row, excel_row
        try:
            build(rc, row)
        except Reject as rj:
            reject(excel_row, row, rj.reason, rj.rule, rj.column, rj.value)
    _blank_issue(ctx, sheet.name, blanks, last)


def _reject_all(sheet: Grid, ctx: Ctx, out: SheetOut, start: int, reason: str) -> None:
    for i in range(start, len(sheet.rows)):
        row = sheet.rows[i]
        if is_blank_row(row):
            continue
        out.nonempty += 1
        out.reject(ctx, i + 1, reason, raw_values(row, limit=ctx.max_text))


# ---- the tabular sheets -------------------------------------------------------------------
def _locate_header(sheet: Grid, ctx: Ctx, out: SheetOut, layout: sheets.Sheet, expected_more: str) -> int | None:
    """The header row's index; without one, every non-empty row is rejected and the sheet is unreadable.
    Title rows above the header are reported."""
    hidx = find_header_row(sheet.rows, layout)
    if hidx is None:
        expected = "、".join(layout.columns.values())
        ctx.add(
            WARNING,
            "header_not_found",
            sheet.name,
            None,
            None,
            None,
            f"未找到表头行（应包含 {expected} {expected_more}），本表无法读取",
            ACT_NO_DATA,
        )
        _reject_all(sheet, ctx, out, 0, "未找到表头行，无法识别各列")
        return None
    _title_issue(ctx, sheet.name, sheet.rows, 0, hidx)
    return hidx


def clean_table_sheet(sheet: Grid, ctx: Ctx, spec: ExamSpec) -> SheetOut:
    """学业成绩 / 体质健康 / 作业与睡眠 / 教学常规."""
    name = sheet.name
    layout = sheets.SHEETS_BY_NAME[name]
    out = SheetOut(name)
    hidx = _locate_header(sheet, ctx, out, layout, "等列")
    if hidx is None:
        return out
    subjects = spec.subjects if layout.extra_columns == "subjects" else ()
    hm = map_header(sheet.rows[hidx], layout, subjects)
    _header_issues(ctx, name, hidx + 1, hm, sheet.rows)
    _merged_issues(ctx, sheet, hidx + 1)
    build = (
        _student_builder(out, spec, ctx.uncalculated.get(name, {}))
        if layout is sheets.SCORES
        else field_builder(layout, out)
    )
    walk_rows(sheet, ctx, out, hidx, hm, build)
    return out


def read_field(rc: RowCtx, f: sheets.Field):
    """One field of the row, read as its spec says (学籍号, 年级 and 性别 have their own readers; counts and
    numbers drop the field's units). A required field without a usable value rejects the row."""
    if f.name == "student_id":
        return rc.student_id()
    if f.name == "grade":
        return rc.grade()
    if f.name == "sex":
        return rc.sex()
    if f.dtype in ("Int64", "float64"):
        return rc.number(
            f.name, units=f.units, integer=f.dtype == "Int64", required_reason=f.missing if f.required else None
        )
    text = rc.text(f.name)
    if text is None and f.required:
        raise Reject(f.missing, "missing_id", rc.label(f.name), "")
    return text


def field_builder(layout: sheets.Sheet, out: SheetOut):
    """The row builder of a sheet made of plain fields (体质健康, 作业与睡眠, 教学常规, the 学校信息 table): the
    required fields first (the row is rejected at the first one missing, before anything else is reported),
    then the others in template order; then the sheet's at-least-one-of rule."""
    order = sorted(range(len(layout.fields)), key=lambda i: not layout.fields[i].required)
    any_of = [i for i, f in enumerate(layout.fields) if f.name in layout.any_of]

    def build(rc: RowCtx, row: list) -> None:
        values = [None] * len(order)
        for i in order:
            values[i] = read_field(rc, layout.fields[i])
        if any_of and all(values[i] is None for i in any_of):
            raise Reject(layout.any_of_missing, "no_value")
        out.records.append((*rc.head(), *values))

    return build


def score_plan(hm: HeaderMap, grade_subjects: dict) -> list[tuple[int, str, str, bool]]:
    """(col, subject, mode, listed) per subject column, for one grade's rows: the paper's mode from the
    exam spec, and whether the spec lists the subject for that grade."""
    return [
        (
            col,
            subject,
            grade_subjects[subject][0] if subject in grade_subjects else vocab.EXAM_MODE_SCORE,
            subject in grade_subjects,
        )
        for col, subject in hm.subjects.items()
    ]


ID_ADVICE = "该生计入本学期统计，但不与其他学期的记录匹配（不参与增值评价）；请按学生的全国学籍号改正后重新提交"


def student_id_ok(rc: RowCtx, sid: str) -> bool:
    """Whether a 学业成绩 row's 学籍号 has the documented form (``tqa.clean.studentid``); one warning per row when
    not. The row stays in the term's statistics; its id_valid is False, which keeps it out of any link with
    another term. Only 学业成绩's 学籍号 are checked: the other sheets are not linked across terms."""
    why = studentid.problem(sid, rc.ctx.school_year)
    if why is None:
        return True
    rc.ctx.add(
        WARNING,
        "malformed_student_id",
        rc.sheet,
        rc.excel_row,
        rc.label("student_id"),
        sid,
        f"{why}。{ID_ADVICE}",
        ACT_UNLINKED,
    )
    return False


def _student_builder(out: SheetOut, spec: ExamSpec, uncalculated: dict):
    """The 学业成绩 row builder: a student record and one score record per subject column. A formula cell saved
    without its value (`uncalculated`) is an invalid score like an empty one, said once for the sheet (by
    clean_return), not cell by cell."""
    plans: dict[int, list] = {}  # grade -> score_plan, worked out once per sheet

    def build(rc: RowCtx, row: list) -> None:
        ctx = rc.ctx
        sid = rc.student_id()
        grade = rc.grade()
        class_raw = rc.raw("class_no")
        class_no = nz.normalize_class(class_raw)
        if class_no is None and "class_no" in rc.cols:
            label = rc.label("class_no")
            what = f"{label}为空" if nz.is_blank(class_raw) else f"{label}“{nz.cell_text(class_raw)}”无法识别"
            ctx.add(
                WARNING,
                "bad_class",
                rc.sheet,
                rc.excel_row,
                label,
                nz.cell_text(class_raw),
                f"{what}，该生不计入分班统计",
                ACT_DROP_CELL,
            )
        head = rc.head()
        id_valid = student_id_ok(rc, sid)
        out.records.append((*head, sid, rc.text("name"), grade, class_no, rc.sex(), id_valid))
        plan = plans.get(grade)
        if plan is None:
            plan = plans[grade] = score_plan(rc.hm, spec.by_grade.get(grade, {}))
        student = (*head, sid, grade, class_no, id_valid)
        width = len(row)
        for col, subject, mode, listed in plan:
            raw = row[col] if col < width else None
            # A subject the exam spec does not list for this grade is still read as a score: the checks
            # step decides whether the spec is missing it (blocking) or the cell is a stray (warning).
            if not listed and nz.is_blank(raw):
                continue
            cell, tail = score_cell(raw, mode, subject, listed)
            if cell.fixes:
                shown = cell.level or (_num(cell.score) if cell.score is not None else "")
                report_fixes(ctx, rc.sheet, rc.excel_row, rc.hm.label(col), raw, cell.fixes, shown)
            if cell.status == vocab.STATUS_INVALID:
                text = tail[-1]
                if raw is None and (rc.excel_row - 1, col) in uncalculated:
                    out.scores.append(student + tail)
                    continue
                if ctx.max_text is not None and len(text) > ctx.max_text:  # kept cut; quoted cut by ctx.add
                    tail = (*tail[:-1], ctx.capped(rc.sheet, rc.excel_row, rc.hm.label(col), text))
                ctx.add(
                    WARNING,
                    "invalid_score",
                    rc.sheet,
                    rc.excel_row,
                    rc.hm.label(col),
                    text,
                    f"{subject}成绩“{text}”：{cell.reason}" if text else f"{subject}：{cell.reason}",
                    ACT_DROP_CELL,
                )
            out.scores.append(student + tail)

    return build


@lru_cache(maxsize=65536, typed=True)
def score_cell(raw, mode: str, subject: str, listed: bool) -> tuple[nz.ScoreCell, tuple]:
    """A subject cell read (``parse_score``; a subject the spec does not list for the grade may also hold
    a level) and the end of its score record: (subject, status, score, level, raw_value). The same
    few thousand values fill a district's half a million cells, so both are worked out once per value."""
    cell = nz.parse_score(raw, mode)
    if not listed and cell.status == vocab.STATUS_INVALID:
        as_level = nz.parse_score(raw, vocab.EXAM_MODE_LEVEL)
        cell = as_level if as_level.status == vocab.STATUS_LEVEL else cell
    return cell, (subject, cell.status, cell.score, cell.level, nz.cell_text(raw))


# ---- 小题得分 (optional) -----------------------------------------------------------------------
def _item_columns(ctx: Ctx, sheet: str, hrow: int, header: list, hm: HeaderMap) -> dict[int, str]:
    """col -> item label for the header cells that are not fixed fields; the rest stay ignored.
    A label written another way (第1题, full-width digits) is fixed; a repeated label is a duplicate column."""
    items: dict[int, str] = {}
    seen: dict[str, int] = {}
    ignored = []
    for col, written in hm.ignored:
        label = nz.normalize_item_label(header[col])
        if label is None:
            ignored.append((col, written))
            continue
        if label in seen:
            hm.duplicated.append((col, written, seen[label]))
            continue
        seen[label] = col
        items[col] = label
        if written != label:
            ctx.add(
                FIXED,
                "item_label_variant",
                sheet,
                hrow,
                written,
                written,
                f"题号“{written}”（{col_letter(col)} 列）已按“{label}”识别",
                ACT_FIXED,
            )
    hm.ignored = ignored
    return items


def clean_items_sheet(sheet: Grid, ctx: Ctx, spec: ExamSpec) -> SheetOut:
    """小题得分: one row per student and paper -> one item record per scored cell. Blank, 缺考 and 免考 cells
    give no record (the student did not answer / sit the paper); an unreadable cell is a warning."""
    name = sheet.name
    out = SheetOut(name)
    hidx = _locate_header(sheet, ctx, out, sheets.ITEMS, "及各题题号")
    if hidx is None:
        return out
    hm = map_header(sheet.rows[hidx], sheets.ITEMS)
    items = _item_columns(ctx, name, hidx + 1, sheet.rows[hidx], hm)
    _header_issues(ctx, name, hidx + 1, hm)
    if not items:
        ctx.add(
            WARNING,
            "no_item_columns",
            name,
            hidx + 1,
            None,
            None,
            "表头中没有题号列（应为 1、2、13(1) 等），本表没有可用的小题得分",
            ACT_NO_DATA,
        )
    _merged_issues(ctx, sheet, hidx + 1)
    walk_rows(sheet, ctx, out, hidx, hm, partial(_build_item_row, out=out, spec=spec, items=items))
    return out


@lru_cache(maxsize=1024)
def paper_subject(written: str, subjects: tuple[str, ...]) -> str:
    """The exam-spec subject a 小题得分 row's 学科 cell names; an unknown one as written (the checks say so)."""
    return nz.canonical_subject(written, subjects) or written


def _build_item_row(rc: RowCtx, row: list, out: SheetOut, spec: ExamSpec, items: dict[int, str]) -> None:
    ctx = rc.ctx
    sid = rc.student_id()
    grade = rc.grade()
    raw_subject = rc.raw("subject")
    if nz.is_blank(raw_subject):
        label = rc.label("subject")
        raise Reject(f"{label}为空，无法确定是哪一科的试卷", "missing_subject", label, "")
    written = ctx.capped(rc.sheet, rc.excel_row, rc.label("subject"), nz.cell_text(raw_subject).strip())
    subject = paper_subject(written, spec.subjects)
    if subject != written:
        ctx.add(
            FIXED,
            "subject_variant",
            rc.sheet,
            rc.excel_row,
            rc.label("subject"),
            written,
            f"学科“{written}”已按“{subject}”识别",
            ACT_FIXED,
        )
    out.item_rows += 1
    paper = (*rc.head(), sid, grade, subject)
    width = len(row)
    for col, item in items.items():
        raw = row[col] if col < width else None
        if nz.is_blank(raw):
            continue
        cell = nz.parse_score(raw, vocab.EXAM_MODE_SCORE)
        if cell.fixes:
            report_fixes(ctx, rc.sheet, rc.excel_row, rc.hm.label(col), raw, cell.fixes, _num(cell.score))
        if cell.status in (vocab.STATUS_ABSENT, vocab.STATUS_EXEMPT):
            continue
        if cell.status != vocab.STATUS_SCORED:
            text = nz.cell_text(raw)
            ctx.add(
                WARNING,
                "invalid_item_score",
                rc.sheet,
                rc.excel_row,
                rc.hm.label(col),
                text,
                f"{subject}第 {item} 题得分“{text}”：{cell.reason}",
                ACT_DROP_CELL,
            )
            continue
        out.items.append((*paper, item, cell.score))


# ---- 学校信息 --------------------------------------------------------------------------------
def info_key(row: list) -> tuple[str | None, object, int | None]:
    """(key, value, value column) of a key/value row, or (None, None, None).
    Accepts the value in the next non-empty cell or after a colon in the same cell (学校名称：某校)."""
    cells = [(c, v) for c, v in enumerate(row) if not nz.is_blank(v)]
    if not cells:
        return None, None, None
    col, first = cells[0]
    text = nz.nfkc(nz.cell_text(first)).strip()
    label, sep, rest = text.partition(":")
    key = _INFO_INDEX.get(nz.squash(label))
    if key is None:
        return None, None, None
    if sep and rest.strip():
        return key, rest.strip(), col
    # merged value cells are filled to the right; the first one is the value
    return (key, cells[1][1], cells[1][0]) if len(cells) > 1 else (key, None, None)


def read_info_meta(sheet: Grid) -> dict[str, tuple[int, object]]:
    """key -> (excel_row, value) for the 学校信息 key/value block (first occurrence wins)."""
    meta: dict[str, tuple[int, object]] = {}
    for i, row in enumerate(sheet.rows):
        key, value, _ = info_key(row)
        if key and key not in meta:
            meta[key] = (i + 1, value)
    return meta


def clean_info_sheet(sheet: Grid, ctx: Ctx, spec: ExamSpec) -> SheetOut:
    name = sheet.name
    out = SheetOut(name)
    rows = sheet.rows
    fields = sheets.INFO.columns
    hidx = find_header_row(rows, sheets.INFO)
    stop = hidx if hidx is not None else len(rows)
    first_key = next((i for i in range(stop) if info_key(rows[i])[0]), None)
    start = first_key if first_key is not None else stop
    _title_issue(ctx, name, rows, 0, start)
    seen_keys: set[str] = set()
    for i in range(start, stop):
        row = rows[i]
        if is_blank_row(row):
            continue
        out.nonempty += 1
        key, value, _ = info_key(row)
        if key is None or key in seen_keys:
            reason = "无法识别的信息项" if key is None else f"信息项“{sheets.INFO_LABELS[key]}”重复填写"
            out.reject(ctx, i + 1, reason, raw_values(row, limit=ctx.max_text))
            ctx.add(WARNING, "unknown_info_row", name, i + 1, None, nz.cell_text(first_cell(row)), reason, ACT_DROP_ROW)
            continue
        seen_keys.add(key)
        out.meta_rows += 1
        written = nz.cell_text(first_cell(row)).strip()
        canonical = sheets.INFO_LABELS[key]
        if nz.squash(written).rstrip(":").partition(":")[0] != canonical:
            ctx.add(
                FIXED,
                "header_alias",
                name,
                i + 1,
                written,
                written,
                f"信息项“{written}”已按“{canonical}”识别",
                ACT_FIXED,
            )
    if hidx is None:
        ctx.add(
            WARNING,
            "header_not_found",
            name,
            None,
            None,
            None,
            f"未找到各年级人数表（表头应以“{fields['grade']}”开头，含“{fields['enrolled']}”等列）",
            ACT_NO_DATA,
        )
        return out
    hm = map_header(rows[hidx], sheets.INFO)
    _header_issues(ctx, name, hidx + 1, hm)
    _merged_issues(ctx, sheet, hidx + 1)
    walk_rows(sheet, ctx, out, hidx, hm, field_builder(sheets.INFO, out))
    return out


def clean_sheet(sheet: Grid, ctx: Ctx, spec: ExamSpec) -> SheetOut:
    if sheet.name == sheets.INFO.name:
        return clean_info_sheet(sheet, ctx, spec)
    if sheet.name == sheets.ITEMS.name:
        return clean_items_sheet(sheet, ctx, spec)
    return clean_table_sheet(sheet, ctx, spec)
