"""Grounded replies (the default with a small LLM): whole utterances from the response bank, chosen by the trained
ranker for the dialogue state. Nothing is built from fragments of the person's words.

A reply has a shape — which kinds of utterance, in which order (data/reply_shapes.json) — chosen from what the
message does (a greeting, thanks, a direct question, …) and the ESC strategy the planner picked; each slot is then
filled by the best candidate of that kind for the problem type that:
- was not said before in this conversation (nor anything too close to it), and does not open like a recent reply;
- mentions no detail the person never gave ("your boss", "he", a feeling they never showed);
- for a real supporter turn from ESConv: uses only general support words and points at nothing of its own dialogue.
A direct question is answered first, from reviewed knowledge only: by the entry whose listed questions are nearest to
it, else by the problem's best next step or the nearest suggestion or information, else honestly (general answers).
Just after a suicidal disclosure only lines written for that moment are said; for someone worried about another
person's safety, lines for helpers.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import numpy as np

from ..affect.strategy import StrategyChoice
from ..embeddings import Embedder
from ..types import AgentEmotion, DialogueState, Plan, ReplyInfo, UserState
from .bank import GENERAL, KIND_STRATEGY, ResponseBank
from .decision import Decision, DecisionReader, lemma_tables
from .dialogue import SENTENCE_END, DialogueTracker
from .esconv_text import details_fit
from .gate import ASKS_WHEN, SAID_WHEN, presumed_feelings
from .judgment import JudgmentReader
from .raising import RaisingReader
from .ranker import DialogueQuery
from .restate import Restater
from .urgent import UrgentCare

ANSWER_MATCH = 0.6          # cosine of the person's question to an answer's listed question: that answer fits
GENERAL_ANSWER_MATCH = 0.7  # answers written for any problem (about the agent itself, too) need a closer match
ANSWER_RELEVANCE = 0.15     # … and the answer's own words must touch the question (MiniLM pairs questions loosely)
ANSWER_MATCH_ANY_PROBLEM = 0.75  # … so close that it fits even when it was written for another problem type
ANSWER_MATCH_NAMED_TOPIC = 0.62  # … or one for a plausible trouble whose listed question's topic words were all said
ANSWER_MATCH_EVERYWHERE = 0.7    # … or, while the trouble is not known, one of any type ("can you help with zoom?"; its topic words said)
ANSWER_MATCH_OWN_TOPICAL = 0.55  # … or, for the talk's own trouble, a little looser where the answer's words are
ANSWER_OWN_RELEVANCE = 0.45      # this close to the question ("is it normal to be this hurt?" after a lie: "being
                                 # lied to often hurts more…", not "Many people feel this way when life gets hard")
ANSWER_MATCH_VERY_CLOSE = 0.78   # … or of any type at all, this close, half its topic words said ("are there other ways
                                 # someone my age could meet people?" after a husband left: loneliness's answer)
LISTED_ONLY_MATCH = 0.65   # … for an answer to one situation's own question (data/knowledge "match": "listed")
VERBATIM_QUESTION = 0.95   # the person's bare question this close to a listed one: asked word for word
PLAUSIBLE_PROBLEM = 0.15    # … that this conversation could be about (its smoothed score)
FORM_MATCH = 0.75           # an answer to the same kind of question: cosine to its listed question plus to its text
FORM_GROUNDING = 0.5        # … and at least this share of its listed question's topic words said (not "private")
GENERAL_FORM_MATCH = 0.55   # … less for answers written for any problem ("Not silly at all; there's no age…")
ANSWER_TOPIC_MATCH = 0.35   # cosine of the question to a suggestion/information text: it engages the question
NEAR_REPEAT = 0.85          # cosine to an utterance already said: too close to say again
SPECIFIC_BONUS = 0.08       # an utterance written for this problem type beats a general one of similar fit
ESCONV_PENALTY = 0.25       # Attune's reviewed knowledge first; ESConv turns (weaker in role-plays) when it runs short
PROBLEM_CONFIDENT = 0.3    # the problem type's smoothed score needed for problem-specific utterances
TOPIC_WEIGHT = 0.5          # the candidate's closeness to this very message, beside the ranker's dialogue-level score
UNGROUNDED_PENALTY = 0.07   # per specific word the person never used ("grades", "social media"): details they
UNGROUNDED_MAX = 4          # may not have; general words (knowledge written for any problem) cost nothing
SOMEONE_AT_RISK = "someone_at_risk"
CRISIS, CRISIS_TURNS = "crisis", 3
SAFETY_FRAMES = {CRISIS, SOMEONE_AT_RISK}  # where only lines written for that moment are said
HARASSMENT = "harassment"  # threats, stalking, image abuse: the troubles whose choices are not weighed like any other
ABUSE = "abuse"  # safety's category for a danger from someone else
MAX_EVENTS = 2              # events named back in one reply
QUESTION_ALONE_WORDS = 9   # a question shorter than this is read with the sentence before it
CONTEXT_WORDS = 4          # … unless that sentence is as short as "yeah ok."
QUESTION_ADDED_WORDS = 40  # … and any question with the sentence after it, up to this long (what they mean by it)
ASKED_BEFORE = 0.7          # cosine of a question to one the agent already asked: don't ask it again
SHARED_WORD_BONUS = 0.1     # per content word an answer shares with the question (two at most)
DECISION_EXTRA_WORDS = 10   # a decision said back, weighed and its worry met may run a little past the usual length
TWO_ANSWERS_LENGTH = 1.5     # two direct questions, each met by a written answer, may run this much past the length
STRONG_ANSWER = 0.8         # a written answer whose listed question is this close beats the general decision line
# the least closeness (cosine to this message) a line of the reply's body needs, by kind and whether it was written
# for the problem type or for anyone: below it, a reader of rounds 18–20 labelled most such lines filler ("You
# don't have to have it all figured out…", 95 % of general affirmations) or a wrong guess (tests/data/roleplay/labels)
TOPICAL_FLOOR = {("reflection", True): 0.30, ("reflection", False): 0.33, ("affirmation", True): 0.33,
                 ("affirmation", False): 0.30, ("suggestion", True): 0.30, ("question", True): 0.25}
ESCONV_FLOOR = 0.4           # … and a real supporter turn from another dialogue, unlabelled there, a closer one still
ANSWER_ENGAGES = 0.3        # cosine of an answer's text to the question below which it answers something else
                            # (round 15: "do you know how i get the camera working?" → a study timer, 0.29 … 0.02)
ANSWER_CLEARLY_ENGAGES = 0.45  # … at which it needs no word in common with the question
LISTED_ENGAGES = 0.7        # … or written for a question this close ("do you think i'll even find anything?", 0.79)
TERRITORY = 0.5            # a question this close to one a trouble's answers were written for is about that trouble
STEP_TRIES = 4              # the problem's next steps, best first, tried for one about what was asked
GROUNDED_SHARE = 0.6         # the share of a general answer's listed-question topic words said that grounds it
RESTATED_TURNS = 3          # a clause whose words a reply of the last few turns already said is not said back


@dataclass
class TurnContext:
    user_text: str
    user_state: UserState
    turn_index: int
    history: list[tuple[str, str]]
    persona_name: str
    persona_style: str
    state: DialogueState = field(default_factory=DialogueState)
    shape: list[str] = field(default_factory=list)  # the kinds of utterance the reply is made of, once planned
    unsaid: tuple[tuple, np.ndarray] | None = field(default=None, repr=False)  # (which ids were said, mask): _unsaid
    # question_vector's readings, read once a turn: matching, engagement and territory all ask for the same question
    question_vectors: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def known_text(self) -> str:
        """Everything the person has said: details a reply may mention must be in here."""
        return " ".join([self.user_text] + [u for u, _ in self.history])


@lru_cache(maxsize=20000)
def _lemmas(word: str) -> frozenset[str]:
    """A word and its lemmas as verb and noun ("lying" → lie, "arrests" → arrest)."""
    get_lemma = lemma_tables()[2]
    return frozenset({word, *get_lemma(word, upos="VERB"), *get_lemma(word, upos="NOUN")})


def said_lemmas(text: str) -> frozenset[str]:
    return frozenset().union(*(_lemmas(w) for w in _words(text)))


WH_QUESTION = re.compile(r"^\W*(?:why|how|what|where|when|who|which)\b", re.I)  # asks something other than yes or no


def says_rejected(state: DialogueState, text: str) -> bool:
    """The line uses a word the person said was wrong (DialogueState.rejected)."""
    return any(re.search(rf"\b{stem}", text, re.I) for stem in state.rejected)


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in re.findall(r"[a-z']+", text.lower())}


class GroundedComposer:
    def __init__(self, embedder: Embedder, bank: ResponseBank, tracker: DialogueTracker, data_dir: Path,
                 max_words: int):
        self.embedder, self.bank, self.tracker = embedder, bank, tracker
        self.data_dir, self.max_words = Path(data_dir), max_words
        self._ready = False

    def setup(self) -> None:
        if self._ready:
            return
        self.bank.setup()
        self.tracker.setup()
        self.shapes = json.loads((self.data_dir / "reply_shapes.json").read_text())
        self.good_news_turns = re.compile(r"\b(" + "|".join(map(re.escape, self.shapes["good_news_turns"])) + r")\b",
                                          re.I)
        self.opening_topics = [(problem, re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.I))
                               for problem, words in self.shapes["opening_topics"].items() if not problem.startswith("_")]
        self.events = self.tracker.events
        self.decisions = DecisionReader(self.data_dir)
        self.raising = RaisingReader(self.data_dir)
        self.judgments = JudgmentReader(self.data_dir)
        self.urgent = UrgentCare(self.data_dir)
        self.decisions.warm()
        self.restater = Restater(self.data_dir)
        self.strategy_specs = json.loads((self.data_dir / "strategies.json").read_text())["strategies"]
        types = json.loads((self.data_dir / "problem_types.json").read_text())
        self.problem_label = {k: v["label"] for k, v in types.items() if not k.startswith("_")}
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        # the words a real supporter turn may use: function words and the vocabulary of Attune's general
        # knowledge, so the turns said are the ones that fit any conversation ("How are you feeling about it?")
        general = [u.text for u in self.bank.utterances if u.source == "attune" and u.problem == GENERAL]
        self.vocabulary = _words(" ".join(ENGLISH_STOP_WORDS)) | _words(" ".join(general))
        self.specific_words = [_words(u.text) - self.vocabulary for u in self.bank.utterances]
        self.vocabulary_stems = {w[:5] for w in self.vocabulary}
        # a general answer (no problem type vouches for it) is about what its listed question names beyond the
        # words of general supporting lines and of feelings: its own words are topics ("music" is in eight general
        # answers), or "is it wrong that i don't want to hang out with her every weekend?" meets an answer written
        # for "is it a problem if i use music to escape everything?" (round 42)
        supporting = [u.text for u in self.bank.utterances if u.source == "attune" and u.problem == GENERAL
                      and u.kind != "answer"]
        feelings = [w for name, words in json.loads((self.data_dir / "emotion_words.json").read_text()).items()
                    if not name.startswith("_") for w in words]
        self.general_frame_stems = {w[:5] for w in _words(" ".join([*ENGLISH_STOP_WORDS, *supporting, *feelings]))}
        self.general_listed = {q for u in self.bank.utterances if u.problem == GENERAL for q in u.questions}
        # a real supporter turn that points at something of its own dialogue ("What do you do when it happens?")
        filters = json.loads((self.data_dir / "bank_filters.json").read_text())
        self.referring = re.compile(r"\b(" + "|".join(map(re.escape, filters["referring"])) + r")\b", re.I)
        # a question's frame ("is it normal to feel…") is not its topic: not counted as a shared word
        self.function_words = _words(" ".join(ENGLISH_STOP_WORDS)) | set(filters["question_frame_words"])
        self.judging_words = set(filters["judging_words"])  # "is it weird that…": the judgment, not the topic
        resource = "|".join(map(re.escape, filters["resource_before"]))
        self.people = [(re.compile(r"(?<!\S)(?P<before>\S+\s+)?\b(" + "|".join(map(re.escape, words)) + r")\b", re.I),
                        re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.I))
                       for words in filters["presumed_people"].values()]
        self.resource_before = re.compile(rf"^({resource})\s+$", re.I)
        stems = lambda words: re.compile(r"\b(" + "|".join(map(re.escape, words)) + ")", re.I)  # noqa: E731
        self.situations = [(stems(spec["line"]), stems(spec["known"]))
                           for name, spec in filters["presumed_situations"].items() if not name.startswith("_")]
        self.requires = {problem: stems(words) for problem, words in filters["problem_requires"].items()
                         if not problem.startswith("_")}
        polarity = filters["answer_polarity"]
        self.asks_if_fine = re.compile(r"\b(" + "|".join(map(re.escape, polarity["yes_words"])) + r")\b", re.I)
        self.asks_if_wrong = re.compile(r"\b(" + "|".join(map(re.escape, polarity["no_words"])) + r")", re.I)
        self.judgements = re.compile(r"\b(" + "|".join(map(re.escape, filters["judgement_words"])) + r")\b", re.I)
        self.judgement_alike = {word: group for group in filters["judgement_alike"] for word in group}
        # what someone else believes is not what the person said: "they think i still work there" after a layoff
        self.believed = re.compile(r"\b(" + "|".join(map(re.escape, filters["believed_before"])) + r") (that )?$", re.I)
        self.contradictions = [(stems(spec["line"]), stems(spec["said"]), set(spec.get("kinds", [])))
                               for name, spec in filters["contradicted"].items() if not name.startswith("_")]
        self.problem_turns = {problem: (stems(filters["contradicted"][spec["said_as_in"]]["said"]), spec["to"])
                              for problem, spec in filters["problem_turns"].items() if not problem.startswith("_")}
        self.question_intents = [stems(words) for name, words in filters["question_intents"].items()
                                 if not name.startswith("_")]
        self.danger_words = stems(filters["danger_words"]["words"])
        telling = filters["asks_for_the_telling"]
        self.asks_for_the_telling, self.told_at_length = stems(telling["line"]), telling["max_words"]
        anyone, esconv = self.bank.problem == GENERAL, self.bank.from_esconv
        self.floors = {kind: np.where(esconv, ESCONV_FLOOR, np.where(anyone, TOPICAL_FLOOR.get((kind, True), 0.0),
                                                                     TOPICAL_FLOOR.get((kind, False), 0.0)))
                       for kind in KIND_STRATEGY}
        self._ready = True

    # -- reading the turn --------------------------------------------------------------------------------------
    def query(self, ctx: TurnContext) -> DialogueQuery:
        dim = self.bank.text_vectors.shape[1]
        zero = np.zeros(dim, np.float32)
        last_agent = self.embedder.encode_one(ctx.history[-1][1]) if ctx.history else zero
        earlier = [u for u, _ in ctx.history[-3:]]
        if earlier:
            mean = self.embedder.encode(earlier).mean(axis=0)
            earlier_vector = mean / max(float(np.linalg.norm(mean)), 1e-8)
        else:
            earlier_vector = zero
        return DialogueQuery(self.embedder.encode_one(ctx.user_text), last_agent, earlier_vector)

    def problem(self, ctx: TurnContext) -> str:
        problem = self._problem(ctx)
        turned = self.problem_turns.get(problem)
        if turned and turned[0].search(ctx.known_text):
            return turned[1]  # "he cheated … we're still together": a partner's betrayal to live with, not a breakup
        return problem

    def _problem(self, ctx: TurnContext) -> str:
        state = ctx.state
        crisis_turn = state.safety.crisis_turn
        if crisis_turn is not None and ctx.turn_index - crisis_turn <= CRISIS_TURNS:
            return CRISIS  # just after a suicidal or self-harm disclosure: only lines written for that moment
        if state.safety.about_someone_else:
            return SOMEONE_AT_RISK  # set by safety: the conversation is about helping another person
        if state.safety.category == ABUSE and state.safety.escalations and state.safety.check_in_answer != "no":
            # "he threw a bottle at me, he's in the next room": the talk is of that danger now (round c45 asked how
            # it was affecting her sleep); its written help answers "what do i do if he comes in here?" (unless they
            # said no danger: "whoa, she's not violent, she's just a lot")
            return HARASSMENT
        if state.event_problem and state.event_problem not in state.ruled_out:
            # "my mom died a couple of months ago. is it normal…": met as grief, and so is "i couldnt even be with
            # her much at the end" after it (the head alone read a breakup in that: round 32)
            return state.event_problem
        if state.message_problem:
            return state.message_problem  # a disclosure the head is sure of, answered for what it is
        score = state.problem_scores.get(state.problem, 0.0)
        return state.problem if state.problem != GENERAL and score >= PROBLEM_CONFIDENT else GENERAL

    def plan(self, ctx: TurnContext, choice: StrategyChoice, agent_emotion: AgentEmotion) -> Plan:
        self.setup()
        fused = ctx.user_state.fused
        # the scenario is the classified problem, unless safety set the conversation's frame
        framed = self.problem(ctx)
        problem = framed if framed in SAFETY_FRAMES else ctx.state.problem
        cause = ctx.state.facts[-1] if ctx.state.facts else ""
        ctx.shape = self.shape(ctx, choice.strategy)
        # the plan names what the reply does: the utterance that carries it (an answer, a question, …)
        carrier = next((k for k in ctx.shape if k != "reflection"), ctx.shape[0] if ctx.shape else "reflection")
        strategy = KIND_STRATEGY.get(carrier, choice.strategy)  # an answer: Information, unless advice
        if carrier == "answer" and self.tracker.acts.advice.search(ctx.state.open_question or ""):
            strategy = "Providing Suggestions"
        said_as = "their question is answered first" if carrier == "answer" else carrier
        reason = choice.reason if strategy == choice.strategy else f"{choice.reason}; said as {strategy} ({said_as})"
        return Plan(
            mode="grounded", emotion=self.emotion(ctx),
            event_scenario=self.problem_label.get(problem, ""), emotion_cause=cause,
            goal=self.strategy_specs[strategy]["goal"], stage=self.strategy_specs[strategy]["stage"],
            strategy=strategy, strategy_reason=reason, agent_emotion=agent_emotion,
        )

    @staticmethod
    def emotion(ctx: TurnContext) -> str:
        """The plan's emotion: what this message shows, or when it shows nothing clear (most typed chat reads as
        neutral), how the person has felt over the conversation (the emotion-type head)."""
        fused = ctx.user_state.fused
        if fused.label == "neutral" and ctx.state.emotion_type:
            return ctx.state.emotion_type
        return fused.fine_label or fused.label

    def notes(self, ctx: TurnContext, suggestions: int = 2) -> str:
        """What a capable LLM should know beyond the words (llm mode): the dialogue state and the support
        knowledge that fits, as lines for its prompt."""
        self.setup()
        state, problem = ctx.state, self.problem(ctx)
        lines = [f"Problem type: {self.problem_label.get(problem) or 'not clear yet'}"]
        if state.emotion_type:
            lines.append(f"How they have felt over the conversation: {state.emotion_type}")
        if state.facts:
            lines.append("What they said happened: " + " / ".join(state.facts[-4:]))
        asked = [q.text for q in state.agent_questions[-3:]]
        if asked:
            lines.append("You already asked (don't ask again): " + " / ".join(asked))
        if state.open_question:
            lines.append(f"Their question, answer it: {state.open_question}")
            index = self.answer(ctx, state.open_question, problem, [])
            if index is not None:
                lines.append(f"Reviewed knowledge for that question: {self.bank[index].text}")
        query = self.query(ctx)
        taken: list[str] = []
        for _ in range(suggestions):
            index = self.pick(ctx, "suggestion", query, problem, [], taken)
            if index is None:
                break
            taken.append(self.bank.id_of(index))
            lines.append(f"A suggestion that may fit: {self.bank[index].text}")
        return "\n".join(lines)

    # -- the reply's shape ------------------------------------------------------------------------------------
    def shape(self, ctx: TurnContext, strategy: str) -> list[str]:
        state = ctx.state
        opening = ctx.turn_index == 0 and not state.open_question and not self.events.read(ctx.user_text)
        if opening and state.act == "greeting" and self.named_problem(ctx) != GENERAL:
            return list(self.shapes["unclear_opening"])  # "hey. feeling down about stuff with my friends"
        if opening and state.act == "unsure":
            # "idk, just feeling really stuck lately" opens a talk: welcomed, not met with a therapist (round 29)
            return list(self.shapes["unclear_opening"])
        if state.act in self.shapes["acts"] and not (state.act == "greeting" and ctx.turn_index > 0):
            return list(self.shapes["acts"][state.act])
        if opening and state.act == "statement" and not state.message_problem:
            # "rough week at work, need to vent": welcomed; a guess at the problem this early is usually wrong
            return list(self.shapes["unclear_opening"])
        if state.open_question:
            kinds = list(self.shapes["question"])
        else:
            kinds = list(self.shapes["strategies"][strategy])
            if ctx.user_state.fused.label == "joy" and ctx.user_state.fused.vad.valence > 0.3 \
                    and not self.good_news_turns.search(ctx.user_text):
                kinds = list(self.shapes["acts"]["good_news"])
            elif (ctx.turn_index >= self.shapes["suggest_from_turn"] and not state.suggested
                  and "suggestion" not in kinds):
                kinds[-1] = "suggestion"  # explore, comfort, then help: ESConv's stage order (Liu et al. 2021)
        if kinds[0] == "reflection" and len(kinds) > 1 and state.last_kinds[:1] == ["reflection"] \
                and not state.message_problem:
            # a reflection every turn reads as a formula: after one, go straight to what this turn does
            kinds = kinds[1:]
            kinds = ["affirmation", "question"] if kinds == ["question"] else kinds + ["question"]
        asked_lately = [q.turn for q in state.agent_questions if q.turn >= ctx.turn_index - 2]
        if len(asked_lately) >= 2 and "question" in kinds and len(kinds) > 1:
            kinds[kinds.index("question")] = "affirmation"  # two questions in a row is enough: don't interrogate
        if state.wants_practical and "question" in kinds:
            # "i dont need to talk about feelings rn, i need to know what to do" (round 32): a step, not a question
            kinds = [k for k in kinds if k != "question"]
            kinds += [] if {"suggestion", "answer", "information"} & set(kinds) else ["suggestion"]
        return kinds

    # -- choosing utterances ----------------------------------------------------------------------------------
    def _unsaid(self, ctx: TurnContext) -> np.ndarray:
        """Utterances neither said in this conversation nor close to one that was; computed once per turn (the
        said ids change only when the reply is recorded)."""
        used = (len(ctx.state.used), ctx.state.used[-1] if ctx.state.used else "")  # the list is capped: and its end
        if ctx.unsaid is None or ctx.unsaid[0] != used:
            bank = self.bank
            said = [bank.by_id[i] for i in ctx.state.used if i in bank.by_id]
            unsaid = np.ones(len(bank.utterances), bool)
            if said:
                unsaid[said] = False
                unsaid &= (bank.text_vectors @ bank.text_vectors[said].T).max(axis=1) < NEAR_REPEAT
            ctx.unsaid = (used, unsaid)
        return ctx.unsaid[1]

    def _allowed(self, ctx: TurnContext, problem: str) -> np.ndarray:
        bank = self.bank
        if problem == "any":
            allowed = np.ones(len(bank.utterances), bool)
        elif problem == CRISIS:
            allowed = bank.problem == CRISIS  # no general validation ("your feelings make sense") in that moment
        elif problem == GENERAL:
            allowed = (bank.problem == GENERAL) | bank.from_esconv
        else:
            allowed = np.isin(bank.problem, [problem, GENERAL])
        if ctx.state.wants_practical:
            allowed = allowed & ~bank.asks  # "i dont need to talk about feelings rn": help, not another question
        return allowed & self._unsaid(ctx)

    def _stems(self, text: str) -> set[str]:
        """Content words cut to five letters ('guilty', 'guilt'), without function words or the question's frame."""
        return {w[:5] for w in _words(text) - self.function_words if len(w) >= 4}

    def _plausible(self, ctx: TurnContext, problem: str) -> np.ndarray:
        """Utterances of another problem type this conversation could be about (never in a safety frame)."""
        if problem in SAFETY_FRAMES:
            return np.zeros(len(self.bank.utterances), bool)
        plausible = [p for p, score in ctx.state.problem_scores.items()
                     if score >= PLAUSIBLE_PROBLEM and p not in ctx.state.ruled_out]
        return self._allowed(ctx, "any") & np.isin(self.bank.problem, plausible)

    def presumes(self, text: str, known: str) -> bool:
        """The line names someone of a kind the person never mentioned ("family pressure" to a student who spoke
        only of exams; naming them as someone to turn to, "a friend or family member", is fine) or a situation they
        never described (data/bank_filters.json)."""
        for in_line, in_known in self.people:
            named = [m for m in in_line.finditer(text) if not self.resource_before.match(m.group("before") or "")]
            if named and not in_known.search(known):
                return True
        # situations too: "If you were fired…" to someone overloaded at work, "a new diagnosis" to someone grieving
        return any(in_line.search(text) and not in_known.search(known) for in_line, in_known in self.situations)

    def contradicted(self, text: str, kind: str, known: str) -> bool:
        """The person already made the line wrong or pointless: 'lean on a friend' after 'I have nobody', 'how have
        you been sleeping?' after 'I can't sleep' (data/bank_filters.json)."""
        return any((not kinds or kind in kinds) and in_line.search(text)
                   and any(not self.believed.search(known[:m.start()]) for m in in_said.finditer(known))
                   for in_line, in_said, kinds in self.contradictions)

    def fits(self, ctx: TurnContext, index: int, problem: str, taken: list[str]) -> bool:
        u = self.bank[index]
        if u.problem in ctx.state.ruled_out:
            return False  # "again, im not a student. im a teacher" then heard "ask your teacher or tutor…" (round 40)
        if says_rejected(ctx.state, u.text):
            return False  # "not painful, just ringing" then "…the pain" again (round 50)
        known = ctx.known_text
        if not details_fit(u.text, known) or presumed_feelings(u.text, known, ctx.user_state.fused.label):
            return False
        if self.presumes(u.text, known) or self.contradicted(u.text, u.kind, known):
            return False
        if u.kind == "answer" and any(not any(re.search(rf"\b{re.escape(word)}\b", known, re.I)
                                              for word in self.judgement_alike.get(m.group(1).lower(), [m.group(1)]))
                                      for m in self.judgements.finditer(u.text)):
            return False  # "No, it isn't pathetic" to "is that dumb?"
        if u.problem in self.requires and not self.requires[u.problem].search(known):
            return False  # "How did things end at work?" to someone who still has the job
        opening = " ".join(re.findall(r"[a-z']+", u.text.lower())[:3])
        if opening in ctx.state.openings or any(t.lower().startswith(opening) for t in taken):
            return False
        if u.kind == "question" and self._already_answered(ctx, index):
            return False
        if u.kind == "question" and len(ctx.user_text.split()) > self.told_at_length \
                and self.asks_for_the_telling.search(u.text):
            return False  # "What has been the hardest part?" right after they told it at length
        if u.source == "esconv" and (self.specific_words[index] or self.referring.search(u.text)):
            return False  # a real supporter turn about something of its own dialogue ("because of this", "furlough")
        return True

    def _already_answered(self, ctx: TurnContext, index: int) -> bool:
        """A question whose answer is known ("How long were you together?" after "six years"), or that is close to
        one the agent already asked or asks for the same (data/bank_filters.json question_intents)."""
        text = self.bank[index].text
        if ASKS_WHEN.search(text) and SAID_WHEN.search(ctx.known_text):
            return True
        asked = [q.text for q in ctx.state.agent_questions]
        if not asked:
            return False
        if any(intent.search(text) and any(intent.search(q) for q in asked) for intent in self.question_intents):
            return True  # "who else have you been able to lean on?" then "who in the family can you talk to?"
        return float((self.embedder.encode(asked) @ self.bank.text_vectors[index]).max()) > ASKED_BEFORE

    def pick(self, ctx: TurnContext, kind: str, query: DialogueQuery, problem: str, taken: list[str],
             taken_ids: list[str], score_text: np.ndarray | None = None, specific: bool = False,
             floored: bool = False) -> int | None:
        """The best utterance of a kind for the problem (or a general one). specific: only the problem's own
        reviewed knowledge (an answer's stand-in, never a real supporter turn from another dialogue). floored: a
        line of the reply's body, which must be about this message (TOPICAL_FLOOR) or is better left unsaid."""
        bank = self.bank
        allowed = self._allowed(ctx, problem) & (bank.kind == kind)
        if kind == "question":
            # a real supporter's question belonged to its own dialogue ("Do you drink when you are at work?")
            allowed &= ~bank.from_esconv
        if specific:
            allowed &= (bank.problem == problem) & ~bank.from_esconv
        allowed &= ~np.isin(np.arange(len(bank.utterances)), [bank.by_id[i] for i in taken_ids])
        if not allowed.any():
            return None
        if score_text is None:
            topical = bank.text_vectors @ query.last_user
            if floored:
                allowed &= topical >= self.floors[kind]
                if not allowed.any():
                    return None
            score_text = self.bank.ranker.score(query, bank.mapped) + TOPIC_WEIGHT * topical
        known = _words(ctx.known_text)
        ungrounded = np.array([min(len(w - known), UNGROUNDED_MAX) if allowed[i] else 0
                               for i, w in enumerate(self.specific_words)])
        score = (score_text + SPECIFIC_BONUS * (bank.problem == problem) * (problem != GENERAL)
                 - ESCONV_PENALTY * bank.from_esconv - UNGROUNDED_PENALTY * ungrounded)
        for index in np.argsort(-np.where(allowed, score, -np.inf))[:40]:
            if not allowed[index]:
                break
            if self.fits(ctx, int(index), problem, taken):
                return int(index)
        return None

    def answer(self, ctx: TurnContext, question: str, problem: str, taken_ids: list[str]) -> int | None:
        """The utterance that answers the person's question, or None. "What should I do?" about a known problem
        gets the problem's best next step, not a general "it's your choice"."""
        index = self._matched_answer(ctx, question, problem, taken_ids)
        if index is not None and self.bank[index].kind == "answer" and (
                self.tracker.acts.form(question) or self._listed_similarity(ctx, index, question) >= STRONG_ANSWER):
            # "is it normal to feel this low?", "i just want someone to tell me my feelings make sense": met as
            # asked, not with a next step
            return index
        any_step = self.tracker.acts.asks_any_step(question)
        if index is not None and not any_step and not self.engages(ctx, index, question) \
                and not self._written_for_its_topic(ctx, index, question):
            index = None  # about something else: a next step that is about what was asked may still be found
        # what the trouble most likely is, even before the problem type is sure: its next step nearest the question
        likely = self.likely_problem(ctx, problem)
        if likely not in {GENERAL, CRISIS} and (index is None or self.bank[index].problem == GENERAL):
            query = self.query(ctx)
            asked = DialogueQuery(self.question_vector(ctx, question), query.last_agent, query.earlier_user)
            # "what should i do?" asks for any next step; "how do i get the camera working?" only for one about it
            passed: list[str] = []
            for _ in range(STEP_TRIES):
                step = self.pick(ctx, "suggestion", asked, likely, [], taken_ids + passed, specific=True)
                if step is None:
                    break
                if self.engages(ctx, step, question):
                    return step
                passed.append(self.bank.id_of(step))
            if any_step and passed:
                return self.bank.by_id[passed[0]]  # none about its words: the best step for the trouble
        return index

    def _written_for_its_topic(self, ctx: TurnContext, index: int, question: str) -> bool:
        """An answer written for a question this like it, whose topic words the person said ("how do i network when
        i hate networking?" for "everyone says network network … how do people even do that without feeling
        fake?"): it engages, however loosely MiniLM pairs its own words with the question (round 30)."""
        if self.bank[index].kind != "answer" or self._listed_similarity(ctx, index, question) < ANSWER_MATCH:
            return False
        known = said_lemmas(ctx.known_text)
        return any(self.topic_words(q) and self.grounded(known, q) for q in self.bank.listed(index))

    def _second_answer(self, ctx: TurnContext, problem: str, taken_ids: list[str]) -> int | None:
        """A written answer to another question of this message than the one answered, or None."""
        others = [q for q in self.tracker.acts.asked(ctx.user_text) if q != ctx.state.open_question]
        if not others or problem in SAFETY_FRAMES:
            return None
        return self.written_answer(ctx, others[-1], problem, taken_ids)

    def written_answer(self, ctx: TurnContext, question: str, problem: str, taken_ids: list[str]) -> int | None:
        """An answer written for a question like this one, or None — for a message's other questions, where the
        nearest answer by topic alone met "i dunno, thats kinda why im here?" with a LinkedIn tip (round 28)."""
        index = self.answer(ctx, question, problem, taken_ids)
        if index is None or self.bank[index].kind != "answer":
            return None
        return index if self._listed_similarity(ctx, index, question) >= ANSWER_MATCH else None

    def in_territory(self, ctx: TurnContext, question: str, problem: str) -> bool:
        """The question is of the kind people ask about this trouble: close to one its answers were written for
        ("will it get back to him if i report it again?" at work; not "is there some trick to it?" about zoom, for
        low mood)."""
        listed = self.bank.problem[self.bank.question_owner] == problem
        if not listed.any():
            return False
        return float((self.bank.question_vectors[listed] @ self.question_vector(ctx, question)).max()) >= TERRITORY

    def engages(self, ctx: TurnContext, index: int, question: str) -> bool:
        """The utterance is about what was asked: its words near the question, or written for a question this close."""
        closeness = float(self.bank.text_vectors[index] @ self.question_vector(ctx, question))
        # MiniLM pairs loosely: "how to keep the dancing going when everything's closed?" sat at 0.34 to "cutting
        # back on late-night scrolling and alcohol…" (low mood, only a guess at the trouble then); a looser match
        # written for another trouble than the one the talk is surely about must share a word with what was asked
        shares = self.bank.problem[index] == self.problem(ctx) != GENERAL \
            or bool(self._stems(question) & self._stems(self.bank[index].text))
        return (closeness >= ANSWER_CLEARLY_ENGAGES or (closeness >= ANSWER_ENGAGES and shares)
                or self._listed_similarity(ctx, index, question) >= LISTED_ENGAGES)

    def named_problem(self, ctx: TurnContext) -> str:
        """The problem type the message's own words name (data/problem_cues.json; of several, the one the problem
        head leans to), else general."""
        named = [problem for problem, cue in self.tracker.cues.items() if cue.search(ctx.user_text)]
        if named:
            scores = ctx.state.problem_scores
            return max(named, key=lambda p: scores.get(p, 0.0))
        return next((problem for problem, words in self.opening_topics if words.search(ctx.user_text)), GENERAL)

    @staticmethod
    def likely_problem(ctx: TurnContext, problem: str) -> str:
        """The problem type, or when it is not sure yet the most plausible one (a question is better met with the
        likely trouble's next step than with none)."""
        if problem != GENERAL:
            return problem
        scores = ctx.state.problem_scores
        best = max(scores, key=scores.get) if scores else GENERAL
        return best if scores.get(best, 0.0) >= PLAUSIBLE_PROBLEM and best not in ctx.state.ruled_out else GENERAL

    def question_vector(self, ctx: TurnContext, question: str) -> np.ndarray:
        """The question as the person meant it. A short one ("is that pathetic?", "any ideas?") or one that points
        back (data/dialogue_acts.json vague_referent: "any tips on getting it to work?") is read with the sentence
        before it in this message, else with what is around it (a short sentence before, the one after, the end of
        the last message), averaged; any other is read alone and with the sentences either side of it, averaged
        ("is it normal to feel this anxious and down? … i dont know if its the pain or the grief" is about grief, not
        nerves before a doctor's appointment). Read once a turn per question (ctx.question_vectors)."""
        if question not in ctx.question_vectors:
            ctx.question_vectors[question] = self._averaged(self._readings(ctx, question))
        return ctx.question_vectors[question]

    def bare_vector(self, ctx: TurnContext, question: str) -> np.ndarray:
        """The question's own words, read alone (once a turn)."""
        key = f"\0bare\0{question}"
        if key not in ctx.question_vectors:
            ctx.question_vectors[key] = self.embedder.encode_one(question)
        return ctx.question_vectors[key]

    def _averaged(self, readings: list[str]) -> np.ndarray:
        if len(readings) == 1:
            return self.embedder.encode_one(readings[0])
        mean = self.embedder.encode(readings).sum(axis=0)
        return mean / np.linalg.norm(mean)

    def _readings(self, ctx: TurnContext, question: str) -> list[str]:
        """The texts question_vector averages (see there)."""
        if question not in ctx.user_text:
            return [question]
        head, tail = ctx.user_text.split(question, 1)
        before = [s for s in SENTENCE_END.split(head.strip()) if s.strip()]
        after = [s for s in SENTENCE_END.split(tail.strip()) if s.strip()]
        added = after[0] if after and not after[0].rstrip().endswith("?") and after[0] not in \
            self.tracker.acts.asked(ctx.user_text) and len(after[0].split()) <= QUESTION_ADDED_WORDS else ""
        vague = self.tracker.acts.vague_referent.search(question)
        if len(question.split()) < QUESTION_ALONE_WORDS or vague:
            said = before and not before[-1].rstrip().endswith("?")  # another question is asked on its own
            if said and len(before[-1].split()) >= CONTEXT_WORDS:
                return [f"{before[-1]} {question}"]
            # nothing substantial before it in this message: what it may be about, read each way and averaged —
            # "the phone." before it, "my grandson set it up…" after it, and the last message, about zoom
            readings = ([f"{before[-1]} {question}"] if said else []) + ([f"{question} {added}"] if added else [])
            if not before and ctx.history:  # the question opens the message: "how do i even start looking again?"
                last = [s for s in SENTENCE_END.split(ctx.history[-1][0]) if s.strip()][-2:]
                while last and last[0].rstrip().endswith("?"):  # its last statements, not a question it asked
                    last = last[1:]
                if last and not last[-1].rstrip().endswith("?"):
                    readings.append(f"{' '.join(last)} {question}")
            return readings or [question]
        said = before[-1] if before and not before[-1].rstrip().endswith("?") \
            and len(before[-1].split()) >= CONTEXT_WORDS else ""
        # the question stays the centre: read alone and with the sentences around it ("i was talking about
        # networking. how do people even reach out without it feeling like begging?"; "maybe i should call and ask
        # for a payment plan? that feels less terrifying now" is still about the call)
        return [question] + ([f"{said} {question}"] if said else []) + ([f"{question} {added}"] if added else [])

    def grounded(self, known_lemmas: frozenset[str], listed_question: str) -> bool:
        """The topic words of the listed question an answer was written for were said, in any form ("should i tell
        my employer about my arrest?" does not stand for "should i tell my boss?" after a miscarriage; "lying" is
        "lied"); most of them for a general answer's, which counts more words as topic. known_lemmas: said_lemmas()
        of what the person said."""
        share = self.grounding(known_lemmas, listed_question)
        return share >= GROUNDED_SHARE if listed_question in self.general_listed else share == 1.0

    def grounding(self, known_lemmas: frozenset[str], listed_question: str) -> float:
        """The share of the listed question's topic words that were said (1 when it has none)."""
        topic = self.topic_words(listed_question)
        return sum(bool(_lemmas(w) & known_lemmas) for w in topic) / len(topic) if topic else 1.0

    def topic_words(self, listed_question: str) -> list[str]:
        """The words of a listed question that name its topic ("zoom", "movers"), not its frame or feelings."""
        frame = self.general_frame_stems if listed_question in self.general_listed else self.vocabulary_stems
        return [w for w in _words(listed_question) - self.function_words - self.judging_words
                if len(w) >= 4 and w[:5] not in frame]

    def clashes(self, question: str, answer: str) -> bool:
        """'No, …' to 'is it normal…?', or 'Yes, …' to 'is it silly…?' (data/bank_filters.json answer_polarity), or
        either to a question that asks why or how ("why do i feel so ashamed?" met "Yes, feeling embarrassed…")."""
        fine, wrong = self.asks_if_fine.search(question), self.asks_if_wrong.search(question)
        opens = answer.lstrip().lower()
        if WH_QUESTION.match(self.tracker.acts.discourse_start.sub("", question)) and re.match(r"(yes|no)\b", opens):
            return True
        return bool((opens.startswith("no") and fine and not wrong) or (opens.startswith("yes") and wrong and not fine))

    def _answer_of_form(self, ctx: TurnContext, question: str, problem: str, taken_ids: list[str]) -> int | None:
        """An answer written for the same kind of question ('is it normal …?', 'is it my fault?'), the problem's
        own first, nearest first: the listed questions rarely word it as the person does."""
        form = self.tracker.acts.form(question)
        if form is None or not len(self.bank.question_owner):
            return None
        bank, pattern = self.bank, self.tracker.acts.forms[form]
        allowed = self._allowed(ctx, problem) | self._plausible(ctx, problem)  # "is it normal to feel this guilty
        # about someone dying?" while the talk was about back pain: grief's answer
        asked = self.question_vector(ctx, question)
        similarity, engages = bank.question_vectors @ asked, bank.text_vectors @ asked
        known = said_lemmas(ctx.known_text)
        best: dict[int, float] = {}
        for n, owner in enumerate(bank.question_owner):
            # alike in question and in answer: the form alone pairs "is that pathetic?" with any "is it normal…"
            fit = float(similarity[n] + engages[owner])
            needed = GENERAL_FORM_MATCH if bank.problem[owner] == GENERAL else FORM_MATCH
            # … and about what was said: "is it normal to feel this anxious and down?" after a cancelled surgery is
            # not "is it normal to feel anxious before a doctor checks something private?"
            if allowed[owner] and not bank.listed_only[owner] and pattern.search(bank.question_text[n]) \
                    and fit >= needed \
                    and self.grounding(known, bank.question_text[n]) >= FORM_GROUNDING:
                shared = len(self._stems(question) & self._stems(bank[owner].text))  # "guilty" ~ "Guilt is …"
                best[owner] = max(best.get(owner, -1.0), fit + SPECIFIC_BONUS * (bank.problem[owner] == problem)
                                  + SHARED_WORD_BONUS * min(shared, 2))
        for owner, _ in sorted(best.items(), key=lambda kv: -kv[1]):
            if bank.id_of(owner) not in taken_ids and self.fits(ctx, owner, problem, []) \
                    and not self.clashes(question, bank[owner].text):
                return owner
        return None

    def _answers_for(self, ctx: TurnContext, problem: str) -> np.ndarray:
        """The answers a question may get: the problem's own, and, while a life event just told frames the talk
        ("and on top of that my mom died"), the trouble it was about before too ("is it normal to feel this anxious
        and down? i dont know if its the pain or the grief")."""
        allowed = self._allowed(ctx, problem)
        before = ctx.state.problem
        if problem == ctx.state.event_problem and before not in {problem, GENERAL}:
            allowed = allowed | self._allowed(ctx, before)
        return allowed

    def _matched_answer(self, ctx: TurnContext, question: str, problem: str, taken_ids: list[str]) -> int | None:
        bank = self.bank
        allowed = self._answers_for(ctx, problem)
        q = self.question_vector(ctx, question)
        if len(bank.question_owner):
            similarity = bank.question_vectors @ q
            # an answer written for anyone was written for the question's bare words ("do you think i made the wrong
            # call?" whatever was said before it): read them alone too
            general = bank.problem[bank.question_owner] == GENERAL
            bare = bank.question_vectors @ self.bare_vector(ctx, question)
            similarity[general] = np.maximum(similarity[general], bare[general])
            # … and a listed question the person asked nearly word for word is that question, whatever came before
            # it ("will you tell my parents?" after a disclosure: "I can't tell anyone…", not what a counsellor does)
            verbatim = bare >= VERBATIM_QUESTION
            similarity[verbatim] = np.maximum(similarity[verbatim], bare[verbatim])
            best: dict[int, float] = {}
            listed: dict[int, str] = {}  # the listed question each answer matched best
            for n, (owner, s) in enumerate(zip(bank.question_owner, similarity)):
                if float(s) > best.get(owner, -1.0):
                    best[owner], listed[owner] = float(s), bank.question_text[n]
            anywhere = self._allowed(ctx, problem) | self._plausible(ctx, problem)
            # an answer so close that the problem type matters little, while the trouble is not known yet ("can you
            # help with zoom?"); once it is, another trouble's answer to the same words is about that trouble ("should
            # i tell my parents?" after a layoff heard "…they can help you report it and stay safe")
            everywhere = self._unsaid(ctx) & ~np.isin(bank.problem, [CRISIS, SOMEONE_AT_RISK]) & (problem == GENERAL)
            known: frozenset[str] | None = None  # the lemmas of what the person said, read once if needed
            engages = bank.text_vectors @ q  # how close each answer's own words are to the question
            for owner, s in sorted(best.items(), key=lambda kv: -kv[1]):
                if s < ANSWER_MATCH_OWN_TOPICAL:
                    break
                if bank.listed_only[owner] and s < LISTED_ONLY_MATCH:
                    continue  # "how do you just leave after 4 years with no explanation" is not "i want to leave
                    # after so many years together" (0.61): one situation's answer needs its question closer
                if s < ANSWER_MATCH and not (problem != GENERAL and bank.problem[owner] == problem
                                             and engages[owner] >= ANSWER_OWN_RELEVANCE):
                    continue
                if bank.problem[owner] == GENERAL and s < GENERAL_ANSWER_MATCH:
                    continue  # "No, I'm not a therapist or a doctor" must not answer "should I see a doctor?"
                # another plausible trouble's answer whose topic words were all said ("how can i keep my high-risk
                # mom safe?" while the talk was about a move, a layoff and a death)
                named = anywhere[owner] and s >= ANSWER_MATCH_NAMED_TOPIC and bool(self.topic_words(listed[owner]))
                very_close = s >= ANSWER_MATCH_VERY_CLOSE and bank.problem[owner] not in SAFETY_FRAMES \
                    and problem not in SAFETY_FRAMES and self._unsaid(ctx)[owner]  # a crisis frame's own lines only
                # the answer's words must touch the question, unless it is written for this trouble and one of its
                # listed questions is this one ("i keep wondering if i could have done something" → "Guilt after a
                # death is very common…": 0.09)
                fitting = (allowed[owner] or named or (s >= ANSWER_MATCH_ANY_PROBLEM and anywhere[owner])
                           or (s >= ANSWER_MATCH_EVERYWHERE and everywhere[owner]) or very_close) and \
                    (engages[owner] >= ANSWER_RELEVANCE or (s >= STRONG_ANSWER and allowed[owner]))
                if not (fitting and bank.id_of(owner) not in taken_ids and self.fits(ctx, owner, problem, [])
                        and not self.clashes(question, bank[owner].text)):
                    continue
                known = known if known is not None else said_lemmas(ctx.known_text)
                if self.grounded(known, listed[owner]) or (
                        very_close and not (allowed[owner] or named or anywhere[owner] or everywhere[owner])
                        and self.grounding(known, listed[owner]) >= FORM_GROUNDING):
                    return owner
        index = self._answer_of_form(ctx, question, problem, taken_ids)
        if index is not None:
            return index
        # no listed question fits: the nearest concrete help for this problem that engages the question
        topical = bank.text_vectors @ q
        for kind in ("suggestion", "information", "answer"):  # from reviewed knowledge only, never ESConv
            mask = allowed & (bank.kind == kind) & (topical >= ANSWER_TOPIC_MATCH) & ~bank.from_esconv \
                & ~bank.listed_only
            if kind == "answer":
                mask &= bank.problem != GENERAL  # a general answer meets only its own questions ("do you care?")
            for index in np.argsort(-np.where(mask, topical, -np.inf))[:20]:
                if not mask[index]:
                    break
                if self.fits(ctx, int(index), problem, []) and (kind != "answer" or self._about_their_situation(
                        ctx, int(index))):
                    return int(index)
        return None

    def _about_their_situation(self, ctx: TurnContext, index: int) -> bool:
        """An answer written for a situation the person told: half the topic words of one of its listed questions
        said. Met by its words alone, "will it get back to him if i report it again?" about a mocking manager heard
        "Yes, report it to your manager…", written for a customer who got violent (2,800 answers make such near
        misses common)."""
        known = said_lemmas(ctx.known_text)
        return any(self.grounding(known, q) >= FORM_GROUNDING for q in self.bank.listed(index))

    def decision(self, ctx: TurnContext, problem: str) -> Decision | None:
        """The answer to a decision question of this message, said back in the person's words (decision.py)."""
        if problem in SAFETY_FRAMES or ctx.state.act in {"greeting", "thanks", "closing"}:
            return None
        asked = self.tracker.acts.asked(ctx.user_text)
        questions = ([ctx.state.open_question] if ctx.state.open_question else []) + asked[::-1]
        if not questions:
            return None
        decision = self.decisions.answer(questions, ctx.user_text, ctx.known_text, ctx.state.used)
        if decision is not None and any(says_rejected(ctx.state, text) for _, text in
                                        (decision.echo, decision.line, decision.follow_up or ("", ""))):
            return None
        told = [kind for kind in decision.kinds if kind] if decision is not None else []
        if decision is not None and self._in_danger(ctx, problem) \
                and not (told and all(kind.startswith("disclose") for kind in told)):
            # "should i just pay? they said by tonight", "should i just leave town?" (a threat by friday): a choice
            # is not weighed as any other ("It may well be worth it…", "give it a few days") where there is a
            # danger; the written help about it answers, or nothing. Telling someone is weighed as ever ("should i
            # tell my manager before a client sees the comment?" met "I'd rather not guess", round 49)
            return None
        return decision

    def _in_danger(self, ctx: TurnContext, problem: str) -> bool:
        """Threats, stalking, image abuse, or crisis lines said in this conversation: no choice or judgment weighed as
        any other. A rumour at work, or a reading that only resembles abuse, is not one ("someone left a sticky note on
        my bench that said 'thanks for the fun'" left "should i confront him or go to my supervisor?" to a sextortion
        answer, round 48)."""
        safety = ctx.state.safety
        harassed = HARASSMENT in {problem, ctx.state.problem} and bool(self.danger_words.search(ctx.known_text))
        return harassed or bool(safety.escalations or safety.check_ins)

    def judgment(self, ctx: TurnContext, problem: str) -> tuple[str, str] | None:
        """(utterance id, text): the answer to "is it selfish to…?", "am i overreacting?" (judgment.py), unless a
        written answer was made for a question this very like it, or there is a danger in the conversation."""
        if problem in SAFETY_FRAMES or ctx.state.act in {"greeting", "thanks", "closing"} \
                or self._in_danger(ctx, problem):
            return None
        asked = self.tracker.acts.asked(ctx.user_text)
        questions = list(dict.fromkeys(([ctx.state.open_question] if ctx.state.open_question else []) + asked[::-1]))
        found = self.judgments.answer(questions, ctx.user_text, ctx.state.used)
        if found is None:
            return None
        judgment, line = found
        if says_rejected(ctx.state, line[1]):
            return None
        index = self.answer(ctx, judgment.question, problem, [])
        alike = self.judgement_alike.get(judgment.word, [judgment.word])
        # … and that answer meets their own word ("is it bad that im hiding it from her?" is not met by "It isn't
        # paranoid to be scared for someone you love", written for "am i being paranoid…?", round 46)
        if index is not None and self.bank[index].kind == "answer" \
                and self._listed_similarity(ctx, index, judgment.question) >= STRONG_ANSWER \
                and any(re.search(rf"\b{re.escape(word)}\b", self.bank[index].text, re.I) for word in alike):
            return None
        return line

    def urgent_care(self, ctx: TurnContext) -> tuple[str, str] | None:
        """(utterance id, text): where to get help now, when the conversation names a medical emergency (urgent.py);
        None otherwise, and inside a safety frame, whose own replies stand. Asked in every planner mode: a capable
        LLM writes the rest, never this."""
        self.setup()
        if self.problem(ctx) in SAFETY_FRAMES:
            return None
        return self.urgent.line(ctx.user_text, ctx.known_text, ctx.state.used, asked=bool(ctx.state.open_question))

    def how_to_say(self, ctx: TurnContext, problem: str) -> tuple[str, str] | None:
        """(utterance id, text): how to say it, for a question asking that (raising.py), unless a written answer was
        made for a question this very like it ("how do i confront him about cheating without a screaming match?")."""
        question = ctx.state.open_question
        if problem in SAFETY_FRAMES or not question or not self.raising.asked(question):
            return None
        index = self.answer(ctx, question, problem, [])
        earlier = [u for u, _ in ctx.history]
        if index is not None and self.bank[index].kind == "answer" and self.listed_match(ctx, index) >= STRONG_ANSWER \
                and not self._written_for_someone_else(index, self.raising.addressee(question, ctx.user_text, earlier)):
            return None
        line = self.raising.answer(question, ctx.user_text, earlier, ctx.state.used)
        return None if line is None or says_rejected(ctx.state, line[1]) else line

    def _written_for_someone_else(self, index: int, who: str) -> bool:
        """Every question the answer was written for names another kind of person than the one it will be said to
        ("how do i tell halina…?" after "my wife halina" met an answer for raising it with a manager, round 52)."""
        written_for = {self.raising.addressee(q, "", []) for q in self.bank.listed(index)} - {"default"}
        return who != "default" and bool(written_for) and who not in written_for

    def listed_match(self, ctx: TurnContext, index: int) -> float:
        """How close the person's question is to the closest question an answer was written for (0 for none)."""
        return self._listed_similarity(ctx, index, ctx.state.open_question) if ctx.state.open_question else 0.0

    def _listed_similarity(self, ctx: TurnContext, index: int, question: str) -> float:
        listed = self.bank.question_owner == index
        if not listed.any():
            return 0.0
        listed_vectors = self.bank.question_vectors[listed]
        closeness = float((listed_vectors @ self.question_vector(ctx, question)).max())
        if self.bank.problem[index] == GENERAL:  # written for the bare question (see _matched_answer)
            closeness = max(closeness, float((listed_vectors @ self.bare_vector(ctx, question)).max()))
        return closeness

    def answer_text(self, ctx: TurnContext, *, written_for: str | None = None) -> str:
        """The answer to this turn's direct question alone (beside a safety reply), recorded as said; or "".
        written_for: only an answer written for that problem ("crisis": what a crisis line does, whether police
        come), never a general one."""
        self.setup()
        if not ctx.state.open_question:
            return ""
        problem = self.problem(ctx)
        if written_for is not None:
            index = self._matched_answer(ctx, ctx.state.open_question, written_for, [])
            if index is not None and (self.bank[index].problem != written_for or self.bank[index].kind != "answer"):
                index = None
        else:
            index = self.answer(ctx, ctx.state.open_question, problem, [])
        if index is None:
            return ""
        ctx.state.used.append(self.bank.id_of(index))
        text = self.bank[index].text
        if written_for is not None:
            # "is it wrong to decide I've lived long enough?" must never hear "No, …": the statement stands alone
            text = re.sub(r"^(no|yes)\s*,\s*(\w)", lambda m: m.group(2).upper(), text, flags=re.I)
        return text

    def restatement(self, ctx: TurnContext, query: DialogueQuery) -> tuple[str, str] | None:
        """(utterance id, text): what this message told us said back in their words (restate.py), or None —
        never two turns running, where it would read as a formula. (Stop 37 tried saying back only feelings and what
        they set right: round 52's replies judged blind in pairs preferred the reply with their words said back in 9
        of the 10 pairs the old version won, so facts are said back again.)"""
        if ctx.state.act != "statement" or ("restatement" in ctx.state.last_kinds and not ctx.state.corrected):
            return None  # what they set right is heard, whatever was said back last turn
        frames = [int(i.split(":")[1]) for i in ctx.state.used if i.startswith("restate:")]
        earlier = " ".join(agent for _, agent in ctx.history[-RESTATED_TURNS:])
        found = self.restater.restate(ctx.user_text, earlier, ctx.turn_index, frames[-1] if frames else -1,
                                      closeness=lambda clauses: self.embedder.encode(clauses) @ query.last_user)
        return (f"restate:{found.frame}", found.text) if found else None

    def write(self, ctx: TurnContext, plan: Plan, warnings: list[str]) -> Iterator[str | ReplyInfo]:
        """Yield the reply's utterances one by one, then the ReplyInfo that records them."""
        self.setup()
        query = self.query(ctx)
        problem = self.problem(ctx)
        chosen: list[int] = []                 # bank utterances said
        said: list[tuple[str, str, str]] = []  # (utterance id, kind, text) of everything said, in order
        kinds = list(ctx.shape) or self.shape(ctx, plan.strategy)

        def say_bank(index: int) -> str:
            chosen.append(index)
            said.append((self.bank.id_of(index), self.bank[index].kind, self.bank[index].text))
            return self.bank[index].text

        def say(utterance_id: str, kind: str, text: str) -> str:
            said.append((utterance_id, kind, text))
            return text

        texts = lambda: [text for _, _, text in said]  # noqa: E731
        urgent = self.urgent_care(ctx)
        if urgent is not None:
            # "no wet diaper in 10 hours, fever almost 104, won't drink": where to get help now, and nothing else
            # (round 38 answered "can you just tell me yes or no" with "No, babies pick up infections…")
            yield say(urgent[0], "answer", urgent[1])
            yield self._recorded(ctx, plan, said)
            return
        pending: tuple[str, str] | None = None  # their words said back, waiting for the line of feeling it leads into
        # "ok, i'll email them tonight": the step they chose; "should i confront them or let it go?": the choice
        chosen_step = self.decisions.plan(ctx.user_text, ctx.state.used) if not ctx.state.open_question \
            and problem not in SAFETY_FRAMES and ctx.state.act not in {"greeting", "thanks", "closing"} else []
        decision = self.decision(ctx, problem)
        if ctx.state.act not in {"greeting", "thanks", "closing"}:
            # their event, named back once: "I'm so sorry about your mom." (data/life_events.json)
            events = self.events.new(ctx.user_text, ctx.state.acknowledged)[:MAX_EVENTS]
            for event in events:
                ctx.state.acknowledged = (ctx.state.acknowledged + [event.key])[-20:]
                yield say(f"event:{event.key}", "acknowledgement", event.text)
            if ctx.state.corrected and not events:
                # they said we got it wrong: own it first, and don't reflect what we may still misread
                repair = self.pick(ctx, "repair", query, GENERAL, texts(), [])
                if repair is not None:
                    yield say_bank(repair)
            if (events or ctx.state.corrected) and kinds[:1] == ["reflection"] and len(kinds) > 1:
                kinds = kinds[1:]  # the event named back is this turn's reflection
            # what they told us, said back in their own words, as the reflection (after a correction too: what
            # they set right, heard): a bank reflection is chosen by topic and can guess wrong
            restated = None if events or problem in SAFETY_FRAMES or ctx.state.open_question \
                or (kinds[:1] != ["reflection"] and not ctx.state.corrected) \
                or chosen_step or decision is not None \
                else self.restatement(ctx, query)  # a step or a choice they named is said back on its own
            if restated is not None and ctx.state.corrected:
                yield say(restated[0], "restatement", restated[1])  # what they set right, heard
            else:  # … only before a line of feeling: alone, or before a stock question, it read as parroting
                pending = restated  # (round 28: "it just repeated what i said back")
        for utterance_id, text in chosen_step:  # said back and affirmed, not a new suggestion
            yield say(utterance_id, "affirmation", text)
        if chosen_step:
            kinds = []
        formed = ctx.state.open_question  # the question a written answer of its form can meet, when there is one
        if decision is not None and formed and formed != decision.question and self.tracker.acts.form(formed):
            # "is it normal to still feel this bad? and should i see a doctor?": both are answered, the first first
            index = self._answer_of_form(ctx, formed, problem, [])
            if index is not None:
                yield say_bank(index)
        if decision is not None:
            # "should i confront them or let it go?": the choice said back, then how to weigh it, or a written
            # answer made for this very question
            yield say(decision.echo[0], "reflection", decision.echo[1])
            same = ctx.state.open_question == decision.question
            index = self.answer(ctx, ctx.state.open_question, problem, []) if same else None
            # a choice of no known kind ("should i redo the whole resume from scratch?") is better met by written
            # help about it than by a way of weighing any choice (round 28: "If it's a step you could take back…")
            generic = decision.line[0].startswith("decision:any_") and index is not None and (
                self.bank[index].kind != "answer" or self.listed_match(ctx, index) >= ANSWER_MATCH)  # not its form alone
            # … but never a general answer in place of weighing the choice they named ("I'm not in your shoes…" to
            # "should i pay it myself or make him take responsibility? what would you do?", round 48)
            if index is not None and (generic or self.listed_match(ctx, index) >= STRONG_ANSWER) \
                    and self.bank.problem[index] != GENERAL:
                yield say_bank(index)
            else:
                yield say(decision.line[0], "answer", decision.line[1])
            kinds = kinds[1:]
            worry = decision.follow_up
            if worry is not None and worry[0].startswith("decision-seems"):
                # "or would that make me look insecure?" is part of what they asked: met before anything else
                if sum(len(t.split()) for t in texts()) + len(worry[1].split()) <= self.max_words + DECISION_EXTRA_WORDS:
                    yield say(worry[0], "affirmation", worry[1])
                kinds = [k for k in kinds if k != "question"]
        elif (judged := self.judgment(ctx, problem)) is not None:
            # "is it selfish to not want to go?", "is that weird?": their own word answered first
            kinds = [k for k in kinds[1:] if k not in {"suggestion", "information"}]
            yield say(judged[0], "answer", judged[1])
        elif ctx.state.open_question and (how_to_say := self.how_to_say(ctx, problem)) is not None:
            # "how do i even bring it up with her without a fight?": how to say it, to the one it is said to
            kinds = [k for k in kinds[1:] if k not in {"suggestion", "question"}]
            yield say(how_to_say[0], "answer", how_to_say[1])
        elif ctx.state.open_question:
            index = self.answer(ctx, ctx.state.open_question, problem, [])
            if index is None and problem not in SAFETY_FRAMES:
                # "you know anything about zoom? how do i get the sound to work": another question of the message
                # may have the written answer
                others = [q for q in self.tracker.acts.asked(ctx.user_text) if q != ctx.state.open_question]
                index = next((i for q in others[::-1] if (i := self.written_answer(ctx, q, problem, [])) is not None),
                             None)
            if index is None and problem == CRISIS:
                closeness = self.bank.text_vectors @ self.embedder.encode_one(ctx.state.open_question)
                index = self.pick(ctx, "answer", query, CRISIS, texts(), [], closeness)
            elif index is None and self.tracker.acts.in_question_form(ctx.state.open_question):
                # nothing fits: say so honestly rather than answer another question, after saying back what they
                # wonder (round 49's judges read the honest line alone as a dodge, 10 times of 10)
                wondered = self.decisions.wonder(ctx.state.open_question, ctx.state.used)
                if wondered is not None and not says_rejected(ctx.state, wondered[1]) \
                        and details_fit(wondered[1], ctx.known_text):
                    yield say(wondered[0], "reflection", wondered[1])
                # "how do i keep dancing with everything shut?" is theirs to find, with help: asked back, not refused
                open_kind = "honest_open" if self.tracker.acts.asks_how(ctx.state.open_question) else "honest"
                likely = self.likely_problem(ctx, problem)
                # "is it too late to talk to my landlord?": what can't be judged from here, and who can judge it
                # (data/knowledge: each trouble's own honest lines name where to turn)
                referral = self.pick(ctx, "honest", query, likely, texts(), [], specific=True) \
                    if open_kind == "honest" and likely not in {GENERAL, CRISIS} \
                    and self.in_territory(ctx, ctx.state.open_question, likely) else None
                index = referral if referral is not None else self.pick(ctx, open_kind, query, GENERAL, texts(), []) \
                    or self.pick(ctx, "honest", query, GENERAL, texts(), [])
            if index is not None:
                kinds = kinds[1:]
                if self.bank[index].text.endswith("?"):
                    kinds = [k for k in kinds if k != "question"]  # one question a reply
                yield say_bank(index)
                second = self._second_answer(ctx, problem, [self.bank.id_of(index)])
                if second is not None and sum(len(t.split()) for t in texts()) + len(self.bank[second].text.split()) \
                        <= self.max_words * TWO_ANSWERS_LENGTH:
                    # "is it normal to still feel this bad? and should i still see a doctor?": both are answered
                    kinds = [k for k in kinds if k != "question"]
                    yield say_bank(second)
        elif problem not in SAFETY_FRAMES and ctx.state.act not in {"greeting", "thanks", "closing"}:
            # "what worries me most is she finds out and shuts me out": the fear met like a question, when a
            # written answer or step is about it (no honest "I can't say" for a question never asked)
            worry = self.tracker.acts.worry(ctx.user_text)
            index = self._matched_answer(ctx, worry, problem, []) if worry else None
            if index is not None and self.engages(ctx, index, worry):
                kinds = [k for k in kinds[1:] if k != "suggestion"]
                yield say_bank(index)
        floored = problem not in SAFETY_FRAMES  # lines written for that moment are said as they are
        for slot, kind in enumerate(kinds):
            words = sum(len(t.split()) for t in texts())
            if decision is not None and kind == "question" and decision.follow_up is not None:
                # "which way are you leaning?" after a decision's answer, where the reply has room for it
                if words + len(decision.follow_up[1].split()) <= self.max_words:
                    yield say(decision.follow_up[0], "question", decision.follow_up[1])
                continue
            if words >= self.max_words * 0.6:
                break
            # the opening reflection answers what this message is about when it says something new and clear
            disclosure = ctx.state.message_problem if problem != CRISIS else ""
            topic = disclosure if slot == 0 and not said and disclosure else problem
            if kind == "opening":
                topic = self.named_problem(ctx)  # "rough week at work": work, as far as they said
            taken = [self.bank.id_of(i) for i in chosen]
            index = self.pick(ctx, kind, query, topic, texts(), taken, floored=floored)
            if index is None and kind == "opening":
                index = self.pick(ctx, "greeting", query, GENERAL, texts(), taken)
            if index is None and kind in {"reflection", "affirmation"}:
                other = "affirmation" if kind == "reflection" else "reflection"
                index = self.pick(ctx, other, query, problem, texts(), taken, floored=floored)
                if index is None and not said and floored:
                    # nothing close enough to say back: a few words of feeling, never a bare question (round 21:
                    # "you keep asking me questions but not saying much back")
                    index = self.pick(ctx, "brief", query, GENERAL, texts(), taken)
            if index is not None:
                if pending is not None and self.bank[index].kind in {"reflection", "affirmation", "brief"}:
                    yield say(pending[0], "restatement", pending[1])
                pending = None
                yield say_bank(index)
        only_owned = bool(said) and all(kind in {"repair", "acknowledgement", "brief", "restatement"}
                                        for _, kind, _ in said) \
            and ctx.state.act not in {"greeting", "thanks", "closing"} and floored
        if not said or only_owned:
            # nothing close enough to this message, or only "I'm sorry, I missed what you actually said there." or
            # their own words said back: ask about it rather than say something true of anyone, or leave them nothing
            # to answer; and never a bare question (round 24: "What has been the hardest part…?" as a whole reply)
            if not said and floored and ctx.state.act not in {"greeting", "thanks", "closing"}:
                index = self.pick(ctx, "brief", query, GENERAL, [], [])
                if index is not None:
                    yield say_bank(index)
            index = self.pick(ctx, "question", query, problem, texts(), [self.bank.id_of(i) for i in chosen])
            if index is not None:
                yield say_bank(index)
        if not said:
            warnings.append("no bank utterance fitted this turn; a general reflection was used")
            yield say_bank(self.pick(ctx, "reflection", query, GENERAL, [], []) or 0)
        yield self._recorded(ctx, plan, said)

    @staticmethod
    def _recorded(ctx: TurnContext, plan: Plan, said: list[tuple[str, str, str]]) -> ReplyInfo:
        """The reply as said, recorded in the dialogue state (what was said, asked and suggested)."""
        texts = [text for _, _, text in said]
        plan.exemplars = texts
        ids = [i for i, _, _ in said]
        suggested = any(kind in {"suggestion", "answer", "information"} for _, kind, _ in said)
        DialogueTracker.record_reply(ctx.state, ctx.turn_index, ids, " ".join(texts), suggested=suggested,
                                     kinds=[kind for _, kind, _ in said])
        return ReplyInfo(text=" ".join(texts), source="composed", utterances=ids)
