"""A term's returns -> clean tables: office inputs, school matching, one return at a time."""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import re
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tqa.clean.headers import col_letter
from tqa.clean.reader import (
    SAVE_AS_XLSX,
    XLS,
    WorkbookError,
    WorkbookRefused,
    check_workbook,
    read_workbook,
)
from tqa.clean.sheets import (
    ACT_DROP_CELL,
    ACT_NO_DATA,
    Ctx,
    ExamSpec,
    clean_sheet,
    is_blank_row,
    raw_values,
    read_info_meta,
)
from tqa.clean.xmlscan import scan_workbook
from tqa.core import normalize as nz
from tqa.core.issues import ACT_DATA_KEPT, ACT_FIXED, ACT_IGNORED, ACT_KEPT, FIXED, WARNING, Issue
from tqa.core.terms import Term, TermError, parse_term, read_term_label
from tqa.io import rawfiles
from tqa.io.catalog import Catalog
from tqa.io.office import normalise_school_code, read_exam_spec, read_registry, registry_lookup
from tqa.io.rawfiles import file_sha256
from tqa.io.tables import issues_to_frame, records_frame, to_frame
from tqa.schema import sheets, tables

# The clean tables built from records (the issues are built from Issue objects).
RECORD_TABLES = tuple(name for name in tables.CLEAN if name != "issues")
READ_SHEETS = (*sheets.REQUIRED_SHEETS, sheets.ITEMS.name)
# Tab names as schools write them: traditional forms of the characters of the sheet names (a school in
# Hong Kong, Macao or Taiwan, or a traditional-character input method), the Taiwan word for 信息, a trailing
# 表, and Excel's "(2)" of a copied sheet (the copy then meets the original as a second sheet of that name).
_TRADITIONAL = str.maketrans("學業績體質與規題資訊", "学业绩体质与规题资讯")
_SHEET_WORDS = (("资讯", "信息"),)
_COPY_SUFFIX = re.compile(r"\(\d+\)$")


def sheet_key(name: str) -> str:
    """The key a tab name is recognised by: spaces, full-width forms, traditional characters, 表 and (2) aside."""
    key = _COPY_SUFFIX.sub("", nz.squash(name).translate(_TRADITIONAL))
    for word, canonical in _SHEET_WORDS:
        key = key.replace(word, canonical)
    return key.removesuffix("表") if len(key) > 1 else key


_SHEET_KEYS = {sheet_key(s): s for s in READ_SHEETS}


# ---- school matching ----------------------------------------------------------------------
def code_from_filename(name: str, registry: dict) -> str:
    """The school code a file name stands for: the stem, or its leading code (001_某某小学.xlsx); a code whose
    leading zeros were lost ("1.xlsx") is read as the registry writes codes."""
    stem = nz.squash(Path(name).stem)
    m = re.match(r"[0-9A-Za-z]+", stem)
    for candidate in (stem, normalise_school_code(stem), m and m.group(0), m and normalise_school_code(m.group(0))):
        if candidate in registry:
            return candidate
    return stem


def name_match(written: str, official: str, variants=()) -> str:
    """'official', 'variant' or 'different' (spaces and full-width forms ignored)."""
    key = nz.squash(written)
    if key == nz.squash(official):
        return "official"
    return "variant" if key in {nz.squash(v) for v in variants} else "different"


@dataclass
class SchoolMatch:
    code: str
    known: bool
    issues: list[tuple] = field(default_factory=list)  # (severity, rule, row, column, value, message, action)


