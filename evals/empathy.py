"""EPITOME empathy scorer: how strongly a reply shows each of Sharma et al.'s (EMNLP 2020) three communication
mechanisms, for the message it answers — Emotional Reactions (warmth, compassion), Interpretations (understanding of
the person's feelings and experience) and Explorations (gently asking about what was not said). Levels 0 none,
1 weak, 2 strong; the score of a reply is its expected level under the head (0–2), so small changes show.

Heads: data/empathy_{emotional_reactions,interpretations,explorations}.npz (MiniLM and mpnet; *_minilm.npz twins
for an install without mpnet), trained by evals/train_empathy.py on
EPITOME's Reddit pairs (research use only; cross-validated figures in each head's meta). They read Reddit
peer support, not chat: a long, story-rich reply scores higher on Interpretations than a short chat turn that
shows the same understanding, so compare systems on the same inputs rather than reading levels as absolutes.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from agent.embeddings import Embedder
from agent.heads import load_head

MECHANISMS = ("emotional_reactions", "interpretations", "explorations")
RECIPES = {"minilm": "minilm-pair-v1", "mpnet": "mpnet-pair-v1", "both": "both-pair-v1"}  # evals/train_empathy.py


def head_file(mechanism: str, encoder: str = "both") -> str:
    """The shipped head reads MiniLM and mpnet side by side; its MiniLM-only twin stands in without mpnet."""
    return f"empathy_{mechanism}.npz" if encoder == "both" else f"empathy_{mechanism}_{encoder}.npz"


def pair_features(posts: np.ndarray, replies: np.ndarray) -> np.ndarray:
    """[v, u ⊙ v, |u − v|] for post vectors u and reply vectors v (the recipe the heads were trained on)."""
    return np.hstack([replies, posts * replies, np.abs(posts - replies)]).astype(np.float32)


class EmpathyScorer:
    def __init__(self, data_dir: Path, minilm: Embedder, cache_dir: Path | None = None):
        loaded = {m: load_head(Path(data_dir) / head_file(m), Path(data_dir) / head_file(m, "minilm"), RECIPES, minilm,
                               cache_dir) for m in MECHANISMS}
        self.heads = {m: head for m, (head, _) in loaded.items()}
        encoders = {head.encoder for head in self.heads.values()}
        if len(encoders) != 1:
            raise ValueError(f"the empathy heads were trained on different encoders ({sorted(encoders)}); retrain them")
        self.embedder = loaded[MECHANISMS[0]][1]

    def levels(self, posts: Sequence[str], replies: Sequence[str]) -> dict[str, np.ndarray]:
        """mechanism → expected level (0–2) of each reply to the post at the same position."""
        if len(posts) != len(replies):
            raise ValueError("posts and replies must pair up")
        if not replies:
            return {m: np.zeros(0) for m in MECHANISMS}
        features = pair_features(self.embedder.encode(list(posts)), self.embedder.encode(list(replies)))
        out = {}
        for mechanism, head in self.heads.items():
            values = np.array([float(label) for label in head.labels])
            out[mechanism] = head.probabilities(features) @ values
        return out

    def cv_figures(self) -> dict[str, dict]:
        """Each head's cross-validated figures, as recorded when it was trained."""
        return {m: {k: head.meta.get(k) for k in ("cv_accuracy", "cv_macro_f1", "majority_accuracy", "majority_macro_f1", "n")}
                for m, head in self.heads.items()}
