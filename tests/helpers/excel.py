"""A tiny evaluator for the Excel formulas the blank template's data validations use, so a test can ask what
Excel would accept in a cell: OR, AND, IF, ISNUMBER, the comparisons, & (text join), number and text
literals, and cell references (``$`` ignored). Excel's rules where they matter: a comparison of a number
with a text is not an error (numbers sort before texts), texts compare case-insensitively, an empty cell is
0 for a number and "" for a text."""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r'\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<str>"(?:[^"]|"")*")|(?P<ref>\$?[A-Z]{1,3}\$?\d+)(?![A-Z(])'
    r"|(?P<name>[A-Z][A-Z0-9.]*)(?=\()|(?P<op><=|>=|<>|[=<>&(),-]))"
)


def _tokens(formula: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(formula):
        m = _TOKEN.match(formula, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read {formula[pos:]!r}")
        out.append((m.lastgroup, m.group(m.lastgroup)))
        pos = m.end()
    return out


def _rank(v) -> int:
    return 0 if isinstance(v, (int, float)) and not isinstance(v, bool) else (1 if isinstance(v, str) else 2)


def _compare(op: str, a, b) -> bool:
    a = "" if a is None and isinstance(b, str) else (0 if a is None else a)
    b = "" if b is None and isinstance(a, str) else (0 if b is None else b)
    if _rank(a) != _rank(b):
        a, b = _rank(a), _rank(b)
    elif isinstance(a, str):
        a, b = a.lower(), b.lower()
    return {"=": a == b, "<>": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


class _Parser:
    def __init__(self, formula: str, cells: dict):
        self.toks = _tokens(formula)
        self.i = 0
        self.cells = cells

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self, value=None):
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise ValueError(f"expected {value!r}, got {tok[1]!r}")
        self.i += 1
        return tok

    def expr(self):
        left = self.concat()
        if self.peek()[1] in ("=", "<>", "<", ">", "<=", ">="):
            op = self.take()[1]
            return _compare(op, left, self.concat())
        return left

    def concat(self):
        value = self.unary()
        while self.peek()[1] == "&":
            self.take()
            value = _text(value) + _text(self.unary())
        return value

    def unary(self):
        if self.peek()[1] == "-":
            self.take()
            return -self.unary()
        return self.atom()

    def atom(self):
        kind, text = self.take()
        if kind == "num":
            return float(text)
        if kind == "str":
            return text[1:-1].replace('""', '"')
        if kind == "ref":
            return self.cells.get(text.replace("$", ""))
        if kind == "name":
            self.take("(")
            args = [self.expr()]
            while self.peek()[1] == ",":
                self.take()
                args.append(self.expr())
            self.take(")")
            return self.call(text, args)
        if text == "(":
            value = self.expr()
            self.take(")")
            return value
        raise ValueError(f"unexpected {text!r}")

    @staticmethod
    def call(name: str, args: list):
        if name == "OR":
            return any(bool(a) for a in args)
        if name == "AND":
            return all(bool(a) for a in args)
        if name == "IF":
            return args[1] if args[0] else (args[2] if len(args) > 2 else False)
        if name == "ISNUMBER":
            return _rank(args[0]) == 0 and args[0] is not None
        raise ValueError(f"function {name} is not supported")


def evaluate(formula: str, cells: dict):
    """The value of ``formula`` (without the leading =) with ``cells`` ({"D2": 3, "B2": "九年级"}); a cell
    not given is empty."""
    parser = _Parser(formula, cells)
    value = parser.expr()
    if parser.i != len(parser.toks):
        raise ValueError(f"unread tail of {formula!r}")
    return value
