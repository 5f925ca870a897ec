"""The response ranker: scores whole candidate utterances for the dialogue so far.

A dual encoder over the shared MiniLM embeddings, trained on ESConv's training dialogues to pick the real next
supporter turn among others (train_ranker.py). The dialogue is read as three vectors — the person's last message,
the supporter's last reply, and the person's earlier messages (mean) — mapped into one query; a candidate is its
own embedding mapped by a second matrix. Both maps start at the identity, so an untrained ranker is plain cosine
retrieval, and training learns what a good *next turn* looks like rather than what repeats the person's words.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

PARTS = ("last_user", "last_agent", "earlier_user")  # the query's inputs, in the order of the stored matrices


@dataclass
class DialogueQuery:
    """Embeddings (unit vectors, or zeros when absent) of what the ranker reads."""

    last_user: np.ndarray
    last_agent: np.ndarray
    earlier_user: np.ndarray

    def stacked(self) -> np.ndarray:
        return np.concatenate([self.last_user, self.last_agent, self.earlier_user])


def _unit(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norm, 1e-8)


class ResponseRanker:
    """score(query, candidates) → one number per candidate (higher is a better next turn)."""

    def __init__(self, path: Path | None):
        self.path = Path(path) if path else None
        self._query_map = self._candidate_map = None

    def setup(self, dim: int = 384) -> None:
        if self._query_map is not None:
            return
        if self.path is not None and self.path.is_file():
            with np.load(self.path) as stored:
                self._query_map, self._candidate_map = stored["query_map"], stored["candidate_map"]
        else:  # no trained ranker: cosine to the person's last message
            eye = np.eye(dim, dtype=np.float32)
            self._query_map = np.concatenate([eye, np.zeros((2 * dim, dim), np.float32)])
            self._candidate_map = eye

    def query_vector(self, query: DialogueQuery) -> np.ndarray:
        self.setup(len(query.last_user))
        return _unit(query.stacked() @ self._query_map)

    def candidate_vectors(self, embeddings: np.ndarray) -> np.ndarray:
        """Map candidate embeddings once (a bank's are mapped at load, not per turn)."""
        self.setup(embeddings.shape[1])
        return _unit(embeddings @ self._candidate_map)

    def score(self, query: DialogueQuery, mapped_candidates: np.ndarray) -> np.ndarray:
        return mapped_candidates @ self.query_vector(query)