def match_school(file_name: str, meta: dict, registry: dict) -> SchoolMatch:
    """Which registry school a return belongs to: file name code first, then the 学校代码 cell.
    Name checks: a registered variant is fixed; any other name is a warning naming both."""
    file_code = code_from_filename(file_name, registry)
    code_row, code_raw = meta.get("school_code", (None, None))
    cell_code = nz.normalize_code(code_raw)
    out = SchoolMatch(file_code, file_code in registry)
    code_label = sheets.INFO_LABELS["school_code"]
    if out.known:
        if cell_code and cell_code != file_code:
            if cell_code.isdigit() and cell_code.zfill(len(file_code)) == file_code:
                out.issues.append(
                    (
                        FIXED,
                        "code_leading_zeros",
                        code_row,
                        code_label,
                        cell_code,
                        f"学校代码“{cell_code}”丢失了前导零，已按“{file_code}”识别",
                        ACT_FIXED,
                    )
                )
            else:
                out.issues.append(
                    (
                        WARNING,
                        "code_mismatch",
                        code_row,
                        code_label,
                        cell_code,
                        f"表内学校代码“{cell_code}”与文件名“{file_name}”中的代码“{file_code}”不一致，以文件名为准",
                        ACT_KEPT,
                    )
                )
    elif cell_code in registry:
        out = SchoolMatch(cell_code, True)
        out.issues.append(
            (
                WARNING,
                "code_from_cell",
                code_row,
                code_label,
                cell_code,
                f"文件名“{file_name}”不是登记的学校代码，已按表内学校代码“{cell_code}”识别",
                ACT_KEPT,
            )
        )
    else:
        out.issues.append(
            (
                WARNING,
                "unknown_school",
                code_row,
                code_label,
                cell_code or file_code,
                f"学校代码“{file_code}”（文件“{file_name}”）不在学校名册中",
                ACT_DATA_KEPT,
            )
        )
    name_row, name_raw = meta.get("school_name", (None, None))
    if out.known and not nz.is_blank(name_raw):
        reg = registry[out.code]
        written = nz.cell_text(name_raw).strip()
        kind = name_match(written, reg["school_name"], reg["name_variants"])
        label = sheets.INFO_LABELS["school_name"]
        if kind == "variant":
            out.issues.append(
                (
                    FIXED,
                    "name_variant",
                    name_row,
                    label,
                    written,
                    f"学校名称填写为“{written}”，名册登记名称为“{reg['school_name']}”（已登记的曾用名或简称）",
                    ACT_FIXED,
                )
            )
        elif kind == "different":
            out.issues.append(
                (
                    WARNING,
                    "name_mismatch",
                    name_row,
                    label,
                    written,
                    f"学校名称填写为“{written}”，与名册登记名称“{reg['school_name']}”不一致",
                    ACT_KEPT,
                )
            )
    return out


# ---- the 学期 cell ---------------------------------------------------------------------------
# A return whose 学期 names another term: the whole school is set aside by the checks step (CLEAN_SCHOOL_RULES
# there); the other schools are not affected.
ACT_SCHOOL_ASIDE = "该校全部数据暂不纳入统计"


def folder_term(path: Path) -> Term | None:
    """The term a return's folder is named after (data/raw/2023-2/001.xlsx: 2023-2), or None."""
    try:
        return parse_term(path.parent.name)
    except TermError:
        return None


def check_term(ctx: Ctx, meta: dict, term: Term) -> None:
    """The 学期 of 学校信息 against the term of the folder: another term sets the school aside; blank or
    unreadable is a warning (the folder decides); the same term written another way is fixed."""
    row, raw = meta.get("term", (None, None))
    label = sheets.INFO_LABELS["term"]
    folder = f"{term.name}（{term.label}）"
    sheet, file = sheets.INFO.name, ctx.source_file
    if nz.is_blank(raw):
        what = "学期未填写" if row is not None else f"缺少“{label}”一项"
        ctx.add(
            WARNING,
            "term_blank",
            sheet,
            row,
            label,
            "" if row is not None else None,
            f"{what}，已按文件“{file}”所在的文件夹 {folder}处理；请填写“{term.label}”",
            ACT_KEPT,
        )
        return
    written = nz.cell_text(raw).strip()
    got = read_term_label(written)
    if got is None:
        ctx.add(
            WARNING,
            "term_unreadable",
            sheet,
            row,
            label,
            written,
            f"学期“{written}”无法识别，已按文件“{file}”所在的文件夹 {folder}处理；请改为“{term.label}”",
            ACT_KEPT,
        )
    elif got != term:
        ctx.add(
            WARNING,
            "term_mismatch",
            sheet,
            row,
            label,
            written,
            f"学期填写为“{written}”，而文件“{file}”放在 {folder}的文件夹中：请确认文件是否放错学期，"
            "或改正学期后重新提交",
            ACT_SCHOOL_ASIDE,
        )
    elif nz.squash(written) != term.label:
        ctx.add(FIXED, "term_variant", sheet, row, label, written, f"学期“{written}”已按“{term.label}”识别", ACT_FIXED)


