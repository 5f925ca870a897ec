"""Emotion → prosody: the speaking style for an emotion at an intensity, from data/prosody.json.

The table holds each emotion at full intensity; ``prosody_for(emotion, intensity)`` moves from neutral towards it by
``intensity`` (rate, volume and pitch range in the log domain, semitones, pauses and drive linearly), then the
avatar's own voice (VoiceProfile: base pitch, rate, volume) is applied on top.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel

from ..emotions import canonical_emotion, vocabulary
from .types import VoiceProfile

DEFAULT_TABLE = Path(__file__).resolve().parent.parent.parent / "data" / "prosody.json"


class Prosody(BaseModel):
    rate: float = 1.0
    volume: float = 0.7
    pitch_semitones: float = 0.0
    pitch_range: float = 1.0
    pause_ms: float = 250.0
    drive: float = 0.0


_LOG_FIELDS = ("rate", "volume", "pitch_range")


@lru_cache(maxsize=8)
def _load(path: str) -> tuple[dict[str, Prosody], dict[str, str]]:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    table = {name: Prosody(**values) for name, values in raw["emotions"].items()}
    if "neutral" not in table:
        raise ValueError(f"{path}: the prosody table needs a 'neutral' entry")
    return table, dict(raw.get("aliases", {}))


def emotions(path: str | Path | None = None) -> list[str]:
    return sorted(_load(str(path or DEFAULT_TABLE))[0])


def resolve_emotion(emotion: str, path: str | Path | None = None) -> str:
    """The table's name for an emotion label ('sad' → 'sadness'); unknown labels raise ValueError."""
    table, aliases = _load(str(path or DEFAULT_TABLE))
    key = (emotion or "neutral").strip().lower()
    key = aliases.get(key, key)  # the voice's own extra states ('tender' → 'calm')
    return canonical_emotion(key, extra=tuple(sorted(set(table) - set(vocabulary()[0]))))


def prosody_for(emotion: str, intensity: float = 0.5, voice: VoiceProfile | None = None,
                path: str | Path | None = None) -> Prosody:
    table, _ = _load(str(path or DEFAULT_TABLE))
    name = resolve_emotion(emotion, path)
    x = min(1.0, max(0.0, float(intensity)))
    neutral, target = table["neutral"], table[name]
    values = {}
    for field in Prosody.model_fields:
        a, b = getattr(neutral, field), getattr(target, field)
        if field in _LOG_FIELDS:
            values[field] = math.exp(math.log(a) + x * (math.log(b) - math.log(a)))
        else:
            values[field] = a + x * (b - a)
    if voice is not None:
        values["rate"] *= voice.rate
        values["volume"] *= voice.volume
        values["pitch_semitones"] += voice.pitch_semitones
    return Prosody(**values)
