"""The dialogue state: what the conversation has established, updated once per turn at a flat cost.

``DialogueTracker.update(previous, text, vector)`` reads a new message — what it does (greeting, thanks, a direct
question, …; data/dialogue_acts.json), what the trouble is about (a trained problem-type head, smoothed over the
turns), what the person says happened (their own sentences), and whether it answers the agent's last question — and
returns the next ``DialogueState``. The composer then records what it said (utterance ids, openings, questions).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from ..heads import SoftmaxHead
from ..text import split_sentences
from ..types import AgentQuestion, DialogueState
from .events import LifeEvents

PROBLEM_RECIPES = {"minilm": "minilm-message-v1"}
PROBLEM_DECAY = 0.85      # per turn, how much of the earlier evidence about the problem type is kept
PROBLEM_MIN_SCORE = 0.25  # below this the problem type is not clear yet: 'general'
MESSAGE_PROBLEM_SCORE = 0.65  # one message this sure of its topic is a disclosure to answer as such
EVENT_WEIGHT = 0.7      # a named event ("my mom died", "we're being evicted") says what the trouble is better than the
                        # head reads it from one message: the message's problem scores lean this far towards it
EVENT_TURNS = 2         # … and frames the replies for this many turns after it
CUE_WEIGHT = 0.4        # … and a word that rarely means anything else ("rent", "my boss"; data/problem_cues.json) this far
CORRECTED_KEEP = 0.2    # a correction ("that's not what I said") keeps this much of the earlier evidence
EMOTION_TYPE_MIN_WORDS = 6
EMOTION_TYPE_MIN_SCORE = 0.3  # seven classes: below this the conversation's feeling is not clear yet
MAX_FACTS = 8
FACT_MIN_WORDS = 4
SAFETY_KIND = "safety"  # last_kinds mark of a safety reply or check-in: a correction of it is not about the topic
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")  # people type "hard. i keep …": split whatever the case


def _phrases(words: list[str]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


MAX_REJECTED = 8
REJECTED_STEM = 5  # a word is matched by its first letters: "guilty" and "guilt" are one, "studies" and "student" two
SUFFIX = re.compile(r"(?<=\w{4})(fully|ful|ness|less|ing|ed|ly|s)$")  # "painful" is "pain", so "Pain is real…" goes too


def _stems(text: str) -> set[str]:
    return {SUFFIX.sub("", w)[:REJECTED_STEM] for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= 4}


class DialogueActs:
    """What a message does, from phrase lists (data/dialogue_acts.json)."""

    def __init__(self, data_dir: Path):
        spec = json.loads((Path(data_dir) / "dialogue_acts.json").read_text())
        self.acts: list[tuple[str, re.Pattern, int]] = []
        for act in ("greeting", "thanks", "closing", "unsure", "better"):
            rule = spec[act]
            if "start" in rule:
                pattern = re.compile(rf"^\W*({_phrases(rule['start'])})\b", re.I)
            else:
                pattern = re.compile(rf"\b({_phrases(rule['anywhere'])})\b", re.I)
            self.acts.append((act, pattern, rule["max_words"]))
        self.question_start = re.compile(rf"^\W*({_phrases(spec['question_start'])})\b", re.I)
        self.advice = re.compile(rf"\b({_phrases(spec['advice_request'])})\b", re.I)
        self.discourse = re.compile(rf"^\W*({_phrases(spec['discourse'])})\W*$", re.I)
        self.discourse_start = re.compile(rf"^\W*({_phrases(spec['discourse'])})\b[\s,.!]*", re.I)
        self.inverted = re.compile(spec["inverted_question"], re.I)
        # "it's not about studying": a topic denied, and the problem types it rules out
        self.topic_problems = {k: v for k, v in spec["correction_topic_problems"].items() if not k.startswith("_")}
        correction_topic = spec["correction_topic"].replace("{topics}", _phrases(list(self.topic_problems)))
        self.correction_topic = re.compile(correction_topic, re.I)
        self.problem_denials = {p: re.compile(rule, re.I) for p, rule in spec["problem_denials"].items()}
        self.feeling_only = re.compile(spec["feeling_only"], re.I)
        self.interjection = re.compile(rf"^\W*(({_phrases(spec['interjections'])})\b[\s,.!]*)+", re.I)
        self.forms = {k: re.compile(v, re.I) for k, v in spec["question_forms"].items() if not k.startswith("_")}
        self.correction = re.compile(f'{spec["correction"]}|{correction_topic}', re.I)
        self.clarify = re.compile(spec["clarify"], re.I)
        self.request_to_talk = re.compile(spec["request_to_talk"], re.I)
        self.unheard = re.compile(spec["unheard"], re.I)
        self.rhetorical = re.compile(spec["rhetorical"], re.I)
        self.wants_practical = re.compile(spec["wants_practical"], re.I)
        self.embedded = re.compile(spec["embedded_question"], re.I)
        self.restated = re.compile(spec["restated_question"], re.I)
        self.restated_inversion = re.compile(spec["restated_inversion"], re.I)
        self.validation_request = re.compile(spec["validation_request"], re.I)
        self.any_step = re.compile(spec["any_step"], re.I)
        self.how_question = re.compile(spec["how_question"], re.I)
        self.unanswered = re.compile(spec["unanswered"], re.I)
        self.vague_referent = re.compile(spec["vague_referent"], re.I)
        self.voiced_worry = re.compile(spec["voiced_worry"], re.I)
        self.plan_ahead = re.compile(spec["plan_ahead"], re.I)
        self.plan_ahead_not = re.compile(spec["plan_ahead_not"], re.I)
        self.plan_ahead_max_words = spec["plan_ahead_max_words"]
        self.rejection_frames = spec["rejected"]["frames"]
        self.never_rejected = _stems(" ".join(spec["rejected"]["never"]))

    def rejected(self, text: str, last_reply: str, earlier: str) -> list[str]:
        """Stems of the last reply's words this message says were wrong ("uh what? i didnt say anything about an
        artist" → "artis"), never the person's own earlier words (data/dialogue_acts.json rejected)."""
        theirs = _stems(earlier)
        found = []
        for stem in sorted(_stems(last_reply) & _stems(text) - theirs - self.never_rejected):
            word = re.escape(stem)
            if any(re.search(frame.replace("{word}", rf"\b{word}"), text, re.I) for frame in self.rejection_frames):
                found.append(stem)
        return found

    def denied_problems(self, text: str) -> list[str]:
        """The problem types a correction says the talk is not about ("it's not really work" → work stress, job loss;
        "i still have the job" → job loss)."""
        denied = [p for p, rule in self.problem_denials.items() if rule.search(text)]
        found = self.correction_topic.search(text)
        if not found:
            return denied
        words = re.findall(r"[a-z]+", found.group(0).lower())
        return denied + [p for w in words for p in self.topic_problems.get(w, []) if p not in denied]

    def asked(self, text: str) -> list[str]:
        """The questions of a message that want an answer (questions() without corrections and echoes). A question
        asked after a complaint in one sentence is kept: "you kind of skipped the part where i said …, do you think
        it was my fault?" (round 29)."""
        out = []
        for question in self.questions(text):
            if not self.asks_nothing(question):
                out.append(question)
                continue
            tail = question.rsplit(",", 1)[-1].strip() if "," in question else ""
            if len(tail.split()) >= 3 and self.question_start.match(tail) and not self.asks_nothing(tail):
                out.append(tail)
        return out

    def asks_nothing(self, question: str) -> bool:
        """A question that wants no answer: a correction, "what does that even mean?", "did you read what i said?",
        "can i talk about something?"."""
        return any(p.search(question) for p in (self.correction, self.unheard, self.clarify, self.request_to_talk))

    def worry(self, text: str) -> str | None:
        """The sentence of a message that says what they fear ("what worries me most is she finds out and feels
        we're ganging up on her"): met like a question when a written answer is about it, else left to the reply."""
        return next((s for s in SENTENCE_END.split(text) if self.voiced_worry.search(s) and "?" not in s), None)

    def asks_any_step(self, question: str) -> bool:
        """'what should i do?', 'any advice?', 'how do i cope with this?': a question any next step for the
        trouble answers, with nothing more specific in it."""
        return bool(self.any_step.match(question.strip()))

    def asks_how(self, question: str) -> bool:
        """'how do i keep dancing with everything shut?': a way to find, not a fact to know."""
        return bool(self.how_question.match(question.strip()))

    def form(self, question: str) -> str | None:
        """The kind of question a general answer can meet ('normal', 'fault'), or None."""
        return next((k for k, pattern in self.forms.items() if pattern.search(question)), None)

    def in_question_form(self, question: str) -> bool:
        """Worded as a question ("should i…", "is it…", "how do i…"), not a statement with a '?' ("also its her
        life?", round 37): only such a question is told honestly that it can't be answered from here."""
        core = self.discourse_start.sub("", question).strip() or question
        return bool(self.question_start.match(core) or self.inverted.match(core))

    def questions(self, text: str) -> list[str]:
        """The person's direct questions: sentences with a '?', or asking for advice without one."""
        out = []
        for sentence in SENTENCE_END.split(text):
            core = self.discourse_start.sub("", sentence).strip() or sentence
            if self.rhetorical.match(core):
                continue  # "he only married me for my money. can you imagine.": to be heard, not answered
            asks = self.question_start.match(core) or self.inverted.match(core)
            if sentence.rstrip().endswith("??") and not asks:
                continue  # "honestly all of it??", "and it's almost 500??": disbelief, not a question to answer
            if sentence.rstrip().endswith("?") and len(core.split()) >= 3:
                out.append(core)
            elif (self.advice.search(sentence) and self.question_start.match(core)) or self.inverted.match(core):
                out.append(core)  # "how do people even decide this stuff": people often type no '?'
            elif (tail := core.rsplit(",", 1)[-1].strip()) != core and len(tail.split()) >= 4 \
                    and self.inverted.match(tail):
                out.append(tail)  # "and you didnt answer me, should i go to therapy or not" (round 34)
            elif embedded := self.embedded.search(sentence):
                # "i just dont know if i should stay or leave" asks "should i stay or leave"
                who, verb, rest = embedded["who"], embedded["verb"].lower(), embedded["rest"].rstrip(" .!")
                out.append(f"do {who} {verb} {rest}" if " " in verb else f"{verb} {who} {rest}")
            elif restated := self.restated.search(sentence):
                # "i was just asking if breaking up over this is reasonable": asked again, in other words
                rest = restated["rest"].rstrip(" .!")
                inverted = self.restated_inversion.match(rest)
                out.append(f"{inverted['modal']} {inverted['who']} {inverted['rest']}?" if inverted else f"{rest}?")
            elif self.validation_request.search(sentence):
                out.append(core)  # "i just want someone to tell me my feelings make sense" asks to hear it

        return out

    def act(self, text: str) -> str:
        words = len(text.split())
        greeting, pattern, max_words = self.acts[0]
        if words <= 8 and pattern.search(text):
            return greeting  # "hi, how are you?" greets; it does not ask for an answer about the agent
        if words <= 20 and self.request_to_talk.search(text):
            return greeting  # "can i talk about a living situation thing?" opens; it asks for a welcome
        if self.questions(text):
            return "question"
        own_step = words <= self.plan_ahead_max_words and self.plan_ahead.search(text) \
            and not self.plan_ahead_not.search(text)
        for act, pattern, max_words in self.acts:
            if words <= max_words and pattern.search(text):
                # "ok that actually makes sense, talk to him privately first": a step, not "feeling better"
                return "own_step" if act == "better" and own_step else act
        if own_step:
            # "maybe i will try the church social too. thank you dear": a step of their own, noticed as a step (round
            # 32: "maybe ill wait a few days like you said" was met with "glad you're feeling a bit better")
            return "own_step"
        return "statement"

    def greets(self, text: str) -> bool:
        return bool(self.acts[0][1].search(text))

    def is_discourse(self, sentence: str) -> bool:
        return bool(self.discourse.match(sentence))


