"""The trained ESC strategy planner: a softmax head over MiniLM features of the recent dialogue, plus stage logic.

Features (``FEATURE_RECIPE``): MiniLM(last seeker turn) ‖ MiniLM(last supporter turn) ‖ the seeker's perceived
emotion (7 MELD probabilities, the pipeline's fused scores) ‖ the previous two strategies one-hot, the share and
use of each strategy so far ‖ position in the conversation ‖ a few cues (question mark, asks for advice, greeting,
thanks/goodbye) ‖ MiniLM(the seeker's turn before the last). The head (data/strategy_head.npz, built by ``python -m agent.affect.train_strategy``) is plain
numpy arrays: weights, bias, and a class-prior correction that lowers the preference bias B.

Stage logic on top (ESConv's order, Liu et al. 2021): unless the person asks for advice, action strategies are ruled
out in the first two turns, and raised when they ask what to do. Trained on ESConv's training split (12,523 turns), the head learns the rest of the order
from the position and history features; the earlier hand-set boosts (comfort from turn 2, damp exploring after two
turns) cost dev macro-F1 0.008 and made strategies follow the turn number, so they are gone.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from ..types import STRATEGIES
from .strategy import ASKS_FOR_ADVICE, GREETING, StrategyChoice, StrategyContext, strategy_stage

HEAD_FILE = "strategy_head.npz"
FEATURE_RECIPE = "minilm-seeker+supporter+emo7+hist+pos+cues+prevseeker-v2"
EMOTIONS = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
THANKS = re.compile(r"\b(thank(s| you)|bye|good ?night|take care|have a (good|great|nice))\b", re.I)
ACTION = ("Providing Suggestions", "Information")
EARLY_TURNS = 2            # no suggestions in turns 0 and 1 unless asked
ASKED_ACTION = 1.5         # factor on action strategies when the person asks what to do (a design choice)


def _one_hot(name: str | None) -> np.ndarray:
    v = np.zeros(len(STRATEGIES) + 1, np.float32)
    v[STRATEGIES.index(name) if name in STRATEGIES else len(STRATEGIES)] = 1.0
    return v


def structured_features(seeker_text: str, previous_strategies: Sequence[str], seeker_turns: int,
                        supporter_continues: bool, emotion: Sequence[float]) -> np.ndarray:
    """Everything but the embeddings: emotion, strategy history, position, cues (a fixed-length vector)."""
    prev = list(previous_strategies)
    counts = np.array([prev.count(s) for s in STRATEGIES], np.float32)
    n = len(prev)
    position = np.array([np.log1p(n) / 3, np.log1p(seeker_turns) / 3, n == 0, n == 1, n == 2, 3 <= n <= 4,
                         5 <= n <= 9, n >= 10], np.float32)
    text = seeker_text.strip()
    cues = np.array([
        "?" in text, bool(ASKS_FOR_ADVICE.search(text)), bool(GREETING.match(text)), bool(THANKS.search(text)),
        not text, np.log1p(len(text.split())) / 4, float(supporter_continues),
    ], np.float32)
    return np.concatenate([
        np.asarray(emotion, np.float32), _one_hot(prev[-1] if prev else None), _one_hot(prev[-2] if n > 1 else None),
        counts / max(n, 1), (counts > 0).astype(np.float32), position, cues,
    ])


def build_features(seeker_vectors: np.ndarray, supporter_vectors: np.ndarray, structured: np.ndarray,
                   previous_seeker_vectors: np.ndarray) -> np.ndarray:
    return np.concatenate([seeker_vectors, supporter_vectors, structured, previous_seeker_vectors],
                          axis=1).astype(np.float32)


def context_emotion(context: StrategyContext) -> np.ndarray:
    """The seeker's perceived emotion as 7 probabilities (fused scores; a one-hot of the label if none)."""
    scores = context.user_state.fused.scores
    if scores:
        v = np.array([scores.get(k, 0.0) for k in EMOTIONS], np.float32)
        if v.sum() > 0:
            return v / v.sum()
    label = context.user_state.fused.label
    return np.array([float(k == label) for k in EMOTIONS], np.float32) if label in EMOTIONS else np.full(7, 1 / 7, np.float32)


