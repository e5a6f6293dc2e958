"""Reading params/: methodology.yaml, the term's overrides merged over it, validated into ``Params``.

Every problem is reported at once, in Chinese, naming the file, the line, the YAML path and what is expected:
a misspelt key is not silently ignored, a missing key is not silently defaulted.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from tqa.params.models import Params, derived_message

DEFAULT_FILE = "methodology.yaml"


@dataclass(frozen=True)
class Problem:
    file: str
    path: tuple
    line: int | None
    message: str

    def text(self) -> str:
        where = self.file + (f" 第 {self.line} 行" if self.line else "")
        return f"{where}，{yaml_path(self.path) or '（整个文件）'}：{self.message}"


class ParamsError(ValueError):
    """params/ cannot be used; str() is a readable Chinese block listing every problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {p.text()}" for p in problems)
        super().__init__(
            f"评价参数（params/）有 {len(problems)} 处错误，运行已停止：\n{lines}\n"
            "请改正后重新运行（每个键的含义和取值范围见 params/methodology.yaml 中的说明）。"
        )


def yaml_path(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def param_files(term: str, params_dir: str | Path = "params") -> list[Path]:
    """The files that make up a term's parameters, in merge order."""
    d = Path(params_dir)
    files = [d / DEFAULT_FILE]
    term_file = d / "terms" / f"{term}.yaml"
    if term_file.exists():
        files.append(term_file)
    return files


def merge(base: dict, over: dict, _path: tuple = ()) -> dict:
    """``over`` merged into ``base``: mappings key by key, anything else (lists included) replaced, and so are
    the mappings the model marks as one whole (``composite.weights``)."""
    out = copy.deepcopy(base)
    for key, value in (over or {}).items():
        path = (*_path, key)
        if isinstance(value, dict) and isinstance(out.get(key), dict) and path not in _replaced():
            out[key] = merge(out[key], value, path)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _replaced() -> set[tuple]:
    """(section, key) of the fields whose mapping a term file replaces whole."""
    out = set()
    for section, model in Params.model_fields.items():
        sub = _unwrap(model.annotation)
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            for key, f in sub.model_fields.items():
                extra = f.json_schema_extra
                if isinstance(extra, dict) and extra.get("replace"):
                    out.add((section, key))
    return out


# ---- YAML with line numbers ------------------------------------------------------------------------
def _lines(node, prefix: tuple = ()) -> dict[tuple, int]:
    out: dict[tuple, int] = {}
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            path = (*prefix, k.value)
            out[path] = k.start_mark.line + 1
            out.update(_lines(v, path))
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            out[(*prefix, i)] = v.start_mark.line + 1
            out.update(_lines(v, (*prefix, i)))
    return out


# libyaml's safe loader when PyYAML was built with it (the wheels are): the same documents, about 10x faster
# than the pure-Python one, which took most of a school report's 0.05 s of provenance.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path, shown: str) -> tuple[dict, dict[tuple, int], list[Problem]]:
    """(data, path -> line, problems) of one params file; a syntax error or a non-mapping is a problem."""
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.load(text, Loader=_LOADER)
        lines = _lines(yaml.compose(text, Loader=_LOADER)) if data is not None else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return {}, {}, [Problem(shown, (), mark.line + 1 if mark else None, f"YAML 格式错误：{exc}")]
    if data is None:
        return {}, {}, []
    if not isinstance(data, dict):
        return {}, {}, [Problem(shown, (), 1, "应为“键: 值”形式的参数表")]
    return data, lines, []


# ---- pydantic errors in Chinese --------------------------------------------------------------------
_TYPES = {
    "int_type": "整数",
    "int_parsing": "整数",
    "float_type": "数值",
    "bool_type": "true 或 false",
    "string_type": "文字",
    "list_type": "列表（如 [1, 2]）",
    "dict_type": "键值表（下一级的键）",
    "model_type": "键值表（下一级的键）",
    "model_attributes_type": "键值表（下一级的键）",
}


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _unwrap(tp):
    """The model, list item or dict value type inside Annotated / Optional / Union wrappers."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        for arg in typing.get_args(tp):
            if arg is not type(None):
                return _unwrap(arg)
    return tp


def allowed_keys(path: tuple) -> list[str]:
    """The keys the model allows at ``path`` (a mapping of the YAML), for 'did you mean' hints."""
    tp: Any = Params
    for part in path:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            fields = {(f.alias or k): f for k, f in tp.model_fields.items()}
            if part not in fields:
                return []
            tp = fields[part].annotation
        elif typing.get_origin(tp) in (list, dict):
            tp = typing.get_args(tp)[-1]
        else:
            return []
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [
            f.alias or k
            for k, f in tp.model_fields.items()
            if not (isinstance(f.json_schema_extra, dict) and f.json_schema_extra.get("derived_from"))
        ]
    return []


def _data_path(loc: tuple, data: Any, kind: str) -> tuple:
    """The part of a pydantic location that names a place in the YAML (union member tags dropped)."""
    path, cur = [], data
    for i, part in enumerate(loc):
        if isinstance(cur, dict) and part in cur:
            path.append(part)
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            path.append(part)
            cur = cur[part]
        else:
            if kind == "missing" and i == len(loc) - 1 and isinstance(part, str):
                path.append(part)
            break
    return tuple(path)


def _message(kinds: list[dict], path: tuple, data: Any) -> str:
    err = kinds[0]
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    now = f"，现为 {_shown(value)}" if kind not in ("missing", "extra_forbidden") else ""
    if value is None and kind in _TYPES:  # `key:` with nothing after it: the value is missing, not wrong
        now = "，但这里只写了键、没有写值"
    if kind == "missing":
        return "缺少这个键：每个参数都须写出（params/ 中没有别处的默认值）"
    if kind == "extra_forbidden":
        key = path[-1] if path else ""
        allowed = allowed_keys(path[:-1])
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        hint = f"是不是“{close[0]}”？" if close else ""
        listed = f"这一级可用的键：{'、'.join(allowed)}" if allowed else ""
        return "未知的键（不会被使用）" + ("，" if hint or listed else "") + "；".join(x for x in (hint, listed) if x)
    if all(k["type"] in _TYPES for k in kinds):
        names = sorted({_TYPES[k["type"]] for k in kinds}, key=list(_TYPES.values()).index)
        return f"应为{'或'.join('数值' if n in ('整数', '数值') and len(names) > 1 else n for n in dict.fromkeys(names))}{now}"
    bounds = {
        "greater_than": "应大于 {gt}",
        "greater_than_equal": "应不小于 {ge}",
        "less_than": "应小于 {lt}",
        "less_than_equal": "应不大于 {le}",
        "too_short": "至少应有 {min_length} 项",
        "too_long": "至多 {max_length} 项",
        "string_too_short": "不能为空",
    }
    if kind in bounds:
        return bounds[kind].format(**ctx) + now
    if kind == "literal_error":
        return f"应为 {ctx.get('expected', '')} 之一{now}".replace("'", "")
    if kind == "value_error":
        return str(ctx.get("error", err.get("msg", ""))).removeprefix("Value error, ")
    return f"{err.get('msg', kind)}{now}"


def translate(exc: ValidationError, data: dict) -> list[tuple[tuple, str]]:
    """(YAML path, Chinese message) per problem; one per place (the members of a union merged)."""
    by_path: dict[tuple, list[dict]] = {}
    derived = {path for path, _ in _derived_fields()}
    for err in exc.errors():
        if tuple(err["loc"][:2]) in derived:
            continue  # a derived value is wrong only because its source is: the source's error says so
        path = _data_path(tuple(err["loc"]), data, err["type"])
        by_path.setdefault(path, []).append(err)
    return [(path, _message(errs, path, data)) for path, errs in by_path.items()]


# ---- the term's parameters ---------------------------------------------------------------------------
def _derived_fields() -> list[tuple[tuple, tuple]]:
    """((section, key), (source section, source key)) of every derived field."""
    out = []
    for section, model in Params.model_fields.items():
        sub = _unwrap(model.annotation)
        if not (isinstance(sub, type) and issubclass(sub, BaseModel)):
            continue
        for key, f in sub.model_fields.items():
            source = f.json_schema_extra.get("derived_from") if isinstance(f.json_schema_extra, dict) else None
            if source:
                out.append(((section, key), tuple(source)))
    return out


def _derived_keys(data: dict) -> list[tuple[tuple, str]]:
    """Derived fields written in a file: each a problem."""
    return [
        ((section, key), derived_message(section, key, source))
        for (section, key), source in _derived_fields()
        if isinstance(data.get(section), dict) and key in data[section]
    ]


def _in(path: tuple, data: Any) -> bool:
    cur = data
    for part in path:
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and part < len(cur):
            cur = cur[part]
        else:
            return False
    return True


def _line(path: tuple, lines: dict[tuple, int]) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


_LOADED: dict[tuple, Params] = {}


def load_params(term: str, params_dir: str | Path = "params") -> Params:
    """The term's effective parameters, validated; ParamsError lists every problem (file, line, path).

    Kept per process while the files' contents are unchanged (reading and hashing a few kilobytes is cheap;
    parsing and validating is not): ``Params`` is frozen, and a school-report worker asks for the same params
    for every school."""
    d = Path(params_dir)
    files = param_files(term, d)
    key = (term, *((str(f), hashlib.sha256(f.read_bytes()).hexdigest()) for f in files))
    if key not in _LOADED:
        if len(_LOADED) >= 16:  # a process uses a term or two; tests make many
            _LOADED.clear()
        _LOADED[key] = _validated(d, files)
    return _LOADED[key]


def _validated(d: Path, files: list[Path]) -> Params:
    shown = [f"params/{f.relative_to(d).as_posix()}" for f in files]
    base, base_lines, problems = read_yaml(files[0], shown[0])
    problems += [Problem(shown[0], p, _line(p, base_lines), m) for p, m in _derived_keys(base)]
    if problems:
        raise ParamsError(problems)
    try:
        Params.model_validate(base)
    except ValidationError as exc:
        raise ParamsError([Problem(shown[0], p, _line(p, base_lines), m) for p, m in translate(exc, base)]) from None
    if len(files) == 1:
        return Params.model_validate(base)
    over, over_lines, problems = read_yaml(files[1], shown[1])
    problems += [Problem(shown[1], p, _line(p, over_lines), m) for p, m in _derived_keys(over)]
    if problems:
        raise ParamsError(problems)
    merged = merge(base, over)
    try:
        return Params.model_validate(merged)
    except ValidationError as exc:
        out = []
        for path, message in translate(exc, merged):
            if _in(path, over) or (path and _in(path[:-1], over) and not _in(path, base)):
                out.append(Problem(shown[1], path, _line(path, over_lines), message))
            else:
                out.append(Problem(shown[0], path, _line(path, base_lines), message))
        raise ParamsError(out) from None


def override(params: Params, changes: dict) -> Params:
    """``params`` with ``changes`` (a nested dict, as a term file would write them) merged in, validated: for
    analysts trying another threshold in a notebook, and for tests."""
    data = merge(params.appendix(), changes)
    for section, key in (("public", "min_band_n"), ("public", "band_strong")):
        if key not in (changes.get(section) or {}):
            data[section].pop(key, None)
    try:
        return Params.model_validate(data)
    except ValidationError as exc:
        raise ParamsError([Problem("（覆盖）", p, None, m) for p, m in translate(exc, data)]) from None
