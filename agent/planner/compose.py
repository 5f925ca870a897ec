"""Grounded planning (the default with a small LLM): small models decide, real supporter turns ground,
the LLM only rewords — and only when its words pass the quality gate.

Reply = an opener we write from the perceived emotion and its cause (emitted at once, so speech can start) +
a strategy part: the LLM's adaptation of a retrieved ESConv turn if it passes the gate, else the best-fitting
retrieved sentence, else a sentence of our own for the strategy.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from ..affect.strategy import StrategyChoice
from ..embeddings import Embedder
from ..perception.text import clauses
from ..prompts import render
from ..text import quote_user_text, reflect
from ..types import AgentEmotion, GateVerdict, Plan, ReplyInfo, UserState
from .exemplars import ExemplarIndex, details_fit, key_sentence
from .gate import QualityGate
from .llm import LLM, LLMError

FEELING_ONLY = re.compile(r"^(i|i'm|im|i am|i feel|i've been|feeling|so|really|just|very|kind of|\s)+"
                          r"(\w+ly )?(\w+)( and \w+)?( right now| today| lately)?$", re.I)
FEELING_STATEMENT = re.compile(r"^\s*(i|i'm|im|i am|i've been|i have been|i was)\b.{0,30}\b(feel|feeling|felt)\b", re.I)
QUESTION = re.compile(r"^\s*(what|how|why|when|where|who|which|should|can|could|would|do|does|is|are)\b", re.I)
CAUSE_MAX_WORDS = 14
# a retrieved sentence is said as it is, so it must be about this person's situation (cosine to their words);
# below this, a generic sentence of ours is safer ("Do you like christmas cookies?" scored 0.2 for a grief message)
EXEMPLAR_RELEVANCE = 0.3
TOPIC_WEIGHT = 0.5  # weight of the previous user turn in the retrieval query (relevance uses ctx.topic_text)
MIN_BODY_WORDS = 5  # shorter retrieved sentences ("Breakup from a girlfriend?") lean on their own dialogue


_VERBISH = re.compile(r"\b(is|are|was|were|be|been|has|have|had|do|does|did|can|could|will|would|should|got|get|"
                      r"left|went|came|made|told|said|broke|lost|died|fell|quit|took|gave|hit|won|keeps?|\w+ed|"
                      r"you|he|she|they|it|me|him|her|them)\b", re.I)


_DETERMINER = re.compile(r"^(your|my|the|a|an|this|that|all|these|those|some|our|their)\b", re.I)


def is_noun_phrase(clause: str) -> bool:
    """'your divorce', 'the exams next week': a thing, not an event ('your dog died')."""
    return bool(_DETERMINER.match(clause)) and len(clause.split()) <= 6 and not _VERBISH.search(clause)


def is_feeling_statement(clause: str) -> bool:
    """'I feel like a failure', 'I'm feeling calmer now', 'so sad': how it feels, not what happened."""
    return bool(FEELING_ONLY.match(clause) or FEELING_STATEMENT.match(clause))


class RewrittenReply(BaseModel):
    """The schema the small LLM answers in; the length cap keeps it from looping forever."""

    reply: str = Field(min_length=1, max_length=240)


@dataclass
class TurnContext:
    user_text: str
    user_state: UserState
    turn_index: int
    history: list[tuple[str, str]]
    persona_name: str
    persona_style: str

    @property
    def known_text(self) -> str:
        """Everything the person has said: details a reply may mention must be in here."""
        return " ".join([self.user_text] + [u for u, _ in self.history])

    @property
    def topic_text(self) -> str:
        """This message with the one before: what a follow-up ("What should I do first?") is about."""
        return " ".join([u for u, _ in self.history[-1:]] + [self.user_text])


_SUBJECT_START = re.compile(r"^((?i:i|you|he|she|it|we|they|my|your|his|her|our|their|the|a|an|this|that|these|"
                            r"those|there|someone|somebody|nobody|no one|everyone|everybody|people|nothing|everything)"
                            r"|[A-Z][a-z]+)\b")


def usable_cause(clause: str) -> bool:
    """A clause that can stand in a sentence of ours: it has a subject, no list or markup, and is short."""
    words = clause.split()
    return (2 <= len(words) <= CAUSE_MAX_WORDS and bool(_SUBJECT_START.match(clause) or is_noun_phrase(clause))
            and not re.search(r"[:\n*#•]|\b\d+[.)]", clause) and not is_feeling_statement(clause)
            and not QUESTION.match(clause) and "?" not in clause)


# replies to what the supporter said ("maybe you're right", "thanks"): not events
DISCOURSE = re.compile(r"^(maybe |perhaps |i guess |i think )?(you'?re right|that'?s (true|right|fair)|you have a point|"
                       r"yes|yeah|yep|no|nope|ok|okay|sure|right|true|exactly|i know|i see|i guess( so)?|"
                       r"i don'?t know|thanks?( you)?( so much)?|thank you)\b[\s,.!]*$", re.I)


