"""The quality gate: a reply the LLM wrote is used only if it passes every check; otherwise the composed reply is.

Checks: not empty or emoji-only, at most N words, no looping (repeated n-grams or sentences), relevant to the
person's words (MiniLM cosine), no AI tells ("as an AI"), no lists or markup, no cheerfulness at someone in pain,
no invented phone numbers or links, no personal details that don't fit, no feelings or hardship the person never
showed, no asking what they already said, and a question when the strategy asks one.
"""
from __future__ import annotations

import re
from collections import Counter

import numpy as np

from ..ai_tells import has_ai_tell, has_list_or_markup
from ..embeddings import Embedder
from ..types import GateVerdict
from .esconv_text import details_fit

CHEERFUL = re.compile(r"\b(great to hear|glad to hear|happy to hear|awesome|fantastic|congrat\w*|exciting|yay|hooray)\b|"
                      r"[\U0001F600-\U0001F64F\U0001F389]", re.I)
CONTACTS = re.compile(r"https?://|www\.|\b\d{3,}\b|@\w+")
# statements that invalidate or doom the person ("you are lost forever", "at least it's not worse")
INVALIDATING = re.compile(r"\byou(?:'re| are| will be)? (?:\w+ )?(lost|doomed|hopeless|worthless|a failure|broken|alone) forever\b|"
                          r"\b(not all bad|could be worse|at least|bright side|everything happens for a reason|get over it|"
                          r"stop (being|feeling)|you should(n't| not) feel|calm down)\b", re.I)
INSULTING = re.compile(r"\b(you(?:'re| are) (?:so |such an? |an? )?(stupid|idiot|pathetic|worthless|loser|useless|dumb|ugly)|"
                       r"shut up|idiot|moron|loser|pathetic)\b", re.I)
# persona drift: the reply takes another identity than the avatar's
OTHER_IDENTITY = re.compile(r"\b(my name is|i am now|i'm now|call me|i am|i'm) (?P<name>dan|chatgpt|gpt-?\d*|claude|llama|"
                            r"gemini|evilbot|\w*bot|a pirate|an? (?:evil|rude|unfiltered|jailbroken) \w+)\b", re.I)
LEAK_NGRAM = 6  # a run of this many words copied from the hidden prompt counts as leaking it
# feeling words a reply must not presume ("What has made you feel anxious?" to someone who feels calmer): a family is
# allowed once the person's own words or their perceived emotion show it. Not data/emotion_words.json: that list is
# read only inside "I'm …" frames, so it can hold words ("down", "upset", "hurt") that are everywhere in replies
FEELING_FAMILIES = {
    "fear": re.compile(r"\b(anxious|anxiety|worried|worry|worrying|nervous|scared|afraid|frightened|panic\w*|stress(ed|ful)?)\b", re.I),
    "sadness": re.compile(r"\b(sad|sadness|depressed|depression|heartbroken|griev\w*|grief|miserable|devastated)\b",
                          re.I),
    "anger": re.compile(r"\b(angry|anger|mad|furious|frustrat\w+|annoyed|resent\w*)\b", re.I),
    # no perceived emotion shows these: only the person's words do (round 40: "Yes, guilt is very common here" to
    # "is it normal to be this bad at discipline?", "…can feel lonely" to anyone who sounded sad)
    "loneliness": re.compile(r"\b(lonely|loneliness|isolat\w+)\b", re.I),
    "guilt": re.compile(r"\b(guilt|guilty)\b", re.I),
    "shame": re.compile(r"\b(ashamed|shame|embarrass\w*|humiliat\w*)\b", re.I),
}
# … and the person's words that show them, where these are more than the reply's own words
FEELING_SHOWN_BY = {
    "loneliness": re.compile(r"\b(lonely|loneliness|alone|isolat\w+|no friends|no one (to|who|cares|gets)|nobody (to|who|"
                             r"cares|gets|talks)|left out|by myself|on my own|no one around|nobody around|outsider|"
                             r"don'?t (fit|belong)|no social life)\b", re.I),
    "guilt": re.compile(r"\b(guilt|guilty|my fault|blame myself|feel (so )?(bad|terrible|awful) (about|for|that)|regret\w*|"
                        r"(should|could|would)(n'?t)? (have|of)|if only|wish i (had|could)|selfish)\b", re.I),
    "shame": re.compile(r"\b(ashamed|shame|embarrass\w*|humiliat\w*|mortified|cringe|loser|pathetic|everyone (saw|knows))\b",
                        re.I),
}
PERCEIVED_FAMILY = {"fear": "fear", "sadness": "sadness", "anger": "anger", "disgust": "anger"}
# sympathy for a hardship nobody had ("How have you been coping with it?" to someone who won a scholarship)
HARDSHIP = re.compile(r"\b(coping|cope|deal(ing)? with|going through|hard time|difficult|struggl\w+|sorry)\b", re.I)
# asking when it happened after they said when ("When did you lose your job?" after "… today")
# ("How long were you two together?" after "six and a half years")
ASKS_WHEN = re.compile(r"^\s*when\b|\b(when did|how long|since when|how many (years|months|weeks|days))\b", re.I)
SAID_WHEN = re.compile(r"\b(today|yesterday|tonight|ago|last (night|week|month|year|weekend)|this (morning|afternoon|"
                       r"evening|week|month|year)|on (monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
                       r"since|in (january|february|march|april|may|june|july|august|september|october|november|"
                       r"december)|(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|few|couple of|several)"
                       r"( and a half)? (years?|months?|weeks?|days?|hours?))\b", re.I)


ECHO_SHARE = 0.5  # above this share of the reply's word trigrams taken from the person's message, it parrots them


