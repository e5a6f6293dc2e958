"""The parameters as readers read them: the table of the reports' 口径说明 appendix, built from the models'
Chinese titles and descriptions (``tqa.params.models``) and the effective values (``Params.appendix()``).

``describe(params)`` gives one row per leaf, in the YAML's order: a field of a section model (a nested model such
as ``rates.default`` is opened and its fields are rows), or an entry of a section that is a plain mapping
(``grade_bands``: one row per grade band). A list or a mapping is one row, read out in words. Columns: 类别 (the
section's title), 项目 (the field's title), 取值 (the value as a reader reads it), 含义 (the field's description).

Values: a share (a number whose declared range lies within 0..1, such as ``Share``) as a percentage, a
difference of two rates in percentage points, booleans 是 / 否, lists joined with 、, the literals' code words in
Chinese, grades as 一年级 …, override rules and weightings as sentences. No key, no code word and no Python repr
reaches a reader; a field without a title or a description is an error (``missing_titles`` lists them).
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from tqa.core import vocabulary as vocab
from tqa.params import models as m

COLUMNS = ["类别", "项目", "取值", "含义"]

NOT_SET = "不设"  # a value left empty (a target that is not set)
NONE = "无"  # an empty list

# Code words of the literals, in Chinese; a literal is read with the first vocabulary that holds all its values.
TIE_METHODS = {
    "min": "并列取最小名次（如第 1、2、2、4 名）",
    "max": "并列取最大名次（如第 1、3、3、4 名）",
    "average": "并列取平均名次（如第 1、2.5、2.5、4 名）",
    "first": "不并列，按数据中的先后排名",
    "dense": "并列取相同名次，其后名次连续（如第 1、2、2、3 名）",
}
FIT_METHODS = {
    "default": "统计软件的默认算法",
    "powell": "鲍威尔法",
    "nm": "单纯形法",
    "bfgs": "拟牛顿法",
    "lbfgs": "有限内存拟牛顿法",
    "cg": "共轭梯度法",
}
LITERAL_WORDS = (vocab.MEASURE_LABELS, vocab.COLOUR_LABELS, TIE_METHODS, FIT_METHODS)

# Numbers whose type alone does not say how a reader reads them (the default: a share is a percentage).
PERCENT, POINTS, DECIMAL = "percent", "points", "decimal"
READ_AS = {
    (m.Composite, "weights"): PERCENT,  # a weight is a share of the composite
    (m.Weighting, "weights"): PERCENT,
    (m.Bands, "rate_well_cut"): POINTS,  # a difference of two rates
    (m.Change, "significant"): POINTS,
    (m.Change, "changed"): POINTS,
    (m.Items, "alpha_floor"): DECIMAL,  # coefficients in 0..1, not shares: item analysis writes them 0.70
    (m.EbelBand, "min"): DECIMAL,
}
# Words written in a field's values or keys that are code words (the statistics' column names, default).
FIELD_WORDS = {
    (m.Public, "drop_columns"): {"mean": "平均分", "sd": "标准差", "min": "最低分", "max": "最高分"},
    (m.Change, "status_cuts"): {"default": "默认"},
}

_CHINESE = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class _How:
    """How the numbers and words of one field read: its declared range, its unit, its words."""

    lo: float | None = None
    hi: float | None = None
    unit: str | None = None
    words: dict[str, str] = field(default_factory=dict)


def describe(params: m.Params) -> pd.DataFrame:
    """The effective parameters as (类别, 项目, 取值, 含义) rows in the YAML's order, for readers (no keys)."""
    rows: list[tuple[str, str, str, str]] = []
    for section, value in params.appendix().items():
        f = _titled(m.Params, section)
        sub = _model_of(f.annotation)
        if sub is not None:
            rows.extend(_rows(f.title, sub, value))
        elif isinstance(value, dict):  # a section that is a mapping (grade_bands): a row per entry
            _, value_type = typing.get_args(_strip(f.annotation))
            for key, v in value.items():
                rows.append((f.title, str(key), _text(v, value_type, _How()), f.description))
        else:
            rows.append((f.title, f.title, _field_text(m.Params, section, value), f.description))
    return pd.DataFrame(rows, columns=COLUMNS)