def is_event(clause: str) -> bool:
    return not (is_feeling_statement(clause) or QUESTION.match(clause) or clause.endswith("?")
                or DISCOURSE.match(clause.strip()))


def emotion_cause(text: str, cues: list[str]) -> str:
    """The clause that says what happened (not just how it feels), in the person's words."""
    after_because = re.search(r"\b(?:because|since|after|ever since)\b\s+(.+?)(?:[.!?]|$)", text, re.I)
    if after_because:
        return after_because.group(1).strip()
    events = [c for c in clauses(text) if is_event(c)]
    if events:
        # what happened usually comes first ("my grandmother passed away …, and I keep thinking …")
        return events[0]
    return cues[0] if cues else text


def _sentence_middle(clause: str) -> str:
    """A clause placed mid-sentence: lower-case first letter (but keep 'I' and acronyms), no end punctuation."""
    clause = clause.strip().rstrip(".!?")
    if clause[:1].isupper() and not re.match(r"^(I\b|[A-Z]{2})", clause):
        clause = clause[0].lower() + clause[1:]
    return clause


class GroundedComposer:
    def __init__(self, embedder: Embedder, index: ExemplarIndex, gate: QualityGate, llm: LLM | None,
                 data_dir: Path, prompts_dir: Path, exemplars_per_turn: int, max_words: int,
                 rewrite_skip: list[str] = ()):
        self.embedder, self.index, self.gate, self.llm = embedder, index, gate, llm
        self.data_dir, self.prompts_dir = Path(data_dir), Path(prompts_dir)
        self.k, self.max_words = exemplars_per_turn, max_words
        self.body_words = min(35, max_words)  # the opener takes the rest of the reply's word budget
        self.rewrite_skip = set(rewrite_skip) | {"Others"}
        self._ready = False

    def setup(self) -> None:
        if self._ready:
            return
        self.templates = json.loads((self.data_dir / "reply_templates.json").read_text())
        strategies = json.loads((self.data_dir / "strategies.json").read_text())["strategies"]
        self.strategy_specs = strategies
        scenarios = {k: v for k, v in json.loads((self.data_dir / "scenarios.json").read_text()).items()
                     if not k.startswith("_")}
        self.scenario_names = list(scenarios)
        self.scenario_tone = {k: v["tone"] for k, v in scenarios.items()}
        self.scenario_vectors = self.embedder.encode([v["text"] for v in scenarios.values()])
        self.index.setup()
        self._ready = True

    # -- the chain-of-empathy steps ------------------------------------------------------------------
    def plan(self, ctx: TurnContext, choice: StrategyChoice, agent_emotion: AgentEmotion) -> Plan:
        self.setup()
        fused = ctx.user_state.fused
        cause = emotion_cause(ctx.user_text, fused.cues)
        if not (usable_cause(cause) and is_event(cause)):
            # "Maybe you're right. What should I do first?": the situation is still the one they told before
            earlier = [emotion_cause(u, []) for u, _ in reversed(ctx.history)]
            cause = next((c for c in earlier if usable_cause(c) and is_event(c)), cause)
        query = self.embedder.encode_one(ctx.user_text)
        if ctx.history:
            # the topic carries over: a short follow-up retrieves for the conversation, not for its own few words
            query = query + TOPIC_WEIGHT * self.embedder.encode_one(ctx.history[-1][0])
            query /= np.linalg.norm(query)
        scenario = self.scenario_names[int(np.argmax(self.scenario_vectors @ query))]
        hits = self.index.search(query, choice.strategy, k=self.k * 3)
        fitting = [e.text for e, _ in hits if details_fit(e.text, ctx.known_text)][: self.k]
        return Plan(
            mode="grounded", emotion=fused.fine_label or fused.label,
            event_scenario=f"{scenario}: {reflect(cause, 'third')}", emotion_cause=cause,
            goal=self.strategy_specs[choice.strategy]["goal"], stage=choice.stage, strategy=choice.strategy,
            strategy_reason=choice.reason, agent_emotion=agent_emotion, exemplars=fitting,
        )

    # -- the reply ---------------------------------------------------------------------------------------
    def _pick(self, options: list[str], ctx: TurnContext) -> str:
        return options[ctx.turn_index % len(options)]

    def opener(self, ctx: TurnContext, plan: Plan) -> str:
        fused = ctx.user_state.fused
        label = fused.label if fused.label in self.templates["opener"] else "neutral"
        scenario = plan.event_scenario.split(":", 1)[0]
        if label == "neutral" and self.scenario_tone.get(scenario) == "negative":
            label = "sadness"  # a flat-sounding message about a painful situation still deserves warmth
        cause = _sentence_middle(reflect(plan.emotion_cause))
        if plan.strategy == "Others" and ctx.turn_index == 0:
            return self._pick(self.templates["greeting"], ctx)
        said_now = plan.emotion_cause in ctx.user_text  # an earlier turn's cause is not said back again
        if said_now and usable_cause(plan.emotion_cause) and plan.strategy not in {"Restatement or Paraphrasing"}:
            kind = "opener_about" if is_noun_phrase(cause) else "opener_with_cause"
            return self._pick(self.templates[kind][label], ctx).format(cause=cause)
        return self._pick(self.templates["opener"][label], ctx)

    def composed_body(self, ctx: TurnContext, plan: Plan) -> str:
        """A strategy sentence from parts we control: a template or the best retrieved supporter sentence."""
        feeling = plan.emotion if plan.emotion != "neutral" else "this way"
        cause = _sentence_middle(reflect(plan.emotion_cause))
        if plan.strategy == "Restatement or Paraphrasing" and usable_cause(plan.emotion_cause):
            return self._pick(self.templates["restatement"], ctx).format(cause=cause, feeling=feeling)
        if plan.strategy == "Reflection of Feelings":
            return self._pick(self.templates["reflection"], ctx).format(feeling=feeling)
        if plan.strategy == "Others":
            return "" if ctx.turn_index == 0 else self._pick(self.templates["fallback_body"]["Others"], ctx)
        passing = []
        for text in plan.exemplars:
            sentence = key_sentence(text, plan.strategy)
            verdict = self.gate.check(sentence, ctx.topic_text, strategy=plan.strategy, max_words=self.body_words,
                                      user_valence=ctx.user_state.fused.vad.valence, known_text=ctx.known_text,
                                      user_emotion=ctx.user_state.fused.label)
            if verdict.passed and len(sentence.split()) >= MIN_BODY_WORDS and (verdict.relevance or 0) >= EXEMPLAR_RELEVANCE:
                passing.append((verdict.relevance or 0.0, sentence))
        if passing:
            return max(passing)[1]
        good_news = ctx.user_state.fused.label == "joy"
        return self._pick(self.templates["fallback_body_good_news" if good_news else "fallback_body"][plan.strategy], ctx)

    def system_prompt(self, persona_name: str) -> str:
        return render(self.prompts_dir, "grounded_reply.system", persona_name=persona_name)

    def rewrite(self, ctx: TurnContext, plan: Plan) -> str:
        system = self.system_prompt(ctx.persona_name)
        user = render(
            self.prompts_dir, "grounded_reply.user", user_text=quote_user_text(ctx.user_text), feeling=plan.emotion,
            cause_third=reflect(plan.emotion_cause, "third"),
            strategy_instruction=self.strategy_specs[plan.strategy]["instruction"],
            exemplar=key_sentence(plan.exemplars[0], plan.strategy), max_words=self.body_words,
        )
        return self.llm.structured([SystemMessage(system), HumanMessage(user)], RewrittenReply).reply.strip()

    def write(self, ctx: TurnContext, plan: Plan, warnings: list[str]) -> Iterator[str | ReplyInfo]:
        """Yield the reply sentence by sentence, then the ReplyInfo that records how it was made."""
        self.setup()
        opener = self.opener(ctx, plan)
        yield opener
        candidate, verdict = None, None
        if self.llm is not None and plan.exemplars and plan.strategy not in self.rewrite_skip:
            try:
                candidate = self.rewrite(ctx, plan)
                verdict = self.gate.check(candidate, ctx.user_text, strategy=plan.strategy, max_words=self.body_words,
                                          user_valence=ctx.user_state.fused.vad.valence, known_text=ctx.known_text,
                                          user_emotion=ctx.user_state.fused.label,
                                          grounding=plan.exemplars, hidden_prompt=self.system_prompt(ctx.persona_name))
                if verdict.passed and self._too_close(candidate, opener):
                    verdict = GateVerdict(passed=False, reasons=["repeats the opener"], relevance=verdict.relevance,
                                          words=verdict.words)
            except LLMError as error:
                warnings.append(f"LLM rewrite skipped: {error}")
        if verdict is not None and verdict.passed:
            body, source = candidate, "llm"
        else:
            body, source = self.composed_body(ctx, plan), "composed"
        if body:
            yield body
        yield ReplyInfo(text=" ".join(p for p in (opener, body) if p), source=source,
                        candidate=candidate if source != "llm" else None, gate=verdict)

    def _too_close(self, a: str, b: str) -> bool:
        vectors = self.embedder.encode([a, b])
        return float(vectors[0] @ vectors[1]) > 0.9
