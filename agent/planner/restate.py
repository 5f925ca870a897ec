"""Saying back what the person just told us, in their own words with the pronouns turned round: "i owe the library
almost 3 grand and the school won't help" → "So you owe the library almost 3 grand and the school won't help."

ESConv's Restatement or Paraphrasing (Liu et al. 2021): the one reflection that cannot guess wrong, because every
content word in it is theirs. It is said only where that is safe to check without a parser: a whole clause that opens
with its subject ("i …", "my boss …", "the hardest part is …"), says something specific, and holds nothing this
module must not touch (talk about the agent, hedges, danger, death, abuse: data/restatement.json). Anything else is
left to the response bank.
"""
from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from ..perception.text import vader
from ..text import reflect
from .dialogue import SENTENCE_END

# a clause ends at a comma or a joining word before a new subject: "i lost my job, and my dad passed before that"
# (a comma always: "… and it's almost 3000, one of the books alone is worth like 1000" is two things said)
_CLAUSE_BREAK = re.compile(r"\s*[;:,]\s*"
                           r"|(?<!\bme)(?<!\byou)\s+(?:but|so|because|and|plus)\s+(?=(?:i|my|we|our|they|he|she)\b)"
                           r"|\s+(?:—|–|-)\s+|\.\.\.+\s*", re.I)
_WORD = re.compile(r"[a-z']+(?:/[a-z]+)?", re.I)
_NUMBER = re.compile(r"\$?\d[\d,.]*%?")  # "3000", "$50", "10%": as specific as a word


