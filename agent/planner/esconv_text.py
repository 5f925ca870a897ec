"""ESConv's text conventions (strategy tags and names) and the checks a supporter sentence must pass to be said to
this person: its "your <someone>" and he/she must fit what they said; no blocked words.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..details import your_details_fit

ESCONV_TO_STRATEGY = {
    "Questions": "Question", "Restatement or Paraphrasing": "Restatement or Paraphrasing",
    "Reflection of feelings": "Reflection of Feelings", "Self-disclosure": "Self-disclosure",
    "Affirmation and Reassurance": "Affirmation and Reassurance", "Providing Suggestions": "Providing Suggestions",
    "Information": "Information", "Other": "Others",
}
STRATEGY_TAG = re.compile(r"^\[(?P<name>[^\]]+)\]\s*(?P<text>.*)$", re.S)

_THIRD_PERSON = re.compile(r"\b(he|him|his|she|her|hers)\b", re.I)


def details_fit(sentence: str, known_text: str) -> bool:
    """True when every 'your <someone/something>' and every he/she in the sentence fits what the person said."""
    if not your_details_fit(sentence, known_text):  # "your husband" only fits a person who mentioned a husband
        return False
    known = known_text.lower()
    # "shes closer to her" told of a she, typed without the apostrophe
    return all(re.search(rf"\b{m.group(1).lower()}(?:'?s)?\b", known) for m in _THIRD_PERSON.finditer(sentence))


def blocklist(data_dir: Path) -> re.Pattern:
    words = [w.strip() for w in (data_dir / "blocklist.txt").read_text().splitlines()
             if w.strip() and not w.startswith("#")]
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.I)


def model_identity(model_dir: Path) -> str:
    """Names and sizes of a model's files: the same model installed elsewhere keeps its cached index."""
    files = sorted(p for p in Path(model_dir).rglob("*") if p.is_file() and p.suffix in {".json", ".safetensors", ".bin", ".txt"})
    return "|".join(f"{p.relative_to(model_dir)}:{p.stat().st_size}" for p in files)
