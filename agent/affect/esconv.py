"""ESConv strategy data as supervised samples, with dialogue ids reconstructed, and the preference bias B.

The TSV (``devWithStrategy_short.tsv``) has one line per supporter turn: a window of the last few turns, then the
target turn, tagged ``[Strategy]``. Each turn carries its index in the dialogue, so consecutive lines of one dialogue
have increasing target indices; a line whose target index does not increase starts a new dialogue. Earlier lines of
the same dialogue give the full strategy history (the window alone only shows the last few turns).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from ..planner.esconv_text import ESCONV_TO_STRATEGY, STRATEGY_TAG
from ..types import STRATEGIES

# like exemplars._TURN, but keeping the turn index: "<flag> <speaker> <index> <text>"
_TURN_INDEXED = re.compile(r"^\s*[\d.]+\s+(?P<speaker>[01])\s+(?P<index>\d+)\s+(?P<text>.*)$", re.S)


@dataclass
class ESConvSample:
    """One supporter turn to predict, with what a planner could know before it."""

    dialogue: int
    turn_index: int                # the target's index in the dialogue (all speakers)
    strategy: str                  # gold, in STRATEGIES naming
    seeker_text: str               # the last seeker turn before the target ("" if none)
    supporter_text: str            # the last supporter turn before the target, strategy tag removed ("" if none)
    previous_strategies: list[str] = field(default_factory=list)  # the supporter's earlier strategies, oldest first
    seeker_context: list[str] = field(default_factory=list)       # earlier seeker turns in the window, oldest first
    seeker_turns: int = 0          # seeker turns so far in the dialogue (as far as the windows show)
    supporter_continues: bool = False  # the turn right before the target is the supporter's own


def _parse_turns(line: str) -> list[dict]:
    out = []
    for raw in line.split(" EOS "):
        m = _TURN_INDEXED.match(raw)
        if not m or not raw.strip():
            continue
        text = " ".join(m["text"].split())
        strategy = None
        tagged = STRATEGY_TAG.match(text)
        if m["speaker"] == "1" and tagged:
            strategy = ESCONV_TO_STRATEGY.get(tagged["name"])
            text = " ".join(tagged["text"].split())
        out.append({"speaker": m["speaker"], "index": int(m["index"]), "text": text, "strategy": strategy})
    return out


def supporter_targets(tsv_path: Path) -> Iterator[tuple[int, bool, dict, list[dict]]]:
    """(dialogue id, whether it starts a new dialogue, the target supporter turn, the window before it) for each
    line of an ESConv strategy TSV, in file order."""
    dialogue, last_index = -1, None
    for line in Path(tsv_path).read_text(encoding="utf-8").splitlines():
        turns = _parse_turns(line)
        if not turns or turns[-1]["speaker"] != "1" or turns[-1]["strategy"] is None:
            continue
        target, window = turns[-1], turns[:-1]
        new = last_index is None or target["index"] <= last_index
        dialogue += new
        last_index = target["index"]
        yield dialogue, new, target, window


def read_esconv(tsv_path: Path) -> list[ESConvSample]:
    """All supporter-turn samples of an ESConv strategy TSV, in file order, with reconstructed dialogue ids."""
    samples: list[ESConvSample] = []
    history: list[str] = []
    seeker_seen: set[int] = set()
    for dialogue, new, target, window in supporter_targets(tsv_path):
        if new:
            history, seeker_seen = [], set()
        seeker = [t for t in window if t["speaker"] == "0"]
        supporter = [t for t in window if t["speaker"] == "1"]
        seeker_seen.update(t["index"] for t in seeker)
        samples.append(ESConvSample(
            dialogue=dialogue, turn_index=target["index"], strategy=target["strategy"],
            seeker_text=seeker[-1]["text"] if seeker else "",
            supporter_text=supporter[-1]["text"] if supporter else "",
            previous_strategies=list(history), seeker_context=[t["text"] for t in seeker[:-1]],
            seeker_turns=len(seeker_seen), supporter_continues=bool(window) and window[-1]["speaker"] == "1",
        ))
        history.append(target["strategy"])
    return samples


def preference_scores(confusion: np.ndarray, iterations: int = 20) -> tuple[np.ndarray, float]:
    """Per-strategy preferences p and the preference bias B (Kang et al. 2024, as re-implemented in EmoDynamiX),
    exactly as DESIGN.md gives it.

    ``confusion[i, j]`` counts turns whose gold strategy is i and predicted strategy is j (sklearn's layout); the
    paper's w is its transpose (w_ij = how often i is predicted when the gold is j). Preferences p start at 1 and
    are updated ``iterations`` times, all at once:
    p_i ← Σ_j w_ij·p_j/(p_i+p_j) ÷ Σ_j w_ji/(p_i+p_j), then rescaled so Σp = N. B = population std of p.
    A strategy that is never gold and never predicted gives 0/0: its p is left as it was.
    A balanced diagonal matrix gives B = 0; always predicting one of N strategies gives B = √(N−1).
    """
    w = np.asarray(confusion, dtype=float).T
    n = w.shape[0]
    p = np.ones(n)
    for _ in range(iterations):
        pair = p[:, None] + p[None, :]
        pair = np.where(pair > 0, pair, np.inf)  # two strategies already at 0 contribute nothing to each other
        numerator = (w * p[None, :] / pair).sum(1)
        denominator = (w.T / pair).sum(1)
        new = np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), p)
        total = new.sum()
        if total <= 0:
            break
        p = new * n / total
    return p, float(np.std(p))


def preference_bias(confusion: np.ndarray, iterations: int = 20) -> float:
    """Preference bias B of a confusion matrix in sklearn's layout (confusion[gold, predicted]); see
    ``preference_scores``."""
    return preference_scores(confusion, iterations)[1]


def confusion_matrix(gold: list[str] | np.ndarray, predicted: list[str] | np.ndarray,
                     labels: tuple[str, ...] = STRATEGIES) -> np.ndarray:
    """counts[i, j]: gold labels[i], predicted labels[j]."""
    index = {k: i for i, k in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)), dtype=int)
    for g, p in zip(gold, predicted):
        counts[index[g], index[p]] += 1
    return counts


@dataclass
class ResponseSample:
    dialogue: int
    last_user: str
    last_agent: str
    earlier_user: list[str]
    response: str
    strategy: str


def read_responses(tsv_path: Path) -> list[ResponseSample]:
    """Supporter turns of an ESConv strategy TSV with the dialogue window before each."""
    out: list[ResponseSample] = []
    for dialogue, _, target, window in supporter_targets(tsv_path):
        seeker = [t["text"] for t in window if t["speaker"] == "0"]
        supporter = [t["text"] for t in window if t["speaker"] == "1"]
        out.append(ResponseSample(dialogue, seeker[-1] if seeker else "", supporter[-1] if supporter else "",
                                  seeker[:-1][-3:], target["text"], target["strategy"]))
    return out
