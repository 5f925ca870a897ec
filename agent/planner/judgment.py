"""Judgment questions ("is it selfish to not want to go?", "is that weird?", "am i overreacting?"): the person's own
judging word answered, with a whole written line chosen by what is judged (data/judgment_answers.json).

In rounds 45-46 these were about a third of all questions. The bank's answers are matched by a question's words, and
these questions share their words with every other ("is it bad that im hiding it from her?" met "It isn't paranoid to
be scared for someone you love"), so they went unanswered or met someone else's question. What is judged decides the
answer: keeping something from someone, asking something of someone, a feeling, stepping back, a habit. Nothing of
the person's words is pasted in but their judging word, from a closed list; a harm ("is it bad that i drink every
night?") or someone else's act ("is it weird that he texts his ex?") is left to the rest of the planner.
"""
from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .decision import unsaid_wording
from .dialogue import SENTENCE_END

GERUND = re.compile(r"^[a-z]+ing\b", re.I)
FEELING_FRAME = re.compile(r"\bway to (think|feel)\b|\bto (feel|think)\b", re.I)  # "a messed up way to think"


@dataclass
class Judgment:
    word: str      # their judging word: "selfish", "overreacting"
    kind: str      # what is judged: data/judgment_answers.json kinds, or a by_word key
    question: str  # the question it answers


class JudgmentReader:
    def __init__(self, data_dir: Path):
        spec = json.loads((Path(data_dir) / "judgment_answers.json").read_text())
        self.asks = [re.compile(p, re.I) for p in spec["asks"]]
        self.mine = re.compile(spec["mine"], re.I)
        self.not_here = re.compile(spec["not_here"], re.I)
        self.kinds = {kind: re.compile(p, re.I) for kind, p in spec["kinds"].items()}
        self.lines, self.by_word = spec["lines"], spec["by_word"]

    def read(self, question: str, message: str) -> Judgment | None:
        """The judgment this question asks for, and what it judges; None when it asks none that can be answered
        here (not the writer's own, a harm, or nothing a kind names)."""
        stripped = question.strip().rstrip("?!. ")
        match = next((m for pattern in self.asks if (m := pattern.search(stripped))), None)
        if match is None:
            return None
        word = " ".join(match.group("word").lower().replace("-", " ").split())
        judged = (match.group("judged") or "").strip()
        if judged.lower() in {"of me", "for me"}:
            judged = ""  # "is that foolish of me?": the sentence before it is what is judged
        if GERUND.match(judged):
            judged = f"to {judged}"  # "is deleting it just giving in?": the writer's own act
        if not judged:
            # "…not booking a fourth one, the embarrassment is too much. is that mad?": the sentence before it
            at = message.find(question.strip())
            # split whatever the case: "…i kind of felt relieved?? is that weird" (round 50 heard the whole message)
            before = [s for s in SENTENCE_END.split(message[:at].strip()) if s] if at > 0 else []
            judged = before[-1] if before else ""
        if FEELING_FRAME.search(match.group(0)):
            judged = f"{judged} feel"
        if self.not_here.search(judged) or self.not_here.search(stripped):
            return None
        special = next((key for key in self.by_word if word == key or word.startswith(key + " ")), None)
        if special is not None:
            return Judgment(word=word, kind=special, question=question)
        if not judged or not self.mine.search(judged):
            return None  # "is that weird?" with nothing of theirs before it, or someone else's act
        kind = next((k for k, pattern in self.kinds.items() if pattern.search(judged)), None)
        return Judgment(word=word, kind=kind, question=question) if kind else None

    def answer(self, questions: Sequence[str], message: str, used: Sequence[str]) -> tuple[Judgment, tuple[str, str]] | None:
        """(the judgment, (utterance id, text)) for the first of these questions that asks one, or None (none does,
        or every fitting line was said in this conversation)."""
        for question in questions:
            judgment = self.read(question, message)
            if judgment is None:
                continue
            lines = self.by_word.get(judgment.kind) or self.lines[judgment.kind]
            start = zlib.crc32(message.encode())  # different people don't all hear the same wording first
            line = unsaid_wording(f"judgment:{judgment.kind}", lines, list(used), start, word=judgment.word)
            if line is not None:
                return judgment, line
        return None
