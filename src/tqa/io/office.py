"""The office's CSV inputs (school registry, exam spec) read into English-named DataFrames."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from tqa import schema


def _read_office_csv(path: str | Path, columns: dict[str, str], what: str) -> pd.DataFrame:
    # utf-8-sig: the office saves CSV from Excel with a BOM.
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [zh for zh in columns.values() if zh not in raw.columns]
    if missing:
        raise ValueError(f"{what}（{Path(path).name}）缺少列：{'、'.join(missing)}")
    out = raw[list(columns.values())].rename(columns={zh: en for en, zh in columns.items()})
    for col in out.columns:
        out[col] = out[col].str.strip()
    # Rows the office left blank (Excel often saves trailing empty lines).
    return out.loc[(out != "").any(axis=1)].reset_index(drop=True)


def normalise_school_code(value) -> str | None:
    """'1', '001', ' 001 ', 1.0 -> '001'."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    return text.zfill(3) if text.isdigit() else (text or None)


def parse_grade(value) -> int:
    text = str(value).strip()
    if text in schema.GRADE_ALIASES:
        return int(schema.GRADE_ALIASES[text])
    raise ValueError(f"无法识别的年级：“{value}”")


def read_registry(path: str | Path) -> pd.DataFrame:
    """registry.csv -> school_code (3-digit str), school_name, name_variants, school_type, category."""
    df = _read_office_csv(path, schema.REGISTRY_COLUMNS, "学校名册")
    df["school_code"] = df["school_code"].map(normalise_school_code).astype("string")
    bad_type = sorted(set(df["school_type"]) - set(schema.SCHOOL_TYPES))
    if bad_type:
        raise ValueError(f"学校名册中有无法识别的学校类型：{'、'.join(bad_type)}")
    return df.sort_values("school_code", kind="stable").reset_index(drop=True)


def read_exam_spec(path: str | Path) -> pd.DataFrame:
    """exam_spec.csv -> grade (int), subject, full_marks (float, NaN when blank), mode (分数/等级).

    Row order is kept: the checks report problems by CSV line (row index + 2).
    """
    df = _read_office_csv(path, schema.EXAM_SPEC_COLUMNS, "考试安排")
    df["grade"] = df["grade"].map(parse_grade).astype("int64")
    df["full_marks"] = pd.to_numeric(df["full_marks"].replace("", None), errors="coerce").astype("float64")
    return df


def read_item_spec(path: str | Path) -> pd.DataFrame:
    """item_spec.csv -> grade (int), subject, item (label as cleaning writes it: "1", "13(1)"), full_marks
    (float), type (objective / subjective, the input of tqa.items). Row order (= paper order) is kept.

    A missing file is FileNotFoundError (the item sheet is optional: the caller decides); an unreadable
    row is ValueError with a Chinese message naming the CSV line.
    """
    from tqa.core.normalize import normalize_item_label

    df = _read_office_csv(path, schema.ITEM_SPEC_COLUMNS, "试卷结构表")
    where = Path(path).name
    df["grade"] = df["grade"].map(parse_grade).astype("int64")
    labels = df["item"].map(normalize_item_label)
    if labels.isna().any():
        i = int(labels.isna().to_numpy().argmax())
        raise ValueError(f"试卷结构表（{where}）第 {i + 2} 行：题号“{df['item'].iloc[i]}”无法识别")
    df["item"] = labels.astype("str")
    full = pd.to_numeric(df["full_marks"].replace("", None), errors="coerce")
    if (full.isna() | (full <= 0)).any():
        i = int((full.isna() | (full <= 0)).to_numpy().argmax())
        raise ValueError(f"试卷结构表（{where}）第 {i + 2} 行：满分“{df['full_marks'].iloc[i]}”应为正数")
    df["full_marks"] = full.astype("float64")
    types = {**schema.ITEM_TYPES, **{f"{k}题": v for k, v in schema.ITEM_TYPES.items()},
             **{v: v for v in schema.ITEM_TYPES.values()}}
    kind = df["type"].map(types)
    if kind.isna().any():
        i = int(kind.isna().to_numpy().argmax())
        raise ValueError(f"试卷结构表（{where}）第 {i + 2} 行：题型“{df['type'].iloc[i]}”应为“客观”或“主观”")
    df["type"] = kind.astype("str")
    dup = df.duplicated(["grade", "subject", "item"])
    if dup.any():
        i = int(dup.to_numpy().argmax())
        raise ValueError(f"试卷结构表（{where}）第 {i + 2} 行：{df['grade'].iloc[i]} 年级{df['subject'].iloc[i]}"
                         f"第 {df['item'].iloc[i]} 题重复")
    return df.reset_index(drop=True)
