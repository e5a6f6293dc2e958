"""Which text encoding an office CSV was saved in, decided from its bytes (standard library only: the run's
lock wrapper reads it with the system Python, before the virtual environment exists).

Excel writes a CSV in one of three ways: "CSV UTF-8" (UTF-8 with a BOM), plain "CSV" on Chinese Windows
(the ANSI code page 936, i.e. GBK; GB18030 is its superset) and "Unicode 文本" (UTF-16LE with a BOM, tab
separated). The order matters: strict UTF-8 first (a GBK file almost never decodes as UTF-8, while almost
any bytes decode as GB18030), then the UTF-16 BOMs, then GB18030 guarded against binary and mojibake.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

UTF8 = "UTF-8"
UTF8_BOM = "UTF-8（带 BOM）"
GB18030 = "GB18030（中文 Windows 的编码）"
UTF16 = "UTF-16（Excel“Unicode 文本”）"
# The labels that need no note: what the office is asked to save (docs/raw-returns.md).
EXPECTED = (UTF8, UTF8_BOM)
HOW_TO_SAVE = "请用 Excel 打开该文件，“另存为”并选择“CSV UTF-8（逗号分隔）(*.csv)”，再重新运行"


class EncodingError(ValueError):
    """The bytes are not text in an encoding the office's tools write; the message says why (Chinese)."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # one of the labels above (Chinese, for messages)
    delimiter: str  # "," or "\t" (Excel's "Unicode 文本" is tab separated)


def _control_chars(text: str) -> bool:
    """Control characters other than tab and line ends: binary data, or bytes decoded with the wrong table."""
    return any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in text)


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return "\t" if "\t" in header and "," not in header else ","


def decode_text(data: bytes) -> Decoded:
    """The text of a CSV file's bytes and the encoding it was read with; EncodingError when it is none."""
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom) and not data.startswith(codecs.BOM_UTF8):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError as e:
                raise EncodingError("文件以 UTF-16 标记开头，但内容不是 UTF-16 文本") from e
            return Decoded(text, UTF16, _delimiter(text))
    if b"\x00" in data:
        raise EncodingError("不是文本文件（含有空字节，可能是 Excel 工作簿或其他文件改了扩展名）")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        bom = text.startswith("\ufeff")
        text = text[1:] if bom else text
        if _control_chars(text):
            raise EncodingError("不是文本文件（含有控制字符）")
        return Decoded(text, UTF8_BOM if bom else UTF8, _delimiter(text))
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1  # a line a person can look at, not a byte offset
        raise EncodingError(
            f"文字编码无法识别：既不是 UTF-8，也不是 GB18030/GBK（第 {line} 行有无法读取的字节）"
        ) from e
    if "\ufffd" in text or _control_chars(text):
        raise EncodingError("文字编码无法识别：既不是 UTF-8，也不是 GB18030/GBK（按 GB18030 读出了乱码或控制字符）")
    return Decoded(text, GB18030, _delimiter(text))


def file_encoding(path) -> str | None:
    """The encoding label of a file, or None when it is not text in any encoding above."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        return decode_text(data).encoding
    except EncodingError:
        return None
