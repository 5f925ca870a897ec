"""One emotion vocabulary (data/emotion_names.json): the seven labels the models use, and the words people type for
them ('sad', 'happy', 'scared'). Every command, the API and the config read emotion names through here."""
from __future__ import annotations

import json
from functools import lru_cache

from .config import REPO_ROOT

NAMES_FILE = REPO_ROOT / "data" / "emotion_names.json"


@lru_cache(maxsize=1)
def vocabulary() -> tuple[tuple[str, ...], dict[str, str]]:
    raw = json.loads(NAMES_FILE.read_text(encoding="utf-8"))
    return tuple(raw["labels"]), dict(raw["synonyms"])


def accepted_names(extra: tuple[str, ...] = ()) -> str:
    labels, synonyms = vocabulary()
    return f"{', '.join(sorted(set(labels) | set(extra)))} (or {', '.join(sorted(synonyms))})"


def canonical_emotion(name: str | None, extra: tuple[str, ...] = ()) -> str:
    """The label for an emotion name ('sad' → 'sadness'; empty → 'neutral'); extra: labels a caller also knows
    (the voice's 'calm'). Unknown names raise ValueError listing the accepted ones."""
    labels, synonyms = vocabulary()
    key = (name or "neutral").strip().lower()
    key = synonyms.get(key, key)
    if key not in labels and key not in extra:
        raise ValueError(f"unknown emotion {name!r}; use one of: {accepted_names(extra)}")
    return key
