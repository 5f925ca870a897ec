"""Real supporter turns from ESConv, curated, indexed by MiniLM, retrieved per strategy.

Curation (``attune data exemplars``) turns the raw ESConv TSV into data/exemplars.jsonl: profanity/joke filter,
length limits, no turns that only make sense inside their own dialogue, no URLs or numbers, and self-disclosures
with someone else's life details ("my aunt is a cancer survivor") marked personal and kept out of replies.
The embedding index is built on first use and cached on disk, keyed by corpus and model.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..embeddings import Embedder
from ..text import split_sentences
from ..types import STRATEGIES

ESCONV_TO_STRATEGY = {
    "Questions": "Question", "Restatement or Paraphrasing": "Restatement or Paraphrasing",
    "Reflection of feelings": "Reflection of Feelings", "Self-disclosure": "Self-disclosure",
    "Affirmation and Reassurance": "Affirmation and Reassurance", "Providing Suggestions": "Providing Suggestions",
    "Information": "Information", "Other": "Others",
}
_TURN = re.compile(r"^\s*[\d.]+\s+(?P<speaker>[01])\s+\d+\s+(?P<text>.*)$", re.S)
_STRATEGY_TAG = re.compile(r"^\[(?P<name>[^\]]+)\]\s*(?P<text>.*)$", re.S)
# turns that lean on their own dialogue or carry details that belong to someone else
_CONTEXT_BOUND = re.compile(
    r"\b(as i said|like i said|you mentioned|mentioned earlier|you said earlier|above|link|website|www|http|"
    r"google|youtube|reddit|app\b|bye|goodbye|good night|take care|have a (?:good|great|nice)|thank you for|"
    r"thanks for|you're welcome|welcome|hello|hi\b|hey\b|nice to meet|how (can|may) i help|what can i do for you|"
    r"i'?m (doing )?(well|good|fine|great)|tonight|this evening|this morning)", re.I)
_PERSONAL = re.compile(
    r"\b(my|our) (wife|husband|son|daughter|kids?|children|mother|mom|mum|father|dad|aunt|uncle|brother|sister|"
    r"cousin|friends?|boss|job|girlfriend|boyfriend|partner|family|grand\w+|dog|cat|ex|parents?|niece|nephew|"
    r"company|school|teacher|doctor|house|city|country|church)\b|\bi (had|was|went|lost|got|used to|worked|"
    r"am a|have a|have been through|remember when)\b", re.I)
_HAS_NUMBER = re.compile(r"\d")
_EMOTICON = re.compile(r"(?<!\w)[:;=][-']?[()DPp/\\|]+")
# "your husband" only fits a person who mentioned a husband
_DETAIL = re.compile(r"\byour (wife|husband|son|daughter|kids?|children|mother|mom|mum|father|dad|aunt|uncle|brother|"
                     r"sister|cousin|boss|job|girlfriend|boyfriend|partner|dog|cat|ex|parents?|teacher|school|"
                     r"company|church|exams?|friends?|family|work|manager|coworkers?|wedding|pet)\b", re.I)


_THIRD_PERSON = re.compile(r"\b(he|him|his|she|her|hers)\b", re.I)


def details_fit(sentence: str, known_text: str) -> bool:
    """True when every 'your <someone/something>' and every he/she in the sentence fits what the person said."""
    known = known_text.lower()
    if not all(re.search(rf"\b{re.escape(m.group(1).lower().rstrip('s'))}", known) for m in _DETAIL.finditer(sentence)):
        return False
    return all(re.search(rf"\b{m.group(1).lower()}\b", known) for m in _THIRD_PERSON.finditer(sentence))
MIN_WORDS, MAX_WORDS = 4, 45


@dataclass(frozen=True)
class Exemplar:
    id: str
    strategy: str
    text: str
    context: str  # the seeker's words this turn answered
    personal: bool



_LEAD_IN = re.compile(r"^(?:(?:yes|yeah|yep|ok|okay|well|oh|so|i see|right|sure|hmm|ah|wow|"
                      r"that is fair enough|that's fair enough|fair enough|i understand|i get it)\b[,.!]*\s*)+", re.I)


def key_sentence(text: str, strategy: str) -> str:
    """The sentence of a supporter turn that carries its strategy (the question for Question, else the longest),
    without lead-ins ("Yes that is fair enough, …") that answered something in its own dialogue."""
    sentences = split_sentences(text) or [text]
    chosen = max(sentences, key=lambda s: len(s.split()))
    if strategy == "Question":
        asked = [s for s in sentences if s.endswith("?")]
        chosen = asked[-1] if asked else chosen
    stripped = _LEAD_IN.sub("", chosen).strip()
    return stripped[0].upper() + stripped[1:] if len(stripped.split()) >= 3 else chosen


def _blocklist(data_dir: Path) -> re.Pattern:
    words = [w.strip() for w in (data_dir / "blocklist.txt").read_text().splitlines()
             if w.strip() and not w.startswith("#")]
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.I)


def curate_esconv(tsv_path: Path, data_dir: Path) -> list[Exemplar]:
    """Parse ESConv's strategy TSV (one supporter turn per line, with the dialogue so far) and curate it."""
    blocked = _blocklist(data_dir)
    seen: set[str] = set()
    out: list[Exemplar] = []
    for line in Path(tsv_path).read_text(encoding="utf-8").splitlines():
        turns = [t for t in line.split(" EOS ") if t.strip()]
        parsed = [m.groupdict() for m in map(_TURN.match, turns) if m]
        if len(parsed) < 2 or parsed[-1]["speaker"] != "1":
            continue
        tagged = _STRATEGY_TAG.match(parsed[-1]["text"].strip())
        if not tagged or tagged["name"] not in ESCONV_TO_STRATEGY:
            continue
        strategy = ESCONV_TO_STRATEGY[tagged["name"]]
        text = " ".join(_EMOTICON.sub(" ", tagged["text"]).split())
        text = re.sub(r"\bi\b", "I", re.sub(r"\bi'(m|ve|d|ll)\b", r"I'\1", text))
        seeker = [t["text"].strip() for t in parsed[:-1] if t["speaker"] == "0"]
        if not seeker:
            continue
        norm = re.sub(r"\W+", " ", text.lower()).strip()
        if norm in seen or not (MIN_WORDS <= len(text.split()) <= MAX_WORDS):
            continue
        if blocked.search(text) or _HAS_NUMBER.search(text) or (strategy != "Others" and _CONTEXT_BOUND.search(text)):
            continue
        if text[0].islower() or strategy == "Others":  # fragments; pleasantries are written by us, not retrieved
            continue
        seen.add(norm)
        uid = hashlib.sha1(f"{strategy}|{text}".encode()).hexdigest()[:10]
        out.append(Exemplar(uid, strategy, text, " ".join(seeker[-1].split()), bool(_PERSONAL.search(text))))
    return out


