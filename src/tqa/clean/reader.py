"""Reading a return workbook into plain grids: sheet name -> list of rows, where rows[i] is Excel
row i + 1 and cell j is column j (A = 0). Empty cells are None; rows end at their last value. Merged ranges are
filled with their top-left value (a grade merged down a column belongs to every row it covers) and reported.

Before a return is parsed, ``check_workbook`` looks at it within bounded time and memory: its format by its
first bytes, not its name (a zip: .xlsx or .xlsm; a compound file: an Excel 97-2003 .xls, or an .xlsx with an
opening password, which Office stores as an encrypted compound file), and, for a zip, the limits of params'
``input_limits``: the file's size, its parts' sizes and compression ratios as declared, then each part inflated
as a stream (declared sizes can lie; Python's zipfile stops at the declared size and checks the CRC) with each
worksheet's extent (its <dimension>, its row tags, and the cell references beyond the usual range). The extent
matters most: calamine holds a sheet as a dense rectangle, so two cells at A1 and XFD1048576 in a 1 KB file would
ask for 17 billion cells. A file beyond a limit is refused with a message naming it (``WorkbookRefused``).
Limitation: cells written without a reference (r="…", optional in the format; Excel, WPS and openpyxl always
write it) are counted per row only when a sheet has them.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from tqa.io.rawfiles import describe

MB = 1 << 20
ZIP_MAGIC = b"PK\x03\x04"
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # OLE2 compound file: .xls, or an encrypted .xlsx
ZIP, XLS = "zip", "xls"
# The name of the stream an encrypted OOXML file keeps its workbook in, as a compound file directory entry
# names it (UTF-16LE); directory entries start on 128-byte boundaries.
_ENCRYPTED_ENTRY = "EncryptedPackage".encode("utf-16-le")
SAVE_AS_XLSX = "请用 Excel 打开后另存为 .xlsx（Excel 工作簿）重新报送"


class WorkbookError(Exception):
    """The file cannot be opened as a workbook."""


class WorkbookRefused(WorkbookError):
    """The file is not read at all: its ``message`` (Chinese, naming the file) says why and what to do."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


# ---- before parsing: format and limits --------------------------------------------------------------------
def sniff(path: str | Path) -> str | None:
    """ZIP, XLS (a compound file) or None, from the first bytes."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(ZIP_MAGIC):
        return ZIP
    if head == CFB_MAGIC:
        return XLS
    return None


def is_encrypted_package(path: str | Path) -> bool:
    """Whether a compound file holds an "EncryptedPackage" stream (an .xlsx with an opening password), read as
    a stream in 1 MB blocks: a directory entry's name at a 128-byte boundary."""
    tail = b""
    offset = 0  # file offset of tail[0]
    with open(path, "rb") as f:
        while block := f.read(MB):
            data = tail + block
            i = data.find(_ENCRYPTED_ENTRY)
            while i >= 0:
                if (offset + i) % 128 == 0:
                    return True
                i = data.find(_ENCRYPTED_ENTRY, i + 1)
            keep = len(_ENCRYPTED_ENTRY) - 1
            offset += len(data) - keep
            tail = data[-keep:]
    return False


def column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _ref(ref: bytes) -> tuple[int, int]:
    """(row, column) of a cell reference such as b"AB12" (either part may be absent: 0)."""
    m = re.fullmatch(rb"\$?([A-Za-z]*)\$?([0-9]*)", ref)
    if not m:
        return 0, 0
    letters, digits = m.group(1).upper().decode(), m.group(2)
    return (int(digits) if digits else 0), column_number(letters)


_DIMENSION = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*?\bref="([^"]*)"')
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet\b")
_OVERLAP = 64  # bytes kept between blocks, so a tag or a reference split by a block boundary is seen


