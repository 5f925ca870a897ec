"""Details of a person's life that a reply may repeat but never invent, and text a reply must never leak.

A supporter who says "your husband" to someone who never mentioned one, names a holiday, a number or a place they
did not say, or claims a life of its own ("I've been through a few breakups myself"), has stopped listening. The
word lists are data/personal_details.json; the composer's sentence check (planner/esconv_text.details_fit) and
the reply benchmark (evals/replies) read the same lists.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from .config import REPO_ROOT

DETAILS_FILE = REPO_ROOT / "data" / "personal_details.json"
# template slots and markup a model or a template left in: "[name]", "{user}", "<PERSON>", "[🌱]"
PLACEHOLDER = re.compile(r"\[[^\]\n]{0,40}\]|\{[^}\n]{0,40}\}|<[^>\n]{0,40}>|\b(?:USER|ASSISTANT|SEEKER|SUPPORTER)\s*:")

_COUPLE = re.compile(r"\b(you two|the two of you|both of you)\b", re.I)  # a pair addressed, not a count


class DetailLists(BaseModel):
    model_config = ConfigDict(extra="ignore")  # "_about"
    your_details: list[str]
    number_words: list[str]
    agent_life: list[str]
    capitalised_ok: list[str]


class DetailPatterns:
    def __init__(self, lists: DetailLists):
        def words(items: list[str]) -> str:
            return "|".join(re.escape(w) for w in sorted(items, key=len, reverse=True))

        self.your_detail = re.compile(rf"\byour ({words(lists.your_details)})\b", re.I)
        self.number = re.compile(rf"\b(\d[\d,.]*|{words(lists.number_words)})\b", re.I)
        self.agent_life = re.compile(rf"\b({words(lists.agent_life)})\b", re.I)
        self.capitalised_ok = set(lists.capitalised_ok)


@lru_cache(maxsize=4)
def detail_patterns(path: Path = DETAILS_FILE) -> DetailPatterns:
    return DetailPatterns(DetailLists.model_validate(json.loads(Path(path).read_text(encoding="utf-8"))))


def _said(word: str, known: str) -> bool:
    """The person said this word or its singular/plural ("kids" after "kid", "exam" after "exams")."""
    stem = word.lower().rstrip("s")
    return bool(re.search(rf"\b{re.escape(stem)}", known))


def your_details_fit(sentence: str, known_text: str) -> bool:
    """True when every 'your <someone/something>' in the sentence is something the person mentioned."""
    known = known_text.lower()
    return all(_said(m.group(1), known) for m in detail_patterns().your_detail.finditer(sentence))


def _names(reply: str) -> list[str]:
    """Capitalised words that do not start a sentence: names, places, holidays, brands."""
    out = []
    for sentence in re.split(r"(?<=[.!?…])\s+|\n+", reply):
        words = re.findall(r"[A-Za-z][A-Za-z'’-]*", sentence)
        out += [w for w in words[1:] if w[0].isupper()]
    return out


def invented_details(reply: str, known_text: str) -> list[str]:
    """The details in a reply that nothing the person said supports, e.g. ['your husband', 'Christmas', 'three',
    "i've been through"]. known_text: everything said in the conversation so far (both sides)."""
    patterns, known = detail_patterns(), known_text.lower()
    found = [m.group(0).lower() for m in patterns.your_detail.finditer(reply) if not _said(m.group(1), known)]
    found += [w for w in _names(reply) if w not in patterns.capitalised_ok and not _said(w, known)]
    found += [m.group(0).lower() for m in patterns.number.finditer(_COUPLE.sub(" ", reply)) if m.group(0).lower() not in known]
    found += [m.group(0).lower() for m in patterns.agent_life.finditer(reply)]
    return found


def placeholders(reply: str) -> list[str]:
    """Template slots or role labels left in a reply ("[name]", "{user}", "USER:")."""
    return [m.group(0) for m in PLACEHOLDER.finditer(reply)]