# ---- one return ---------------------------------------------------------------------------
def _unread(path: Path, registry: dict, ret: dict, records: dict, rule: str, message: str) -> dict:
    """A return that was not read (refused, or not a workbook): one warning, the school set aside (its returns
    row says submitted, with no rows: the checks list it as set aside, not as missing)."""
    code = code_from_filename(path.name, registry)
    reg = registry.get(code, {})
    ctx = Ctx(code, reg.get("school_name"), path.name)
    ctx.add(WARNING, rule, None, None, None, path.name, message, ACT_SCHOOL_ASIDE)
    if code not in registry:
        ctx.add(
            WARNING,
            "unknown_school",
            None,
            None,
            None,
            code,
            f"学校代码“{code}”（文件“{path.name}”）不在学校名册中",
            ACT_DATA_KEPT,
        )
    ret.update(
        school_code=code,
        school_name=reg.get("school_name"),
        school_type=reg.get("school_type"),
        category=reg.get("category"),
        known=code in registry,
    )
    return _pack(ret, records, ctx)


def clean_return(
    path: str | Path,
    registry: dict,
    spec: ExamSpec,
    limits,
    engine: str = "calamine",
    term: Term | None = None,
    max_text: int | None = None,
) -> dict:
    """One school's workbook -> {"code", "known", "tables": {name: DataFrame}, "issues": [Issue]}.

    ``limits``: params' input_limits, checked before the file is parsed (tqa.clean.reader.check_workbook).
    term: the term whose folder holds the file; None: the folder's own name when it is a term name (the
    returns of data/raw/2023-2/ belong to 2023-2), else no term (then neither the 学期 cell nor the 学籍号's
    ages are checked). `max_text`: the longest cell text kept (params: cleaning.max_text_length; None: no
    limit)."""
    path = Path(path)
    if term is None:
        term = folder_term(path)
    ret = {
        "school_code": None,
        "school_name": None,
        "school_type": None,
        "category": None,
        "submitted": True,
        "source_file": path.name,
        "source_sha256": None,
        "name_in_return": None,
        "filled_by": None,
    }
    records: dict[str, list[tuple]] = {t: [] for t in RECORD_TABLES}
    kind = None
    plain: set[str] = set()  # the sheets' XML that xmlscan need not read again (check_workbook read it)
    try:
        kind = check_workbook(path, limits, plain)  # first: a link or a pipe is neither hashed nor opened
        ret["source_sha256"] = file_sha256(path)  # streamed
        grids = read_workbook(path, engine, kind)
    except WorkbookRefused as exc:
        if exc.rule not in ("not_regular_file", "file_too_large"):  # (a refused file is still named by its hash)
            ret["source_sha256"] = file_sha256(path)
        return _unread(path, registry, ret, records, exc.rule, exc.message)
    except WorkbookError as exc:
        if kind == XLS:
            message = f"文件“{path.name}”是 Excel 97-2003 格式（.xls），无法读取（{exc}）；{SAVE_AS_XLSX}"
            if path.suffix.lower() != ".xls":
                message = (
                    f"文件“{path.name}”的内容是 Excel 97-2003 格式（.xls），不是文件名所示的 .xlsx，无法读取（{exc}）；"
                    f"{SAVE_AS_XLSX}"
                )
            return _unread(path, registry, ret, records, "old_format", message)
        message = f"文件“{path.name}”无法作为 Excel 工作簿打开（{exc}）；{SAVE_AS_XLSX}"
        return _unread(path, registry, ret, records, "unreadable_file", message)

    # canonical sheet names (a stray space, a full-width char or traditional characters in a tab name are
    # tolerated); the other sheets are not read, and their rows are set aside (sheet_unread)
    by_name = {}
    written_as: dict[str, str] = {}  # canonical -> the tab name
    renamed = []
    unread = []  # (tab name, grid, canonical name it repeats or None)
    # a tab with the template's own name first: with a copy beside it (学业成绩 and 學業成績), that one is read
    for name, sheet in sorted(grids.items(), key=lambda item: item[0] not in _SHEET_KEYS.values()):
        canonical = _SHEET_KEYS.get(sheet_key(name))
        if canonical and canonical not in by_name:
            if name != canonical:
                renamed.append((name, canonical))
            sheet.name = canonical
            by_name[canonical] = sheet
            written_as[canonical] = name
        else:
            unread.append((name, sheet, canonical))
    facts = _scan(path, set(written_as.values()), plain)

    meta = read_info_meta(by_name[sheets.INFO.name]) if sheets.INFO.name in by_name else {}
    match = match_school(path.name, meta, registry)
    reg = registry.get(match.code, {})
    name_in_return = nz.cell_text(meta["school_name"][1]).strip() if meta.get("school_name", (0, None))[1] else None
    written_name = name_in_return
    if name_in_return is not None and max_text is not None:
        name_in_return = name_in_return[:max_text]
    ctx = Ctx(match.code, reg.get("school_name") or name_in_return, path.name, max_text=max_text)
    ctx.school_year = term.year if term else None
    if written_name is not None:  # the warning when it was cut
        ctx.capped(sheets.INFO.name, meta["school_name"][0], sheets.INFO_LABELS["school_name"], written_name)
    for sev, rule, row, column, value, message, action in match.issues:
        ctx.add(sev, rule, sheets.INFO.name, row, column, value, message, action)
    if kind == XLS:
        ctx.add(
            FIXED,
            "old_format",
            None,
            None,
            None,
            path.name,
            f"文件“{path.name}”是 Excel 97-2003 格式（.xls）"
            + ("" if path.suffix.lower() == ".xls" else "，不是文件名所示的 .xlsx")
            + "，已按该格式读取；今后请用 Excel 另存为 .xlsx（Excel 工作簿）报送",
            ACT_FIXED,
        )
    if term is not None and sheets.INFO.name in by_name:
        check_term(ctx, meta, term)
    for written, canonical in renamed:
        ctx.add(
            FIXED,
            "sheet_renamed",
            canonical,
            None,
            None,
            written,
            f"工作表名“{written}”已按“{canonical}”识别",
            ACT_FIXED,
        )
    for name, sheet, canonical in unread:
        _set_aside_sheet(records, ctx, sheet, name, facts.get(name), written_as.get(canonical))
    for canonical, name in written_as.items():
        _sheet_notes(ctx, by_name[canonical], name, facts.get(name))
    for sheet_name in sheets.REQUIRED_SHEETS:
        if sheet_name not in by_name:
            ctx.add(
                WARNING,
                "missing_sheet",
                sheet_name,
                None,
                None,
                None,
                f"文件“{path.name}”缺少工作表“{sheet_name}”",
                ACT_NO_DATA,
            )
            continue
        _add_sheet(records, clean_sheet(by_name[sheet_name], ctx, spec), ctx)
    if sheets.ITEMS.name in by_name:  # optional: no sheet, no rows and no warning
        _add_sheet(records, clean_sheet(by_name[sheets.ITEMS.name], ctx, spec), ctx)
    filled_row, filled = meta.get("filled_by", (0, None))
    if not nz.is_blank(filled):
        filled = ctx.capped(sheets.INFO.name, filled_row, sheets.INFO_LABELS["filled_by"], nz.cell_text(filled).strip())
    ret.update(
        school_code=match.code,
        school_name=ctx.school_name,
        school_type=reg.get("school_type"),
        category=reg.get("category"),
        name_in_return=name_in_return,
        filled_by=None if nz.is_blank(filled) else filled,
        known=match.known,
    )
    return _pack(ret, records, ctx)


