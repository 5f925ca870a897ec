"""ESC-Eval character cards ("Age / Gender / Occupation / Problem"), in English or Chinese."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Card:
    id: str
    language: str  # "en" | "zh": the language the dialogue is role-played in
    text: str      # the card text in that language
    raw: dict
    warnings: list[str] = field(default_factory=list)


def card_language(raw: dict) -> str:
    lang = str(raw.get("language", "english")).lower()
    return "zh" if lang.startswith(("ch", "zh")) else "en"


def load_cards(path: str | Path, n: int | None = None, lang: str = "auto") -> list[Card]:
    """Cards in ESC-Eval's format; ``lang`` auto takes each card's "language", en/zh forces one.

    English text is the card's "base"; Chinese text is "base_biaozhu" (ESC-Eval's Chinese annotation; for Chinese
    cards both fields are Chinese)."""
    raw_cards = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw_cards, list):
        raise ValueError(f"{path}: expected a JSON list of cards")
    cards, seen = [], set()
    for index, raw in enumerate(raw_cards[:n] if n else raw_cards):
        language = card_language(raw) if lang == "auto" else lang
        warnings = []
        if language == "zh":
            text = raw.get("base_biaozhu") or raw.get("base", "")
        else:
            text = raw.get("base", "")
            if card_language(raw) == "zh":
                warnings.append("the card has no English text; its Chinese 'base' is used in the English prompt")
        card_id = str(raw.get("id", index))
        if card_id in seen:
            card_id = f"{card_id}-{index}"
        seen.add(card_id)
        if not text.strip():
            raise ValueError(f"{path}: card {card_id} has no text")
        cards.append(Card(card_id, language, text.strip(), raw, warnings))
    return cards
