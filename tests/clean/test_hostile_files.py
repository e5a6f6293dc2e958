"""Hostile and careless files in a term folder (issue 11): which files are returns, and opening them safely.

Each case builds its file at run time beside two good returns (001, 002), cleans the term, and checks the exact
message, that 001's and 002's tables are those of a clean run without the bad file, and that the row accounting
balances. Nothing hostile is committed."""

from __future__ import annotations

import os
import struct
import zipfile

import pandas as pd
import pytest

from helpers import REPO, shipped_params
from helpers import cleanfixtures as fx
from tqa.clean import clean_term
from tqa.clean.reader import CFB_MAGIC, XLS, check_workbook, is_encrypted_package, sniff
from tqa.clean.returns import RECORD_TABLES
from tqa.io import rawfiles
from tqa.io.catalog import Catalog
from tqa.io.provenance import input_files

GOOD = {"001": ("清河区实验学校", "G100"), "002": ("清河区第一小学", "G200")}
ASIDE = "（该校全部数据暂不纳入统计）"
SAVE_AS = "请用 Excel 打开后另存为 .xlsx（Excel 工作簿）重新报送"


def student(sid):
    return ((sid, "甲", "七年级", 1, "男", 90, 91, 92, 93), (sid + "1", "乙", "七年级", 2, "女", 80, 81, 82, 83))


def good_return(path, code):
    name, sid = GOOD.get(code, (fx.REGISTRY[int(code) - 1][1], f"G{code}"))
    return fx.write_workbook(path, fx.simple_return(code, name, students=student(sid)))


def base_term(root):
    term_dir = root / "data" / "raw" / fx.TERM
    fx.write_office(term_dir)
    for code in GOOD:
        good_return(term_dir / f"{code}.xlsx", code)
    return term_dir


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    root = tmp_path_factory.mktemp("baseline")
    base_term(root)
    return clean_term(Catalog(fx.TERM, root))


def texts(tables, **where) -> list[str]:
    return fx.issue_texts(tables["issues"], **where)


def assert_good_schools_untouched(tables, baseline):
    """001 and 002 exactly as in a term without the bad file; the row accounting balances everywhere."""
    for name in RECORD_TABLES:
        # (openpyxl stamps the save time into each workbook it writes: the same return has another hash, and
        # some cases rename it)
        drop = ["source_sha256", "source_file"] if name == "returns" else []
        got, want = (
            t[name][t[name]["school_code"].isin(list(GOOD))].reset_index(drop=True) for t in (tables, baseline)
        )
        pd.testing.assert_frame_equal(got.drop(columns=drop), want.drop(columns=drop), check_exact=True, obj=name)
    for code in GOOD:  # (the same messages as without the bad file, no more)
        assert texts(tables, school_code=code) == texts(baseline, school_code=code)
    acc = tables["accounting"]
    assert len(acc) and (acc["nonempty_rows"] == acc["clean_rows"] + acc["rejected_rows"]).all()


def assert_set_aside(tables, code, files):
    """The school is listed as having sent files (not as missing), with no row of data."""
    ret = tables["returns"].set_index("school_code")
    assert bool(ret.loc[code, "submitted"]) and ret.loc[code, "source_file"] == files
    for name in ("students", "scores", "fitness", "survey", "routine", "enrolment", "accounting", "rejected"):
        assert code not in set(tables[name]["school_code"]), name


def clean(root):
    return clean_term(Catalog(fx.TERM, root))


# ---- 2. a zip bomb --------------------------------------------------------------------------------------
def test_a_zip_bomb_is_refused_before_parsing_and_the_others_are_cleaned(tmp_path, baseline):
    term_dir = base_term(tmp_path)
    bomb = fx.zip_bomb(term_dir / "003.xlsx", "003", "清河区第二小学", unpacked_mb=200)
    assert bomb.stat().st_size < 5 * (1 << 20)  # a few MB on disk, 200 MB of sheet XML
    tables = clean(tmp_path)
    assert texts(tables, school_code="003") == [
        "【警告】学校 003 清河区第二小学：文件“003.xlsx”解压后有 200 MB，超过上限 100 MB，可能已损坏或被做成了"
        "“压缩炸弹”，未读取；请学校核对后重新报送" + ASIDE
    ]
    assert_set_aside(tables, "003", "003.xlsx")
    assert tables["returns"].set_index("school_code").loc["003", "source_sha256"] == rawfiles.file_sha256(bomb)
    assert_good_schools_untouched(tables, baseline)


