"""Item-level scores (小题得分) for the district's unified papers, from an item-response model.

Two papers have item data: grade 6 数学 (100 marks) and grade 9 数学 (120 marks). Each item has its own
discrimination a and difficulty b on one ability scale theta:
- objective items (客观, 3-5 marks, 0 or full): 2PL, P(right) = logistic(a (theta - b));
- subjective items (主观, partial credit): score ~ Binomial(full, logistic(a (theta - b))).

theta is the same latent ability that produced the student's 数学 mark: it is read back from that mark
through the paper's test characteristic curve (expected total as a function of theta), so that the
expected item total equals the mark. The drawn item scores are then moved, one mark at a time on a
randomly chosen subjective item (an objective item only when no subjective item can move), until they
add up exactly to the 数学 mark in 学业成绩: the item sheet and the score sheet never disagree.

Two items are built to be found by the item analysis: a flawed key (negative a: the strong students
pick the "wrong" option) and a too-easy item (P > 0.95).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tqa.core import vocabulary as vocab
from tqa.devtools.sample.model import key_rng
from tqa.schema import office

OBJECTIVE = vocab.ITEM_TYPE_OBJECTIVE
SUBJECTIVE = vocab.ITEM_TYPE_SUBJECTIVE


@dataclass(frozen=True)
class Item:
    label: str
    full: int
    type: str  # 客观 / 主观
    a: float  # discrimination (negative: a flawed key)
    b: float  # difficulty (higher = harder)


def _paper(rows) -> tuple[Item, ...]:
    return tuple(Item(label, full, OBJECTIVE if kind == "o" else SUBJECTIVE, a, b) for label, full, kind, a, b in rows)


# (label, full marks, o = objective / s = subjective, a, b). Marks add up to the paper's full marks.
PAPERS: dict[tuple[int, str], tuple[Item, ...]] = {
    (6, "数学"): _paper(
        [
            ("1", 3, "o", 1.4, -3.3),
            ("2", 3, "o", 1.4, -1.3),
            ("3", 3, "o", 1.2, -1.1),
            ("4", 3, "o", 1.8, -0.9),
            ("5", 3, "o", 1.0, -1.2),
            ("6", 3, "o", 1.5, -0.7),
            ("7", 3, "o", 1.3, -0.5),
            ("8", 3, "o", 2.0, -0.3),
            ("9", 4, "o", 1.1, -0.9),
            ("10", 4, "o", 1.7, -0.6),
            ("11", 4, "o", 1.4, -0.4),
            ("12", 4, "o", 1.2, -0.1),
            ("13(1)", 4, "s", 1.5, -1.0),
            ("13(2)", 6, "s", 1.1, -0.8),
            ("14", 6, "s", 1.3, -0.9),
            ("15", 6, "s", 0.9, -0.7),
            ("16", 8, "s", 1.0, -0.8),
            ("17(1)", 5, "s", 1.3, -0.9),
            ("17(2)", 5, "s", 1.1, -0.4),
            ("18", 10, "s", 0.9, -0.6),
            ("19", 10, "s", 1.0, -0.2),
        ]
    ),
    (9, "数学"): _paper(
        [
            ("1", 3, "o", 1.3, -1.8),
            ("2", 3, "o", 1.5, -1.2),
            ("3", 3, "o", 1.1, -0.9),
            ("4", 3, "o", 1.6, -0.6),
            ("5", 3, "o", 1.2, -0.4),
            ("6", 3, "o", 1.8, -0.1),
            ("7", 3, "o", -0.9, -0.3),
            ("8", 3, "o", 1.4, 0.2),
            ("9", 3, "o", 1.0, 0.5),
            ("10", 3, "o", 1.7, 0.9),
            ("11", 4, "o", 1.3, -0.7),
            ("12", 4, "o", 1.5, -0.2),
            ("13", 4, "o", 1.2, 0.3),
            ("14", 4, "o", 1.6, 0.8),
            ("15", 6, "s", 1.2, -1.0),
            ("16", 6, "s", 1.1, -0.6),
            ("17", 7, "s", 1.0, -0.3),
            ("18", 8, "s", 0.9, 0.0),
            ("19(1)", 4, "s", 1.4, -0.8),
            ("19(2)", 6, "s", 1.1, 0.3),
            ("20", 9, "s", 1.0, 0.4),
            ("21(1)", 4, "s", 1.3, -0.2),
            ("21(2)", 8, "s", 1.0, 0.7),
            ("22(1)", 6, "s", 1.1, 0.6),
            ("22(2)", 10, "s", 0.9, 1.3),
        ]
    ),
}
FLAWED_ITEM = (9, "数学", "7")  # negative discrimination: a key error for the item analysis to find
TOO_EASY_ITEM = (6, "数学", "1")  # P > 0.95
_GRID = np.linspace(-7.0, 7.0, 1401)


def item_spec() -> pd.DataFrame:
    """The office's item specification (item_spec.csv): grade, subject, item, full_marks, type (客观/主观)."""
    rows = [(g, s, it.label, it.full, it.type) for (g, s), items in PAPERS.items() for it in items]
    df = pd.DataFrame(rows, columns=list(office.ITEM_SPEC.columns))
    return df.astype({"grade": "int64", "full_marks": "int64"})


