"""The typed turn record that flows forward through perceive → plan → speak → render.

Each stage fills its own part; no stage reaches back. Field names are a public contract (README, "Turn record").
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, Field

Stage = Literal["exploration", "comforting", "action"]
# ESConv's eight strategies, named as in the dataset (Liu et al. 2021)
Strategy = Literal[
    "Question",
    "Restatement or Paraphrasing",
    "Reflection of Feelings",
    "Self-disclosure",
    "Affirmation and Reassurance",
    "Providing Suggestions",
    "Information",
    "Others",
]
STRATEGIES: tuple[str, ...] = Strategy.__args__  # type: ignore[attr-defined]


class VAD(BaseModel):
    """Valence, arousal, dominance, each in [-1, 1]."""

    valence: float = Field(0.0, ge=-1, le=1)
    arousal: float = Field(0.0, ge=-1, le=1)
    dominance: float = Field(0.0, ge=-1, le=1)

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.valence, self.arousal, self.dominance)

    @classmethod
    def clipped(cls, v: float, a: float, d: float) -> "VAD":
        clip = lambda x: float(max(-1.0, min(1.0, x)))  # noqa: E731
        return cls(valence=clip(v), arousal=clip(a), dominance=clip(d))


class EmotionEstimate(BaseModel):
    """What one modality (or the fusion of several) says about how the person feels."""

    modality: Literal["text", "voice", "face", "fused"]
    label: str
    scores: dict[str, float] = Field(default_factory=dict)
    fine_label: str | None = None
    vad: VAD = Field(default_factory=VAD)
    confidence: float = Field(0.0, ge=0, le=1)
    cues: list[str] = Field(default_factory=list, description="words or signals that carry the emotion")


class UserState(BaseModel):
    text: EmotionEstimate | None = None
    voice: EmotionEstimate | None = None
    face: EmotionEstimate | None = None
    fused: EmotionEstimate
    explanation: str = ""
    disagreement: list[str] = Field(default_factory=list, description="conflicts between modalities, e.g. masking")
    warnings: list[str] = Field(default_factory=list, description="unusable or doubtful input (no face, silent audio)")
    signals: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="raw measurements per modality: voice prosody and its z-scores")
    timings_ms: dict[str, float] = Field(default_factory=dict)


class SafetyAssessment(BaseModel):
    risk_level: Literal["none", "low", "high"] = "none"
    escalate: bool = False
    category: Literal["none", "suicide", "self_harm", "abuse", "harm_to_others", "someone_else"] = "none"
    reason: str = ""
    check_in: bool = Field(False, description="not escalated, but the reply asks gently and names where help is")
    check_in_answer: Literal["none", "no", "yes", "unclear"] = Field(
        "none", description="how this message answered the check-in question asked the turn before")
    explicit: bool = Field(False, description="escalated on explicit words, not on the head's reading alone")
    overdose: bool = Field(False, description="pills already taken in a dangerous amount: a medical emergency")


class SafetyState(BaseModel):
    """What safety has asked and heard in this conversation (ask once, respect a no)."""

    check_in_asked: bool = False
    check_in_answer: Literal["none", "no", "yes", "unclear"] = "none"
    check_ins: int = 0
    escalations: int = 0
    category: str = "none"
    about_someone_else: bool = False
    crisis_turn: int | None = Field(None, description="the last turn that escalated for suicide or self-harm")
    overdose: bool = Field(False, description="they took an overdose and have not said they are getting help: the "
                                              "emergency stays first")


class AgentQuestion(BaseModel):
    text: str
    turn: int
    answered: bool = False


class DialogueState(BaseModel):
    """What the conversation has established so far, updated each turn and stored with it (turn.state)."""

    problem: str = Field("general", description="the problem type (data/problem_types.json)")
    problem_scores: dict[str, float] = Field(default_factory=dict, description="smoothed over the turns")
    problem_evidence: float = Field(0.0, description="how much the scores rest on (decayed message weights)")
    message_problem: str = Field("", description="what this message alone is clearly about ('' when unclear)")
    emotion_type: str = Field("", description="the seeker's emotion type over the conversation (ESConv's: "
                              "anxiety, depression, sadness, anger, fear, disgust, shame; '' when unclear)")
    emotion_type_scores: dict[str, float] = Field(default_factory=dict, description="smoothed over the turns")
    facts: list[str] = Field(default_factory=list, description="what the person said happened, in their words")
    corrected: bool = Field(False, description="this message corrects what the agent took it to be about")
    ruled_out: list[str] = Field(default_factory=list, description="problem types the person said it is not about "
                                 "(a correction: \"it's not about studying\")")
    rejected: list[str] = Field(default_factory=list, description="stems of words the person said were wrong "
                                "(\"i didnt say anything about an artist\"): no line with them is said again")
    act: str = Field("statement", description="what this message does: greeting, thanks, closing, question, ...")
    open_question: str | None = Field(None, description="the person's direct question in this message")
    agent_questions: list[AgentQuestion] = Field(default_factory=list)
    used: list[str] = Field(default_factory=list, description="ids of bank utterances already said")
    openings: list[str] = Field(default_factory=list, description="first words of recent replies")
    suggested: bool = Field(False, description="a suggestion or answer has been given")
    wants_practical: bool = Field(False, description="they asked for steps, not talk about feelings ('i dont need "
                                  "to talk about feelings rn, i need to know what to do')")
    last_kinds: list[str] = Field(default_factory=list, description="the kinds of utterance the last reply had")
    event_problem: str = Field("", description="the trouble a life event just told is ('my mom died' → grief): the "
                               "replies stay with it for a couple of turns, whatever the words after it lean to")
    event_turns: int = Field(0, description="turns since that event was told")
    acknowledged: list[str] = Field(default_factory=list, description="life events already named back "
                                    "(data/life_events.json keys: 'death:mom', 'job_loss')")
    safety: SafetyState = Field(default_factory=SafetyState)


class AgentEmotion(BaseModel):
    label: str
    vad: VAD
    intensity: float = Field(0.5, ge=0, le=1)


class Plan(BaseModel):
    """Chain-of-empathy (AvaMERG): emotion → event scenario → emotion cause → goal, plus the ESC stage/strategy."""

    mode: Literal["grounded", "llm", "crisis"]
    emotion: str
    event_scenario: str
    emotion_cause: str
    goal: str
    stage: Stage
    strategy: Strategy
    strategy_reason: str
    agent_emotion: AgentEmotion
    exemplars: list[str] = Field(default_factory=list, description="retrieved supporter turns that grounded the reply")


class GateVerdict(BaseModel):
    passed: bool
    reasons: list[str] = Field(default_factory=list)
    relevance: float | None = None
    words: int = 0


class ReplyInfo(BaseModel):
    text: str
    source: Literal["llm", "composed", "crisis", "safety"]
    candidate: str | None = Field(None, description="the LLM's text when the gate rejected it")
    gate: GateVerdict | None = None
    utterances: list[str] = Field(default_factory=list, description="ids of the bank utterances the reply is made of")


class TurnResult(BaseModel):
    turn_id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    index: int = 0
    created_at: str = Field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    user_text: str
    transcript: str | None = None
    perception: UserState
    safety: SafetyAssessment
    plan: Plan
    reply: ReplyInfo
    timings_ms: dict[str, float] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    state: DialogueState = Field(default_factory=DialogueState, description="the dialogue state after this turn")


class Sentence(BaseModel):
    """One streamed piece of the reply, ready for TTS and the avatar."""

    index: int
    text: str