def _add_sheet(records: dict, so, ctx: Ctx) -> None:
    records[sheets.SHEETS_BY_NAME[so.sheet].table].extend(so.records)
    records["scores"].extend(so.scores)
    records["items"].extend(so.items)
    records["rejected"].extend(so.rejected)
    records["accounting"].append(so.accounting(ctx.school_code))


def _scan(path: Path, tabs: set[str], plain: set[str] = frozenset()) -> dict:
    """What the values do not show (tqa.clean.xmlscan), for the sheets read; nothing when the XML cannot be
    scanned (the values were read: the notes are lost, no data)."""
    try:
        return scan_workbook(path, tabs, plain)
    except Exception:
        return {}


def _listed(items: list, most: int) -> tuple[str, str]:
    """The first few of a list of Excel rows or cells ("12、13、40"), and "等" when there are more."""
    return "、".join(str(n) for n in items[:most]), "等" if len(items) > most else ""


def _nonempty_rows(sheet) -> list[int]:
    return [i + 1 for i, row in enumerate(sheet.rows) if not is_blank_row(row)]


def _set_aside_sheet(records: dict, ctx: Ctx, sheet, tab: str, facts, first_tab: str | None) -> None:
    """A sheet the program does not read (an unknown tab name, or a second sheet recognised as one already
    read): its non-empty rows are rejected with the reason, so the accounting balances; a blank one is
    nothing to say."""
    rows = _nonempty_rows(sheet)
    if not rows or (first_tab is None and sheet_key(tab) == sheet_key(sheets.HELP_SHEET)):
        return  # a blank sheet, or the template's instructions kept in the return: nothing to say
    tab_shown = ctx.clip(tab)
    hidden = "隐藏，" if facts is not None and facts.hidden else ""
    if first_tab is None:
        reason = f"未识别的工作表“{tab_shown}”：本程序只读取 {'、'.join(READ_SHEETS)} 这几张工作表"
        message = (
            f"未识别的工作表“{tab_shown}”（{hidden}{len(rows)} 行）：本程序只读取 {'、'.join(READ_SHEETS)} "
            "这几张工作表；如其中有要报送的数据，请移到相应的工作表中，再重新提交"
        )
        rule = "unknown_sheet"
    else:
        canonical = _SHEET_KEYS[sheet_key(tab)]
        reason = f"与工作表“{first_tab}”重复（都按“{canonical}”识别），未读取"
        message = (
            f"工作表“{tab_shown}”（{hidden}{len(rows)} 行）与工作表“{first_tab}”都按“{canonical}”识别，只读取“{first_tab}”；"
            f"如两张表都有要报送的数据，请合并到“{first_tab}”中，再重新提交"
        )
        rule = "duplicate_sheet"
    ctx.add(WARNING, rule, tab_shown, None, None, tab_shown, message, "该表未读取")
    for r in rows:
        records["rejected"].append(
            (ctx.school_code, tab_shown, r, ctx.source_file, reason, raw_values(sheet.rows[r - 1], limit=ctx.max_text))
        )
    records["accounting"].append((ctx.school_code, tab_shown, len(rows), 0, len(rows)))


