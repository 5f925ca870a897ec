"""The Agent: one turn = perceive → safety → plan → reply, streamed sentence by sentence.

``Agent(settings).respond(text)`` returns a TurnResult; ``Agent.stream(text)`` yields Sentences as they are
ready, with ``.plan`` set before the first and ``.turn`` after the last. Heavy models load once, in ``setup()``.
"""
from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Union

import numpy as np

from .affect.agent_emotion import next_agent_emotion
from .affect.strategy import StrategyContext, StrategyPlanner, load_strategy_planner
from .config import Settings
from .embeddings import shared_embedder
from .audio import AudioError, load_audio
from .perception.perceiver import Perceiver
from .perception.text import TextEmotionModel
from .perception.video import VideoError, video_frames
from .persona import load_avatar
from .planner.coe import CoEPlanner
from .planner.bank import ResponseBank
from .planner.compose import CRISIS, GroundedComposer, TurnContext
from .planner.dialogue import SAFETY_KIND, DialogueTracker
from .planner.gate import QualityGate
from .planner.llm import LLM, LLMError
from .planner.ranker import ResponseRanker
from .safety import ONGOING_DANGERS, SELF_RISK, CrisisDetector
from .store import ConversationStore
from .text import InputError, clean_user_text, split_sentences
from .types import DialogueState, Plan, ReplyInfo, Sentence, TurnResult, UserState


AudioInput = Union[str, Path, bytes, np.ndarray]
ImageInput = Union[str, Path, bytes, np.ndarray]
VideoInput = Union[str, Path, bytes]  # a clip of the person talking: its frames for the face, its sound for the words
RECENT_TURNS = 10  # the turns the dialogue state reads back, so a turn costs the same however long the talk is


@dataclass
class TurnInput:
    text: str | bytes | None = None
    audio: AudioInput | None = None
    image: ImageInput | None = None
    video: VideoInput | None = None


class TurnStream:
    """Iterate for the reply's sentences; ``plan`` is known before the first, ``turn`` after the last."""

    def __init__(self, agent: "Agent", given: TurnInput):
        self.plan: Plan | None = None
        self.turn: TurnResult | None = None
        self._events = agent._run_turn(given, self)

    def __iter__(self) -> Iterator[Sentence]:
        return self._events

    def result(self) -> TurnResult:
        for _ in self:
            pass
        assert self.turn is not None
        return self.turn