def _probabilities(theta: np.ndarray, items: tuple[Item, ...]) -> np.ndarray:
    a = np.array([it.a for it in items])
    b = np.array([it.b for it in items])
    return 1.0 / (1.0 + np.exp(-a * (theta[:, None] - b)))


def theta_for_totals(totals: np.ndarray, items: tuple[Item, ...]) -> np.ndarray:
    """The ability whose expected total (test characteristic curve) equals each total."""
    full = np.array([it.full for it in items], float)
    expected = (_probabilities(_GRID, items) * full).sum(axis=1)
    expected = np.maximum.accumulate(expected)  # monotone even with a reversed (flawed) item
    return np.interp(totals, expected, _GRID)


def draw_items(totals: np.ndarray, items: tuple[Item, ...], rng: np.random.Generator) -> np.ndarray:
    """Integer item scores (students x items) from the IRT model, each row adding up to its total."""
    totals = np.asarray(totals, dtype=np.int64)
    full = np.array([it.full for it in items], np.int64)
    if (totals < 0).any() or (totals > full.sum()).any():
        raise ValueError("total outside 0..full marks")
    subj = np.array([it.type == SUBJECTIVE for it in items])
    p = _probabilities(theta_for_totals(totals, items), items)
    scores = np.where(subj, rng.binomial(np.broadcast_to(full, p.shape), p), (rng.random(p.shape) < p) * full).astype(
        np.int64
    )
    diff = totals - scores.sum(axis=1)
    rows = np.arange(len(totals))
    while (diff != 0).any():
        up = diff > 0
        key = rng.random(scores.shape)
        # One mark on a random subjective item that can move in the needed direction.
        can = subj & np.where(up[:, None], scores < full, scores > 0) & (diff != 0)[:, None]
        pick = np.where(can, key, -1.0).argmax(axis=1)
        moved = can[rows, pick]
        step = np.where(up, 1, -1) * moved
        scores[rows, pick] += step
        diff -= step
        # No subjective item can move: flip an objective item (the next rounds correct any overshoot).
        stuck = (diff != 0) & ~moved
        if stuck.any():
            flip = ~subj & np.where(up[:, None], scores == 0, scores == full) & stuck[:, None]
            pick = np.where(flip, key, -1.0).argmax(axis=1)
            ok = flip[rows, pick]
            delta = np.where(up, full[pick], -full[pick]) * ok
            scores[rows, pick] += delta
            diff -= delta
            if (stuck & ~ok).any():
                raise RuntimeError("item scores cannot reach the total")  # not reachable with integer marks
    return scores


def build_item_scores(scores: pd.DataFrame, seed: int, term: str) -> pd.DataFrame:
    """Wide item sheet rows per paper: school_code, student_id, grade, subject, then one object column per
    item label (int score, or 缺考 for an absent student). Exempt students and other grades are not listed."""
    parts = []
    for (grade, subject), items in PAPERS.items():
        sub = scores.loc[scores["grade"] == grade, ["school_code", "student_id", "grade", subject]]
        cells = sub[subject]
        absent = (cells == vocab.ABSENT).to_numpy()
        numeric = pd.to_numeric(cells, errors="coerce")
        scored = numeric.notna().to_numpy()
        labels = [it.label for it in items]
        out = sub.loc[scored | absent, ["school_code", "student_id", "grade"]].copy()
        out["subject"] = subject
        body = np.full((len(sub), len(items)), None, dtype=object)
        drawn = draw_items(
            numeric[scored].to_numpy().astype(np.int64), items, key_rng(seed, "items", term, grade, subject)
        )
        body[scored] = drawn.astype(object)
        body[absent] = vocab.ABSENT
        body = body[scored | absent]
        for j, label in enumerate(labels):
            out[label] = pd.Series(
                [int(v) if v != vocab.ABSENT else v for v in body[:, j]], index=out.index, dtype=object
            )
        parts.append(out)
    return {(g, s): p for (g, s), p in zip(PAPERS, parts)}
