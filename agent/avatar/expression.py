"""Emotion + intensity → FACS action-unit intensities (EMFACS prototypes in data/expressions.json)."""
from __future__ import annotations

import numpy as np

from .data import AUS, check_emotion, check_intensity, expressions


def gain(intensity: float) -> float:
    g = expressions()["gain"]
    return float(np.clip(g["floor"] + (1 - g["floor"]) * intensity ** g["gamma"], 0.0, 1.0))


def action_units(emotion: str, intensity: float = 0.5) -> dict[str, float]:
    """AU name (``au1`` …) → intensity in [0, 1] for an emotion at an intensity; all AUs present (0 when unused)."""
    emotion, intensity = check_emotion(emotion), check_intensity(intensity)
    proto = expressions()["emotions"][emotion]
    k = gain(intensity) if emotion != "neutral" else 0.0
    out = {au: 0.0 for au in AUS}
    for au, weight in proto["core"].items():
        out[au.lower()] = float(np.clip(weight * k, 0, 1))
    # the secondary AUs come in with stronger emotion
    k2 = k * float(np.clip((intensity - 0.3) / 0.5, 0, 1))
    for au, weight in proto["extra"].items():
        out[au.lower()] = float(np.clip(max(out[au.lower()], weight * k2), 0, 1))
    return out


def au_vector(emotion: str, intensity: float) -> np.ndarray:
    units = action_units(emotion, intensity)
    return np.array([units[a] for a in AUS], dtype=np.float64)


def listening_expression(user_emotion: str) -> tuple[str, float]:
    """The gentle, attuned expression the avatar wears while the user speaks (follows the user's mood)."""
    entry = expressions()["listening"][check_emotion(user_emotion)]
    return entry["emotion"], float(entry["intensity"])


def motion_params(emotion: str) -> dict[str, float]:
    return dict(expressions()["motion"][check_emotion(emotion)])