class _SheetScan:
    """A worksheet's extent from its XML, fed block by block: rows and columns as calamine would allocate them.
    Counting is bytes.count (a handful of passes at memory speed); the one regular expression starts with a
    literal, so it skips through the text."""

    def __init__(self, limits):
        self.limits = limits
        # References worth parsing: two or more column letters (column AA = 27 on), or a row number with as many
        # digits as the row limit. Everything else is within 26 columns and 10^(d-1) rows: most sheets have no
        # such reference.
        d = len(str(limits.max_rows))
        # (XML allows either quote and spaces around "=": calamine reads them all)
        self._far = re.compile(rb'r\s*=\s*["\']([A-Z]{2,}[0-9]*|[A-Z]?[0-9]{%d,})["\']' % d)
        self.dim_rows = self.dim_cols = 0
        self.seen = 0
        self.tail = b""
        self.tags: tuple[bytes, ...] = ()
        self.rows = 0  # row tags
        self.cells = 0  # cell tags
        self.refs = 0  # cells whose first attribute is r="…", as Excel, WPS and openpyxl write them
        self.far_row = self.far_col = 0
        self.width = 0  # the widest row, counted only for cells without a reference
        self._run = 0
        self._before_data = True
        self.marked = False  # "f>" or "hidden=" seen: tqa.clean.xmlscan has something to look for (see plain)

    def _count(self, data: bytes, tags) -> int:
        return sum(data.count(t) - self.tail.count(t) for t in tags)

    def feed(self, block: bytes) -> None:
        data = self.tail + block
        if not self.tags:  # the namespace prefix, if any, from the root element (<worksheet or <x:worksheet)
            m = _ROOT.search(data[:4096])
            p = m.group(1) or b"" if m else b""
            c = b"<" + p + b"c"
            self.tags = (
                b"<" + p + b"row",
                (c + b" ", c + b">", c + b"/>", c + b"\t", c + b"\n", c + b"\r"),
                c + b' r="',
                b"<" + p + b"sheetData",
            )
        row_tag, cell_tags, with_ref, data_tag = self.tags
        if self._before_data:  # <dimension> comes before <sheetData>
            end = data.find(data_tag)
            m = _DIMENSION.search(data, 0, len(data) if end < 0 else end)
            if m:
                self.dim_rows, self.dim_cols = _ref(m.group(1).split(b":")[-1])
            self._before_data = end < 0 and self.seen < MB
        self.seen += len(block)
        self.marked = self.marked or b"f>" in data or b"hidden=" in data
        self.rows += self._count(data, (row_tag,))
        self.cells += self._count(data, cell_tags)
        self.refs += self._count(data, (with_ref,))
        for hit in set(self._far.findall(data)):
            row, col = _ref(hit)
            self.far_row, self.far_col = max(self.far_row, row), max(self.far_col, col)
        # Cells written otherwise (without a reference, which calamine places one after another, or with it
        # elsewhere): the widest row is counted, exactly.
        if self.cells > self.refs:
            for i, piece in enumerate(data[len(self.tail) :].split(row_tag)):
                if i:
                    self._run = 0
                self._run += sum(piece.count(t) for t in cell_tags)
                self.width = max(self.width, self._run)
        self.tail = data[-_OVERLAP:]

    def extent(self) -> tuple[int, int]:
        rows = max(self.dim_rows, self.far_row, self.rows)
        # Columns: the dimension, a far reference, the widest row without references; otherwise, when the sheet
        # has cells, at most Z (a reference of two letters or more would have been found).
        cols = max(self.dim_cols, self.far_col, self.width, 26 if self.cells and not self.dim_cols else 0)
        return rows, cols


