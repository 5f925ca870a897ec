"""Every reply scored the same way, whoever wrote it (a system or the human supporter).

Per reply: the three EPITOME levels (evals/empathy.py), relevance to the seeker's last message and similarity to
the human supporter's reply (MiniLM cosine), length in words, invented details and placeholder leaks
(agent/details.py), the humanoid proxy (lists, markup, "as an AI": agent/ai_tells.py), a repeat (a sentence of
four or more words already said in an earlier reply of the same dialogue) and fluency as perplexity under the
embedded model (evals/fluency.py). Per system: the means, Distinct-1/2 over all its replies, and counts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from agent.ai_tells import humanoid_flags
from agent.details import invented_details, placeholders
from agent.text import split_sentences

from ..esc.metrics import distinct_n, tokens
from ..empathy import MECHANISMS

REPEAT_MIN_WORDS = 4  # a shorter sentence ("I see.", "That makes sense.") may fairly recur


@dataclass
class ReplyRecord:
    system: str
    dialogue: str
    exchange: int                 # the exchange's position in the dialogue
    history: str                  # everything said before the reply, both sides, for the invented-detail check
    seeker: str                   # the seeker's message it answers
    human: str                    # what the human supporter answered
    reply: str
    seconds: float | None = None
    error: str | None = None
    scores: dict = field(default_factory=dict)


def _sentences(text: str) -> list[str]:
    return [" ".join(re.findall(r"[a-z']+", s.lower())) for s in split_sentences(text)]


def mark_repeats(records: Sequence[ReplyRecord]) -> list[bool]:
    """Whether each reply repeats a sentence of an earlier reply by the same system in the same dialogue."""
    said: dict[tuple[str, str], set[str]] = {}
    out = []
    for r in records:
        seen = said.setdefault((r.system, r.dialogue), set())
        mine = [s for s in _sentences(r.reply) if len(s.split()) >= REPEAT_MIN_WORDS]
        out.append(any(s in seen for s in mine))
        seen.update(mine)
    return out


class ReplyScorer:
    def __init__(self, embedder, empathy, perplexity=None):
        """embedder: MiniLM (agent.embeddings); empathy: evals.empathy.EmpathyScorer; perplexity: evals.fluency.
        Perplexity or None to leave fluency out (--no-fluency)."""
        self.embedder, self.empathy, self.perplexity = embedder, empathy, perplexity

    def score(self, records: Sequence[ReplyRecord]) -> None:
        """Fill each answered record's scores in place (records with an error or no reply keep {})."""
        answered = [r for r in records if r.reply.strip() and not r.error]
        if not answered:
            return
        replies = [r.reply for r in answered]
        levels = self.empathy.levels([r.seeker for r in answered], replies)
        vectors = self.embedder.encode(replies)
        seekers = self.embedder.encode([r.seeker for r in answered])
        humans = self.embedder.encode([r.human for r in answered])
        relevance = np.sum(vectors * seekers, axis=1)  # the embedder's vectors are unit length
        similarity = np.sum(vectors * humans, axis=1)
        fluency = self.perplexity(replies) if self.perplexity is not None else [None] * len(answered)
        repeats = dict(zip(map(id, records), mark_repeats(records)))
        for i, r in enumerate(answered):
            r.scores = {
                **{m: round(float(levels[m][i]), 3) for m in MECHANISMS},
                "relevance": round(float(relevance[i]), 3), "similarity_to_human": round(float(similarity[i]), 3),
                "words": len(tokens(r.reply, "en")), "perplexity": fluency[i],
                "invented": invented_details(r.reply, f"{r.history} {r.seeker}"), "placeholders": placeholders(r.reply),
                **humanoid_flags(r.reply),
                "repeat": repeats[id(r)],
            }


def summarise(records: Sequence[ReplyRecord]) -> dict:
    """One system's records → its row of the table."""
    scored = [r for r in records if r.scores]
    n = len(scored)

    def mean(key: str) -> float | None:
        values = [r.scores[key] for r in scored if r.scores.get(key) is not None]
        return round(float(np.mean(values)), 3) if values else None

    perplexities = [r.scores["perplexity"] for r in scored if r.scores.get("perplexity") is not None]
    seconds = [r.seconds for r in scored if r.seconds is not None]
    return {
        "n": n, "errors": sum(1 for r in records if r.error), "empty": sum(1 for r in records if not r.error and not r.scores),
        **{m: mean(m) for m in MECHANISMS},
        "relevance": mean("relevance"), "similarity_to_human": mean("similarity_to_human"),
        "distinct_1": distinct_n([r.reply for r in scored], 1), "distinct_2": distinct_n([r.reply for r in scored], 2),
        "mean_words": mean("words"),
        "perplexity_median": round(float(np.median(perplexities)), 1) if perplexities else None,
        "replies_with_invented": sum(1 for r in scored if r.scores["invented"]),
        "replies_with_placeholder": sum(1 for r in scored if r.scores["placeholders"]),
        "replies_with_list_or_markup": sum(1 for r in scored if r.scores["list"] or r.scores["markup"]),
        "replies_with_ai_tell": sum(1 for r in scored if r.scores["ai_tell"]),
        "repeats": sum(1 for r in scored if r.scores["repeat"]),
        "seconds_median": round(float(np.median(seconds)), 2) if seconds else None,
    }