class MessageHead:
    """A trained head over the shared MiniLM message embedding: the problem type (train_problem.py) or the seeker's
    emotion type (train_emotion_type.py), loaded on first use."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._head: SoftmaxHead | None = None

    @property
    def labels(self) -> list[str]:
        return self.head.labels

    @property
    def head(self) -> SoftmaxHead:
        if self._head is None:
            self._head = SoftmaxHead(self.path, PROBLEM_RECIPES)
        return self._head

    def scores(self, vector: np.ndarray) -> dict[str, float]:
        return dict(zip(self.head.labels, self.head.probabilities(vector[None, :])[0].tolist()))


def smoothed(previous: dict[str, float], evidence: float, current: dict[str, float],
             weight: float) -> tuple[dict[str, float], float]:
    """A running average weighted by how much each message says: a short "yeah, a bit" barely moves it."""
    kept = PROBLEM_DECAY * evidence
    merged = {k: kept * previous.get(k, 0.0) + weight * v for k, v in current.items()}
    total = kept + weight
    return {k: round(v / total, 4) for k, v in merged.items()}, round(total, 4)


class DialogueTracker:
    def __init__(self, data_dir: Path):
        self.acts = DialogueActs(data_dir)
        self.problems = MessageHead(Path(data_dir) / "problem_head.npz")
        self.emotion_types = MessageHead(Path(data_dir) / "emotion_type_head.npz")
        self.events = LifeEvents(data_dir)
        cues = json.loads((Path(data_dir) / "problem_cues.json").read_text())
        self.cues = {problem: re.compile(r"\b(" + _phrases(words) + ")", re.I)
                     for problem, words in cues.items() if not problem.startswith("_")}

    def setup(self) -> None:
        self.problems.head  # noqa: B018 — load now
        self.emotion_types.head  # noqa: B018

    def facts(self, text: str) -> list[str]:
        """Sentences that say what happened (not a feeling alone, a question, or 'yeah'), in the person's words."""
        out = []
        for sentence in SENTENCE_END.split(text):
            sentence = self.acts.interjection.sub("", sentence.strip()).strip()
            if (len(sentence.split()) < FACT_MIN_WORDS or sentence.endswith("?") or self.acts.feeling_only.match(sentence)
                    or self.acts.is_discourse(sentence) or self.acts.act(sentence) != "statement"):
                continue
            out.append(sentence)
        return out

    @staticmethod
    def lean(scores: dict[str, float], told: list[str], weight: float) -> dict[str, float]:
        """The head's reading of one message moved towards the problem types its words plainly tell."""
        told = [p for p in told if p in scores]
        if not told:
            return scores
        return {k: (1 - weight) * v + weight * told.count(k) / len(told) for k, v in scores.items()}

    def update(self, previous: DialogueState, text: str, vector: np.ndarray,
               history: Sequence[tuple[str, str]] = ()) -> DialogueState:
        """The state after this message; history: the earlier (message, reply) pairs, the last few are enough."""
        state = previous.model_copy(deep=True)
        state.act = self.acts.act(text)
        # "not painful, just ringing": that word is not said again until they use it themselves
        fresh = self.acts.rejected(text, history[-1][1], " ".join(u for u, _ in history)) if history else []
        kept = [stem for stem in state.rejected if stem in fresh or not re.search(rf"\b{stem}", text, re.I)]
        state.rejected = (kept + [stem for stem in fresh if stem not in kept])[-MAX_REJECTED:]
        current = self.problems.scores(vector)
        current = self.lean(current, [p for p, cue in self.cues.items() if cue.search(text)], CUE_WEIGHT)  # "rent"
        # an event last: "my mom passed, probably covid" is grief, whatever the word "covid" leans to
        told = [e.problem for e in self.events.read(text) if e.problem and not self.events.in_passing(e)]
        current = self.lean(current, told, EVENT_WEIGHT)  # "my mom died"
        # "i lost my mom recently" then "i keep wondering if i could have done something": still the loss (round 32
        # heard a health question in the second, its back pain two turns before)
        if told:
            state.event_problem, state.event_turns = told[-1], 0
        elif state.event_problem:
            state.event_turns += 1
            if state.event_turns > EVENT_TURNS:
                state.event_problem, state.event_turns = "", 0
        corrected = bool(self.acts.correction.search(text))
        state.wants_practical = previous.wants_practical or bool(self.acts.wants_practical.search(text))
        # "what does that even mean?", "i already said my sister can't help": owned too, nothing ruled out
        state.corrected = corrected or bool(self.acts.clarify.search(text) or self.acts.unheard.search(text))
        # "no, it's not me forgiving her, SHE wants me to apologize": a correction of a detail, in words that still
        # read as the same trouble, keeps that trouble
        told_again = current.get(previous.problem, 0.0) >= max(current.values()) \
            and not self.acts.correction_topic.search(text)
        denied = self.acts.denied_problems(text)  # "it's not really work, work is fine": not work, whatever it leans to
        if corrected and previous.problem != "general" and SAFETY_KIND not in previous.last_kinds and not told_again \
                and not denied:
            # "it's not about studying": what the talk was taken to be about is ruled out for a while ("whoa, i'm not
            # suicidal, i'm scared of losing my apartment" corrects the safety reply, not the talk's topic); a
            # correction that names what it is not rules out only that ("again, im not a student. im a teacher" is
            # not about work being wrong)
            state.ruled_out = (state.ruled_out + [previous.problem])[-3:]
        if denied:
            state.ruled_out = (state.ruled_out + [p for p in denied if p not in state.ruled_out])[-3:]
        current = {k: (0.0 if k in state.ruled_out else v) for k, v in current.items()}
        said = self.facts(text)
        top = max(current, key=current.get)
        # a new disclosure ("my mom died of covid") is answered for what it is, whatever the talk was about before
        state.message_problem = top if current[top] >= MESSAGE_PROBLEM_SCORE and top != "general" and said else ""
        if state.act == "statement" and not previous.facts and self.acts.greets(text) and \
                max(current, key=current.get) == "general":
            state.act = "greeting"  # "hello dear. my granddaughter showed me how to use this": a longer hello
        if state.act == "greeting" and said and max(current, key=current.get) != "general":
            state.act = "statement"  # "hi um. i think i messed up really bad at school" says what is wrong
        # "i literally just said it's not about studying??" corrects; it asks for nothing to be answered
        questions = self.acts.asked(text)
        unanswered = bool(self.acts.unanswered.search(text)) and bool(previous.open_question)
        state.corrected = state.corrected or unanswered
        # of two questions, the one a written answer can meet ("is it normal that it hurts this much?") before a
        # last, vaguer one ("should i just end it?")
        formed = [q for q in questions if self.acts.form(q) in {"normal", "fault", "regret"}]
        state.open_question = (formed or questions)[-1] if questions else None
        if unanswered and not questions:
            state.open_question = previous.open_question  # "you didn't answer my question": it is asked again
        if state.act not in {"greeting", "thanks", "closing"}:
            weight = min(1.0, len(text.split()) / 12)
            evidence = previous.problem_evidence * (CORRECTED_KEEP if corrected else 1.0)
            state.problem_scores, state.problem_evidence = smoothed(
                {k: (0.0 if k in state.ruled_out else v) for k, v in previous.problem_scores.items()},
                evidence, current, weight)
            best = max(state.problem_scores, key=state.problem_scores.get)
            state.problem = best if state.problem_scores[best] >= PROBLEM_MIN_SCORE else "general"
            if len(text.split()) >= EMOTION_TYPE_MIN_WORDS:  # trained on seeker turns of 6+ words
                state.emotion_type_scores, _ = smoothed(previous.emotion_type_scores, previous.problem_evidence,
                                                        self.emotion_types.scores(vector), weight)
                best = max(state.emotion_type_scores, key=state.emotion_type_scores.get)
                state.emotion_type = best if state.emotion_type_scores[best] >= EMOTION_TYPE_MIN_SCORE else ""
        state.facts = (state.facts + said)[-MAX_FACTS:]
        if state.agent_questions and not state.agent_questions[-1].answered and state.act not in {"greeting"}:
            # any reply that is not itself only a question or "I don't know" answers what the agent asked
            last = state.agent_questions[-1]
            last.answered = state.act not in {"unsure"} and not (questions and len(text.split()) <= 8)
        return state

    @staticmethod
    def record_reply(state: DialogueState, turn: int, utterance_ids: list[str], reply: str, *, suggested: bool,
                     kinds: list[str] = ()) -> None:
        """After the reply: what was said, so nothing repeats and the next turn knows what was asked."""
        question = next((s for s in split_sentences(reply) if s.endswith("?")), None)
        state.used = (state.used + utterance_ids)[-200:]
        opening = " ".join(re.findall(r"[a-z']+", reply.lower())[:3])
        state.openings = (state.openings + [opening])[-3:]
        if question:
            state.agent_questions = (state.agent_questions + [AgentQuestion(text=question, turn=turn)])[-10:]
        state.suggested = state.suggested or suggested
        state.last_kinds = list(kinds)

    @staticmethod
    def replace_reply(state: DialogueState, turn: int, reply: str) -> None:
        """The conversation went on with other words than the agent's reply (a reply benchmark feeds the real
        supporter's turn): what the next turn reads — the last opening, the question asked — becomes theirs.
        The bank utterances the agent chose stay used, so it still never repeats itself."""
        question = next((s for s in split_sentences(reply) if s.endswith("?")), None)
        state.openings = state.openings[:-1] + [" ".join(re.findall(r"[a-z']+", reply.lower())[:3])]
        state.agent_questions = [q for q in state.agent_questions if q.turn != turn]
        if question:
            state.agent_questions = (state.agent_questions + [AgentQuestion(text=question, turn=turn)])[-10:]
        state.last_kinds = []
