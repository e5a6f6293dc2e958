"""The office's CSV files as Excel really saves them (encodings), and rows the office typed twice or left
unreadable: every problem names the file, the CSV row (the header is row 1) and the value."""

from __future__ import annotations

import codecs
import math
from pathlib import Path

import pytest

from checks.test_checks import PARAMS, SUITES, clean_tables, exam_spec, registry, run  # the checks' tiny district
from tqa.checks import run_checks
from tqa.core.encoding import GB18030, UTF8, UTF8_BOM, UTF16, decode_text
from tqa.io.office import (
    OfficeFileError,
    read_exam_spec,
    read_inspection_ratings,
    read_item_spec,
    read_registry,
)
from tqa.io.provenance import inputs_listing

REG_HEADER = "学校代码,学校名称,曾用名或简称,学校类型,学校类别\n"
REG_ROWS = "001,城东小学,东小|城东,小学,城区\n002,城西中学,,初中,乡镇\n"
HOW = "请用 Excel 打开该文件，“另存为”并选择“CSV UTF-8（逗号分隔）(*.csv)”，再重新运行"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---- encodings ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data, label",
    [
        ((REG_HEADER + REG_ROWS).encode("utf-8"), UTF8),
        (codecs.BOM_UTF8 + (REG_HEADER + REG_ROWS).encode("utf-8"), UTF8_BOM),
        ((REG_HEADER + REG_ROWS).encode("gb18030"), GB18030),
        ((REG_HEADER + REG_ROWS).encode("gbk"), GB18030),  # GBK is a subset of GB18030
        (
            codecs.BOM_UTF16_LE + (REG_HEADER + REG_ROWS).replace(",", "\t").replace("\n", "\r\n").encode("utf-16-le"),
            UTF16,
        ),
    ],
    ids=["utf8", "utf8-bom", "gb18030", "gbk", "utf16-excel-unicode-text"],
)
def test_registry_is_read_in_every_encoding_excel_saves(tmp_path, data, label):
    reg = read_registry(write(tmp_path, "registry.csv", data))
    assert reg.attrs["encoding"] == label
    assert reg["school_code"].tolist() == ["001", "002"]
    assert reg["school_name"].tolist() == ["城东小学", "城西中学"]
    assert reg["name_variants"].tolist() == ["东小|城东", ""]
    assert reg["csv_row"].tolist() == [2, 3]
    # the manifest (and the cleaning step's inputs record) say how each office file was read
    raw = tmp_path / "raw"
    (raw / "office").mkdir(parents=True)
    (raw / "office" / "registry.csv").write_bytes(data)
    catalog = type("C", (), {"raw": raw, "root": tmp_path})()
    (entry,) = inputs_listing(catalog)
    assert entry["path"] == "raw/office/registry.csv" and entry["encoding"] == label


def test_gbk_text_is_never_taken_for_utf8_and_utf8_never_for_gbk():
    text = "学校代码,学校名称\n001,清河区第一实验小学\n"
    assert decode_text(text.encode("gbk")).text == text
    assert decode_text(text.encode("utf-8")).encoding == UTF8


def test_a_file_that_is_not_text_names_the_file_and_says_what_to_do(tmp_path):
    with pytest.raises(OfficeFileError) as e:
        read_registry(write(tmp_path, "registry.csv", b"PK\x03\x04\x14\x00\x06\x00 an xlsx renamed"))
    assert str(e.value) == (
        "学校名册（registry.csv）无法读取：不是文本文件（含有空字节，可能是 Excel 工作簿或其他文件改了扩展名）。" + HOW
    )
    with pytest.raises(OfficeFileError) as e:
        read_exam_spec(
            write(tmp_path, "exam_spec.csv", "年级,学科,满分,评价方式\n7,语文,120,分数\n".encode() + b"\xff\x80")
        )
    assert str(e.value) == (
        "考试安排（exam_spec.csv）无法读取：文字编码无法识别：既不是 UTF-8，也不是 GB18030/GBK（第 3 行有无法读取的字节）。"
        + HOW
    )


