"""Crisis detection, run before the planner on every turn; tuned for recall.

Three signals: lexical cues (explicit phrases of suicide, self-harm, abuse, harm to others, minus known idioms) and
semantic similarity to risk sentences, compared against similarity to everyday idioms that share the words,
and the perceived emotion (distress lowers the similarity needed).
A crisis turn gets the fixed, human-written reply in prompts/crisis_reply.md — never LLM text.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from .embeddings import Embedder
from .prompts import render
from .types import EmotionEstimate, SafetyAssessment

_LEXICAL = {
    "suicide": r"\b(kill(ing)? my ?self|suicid\w*|end(ing)? (my|it) (life|all)|take my (own )?life|"
               r"(don'?t|do not) want to (live|be alive|exist|wake up)|better off (dead|without me)|"
               r"want(ed)? to die|wish i (was|were) dead|(no|any) reason to (live|keep going|go on|carry on|stay alive)|overdose|(not|isn'?t) worth living|"
               r"point (of|in) (living|life|going on)|goodbye (letter|note)s?|(saving|collecting|stockpiling) (up )?(my |the )?pills|"
               r"took (a bunch of|all (my|the)|too many) pills|jump(ing)? (off|from) (a|the) (bridge|roof|building)|"
               r"never wake up|wish i (had )?never (been born|existed)|not (going to|gonna) be (here|around) (much )?(longer|anymore)|"
               # warning signs: means, goodbyes, a decision, no future (common crisis-line screening cues)
               r"how many (sleeping )?pills|(rope|noose) (is )?(ready|tied)|(bought|got|have) (a|the) (rope|noose)|"
               r"(giving|gave) (away )?(all )?my (things|stuff|belongings) away|(giving|gave) my\b.{0,40}\baway\b|"
               r"(everything|things|affairs) (sorted|in order|arranged) before i (go|leave|die)\b|won'?t need (them|it|my \w+) anymore|"
               r"(end|stop) (it|the pain|everything) (for good|forever|permanently|tonight)|"
               r"(pain|it|everything) to (end|stop) (for good|forever|permanently)|"
               r"make it (all )?stop (for good|forever|permanently)|done with (life|living|being alive)|"
               r"(disappear|be gone) (forever|for good)|(no|what'?s the|what is the) point (of|in) (going on|carrying on|"
               r"being alive|being here)|(can'?t|cannot|don'?t) see myself (being )?(alive|here|around)|"
               r"(drive|driving|crash|crashing) (my car )?into (a|the) (wall|tree|truck)|"
               r"(standing|sitting|on) (on )?(the|a) (edge|ledge|roof|bridge|tracks)\b.{0,40}\b(jump|right now|now|end)|"
               r"(won'?t|will not|wont|not going to|not gonna) be (here|around|alive)\b|"
               r"(last|final) (time|message)\b.{0,30}\b(i'?ll|i will|ill) (message|write|talk|text)|"
               r"let(ting)? it (all )?be over|(it|this|everything) (will|'ll) (all )?be over (soon|tonight|tomorrow)|"
               r"(i'?m|i am|im) (ending|going to end|gonna end) it\b|decided (i'?m|to) (end|ending|kill|die)|"
               r"(letters?|notes?)\b.{0,120}\b(find (them|it) after|after i'?m gone|when i'?m gone)|"
               r"(single|one) reason to (live|keep going|go on|stay)|"
               r"(freer|happier|better off|easier|lighter) (if i'?m gone|without me)|(weight|burden) (around|on|to) "
               r"(my|their|his|her|everyone)|(saving|saving up|stockpiling|collecting|hoarding|storing) (up )?(my |the )?"
               r"(\w+ )?(pills|tablets|meds|medication|sleeping pills)|(pills|tablets) (are )?(lined up|ready|counted out)|"
               r"(gave|give|giving) (away )?(my|the) (cat|dog|pet|kids?)\b.{0,60}\b(done|goodbye|gone|end)|"
               r"(to|into|off|from) (the|a) (bridge|cliff|river|lake|tracks|overpass)\b.{0,80}\b(decided|calm|end it|"
               r"jump|done|goodbye)|(drive|driving|drove|steer|steering) (the car )?(into|off) (the|a) (river|lake|cliff|"
               r"bridge|sea|wall|tree)|(engine|car) (is )?running\b.{0,40}\b(garage|closed)|(closed|shut) garage\b.{0,40}"
               r"\bengine|life insurance\b.{0,80}\b(better off|without me|when i'?m gone)|"
               r"(gun|pistol|rifle)\b.{0,30}\b(in front of me|on the table|in my (hand|mouth)|loaded|to my head))",
    "self_harm": r"\b(cut(ting)? my ?self|hurt(ing)? my ?self|harm(ing)? my ?self|self[- ]harm\w*|burn(ing)? my ?self|"
                 r"starv(e|ing) my ?self|hit(ting)? my ?self|until (it|they|i|my \w+) bleeds?|deserve (the )?pain|"
                 r"(used|using|took|grabbed) (a|the|my) (razor|blade)|relapsed? (and|into) (cut|hurt|self)|"
                 r"hurting my (body|arms?|legs?|skin)|(scratch|scratched|scratching) .{0,20}(raw|bleed|bled)|"
                 r"cuts? (under|on) my (arms?|wrists?|legs?|thighs?)|hide (my |the )?(scars|cuts|marks)|"
                 r"(scars|cuts) on my (arms?|wrists?|legs?|thighs?)|burn(ing|ed|t)? my (arm|forearm|skin|wrist|leg|hand)s?|"
                 r"wrists? (are|is) (a mess|cut|bleeding)|bang(ing|ed)? my head (against|on|into)|"
                 r"(razor|blade)s?\b.{0,40}\b(arms?|thighs?|wrists?|skin|legs?|marks|bleed|feel (empty|nothing)|used it)|"
                 r"(scratch|scratching|scratched|carv\w+) (my|into my) (arms?|thighs?|wrists?|skin|legs?) with|"
                 r"relapsed?\b.{0,25}\b(razor|blade|cutting|knife))",
    "abuse": r"\b((hits?|beats?|chokes?|rapes?|rap(ed|ing)|abus\w+|molest\w*|touch(es|ed)|hurts|forces) me|(am|was|being|got) "
             r"(abused|raped|molested|beaten)|threat(ens?|ened) to (kill|hurt) me|"
             r"(said|says|swore) (he|she|they)'?(d| would| will|'ll) (kill|hurt) me|"
             r"comes? into my (room|bed) at night|locks? me (in|up|out)|(takes?|took) my (phone|keys|money) (away )?"
             r"(so|and) (i can'?t|i cannot|won'?t let)|won'?t let me (leave|see|go out|talk to)|(grabbed|choked|strangled|grabs|chokes) me( by the (throat|neck))?|"
             r"(kicked|punched|slapped|shoved|kicks|punches|slaps) me\b|(make|making) me pay|"
             r"(will|it'?ll|itll|gonna) be (my face|me) next|not allowed to (see|talk to|leave)|"
             r"tracks? my (location|phone)|knows where i live)",
    "harm_to_others": r"\b((kill|hurt|stab|shoot|murder) (him|her|them|someone|somebody|everyone|my \w+|the \w+ (who|at|in)\b)|"
                      r"(bring|take) a (gun|knife|weapon) to|shoot up|make (them|everyone|people|him|her)( \w+)? pay.{0,30}plan|"
                      r"(hurting|hurt|harm|harming|shake|shaking) (my|the) (baby|child|kid|son|daughter)\b|"
                      r"(bring|bringing|take|taking) (in )?(my |a |his |her )?(\w+'?s )?(knife|gun|weapon)|"
                      r"poison(ing)? (my |his |her |their |the )?\w+|"
                      r"(shov(e|ing)|push(ing)?) (them|someone|him|her|people)\b.{0,20}\b(onto|off|in front)|"
                      r"make (him|her|them|my \w+) regret|scared (of )?what i (might|could|will) do|"
                      r"shak(e|ing) (him|her|the baby|my baby|my son|my daughter) until|"
                      r"list of (the )?people\b.{0,80}\b(deal with|pay|regret|wronged)|"
                      r"know (exactly )?(what time|where) (he|she|they) "
                      r"(leaves|lives|parks|goes))",
}
_IDIOMS = re.compile(
    r"\b(killing it|kill(ing)? me\b(?! ?self)|(could|would|gonna|going to) die of|dying to|died laughing|"
    r"dead tired|kill for a|kill (this|the|that) (exam|test|game|interview|presentation|workout)|kill (a|the) process)", re.I)
# talking about a topic (an essay on suicide prevention) is not being at risk, unless the words are first-person risk
_TOPIC = re.compile(r"\b((essay|article|paper|documentary|class|course|movie|film|book|novel|podcast|research|"
                    r"presentation|project|exam|quiz|lecture|homework|assignment|module)( \w+)? (about|on|covers|covering)|"
                    r"(nursing|medical|pharmacy|psychology) student)\b", re.I)


# sentences and comma-joined parts, not perception.text.clauses(): splitting at "and/because/when" too caught more
# risk but raised false alarms (holdout5 help false alarms 0.15 → 0.25, MELD check-ins 2.1 % → 2.7 %)
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\s*[;\n]\s*|,\s+(?:and |but |also |anyway )?")
MAX_SENTENCES = 12  # bounded work on a huge message


_FIRST_PERSON = re.compile(r"\b(i|i'm|i've|me|my|myself)\b", re.I)


class CrisisDetector:
    def __init__(self, embedder: Embedder, data_dir: Path, prompts_dir: Path, locale: str, threshold: float,
                 check_in_threshold: float | None = None):
        self.embedder = embedder
        self.data_dir = Path(data_dir)
        self.prompts_dir = Path(prompts_dir)
        self.locale = locale
        self.threshold = threshold
        self.check_in_threshold = check_in_threshold if check_in_threshold is not None else threshold
        self._lexical = {k: re.compile(v, re.I) for k, v in _LEXICAL.items()}
        self._ready = False

    @classmethod
    def from_settings(cls, settings, embedder: Embedder) -> "CrisisDetector":
        """The detector every entry point uses (turns, `attune safety`, benches, ESC-Eval), from agent Settings."""
        s = settings.safety
        return cls(embedder, settings.data_dir, settings.prompts_dir, s.locale, s.semantic_threshold,
                   s.check_in_threshold)

    def setup(self) -> None:
        if self._ready:
            return
        raw = json.loads((self.data_dir / "crisis_prototypes.json").read_text())
        self._risk_labels = [c for c, sentences in raw["risk"].items() for _ in sentences]
        self._risk = self.embedder.encode([s for sentences in raw["risk"].values() for s in sentences])
        self._idioms = self.embedder.encode(raw["idioms"])
        self._resources = json.loads((self.data_dir / "crisis_resources.json").read_text())
        self._ready = True

    # a person already perceived as sad or afraid gets the benefit of the doubt sooner (recall first)
    DISTRESS_LABELS = {"sadness", "fear"}
    DISTRESS_MARGIN = 0.05

    def assess(self, text: str, emotion: EmotionEstimate | None = None) -> SafetyAssessment:
        self.setup()
        stripped = _IDIOMS.sub(" ", text)
        topic = _TOPIC.search(text)
        for category, pattern in self._lexical.items():
            match = pattern.search(stripped)
            # "an essay about suicide prevention" names the topic; "kill myself" in the same essay line still counts
            if match and not (topic and not _FIRST_PERSON.search(match.group(0))):
                return SafetyAssessment(risk_level="high", escalate=True, category=category,
                                        reason=f"explicit words: '{match.group(0)}'")
        if topic:
            return SafetyAssessment(risk_level="low", escalate=False, category="none",
                                    reason="talks about the topic, not about themselves")
        # the whole message and each of its sentences: a risk said in passing inside a long message about something
        # else is diluted in the whole message's embedding
        parts = [text] + [p for p in _SENTENCES.split(text) if len(p.split()) >= 3][:MAX_SENTENCES]
        vectors = self.embedder.encode(list(dict.fromkeys(parts)))
        risk_all, idiom_all = vectors @ self._risk.T, vectors @ self._idioms.T
        row = int(risk_all.max(axis=1).argmax())
        risk_sims, idiom_sim = risk_all[row], float(idiom_all[row].max())
        best = int(risk_sims.argmax())
        similarity = float(risk_sims[best])
        threshold = self.threshold
        if emotion is not None and emotion.label in self.DISTRESS_LABELS and emotion.confidence >= 0.5:
            threshold -= self.DISTRESS_MARGIN
        if similarity >= threshold and similarity > idiom_sim:
            return SafetyAssessment(risk_level="high", escalate=True, category=self._risk_labels[best],
                                    reason=f"close in meaning to a {self._risk_labels[best]} statement ({similarity:.2f})")
        distressed = emotion is not None and emotion.vad.valence < 0
        if similarity >= self.check_in_threshold and similarity > idiom_sim and distressed:
            # not sure enough to take over the turn, too close to let pass: answer, and ask
            return SafetyAssessment(risk_level="low", escalate=False, check_in=True, category=self._risk_labels[best],
                                    reason=f"distressed and close to a {self._risk_labels[best]} statement "
                                           f"({similarity:.2f}): a gentle check-in")
        if similarity >= threshold - 0.12 and similarity > idiom_sim:
            return SafetyAssessment(risk_level="low", escalate=False, category=self._risk_labels[best],
                                    reason=f"some resemblance to a {self._risk_labels[best]} statement ({similarity:.2f})")
        return SafetyAssessment()

    def crisis_reply(self) -> str:
        self.setup()
        return render(self.prompts_dir, "crisis_reply", resources=self.resources())

    def check_in(self) -> str:
        """The sentence added to a reply when the message may hide a risk (SafetyAssessment.check_in)."""
        self.setup()
        return render(self.prompts_dir, "crisis_check_in", resources=self.resources())

    def resources(self) -> str:
        return self._resources.get(self.locale, self._resources["international"])
