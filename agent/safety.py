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
               r"want(ed)? to die|wish i (was|were) dead|no reason to (live|keep going)|overdose|(not|isn'?t) worth living|"
               r"point (of|in) (living|life|going on)|goodbye (letter|note)s?|(saving|collecting|stockpiling) (up )?(my |the )?pills|"
               r"took (a bunch of|all (my|the)|too many) pills|jump(ing)? (off|from) (a|the) (bridge|roof|building)|"
               r"never wake up|wish i (had )?never (been born|existed)|not (going to|gonna) be (here|around) (much )?(longer|anymore))",
    "self_harm": r"\b(cut(ting)? my ?self|hurt(ing)? my ?self|harm(ing)? my ?self|self[- ]harm\w*|burn(ing)? my ?self|"
                 r"starv(e|ing) my ?self|hit(ting)? my ?self|until (it|they|i|my \w+) bleeds?|deserve (the )?pain)",
    "abuse": r"\b((hits?|beats?|chokes?|rapes?|rap(ed|ing)|abus\w+|molest\w*|touch(es|ed)|hurts|forces) me|(am|was|being|got) "
             r"(abused|raped|molested|beaten)|threatens? to (kill|hurt) me)",
    "harm_to_others": r"\b((kill|hurt|stab|shoot|murder) (him|her|them|someone|somebody|everyone|my \w+|the \w+ (who|at|in)\b)|"
                      r"(bring|take) a (gun|knife|weapon) to)",
}
_IDIOMS = re.compile(
    r"\b(killing it|kill(ing)? me\b(?! ?self)|(could|would|gonna|going to) die of|dying to|died laughing|"
    r"dead tired|kill for a|kill (this|the|that) (exam|test|game|interview|presentation|workout)|kill (a|the) process)", re.I)
# talking about a topic (an essay on suicide prevention) is not being at risk, unless the words are first-person risk
_TOPIC = re.compile(r"\b(essay|article|paper|documentary|class|course|movie|film|book|novel|podcast|research|"
                    r"presentation|project) (about|on)\b", re.I)


class CrisisDetector:
    def __init__(self, embedder: Embedder, data_dir: Path, prompts_dir: Path, locale: str, threshold: float):
        self.embedder = embedder
        self.data_dir = Path(data_dir)
        self.prompts_dir = Path(prompts_dir)
        self.locale = locale
        self.threshold = threshold
        self._lexical = {k: re.compile(v, re.I) for k, v in _LEXICAL.items()}
        self._ready = False

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
        for category, pattern in self._lexical.items():
            match = pattern.search(stripped)
            if match:
                return SafetyAssessment(risk_level="high", escalate=True, category=category,
                                        reason=f"explicit words: '{match.group(0)}'")
        if _TOPIC.search(text):
            return SafetyAssessment(risk_level="low", escalate=False, category="none",
                                    reason="talks about the topic, not about themselves")
        vector = self.embedder.encode_one(text)
        risk_sims, idiom_sim = self._risk @ vector, float((self._idioms @ vector).max())
        best = int(risk_sims.argmax())
        similarity = float(risk_sims[best])
        threshold = self.threshold
        if emotion is not None and emotion.label in self.DISTRESS_LABELS and emotion.confidence >= 0.5:
            threshold -= self.DISTRESS_MARGIN
        if similarity >= threshold and similarity > idiom_sim:
            return SafetyAssessment(risk_level="high", escalate=True, category=self._risk_labels[best],
                                    reason=f"close in meaning to a {self._risk_labels[best]} statement ({similarity:.2f})")
        if similarity >= threshold - 0.12 and similarity > idiom_sim:
            return SafetyAssessment(risk_level="low", escalate=False, category=self._risk_labels[best],
                                    reason=f"some resemblance to a {self._risk_labels[best]} statement ({similarity:.2f})")
        return SafetyAssessment()

    def crisis_reply(self) -> str:
        self.setup()
        resources = self._resources.get(self.locale, self._resources["international"])
        return render(self.prompts_dir, "crisis_reply", resources=resources)
