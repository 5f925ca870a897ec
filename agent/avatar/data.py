"""The avatar's data tables (data/expressions.json, data/visemes.json), loaded once and validated."""
from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from pathlib import Path

from ..config import REPO_ROOT
from ..emotions import canonical_emotion

DATA_DIR = REPO_ROOT / "data"
EMOTIONS: tuple[str, ...] = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
# The action units the face draws, in track order (AU43, the blink, is the separate "blink" track).
AUS: tuple[str, ...] = ("au1", "au2", "au4", "au5", "au6", "au7", "au9", "au10", "au12", "au15", "au16", "au17",
                        "au20", "au23", "au24", "au25", "au26")
MOUTH: tuple[str, ...] = ("open", "wide", "round", "close", "teeth", "tongue")


class AvatarError(ValueError):
    """Bad input to the avatar (unknown emotion, empty text, ...); the message says what to do."""


@lru_cache(maxsize=4)
def expressions(data_dir: Path = DATA_DIR) -> dict:
    table = json.loads((Path(data_dir) / "expressions.json").read_text(encoding="utf-8"))
    missing = set(EMOTIONS) - set(table["emotions"])
    if missing:
        raise ValueError(f"data/expressions.json lacks emotions: {sorted(missing)}")
    return table


@lru_cache(maxsize=4)
def visemes(data_dir: Path = DATA_DIR) -> dict:
    table = json.loads((Path(data_dir) / "visemes.json").read_text(encoding="utf-8"))
    table["_phonemes_nfc"] = {unicodedata.normalize("NFC", k): v for k, v in table["phonemes"].items()}
    return table


def check_emotion(emotion: str) -> str:
    """The avatar's label for an emotion name ('sad' → 'sadness'), from the one vocabulary (agent/emotions.py)."""
    try:
        return canonical_emotion(emotion)
    except ValueError as error:
        raise AvatarError(str(error)) from error


def check_intensity(intensity: float) -> float:
    try:
        value = float(intensity)
    except (TypeError, ValueError) as error:
        raise AvatarError(f"intensity must be a number in [0, 1], got {intensity!r}") from error
    if not 0.0 <= value <= 1.0:
        raise AvatarError(f"intensity must be in [0, 1], got {value}")
    return value