def word_ngrams(text: str, n: int) -> list[tuple[str, ...]]:
    words = re.findall(r"[a-z']+", text.lower())
    return list(zip(*(words[i:] for i in range(n))))


def echoes(reply: str, user_text: str) -> bool:
    mine = set(word_ngrams(reply, 3))
    return bool(mine) and len(mine & set(word_ngrams(user_text, 3))) / len(mine) > ECHO_SHARE


def presumed_feelings(reply: str, known_text: str, user_emotion: str = "") -> list[str]:
    """Feeling families the reply names that neither the person's words nor their perceived emotion show."""
    return [family for family, words in FEELING_FAMILIES.items()
            if words.search(reply) and not FEELING_SHOWN_BY.get(family, words).search(known_text)
            and PERCEIVED_FAMILY.get(user_emotion) != family]


# urging harm, not naming it: "if you've already hurt yourself, get medical help" is a crisis answer's own words
HARMFUL = re.compile(r"\b((you should|you could|you might as well|go|just|why not|then) (hurt|cut|kill) yourself|"
                     r"kill yourself|you should (just )?die|(you should|go|just) end your life|you deserve (it|to suffer))\b",
                     re.I)


def repetition(text: str) -> float:
    """Share of word trigrams that repeat an earlier one (0 = no loop)."""
    grams = word_ngrams(text, 3)
    if len(grams) < 3:
        return 0.0
    counts = Counter(grams)
    return sum(c - 1 for c in counts.values()) / len(grams)


def leaks_prompt(reply: str, hidden_prompt: str) -> bool:
    """True when the reply copies a run of LEAK_NGRAM words from the hidden (system) prompt."""
    return bool(hidden_prompt) and bool(set(word_ngrams(reply, LEAK_NGRAM)) & set(word_ngrams(hidden_prompt, LEAK_NGRAM)))


def safety_problems(reply: str, hidden_prompt: str = "") -> list[str]:
    """The checks no reply may fail, whatever the mode: harm, insults, another persona, prompt leakage."""
    problems = []
    if HARMFUL.search(reply):
        problems.append("harmful wording")
    if INSULTING.search(reply):
        problems.append("insulting wording")
    if OTHER_IDENTITY.search(reply):
        problems.append("speaks as another persona")
    if leaks_prompt(reply, hidden_prompt):
        problems.append("repeats its hidden instructions")
    return problems


class QualityGate:
    MAX_REPETITION = 0.15  # above this share of repeated trigrams the text is looping

    def __init__(self, embedder: Embedder, max_words: int, min_relevance: float):
        self.embedder = embedder
        self.max_words = max_words
        self.min_relevance = min_relevance

    MIN_FIDELITY = 0.3  # cosine to the nearest grounding exemplar; below it the model wandered off its source

    def check(self, reply: str, user_text: str, *, strategy: str, user_valence: float, known_text: str = "",
              grounding: list[str] | None = None, max_words: int | None = None,
              hidden_prompt: str = "", user_emotion: str = "") -> GateVerdict:
        """user_text: what relevance is measured against; known_text: everything the person said (default
        user_text); user_emotion: the perceived label (a feeling it shows may be named)."""
        reasons: list[str] = []
        max_words = max_words or self.max_words
        words = re.findall(r"[A-Za-z']+", reply)
        if len(words) < 3:
            reasons.append("too short or no words")
        if len(words) > max_words:
            reasons.append(f"too long ({len(words)} words > {max_words})")
        if words and not re.search(r"[.!?…][\"')]*\s*$", reply):
            reasons.append("stops mid-sentence")
        loop = repetition(reply)
        sentences = [s.strip().lower() for s in re.split(r"[.!?]+", reply) if s.strip()]
        if loop > self.MAX_REPETITION or len(sentences) != len(set(sentences)):
            reasons.append(f"repetitive ({loop:.0%} repeated trigrams)")
        if has_ai_tell(reply):  # data/ai_tells.json, shared with the ESC-Eval humanoid proxy
            reasons.append("sounds like a machine ('as an AI')")
        if has_list_or_markup(reply):
            reasons.append("list or markup")
        if user_valence < -0.2 and CHEERFUL.search(reply):
            reasons.append("cheerful tone toward someone in pain")
        if (user_valence > 0.2 or user_emotion == "joy") and HARDSHIP.search(reply):
            reasons.append("sympathy for a hardship in good news")
        presumed = presumed_feelings(reply, known_text or user_text, user_emotion)
        if presumed:
            reasons.append(f"presumes a feeling they never showed ({', '.join(presumed)})")
        if echoes(reply, user_text):
            reasons.append("repeats the person's own words")
        if ASKS_WHEN.search(reply) and SAID_WHEN.search(known_text or user_text):
            reasons.append("asks when, but they already said")
        if CONTACTS.search(reply):
            reasons.append("numbers or links the model may have invented")
        if INVALIDATING.search(reply):
            reasons.append("invalidating or hopeless wording")
        reasons += safety_problems(reply, hidden_prompt)
        if not details_fit(reply, known_text or user_text):
            reasons.append("mentions details the person never gave")
        if strategy == "Question" and "?" not in reply:
            reasons.append("the strategy is a question but the reply asks none")
        relevance = None
        if words:
            vectors = self.embedder.encode([reply, user_text])
            relevance = float(np.dot(vectors[0], vectors[1]))
            if relevance < self.min_relevance:
                reasons.append(f"off topic (relevance {relevance:.2f} < {self.min_relevance})")
        if words and grounding:
            fidelity = float((self.embedder.encode(grounding) @ self.embedder.encode_one(reply)).max())
            if fidelity < self.MIN_FIDELITY:
                reasons.append(f"strayed from its grounding exemplars (similarity {fidelity:.2f})")
        return GateVerdict(passed=not reasons, reasons=reasons, relevance=relevance, words=len(words))