def _phrases(words: list[str]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


@dataclass(frozen=True)
class Restatement:
    clause: str   # their clause, pronouns turned round: "you owe the library almost 3 grand"
    text: str     # as said: "So you owe the library almost 3 grand."
    frame: int    # which frame said it (varied from turn to turn)


class Restater:
    def __init__(self, data_dir: Path):
        spec = json.loads((Path(data_dir) / "restatement.json").read_text())
        self.subject = re.compile(spec["subject_start"], re.I)
        self.leading = re.compile(rf"^\W*(({_phrases(spec['leading_fillers'])})\b[\s,.!-]*)+", re.I)
        self.trailing = re.compile(rf"([\s,]+({_phrases(spec['trailing_fillers'])}))+\W*$", re.I)
        self.hedge = re.compile(spec["hedge_start"], re.I)
        self.background = re.compile(spec["background"], re.I)
        self.inner = re.compile(rf"(,\s*)?\b({_phrases(spec['inner_fillers'])})(?=\W|$)(\s*,)?", re.I)
        ing = _phrases(list(spec["spellings_before_ing"]))
        self.before_ing = re.compile(rf"(?<![\w'])({ing})(?=\s+\w+ing\b)", re.I)
        self.before_ing_spelling: dict[str, str] = spec["spellings_before_ing"]
        past = spec["before_ing_after_subject"]
        self.past_tense, self.contraction_after = set(past["words"]), set(past["unless_after"])
        self.spelled = re.compile(rf"(?<![\w'])({_phrases(list(spec['spellings']))})(?![\w'])", re.I)
        self.spellings: dict[str, str] = spec["spellings"]
        self.ambiguous, self.never = set(spec["ambiguous"]), set(spec["never"])
        self.unfinished = set(spec["unfinished"])
        self.min_words, self.max_words = spec["min_words"], spec["max_words"]
        self.min_specific, self.plain = spec["min_specific_words"], set(spec["plain_words"])
        self.frames = {"feeling": spec["feeling_frames"], "fact": spec["fact_frames"]}
        self.per_word = spec["centrality_per_word"]
        self.feeling_weight = spec["feeling_weight"]
        feelings = json.loads((Path(data_dir) / "emotion_words.json").read_text())
        words = [w for k, v in feelings.items() if not k.startswith("_") for w in v] + ["feel", "feeling", "felt"]
        self.feeling = re.compile(rf"\b({_phrases(words)})\b", re.I)
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        self.stop_words = set(ENGLISH_STOP_WORDS)

    def clauses(self, message: str) -> list[str]:
        """The clauses of a message that could be said back, in their order, as the person wrote them (spellings
        mended: "cant" → "can't"), before the pronouns are turned."""
        out = []
        for sentence in SENTENCE_END.split(message):
            if sentence.rstrip().endswith("?") or "(" in sentence:
                continue  # a question is answered, not said back; an aside in brackets is theirs to keep
            for part in _CLAUSE_BREAK.split(sentence):
                clause = self._trimmed(part or "")
                if clause and self._sayable(clause):
                    out.append(clause)
        return out

    def _trimmed(self, part: str) -> str:
        clause = self.leading.sub("", part.strip()).strip(" .,!-")
        previous = None
        while previous != clause:  # "…to pay for them tbh lol"
            previous, clause = clause, self.trailing.sub("", clause).strip(" .,!-")
        clause = self.inner.sub(lambda m: "," if m.group(1) or m.group(3) else "", clause)
        clause = self.before_ing.sub(self._before_ing, clause)
        clause = self.spelled.sub(lambda m: self.spellings[m.group(1).lower()], clause)
        return re.sub(r"\s+", " ", re.sub(r"\s+,", ",", clause)).strip(" ,")

    def _before_ing(self, match: re.Match) -> str:
        """'so were downsizing' → we're; 'a couple of them were lying' stays."""
        word = match.group(1)
        before = match.string[:match.start()].split()
        if word.lower() in self.past_tense and before and before[-1].lower().strip(",") not in self.contraction_after:
            return word
        return self.before_ing_spelling[word.lower()]

    def _sayable(self, clause: str) -> bool:
        words = [w.lower() for w in _WORD.findall(clause)]
        if not self.min_words <= len(clause.split()) <= self.max_words or not self.subject.match(clause):
            return False
        if self.hedge.match(clause) or self.background.match(clause) or any(w in self.never or w in self.ambiguous for w in words):
            return False
        if words[-1] in self.unfinished:
            return False  # cut short by a comma
        if re.search(r"[^\w\s',.$%&/-]", clause):
            return False  # emoji, quotes, brackets: typed for them, not for saying back
        return len(self.specific(clause)) >= self.min_specific

    def specific(self, clause: str) -> set[str]:
        """The clause's words that say something of its own ("library", "grand", "resume"), not function words."""
        return {w for w in (x.lower().strip("'") for x in _WORD.findall(clause))
                if len(w) >= 4 and w not in self.stop_words and w not in self.plain and "'" not in w} \
            | set(_NUMBER.findall(clause))

    def felt(self, clause: str) -> float:
        """How much feeling the clause carries: a feeling word, else VADER's share of negative words (0–1)."""
        if self.feeling.search(clause):
            return 1.0
        return float(vader().polarity_scores(clause)["neg"])

    def restate(self, message: str, said_before: str = "", turn: int = 0, last_frame: int = -1,
                closeness: Callable[[list[str]], Sequence[float]] | None = None) -> Restatement | None:
        """The message's clause that best says what it is about, said back; or None. said_before: earlier replies
        (a clause whose specific words were said back already is not said again); last_frame: the frame used last
        time (varied); closeness: each clause's closeness to the whole message (a sentence encoder's cosine), so the
        clause at its heart is chosen ("i owe the library almost 3 grand", not "he lives 3 hours away")."""
        before = self.specific(said_before)
        candidates = [c for c in self.clauses(message) if len(self.specific(c) - before) >= self.min_specific]
        if not candidates:
            return None
        central = list(closeness(candidates)) if closeness is not None else [0.0] * len(candidates)
        score = [c + self.per_word * len(self.specific(clause) - before) + self.feeling_weight * self.felt(clause)
                 for clause, c in zip(candidates, central)]
        best = candidates[max(range(len(candidates)), key=score.__getitem__)]
        turned = reflect(best)
        frames = self.frames["feeling" if self.feeling.search(best) else "fact"]
        choices = [n for n in range(len(frames)) if n != last_frame] or [0]
        frame = choices[zlib.crc32(f"{turn}:{message}".encode()) % len(choices)]
        text = frames[frame].format(clause=turned)
        return Restatement(turned, text[0].upper() + text[1:], frame)