def test_a_tiny_file_asking_for_a_huge_sheet_is_refused(tmp_path, baseline):
    """Two cells at A1 and XFD1048576 (a 7 KB file): calamine would allocate the whole rectangle."""
    term_dir = base_term(tmp_path)
    fx.far_cell_return(term_dir / "003.xlsx", "003", "清河区第二小学")
    tables = clean(tmp_path)
    assert texts(tables, school_code="003") == [
        "【警告】学校 003 清河区第二小学：文件“003.xlsx”的工作表“学业成绩”有 1,048,576 行，超过上限 100,000 行，"
        "未读取；请删去表格下方、右侧多余的行和列（或整张多余的工作表）后重新报送" + ASIDE
    ]
    assert_set_aside(tables, "003", "003.xlsx")
    assert_good_schools_untouched(tables, baseline)


@pytest.mark.parametrize(
    "xml, problem",
    [
        # the columns: a cell far to the right, no dimension
        (b'<row r="1"><c r="A1"><v>1</v></c><c r="XFD1"><v>1</v></c></row>', "有 16,384 列，超过上限 1,000 列"),
        # rows x columns: within each limit, beyond their product
        (
            b'<row r="1"><c r="ALL1"><v>1</v></c></row><row r="99999"><c r="A99999"><v>1</v></c></row>',
            "有 99,999 行 × 1,000 列 = 99,999,000 个单元格，超过上限 5,000,000 个",
        ),
        # the same, in single quotes after a tab (XML allows it; calamine reads it)
        (b"<row r='1'><c r='A1'><v>1</v></c><c\tr='XFD1'><v>1</v></c></row>", "有 16,384 列，超过上限 1,000 列"),
        # cells without a reference are placed one after another: the width is counted
        (b'<row r="9000">' + b"<c><v>1</v></c>" * 600 + b"</row>", "有 9,000 行 × 600 列"),
    ],
)
def test_the_sheet_extent_is_read_from_the_xml(tmp_path, xml, problem):
    path = fx.write_workbook(tmp_path / "003.xlsx", fx.simple_return("003", "清河区第二小学"))
    head = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    fx._rewrite_part(path, fx.SCORES_PART, lambda s: s.write(head + xml + b"</sheetData></worksheet>"))
    from tqa.clean.reader import WorkbookRefused

    with pytest.raises(WorkbookRefused) as err:
        check_workbook(path, shipped_params().input_limits)
    assert err.value.rule == "sheet_too_large" and problem in err.value.message


