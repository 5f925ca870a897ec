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
