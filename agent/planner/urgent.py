"""Signs of a medical emergency ("no wet diaper in 10 hours, fever almost 104, won't drink"): the reply is where to
get help now, before anything else (data/urgent_care.json). Written lines only, chosen by which signs were said; a
sign needs what points to it (a baby, a wound) somewhere in the conversation and, for the commoner ones, a second
sign, so that ordinary worry ("my chest feels tight just thinking about it") is not met with an ambulance."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .decision import unsaid_wording


RECENT_UTTERANCES = 6  # about two replies: a question this soon after an emergency was met is about it


@dataclass(frozen=True)
class UrgentSign:
    name: str
    who: re.Pattern | None
    signs: tuple[re.Pattern, ...]
    least: int
    lines: tuple[str, ...]


class UrgentCare:
    def __init__(self, data_dir: Path):
        spec = json.loads((Path(data_dir) / "urgent_care.json").read_text())
        self.signs = [UrgentSign(s["name"], re.compile(s["who"], re.I) if s.get("who") else None,
                                 tuple(re.compile(p, re.I) for p in s["signs"]), s["least"], tuple(s["lines"]))
                      for s in spec["signs"]]

    def sign(self, message: str, known: str, asked_after: Sequence[str] = ()) -> UrgentSign | None:
        """The first emergency whose signs this message names (with enough of them said so far), or None.
        asked_after: the emergencies met a moment ago, whose signs a question now needs not name again ("is that
        really bad or am i overreacting?", "should i call someone or just go")."""
        for sign in self.signs:
            if sign.who is not None and not sign.who.search(known):
                continue
            now = sign.name in asked_after or any(p.search(message) for p in sign.signs)
            if now and sum(1 for p in sign.signs if p.search(known)) >= sign.least:
                return sign
        return None

    def line(self, message: str, known: str, used: Sequence[str], asked: bool = False) -> tuple[str, str] | None:
        """(utterance id, text): where to get help now, the first of the sign's lines not yet said, or once each
        was said the last again (asked once more, an emergency gets the same answer, not another topic); None when
        no emergency is named. asked: this message asks something, so an emergency met in the last few
        utterances said is still what it is about."""
        recent = {u.split(":")[1] for u in used[-RECENT_UTTERANCES:] if u.startswith("urgent:")} if asked else set()
        sign = self.sign(message, known, tuple(recent))
        if sign is None:
            return None
        return unsaid_wording(f"urgent:{sign.name}", list(sign.lines), list(used)) \
            or (f"urgent:{sign.name}:{len(sign.lines) - 1}", sign.lines[-1])
