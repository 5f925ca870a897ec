"""Text emotion: MiniLM embeddings → the 7 MELD classes, a finer EmpatheticDialogues label, VAD and cue words.

Coarse backend: a trained head (data/text_emotion_head.npz, built by ``python -m
agent.perception.train_text_emotion``) when present, else prototype similarity (zero-shot,
data/emotion_prototypes.json). The finer label always comes from the prototypes, searched within the coarse class.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from ..embeddings import Embedder
from ..types import EmotionEstimate
from ..vad import expected_vad

# softmax temperature for cosine similarities of MiniLM prototypes (similarities span ~0.1–0.7)
PROTOTYPE_TEMPERATURE = 0.05
HEAD_FILE = "text_emotion_head.npz"
# features: MiniLM(utterance) ‖ MiniLM(previous utterance + " " + utterance) ‖ 10 lexical numbers (see lexical())
HEAD_RECIPE = "minilm-utt+joint-prev1+lex10-v1"
_CLAUSE_SPLIT = re.compile(r"(?<=[.!?;])\s+|,\s+|\s+(?:and|but|because|since|after|when)\s+", re.I)
_TYPOGRAPHY = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": " - ",
                             "\u2013": "-", "\u2026": "...", "\xa0": " "})


def clauses(text: str) -> list[str]:
    parts = [p.strip(" .,!?;") for p in _CLAUSE_SPLIT.split(text) if p and p.strip(" .,!?;")]
    return parts or [text.strip()]


def normalise(text: str) -> str:
    """Curly quotes, dashes and ellipses to ASCII, whitespace collapsed (MELD and phones both use them)."""
    return re.sub(r"\s+", " ", text.translate(_TYPOGRAPHY)).strip()


_vader = None


def lexical(text: str, has_context: bool) -> np.ndarray:
    """'!' and '?' counts, length, shouting, trailing off, VADER sentiment, and whether there is context."""
    global _vader
    if _vader is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _vader = SentimentIntensityAnalyzer()
    words = text.split()
    v = _vader.polarity_scores(text)
    return np.array([
        min(text.count("!"), 3) / 3, min(text.count("?"), 3) / 3, np.log1p(len(words)) / 3,
        sum(w.isupper() and len(w) > 1 for w in words) / max(len(words), 1), float("..." in text),
        v["compound"], v["pos"], v["neg"], v["neu"], float(not has_context),
    ], dtype=np.float32)


def head_features(embedder: Embedder, texts: Sequence[str], contexts: Sequence[Sequence[str]]) -> np.ndarray:
    """The HEAD_RECIPE features of normalised texts, each with its previous utterances (oldest first)."""
    texts = list(texts)
    joint = [f"{ctx[-1]} {t}" if ctx else t for t, ctx in zip(texts, contexts)]
    utterance, joined = embedder.encode(texts), embedder.encode(joint)
    lex = np.stack([lexical(t, bool(ctx)) for t, ctx in zip(texts, contexts)])
    return np.concatenate([utterance, joined, lex], axis=1)


class EmotionHead:
    """A softmax layer over head_features, stored as plain arrays (weights, bias, dev-tuned prior offsets)."""

    def __init__(self, path: Path):
        with np.load(path, allow_pickle=False) as z:
            if str(z["recipe"]) != HEAD_RECIPE:
                raise ValueError(f"{path}: feature recipe {z['recipe']} is not {HEAD_RECIPE}; retrain the head")
            self.labels = [str(x) for x in z["labels"]]
            self.weights, self.bias = z["weights"], z["bias"] + z["prior_offset"]
            self.meta = json.loads(str(z["meta"]))

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        logits = features @ self.weights + self.bias
        p = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return p / p.sum(axis=-1, keepdims=True)


class TextEmotionModel:
    def __init__(self, embedder: Embedder, data_dir: Path):
        self.embedder = embedder
        self.data_dir = Path(data_dir)
        self._ready = False

    def setup(self) -> None:
        if self._ready:
            return
        raw = json.loads((self.data_dir / "emotion_prototypes.json").read_text())
        self.labels = sorted(raw["coarse"])
        self._coarse = np.stack([self.embedder.encode(raw["coarse"][k]).mean(0) for k in self.labels])
        self._coarse /= np.linalg.norm(self._coarse, axis=1, keepdims=True)
        self.fine_labels = sorted(raw["fine"])
        self._fine_parent = {k: raw["fine"][k][0] for k in self.fine_labels}
        self._fine = self.embedder.encode([raw["fine"][k][1] for k in self.fine_labels])
        head_path = self.data_dir / HEAD_FILE
        self.head = EmotionHead(head_path) if head_path.is_file() else None
        if self.head is not None and self.head.labels != self.labels:
            raise ValueError(f"{head_path}: labels {self.head.labels} differ from the prototypes' {self.labels}")
        self._ready = True

    @property
    def backend(self) -> str:
        self.setup()
        return "head" if self.head is not None else "prototypes"

    def probabilities(self, texts: Sequence[str], contexts: Sequence[Sequence[str]] | None = None) -> np.ndarray:
        """Coarse probabilities (rows over self.labels) of texts, each with its previous utterances."""
        self.setup()
        texts = [normalise(t) for t in texts]
        if self.head is None:
            logits = self.embedder.encode(texts) @ self._coarse.T / PROTOTYPE_TEMPERATURE
            p = np.exp(logits - logits.max(axis=-1, keepdims=True))
            return p / p.sum(axis=-1, keepdims=True)
        contexts = [[normalise(c) for c in ctx] for ctx in (contexts or [()] * len(texts))]
        return self.head.probabilities(head_features(self.embedder, texts, contexts))

    def predict(self, text: str, context: Sequence[str] = ()) -> EmotionEstimate:
        """context: the previous utterances of the conversation, oldest first."""
        probs = self.probabilities([text], [list(context)])[0]
        best = int(probs.argmax())
        label = self.labels[best]
        # the finer label is searched within the chosen coarse class so the two never disagree
        fine_sims = self._fine @ self.embedder.encode_one(normalise(text))
        candidates = [i for i, k in enumerate(self.fine_labels) if self._fine_parent[k] == label]
        fine = self.fine_labels[max(candidates, key=lambda i: fine_sims[i])] if candidates else None
        scores = {k: round(float(p), 4) for k, p in zip(self.labels, probs)}
        return EmotionEstimate(
            modality="text", label=label, scores=scores, fine_label=fine,
            vad=expected_vad(scores, self.data_dir), confidence=float(probs[best]),
            cues=self.cue_clauses(text, best, context=context),
        )

    def cue_clauses(self, text: str, label_index: int, top: int = 1, context: Sequence[str] = ()) -> list[str]:
        """The clauses that carry the emotion: those whose own prediction leans most to the chosen label."""
        parts = clauses(text)
        if len(parts) == 1:
            return parts
        probs = self.probabilities(parts, [list(context)] * len(parts))[:, label_index]
        order = np.argsort(-probs)[:top]
        return [parts[i] for i in sorted(order)]
