"""How a sentence is meant, before any risk rule or the head reads it (data/safety_language.json).

- A denial ("I'm not going to hurt myself", "nobody is getting hurt") says there is no risk: it is taken out, so its
  risk words are never read as a sign, and it answers the check-in question with a no.
- A figure of speech ("drowning in work", "this commute is killing me") is taken out the same way.
- A risk said of someone else ("my friend said she wants to die") asks for help for the helper, not a check-in.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from .rules import answers_yes, explicit_risk, is_topic, sentences

_SPLIT = re.compile(r"(?<=[.!?])\s+|\s*[;\n]\s*|,\s+(?:but |and )?")
_SPLIT_QUOTES = re.compile(r"(?<=[.!?])\s+(?=[A-Za-z])(?![^'\"]*['\"][^'\"]*$)")  # sentences, quotes kept whole
# someone else's words in double quotes: 'she said "i've been saving my pills"' (up to three words name the speaker)
_QUOTED = re.compile(r"(?P<who>(?:\b[\w']+\s+){0,2}[\w']+)\s+(?:said|says|texted|texts|messaged|wrote|writes|posted|"
                     r"told me|tells me|goes|was like)(?:\s+(?:to\s+)?(?:me|us))?[,:]?\s*[\"“](?P<quote>[^\"”]{3,300})[\"”]?",
                     re.I)
_THIRD_PERSON = re.compile(r"\b(he|she|his|her|him|himself|herself|themselves|themself|their)\b", re.I)
_OPENING = re.compile(r"^\W*((and|but|so|now|then|today|yesterday|tonight|last night|this morning|honestly|"
                      r"basically|apparently|also)\b\W*)*", re.I)
_WRITTEN = re.compile(r"(texted|texts|messaged|wrote|writes|posted|posts|typed)\b", re.I)  # words they sent
_FIRST_PERSON_SUBJECT = re.compile(r"\b(i|i'm|im|i've|i'd|i'll|myself)\b", re.I)
_OWN_OVERDOSE = re.compile(r"\b(i|i'?ve|ive|i have|i think i|i might have)( just| already)? (overdosed|od'?d)\b", re.I)


class ConversationLanguage:
    def __init__(self, data_dir: Path):
        spec = json.loads((Path(data_dir) / "safety_language.json").read_text())
        self.denial = re.compile("|".join(f"(?:{p})" for p in spec["denial"]), re.I)
        self.figure_reads_as = f" {spec['figurative_reads_as']} "
        self.figurative = re.compile("|".join(f"(?:{p})" for p in spec["figurative"]), re.I)
        self.other = re.compile(spec["someone_else"], re.I)
        self.other_risk = re.compile(spec["someone_else_risk"], re.I)
        self.unsure = re.compile(spec["check_in_unsure"], re.I)
        self.reported = re.compile(spec["reported_speech"], re.I)
        self.harm_intent = re.compile(spec["harm_intent"], re.I)
        self.writer_agency = re.compile(spec["writer_agency"], re.I)
        self.child = re.compile(spec["child"], re.I)
        self.self_harm_act = re.compile(spec["self_harm_act"], re.I)
        self.overdose_taken = re.compile(spec["overdose_taken"], re.I)
        self.joking = re.compile(spec["joking"], re.I)
        self.weapon = re.compile(spec["weapon"], re.I)
        self.violence = re.compile(spec["violence"], re.I)
        self.risk_words = re.compile(spec["risk_words"], re.I)
        self.abuse_words = re.compile(spec["abuse_words"], re.I)
        self.getting_help = re.compile(spec["getting_help"], re.I)
        self.asks_to_go = re.compile(spec["asks_to_go"], re.I)
        self.asks_about_help = re.compile(spec["asks_about_help"], re.I)
        self.means = [(re.compile(m["cue"], re.I), m["step"]) for m in spec["means"]]
        self.abuse_kinds = {kind: re.compile(pattern, re.I) for kind, pattern in spec["abuse_kinds"].items()}

    def readable(self, text: str) -> str:
        """The message without its denials and figures of speech (what risk rules and the head should read)."""
        kept, start = [], 0
        for separator in list(_SPLIT.finditer(text)) + [None]:
            end = separator.start() if separator else len(text)
            part = text[start:end]
            if part and not self.denial.search(part):
                kept.append(part + (separator.group(0) if separator else ""))
            start = separator.end() if separator else end
        # a hardship said plainly in its place: a bare gap leaves "i keep thinking i'm gonna … and i just freeze up",
        # which the head reads as suicide (p 0.997 where "end up homeless" stood; 0.02 with this)
        return re.sub(r"[ \t]{2,}", " ", self.figurative.sub(self.figure_reads_as, "".join(kept))).strip()

    def about_someone_else(self, text: str) -> str | None:
        """The words of a risk said about another person (and not also about oneself), else None."""
        for quoted in _QUOTED.finditer(text):
            # 'last night she said "i just want to end the pain for good."': her words, her risk; a threat quoted
            # at the writer ('he said "i'll kill you"') stays theirs
            risk = explicit_risk(quoted.group("quote"))
            if risk and self.other.search(quoted.group("who")) and risk[0] != "abuse" \
                    and not re.search(r"\b(you|your)\b", quoted.group("quote"), re.I):
                return quoted.group(0).strip()
        for sentence in _SPLIT_QUOTES.split(text):
            risk = self.other_risk.search(sentence)
            if not risk:
                continue
            if _THIRD_PERSON.search(risk.group(0)):  # "cutting himself", "cuts on her arm"
                return sentence.strip()
            before = sentence[:risk.start()]
            subject = self.other.search(before)
            if not subject:
                continue
            between = before[subject.end():]
            if not _FIRST_PERSON_SUBJECT.search(between):  # "she said she wants to die"
                return sentence.strip()
            # "she texted me 'i want to die'": their words quoted; "my mom says I should get over it and I want to
            # die" stays mine (safety first: only a quote or a risk right after the reporting verb is theirs)
            reported = list(self.reported.finditer(between))
            after = between[reported[-1].end():] if reported else ""
            if reported and (re.search(r"['\"“‘]", after) or (_WRITTEN.match(reported[-1].group(0))
                                                                and len(after.split()) <= 2)):
                return sentence.strip()
        return None

    def harm_by_writer(self, text: str) -> bool:
        """The writer's own act or urge to hurt someone ("I had a flash of wanting to shake him"), not denied."""
        return bool(self.harm_intent.search(text))

    def writer_acts(self, sentence: str) -> bool:
        """The writer acts or plans in the sentence ("I've been parked outside his house", "been planning to …"),
        so a reading of harm to others is about them, not a row between neighbours."""
        return bool(self.writer_agency.search(sentence.strip()))

    def means_step(self, message: str) -> str | None:
        """The step that puts distance between a person at risk and the means their message names, if it names one."""
        return next((step for cue, step in self.means if cue.search(message)), None)

    def alone_with_a_weapon(self, sentence: str) -> bool:
        """A weapon and nobody but the writer in the sentence: a danger to themselves."""
        return bool(self.weapon.search(sentence)) and self.names_nobody_else(sentence)

    def abuse_kind(self, conversation: str) -> str | None:
        """What a danger from someone else is about, when it is not plain partner or family abuse: 'image'
        (intimate pictures, sextortion), 'stalking' or 'threat' (data/safety_language.json abuse_kinds)."""
        return next((kind for kind, cue in self.abuse_kinds.items() if cue.search(conversation)), None)

    def names_nobody_else(self, sentence: str) -> bool:
        """No one but the writer in the sentence: no he/she/them, nobody named ("some nights i sit in the truck with
        the rifle and just think"). In a question, "they" are the services asked about ("will they lock me up if i
        call?")."""
        if sentence.rstrip().endswith("?"):
            sentence = re.sub(r"\b(they|them)\b", " ", sentence, flags=re.I)
        return not (_THIRD_PERSON.search(sentence) or self.other.search(sentence)
                    or re.search(r"\b(them|someone|somebody|anyone|anybody|people|everyone|you)\b", sentence, re.I))

    def between_others(self, sentence: str) -> bool:
        """Someone else hurting or threatening a third person ("he might kill her"), the writer not among them."""
        return bool(_THIRD_PERSON.search(sentence)) and not _FIRST_PERSON_SUBJECT.search(sentence)

    def only_about_others(self, sentence: str) -> bool:
        """A sentence that opens with someone else as its subject ("my dad stopped taking his pills") and says
        nothing of the writer as 'I'. Chat drops the 'I' ("wrote something for my sister to open on Friday"),
        so someone merely named later in the sentence is not its subject."""
        opening = _OPENING.sub("", sentence)
        subject = self.other.match(opening)
        return bool(subject) and not _FIRST_PERSON_SUBJECT.search(sentence)

    def pills_taken(self, text: str) -> str | None:
        """The words of pills the writer says they took in a dangerous amount ("i took a lot of my sleeping tablets"),
        else None; not the topic ("my exam covers overdose symptoms") nor someone else ("my friend took…")."""
        if is_topic(text):
            return None
        for match in self.overdose_taken.finditer(text):
            before = text[max(0, match.start() - 16):match.start()].lower()
            if not match.group(0).lower().startswith(("overdos", "od")) \
                    and re.search(r"\b(i|i'?ve|ive|i have)( just| already)?\s*$", before):
                return match.group(0)
        return None

    def overdosed(self, conversation: str) -> bool:
        """The writer has taken pills in a dangerous amount or says they overdosed ("i took a lot of my sleeping
        tablets", "i think i od'd"): not a friend who did, nor overdose as a topic."""
        return bool(self.pills_taken(conversation)) or bool(_OWN_OVERDOSE.search(conversation))

    def laughed_off(self, text: str) -> bool:
        """A no said with a laugh or as a figure of speech in the message's first words ("lol what. no, obviously not,
        it's what sisters say", "lmao no man, it's a joke")."""
        return bool(self.joking.search(text)) and bool(
            re.search(r"\b(no|nope|nah|obviously not|of course not|god no)\b", text[:80], re.I))

    def check_in_answer(self, text: str) -> str | None:
        """yes / no / unclear for an answer to "are you having thoughts of ending your life…?", None if it does not
        answer (the person went on about something else)."""
        first = _SPLIT.split(text.strip())[0] if text.strip() else ""
        if self.denial.search(text) or re.match(r"^\W*(no|nope|nah|never|not really|not at all)\b", first, re.I):
            return "no"
        if answers_yes(text):
            return "yes"
        if self.unsure.search(first):
            return "unclear"
        return None