class StrategyHead:
    """Softmax over FEATURE_RECIPE features; logits = x·W + b − prior_weight·log(train prior)."""

    def __init__(self, path: Path):
        with np.load(path, allow_pickle=False) as z:
            if str(z["recipe"]) != FEATURE_RECIPE:
                raise ValueError(f"{path}: feature recipe {z['recipe']} is not {FEATURE_RECIPE}; retrain the head")
            self.labels = [str(x) for x in z["labels"]]
            self.weights = z["weights"].astype(np.float32)
            self.bias = (z["bias"] - float(z["prior_weight"]) * np.log(z["prior"])).astype(np.float32)
            self.meta = json.loads(str(z["meta"]))
        if tuple(self.labels) != STRATEGIES:
            raise ValueError(f"{path}: labels {self.labels} are not {list(STRATEGIES)}")

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        logits = features @ self.weights + self.bias
        p = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return p / p.sum(axis=-1, keepdims=True)


def stage_adjust(probs: np.ndarray, seeker_text: str, turn_index: int) -> tuple[np.ndarray, list[str]]:
    """Apply the stage order to one probability row; returns the renormalised row and the reasons that applied."""
    p = np.asarray(probs, np.float64).copy()
    notes: list[str] = []
    asked = bool(ASKS_FOR_ADVICE.search(seeker_text)) and turn_index >= 1
    if asked:
        p[[STRATEGIES.index(s) for s in ACTION]] *= ASKED_ACTION
        notes.append("they asked what to do")
    elif turn_index < EARLY_TURNS:
        p[[STRATEGIES.index(s) for s in ACTION]] = 0.0
        notes.append("early in the conversation: explore before suggesting")
    total = p.sum()
    return (p / total if total > 0 else np.full_like(p, 1 / len(p))), notes


class TrainedStrategyPlanner:
    """StrategyPlanner backend: the shipped head over the dialogue so far, then the stage order."""

    def __init__(self, embedder, data_dir: Path, head_path: Path | None = None):
        self.embedder = embedder
        self.data_dir = Path(data_dir)
        self.head_path = Path(head_path) if head_path else self.data_dir / HEAD_FILE
        self.head: StrategyHead | None = None

    def setup(self) -> None:
        if self.head is None:
            if not self.head_path.is_file():
                raise FileNotFoundError(f"strategy head not found: {self.head_path} "
                                        "(train it: python -m agent.affect.train_strategy)")
            self.head = StrategyHead(self.head_path)
            self._stage = strategy_stage(self.data_dir)

    def features(self, context: StrategyContext) -> np.ndarray:
        supporter = context.history[-1][1] if context.history else ""
        previous = context.history[-1][0] if context.history else ""
        vectors = self.embedder.encode([context.user_text, supporter or ".", previous or "."])
        vectors[1:][[not supporter, not previous]] = 0.0
        structured = structured_features(context.user_text, context.previous_strategies, context.turn_index + 1,
                                         False, context_emotion(context))
        return build_features(vectors[:1], vectors[1:2], structured[None], vectors[2:3])[0]

    def distribution(self, context: StrategyContext) -> tuple[np.ndarray, list[str]]:
        """The head's probabilities after the stage order, and the stage notes that applied."""
        self.setup()
        raw = self.head.probabilities(self.features(context)[None])[0]
        return stage_adjust(raw, context.user_text, context.turn_index)

    def choose(self, context: StrategyContext) -> StrategyChoice:
        self.setup()
        if GREETING.match(context.user_text) and context.turn_index == 0:
            return StrategyChoice("exploration", "Others", "a greeting: greet back and invite them to share")
        probs, notes = self.distribution(context)
        order = np.argsort(-probs)
        best = STRATEGIES[int(order[0])]
        top = ", ".join(f"{STRATEGIES[int(i)]} {probs[int(i)]:.2f}" for i in order[:2])
        reason = f"top: {top}" + (f"; {'; '.join(notes)}" if notes else "")
        return StrategyChoice(self._stage[best], best, reason)  # type: ignore[arg-type]