def _sheet_notes(ctx: Ctx, sheet, tab: str, facts) -> None:
    """A sheet that is read: hidden (the sheet, or rows with data) is said and kept; formula cells saved without
    a value are said once for the sheet and read as blank (tqa.clean.sheets does not repeat it cell by cell)."""
    if facts is None:
        return
    name = sheet.name
    rows = sheet.rows
    if facts.hidden and _nonempty_rows(sheet):
        ctx.add(
            WARNING,
            "hidden_sheet",
            name,
            None,
            None,
            tab,
            f"工作表“{tab}”被隐藏，其中的数据仍按正常数据读取，请确认是否应当报送",
            ACT_KEPT,
        )
    hidden = [r for r in facts.hidden_rows if r <= len(rows) and not is_blank_row(rows[r - 1])]
    if hidden:
        ctx.add(
            WARNING,
            "hidden_rows",
            name,
            hidden[0],
            None,
            None,
            "工作表“{}”中有 {} 行被隐藏（第 {} 行{}），这些行仍按正常数据读取，请确认是否应当删除".format(
                tab, len(hidden), *_listed(hidden, 10)
            ),
            ACT_KEPT,
        )
    if facts.uncalculated:
        cells = sorted(facts.uncalculated)
        ctx.uncalculated[name] = facts.uncalculated
        (r0, c0), n = cells[0], len(cells)
        first = f"{col_letter(c0)}{r0 + 1}"
        formula = "=" + ctx.clip(facts.uncalculated[cells[0]])
        where = "（{}{}）".format(*_listed([f"{col_letter(c)}{r + 1}" for r, c in cells], 5)) if n > 1 else ""
        ctx.add(
            WARNING,
            "uncalculated_formula",
            name,
            r0 + 1,
            col_letter(c0),
            formula,
            f"{n} 个单元格是公式（{first}：{formula}），但文件中没有计算结果{where}，已按空白读取："
            "请用 Excel 打开后保存，再重新提交",
            ACT_DROP_CELL,
        )