class Agent:
    def __init__(self, settings: Settings | None = None, *, strategy_planner: StrategyPlanner | None = None,
                 llm: LLM | None = None, store: ConversationStore | None = None, session_id: str | None = None):
        self.settings = settings or Settings()
        s = self.settings
        self.avatar = load_avatar(s.avatars_dir, s.avatar)
        self.embedder = shared_embedder(s.embedder(), s.torch_threads)
        self.text_emotion = TextEmotionModel(self.embedder, s.data_dir, s.cache_dir)
        self.perceiver = Perceiver(s, self.embedder, text_model=self.text_emotion)
        self._asr = None  # speech recognition loads on the first spoken turn
        self.safety = CrisisDetector.from_settings(s, self.embedder)
        self.strategy_planner = strategy_planner or load_strategy_planner(s, self.embedder)
        self.llm = llm or LLM(s)
        self.gate = QualityGate(self.embedder, s.planner.max_reply_words, s.planner.min_relevance)
        self.tracker = DialogueTracker(s.data_dir)
        bank = ResponseBank(s.data_dir, self.embedder, ResponseRanker(s.data_dir / "ranker.npz"), s.cache_dir)
        self.composer = GroundedComposer(self.embedder, bank, self.tracker, s.data_dir, s.planner.max_reply_words)
        self.coe = CoEPlanner(self.llm, self.gate, s.data_dir, s.prompts_dir, s.planner.max_reply_words)
        self.history: list[TurnResult] = []
        self._lock = threading.Lock()  # one turn at a time per conversation
        self.store = store
        self.session_id = session_id
        if store is not None:
            self.session_id = session_id or store.new_session_id()
            self.history = store.turns(self.session_id)  # resume

    def fork(self, *, session_id: str | None = None) -> "Agent":
        """A new conversation that shares this agent's loaded models (cheap: one per user or browser tab)."""
        other = copy.copy(self)
        other._lock = threading.Lock()
        other.history = []
        other.session_id = None
        if self.store is not None:
            other.session_id = session_id or self.store.new_session_id()
            other.history = self.store.turns(other.session_id)
        return other

    def setup(self, *, llm: bool | None = None) -> "Agent":
        """Load every model now (otherwise each loads on first use). The LLM is loaded only for the llm planner
        (or llm=True): a grounded reply never calls it."""
        if llm is None:
            llm = self.settings.planner_mode == "llm"
        self.embedder.setup()
        self.perceiver.setup()
        self.safety.setup()
        self.strategy_planner.setup()
        self.composer.setup()
        if llm:
            self.llm.setup()
        return self

    def reset(self) -> None:
        """Start a new conversation (a new session in the store; the old one stays until deleted)."""
        self.history = []
        if self.store is not None:
            self.session_id = self.store.new_session_id()

    def follow(self, reply_text: str) -> None:
        """Replace the last reply with someone else's words, as if they had been said (a reply benchmark answers
        real ESConv histories: each next turn must see the human supporter's reply, not the agent's). Not stored."""
        if not self.history:
            raise ValueError("no reply to replace")
        last = self.history[-1]
        state = last.state.model_copy(deep=True)
        self.tracker.replace_reply(state, last.index, reply_text)
        self.history[-1] = last.model_copy(update={"reply": last.reply.model_copy(update={"text": reply_text}),
                                                   "state": state})

    def respond(self, text: str | bytes | None = None, *, audio: AudioInput | None = None,
                image: ImageInput | None = None, video: VideoInput | None = None) -> TurnResult:
        """One turn from text and/or speech (transcribed when there is no text) and/or a face image, or a video
        (its frames read for the face, its sound for speech when no separate audio is given)."""
        return self.stream(text, audio=audio, image=image, video=video).result()

    def stream(self, text: str | bytes | None = None, *, audio: AudioInput | None = None,
               image: ImageInput | None = None, video: VideoInput | None = None) -> TurnStream:
        return TurnStream(self, TurnInput(text=text, audio=audio, image=image, video=video))

    @property
    def asr(self):
        if self._asr is None:
            from .speech.asr import load_asr

            self._asr = load_asr(self.settings)
        return self._asr

    def _listen(self, audio: AudioInput, warnings: list[str], timings: dict[str, float]) -> tuple[np.ndarray, str]:
        """Decode the audio and transcribe it; the transcript stands in for typed text."""
        t = time.perf_counter()
        samples = load_audio(audio, 16000, self.settings.speech.max_audio_seconds)
        transcript = self.asr.transcribe(samples, 16000)
        warnings += transcript.warnings
        timings["asr"] = round((time.perf_counter() - t) * 1000, 1)
        return samples, transcript.text.strip()

    def _read_media(self, given: "TurnInput", warnings: list[str],
                    timings: dict[str, float]) -> tuple[np.ndarray | None, str | None, list[np.ndarray] | None]:
        """A turn's recording and/or clip → (speech samples, transcript, video frames). A clip's sound is its
        speech when no separate audio came; unusable media is a warning while typed words still make a turn."""
        samples, transcript, frames = None, None, None
        if given.video is not None:
            t = time.perf_counter()
            try:
                frames = video_frames(given.video)
            except VideoError as error:
                if given.text is None and given.audio is None:
                    raise InputError(f"I couldn't use the video: {error}") from error
                warnings.append(f"video: {error}")
            timings["video"] = round((time.perf_counter() - t) * 1000, 1)
        sound = given.audio if given.audio is not None else (given.video if frames is not None else None)
        if sound is None:
            return samples, transcript, frames
        try:
            samples, transcript = self._listen(sound, warnings, timings)
        except AudioError as error:
            if given.text is None:
                if given.audio is None:
                    raise InputError("I couldn't hear any words in the video; could you type what you'd like to "
                                     "say?") from error
                raise
            warnings.append(f"{'audio' if given.audio is not None else 'video sound'}: {error}")
        if given.text is None and not transcript:
            raise InputError("I couldn't make out any words in the recording; could you say it again or type it?")
        return samples, transcript, frames

    # -- one turn -----------------------------------------------------------------------------------------
    def _run_turn(self, given: "TurnInput", stream: TurnStream) -> Iterator[Sentence]:
        with self._lock:
            start = time.perf_counter()
            timings: dict[str, float] = {}

            def lap(name: str, since: float) -> float:
                now = time.perf_counter()
                timings[name] = round((now - since) * 1000, 1)
                return now

            warnings: list[str] = []
            samples, transcript, frames = self._read_media(given, warnings, timings)
            text, text_warnings = clean_user_text(given.text if given.text is not None else transcript,
                                                  self.settings.max_input_chars)
            warnings += text_warnings
            t = time.perf_counter()
            context_utterances = [turn.user_text for turn in self.history[-2:]]
            user_state = self.perceiver.perceive(text, audio=samples, image=given.image, frames=frames,
                                                 context=context_utterances,
                                                 speaker_id=self.session_id or "user")
            warnings += user_state.warnings
            t = lap("perception", t)
            state = self.tracker.update(self.history[-1].state if self.history else DialogueState(), text,
                                        self.embedder.encode_one(text),
                                        [(h.user_text, h.reply.text) for h in self.history[-RECENT_TURNS:]])
            safety = self.safety.assess(text, user_state.fused, [h.safety for h in self.history], state.safety)
            safety_before, state.safety = state.safety, self.safety.next_state(state.safety, safety)
            if safety.escalate and safety.category in SELF_RISK:
                state.safety.crisis_turn = len(self.history)
            t = lap("safety", t)
            previous_emotion = self.history[-1].plan.agent_emotion if self.history else None
            agent_emotion = next_agent_emotion(previous_emotion, user_state.fused, self.settings.data_dir,
                                               self.avatar.personality)
            ctx = TurnContext(text, user_state, len(self.history), [(h.user_text, h.reply.text) for h in self.history],
                              self.avatar.name, self.avatar.style, state)

            sentences: list[Sentence] = []
            reply: ReplyInfo | None = None

            def emit(piece: str) -> Iterator[Sentence]:
                for part in split_sentences(piece):
                    sentence = Sentence(index=len(sentences), text=part)
                    if not sentences:
                        timings["first_sentence"] = round((time.perf_counter() - start) * 1000, 1)
                    sentences.append(sentence)
                    yield sentence

            # a danger from someone else (abuse, threats) or toward others, once named, is talked through: later
            # turns get the normal reply, their questions answered, with help named in a line
            ongoing = safety.escalate and safety.category in ONGOING_DANGERS and safety_before.escalations > 0
            # the turns after a crisis reply: a normal reply that stays with them, and help named in a line
            after_crisis = not safety.escalate and state.safety.check_in_answer != "no" \
                and any(h.safety.escalate for h in self.history[-3:])  # after a "no", no help footer either
            first_worry = safety.category == "someone_else" and not safety_before.about_someone_else
            if (safety.escalate and not ongoing) or first_worry:
                stream.plan = self._crisis_plan(user_state, safety.category, agent_emotion, state)
                t = lap("planning", t)
                reply = self._safety_reply(ctx, safety, safety_before, first_worry)
                self.tracker.record_reply(state, ctx.turn_index, [], reply.text, suggested=True, kinds=[SAFETY_KIND])
                yield from emit(reply.text)
            elif help_answer := self._help_question_answer(ctx, safety, ongoing):
                stream.plan = self._crisis_plan(user_state, "suicide", agent_emotion, state)
                t = lap("planning", t)
                reply = ReplyInfo(text=help_answer, source="safety")
                self.tracker.record_reply(state, ctx.turn_index, [], reply.text, suggested=True, kinds=[SAFETY_KIND])
                yield from emit(reply.text)
            else:
                # a check-in is the reply's one question: beside another ("What's weighing on you most? Can I ask
                # you directly: are you having thoughts of ending your life…?") a "yeah, it's the lockdown" answered
                # the first and was read as a yes (round 32). The reply is held, and its own questions dropped.
                held: list[str] | None = [] if safety.check_in else None

                def say(piece: str) -> Iterator[Sentence]:
                    if held is None:
                        yield from emit(piece)
                    else:
                        held.append(piece)

                choice = self.strategy_planner.choose(StrategyContext(
                    text, user_state, len(self.history), [h.plan.strategy for h in self.history],
                    ctx.history))
                # a medical emergency ("no wet diaper in 10 hours, fever almost 104") gets the written line in
                # every mode: the grounded composer says it
                if self.settings.planner_mode == "llm" and self.composer.urgent_care(ctx) is None:
                    try:
                        for event in self.coe.stream(ctx, choice, agent_emotion, self.composer.notes(ctx)):
                            if isinstance(event, Plan):
                                stream.plan = event
                                t = lap("planning", t)
                            elif isinstance(event, ReplyInfo):
                                reply = event
                            else:
                                yield from say(event)
                    except (LLMError, ValueError) as error:
                        if sentences or held:  # part of the reply was already said: close it rather than restart
                            warnings.append(f"the LLM stopped mid-reply: {error}")
                            reply = ReplyInfo(text=" ".join([s.text for s in sentences] + (held or [])), source="llm")
                        else:
                            warnings.append(f"LLM planner failed, used the grounded planner: {error}")
                    if reply is not None:
                        self.tracker.record_reply(state, ctx.turn_index, [], reply.text, suggested=False)
                if reply is None:
                    stream.plan = self.composer.plan(ctx, choice, agent_emotion)
                    t = lap("planning", t)
                    for event in self.composer.write(ctx, stream.plan, warnings):
                        if isinstance(event, ReplyInfo):
                            reply = event
                        else:
                            yield from say(event)
                if held is not None and reply is not None:
                    kept = [s for piece in held for s in split_sentences(piece) if not s.endswith("?")]
                    for piece in kept:
                        yield from emit(piece)
                    reply = reply.model_copy(update={"text": " ".join(kept)})
                    self.tracker.replace_reply(state, ctx.turn_index, reply.text)
                name_help = (ongoing or after_crisis) and not self._help_named_lately()
                extra = self.safety.check_in() if safety.check_in else self.safety.resources("brief") if name_help else ""
                if extra and reply is not None:
                    # whatever the planner said, the person also hears a direct, gentle question and where help is
                    yield from emit(extra)
                    reply = reply.model_copy(update={"text": f"{reply.text} {extra}".strip()})
                    if safety.check_in:
                        state.last_kinds = [*state.last_kinds, SAFETY_KIND]
            timings["reply"] = round((time.perf_counter() - t) * 1000, 1)
            timings["total"] = round((time.perf_counter() - start) * 1000, 1)
            stream.turn = TurnResult(index=len(self.history), user_text=text, transcript=transcript,
                                     perception=user_state, safety=safety,
                                     plan=stream.plan, reply=reply, timings_ms=timings, warnings=warnings, state=state)
            if self.store is not None:
                self.store.append(self.session_id, stream.turn, self.settings.avatar)  # committed before the turn counts as answered
            self.history.append(stream.turn)

    def _help_named_lately(self) -> bool:
        """Help was named in one of the last two replies: naming it under every reply reads as a script."""
        brief = self.safety.resources("brief")
        return any(brief in h.reply.text for h in self.history[-2:])

    def _help_question_answer(self, ctx: TurnContext, safety, ongoing: bool) -> str:
        """A question about the danger itself, answered from what was written for it, with help named in a line;
        "" otherwise. Two moments: a danger from someone else that has its own help (pictures, stalking, a threat)
        goes on ("can he actually do that? should i go to the police or just pay him?"), or, just asked whether
        they think of ending their life, they answer with a question about the help instead of a no ("if i call
        one of those hotlines, are they going to take my guns?")."""
        if not ctx.state.open_question:
            return ""
        if ongoing and self.safety.language.abuse_kind(ctx.known_text):
            answer = self.composer.answer_text(ctx, written_for="harassment")
        elif not safety.escalate and self.history and self.history[-1].safety.check_in \
                and ctx.state.safety.check_in_answer == "none":
            answer = self.composer.answer_text(ctx, written_for=CRISIS)
        else:
            return ""
        if answer and not self._help_named_lately():
            answer = f"{answer} {self.safety.resources('brief')}"
        return answer

    def _safety_reply(self, ctx: TurnContext, safety, before, first_worry: bool) -> ReplyInfo:
        """When safety takes the turn: the reply for the danger (for someone else's risk, help for the helper),
        with the person's question answered where the danger is one to act on (abuse, threats, someone else's
        risk). In a suicidal moment only the answers written for it are given (what a crisis line does, whether
        police come, whether it is normal to think this); any other question ("would the insurance still pay?") is
        never answered from the bank: the reply stays with the person."""
        asked = bool(ctx.state.open_question)
        if not safety.escalate:
            words, source = self.safety.someone_else_reply(ctx.known_text), "safety"
        else:
            words = self.safety.crisis_reply(safety.category, before, name_help=not self._help_named_lately(),
                                             conversation=ctx.known_text, message=ctx.user_text,
                                             said_before=" ".join(h.reply.text for h in self.history[-10:]))
            source = "crisis"
        answer = ""
        if asked and (first_worry or safety.category in ONGOING_DANGERS):
            answer = self.composer.answer_text(ctx)  # "should I go to the police?" is answered now
        elif asked and safety.category in SELF_RISK:
            # only what was written for this moment: "what would a crisis line actually do? would they send police?",
            # and where pictures are the threat behind it, "should i just pay them??"
            # "do i pay or not? do i go to the police?" where pictures are the threat: that danger's answers first
            pictures = self.safety.language.abuse_kind(ctx.known_text) == "image"
            answer = self.composer.answer_text(ctx, written_for="harassment") if pictures else ""
            answer = answer or self.composer.answer_text(ctx, written_for=CRISIS)
        if answer:  # the answer takes the place of the reply's closing question
            words = " ".join([s for s in split_sentences(words) if not s.endswith("?")] + [answer])
        return ReplyInfo(text=words, source=source)

    def _crisis_plan(self, user_state: UserState, category: str, agent_emotion, state: DialogueState) -> Plan:
        fused = user_state.fused
        scenario = "worried about someone else's safety" if category == "someone_else" else f"possible crisis ({category})"
        return Plan(mode="crisis", emotion=fused.fine_label or fused.label, event_scenario=scenario,
                    emotion_cause=state.facts[-1] if state.facts else "", goal="keep them safe: acknowledge, stay calm, point to human help now",
                    stage="comforting", strategy="Information", strategy_reason="safety comes first: crisis resources",
                    agent_emotion=agent_emotion)