def test_missing_columns_in_a_file_read_as_gb18030_hint_at_the_encoding(tmp_path):
    # Almost any bytes decode as GB18030: when the columns then make no sense, the message says how it was read.
    with pytest.raises(OfficeFileError) as e:
        read_registry(write(tmp_path, "registry.csv", "名称,类型\n甲,乙\n".encode("gb18030")))
    assert str(e.value) == (
        "学校名册（registry.csv）缺少列：学校代码、学校名称、曾用名或简称、学校类型、学校类别"
        f"（按 {GB18030}读取；若不是这种编码，{HOW}）"
    )


# ---- rows typed twice, blank or text values --------------------------------------------------------------
def test_a_school_code_listed_twice_stops_the_run_naming_both_rows(tmp_path):
    data = REG_HEADER + REG_ROWS + "1,城东小学分校,,小学,城区\n"
    with pytest.raises(OfficeFileError) as e:
        read_registry(write(tmp_path, "registry.csv", data.encode("utf-8-sig")))
    assert str(e.value) == (
        "学校名册（registry.csv）第 4 行：学校代码 001 与第 2 行重复（第 2 行为“城东小学”，本行为“城东小学分校”）；"
        "一所学校只能有一行，请删去或改正其中一行"
    )


@pytest.mark.parametrize(
    "row, message",
    [
        (",城北小学,,小学,城区", "学校名册（registry.csv）第 4 行：学校代码“”应为 3 位数字"),
        ("00A,城北小学,,小学,城区", "学校名册（registry.csv）第 4 行：学校代码“00A”应为 3 位数字"),
        ("003,,,小学,城区", "学校名册（registry.csv）第 4 行：学校 003 的学校名称为空"),
        (
            "003,城北小学,,高中,城区",
            "学校名册（registry.csv）第 4 行：学校类型“高中”无法识别（应为 小学、初中、九年一贯制）",
        ),
    ],
)
def test_an_unusable_registry_row_names_its_row_and_value(tmp_path, row, message):
    with pytest.raises(OfficeFileError) as e:
        read_registry(write(tmp_path, "registry.csv", (REG_HEADER + REG_ROWS + row + "\n").encode("utf-8-sig")))
    assert str(e.value) == message


def test_an_item_listed_twice_names_both_rows(tmp_path):
    data = "年级,学科,题号,满分,题型\n9,数学,1,3,客观\n9,数学,2,3,客观\n9,数学,第1题,4,主观\n"
    with pytest.raises(OfficeFileError) as e:
        read_item_spec(write(tmp_path, "item_spec.csv", data.encode("gb18030")))
    assert str(e.value) == "试卷结构表（item_spec.csv）第 4 行：9 年级数学第 1 题与第 2 行重复"


def spec_rows(tmp_path, full_marks: str):
    data = f"年级,学科,满分,评价方式\n1,语文,,等级\n1,数学,,等级\n3,语文,{full_marks},分数\n3,数学,100,分数\n"
    data += "8,语文,120,分数\n8,数学,120,分数\n"
    return read_exam_spec(write(tmp_path, "exam_spec.csv", data.encode("utf-8-sig")))


@pytest.mark.parametrize(
    "written, message",
    [
        ("", "3 年级「语文」按分数评价，但满分为空"),
        ("一百", "3 年级「语文」按分数评价，但满分“一百”不是数字"),
    ],
)
def test_blank_or_text_full_marks_block_naming_the_csv_row_and_value(tmp_path, written, message):
    spec = spec_rows(tmp_path, written)
    assert math.isnan(spec["full_marks"].iloc[2]) and spec["full_marks_text"].iloc[2] == written
    res = run(spec=spec)
    assert res.blocking
    (hit,) = res.issues.loc[res.issues["rule"] == "exam_spec_full_marks_unreadable"].to_dict("records")
    assert (hit["sheet"], hit["excel_row"], hit["column"], hit["value"]) == (
        "考试安排（exam_spec.csv）",
        4,
        "满分",
        written,
    )
    assert hit["message"] == message and hit["severity"] == "blocking"
    assert hit["action"].startswith("运行已停止；")


