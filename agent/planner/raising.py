"""How to say it ("how do i even bring it up with her without it turning into a fight?", "what do i even say?"):
a whole written answer chosen by who it will be said to (data/raising_answers.json).

The bank's answers are matched by the question's words, and this question's words hardly differ from one person to
the next, so in role-plays it met a line written for someone else (a friendship's opener to a coworker, "say you'd
like them to just listen" to a doctor) or an honest "I'd rather not guess". Who it is said to is read from the
question, else the last person named in the message, else the first named in the conversation (whom it is about),
never someone else's ("her friend jake").
"""
from __future__ import annotations

import json
import re
import zlib
from pathlib import Path
from typing import Sequence

from .decision import unsaid_wording


class RaisingReader:
    def __init__(self, data_dir: Path):
        spec = json.loads((Path(data_dir) / "raising_answers.json").read_text())
        self.asks = re.compile(spec["asks"], re.I)
        self.not_asks = re.compile(spec["not_asks"], re.I)
        self.reach_out = re.compile(spec["reach_out"], re.I)
        self.decline = re.compile(spec["decline"], re.I)
        self.confide = re.compile(spec["confide"], re.I)
        third = "|".join(map(re.escape, spec["third_party_before"]))
        self.addressees = [(kind, re.compile(rf"(?<!\w)(?P<before>\w+\s+)?\b({'|'.join(map(re.escape, words))})\b", re.I))
                           for kind, words in spec["addressees"].items()]
        self.third_party = re.compile(rf"^({third})\s+$", re.I)
        self.negated_before = re.compile(spec["negated_before"], re.I)
        self.not_names = set(spec["not_names"])
        self.named = [(kind, re.compile(rf"\b(?:my|our) (?:{'|'.join(map(re.escape, words))})(?:'s)?,? (?P<name>[a-z]{{3,}})\b",
                                        re.I)) for kind, words in spec["addressees"].items()]
        self.lines = spec["lines"]

    def asked(self, question: str) -> bool:
        """The question asks how to say something to someone."""
        return bool(self.asks.search(question)) and not self.not_asks.search(question)

    def addressee(self, question: str, message: str, earlier: Sequence[str]) -> str:
        """The kind of person it will be said to: named in the question, else last named in this message, else
        first named in the conversation (whom it is about: "my manager is ok i guess" came after "this one
        coworker"), skipping someone else's ("her friend jake") and someone said not to be the one ("no doctor");
        "default" when nobody is. A name asked about that was said with who it is ("my wife halina") comes first."""
        asked = set(re.findall(r"[a-z]+", question.lower()))
        for kind, pattern in self.named:  # "my wife halina" … "how do i tell halina?"
            for found in pattern.finditer(" ".join([*earlier, message])):
                name = found["name"].lower()
                if name not in self.not_names and name in asked:
                    return kind
        for text, last in ((question, True), (message, True), (" ".join(earlier), False)):
            found = [(m.start(), kind) for kind, pattern in self.addressees for m in pattern.finditer(text)
                     if not self.third_party.match(m.group("before") or "")
                     and not self.negated_before.search(text[:m.start(2)])]
            if found:
                return (max(found) if last else min(found))[1]
        return "default"

    def answer(self, question: str, message: str, earlier: Sequence[str], used: Sequence[str]) -> tuple[str, str] | None:
        """(utterance id, text) for a how-to-say-it question, or None (not one, or every fitting line said).
        earlier: what the person said before this message, oldest first."""
        if not self.asked(question):
            return None
        # what is to be said: a no, how they really are, a first message after distance, else a grievance
        purpose = next((name for name, pattern in (("decline", self.decline), ("confide", self.confide),
                                                    ("reach_out", self.reach_out))
                        if pattern.search(question) or pattern.search(message)), "raise")
        who = self.addressee(question, message, earlier)
        lines = self.lines[purpose]
        kinds = [who, "default"] if who in lines else ["default"]
        start = zlib.crc32(message.encode())  # different people don't all hear the same wording first
        return next((found for kind in kinds
                     if (found := unsaid_wording(f"say-it:{purpose}:{kind}", lines[kind], list(used), start))), None)