def missing_titles(model: type[BaseModel] = m.Params) -> list[str]:
    """``Model.field`` of every field, in ``model`` and every model its fields hold, whose title or description is
    missing or not Chinese (the sections are the fields of ``Params``)."""
    out, seen, todo = [], set(), [model]
    while todo:
        cls = todo.pop(0)
        if cls in seen:
            continue
        seen.add(cls)
        for name, f in cls.model_fields.items():
            if not (f.title and _CHINESE.search(f.title) and f.description and _CHINESE.search(f.description)):
                out.append(f"{cls.__name__}.{name}")
            todo.extend(_models_in(f.annotation))
    return out


# ---- rows ---------------------------------------------------------------------------------------------
def _rows(section_title: str, cls: type[BaseModel], data: dict) -> list[tuple[str, str, str, str]]:
    rows = []
    names = _by_alias(cls)
    for alias, value in data.items():
        name = names[alias]
        f = _titled(cls, name)
        sub = _model_of(f.annotation)
        if sub is not None and isinstance(value, dict):  # a nested model (rates.default): its fields are rows
            rows.extend(_rows(section_title, sub, value))
        else:
            rows.append((section_title, f.title, _field_text(cls, name, value), _meaning(f)))
    return rows


def _meaning(f: FieldInfo) -> str:
    source = _derived_from(f)
    if not source:
        return f.description
    section = _titled(m.Params, source[0])
    followed = _titled(_model_of(section.annotation), source[1])
    return f"{f.description}取值随“{section.title}”中的{followed.title}而定，不单独设定。"


def _titled(cls: type[BaseModel], name: str) -> FieldInfo:
    f = cls.model_fields[name]
    if not (f.title and f.description):
        raise ValueError(f"{cls.__name__}.{name} has no title or description: the appendix cannot show it")
    return f


def _by_alias(cls: type[BaseModel]) -> dict[str, str]:
    return {(f.alias or name): name for name, f in cls.model_fields.items()}


def _derived_from(f: FieldInfo) -> tuple[str, str] | None:
    extra = f.json_schema_extra
    source = extra.get("derived_from") if isinstance(extra, dict) else None
    return tuple(source) if source else None


# ---- values -------------------------------------------------------------------------------------------
def _field_text(cls: type[BaseModel], name: str, value: Any) -> str:
    f = cls.model_fields[name]
    if (cls, name) == (m.Change, "grid"):
        return _grid(value)
    unit_of = (cls, name)
    source = _derived_from(f)
    if source:  # a derived value reads like the one it follows
        unit_of = (_model_of(m.Params.model_fields[source[0]].annotation), source[1])
    lo, hi = _bounds(f.metadata)
    how = _How(lo, hi, READ_AS.get(unit_of), FIELD_WORDS.get((cls, name), {}))
    return _text(value, f.annotation, how)


def _grid(rows: list[list[str]]) -> str:
    """The change grid row by row: 很高：黄、绿、蓝、蓝、蓝；高：…"""
    return "；".join(
        f"{status}：{'、'.join(vocab.COLOUR_LABELS.get(c, c) for c in row)}"
        for status, row in zip(vocab.STATUS_LABELS, rows)
    )