def write_corpus(exemplars: list[Exemplar], path: Path) -> None:
    with Path(path).open("w", encoding="utf-8") as f:
        for e in exemplars:
            f.write(json.dumps(e.__dict__, ensure_ascii=False) + "\n")


def model_identity(model_dir: Path) -> str:
    """Names and sizes of a model's files: the same model installed elsewhere keeps its cached index."""
    files = sorted(p for p in Path(model_dir).rglob("*") if p.is_file() and p.suffix in {".json", ".safetensors", ".bin", ".txt"})
    return "|".join(f"{p.relative_to(model_dir)}:{p.stat().st_size}" for p in files)


class ExemplarIndex:
    """Strategy-filtered nearest-neighbour search over curated supporter turns."""

    def __init__(self, corpus_path: Path, embedder: Embedder, cache_dir: Path):
        self.corpus_path = Path(corpus_path)
        self.embedder = embedder
        self.cache_dir = Path(cache_dir)
        self.exemplars: list[Exemplar] = []
        self._context_vectors = self._text_vectors = None

    def setup(self) -> None:
        if self.exemplars:
            return
        if not self.corpus_path.is_file():
            raise FileNotFoundError(f"exemplar corpus not found: {self.corpus_path} (build it: attune data exemplars)")
        raw = self.corpus_path.read_bytes()
        self.exemplars = [Exemplar(**json.loads(line)) for line in raw.decode("utf-8").splitlines() if line.strip()]
        key = hashlib.sha1(raw + model_identity(self.embedder.model_path).encode()).hexdigest()[:16]
        cache = self.cache_dir / f"exemplars-{key}.npz"
        if cache.is_file():
            with np.load(cache) as stored:
                self._context_vectors, self._text_vectors = stored["context"], stored["text"]
            return
        self._context_vectors = self.embedder.encode([e.context for e in self.exemplars])
        self._text_vectors = self.embedder.encode([e.text for e in self.exemplars])
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        np.savez(tmp, context=self._context_vectors, text=self._text_vectors)
        tmp.replace(cache)  # atomic: a crash mid-write never leaves a broken cache

    def search(self, query: np.ndarray, strategy: str, k: int = 3, allow_personal: bool = False) -> list[tuple[Exemplar, float]]:
        """Exemplars of the strategy, ranked by similarity of their seeker context (and text) to the query."""
        self.setup()
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {strategy!r}")
        # the seeker's situation matters most; the reply's own words break ties (weights chosen by inspection)
        score = 0.7 * (self._context_vectors @ query) + 0.3 * (self._text_vectors @ query)
        mask = np.array([e.strategy == strategy and (allow_personal or not e.personal) for e in self.exemplars])
        if not mask.any():
            return []
        score = np.where(mask, score, -np.inf)
        order = np.argsort(-score)[: k]
        return [(self.exemplars[i], float(score[i])) for i in order if np.isfinite(score[i])]
