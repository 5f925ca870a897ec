"""Text emotion: sentence embeddings → the 7 MELD classes, a finer EmpatheticDialogues label, VAD and cue words.

Coarse backend: a trained head (data/text_emotion_head.npz, built by ``python -m
agent.perception.train_text_emotion``) when present, else prototype similarity (zero-shot,
data/emotion_prototypes.json). The finer label always comes from the MiniLM prototypes, searched within the coarse
class. The head's recipe names its encoder: MiniLM (the shared embedder), all-mpnet-base-v2 (assembled from its
PyPI parts by mpnet.py, loaded lazily) or both concatenated. Should a head need mpnet and mpnet not be installed,
the MiniLM head (data/text_emotion_head_minilm.npz) is used instead, with a warning.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from ..embeddings import Embedder
from ..text import normalise
from ..heads import load_head
from ..types import EmotionEstimate
from ..vad import expected_vad

# softmax temperature for cosine similarities of MiniLM prototypes (similarities span ~0.1–0.7)
PROTOTYPE_TEMPERATURE = 0.05
HEAD_FILE = "text_emotion_head.npz"
FALLBACK_HEAD_FILE = "text_emotion_head_minilm.npz"  # used when the shipped head needs mpnet and it is missing
# features: E(utterance) ‖ E(previous utterance + " " + utterance) ‖ 10 lexical numbers (see lexical()), where E is
# MiniLM, mpnet, or both concatenated (MiniLM first); the recipe string names the encoder
HEAD_RECIPES = {
    "minilm": "minilm-utt+joint-prev1+lex10-v1",
    "mpnet": "mpnet-utt+joint-prev1+lex10-v1",
    "both": "minilm+mpnet-utt+joint-prev1+lex10-v1",
}
HEAD_ENCODER = "both"  # the encoder of the shipped head (train_text_emotion's default)
HEAD_RECIPE = HEAD_RECIPES[HEAD_ENCODER]
_CLAUSE_SPLIT = re.compile(r"(?<=[.!?;])\s+|,\s+|\s+(?:and|but|because|since|after|when)\s+", re.I)


def clauses(text: str) -> list[str]:
    parts = [p.strip(" .,!?;") for p in _CLAUSE_SPLIT.split(text) if p and p.strip(" .,!?;")]
    return parts or [text.strip()]


@lru_cache(maxsize=1)
def vader():
    """VADER's sentiment analyser, loaded once (its lexicon is read from disk)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def lexical(text: str, has_context: bool) -> np.ndarray:
    """'!' and '?' counts, length, shouting, trailing off, VADER sentiment, and whether there is context."""
    words = text.split()
    v = vader().polarity_scores(text)
    return np.array([
        min(text.count("!"), 3) / 3, min(text.count("?"), 3) / 3, np.log1p(len(words)) / 3,
        sum(w.isupper() and len(w) > 1 for w in words) / max(len(words), 1), float("..." in text),
        v["compound"], v["pos"], v["neg"], v["neu"], float(not has_context),
    ], dtype=np.float32)


SELF_REPORT_WEIGHT = 0.5  # share of the distribution a self-reported feeling takes ("I'm furious" is anger)
_FRAME = (r"\b(?:i'?m|i am|i feel|i felt|i was|i've been|i have been|i'?m feeling|i am feeling|feeling|makes me|"
          r"made me|i get|i got)\s+(?:(?:so|really|very|just|a bit|a little|kind of|pretty|extremely|super|totally|"
          r"quite|incredibly|feeling|getting|more|absolutely|utterly|completely)\s+)*")


class SelfReport:
    """Feelings the person names about themselves, read from data/emotion_words.json inside a first-person frame.

    A text head trained on TV dialogue (MELD) reads "I'm so angry at my brother" as disgust; a named feeling is
    the strongest cue text has, so it takes SELF_REPORT_WEIGHT of the distribution. A negated frame ("I'm not
    angry", "I don't feel sad") never matches: negation words are not in the frame's list of intensifiers."""

    def __init__(self, data_dir: Path, labels: Sequence[str]):
        raw = json.loads((Path(data_dir) / "emotion_words.json").read_text())
        self.labels = list(labels)
        self.patterns = {label: re.compile(_FRAME + r"(" + "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
                                           + r")\b", re.I)
                         for label, words in raw.items() if not label.startswith("_") and label in self.labels}

    def named(self, text: str) -> list[str]:
        """The classes whose words the person uses about themselves (in label order)."""
        return [label for label, pattern in self.patterns.items() if pattern.search(text)]

    def adjust(self, probs: np.ndarray, text: str) -> np.ndarray:
        named = self.named(text)
        if not named:
            return probs
        report = np.array([float(k in named) for k in self.labels]) / len(named)
        return (1 - SELF_REPORT_WEIGHT) * probs + SELF_REPORT_WEIGHT * report


def head_features(embedder: Embedder, texts: Sequence[str], contexts: Sequence[Sequence[str]]) -> np.ndarray:
    """The head features of normalised texts, each with its previous utterances (oldest first); embedder is the
    head's encoder (see HEAD_RECIPES)."""
    texts = list(texts)
    joint = [f"{ctx[-1]} {t}" if ctx else t for t, ctx in zip(texts, contexts)]
    utterance, joined = embedder.encode(texts), embedder.encode(joint)
    lex = np.stack([lexical(t, bool(ctx)) for t, ctx in zip(texts, contexts)])
    return np.concatenate([utterance, joined, lex], axis=1)


class TextEmotionModel:
    def __init__(self, embedder: Embedder, data_dir: Path, cache_dir: Path | None = None):
        """embedder: MiniLM (prototypes, and the head when its recipe says so); cache_dir: where mpnet is assembled
        (default: Settings().cache_dir)."""
        self.embedder = embedder
        self.data_dir = Path(data_dir)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
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
        self.head, self.head_embedder = None, self.embedder
        if head_path.is_file():
            self.head, self.head_embedder = load_head(head_path, self.data_dir / FALLBACK_HEAD_FILE, HEAD_RECIPES,
                                                      self.embedder, self.cache_dir)
        if self.head is not None and self.head.labels != self.labels:
            raise ValueError(f"{head_path}: labels {self.head.labels} differ from the prototypes' {self.labels}")
        self.self_report = SelfReport(self.data_dir, self.labels)
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
        probs = self.head.probabilities(head_features(self.head_embedder, texts, contexts))
        return np.stack([self.self_report.adjust(p, t) for p, t in zip(probs, texts)]) if len(texts) else probs

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
