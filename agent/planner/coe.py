"""LLM planning (with a capable model): the whole chain-of-empathy plan and the reply in one schema-constrained
call, the small models' outputs given as hints (HEF's two-stage idea). The reply field comes last, so it streams
sentence by sentence while the model is still writing; a per-sentence gate drops loops, AI tells and harm.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from ..affect.strategy import StrategyChoice
from ..ai_tells import has_ai_tell, has_list_or_markup
from ..prompts import render
from ..text import SentenceBuffer, quote_user_text
from ..types import AgentEmotion, Plan, ReplyInfo, Strategy
from .compose import TurnContext
from .gate import QualityGate, safety_problems
from .llm import LLM


class CoEPlan(BaseModel):
    """Field order is the reasoning order (AvaMERG's chain of empathy); the reply is last so it can stream."""

    emotion: str = Field(min_length=1, max_length=40)
    event_scenario: str = Field(min_length=1, max_length=200)
    emotion_cause: str = Field(min_length=1, max_length=200)
    goal: str = Field(min_length=1, max_length=200)
    strategy: Strategy
    reply: str = Field(min_length=1, max_length=600)


class CoEPlanner:
    def __init__(self, llm: LLM, gate: QualityGate, data_dir: Path, prompts_dir: Path, max_words: int):
        self.llm, self.gate = llm, gate
        self.prompts_dir, self.max_words = Path(prompts_dir), max_words
        self.strategies = json.loads((Path(data_dir) / "strategies.json").read_text())["strategies"]

    def system_prompt(self, persona_name: str, persona_style: str) -> str:
        strategy_list = "\n".join(f"- {name}: {spec['definition']}" for name, spec in self.strategies.items())
        return render(self.prompts_dir, "coe_plan.system", persona_name=persona_name, persona_style=persona_style,
                      strategy_list=strategy_list, max_words=self.max_words)

    def messages(self, ctx: TurnContext, hint: StrategyChoice, notes: str = "") -> list:
        fused = ctx.user_state.fused
        history = "\n".join(f"Person: {quote_user_text(u)}\nYou: {a}" for u, a in ctx.history[-6:]) or "(this is the first message)"
        user = render(self.prompts_dir, "coe_plan.user", history=history, emotion_hint=fused.fine_label or fused.label,
                      confidence=f"{fused.confidence:.2f}", cause_hint=", ".join(fused.cues[:3]),
                      strategy_hint=hint.strategy, notes=notes or "(nothing yet)",
                      user_text=quote_user_text(ctx.user_text))
        return [SystemMessage(self.system_prompt(ctx.persona_name, ctx.persona_style)), HumanMessage(user)]

    def stream(self, ctx: TurnContext, hint: StrategyChoice, agent_emotion: AgentEmotion,
               notes: str = "") -> Iterator[Plan | str | ReplyInfo]:
        """Yield the Plan as soon as its fields are complete, then reply sentences, then the ReplyInfo."""
        plan: Plan | None = None
        buffer, seen_reply, kept, words = SentenceBuffer(), "", [], 0
        partial: dict = {}

        def admit(sentence: str) -> bool:
            nonlocal words
            n = len(sentence.split())
            bad = has_ai_tell(sentence) or has_list_or_markup(sentence) or safety_problems(sentence, hidden)
            if bad or sentence.lower() in (k.lower() for k in kept) or words + n > self.max_words:
                return False
            words += n
            kept.append(sentence)
            return True

        messages = self.messages(ctx, hint, notes)
        hidden = messages[0].content
        for partial in self.llm.stream_json(messages, CoEPlan):
            if plan is None and "reply" in partial and partial.get("strategy") in self.strategies:
                plan = self._plan(partial, hint, agent_emotion)
                yield plan
            reply = partial.get("reply") or ""
            if plan is not None and len(reply) > len(seen_reply):
                for sentence in buffer.feed(reply[len(seen_reply):]):
                    if admit(sentence):
                        yield sentence
                seen_reply = reply
        if plan is None:
            raise ValueError("the LLM's answer had no complete plan")
        for sentence in buffer.flush():
            if admit(sentence):
                yield sentence
        if not kept:
            raise ValueError("no sentence of the LLM's reply passed the checks")
        text = " ".join(kept)
        verdict = self.gate.check(text, ctx.user_text, strategy=plan.strategy,
                                  user_valence=ctx.user_state.fused.vad.valence, user_emotion=ctx.user_state.fused.label)
        yield ReplyInfo(text=text, source="llm", gate=verdict,
                        candidate=partial.get("reply") if text != partial.get("reply", "").strip() else None)

    def _plan(self, fields: dict, hint: StrategyChoice, agent_emotion: AgentEmotion) -> Plan:
        strategy = fields["strategy"]
        return Plan(
            mode="llm", emotion=str(fields.get("emotion", "")), event_scenario=str(fields.get("event_scenario", "")),
            emotion_cause=str(fields.get("emotion_cause", "")), goal=str(fields.get("goal", "")),
            stage=self.strategies[strategy]["stage"], strategy=strategy,
            strategy_reason="chosen by the LLM" + ("" if strategy == hint.strategy else f" (the planner suggested {hint.strategy})"),
            agent_emotion=agent_emotion,
        )
