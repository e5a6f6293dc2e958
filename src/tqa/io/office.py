"""The office's own files (office/*.csv): one reader each, used by every step that needs the file.

Each reader returns a DataFrame with the English column names of its spec (``tqa.schema.office``) and a
``csv_row`` column (the line in the file, the header being line 1), so that a problem can name its row.
Cleaning, checks, statistics and the template all read through these functions: a school code, a grade or a
full mark means the same thing to every step.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from tqa.core import vocabulary as vocab
from tqa.core.encoding import EXPECTED, HOW_TO_SAVE, EncodingError, decode_text
from tqa.core.normalize import normalize_grade, normalize_item_label, parse_number, squash
from tqa.schema import office
from tqa.schema.office import OfficeFile


class OfficeFileError(ValueError):
    """An office file that cannot be used; the message names the file, the row and the value (Chinese)."""


def _where(spec: OfficeFile, path: str | Path, row: int | None = None) -> str:
    return f"{spec.title}（{Path(path).name}）" + (f"第 {row} 行" if row is not None else "")


def read_csv_table(path: str | Path, spec: OfficeFile) -> pd.DataFrame:
    """The file's columns of ``spec`` as text (stripped), English names, plus ``csv_row``; rows the office left
    blank are dropped (Excel often saves trailing empty lines). ``attrs["encoding"]``: the encoding the file was
    read with (``tqa.core.encoding``: UTF-8 with or without a BOM, GB18030 from Excel on Chinese Windows,
    UTF-16 from Excel's "Unicode 文本")."""
    data = Path(path).read_bytes()
    try:
        decoded = decode_text(data)
    except EncodingError as e:
        raise OfficeFileError(f"{_where(spec, path)}无法读取：{e}。{HOW_TO_SAVE}") from None
    # Blank lines are kept while reading so that csv_row is the line a person sees in the file.
    raw = pd.read_csv(
        io.StringIO(decoded.text), sep=decoded.delimiter, dtype=str, keep_default_na=False, skip_blank_lines=False
    )
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [zh for zh in spec.columns.values() if zh not in raw.columns]
    if missing:
        hint = "" if decoded.encoding in EXPECTED else f"（按 {decoded.encoding}读取；若不是这种编码，{HOW_TO_SAVE}）"
        raise OfficeFileError(f"{_where(spec, path)}缺少列：{'、'.join(missing)}{hint}")
    out = raw[list(spec.columns.values())].rename(columns={zh: en for en, zh in spec.columns.items()})
    out = out.fillna("")
    for col in out.columns:
        out[col] = out[col].str.strip()
    out["csv_row"] = range(2, len(out) + 2)
    out = out.loc[(out.drop(columns="csv_row") != "").any(axis=1)].reset_index(drop=True)
    out.attrs["encoding"] = decoded.encoding
    return out


def _fail(spec: OfficeFile, path, df: pd.DataFrame, mask: pd.Series, what: str) -> None:
    """Stop on the first row of ``mask``: the message names the file, the CSV row and (``what``, formatted
    with the row's values) the value."""
    i = int(mask.to_numpy().argmax())
    raise OfficeFileError(f"{_where(spec, path, int(df['csv_row'].iloc[i]))}：" + what.format(**df.iloc[i]))


def _duplicates(spec: OfficeFile, path, df: pd.DataFrame, keys: list[str], what: str) -> None:
    """Stop on a key listed twice, naming both rows: ``what`` is formatted with the later row's values,
    ``first`` (the earlier row's CSV row) and ``first_<column>`` (its values). Which of the two is right only
    the office knows, so neither is taken."""
    dup = df.duplicated(keys, keep="first")
    if dup.any():
        i = int(dup.to_numpy().argmax())
        earlier = df.loc[df[keys].eq(df[keys].iloc[i]).all(axis=1)].iloc[0]
        extra = {"first": int(earlier["csv_row"]), **{f"first_{c}": v for c, v in earlier.items()}}
        _fail(spec, path, df.assign(**extra), dup, what)


def normalise_school_code(value) -> str | None:
    """A school code as text: '1', '001', ' 001 ', 1.0 -> '001' (Excel drops the leading zeros of a code it
    takes for a number; codes are ``office.SCHOOL_CODE_DIGITS`` digits)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = squash(str(value))  # spaces and full-width digits as cleaning compares labels
    if text.endswith(".0"):
        text = text[:-2]
    return text.zfill(office.SCHOOL_CODE_DIGITS) if text.isascii() and text.isdigit() else (text or None)


def _grades(df: pd.DataFrame, spec: OfficeFile, path) -> pd.Series:
    grades = df["grade"].map(lambda v: normalize_grade(v)[0])
    if grades.isna().any():
        _fail(spec, path, df, grades.isna(), "年级“{grade}”无法识别（应为 1–9 或 一年级…九年级）")
    return grades.astype("int64")


def _numbers(values: pd.Series) -> pd.Series:
    """Text to numbers as cleaning reads them (full-width digits allowed); NaN when blank or unreadable."""
    return pd.Series([parse_number(v).value for v in values], index=values.index, dtype="float64")


def read_registry(path: str | Path) -> pd.DataFrame:
    """registry.csv -> school_code (padded text), school_name, name_variants ("|"-separated), school_type,
    category, csv_row; sorted by code. A blank or malformed code, a blank name, an unknown type and a code
    listed twice stop the run (OfficeFileError naming the row): every return is matched against this file."""
    spec = office.REGISTRY
    df = read_csv_table(path, spec)
    written = df["school_code"]
    df["school_code"] = written.map(normalise_school_code).astype("string")
    well_formed = df["school_code"].str.fullmatch(rf"\d{{{office.SCHOOL_CODE_DIGITS}}}").fillna(False).astype(bool)
    if not well_formed.all():
        _fail(
            spec,
            path,
            df.assign(written=written),
            ~well_formed,
            f"学校代码“{{written}}”应为 {office.SCHOOL_CODE_DIGITS} 位数字",
        )
    if (df["school_name"] == "").any():
        _fail(spec, path, df, df["school_name"] == "", "学校 {school_code} 的学校名称为空")
    bad = ~df["school_type"].isin(vocab.SCHOOL_TYPES)
    if bad.any():
        _fail(spec, path, df, bad, f"学校类型“{{school_type}}”无法识别（应为 {'、'.join(vocab.SCHOOL_TYPES)}）")
    _duplicates(
        spec,
        path,
        df,
        ["school_code"],
        "学校代码 {school_code} 与第 {first} 行重复（第 {first} 行为“{first_school_name}”，"
        "本行为“{school_name}”）；一所学校只能有一行，请删去或改正其中一行",
    )
    out = df.sort_values("school_code", kind="stable").reset_index(drop=True)
    out.attrs = dict(df.attrs)
    return out


def registry_lookup(registry: pd.DataFrame) -> dict[str, dict]:
    """school_code -> {school_name, name_variants (tuple), school_type, category}: the registry as cleaning
    matches returns against it (read_registry refuses a code listed twice)."""
    out = {}
    for rec in registry.to_dict("records"):
        variants = tuple(v.strip() for v in (rec.get("name_variants") or "").split("|") if v.strip())
        out[rec["school_code"]] = {
            "school_name": rec["school_name"],
            "name_variants": variants,
            "school_type": rec.get("school_type") or None,
            "category": rec.get("category") or None,
        }
    return out


def read_exam_spec(path: str | Path) -> pd.DataFrame:
    """exam_spec.csv -> grade (int), subject, full_marks (float, NaN when blank or unreadable), full_marks_text
    (as written, for the checks' messages), mode (分数/等级 as written), csv_row. Row order is kept (the checks
    report problems by CSV row: a subject listed twice, a 分数 paper without a readable full mark, ...)."""
    df = read_csv_table(path, office.EXAM_SPEC)
    df["grade"] = _grades(df, office.EXAM_SPEC, path)
    if (df["subject"] == "").any():
        _fail(office.EXAM_SPEC, path, df, df["subject"] == "", "{grade} 年级这一行的学科为空")
    df["full_marks_text"] = df["full_marks"]
    df["full_marks"] = _numbers(df["full_marks"])
    out = df[["grade", "subject", "full_marks", "full_marks_text", "mode", "csv_row"]]
    out.attrs = dict(df.attrs)
    return out


def read_item_spec(path: str | Path) -> pd.DataFrame:
    """item_spec.csv -> grade (int), subject, item (label as cleaning writes it: "1", "13(1)"), full_marks
    (float), type (objective / subjective, the input of the item analysis), csv_row. Row order (= paper order)
    is kept.

    A missing file is FileNotFoundError (the item sheet is optional: the caller decides); an unreadable
    row is OfficeFileError with a Chinese message naming the CSV row.
    """
    spec = office.ITEM_SPEC
    df = read_csv_table(path, spec)
    df["grade"] = _grades(df, spec, path)
    if (df["subject"] == "").any():
        _fail(spec, path, df, df["subject"] == "", "{grade} 年级这一行的学科为空")

    def fail(mask: pd.Series, what: str) -> None:
        _fail(spec, path, df, mask, what)

    labels = df["item"].map(normalize_item_label)
    if labels.isna().any():
        fail(labels.isna(), "题号“{item}”无法识别")
    df["item"] = labels.astype("str")
    full = _numbers(df["full_marks"])
    if (full.isna() | (full <= 0)).any():
        fail(full.isna() | (full <= 0), "满分“{full_marks}”应为正数")
    df["full_marks"] = full.astype("float64")
    types = {
        **vocab.ITEM_TYPES,
        **{f"{k}题": v for k, v in vocab.ITEM_TYPES.items()},
        **{v: v for v in vocab.ITEM_TYPES.values()},
    }
    kind = df["type"].map(types)
    if kind.isna().any():
        fail(kind.isna(), "题型“{type}”应为“客观”或“主观”")
    df["type"] = kind.astype("str")
    _duplicates(spec, path, df, ["grade", "subject", "item"], "{grade} 年级{subject}第 {item} 题与第 {first} 行重复")
    return df.reset_index(drop=True)


def read_inspection_ratings(path: str | Path) -> pd.DataFrame:
    """inspection_ratings.csv -> school_code (padded), indicator_id, indicator, level, score, max_score (float,
    NaN when blank or unreadable), score_text and max_score_text (as written, for the messages), rater,
    csv_row. The values, and an indicator listed twice for a school, are checked in step 2 (suite
    ``ratings``)."""
    df = read_csv_table(path, office.RATINGS)
    df["school_code"] = df["school_code"].map(normalise_school_code).fillna("").astype("str")
    df["score_text"] = df["score"]
    df["max_score_text"] = df["max_score"]
    df["score"] = _numbers(df["score"])
    df["max_score"] = _numbers(df["max_score"])
    return df


def read_population(path: str | Path) -> pd.DataFrame:
    """population.csv (optional: the caller decides when it is missing) -> area (全区 or a catchment), stage
    (小学 / 初中), population (int > 0), schools (tuple of padded codes; empty for 全区), csv_row. A blank area,
    an unknown 学段, a population that is not a positive whole number, a catchment without schools and an area
    listed twice for one 学段 stop the run (OfficeFileError naming the row): 入学率 would be wrong."""
    spec = office.POPULATION
    df = read_csv_table(path, spec)
    if (df["area"] == "").any():
        _fail(spec, path, df, df["area"] == "", "片区为空（全区一行请写“全区”）")
    bad = ~df["stage"].isin(list(office.STAGE_GRADES))
    if bad.any():
        _fail(spec, path, df, bad, f"学段“{{stage}}”无法识别（应为 {'、'.join(office.STAGE_GRADES)}）")
    number = _numbers(df["population"])
    bad = number.isna() | (number <= 0) | (number % 1 != 0)
    if bad.any():
        _fail(spec, path, df, bad, "适龄人口“{population}”应为正整数")
    df["population"] = number.astype("int64")
    df["schools"] = [
        tuple(sorted({normalise_school_code(c) for c in text.split("|") if c.strip()})) for text in df["schools"]
    ]
    bad = (df["area"] != office.DISTRICT_AREA) & (df["schools"].map(len) == 0)
    if bad.any():
        _fail(spec, path, df, bad, "片区“{area}”没有列出学校代码（多所学校用竖线 | 分隔）")
    _duplicates(
        spec, path, df, ["area", "stage"], "片区“{area}”的{stage}与第 {first} 行重复；每个片区每个学段只能有一行"
    )
    out = df[["area", "stage", "population", "schools", "csv_row"]].reset_index(drop=True)
    out.attrs = dict(df.attrs)
    return out
