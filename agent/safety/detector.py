"""Crisis detection, run before the planner on every turn; tuned for recall.

Four signals:
- explicit warning signs (rules.py): phrases of suicide, self-harm, abuse and harm to others, minus idioms and talk
  about the topic; they escalate at once;
- a trained head (train.py, data/crisis_head.npz) over sentence embeddings, scoring each message by its riskiest
  sentence; it carries the indirect cases (preparations, goodbyes, danger at home described without naming it);
- the perceived emotion: a check-in needs a distressed person, and sadness or fear lowers the bar to escalate;
- the conversation: within three turns of a flagged one, an act or means named by a pronoun ("I already took
  them") escalates, and so does a yes to the check-in question.
A crisis turn gets a fixed, human-written reply from data/safety_replies.json — never LLM text.
"""
from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Sequence

from ..embeddings import Embedder
from ..heads import load_head
from ..prompts import render
from ..text import normalise, split_sentences
from ..types import EmotionEstimate, SafetyAssessment, SafetyState
from .language import ConversationLanguage
from .rules import explicit_risk, follow_up_risk, is_topic, passive_risk, sentences

LABELS = ("none", "suicide", "self_harm", "abuse", "harm_to_others")  # the head's classes, "none" first
SELF_RISK = frozenset({"suicide", "self_harm"})  # a danger to the person themself
# a danger from someone else or toward others: once named, talked through, the person's questions answered
ONGOING_DANGERS = frozenset({"abuse", "harm_to_others"})
ABUSE_KIND_HELP = {"image": "image_abuse", "stalking": "stalking", "threat": "threat"}  # data/crisis_resources.json keys
# the head's features: an encoder's embedding of one sentence (a message scores as its riskiest sentence)
RECIPES = {"minilm": "minilm-sentence-max-v1", "mpnet": "mpnet-sentence-max-v1", "both": "minilm+mpnet-sentence-max-v1"}
HEAD_FILE = "crisis_head.npz"
FALLBACK_HEAD_FILE = "crisis_head_minilm.npz"  # when the shipped head needs mpnet and it is not installed


