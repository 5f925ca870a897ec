"""Decision questions ("should i confront them or just let it go?"): the choice said back in the person's own words,
then one reviewed line on how to weigh that kind of choice (data/decision_answers.json).

A bank answer meets a question only as well as one of its listed questions resembles it, and decisions come in
endless wordings; in role-plays they went unanswered or met a different question ("talk to someone outside the
family" to "should i talk to my other cousin about it?"). Here nothing is generated: the options are the person's
own words with the pronouns turned round ("my boss" → "your boss"), checked word for word against what they said,
and the advice is a whole written line chosen by what the options do (talk, leave, go higher, …).
"""
from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from .esconv_text import details_fit

KIND_WORDS = 9          # an option's kind is read in its first words: what it does, not what it is about
MAX_OPTION_WORDS = 18   # a longer option reads as a quote, not a choice
MAX_ECHO_WORDS = 16     # options said back longer than this read as garbled (rounds 47-48 replayed)
SPLIT_OR = re.compile(r",?\s+or\s+", re.I)
CLAUSE_END = re.compile(r",|\s+but\s+", re.I)
PAST_BE = re.compile(r"\byou (was|wasn't|wasnt)\b")  # "i was wrong" turned: "you were wrong"


@dataclass
class Decision:
    options: list[str]   # as "to"-infinitives without "to", in the listener's pronouns: ["confront her", "let it go"]
    kinds: list[str]     # what each option does (data/decision_answers.json kinds), "" for none
    echo: tuple[str, str]  # (utterance id, text): the choice said back
    line: tuple[str, str]  # … how to weigh that kind of choice
    follow_up: tuple[str, str] | None  # … a question about the choice, where the reply has room for one
    question: str = ""   # the person's question it answers


WHO_TOLD = re.compile(r"^\w+ (him|her|them)\b", re.I)  # "tell them": whom, from the message


def _rotated(items: list, start: int) -> list:
    return items[start % len(items):] + items[:start % len(items)] if items else items


def unsaid_wording(prefix: str, texts: list[str], used: list[str], start: int = 0, skip=lambda text: False,
                    **fields) -> tuple[str, str] | None:
    """(utterance id, text) of the first of these wordings not said yet in the conversation, starting at `start`
    (so different messages open with different wordings), filled in with fields; None when all were said."""
    for n, text in _rotated(list(enumerate(texts)), start):
        if f"{prefix}:{n}" not in used and not skip(text):
            return f"{prefix}:{n}", text.format(**fields)
    return None


def lemma_tables():
    """lemminflect's (getAllLemmas, getInflection, getLemma), imported on first use; the composer reads lemmas too."""
    from lemminflect import getAllLemmas, getInflection, getLemma  # small, pure Python (MIT): lazy like every model

    return getAllLemmas, getInflection, getLemma


