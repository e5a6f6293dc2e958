"""The methodology's parameters: params/methodology.yaml with the term's overrides, typed and validated.

- ``load_params(term)`` -> ``Params`` (``tqa.params.models``): every section a model, every key required,
  unknown keys and wrong values refused with a Chinese message naming the file, the line and the YAML path
  (``ParamsError``). Read a value as ``params.reporting.min_published_n``: there is one idiom and no default
  anywhere in the package.
- ``view(params, sections)``: the same parameters, but only the sections a step or a measure declared; reading
  another one is an error (so the declarations that decide what re-runs cannot go stale).
- ``params_hash(term)``: sha256 of the effective values (comments and layout do not count).
- ``override(params, changes)``: another value tried in a notebook, validated the same way.
- ``tqa.params.describe.describe(params)``: the parameters for readers (the appendix's 口径说明), from the
  models' Chinese titles and descriptions: no keys, values in words.
"""

from __future__ import annotations

import hashlib
import json
import types
import weakref
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

from tqa.params.loading import DEFAULT_FILE, ParamsError, Problem, load_params, merge, override, param_files
from tqa.params.models import SECTIONS, Params

__all__ = [
    "DEFAULT_FILE",
    "SECTIONS",
    "Params",
    "ParamsError",
    "ParamsView",
    "Problem",
    "canonical_json",
    "digest",
    "load_params",
    "merge",
    "override",
    "param_files",
    "params_digest",
    "params_hash",
    "view",
]


def canonical_json(values: Any) -> str:
    return json.dumps(values, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def digest(values: Any) -> str:
    return hashlib.sha256(canonical_json(values).encode("utf-8")).hexdigest()


def params_hash(term: str, params_dir: str | Path = "params") -> str:
    """sha256 of the term's effective parameters (canonical JSON of every section)."""
    return params_digest(load_params(term, params_dir))


_DIGESTS: dict[int, tuple[weakref.ref, str]] = {}  # id(params) -> (weak reference, digest)


def params_digest(params: Params) -> str:
    """``digest(params.appendix())``, taken once per object: ``Params`` is frozen, and load_params hands the same
    object out while the files are unchanged. The entry leaves with its object, so an id is never mistaken."""
    entry = _DIGESTS.get(id(params))
    if entry is not None and entry[0]() is params:
        return entry[1]
    value = digest(params.appendix())
    i = id(params)
    _DIGESTS[i] = (weakref.ref(params, lambda _ref, i=i: _DIGESTS.pop(i, None)), value)
    return value


class ParamsView:
    """``Params`` restricted to ``sections``: reading any other section raises (with the section's name), so a
    step or a measure can only use what it declared. Methods of ``Params`` run against the view."""

    def __init__(self, params: Params, sections: Iterable[str], owner: str = ""):
        unknown = sorted(set(sections) - set(SECTIONS))
        if unknown:
            raise ValueError(f"{owner or 'view'}: unknown params sections {unknown}")
        self._params, self._sections, self._owner = params, tuple(sections), owner

    def __getattr__(self, name: str):
        if name in SECTIONS:
            if name not in self._sections:
                raise AttributeError(
                    f"{self._owner or 'this view'} reads params section {name!r} but does not "
                    f"declare it (declared: {', '.join(self._sections) or 'none'})"
                )
            return getattr(self._params, name)
        attr = Params.__dict__.get(name)
        if isinstance(attr, types.FunctionType):
            return types.MethodType(attr, self)
        raise AttributeError(name)

    @property
    def sections_declared(self) -> tuple[str, ...]:
        return self._sections

    @cached_property
    def digest(self) -> str:
        full = self._params.appendix()
        return digest({s: full[s] for s in self._sections})


def view(params: Params | ParamsView, sections: Iterable[str], owner: str = "") -> ParamsView:
    base = params._params if isinstance(params, ParamsView) else params
    if isinstance(params, ParamsView):
        missing = sorted(set(sections) - set(params.sections_declared))
        if missing:
            raise AttributeError(f"{owner}: needs params sections {missing} that {params._owner} did not declare")
    return ParamsView(base, sections, owner)