def test_every_sample_return_passes_the_limits_with_room_to_spare(tmp_path):
    """The limits are far above real returns: the shipped sample district passes a tenth of each limit."""
    limits = shipped_params().input_limits
    tenth = limits.model_copy(
        update={k: max(1, v // 10) if isinstance(v, int) else v / 10 for k, v in limits.model_dump().items()}
    )
    tenth = tenth.model_copy(update={"ratio_min_mb": limits.ratio_min_mb})
    files = sorted((REPO / "data" / "raw" / "2023-2").glob("*.xlsx"))
    assert len(files) > 30
    for path in files:
        assert check_workbook(path, tenth) == "zip"


def test_hashes_are_streamed(tmp_path, monkeypatch):
    """A return's hash is read in blocks (clean_return, provenance): never the whole file at once."""
    from pathlib import Path

    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(3 << 20))
    reads = []
    real_open = open

    class Spy:
        def __init__(self, f):
            self.f = f

        def read(self, n=-1):
            reads.append(n)
            return self.f.read(n)

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.f.close()

    monkeypatch.setattr("builtins.open", lambda p, mode="r", *a, **k: Spy(real_open(p, mode, *a, **k)))
    import hashlib

    assert rawfiles.file_sha256(Path(path)) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert reads and all(0 < n <= 1 << 20 for n in reads)
    monkeypatch.undo()
    from tqa.io import provenance

    assert provenance.file_sha256 is rawfiles.file_sha256


# ---- 3. links, folders, pipes and other files ----------------------------------------------------------
def test_links_folders_and_pipes_are_listed_and_never_followed(tmp_path, baseline):
    term_dir = base_term(tmp_path)
    outside = good_return(tmp_path / "elsewhere" / "003.xlsx", "003")  # a file outside the project's folder
    (term_dir / "003.xlsx").symlink_to(outside)
    (term_dir / "004.xlsx").mkdir()  # a folder named like a return
    os.mkfifo(term_dir / "005.xlsx")  # a pipe: opening it would hang the run
    (term_dir / "说明 (1).docx").write_bytes(b"PK\x03\x04 a Word file")
    (term_dir / "~$001.xlsx").write_bytes(b"Excel's lock file")  # left alone, silently
    tables = clean(tmp_path)
    what = "，不是普通文件，未读取（不跟随链接）；请把该校的报表文件本身（不是快捷方式、链接或文件夹）放入报表文件夹"
    assert texts(tables, school_code="003") == [
        f"【警告】学校 003 清河区第二小学：“003.xlsx”是符号链接（快捷方式）{what}{ASIDE}"
    ]
    assert texts(tables, school_code="004") == [f"【警告】学校 004 清河区第三小学：“004.xlsx”是文件夹{what}{ASIDE}"]
    assert texts(tables, school_code="005") == [f"【警告】学校 005 清河区实验中学：“005.xlsx”是管道文件{what}{ASIDE}"]
    assert texts(tables, school_code=None) == [
        "【警告】全区：报表文件夹中的“说明 (1).docx”（文件）不是学校报表（报表应为 .xlsx 文件），未读取；"
        f"如是某校的报表，{SAVE_AS}（已忽略）"
    ]
    for code in ("003", "004", "005"):
        assert_set_aside(tables, code, f"{code}.xlsx")
    assert tables["returns"]["source_sha256"].isna().sum() == 3  # nothing behind a link or a pipe was read
    assert_good_schools_untouched(tables, baseline)
    # The manifest's inputs: regular files only (the pipe is not opened, the link not followed).
    names = [p.name for p in input_files(Catalog(fx.TERM, tmp_path))]
    assert names == ["001.xlsx", "002.xlsx", "exam_spec.csv", "registry.csv", "说明 (1).docx"]


# ---- 4. any file name ----------------------------------------------------------------------------------
NAMES = ["001 - 副本.xlsx", "002 $HOME 'a' & (1) #1 %2 :3.xlsx"]


def test_a_return_may_have_any_name(tmp_path, baseline):
    """Windows' copy name (a space) and shell-special characters: the school is found from the name's
    leading code, and its tables are those of 001.xlsx and 002.xlsx (only the file name differs)."""
    term_dir = base_term(tmp_path)
    for code, name in zip(GOOD, NAMES):
        (term_dir / f"{code}.xlsx").rename(term_dir / name)
    tables = clean(tmp_path)
    assert tables["returns"].dropna(subset=["source_file"])["source_file"].tolist() == NAMES
    assert_good_schools_untouched(tables, baseline)


def test_the_listing_make_depends_on_changes_only_with_the_folder(tmp_path):
    term_dir = base_term(tmp_path)
    (term_dir / NAMES[1]).write_bytes(b"x")
    listing = tmp_path / "data" / "clean" / fx.TERM / rawfiles.LISTING
    assert rawfiles.write_listing(tmp_path, fx.TERM) and listing.exists()
    os.utime(listing, ns=(1, 1))
    assert not rawfiles.write_listing(tmp_path, fx.TERM)  # nothing changed: not rewritten
    (term_dir / "~$001.xlsx").write_bytes(b"lock")  # Excel opened a return: nothing to re-run
    assert not rawfiles.write_listing(tmp_path, fx.TERM) and listing.stat().st_mtime_ns == 1
    for change in (
        lambda: (term_dir / "003.xlsx").write_bytes(b"new"),  # a file added
        lambda: (term_dir / "003.xlsx").rename(term_dir / "003 (2).xlsx"),  # renamed
        lambda: os.utime(term_dir / "001.xlsx", ns=(5, 5)),  # re-sent (same size, another time)
        lambda: (term_dir / "office" / "registry.csv").write_text("x", encoding="utf-8"),  # the office's files
        lambda: (term_dir / "003 (2).xlsx").unlink(),  # removed
    ):
        change()
        assert rawfiles.write_listing(tmp_path, fx.TERM)
    assert [row[0] for row in rawfiles.listing(term_dir)] == [
        "001.xlsx",
        NAMES[1],
        "002.xlsx",
        "office",
        "office/exam_spec.csv",
        "office/registry.csv",
    ]


# ---- 5. several files for one school --------------------------------------------------------------------
@pytest.mark.parametrize("copy", ["002(1).xlsx", "002 - 副本.xlsx"])
def test_several_files_for_a_school_set_it_aside_naming_every_file(tmp_path, baseline, copy):
    term_dir = base_term(tmp_path)
    good_return(term_dir / "003.xlsx", "003")
    good_return(term_dir / copy, "003")  # the copy says 003 in its cells; its name says 002
    fx.write_workbook(term_dir / "004.xlsx", fx.simple_return("004", "清河区第三小学", students=student("G400")))
    fx.write_workbook(term_dir / "004(1).xlsx", fx.simple_return("004", "清河区第三小学", students=student("G401")))
    tables = clean(tmp_path)
    files = sorted(["002.xlsx", copy])
    assert texts(tables, school_code="002") == [
        f"【警告】学校 002 清河区第一小学：学校 002 有 2 个报表文件：“{files[0]}”、“{files[1]}”，无法判断哪一个是"
        "正式报表，均未使用；请在报表文件夹中只保留该校的一个文件（删除或移走其余的副本）后重新运行" + ASIDE
    ]
    assert texts(tables, school_code="004") == [
        "【警告】学校 004 清河区第三小学：学校 004 有 2 个报表文件：“004(1).xlsx”、“004.xlsx”，无法判断哪一个是"
        "正式报表，均未使用；请在报表文件夹中只保留该校的一个文件（删除或移走其余的副本）后重新运行" + ASIDE
    ]
    assert_set_aside(tables, "002", "、".join(files))
    assert_set_aside(tables, "004", "004(1).xlsx、004.xlsx")
    # The others: 001 as before, 003 cleaned as usual.
    assert sorted(tables["students"]["student_id"]) == ["G003", "G0031", "G100", "G1001"]
    acc = tables["accounting"]
    assert set(acc["school_code"]) == {"001", "003"}
    assert (acc["nonempty_rows"] == acc["clean_rows"] + acc["rejected_rows"]).all()


# ---- 6. .xlsm, .xls, an .xls named .xlsx, a password ----------------------------------------------------
def test_an_xlsm_return_is_read_like_an_xlsx(tmp_path, baseline):
    term_dir = base_term(tmp_path)
    (term_dir / "002.xlsx").rename(term_dir / "002.xlsm")
    for engine in ("calamine", "openpyxl"):
        tables = clean_term(Catalog(fx.TERM, tmp_path), engine=engine)
        assert tables["returns"].set_index("school_code").loc["002", "source_file"] == "002.xlsm"
        if engine == "calamine":
            assert_good_schools_untouched(tables, baseline)
        assert len(tables["students"].query("school_code == '002'")) == 2


def cfb(entries: list[str], size: int = 4096) -> bytes:
    """A compound file header and a directory sector holding ``entries`` (names only): enough for the
    format's magic bytes and for an encrypted package's directory entry, not a readable workbook."""
    header = (CFB_MAGIC + b"\0" * 16 + struct.pack("<HHH", 0x3E, 3, 0xFFFE) + struct.pack("<H", 9)).ljust(512, b"\0")
    directory = b""
    for name in entries:
        raw = name.encode("utf-16-le") + b"\0\0"
        directory += (raw.ljust(64, b"\0") + struct.pack("<H", len(raw))).ljust(128, b"\0")
    return (header + directory).ljust(size, b"\0")


def test_an_xls_saved_under_an_xlsx_name_gets_the_instruction(tmp_path, baseline):
    term_dir = base_term(tmp_path)
    (term_dir / "003.xlsx").write_bytes(cfb(["Root Entry", "Workbook"]))
    (term_dir / "004.xls").write_bytes(cfb(["Root Entry", "Workbook"]))
    assert sniff(term_dir / "003.xlsx") == XLS and not is_encrypted_package(term_dir / "003.xlsx")
    tables = clean(tmp_path)
    [msg3] = texts(tables, school_code="003")
    assert msg3.startswith(
        "【警告】学校 003 清河区第二小学：文件“003.xlsx”的内容是 Excel 97-2003 格式（.xls），不是文件名所示的 .xlsx，"
        "无法读取（"
    ) and msg3.endswith(f"）；{SAVE_AS}{ASIDE}")
    assert "EOCD" not in msg3 and "Zip" not in msg3
    [msg4] = texts(tables, school_code="004")
    assert msg4.startswith("【警告】学校 004 清河区第三小学：文件“004.xls”是 Excel 97-2003 格式（.xls），无法读取（")
    assert msg4.endswith(f"）；{SAVE_AS}{ASIDE}")
    assert set(tables["issues"].query("school_code in ['003', '004']")["rule"]) == {"old_format"}
    assert_set_aside(tables, "003", "003.xlsx")
    assert_set_aside(tables, "004", "004.xls")
    assert_good_schools_untouched(tables, baseline)


def test_an_xlsx_with_an_opening_password_says_so(tmp_path, baseline):
    """Office keeps a password-protected .xlsx as a compound file with an "EncryptedPackage" stream."""
    term_dir = base_term(tmp_path)
    (term_dir / "003.xlsx").write_bytes(cfb(["Root Entry", "EncryptionInfo", "EncryptedPackage"]))
    text = "EncryptedPackage".encode("utf-16-le")
    (term_dir / "004.xls").write_bytes(cfb(["Root Entry", "Workbook"]) + b"\1" + text)  # the name, not aligned
    assert is_encrypted_package(term_dir / "003.xlsx") and not is_encrypted_package(term_dir / "004.xls")
    tables = clean(tmp_path)
    assert texts(tables, school_code="003") == [
        "【警告】学校 003 清河区第二小学：文件“003.xlsx”设有打开密码，无法读取；请取消密码后另存为 .xlsx 重新报送"
        + ASIDE
    ]
    assert tables["issues"].query("school_code == '004'")["rule"].tolist() == ["old_format"]
    assert_set_aside(tables, "003", "003.xlsx")
    assert_good_schools_untouched(tables, baseline)


def test_a_text_file_named_xls_gets_the_instruction(tmp_path, baseline):
    """What some systems export as ".xls" is a web page or a CSV."""
    term_dir = base_term(tmp_path)
    (term_dir / "003.xls").write_text("<html><table><tr><td>学籍号</td></tr></table></html>", encoding="utf-8")
    tables = clean(tmp_path)
    assert texts(tables, school_code="003") == [
        "【警告】学校 003 清河区第二小学：文件“003.xls”无法作为 Excel 工作簿打开（内容既不是 .xlsx 也不是 .xls 格式）；"
        + SAVE_AS
        + ASIDE
    ]
    assert_set_aside(tables, "003", "003.xls")
    assert_good_schools_untouched(tables, baseline)


def test_a_part_whose_declared_size_lies_is_not_read(tmp_path, baseline):
    """The sizes in the zip's directory are the file's own claim: the check inflates each part as a stream and
    stops at the declared size, where the checksum fails (calamine would have inflated all of it)."""
    term_dir = base_term(tmp_path)
    path = fx.write_workbook(term_dir / "003.xlsx", fx.simple_return("003", "清河区第二小学"))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(fx.SCORES_PART)
    struct.pack_into("<I", data, info.header_offset + 22, 100)  # the local header's uncompressed size
    at = data.find(b"PK\x01\x02")
    while at >= 0:  # and the central directory's
        if bytes(data[at + 46 : at + 46 + struct.unpack_from("<H", data, at + 28)[0]]) == fx.SCORES_PART.encode():
            struct.pack_into("<I", data, at + 24, 100)
        at = data.find(b"PK\x01\x02", at + 1)
    path.write_bytes(bytes(data))
    tables = clean(tmp_path)
    assert texts(tables, school_code="003") == [
        "【警告】学校 003 清河区第二小学：文件“003.xlsx”无法作为 Excel 工作簿打开（BadZipFile: Bad CRC-32 for file "
        f"'{fx.SCORES_PART}'）；{SAVE_AS}{ASIDE}"
    ]
    assert_set_aside(tables, "003", "003.xlsx")
    assert_good_schools_untouched(tables, baseline)


def school_tables(tables, code):
    out = {}
    for name in RECORD_TABLES:
        df = tables[name][tables[name]["school_code"] == code].reset_index(drop=True)
        out[name] = df.drop(columns=["source_sha256", "source_file"]) if name == "returns" else df
    return out


def test_a_real_xls_is_read_whatever_its_name(tmp_path, baseline):
    """An Excel 97-2003 workbook (built at run time: a BIFF8 stream in a compound file) is read through calamine,
    as .xls and under an .xlsx name, with a note to save as .xlsx next time; its tables are those of the same
    return saved as .xlsx."""
    xlsx_root = tmp_path / "as-xlsx"
    for code in ("003", "004"):
        good_return(base_term(xlsx_root) / f"{code}.xlsx", code)
    want = clean(xlsx_root)
    root = tmp_path / "as-xls"
    term_dir = base_term(root)
    for code, name in (("003", "003.xls"), ("004", "004.xlsx")):
        fx.xls_return(
            term_dir / name, fx.simple_return(code, fx.REGISTRY[int(code) - 1][1], students=student(f"G{code}"))
        )
    assert sniff(term_dir / "004.xlsx") == XLS
    for engine in ("calamine", "openpyxl"):  # (openpyxl reads no .xls: calamine does, whichever engine is asked)
        tables = clean_term(Catalog(fx.TERM, root), engine=engine)
        assert texts(tables, school_code="003", rule="old_format") == [
            "【已自动修正】学校 003 清河区第二小学：文件“003.xls”是 Excel 97-2003 格式（.xls），已按该格式读取；"
            "今后请用 Excel 另存为 .xlsx（Excel 工作簿）报送（已自动修正）"
        ]
        assert texts(tables, school_code="004", rule="old_format") == [
            "【已自动修正】学校 004 清河区第三小学：文件“004.xlsx”是 Excel 97-2003 格式（.xls），不是文件名所示的 "
            ".xlsx，已按该格式读取；今后请用 Excel 另存为 .xlsx（Excel 工作簿）报送（已自动修正）"
        ]
        for code in ("003", "004"):  # (and the other messages: those of the .xlsx)
            assert texts(tables, school_code=code)[1:] == texts(want, school_code=code)
            got, expected = school_tables(tables, code), school_tables(want, code)
            for name in RECORD_TABLES:
                pd.testing.assert_frame_equal(got[name], expected[name], check_exact=True, obj=f"{code} {name}")
        if engine == "calamine":
            assert_good_schools_untouched(tables, baseline)


def test_a_malformed_compound_file_that_makes_calamine_panic_is_one_schools_problem(tmp_path, baseline):
    """calamine answers some malformed files with a Rust panic (a BaseException): caught, as any unreadable file."""
    term_dir = base_term(tmp_path)
    stream = fx.biff_workbook(fx.simple_return("003", "清河区第二小学"))
    (term_dir / "003.xls").write_bytes(fx.compound_file({"Workbook": stream}, padded=False))
    tables = clean(tmp_path)
    [message] = texts(tables, school_code="003")
    assert message.startswith(
        "【警告】学校 003 清河区第二小学：文件“003.xls”是 Excel 97-2003 格式（.xls），无法读取（PanicException: "
    ) and message.endswith(f"）；{SAVE_AS}{ASIDE}")
    assert_set_aside(tables, "003", "003.xls")
    assert_good_schools_untouched(tables, baseline)


def test_the_checks_show_a_refused_or_doubled_school_as_set_aside_not_as_missing(tmp_path):
    """Cleaning, then the checks step: the schools whose files were refused or doubled are 暂不纳入统计（整校问题）,
    the good ones usable, the one that sent nothing 未提交; nothing blocks the run."""
    from helpers import SUITES
    from tqa.checks import run_checks
    from tqa.checks.step import STATUS_MISSING, STATUS_SET_ASIDE
    from tqa.io.office import read_exam_spec, read_registry

    term_dir = base_term(tmp_path)
    fx.zip_bomb(term_dir / "003.xlsx", "003", "清河区第二小学")
    good_return(term_dir / "004.xlsx", "004")
    good_return(term_dir / "004 - 副本.xlsx", "004")
    catalog = Catalog(fx.TERM, tmp_path)
    tables = clean_term(catalog)
    result = run_checks(
        tables, read_registry(catalog.registry), read_exam_spec(catalog.exam_spec), shipped_params(), suites_dir=SUITES
    )
    assert not result.blocking
    ret = result.tables["returns"].set_index("school_code")
    assert ret["status"].to_dict() | {"001": None, "002": None} == {
        "001": None,  # (the small fixture has its own checks findings: not this test's concern)
        "002": None,
        "003": STATUS_SET_ASIDE,
        "004": STATUS_SET_ASIDE,
        "005": STATUS_MISSING,
    }
    assert ret["usable"].to_dict() == {"001": True, "002": True, "003": False, "004": False, "005": False}
    assert not {"003", "004"} & set(result.tables["students"]["school_code"])