class DecisionReader:
    def __init__(self, data_dir: Path):
        spec = json.loads((Path(data_dir) / "decision_answers.json").read_text())
        reading = spec["reading"]
        self.asks = [re.compile(p, re.I) for p in reading["asks"]]
        self.refers = re.compile(reading["refers"], re.I)
        self.plans = [re.compile(p, re.I) for p in reading["plans"]]
        fillers = "|".join(re.escape(f) for f in sorted(reading["fillers"], key=len, reverse=True))
        self.fillers = re.compile(rf"^(?:(?:{fillers})\b[\s,]*)+", re.I)
        trailing = "|".join(re.escape(t) for t in sorted(reading["trailing"], key=len, reverse=True))
        self.trailing = re.compile(rf"(?:[\s,]+(?:{trailing}))+\W*$", re.I)
        self.worry = set(reading["worry"])
        self.auxiliaries = set(reading["auxiliaries"])
        self.not_choices = set(reading["not_choices"])
        emotion_words = json.loads((Path(data_dir) / "emotion_words.json").read_text())
        self.feeling_states = tuple(reading["feeling_states"]) + tuple(
            w for label, words in emotion_words.items() if not label.startswith("_") for w in words)
        self.degree_words = set(reading["degree_words"])
        self.work_people = re.compile(r"\b(" + "|".join(map(re.escape, reading["work_people"])) + r")\b", re.I)
        self.pronouns, self.bare = reading["pronouns"], set(reading["bare"])
        self.reject = set(reading["reject"])
        self.kinds = {k: re.compile(v, re.I) for k, v in spec["kinds"].items()}
        self.echo, self.lines, self.follow_up = spec["echo"], spec["lines"], spec["follow_up"]
        self.seems = re.compile(reading["seems"], re.I)
        self.judged, self.echo_judged = re.compile(reading["judged"], re.I), spec["echo_judged"]
        self.plan_said, self.plan_echo = re.compile(reading["plan_said"], re.I), spec["plan_echo"]
        self.plan_kinds, self.plan_follow_up = set(spec["plan_kinds"]), spec["plan_follow_up"]
        self.seems_lines, self.seems_kinds = spec["seems_lines"], set(spec["seems_kinds"])
        self.wonder_form, self.wonder_lines = re.compile(reading["wonder"], re.I), spec["wonder"]
        self.echo_long = spec["echo_long"]
        self.wonder_think = re.compile(reading["wonder_think"], re.I)

    def warm(self) -> None:
        """Load the verb tables now (~0.3 s) rather than inside the first decision question's reply."""
        get_lemmas, get_inflection, get_lemma = lemma_tables()
        get_lemma("talking", upos="VERB"), get_inflection("talk", "VBG")

    # -- reading the options ------------------------------------------------------------------------------------
    def options(self, question: str, message: str) -> list[str]:
        """The options the question weighs, as bare verb phrases in the person's words; [] when it asks no choice
        that can be said back faithfully."""
        question = question.strip().rstrip("?!. ")
        for pattern in self.asks:
            m = pattern.search(question)
            if m:
                return self._clean(m.group("opts") if m.groupdict().get("opts") else None,
                                   m.groupdict().get("ing"))
        refers = self.refers.search(question)
        if refers:
            # "i was thinking of talking to my other cousin. is that a good idea?": the plan said before it
            at = message.find(question)
            before = message[:at + refers.start()] if at >= 0 else message
            for pattern in self.plans:
                found = list(pattern.finditer(before))
                if found:
                    m = found[-1]
                    return self._clean(m.groupdict().get("opts"), m.groupdict().get("ing"))
        return []

    def _clean(self, bare: str | None, ing: str | None) -> list[str]:
        get_lemmas, _, get_lemma = lemma_tables()
        text = bare if bare is not None else ing
        if not text:
            return []
        options: list[str] = []
        for n, part in enumerate(SPLIT_OR.split(self.trailing.sub("", text.strip().rstrip("?!. ")))):
            # an option ends at its first comma or "but": "drop one club, would that be fair", "tell them, i feel so
            # weak", "start looking but i'm scared to leave"
            part = self.fillers.sub("", CLAUSE_END.split(part)[0].strip()).strip(" ,")
            words = part.split()
            if not words:
                continue
            first = words[0].lower()
            if first in {"not", "no", "nah"}:
                break  # "… or not": a yes/no question
            if n > 0 and (first in self.worry or " ".join(words[:2]).lower() in self.worry):
                break  # "… or would that make it worse": a worry, not an option
            lemma = get_lemma(first, upos="VERB") if get_lemmas(first, upos="VERB") else ()
            if not lemma or first in self.auxiliaries:
                if n == 0:
                    return []
                options[-1] = f"{options[-1]} or {part}"  # "a payment plan or more time": one option, two nouns
                continue
            if lemma[0] == "be" and len(words) > 1 and words[1].lower().endswith("ing"):
                # "should i be calling 211" → "call 211"
                words, lemma = words[1:], get_lemma(words[1].lower(), upos="VERB") or (words[1],)
            if n == 0 and lemma[0] in self.not_choices and lemma[0] != "be":
                return []  # "should i believe him?" asks what to think, not what to do
            if n == 0 and lemma[0] == "be" and self._feeling(words[1:]):
                return []  # "should i be worried?", "is it dumb to be this worked up?": a feeling, not a choice
            options.append(" ".join([lemma[0]] + words[1:]))  # "asked a colleague" → "ask a colleague"
        options = [self._turned(o) for o in options[:2]]
        if not options or any(o is None or o in self.bare for o in options):
            return []
        return options  # type: ignore[return-value]

    def _feeling(self, words: list[str]) -> bool:
        """The words after "be" name a way of feeling ("this worked up over something small", "so upset")."""
        rest = [w.lower().strip(",.") for w in words]
        while rest and rest[0] in self.degree_words:
            rest = rest[1:]
        text = " ".join(rest)
        return any(text == f or text.startswith(f + " ") for f in self.feeling_states)

    def wonder(self, question: str, used: list[str]) -> tuple[str, str] | None:
        """(utterance id, text): a yes/no question said back as what they wonder ("could she buy me out or something"
        → "It makes sense to wonder whether she could buy you out."), or None where it can't be said back faithfully
        (no auxiliary-then-pronoun form, too long, or every wording said)."""
        core = self.trailing.sub("", self.fillers.sub("", question.strip().rstrip("?!. ")))
        if thought := self.wonder_think.match(core):  # "do you think she's right?": already said as a statement
            turned = self._turned(thought["clause"].rstrip(" ,"))
            clause = f"whether {turned}" if turned is not None else None
        elif found := self.wonder_form.match(core):
            subject, aux = found["subj"].lower(), found["aux"].lower()
            rest = self._turned(found["rest"].rstrip(" ,"))
            if subject in {"i", "we"}:  # "was i being weird" → "whether you were being weird"
                aux = {"am": "are", "was": "were"}.get(aux, aux)
            clause = f"whether {self.pronouns.get(subject, subject)} {aux} {rest}" if rest is not None else None
        else:
            clause = None
        if clause is None:
            return None
        return unsaid_wording("wonder", self.wonder_lines, used, zlib.crc32(question.encode()), clause=clause)

    def _turned(self, option: str) -> str | None:
        words = re.findall(r"[\w']+(?:-[\w']+)*|[^\w\s]", option)  # "in-person" is one word, not "in - person"
        if len(words) > MAX_OPTION_WORDS or any(w.lower() in self.reject for w in words):
            return None
        out = [self.pronouns.get(w.lower(), w) for w in words]
        text = PAST_BE.sub(lambda m: "you were" if m.group(1) == "was" else "you weren't", " ".join(out))
        return re.sub(r"\s+([,.;:!?'])", r"\1", text).replace(" n't", "n't")

    def kind(self, option: str) -> str:
        """What the option does, read in its first words ("offer to give up on the things …" is not leaving);
        a concession anywhere in it ("tell her you'd be ok with …")."""
        head = " ".join(option.split()[:KIND_WORDS])
        return next((k for k, pattern in self.kinds.items() if pattern.search(option if k == "concede" else head)), "")

    @staticmethod
    def ing(option: str) -> str | None:
        """The option as an -ing form, or None where that reads badly ("keep seeing her", "wait and see")."""
        _, get_inflection, _ = lemma_tables()
        first, _, rest = option.partition(" ")
        second = rest.split(" ")[0] if rest else ""
        if second.endswith("ing") or " and " in option:
            return None
        form = get_inflection(first, "VBG")
        return f"{form[0] if form else first + 'ing'} {rest}".strip()

    def plan(self, message: str, used: list[str]) -> list[tuple[str, str]]:
        """[(utterance id, text)]: the step the person says they will take ("ok i'll email them tonight"), said back
        and affirmed, then a line that stays with them; [] when there is none, or it is not a step to encourage
        (quitting, paying, giving in: those are weighed, not cheered) or it cannot be said back faithfully."""
        for found in self.plan_said.finditer(message):
            options = self._clean(found.group("plan"), None)
            if len(options) == 1 and self.kind(options[0]) in self.plan_kinds:
                turn = zlib.crc32(message.encode())
                echo = unsaid_wording("plan-echo", self.plan_echo, used, turn, plan=options[0])
                follow_up = unsaid_wording("plan-follow-up", self.plan_follow_up, used, turn)
                return [line for line in (echo, follow_up) if line is not None] if echo is not None else []
        return []

    # -- the answer ---------------------------------------------------------------------------------------------
    def line_key(self, kinds: list[str]) -> str:
        present = [k for k in kinds if k]
        if len(present) == 2:
            for key in (f"{present[0]}+{present[1]}", f"{present[1]}+{present[0]}"):
                if key in self.lines:
                    return key
        for k in present:  # the first option's kind speaks for the choice: "talk to her or wait and see"
            if k in self.lines:
                return k
        return "any_two" if len(kinds) == 2 else "any_one"

    def answer(self, questions: list[str], message: str, known_text: str, used: list[str]) -> Decision | None:
        """The decision answer for the first of these questions that weighs a choice, or None. used: utterance ids
        already said in this conversation (the echo, the line and the follow-up are varied, never repeated)."""
        question, options = next(((q, found) for q in questions if (found := self.options(q, message))), ("", []))
        if not options:
            return None
        kinds = [self.kind(o) for o in options]
        if self.work_people.search(message):  # "my manager doesn't know. should i tell them…?": at work
            kinds = ["disclose" if k == "disclose_close" and WHO_TOLD.search(o) else k for k, o in zip(kinds, options)]
        fields = {"a": options[0], "a_ing": self.ing(options[0])}
        if len(options) == 2:
            fields |= {"b": options[1], "b_ing": self.ing(options[1])}
        count = "two" if len(options) == 2 else "one"
        # which wording comes first varies with the message, so different people don't all hear the same opener
        turn = zlib.crc32(message.encode())
        # "is it dumb to break up with him over this?": their word is answered before the choice is weighed
        judged = self.judged.search(question)
        echoes, prefix = (self.echo_judged, "decision-judged") if judged else (self.echo, "decision-echo")
        fields["word"] = judged.group("word").lower() if judged else ""
        if not judged and sum(len(o.split()) for o in options) > MAX_ECHO_WORDS:
            echo = unsaid_wording("decision-echo-long", self.echo_long, used, turn)  # a quote, not a choice said back
        else:
            echo = unsaid_wording(f"{prefix}:{count}", echoes[count], used, turn,  # "keeping seeing her": no -ing
                                  skip=lambda text: "_ing}" in text and None in fields.values(), **fields)
        key = self.line_key(kinds)
        generic = f"any_{count}"
        lines = [(f"decision:{k}:{n}", t) for k in dict.fromkeys([key, generic]) for n, t in enumerate(self.lines[k])]
        line = next(((i, t) for i, t in lines if i not in used), None)
        if echo is None or line is None or not details_fit(echo[1], known_text):
            return None
        follow_up = unsaid_wording(f"decision-follow-up:{count}", self.follow_up[count], used, turn)
        seems = self.seems.search(message)
        if seems and kinds[0] in self.seems_kinds:
            # "should i pull him aside or would that make me look insecure?": the worry met in their word
            follow_up = unsaid_wording("decision-seems", self.seems_lines, used,
                                        word=seems.group("word").lower()) or follow_up
        return Decision(options=options, kinds=kinds, echo=echo, line=line, follow_up=follow_up, question=question)