def _text(value: Any, tp: Any, how: _How) -> str:
    """``value`` (as ``appendix()`` gives it) of type ``tp``, in words."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        base, *extras = typing.get_args(tp)
        lo, hi = _bounds(extras, how.lo, how.hi)
        return _text(value, base, replace(how, lo=lo, hi=hi))
    if value is None:
        return NOT_SET
    if origin is typing.Union or origin is types.UnionType:
        arms = [a for a in typing.get_args(tp) if a is not type(None)]
        arm = next((a for a in arms if isinstance(value, _runtime(a))), arms[0])
        return _text(value, arm, how)
    if origin is typing.Literal:
        allowed = set(typing.get_args(tp))
        words = next((w for w in LITERAL_WORDS if allowed <= set(w)), {})
        return words.get(value, str(value))
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return _model_text(tp, value)
    if origin is list:
        (item,) = typing.get_args(tp)
        if not value:
            return NONE
        inner = replace(how, lo=None, hi=None)
        parts = [_text(v, item, inner) for v in value]
        return ("；" if _runtime(item) in (dict, list) else "、").join(parts)
    if origin is dict:
        key_type, value_type = typing.get_args(tp)
        if not value:
            return NONE
        inner = replace(how, lo=None, hi=None)
        pairs = [(_text(k, key_type, inner), _text(v, value_type, inner)) for k, v in value.items()]
        if typing.get_origin(_strip(key_type)) is typing.Literal:  # weights: 平均分率 40%、及格率 30%
            return "、".join(f"{k} {v}" for k, v in pairs)
        return "；".join(f"{k}：{v}" for k, v in pairs)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return _number_text(value, how)
    return how.words.get(value, str(value))


def _number_text(x: float, how: _How) -> str:
    unit = how.unit
    if unit is None and how.lo is not None and how.hi is not None and how.lo >= 0 and how.hi <= 1:
        unit = PERCENT
    if unit == PERCENT:
        return f"{_number(x * 100)}%"
    if unit == POINTS:
        return f"{_number(x * 100)} 个百分点"
    if unit is None and isinstance(x, int) and (how.lo, how.hi) == (min(vocab.GRADES), max(vocab.GRADES)):
        return vocab.GRADE_LABELS[x]
    return _number(x)


def _number(x: float) -> str:
    """30 -> 30, 0.5 -> 0.5, 99.80000000000001 -> 99.8; a minus sign for negatives."""
    text = str(x) if isinstance(x, int) else f"{round(x, 9):.12g}"
    return text.replace("-", "−")


def _model_text(cls: type[BaseModel], data: dict) -> str:
    """One item of a list of models, as a sentence."""
    names = _by_alias(cls)

    def part(alias: str) -> str:
        return _field_text(cls, names[alias], data[alias])

    if issubclass(cls, m.Rule):  # an override: 初中数学：低分线 30%
        scope = "".join(part(k) for k in m.Rule.model_fields if k in data and data[k] is not None) or "全部"
        given = [f"{_titled(cls, names[k]).title} {part(k)}" for k in data if names[k] not in m.Rule.model_fields]
        return f"{scope}：{'、'.join(given) or NONE}"
    if cls is m.EbelBand:  # 0.4 及以上为很好
        label = part("label")
        return f"其余为{label}" if data.get("min") is None else f"{part('min')} 及以上为{label}"
    if cls is m.Weighting:  # 均分为主：平均分率 60%、…
        return f"{part('name')}：{part('weights')}"
    return "、".join(f"{_titled(cls, names[k]).title} {part(k)}" for k in data)


# ---- types --------------------------------------------------------------------------------------------
def _bounds(items, lo: float | None = None, hi: float | None = None) -> tuple[float | None, float | None]:
    """The numeric range declared by Annotated metadata (a pydantic FieldInfo, or the Ge / Gt / Le / Lt bounds
    pydantic keeps in its metadata)."""
    for x in items:
        if isinstance(x, FieldInfo):
            lo, hi = _bounds(x.metadata, lo, hi)
            continue
        lo = next((getattr(x, a) for a in ("ge", "gt") if getattr(x, a, None) is not None), lo)
        hi = next((getattr(x, a) for a in ("le", "lt") if getattr(x, a, None) is not None), hi)
    return lo, hi


def _strip(tp: Any) -> Any:
    """``tp`` without Annotated and Optional wrappers."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _strip(typing.get_args(tp)[0])
    if origin is typing.Union or origin is types.UnionType:
        arms = [a for a in typing.get_args(tp) if a is not type(None)]
        return _strip(arms[0]) if len(arms) == 1 else tp
    return tp


def _runtime(tp: Any) -> type:
    """The Python type a value of ``tp`` has in ``appendix()`` (a model's value is a dict)."""
    tp = _strip(tp)
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return type(typing.get_args(tp)[0])
    if origin in (list, dict):
        return origin
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return dict
    return tp if isinstance(tp, type) else object


def _model_of(tp: Any) -> type[BaseModel] | None:
    tp = _strip(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _models_in(tp: Any) -> list[type[BaseModel]]:
    """Every model class inside a type (list items, dict values, Optional, Annotated)."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return [c for arg in typing.get_args(tp) for c in _models_in(arg)]
