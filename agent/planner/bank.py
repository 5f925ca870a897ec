"""The response bank: whole utterances a reply is made of, never fragments of the person's words.

Two sources, one record (``Utterance``):
- support knowledge written for Attune (data/knowledge/<problem>.jsonl): reflections, open questions, affirmations,
  suggestions, information and answers to the questions people in that situation ask (each answer lists them);
- real ESConv supporter turns (data/esconv_bank.jsonl, built by ``attune data bank`` from the training and dev
  splits), kept only when they stand on their own: no one else's life, no time or place, no lean on their dialogue
  (data/bank_filters.json), tagged with their dialogue's problem type.
The index embeds every text once (cached on disk, keyed by the files and the model) and maps it for the ranker.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..affect.esconv import read_responses
from ..embeddings import Embedder
from .esconv_text import ESCONV_TO_STRATEGY, blocklist, model_identity
from .ranker import ResponseRanker

# what each kind of utterance does, as an ESConv strategy (Liu et al. 2021)
KIND_STRATEGY = {
    "reflection": "Reflection of Feelings", "question": "Question", "affirmation": "Affirmation and Reassurance",
    "suggestion": "Providing Suggestions", "information": "Information", "answer": "Information",
    "greeting": "Others", "opening": "Others", "thanks": "Others", "closing": "Others", "better": "Others", "good_news": "Others",
    "own_step": "Affirmation and Reassurance",  # a step of their own, noticed
    "unsure": "Others", "honest": "Information",  # honest: says what it can't judge when no answer fits
    "honest_open": "Question",  # … to "how do i …?" about their own life: no stock recipe, thought through with them
    "repair": "Others",  # owns a misreading the person corrected
    "brief": "Reflection of Feelings",  # a few words of feeling back, where no line is close enough to say more
}
STRATEGY_KIND = {"Question": "question", "Reflection of Feelings": "reflection",
                 "Affirmation and Reassurance": "affirmation", "Providing Suggestions": "suggestion",
                 "Information": "information"}
GENERAL = "general"


@dataclass(frozen=True)
class Utterance:
    id: str
    text: str
    kind: str
    problem: str
    source: str  # "attune" (written for Attune) or "esconv"
    questions: tuple[str, ...] = field(default_factory=tuple)
    # an answer to one situation's own question ("match": "listed" in data/knowledge): said only for a question
    # close to one it lists, never as the nearest answer of a question's form or topic
    listed_only: bool = False

    @property
    def strategy(self) -> str:
        return KIND_STRATEGY[self.kind]


def _uid(*parts: str) -> str:
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:10]


def load_knowledge(knowledge_dir: Path) -> list[Utterance]:
    out = []
    for path in sorted(Path(knowledge_dir).glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                kind, text = raw["kind"], " ".join(raw["text"].split())
            except (ValueError, KeyError) as error:
                raise ValueError(f"{path}:{n}: not a knowledge entry ({error})") from error
            if kind not in KIND_STRATEGY:
                raise ValueError(f"{path}:{n}: unknown kind {kind!r}")
            out.append(Utterance(_uid(path.stem, kind, text), text, kind, raw.get("problem", path.stem), "attune",
                                 tuple(raw.get("questions", ())), raw.get("match") == "listed"))
    return out


# -- curating ESConv turns ------------------------------------------------------------------------------------
class TurnFilter:
    """Keeps supporter turns that a stranger could hear and find about them (data/bank_filters.json)."""

    MIN_WORDS, MAX_WORDS = 6, 35

    def __init__(self, data_dir: Path):
        lists = json.loads((Path(data_dir) / "bank_filters.json").read_text())

        def words(name: str) -> re.Pattern:
            return re.compile(r"\b(" + "|".join(re.escape(w) for w in lists[name]) + r")\b", re.I)

        self.situational, self.other_people = words("situational_words"), words("other_people")
        self.own_life, self.leans_on = words("own_life"), words("leans_on_dialogue")
        self.first_words = {w.lower() for w in lists["first_words"]}
        self.blocked = blocklist(Path(data_dir))

    def reason_to_drop(self, text: str) -> str | None:
        words = text.split()
        if not (self.MIN_WORDS <= len(words) <= self.MAX_WORDS):
            return "length"
        if not text[0].isupper() or not re.search(r"[.!?]$", text):
            return "fragment"
        if re.search(r"\d|https?:|www\.|[()\[\]*#:;]", text):
            return "numbers, links or markup"
        inner = [w for sentence in re.split(r"(?<=[.!?])\s+", text) for w in sentence.split()[1:]]
        if any(re.match(r"[A-Z]", w) and not re.match(r"I\b|I'", w) for w in inner):
            return "a name or place"
        if re.sub(r"\W", "", words[0]).lower() in self.first_words:
            return "leans on what came before"
        for name, pattern in (("situational", self.situational), ("someone else's life", self.other_people),
                              ("the supporter's own life", self.own_life), ("leans on its dialogue", self.leans_on),
                              ("blocked word", self.blocked)):
            if pattern.search(text):
                return name
        return None


def _esconv_problem(problem_types: dict) -> dict[str, str]:
    return {name: pid for pid, spec in problem_types.items() if not pid.startswith("_") for name in spec["esconv"]}


def curate_esconv_dialogues(dialogues_path: Path, dev_tsv: Path | None, data_dir: Path) -> tuple[list[Utterance], dict]:
    """Whole supporter turns from ESConv's training dialogues (problem type known) and, if given, the dev TSV
    (problem type unknown: 'general'), with counts of what was dropped and why."""
    keep = TurnFilter(data_dir)
    types = json.loads((Path(data_dir) / "problem_types.json").read_text())
    to_problem = _esconv_problem(types)
    seen: set[str] = set()
    out: list[Utterance] = []
    dropped: dict[str, int] = {}

    def consider(text: str, strategy: str | None, problem: str) -> None:
        text = re.sub(r"\s+([,.!?;:])", r"\1", " ".join(text.split()))  # ESConv's "Thats tough , do you …"
        kind = STRATEGY_KIND.get(strategy or "")
        why = "strategy not kept" if kind is None else keep.reason_to_drop(text)
        norm = re.sub(r"\W+", " ", text.lower()).strip()
        if why is None and norm in seen:
            why = "duplicate"
        if why:
            dropped[why] = dropped.get(why, 0) + 1
            return
        seen.add(norm)
        out.append(Utterance(_uid("esconv", kind, text), text, kind, problem, "esconv"))

    for line in Path(dialogues_path).read_text(encoding="utf-8").splitlines():
        dialogue = json.loads(line)
        problem = to_problem.get(dialogue["problem_type"], GENERAL)
        for turn in dialogue["dialog"]:
            if turn["speaker"] == "sys":
                consider(turn["text"], ESCONV_TO_STRATEGY.get(turn.get("strategy", ""), turn.get("strategy")), problem)
    if dev_tsv is not None:
        for sample in read_responses(dev_tsv):
            consider(sample.response, sample.strategy, GENERAL)
    return out, dict(sorted(dropped.items(), key=lambda kv: -kv[1]))


def write_bank(utterances: list[Utterance], path: Path) -> None:
    with Path(path).open("w", encoding="utf-8") as f:
        for u in utterances:
            record = asdict(u)
            record["questions"] = list(u.questions)
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


def read_bank(path: Path) -> list[Utterance]:
    if not Path(path).is_file():
        return []
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Utterance(**{**r, "questions": tuple(r.get("questions", ()))}) for r in rows]


# -- the index ------------------------------------------------------------------------------------------------
class ResponseBank:
    """All utterances with their embeddings: texts (ranker-mapped) and, for answers, the questions they answer."""

    def __init__(self, data_dir: Path, embedder: Embedder, ranker: ResponseRanker, cache_dir: Path):
        self.data_dir, self.embedder, self.ranker, self.cache_dir = Path(data_dir), embedder, ranker, Path(cache_dir)
        self.utterances: list[Utterance] = []

    def setup(self) -> None:
        if self.utterances:
            return
        knowledge = load_knowledge(self.data_dir / "knowledge")
        esconv = read_bank(self.data_dir / "esconv_bank.jsonl")
        self.utterances = knowledge + esconv
        self.kind = np.array([u.kind for u in self.utterances])
        self.problem = np.array([u.problem for u in self.utterances])
        self.from_esconv = np.array([u.source == "esconv" for u in self.utterances])
        self.listed_only = np.array([u.listed_only for u in self.utterances])
        self.asks = np.array(["?" in u.text for u in self.utterances])  # a line that asks them something
        self.by_id = {u.id: i for i, u in enumerate(self.utterances)}
        questions = [(i, q) for i, u in enumerate(self.utterances) for q in u.questions]
        self.question_owner = np.array([i for i, _ in questions], int)
        self.question_text = [q for _, q in questions]
        texts = [u.text for u in self.utterances]
        self.text_vectors = self._encode_cached("bank-text", texts)
        self.question_vectors = self._encode_cached("bank-questions", [q for _, q in questions])
        self.mapped = self.ranker.candidate_vectors(self.text_vectors)

    def _encode_cached(self, name: str, texts: list[str]) -> np.ndarray:
        identity = model_identity(self.embedder.model_path).encode()
        key = hashlib.sha1("\n".join(texts).encode() + identity).hexdigest()[:16]
        cache = self.cache_dir / f"{name}-{key}.npy"
        if cache.is_file():
            return np.load(cache)
        vectors = self.embedder.encode(texts) if texts else np.zeros((0, self.embedder.dim), np.float32)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(cache)  # atomic: a crash mid-write never leaves a broken cache
        return vectors

    def __getitem__(self, index: int) -> Utterance:
        return self.utterances[index]

    def listed(self, index: int) -> list[str]:
        """The questions an answer was written for."""
        return [self.question_text[n] for n in np.flatnonzero(self.question_owner == index)]

    def id_of(self, index: int) -> str:
        return self.utterances[index].id