def test_full_marks_of_a_graded_paper_may_be_blank_and_a_valid_spec_passes(tmp_path):
    res = run(spec=spec_rows(tmp_path, "100"))
    assert not res.blocking
    assert not res.issues["rule"].str.startswith("exam_spec").any()


def test_a_subject_listed_twice_names_both_rows(tmp_path):
    data = "年级,学科,满分,评价方式\n3,语文,100,分数\n3,数学,100,分数\n3,语文,120,分数\n"
    res = run(spec=read_exam_spec(write(tmp_path, "exam_spec.csv", data.encode("gb18030"))))
    hits = res.issues.loc[res.issues["rule"] == "exam_spec_duplicate"]
    assert hits["excel_row"].tolist() == [2, 4]
    assert set(hits["message"]) == {"考试安排中 3 年级「语文」出现了不止一次（第 2、4 行）"}


def test_ratings_typed_twice_or_unreadable_are_set_aside_with_their_rows_and_values(tmp_path):
    data = (
        "学校代码,指标编号,指标名称,等级,得分,满分,评价人\n"
        "001,A1,课程实施,A,9,10,甲\n"  # 2 fine
        "001,A2,教学常规,B,八分,10,甲\n"  # 3 text score
        "002,A1,课程实施,A,9,,乙\n"  # 4 blank full marks
        "003,A1,课程实施,A,9,10,丙\n"  # 5 \ the same school and indicator twice
        "3,A1,课程实施,B,7,10,丙\n"  # 6 /
    )
    ratings = read_inspection_ratings(write(tmp_path, "inspection_ratings.csv", data.encode("gb18030")))
    res = run_checks(clean_tables(), registry(), exam_spec(), PARAMS, suites_dir=SUITES, ratings=ratings)
    got = res.issues.loc[res.issues["rule"].str.startswith("rating_")]
    got = got[["rule", "excel_row", "value", "message"]].to_dict("records")
    assert got == [
        {
            "rule": "rating_score_missing",
            "excel_row": 3,
            "value": "八分",
            "message": "指标 A2 教学常规 的得分“八分”不是可用的数字（空白或文字）",
        },
        {
            "rule": "rating_max_missing",
            "excel_row": 4,
            "value": "",
            "message": "指标 A1 课程实施 的满分“”不是可用的数字（空白或文字）",
        },
        *[
            {
                "rule": "rating_duplicate",
                "excel_row": r,
                "value": "A1",
                "message": "学校 003 的指标 A1 课程实施 有不止一行（第 5、6 行），不知道哪一行是对的",
            }
            for r in (5, 6)
        ],
    ]
    assert not res.blocking
    kept = res.tables["ratings"]
    assert kept[["school_code", "indicator_id"]].values.tolist() == [["001", "A1"]]


def test_a_blank_subject_names_its_row(tmp_path):
    data = "年级,学科,满分,评价方式\n7,语文,120,分数\n8,,120,分数\n"
    with pytest.raises(OfficeFileError) as e:
        read_exam_spec(write(tmp_path, "exam_spec.csv", data.encode("utf-8-sig")))
    assert str(e.value) == "考试安排（exam_spec.csv）第 3 行：8 年级这一行的学科为空"
    with pytest.raises(OfficeFileError) as e:
        read_item_spec(write(tmp_path, "item_spec.csv", "年级,学科,题号,满分,题型\n9,,1,3,客观\n".encode()))
    assert str(e.value) == "试卷结构表（item_spec.csv）第 2 行：9 年级这一行的学科为空"
