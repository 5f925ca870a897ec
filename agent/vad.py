"""Emotion categories ↔ VAD points (table in data/emotion_vad.json, from PELD)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from .types import VAD


@lru_cache(maxsize=4)
def emotion_vad_table(data_dir: Path) -> dict[str, np.ndarray]:
    raw = json.loads((Path(data_dir) / "emotion_vad.json").read_text())
    return {k: np.array(v, dtype=np.float32) for k, v in raw.items() if not k.startswith("_")}


def vad_of(label: str, data_dir: Path) -> VAD:
    table = emotion_vad_table(data_dir)
    return VAD.clipped(*table.get(label, table["neutral"]))


def expected_vad(scores: dict[str, float], data_dir: Path) -> VAD:
    """Probability-weighted mean of the category points."""
    table = emotion_vad_table(data_dir)
    total = sum(scores.get(k, 0.0) for k in table) or 1.0
    point = sum(table[k] * scores.get(k, 0.0) for k in table) / total
    return VAD.clipped(*point)


def nearest_emotion(point: np.ndarray | VAD, data_dir: Path) -> str:
    if isinstance(point, VAD):
        point = np.array(point.as_tuple())
    table = emotion_vad_table(data_dir)
    return min(table, key=lambda k: float(np.linalg.norm(table[k] - point)))


def emotion_in_direction(point: np.ndarray | VAD, data_dir: Path, radius: float, min_cosine: float) -> str:
    """The emotion whose direction from neutral the point lies in, or neutral when it is within radius of neutral
    or in no emotion's direction. Unlike nearest_emotion, a point a third of the way to joy already reads as joy:
    how far along is the intensity, not the label."""
    if isinstance(point, VAD):
        point = np.array(point.as_tuple())
    norm = float(np.linalg.norm(point))
    if norm < radius:
        return "neutral"
    table = {k: v for k, v in emotion_vad_table(data_dir).items() if np.linalg.norm(v) > 0}
    cosine = {k: float(v @ point) / (float(np.linalg.norm(v)) * norm) for k, v in table.items()}
    best = max(cosine, key=cosine.get)
    return best if cosine[best] >= min_cosine else "neutral"
