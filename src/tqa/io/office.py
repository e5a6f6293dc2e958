"""The office's own files (office/*.csv): one reader each, used by every step that needs the file.

Each reader returns a DataFrame with the English column names of its spec (``tqa.schema.office``) and a
``csv_row`` column (the line in the file, the header being line 1), so that a problem can name its row.
Cleaning, checks, statistics and the template all read through these functions: a school code, a grade or a
full mark means the same thing to every step.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tqa.core import vocabulary as vocab
from tqa.core.normalize import normalize_grade, normalize_item_label, parse_number, squash
from tqa.schema import office
from tqa.schema.office import OfficeFile


class OfficeFileError(ValueError):
    """An office file that cannot be used; the message names the file, the row and the value (Chinese)."""


def _where(spec: OfficeFile, path: str | Path, row: int | None = None) -> str:
    return f"{spec.title}（{Path(path).name}）" + (f"第 {row} 行" if row is not None else "")


def read_csv_table(path: str | Path, spec: OfficeFile) -> pd.DataFrame:
    """The file's columns of ``spec`` as text (stripped), English names, plus ``csv_row``; rows the office left
    blank are dropped (Excel often saves trailing empty lines)."""
    # utf-8-sig: the office saves CSV from Excel with a BOM. Blank lines are kept while reading so that
    # csv_row is the line a person sees in the file.
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False, skip_blank_lines=False)
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [zh for zh in spec.columns.values() if zh not in raw.columns]
    if missing:
        raise OfficeFileError(f"{_where(spec, path)}缺少列：{'、'.join(missing)}")
    out = raw[list(spec.columns.values())].rename(columns={zh: en for en, zh in spec.columns.items()})
    out = out.fillna("")
    for col in out.columns:
        out[col] = out[col].str.strip()
    out["csv_row"] = range(2, len(out) + 2)
    return out.loc[(out.drop(columns="csv_row") != "").any(axis=1)].reset_index(drop=True)


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
        i = int(grades.isna().to_numpy().argmax())
        raise OfficeFileError(
            f"{_where(spec, path, int(df['csv_row'].iloc[i]))}：年级“{df['grade'].iloc[i]}”无法识别"
            "（应为 1–9 或 一年级…九年级）"
        )
    return grades.astype("int64")


def _numbers(values: pd.Series) -> pd.Series:
    """Text to numbers as cleaning reads them (full-width digits allowed); NaN when blank or unreadable."""
    return pd.Series([parse_number(v).value for v in values], index=values.index, dtype="float64")


def read_registry(path: str | Path) -> pd.DataFrame:
    """registry.csv -> school_code (padded text), school_name, name_variants ("|"-separated), school_type,
    category, csv_row; sorted by code."""
    df = read_csv_table(path, office.REGISTRY)
    df["school_code"] = df["school_code"].map(normalise_school_code).astype("string")
    bad = ~df["school_type"].isin(vocab.SCHOOL_TYPES)
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raise OfficeFileError(
            f"{_where(office.REGISTRY, path, int(df['csv_row'].iloc[i]))}：学校类型"
            f"“{df['school_type'].iloc[i]}”无法识别（应为 {'、'.join(vocab.SCHOOL_TYPES)}）"
        )
    return df.sort_values("school_code", kind="stable").reset_index(drop=True)


def registry_lookup(registry: pd.DataFrame) -> dict[str, dict]:
    """school_code -> {school_name, name_variants (tuple), school_type, category}: the registry as cleaning
    matches returns against it (a code listed twice: the later row)."""
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
    """exam_spec.csv -> grade (int), subject, full_marks (float, NaN when blank or unreadable), mode (分数/等级
    as written), csv_row. Row order is kept (the checks report problems by CSV row)."""
    df = read_csv_table(path, office.EXAM_SPEC)
    df["grade"] = _grades(df, office.EXAM_SPEC, path)
    df["full_marks"] = _numbers(df["full_marks"])
    return df[["grade", "subject", "full_marks", "mode", "csv_row"]]


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

    def fail(mask: pd.Series, what: str) -> None:
        i = int(mask.to_numpy().argmax())
        raise OfficeFileError(f"{_where(spec, path, int(df['csv_row'].iloc[i]))}：" + what.format(**df.iloc[i]))

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
    dup = df.duplicated(["grade", "subject", "item"])
    if dup.any():
        fail(dup, "{grade} 年级{subject}第 {item} 题重复")
    return df.reset_index(drop=True)


def read_inspection_ratings(path: str | Path) -> pd.DataFrame:
    """inspection_ratings.csv -> school_code (padded), indicator_id, indicator, level, score, max_score (float,
    NaN when blank or unreadable), rater, csv_row. The values are checked in step 2 (suite ``ratings``)."""
    df = read_csv_table(path, office.RATINGS)
    df["school_code"] = df["school_code"].map(normalise_school_code).astype("str")
    df["score"] = _numbers(df["score"])
    df["max_score"] = _numbers(df["max_score"])
    return df
