"""ESC stage and strategy choice.

``StrategyPlanner`` is the protocol; ``RuleStrategyPlanner`` is the rule backend: explore before comforting,
comfort before suggesting (ESConv's stage order, Liu et al. 2021), unless the person asks for advice.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..types import Stage, Strategy, UserState

ASKS_FOR_ADVICE = re.compile(
    r"\b(what (should|can|do) i do|any (advice|tips|ideas|suggestions)|how (can|do|should) i|should i\b|"
    r"what would you do|help me (figure|decide|find|fix)|give me (advice|tips)|suggest)", re.I)
GREETING = re.compile(r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|how are you)\b[\s\w,!?.']{0,25}$", re.I)


@dataclass
class StrategyContext:
    """What the planner may look at: this turn's perception and the conversation so far."""

    user_text: str
    user_state: UserState
    turn_index: int
    previous_strategies: list[str] = field(default_factory=list)
    history: list[tuple[str, str]] = field(default_factory=list)  # (user, agent) pairs, oldest first


@dataclass
class StrategyChoice:
    stage: Stage
    strategy: Strategy
    reason: str


class StrategyPlanner(Protocol):
    def setup(self) -> None: ...
    def choose(self, context: StrategyContext) -> StrategyChoice: ...


def strategy_stage(data_dir: Path) -> dict[str, Stage]:
    raw = json.loads((Path(data_dir) / "strategies.json").read_text())["strategies"]
    return {name: spec["stage"] for name, spec in raw.items()}


class RuleStrategyPlanner:
    """A transparent baseline: stage from the turn count, strategy from the stage, the emotion and what came before."""

    EXPLORATION_TURNS = 2   # ESConv dialogues spend their first turns exploring (Liu et al. 2021, Fig. 3)
    COMFORTING_TURNS = 2

    def setup(self) -> None:
        return None

    def choose(self, context: StrategyContext) -> StrategyChoice:
        fused = context.user_state.fused
        previous = context.previous_strategies[-1] if context.previous_strategies else None
        if GREETING.match(context.user_text):
            return StrategyChoice("exploration", "Others", "a greeting: greet back and invite them to share")
        if ASKS_FOR_ADVICE.search(context.user_text) and context.turn_index >= 1:
            pick = "Information" if previous == "Providing Suggestions" else "Providing Suggestions"
            return StrategyChoice("action", pick, "they asked what to do, after they were heard")
        if fused.vad.valence > 0.3 and fused.label in {"joy", "surprise"}:
            pick = "Question" if previous != "Question" else "Affirmation and Reassurance"
            return StrategyChoice("exploration", pick, "good news: share the joy and let them tell more")
        turn = context.turn_index
        if turn < self.EXPLORATION_TURNS:
            if turn == 0 and fused.vad.valence < -0.4 and fused.confidence >= 0.6:
                return StrategyChoice("exploration", "Reflection of Feelings",
                                      f"strong {fused.label} in the first message: name the feeling first")
            pick = "Restatement or Paraphrasing" if previous == "Question" else "Question"
            return StrategyChoice("exploration", pick, "early in the conversation: understand the situation first")
        if turn < self.EXPLORATION_TURNS + self.COMFORTING_TURNS:
            pick = "Affirmation and Reassurance" if previous == "Reflection of Feelings" else "Reflection of Feelings"
            return StrategyChoice("comforting", pick, f"the situation is clearer: comfort the {fused.label} before suggesting")
        cycle = ["Providing Suggestions", "Affirmation and Reassurance", "Question"]
        pick = cycle[(cycle.index(previous) + 1) % len(cycle)] if previous in cycle else cycle[0]
        stage: Stage = "action" if pick == "Providing Suggestions" else ("comforting" if pick.startswith("Aff") else "exploration")
        return StrategyChoice(stage, pick, "heard and comforted: offer a gentle step, then check in")


def load_strategy_planner(settings, embedder) -> StrategyPlanner:
    """The planner that ``settings.planner.strategy_backend`` names: "trained" (the shipped head) or "rules"."""
    backend = getattr(settings.planner, "strategy_backend", "trained")
    if backend == "rules":
        return RuleStrategyPlanner()
    if backend == "trained":
        from .strategy_model import TrainedStrategyPlanner

        return TrainedStrategyPlanner(embedder, settings.data_dir)
    raise ValueError(f"unknown strategy backend {backend!r} (trained or rules)")