def _max_row(zf: zipfile.ZipFile, info: zipfile.ZipInfo, digits: int) -> int:
    """The largest row number among a part's references (rows and cells) with at least ``digits`` digits."""
    pattern = re.compile(rb'r\s*=\s*["\'][A-Z]*([0-9]{%d,})["\']' % digits)
    best, tail = 0, b""
    with zf.open(info) as member:
        while block := member.read(MB):
            data = tail + block
            best = max([best, *(int(d) for d in set(pattern.findall(data)))])
            tail = data[-_OVERLAP:]
    return best


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Part name -> sheet name, from xl/workbook.xml and its relationships (for the messages only)."""
    from defusedxml import ElementTree

    try:
        if max(zf.getinfo(n).file_size for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")) > 10 * MB:
            return {}
        wb = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except Exception:
        return {}
    target = {r.get("Id"): r.get("Target", "") for r in rels}
    out = {}
    for el in wb.iter():
        if el.tag.endswith("}sheet"):
            rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
            t = target.get(rid, "").lstrip("/")
            out[t if t.startswith("xl/") else f"xl/{t}"] = el.get("name", "")
    return out


def _check_zip(path: Path, limits, plain: set[str] | None = None) -> None:
    name = path.name
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise WorkbookError(f"{type(exc).__name__}: {exc}") from exc
    with zf:
        infos = zf.infolist()
        unpacked_limit = limits.max_unpacked_mb * MB
        declared = sum(i.file_size for i in infos)
        bomb = "，可能已损坏或被做成了“压缩炸弹”，未读取；请学校核对后重新报送"
        if declared > unpacked_limit:
            raise WorkbookRefused(
                "file_too_large_unpacked",
                f"文件“{name}”解压后有 {declared / MB:,.0f} MB，超过上限 {limits.max_unpacked_mb} MB{bomb}",
            )
        for i in infos:
            if i.file_size >= limits.ratio_min_mb * MB and i.file_size > limits.max_ratio * max(i.compress_size, 1):
                raise WorkbookRefused(
                    "compression_ratio",
                    f"文件“{name}”中的部分“{i.filename}”压缩比为 {i.file_size / max(i.compress_size, 1):,.0f} 倍，"
                    f"超过上限 {limits.max_ratio} 倍{bomb}",
                )
        total = 0
        unmarked: dict[str, bool] = {}  # worksheet part -> neither marker in it (every entry of that name)
        for i in infos:
            sheet = any(d in i.filename for d in ("worksheets/", "macrosheets/", "dialogsheets/"))
            scan = _SheetScan(limits) if sheet and not i.is_dir() else None
            try:
                with zf.open(i) as member:
                    while block := member.read(MB):
                        total += len(block)
                        if total > unpacked_limit:
                            raise WorkbookRefused(
                                "file_too_large_unpacked",
                                f"文件“{name}”解压后超过上限 {limits.max_unpacked_mb} MB{bomb}",
                            )
                        if scan:
                            scan.feed(block)
            except WorkbookRefused:
                raise
            except Exception as exc:  # a bad CRC, a size that lied, an unknown compression, a password
                raise WorkbookError(f"{type(exc).__name__}: {exc}") from exc
            if scan:
                unmarked[i.filename] = unmarked.get(i.filename, True) and not scan.marked
                rows, cols = scan.extent()
                fit = limits.max_cells // max(cols, 1)
                if rows and rows * cols <= limits.max_cells and fit < 10 ** (len(str(limits.max_rows)) - 1):
                    # A wide sheet: the rows numbered below what the first pass parses could still make the
                    # rectangle too large. Parse every reference with as many digits as the largest row
                    # that would fit (none, in a real return), reading the part once more. (The first pass parsed
                    # the references with as many digits as the row limit: with fewer columns, the rows below
                    # that always fit.)
                    rows = max(rows, _max_row(zf, i, len(str(fit + 1))))
                _check_extent(name, i.filename, (rows, cols), limits, zf)
        if plain is not None:
            plain.update(part for part, yes in unmarked.items() if yes)


def _check_extent(name: str, part: str, extent: tuple[int, int], limits, zf: zipfile.ZipFile) -> None:
    rows, cols = extent
    problem = None
    if rows > limits.max_rows:
        problem = f"有 {rows:,} 行，超过上限 {limits.max_rows:,} 行"
    elif cols > limits.max_columns:
        problem = f"有 {cols:,} 列，超过上限 {limits.max_columns:,} 列"
    elif rows * cols > limits.max_cells:
        problem = f"有 {rows:,} 行 × {cols:,} 列 = {rows * cols:,} 个单元格，超过上限 {limits.max_cells:,} 个"
    if problem:
        sheet = _sheet_names(zf).get(part)
        where = f"工作表“{sheet}”" if sheet else f"工作表（{part}）"
        raise WorkbookRefused(
            "sheet_too_large",
            f"文件“{name}”的{where}{problem}，未读取；请删去表格下方、右侧多余的行和列（或整张多余的工作表）后重新报送",
        )


def check_workbook(path: str | Path, limits, plain: set[str] | None = None) -> str:
    """The format a return will be read as (ZIP or XLS), after the checks above; raises WorkbookRefused (not
    read, with the reason) or WorkbookError (not a workbook at all). ``limits``: params' input_limits.
    ``plain``, when given, is filled with the worksheet parts (zip member names) whose XML holds neither "f>" nor
    "hidden=": ``tqa.clean.xmlscan.scan_workbook`` has nothing to look for in them and need not inflate them again."""
    path = Path(path)
    name = path.name
    st = path.lstat()
    if not stat.S_ISREG(st.st_mode):
        raise WorkbookRefused(
            "not_regular_file",
            f"“{name}”是{describe(st.st_mode)}，不是普通文件，未读取（不跟随链接）；"
            "请把该校的报表文件本身（不是快捷方式、链接或文件夹）放入报表文件夹",
        )
    if st.st_size > limits.max_file_mb * MB:
        raise WorkbookRefused(
            "file_too_large",
            f"文件“{name}”有 {st.st_size / MB:,.0f} MB，超过报表文件的上限 {limits.max_file_mb} MB，未读取；"
            "请学校核对后重新报送",
        )
    kind = sniff(path)
    if kind == XLS:
        if is_encrypted_package(path):
            raise WorkbookRefused(
                "password_protected", f"文件“{name}”设有打开密码，无法读取；请取消密码后另存为 .xlsx 重新报送"
            )
        return XLS
    if kind == ZIP:
        _check_zip(path, limits, plain)
        return ZIP
    raise WorkbookError("内容既不是 .xlsx 也不是 .xls 格式")


@dataclass
class Grid:
    name: str
    rows: list[list]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # 0-based r0, c0, r1, c1 inclusive


def _fill_merged(rows: list[list], merged) -> None:
    for r0, c0, r1, c1 in merged:
        while len(rows) <= r1:
            rows.append([])
        top = rows[r0][c0] if c0 < len(rows[r0]) else None
        if top is None:
            continue
        for r in range(r0, r1 + 1):
            row = rows[r]
            if len(row) <= c1:
                row.extend([None] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                if row[c] is None:
                    row[c] = top


def _calamine_cells(row: list) -> list:
    """A calamine row with None for its empty cells (calamine writes ""), trailing ones dropped (as
    read_workbook would). Rows are as wide as the sheet, so most end in empty cells but have none
    inside: trimming first leaves the cell-by-cell rewrite to the few rows that need it."""
    while row and row[-1] == "":
        row.pop()
    return [None if v == "" else v for v in row] if "" in row else row


def _read_calamine(path: Path, kind: str | None = None) -> list[Grid]:
    from python_calamine import CalamineWorkbook

    if kind is None or (kind == ZIP and path.suffix.lower() in (".xlsx", ".xlsm")):
        wb = CalamineWorkbook.from_path(str(path))
    else:  # by content, not by name: an .xls saved as .xlsx, an .xlsx named .xls
        with open(path, "rb") as f:
            wb = CalamineWorkbook.from_filelike(f)
    try:
        sheets = []
        for name in wb.sheet_names:
            cs = wb.get_sheet_by_name(name)
            # skip_empty_area=False keeps leading empty rows and columns, so index i is Excel row i + 1
            # (the default drops them and shifts every row number: checked in tests/test_clean.py).
            rows = [_calamine_cells(r) for r in cs.to_python(skip_empty_area=False)]
            merged = [(a[0], a[1], b[0], b[1]) for a, b in (cs.merged_cell_ranges or [])]
            sheets.append(Grid(name, rows, merged))
        return sheets
    finally:
        wb.close()


def _read_openpyxl(path: Path, kind: str | None = None) -> list[Grid]:
    import openpyxl  # uses defusedxml when installed (it is, in our lock)

    if kind == XLS:  # openpyxl reads no .xls: calamine does
        return _read_calamine(path, kind)
    # (a file object: openpyxl goes by content, not by the name's extension; not read_only: that mode hides merged
    # ranges)
    with open(path, "rb") as f:
        wb = openpyxl.load_workbook(f, data_only=True)
    try:
        sheets = []
        for ws in wb.worksheets:
            rows = [[None if v == "" else v for v in r] for r in ws.iter_rows(min_row=1, min_col=1, values_only=True)]
            while rows and all(v is None for v in rows[-1]):
                rows.pop()
            merged = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
            sheets.append(Grid(ws.title, [list(r) for r in rows], sorted(merged)))
        return sheets
    finally:
        wb.close()


def read_workbook(path: str | Path, engine: str = "calamine", kind: str | None = None) -> dict[str, Grid]:
    """All sheets of a workbook; raises WorkbookError when the file is not a readable workbook. ``kind``: the
    format check_workbook found (None: go by the name, as a caller that checked nothing)."""
    path = Path(path)
    reader = {"calamine": _read_calamine, "openpyxl": _read_openpyxl}[engine]
    try:
        try:
            sheets = reader(path, kind)
        except BaseException as exc:
            # calamine reports a malformed file it did not expect as a Rust panic (pyo3's PanicException), a
            # BaseException: one school's file must not stop the others
            if type(exc).__name__ != "PanicException":
                raise
            raise WorkbookError(f"{type(exc).__name__}: {exc}") from exc
    except WorkbookError:
        raise
    except Exception as exc:  # corrupt zip, not a workbook, encrypted...: one message for all
        if type(exc).__name__ == "PasswordError":  # (calamine: an .xls with an opening password)
            raise WorkbookRefused(
                "password_protected", f"文件“{path.name}”设有打开密码，无法读取；请取消密码后另存为 .xlsx 重新报送"
            ) from exc
        raise WorkbookError(f"{type(exc).__name__}: {exc}") from exc
    out = {}
    for s in sheets:
        s.merged = sorted(s.merged)
        _fill_merged(s.rows, s.merged)
        for row in s.rows:  # engines disagree on sheet width (empty merged cells): trim to the data
            while row and row[-1] is None:
                row.pop()
        while s.rows and all(v is None for v in s.rows[-1]):
            s.rows.pop()
        out[s.name] = s
    return out