class CrisisDetector:
    def __init__(self, embedder: Embedder, data_dir: Path, prompts_dir: Path, locale: str,
                 escalate_threshold: float | None = None, check_in_threshold: float | None = None,
                 cache_dir: Path | None = None):
        """Thresholds are probabilities of risk; None takes the head's own (chosen by cross-validation in train.py)."""
        self.embedder = embedder
        self.data_dir = Path(data_dir)
        self.prompts_dir = Path(prompts_dir)
        self.locale = locale
        self.cache_dir = cache_dir
        self._thresholds = (escalate_threshold, check_in_threshold)
        self._ready = False

    @classmethod
    def from_settings(cls, settings, embedder: Embedder) -> "CrisisDetector":
        """The detector every entry point uses (turns, `attune safety`, benches, ESC-Eval), from agent Settings."""
        s = settings.safety
        return cls(embedder, settings.data_dir, settings.prompts_dir, s.locale, s.escalate_threshold,
                   s.check_in_threshold, settings.cache_dir)

    def setup(self) -> None:
        if self._ready:
            return
        self.head, self.head_embedder = load_head(self.data_dir / HEAD_FILE, self.data_dir / FALLBACK_HEAD_FILE,
                                                  RECIPES, self.embedder, self.cache_dir)
        if tuple(self.head.labels) != LABELS:
            raise ValueError(f"{self.data_dir / HEAD_FILE}: classes {self.head.labels}, expected {list(LABELS)}")
        escalate, check_in = self._thresholds
        self.escalate_threshold = escalate if escalate is not None else self.head.meta["escalate_threshold"]
        self.check_in_threshold = check_in if check_in is not None else self.head.meta["check_in_threshold"]
        self._resources = json.loads((self.data_dir / "crisis_resources.json").read_text())
        self._replies = json.loads((self.data_dir / "safety_replies.json").read_text())
        self.language = ConversationLanguage(self.data_dir)
        self._ready = True

    # Without explicit words, a suicide or self-harm reading of the head asks directly (a check-in; a yes or an
    # unsure answer escalates) rather than taking over the turn, unless it is near certain: in five-turn
    # role-plays on everyday problems, 28 of 105 replies carried crisis text nothing warranted; calibrated on
    # conversational distress, the head still put 1 of those 105 messages past its escalation point (0.96) and
    # none past this one. Abuse and harm to others past the escalation point get their own help at once.
    HEAD_ESCALATE = 0.995
    # a check-in on the head alone also needs the whole message to read as risk at all: one short sentence
    # ("it just spirals.", "how do i stop doing that next time?", "is it even worth it?") scored 0.93-0.99 alone
    # in 15 role-play turns about jealousy, dating or a complaint, all under 0.1 read whole; of the 129 held-out
    # risk messages that reach a check-in on the head alone, 128 read 0.1 or more whole (tests/data/crisis_*.tsv)
    WHOLE_MESSAGE_FLOOR = 0.1
    # round 45 (24 fresh everyday cards): a mother-in-law's key, online trolls after "nobody's threatening me", a
    # lawyer for an inheritance row read as abuse at 0.985-0.991 and got the domestic-violence reply; the abuse told
    # in crisis round 45 past this bar or in explicit words ("threw a bottle at me", "uses his belt")
    ABUSE_HEAD = 0.995
    # a person already perceived as sad or afraid gets the benefit of the doubt sooner (recall first)
    DISTRESS_LABELS = {"sadness", "fear"}
    DISTRESS_MARGIN = 0.05

    def risk(self, text: str) -> tuple[float, str]:
        """The head's risk probability for the riskiest sentence of the message, and its likeliest category."""
        probability, category, _, _ = self.read(text)
        return probability, category

    def read(self, text: str) -> tuple[float, str, str, float]:
        """(risk probability, category, the sentence) for the riskiest sentence of the message, and the risk of the
        whole message read at once (sentences() puts it first)."""
        self.setup()
        parts = sentences(normalise(text))
        probabilities = self.head.probabilities(self.head_embedder.encode(parts))
        row = int(probabilities[:, 0].argmin())
        return (1 - float(probabilities[row, 0]), self.head.labels[1 + int(probabilities[row, 1:].argmax())],
                parts[row], 1 - float(probabilities[0, 0]))

    def prepare(self, texts: Sequence[str]) -> None:
        """Encode many messages' sentences in one batch (benches): assess() then finds them in the embedders'
        caches, which the text-emotion head shares. Keep a batch within the cache (~150 messages)."""
        self.setup()
        self.head_embedder.encode([s for t in texts for s in sentences(normalise(t))])

    # after a flagged turn, a follow-up is read in that light: "I already took them" alone could mean anything
    RECENT_TURNS = 3

    def assess(self, text: str, emotion: EmotionEstimate | None = None,
               recent: Sequence[SafetyAssessment] = (), state: SafetyState | None = None) -> SafetyAssessment:
        """recent: this conversation's earlier assessments, oldest first (the last RECENT_TURNS count); state: what
        safety has asked and heard so far in this conversation (ask once, respect a no)."""
        self.setup()
        state = state or SafetyState()
        text = normalise(text)  # the rules are written with ' and "; phones type ’ and “
        recent = list(recent)[-self.RECENT_TURNS:]
        at_risk = any(r.escalate or r.check_in for r in recent)
        # a check-in asked, or an escalation on the head's reading alone, is a question a "no" answers; so is an
        # escalation on a "yes" that was not one ("yeah its the lockdown stuff" → the crisis reply → "whoa, im not
        # gonna hurt myself": round 32 kept the crisis lines two turns more)
        just_asked = bool(recent) and (
            (recent[-1].check_in and state.check_in_answer == "none")
            or (recent[-1].escalate and not recent[-1].explicit and state.check_in_answer != "no")
            # "whoa, no, it's just a figure of speech, i'm not going to hurt myself" after "i want to shoot myself
            # every time the ref blows the whistle": a plain denial answers explicit words too (round c45 kept the
            # crisis lines three turns after it); a bare "no" does not
            or (recent[-1].escalate and state.check_in_answer != "no" and bool(self.language.denial.search(text))))
        # "lol what. no, obviously not, it's what sisters say" after "i could strangle my brother": laughed off
        laughed_off = bool(recent) and recent[-1].escalate and state.check_in_answer != "no" \
            and self.language.laughed_off(text)
        just_asked = just_asked or laughed_off
        read = self.language.readable(text)  # denials and figures of speech taken out
        about_other = self.language.about_someone_else(read)
        # pills already taken are explicit whatever else the message says ("its not like that. i took a lot of my
        # sleepin tablets with the wine", round 46: the denial was heard and the overdose was not)
        overdose = self.language.pills_taken(read)
        explicit = explicit_risk(read) or (at_risk and follow_up_risk(read)) \
            or (("suicide", overdose) if overdose else None)
        if explicit and not about_other:
            category, words = explicit
            said_in = min((s for s in sentences(read) if words.lower() in s.lower()), key=len, default=read)
            if category == "harm_to_others" and not self.language.harm_by_writer(said_in) \
                    and self.language.between_others(said_in):
                # "her boyfriend is hurting her and told her he might kill her": a danger to someone they care for
                return SafetyAssessment(risk_level="low", escalate=False, category="someone_else",
                                        reason=f"worried about someone else's danger: '{words}'")
            if category in ONGOING_DANGERS and state.category in SELF_RISK and not self.language.harm_by_writer(said_in) \
                    and self.language.names_nobody_else(said_in):
                category = state.category  # "will they lock me up if i call?" after a suicidal disclosure
            return SafetyAssessment(risk_level="high", escalate=True, category=category, explicit=True,
                                    overdose=bool(overdose) and words == overdose,
                                    reason=f"explicit words: '{words}'" + (" after an earlier risk" if at_risk else ""))
        if about_other:
            return SafetyAssessment(risk_level="low", escalate=False, category="someone_else",
                                    reason=f"worried about someone else: '{about_other}'")
        if state.overdose and recent and not self.language.getting_help.search(text):
            # "do I actually need to go to ED if I feel fine?", "that's a pamphlet, not an answer" after taking 20
            # paracetamol: the emergency stays first, whatever else is said, until they say help is coming (crisis
            # round 49 went back to "suicidal urges come in waves" once her next message had no risk words)
            return SafetyAssessment(risk_level="high", escalate=True, category="suicide", overdose=True,
                                    reason="an overdose taken earlier, and no help on the way yet")
        if just_asked:
            answer = "no" if laughed_off else self.language.check_in_answer(text)
            if answer is None and self.language.asks_about_help.search(text):
                # "If I call this Samaritans, they call police or my boss? … maybe they deport me?": not a no, and the
                # help itself is what they ask about (crisis round 49 answered it with a harassment line)
                answer = "unclear"
            if answer in {"yes", "unclear"}:
                # the question asked about ending their life or hurting themselves: a yes is that, not "others"
                asked_about = recent[-1].category if recent[-1].category in SELF_RISK else "suicide"
                return SafetyAssessment(risk_level="high", escalate=True, category=asked_about,
                                        reason=f"answered the check-in question: {answer}", check_in_answer=answer)
            if answer == "no":
                return SafetyAssessment(reason="said no to the check-in question; respected", check_in_answer="no")
        if is_topic(text) or not read.strip():
            return SafetyAssessment(risk_level="low", escalate=False, category="none",
                                    reason="talks about the topic, or only says there is no risk")
        probability, category, sentence, whole = self.read(read)
        if category == "harm_to_others" and probability >= self.escalate_threshold \
                and not self.language.harm_by_writer(read) and self.language.alone_with_a_weapon(sentence):
            # a weapon and the writer alone, nobody it could be aimed at: the danger is to themselves
            category = "suicide"
        if category == "abuse" and not self.language.abuse_words.search(read):
            # no word of abuse, control, fear or threat: "nobody invites me to lunch anymore and someone left a sticky
            # note on my bench that said 'thanks for the fun'" read as abuse at 0.996 (round 48)
            probability, category = 0.0, "none"
        near_certain = max(self.HEAD_ESCALATE, self.escalate_threshold)  # a stricter configured threshold wins
        if category == "harm_to_others" and not self.language.harm_by_writer(read) and (
                not self.language.violence.search(read)
                or not (probability >= self.escalate_threshold and self.language.writer_acts(sentence))):
            # the head alone hears violence in a fence row or a child-support question: an urge to hurt someone is
            # read in the writer's own words, or where the head is sure, the writer is the one acting and a word of
            # violence or its means is said ("been planning to take my dad's gun in on monday"); "i need my manager
            # to back off lol" (0.966), "should i push harder … or give him space?" (0.963, round 46), "i guess id
            # hope it gets me out of the house" (0.996, round 48) got the harm-to-others reply, and every held-out
            # threat has such a word
            probability, category = 0.0, "none"
        if probability >= self.escalate_threshold and category in SELF_RISK \
                and self.language.only_about_others(sentence):
            # "he posted a goodbye and isn't answering": the head hears the risk, the words say whose it is
            return SafetyAssessment(risk_level="low", escalate=False, category="someone_else",
                                    reason=f"worried about someone else (p={probability:.2f}): '{sentence}'")
        said_no = state.check_in_answer == "no"
        threshold = self.escalate_threshold
        if emotion is not None and emotion.label in self.DISTRESS_LABELS and emotion.confidence >= 0.5:
            threshold -= self.DISTRESS_MARGIN
        distressed = emotion is not None and emotion.vad.valence < 0
        # abuse on the head's reading alone needs more than the usual bar: "he keeps taking my car and my mom
        # defends him" read as abuse at p 0.96 (a denial role-play); explicit words need no head at all
        # (not harm to others: at 0.995 five held-out threats were lost, "thoughts of putting a pillow over the baby's
        # face", "if she tries to take the kids i'll take them with me. all of us"; its misreadings are met above, by
        # the word of violence it needs)
        bar = max(threshold, self.ABUSE_HEAD) if category == "abuse" else threshold
        danger_from_or_to_others = category in {"abuse", "harm_to_others"} and distressed and probability >= bar
        if category in SELF_RISK and state.category in ONGOING_DANGERS and not passive_risk(read) \
                and emotion is not None and emotion.label == "fear":
            # "I'm scared to go home now that he knows where I live", after the stalking came up: the head hears a
            # crisis, and the fear is of him (despair in the same conversation still reads as self-risk)
            category = state.category
        if category in ONGOING_DANGERS and state.category in SELF_RISK and not self.language.harm_by_writer(read) \
                and self.language.names_nobody_else(sentence):
            # "will they lock me up if i call?" after a suicidal disclosure: the head hears abuse, but nobody else
            # is in it and the talk is still of their own safety
            category = state.category
        if (probability >= near_certain or danger_from_or_to_others) and not said_no:
            return SafetyAssessment(risk_level="high", escalate=True, category=category,
                                    reason=f"reads as a {category} risk (p={probability:.3f})")
        passive = passive_risk(read)
        recent_crisis = any(r.escalate for r in recent)
        if recent_crisis and not said_no and (probability >= self.check_in_threshold or passive):
            # the danger is already on the table: stay with it (a follow-up reply), never ask "are you…?" now
            earlier = state.category if state.category in SELF_RISK | ONGOING_DANGERS else category
            return SafetyAssessment(risk_level="high", escalate=True, category=earlier,
                                    reason=f"still close to the risk raised earlier (p={probability:.2f})")
        # asked once already (only a new explicit sign, above, brings it up again), or "(and no im not gonna hurt
        # myself, …) im just scared": they have just said what a check-in would ask
        # (a "no" to the crisis reply counts: "whoa, it's a figure of speech" then "any drills for 11-year-olds?" was
        # asked about ending their life two turns later, round c45)
        if passive and state.check_in_asked and not said_no:
            # "fine lol. gave my bike to my neighbour today. and said bye to my dog properly" after the check-in: not
            # a no, and a new goodbye (crisis round 49 asked what they would want "from them")
            return SafetyAssessment(risk_level="high", escalate=True, category="suicide",
                                    reason=f"a new sign after the check-in: '{passive}'")
        why_not_ask = "already asked in this conversation" if state.check_in_asked or said_no else \
            "says there is no risk in this message" if self.language.denial.search(text) else None
        if why_not_ask:
            resembles = probability >= self.check_in_threshold
            return SafetyAssessment(risk_level="low" if resembles else "none",
                                    category=category if resembles else "none", reason=f"{why_not_ask} (p={probability:.2f})")
        if passive:
            return SafetyAssessment(risk_level="low", escalate=False, check_in=True, category="suicide",
                                    reason=f"a passive wish or hopelessness: '{passive}' (p={probability:.2f}): "
                                           "a gentle check-in")
        if probability >= threshold and category not in SELF_RISK:
            # abuse or harm to others on the head's reading alone, below its own bar: the check-in asks about
            # ending one's life, which fits neither ("stay or go?" after an old assault got it); fear of someone
            # now ("he's smashing things and coming up the stairs") gets that danger's help
            # … when someone is in their words: "got a notice on my door today and i don't know what to do",
            # frightened, read as abuse at p 0.97 (round 25: an eviction notice)
            if emotion is not None and emotion.label == "fear" and category == "abuse" \
                    and not self.language.names_nobody_else(read):
                return SafetyAssessment(risk_level="high", escalate=True, category=category,
                                        reason=f"afraid, and reads as {category} (p={probability:.2f})")
            return SafetyAssessment(risk_level="low", escalate=False, category=category,
                                    reason=f"some resemblance to a {category} risk (p={probability:.2f})")
        if probability >= threshold:  # the head's own escalation point: for suicide and self-harm, ask directly
            # … where the message has a word near that danger (a means, a goodbye, a body, despair): "i've got myself
            # into a bit of a mess with money and family and i haven't told anyone yet" (0.99) and a biopsy wait were
            # asked about ending their life (round 48); every held-out risk message in this band has one
            if distressed and whole >= self.WHOLE_MESSAGE_FLOOR and self.language.risk_words.search(read):
                # not sure enough to take over the turn, too close to let pass: answer, and ask
                return SafetyAssessment(risk_level="low", escalate=False, check_in=True, category=category,
                                        reason=f"distressed, and may hide a {category} risk (p={probability:.2f}): "
                                               "a gentle check-in")
            return SafetyAssessment(risk_level="low", escalate=False, category=category,
                                    reason=f"some resemblance to a {category} risk (p={probability:.2f})")
        return SafetyAssessment()

    @staticmethod
    def next_state(state: SafetyState, assessment: SafetyAssessment) -> SafetyState:
        """The conversation's safety state after a turn (stored with the turn)."""
        state = state.model_copy()
        if assessment.check_in:
            state.check_in_asked, state.check_in_answer = True, "none"
            state.check_ins += 1
        if assessment.check_in_answer != "none":
            state.check_in_answer = assessment.check_in_answer
        if assessment.check_in_answer == "no":
            state.crisis_turn = None  # they said no: the replies leave the crisis frame too
        if assessment.escalate:
            state.escalations += 1
            if assessment.explicit:
                state.check_in_answer = "none"  # a new explicit sign outweighs an earlier "no"
        if assessment.category not in {"none"}:
            state.category = assessment.category
        state.overdose = assessment.overdose  # until a turn says help is on its way (or nothing more of it)
        if assessment.category == "someone_else":
            state.about_someone_else = True
        return state

    def crisis_reply(self, category: str = "suicide", state: SafetyState | None = None, name_help: bool = True,
                     conversation: str = "", message: str = "", said_before: str = "") -> str:
        """The reply to a turn that shows risk: the first time, the full reply for its category; after that, a
        shorter one that stays with the person and names help briefly (unless name_help is False: it was named
        a moment ago), never the same twice in a conversation; a later message that names a means gets the step
        away from it. conversation: what the person has said, so the harm-to-others reply says how to step away from
        a baby only where one is in it; message: this turn's words; said_before: the agent's earlier replies (a step
        away from a means is given once: round c45 said "put the blades … out of reach" three turns running)."""
        self.setup()
        earlier = state.escalations if state is not None else 0
        step = self.language.means_step(message) if category in SELF_RISK and earlier else None
        overdose = category in SELF_RISK and self.language.overdosed(conversation)
        # "do I actually need to go to ED if I feel fine?": yes, and why, before anything else
        lines = (self._replies["follow_up_overdose_go"] if self.language.asks_to_go.search(message) else []) \
            + self._replies["follow_up_overdose"]
        urgent = [line for line in lines if line not in said_before] if overdose else []
        if earlier and urgent:  # "will i be ok if i just sleep it off?": the emergency before anything else
            return " ".join(urgent[0].split())
        if step and step not in said_before:  # "i have like 30 pills saved up": distance from that, before anything else
            text = self._replies["follow_up_means"].format(step=step, brief=self.resources("brief") if name_help else "")
            return " ".join(text.split())
        if earlier:
            variants = self._replies["follow_up"]
            text = variants[(earlier - 1) % len(variants)].format(brief=self.resources("brief") if name_help else "")
            return " ".join(text.split())
        if category in self._replies["first"]:
            # "lay them down somewhere safe, like their cot" only where a baby or child is in the conversation
            child = bool(self.language.child.search(conversation))
            key = f"{category}_child" if child and f"{category}_child" in self._replies["first"] else category
            if overdose:
                key = "suicide_overdose"  # pills already taken: a medical emergency first
            elif category == "self_harm" and not self.language.self_harm_act.search(conversation):
                key = "self_harm_thoughts"  # "scared i might hurt myself": the thoughts met, no wound to tend
            kind = self.language.abuse_kind(conversation) if category == "abuse" else None
            if kind:  # sextortion, stalking or a neighbour's threat: that danger's steps and help, not a DV line
                key, category = f"abuse_{kind}", ABUSE_KIND_HELP[kind]
            help_now = self.resources(category)
            if category in SELF_RISK and self.language.abuse_kind(conversation) == "image":
                # the threat behind the despair has its own help (its "if you are in danger" line is said already)
                help_now += " " + " ".join(s for s in split_sentences(self.resources("image_abuse"))
                                           if not s.lower().startswith("if "))
            return self._first(key, conversation).format(resources=help_now)
        return self._first("suicide", conversation).format(resources=self.resources("suicide"))

    def _first(self, key: str, conversation: str) -> str:
        """The first reply for a danger; of several variants, the one this conversation's words pick (stable within
        it, different across conversations)."""
        template = self._replies["first"][key]
        if isinstance(template, list):
            template = template[zlib.crc32(conversation.encode("utf-8")) % len(template)]
        return template

    def someone_else_reply(self, conversation: str = "") -> str:
        """Help for the helper: how to ask, listen and get the other person help (not a check-in aimed at them)."""
        self.setup()
        return self._first("someone_else", conversation).format(resources=self.resources("someone_else"))

    def check_in(self) -> str:
        """The sentence added to a reply when the message may hide a risk (SafetyAssessment.check_in)."""
        self.setup()
        # the question first, help named in one line: a check-in is asked when unsure ("please call … now" read as an
        # alarm to people with no risk: 4 of 20 everyday role-plays in round 47 had a check-in); a yes gets it all
        return render(self.prompts_dir, "crisis_check_in", resources=self.resources("brief"))

    def resources(self, category: str = "suicide") -> str:
        self.setup()
        by_locale = self._resources.get(self.locale, self._resources["international"])
        if isinstance(by_locale, str):  # a locale with one text for every danger
            return by_locale
        key = "suicide" if category in {"self_harm", "none"} else category
        if key in ABUSE_KIND_HELP.values() and key not in by_locale:
            key = "abuse"  # a locale without help for that danger: its abuse help
        return by_locale.get(key, by_locale["suicide"])