def _pack(ret: dict, records: dict, ctx: Ctx) -> dict:
    """The return's records (tuples in schema column order, as the sheets build them) and issues."""
    known = ret.pop("known")
    records["returns"] = [tuple(ret[c] for c in tables.CLEAN["returns"].names)]
    return {
        "code": ret["school_code"],
        "known": known,
        "file": ret["source_file"],
        "rows": records,
        "issues": ctx.issues,
    }


@contextmanager
def _gc_paused():
    """Cleaning a return makes a few hundred thousand small objects (rows, records) and no reference
    cycles; the cyclic garbage collector would walk them again and again (about a tenth of the step).
    It is paused while one return is cleaned and runs as usual in between."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def clean_batch(
    paths: list[Path], registry: dict, spec: ExamSpec, limits, engine: str = "calamine", max_text: int | None = None
) -> dict:
    """Several returns, in order -> {"returns": [per return: code, known, file, issues], "counts": table ->
    records per return, "tables": table -> one typed frame of all their records}.

    A worker process sends back a batch of typed columns rather than a million record tuples: far
    cheaper to pickle and unpickle, and the columns are built in the workers, in parallel."""
    results = []
    for path in paths:
        with _gc_paused():
            results.append(clean_return(path, registry, spec, limits, engine, max_text=max_text))
    return {
        "returns": [{k: res[k] for k in ("code", "known", "file", "issues")} for res in results],
        "counts": {name: [len(res["rows"][name]) for res in results] for name in RECORD_TABLES},
        "tables": {
            name: records_frame([r for res in results for r in res["rows"][name]], name) for name in RECORD_TABLES
        },
    }


def _clean_batch(args) -> dict:
    return clean_batch(*args)


def batches(files: list, n: int) -> list[list]:
    """`files` cut into at most n runs of consecutive files, as even as possible (file order is kept)."""
    n = max(1, min(n, len(files)))
    bounds = [round(i * len(files) / n) for i in range(n + 1)]
    return [files[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


# ---- the term -----------------------------------------------------------------------------
def clean_term(
    catalog: Catalog,
    params=None,
    *,
    engine: str = "calamine",
    workers: int | None = None,
    params_dir: str | Path = "params",
) -> dict[str, pd.DataFrame]:
    """Every return of the term -> the clean tables (``tqa.schema.tables.CLEAN``), the issues among them.

    ``params``: the step's params (its ``input_limits``, checked before a file is parsed, and ``cleaning``;
    None: the term's, read from ``params_dir``). How, not what (so not in params/): the workbook reader
    (calamine, or openpyxl) and the worker processes (None: up to two when there are 20 files or more).

    The files are those tqa.io.rawfiles names: the returns, and anything named like one that is not a regular
    file (a link, a folder), which is listed and never opened; any other entry of the folder is listed too."""
    if params is None:
        from tqa.params import load_params

        params = load_params(catalog.term, params_dir)
    limits, max_text = params.input_limits, params.cleaning.max_text_length
    registry = registry_lookup(read_registry(catalog.registry))
    spec = ExamSpec.from_frame(read_exam_spec(catalog.exam_spec))
    entries = catalog.raw_entries()
    files = [e.path for e in entries if e.kind != rawfiles.NOT_RETURN]  # (check_workbook refuses the others)
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if len(files) >= 20 else 1
    if workers > 1:
        # forkserver, not fork: the caller may be a Jupyter kernel with threads running. The server
        # imports this module once, so each worker starts without importing pandas again.
        ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
        if ctx.get_start_method() == "forkserver":
            ctx.set_forkserver_preload([__name__])
        # Four batches per worker: a worker that drew large schools does not hold up the end.
        jobs = [(b, registry, spec, limits, engine, max_text) for b in batches(files, workers * 4)]
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            done = list(pool.map(_clean_batch, jobs))
    else:
        done = [clean_batch(files, registry, spec, limits, engine, max_text)]
    return assemble(done, registry, [e for e in entries if e.kind == rawfiles.NOT_RETURN])


def not_a_return(entry: rawfiles.Entry) -> Issue:
    """An entry of the term folder that is not a return (a PDF, a Word file, a folder): listed, not read."""
    return Issue(
        "clean",
        WARNING,
        "not_a_return",
        None,
        None,
        None,
        None,
        entry.name,
        f"报表文件夹中的“{entry.name}”（{entry.what}）不是学校报表（报表应为 .xlsx 文件），未读取；"
        f"如是某校的报表，{SAVE_AS_XLSX}",
        ACT_IGNORED,
    )


def several_returns(code: str, files: list[str], registry: dict) -> Issue:
    """Several files for one school: none is used (which one is the real return is the school's call)."""
    names = "、".join(f"“{f}”" for f in files)
    return Issue(
        "clean",
        WARNING,
        "several_returns",
        code,
        None,
        None,
        None,
        "、".join(files),
        f"学校 {code} 有 {len(files)} 个报表文件：{names}，无法判断哪一个是正式报表，均未使用；"
        "请在报表文件夹中只保留该校的一个文件（删除或移走其余的副本）后重新运行",
        ACT_SCHOOL_ASIDE,
        registry.get(code, {}).get("school_name"),
    )


def assemble(done: list[dict], registry: dict, others: list[rawfiles.Entry] = ()) -> dict[str, pd.DataFrame]:
    """Batches of returns (clean_batch, in file order) -> term tables. Several files for one school (005.xlsx
    and 005(1).xlsx, or 005 - 副本.xlsx): none of them is used, the school is set aside (its returns row says
    submitted, with no rows) and one issue names every file; never a choice by the files' spelling.
    ``others``: the folder's entries that are not returns, each listed."""
    parts: dict[str, list[pd.DataFrame]] = {t: [] for t in RECORD_TABLES}
    files_of: dict[str, list[str]] = {}
    for batch in done:
        for res in batch["returns"]:
            files_of.setdefault(res["code"], []).append(res["file"])
    several = {code: files for code, files in files_of.items() if len(files) > 1}
    issues: list[Issue] = [not_a_return(e) for e in others]
    for batch in done:
        used = []
        for res in batch["returns"]:
            used.append(res["code"] not in several)
            if used[-1]:
                issues.extend(res["issues"])
        for name, df in batch["tables"].items():
            parts[name].append(df if all(used) else df.loc[np.repeat(used, batch["counts"][name])])
    for code, files in sorted(several.items()):
        issues.append(several_returns(code, files, registry))

    def reg_row(code: str, submitted: bool, file: str | None) -> tuple:
        reg = registry.get(code, {})
        return (
            code,
            reg.get("school_name"),
            reg.get("school_type"),
            reg.get("category"),
            submitted,
            file,
            None,
            None,
            None,
        )

    parts["returns"].append(
        records_frame(
            [reg_row(code, True, "、".join(files)) for code, files in sorted(several.items())]
            + [reg_row(code, False, None) for code in registry if code not in files_of],
            "returns",
        )
    )
    tables = {
        name: to_frame(pd.concat(frames, ignore_index=True) if frames else records_frame([], name), name)
        for name, frames in parts.items()
    }
    tables["issues"] = issues_to_frame(issues)
    return tables
