"""What makes a reply read as a machine: AI tells ("as an AI", 作为AI), lists and markup, from data/ai_tells.json.

One pattern set for the quality gate (which rejects such a sentence) and the ESC-Eval harness (which counts such
replies as its humanoid proxy), so the two never disagree about what an AI tell is.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from .config import REPO_ROOT

TELLS_FILE = REPO_ROOT / "data" / "ai_tells.json"


class TellPatterns(BaseModel):
    """data/ai_tells.json, every entry a case-insensitive regular expression."""

    model_config = ConfigDict(extra="ignore")  # "_about"
    ai_tells: dict[str, list[str]]  # language → phrases
    list_line: str
    markup: list[str]


class CompiledTells:
    def __init__(self, patterns: TellPatterns):
        english = [f"\\b(?:{p})\\b" for p in patterns.ai_tells.get("en", [])]
        # CJK characters are all word characters, so a word boundary would never fall inside a Chinese sentence
        others = [p for lang, phrases in patterns.ai_tells.items() if lang != "en" for p in phrases]
        self.ai_tell = re.compile("|".join(f"(?:{p})" for p in english + others), re.I)
        self.list_line = re.compile(patterns.list_line, re.I | re.M)
        self.markup = re.compile("|".join(f"(?:{p})" for p in patterns.markup), re.I | re.M)


@lru_cache(maxsize=4)
def tell_patterns(path: Path = TELLS_FILE) -> CompiledTells:
    return CompiledTells(TellPatterns.model_validate(json.loads(Path(path).read_text(encoding="utf-8"))))


def has_ai_tell(text: str) -> bool:
    return bool(tell_patterns().ai_tell.search(text))


def has_list(text: str) -> bool:
    return bool(tell_patterns().list_line.search(text))


def has_markup(text: str) -> bool:
    return bool(tell_patterns().markup.search(text))


def has_list_or_markup(text: str) -> bool:
    return has_list(text) or has_markup(text)


def humanoid_flags(text: str) -> dict[str, bool]:
    """Which machine signs a reply shows: {"list", "ai_tell", "markup"}."""
    return {"list": has_list(text), "ai_tell": has_ai_tell(text), "markup": has_markup(text)}
