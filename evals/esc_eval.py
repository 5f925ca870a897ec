"""ESC-Eval-style role-play evaluation (Zhao et al. 2024): a role-player LLM plays the seeker on a card, the system
under test answers for N rounds, a judge LLM scores each dialogue on seven dimensions (0–4), scores are reported
0–100 (mean / 4 * 100) per system with confidence intervals, beside automatic metrics.

Every role is an OpenAI-compatible endpoint built with ``agent.planner.llm``: the embedded SmolLM2-135M (llama.cpp
in-process) on a laptop, vLLM servers for a real study — the same code path, only the endpoints change.

Reproduce: ``attune eval esc --cards cards.json --n 10 --rounds 5 --system attune --system baseline --out DIR``.
Outputs (DIR): ``dialogues/<system>/<card id>.json`` (one per dialogue, written atomically: a rerun skips finished
ones), ``failures.jsonl``, ``scores.json``, ``scores.csv`` (one row per dialogue), ``summary.csv`` (one row per
system and dimension), ``report.md`` and PNG charts (evals/report.py), ``run.json`` (settings and seeds of each run).
"""
from __future__ import annotations

import csv
import json
import math
import os
import queue
import re
import threading
import time
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from agent.config import LLMSettings, Settings
from agent.prompts import render

SCHEMA = "attune.esc-eval.dialogue/1"
DIMENSIONS: tuple[str, ...] = ("fluency", "expression", "empathy", "information", "skillful", "humanoid", "overall")
DIMENSION_TITLES = {"fluency": "Fluency", "expression": "Expression", "empathy": "Empathy",
                    "information": "Information", "skillful": "Skillful", "humanoid": "Humanoid", "overall": "Overall"}
# names a judge may use for a dimension (ESC-Eval's own names, common synonyms, Chinese); matched case-insensitively
ALIASES: dict[str, tuple[str, ...]] = {
    "fluency": ("fluency", "fluent", "流畅性", "流畅度", "流畅"),
    "expression": ("expression", "diversity", "expression/diversity", "多样性", "表达"),
    "empathy": ("empathy", "empathic", "empathetic", "共情", "同理心"),
    "information": ("information", "suggestion", "suggestions", "suggestion effectiveness", "informativeness",
                    "建议有效性", "建议", "信息"),
    "skillful": ("skillful", "skilful", "skill", "emotional knowledge", "tech", "情感知识", "技巧"),
    "humanoid": ("humanoid", "human-like", "humanlike", "human", "拟人化", "拟人"),
    "overall": ("overall", "human preference", "preference", "总体", "整体", "偏好"),
}
# ESConv supporters' strategy mix (validation split, devWithStrategy_short.tsv, 2,985 supporter turns, counted
# here once): the reference mix for the distribution-only preference bias below.
ESCONV_DEV_STRATEGY_COUNTS = {
    "Question": 595, "Others": 510, "Affirmation and Reassurance": 494, "Providing Suggestions": 477,
    "Self-disclosure": 283, "Reflection of Feelings": 249, "Information": 200, "Restatement or Paraphrasing": 177,
}
DEFAULT_SYSTEMS = ("attune", "baseline")
# llama.cpp reuses a cached prompt prefix between requests, which changes the numerics enough that the same seed gives
# another reply (measured: the first call after start differed from the next two). Without the cache, a seeded call
# is reproducible, so every system meets the same first seeker message. Sent to the embedded server only.
EMBEDDED_REPRODUCIBLE = {"cache_prompt": False}


def reproducible(settings: Settings) -> Settings:
    """For the embedded backend with default sampler options: the same options plus no prompt cache."""
    if settings.llm.backend == "embedded" and settings.llm.extra_body is None:
        settings.llm.extra_body = settings.llm.resolved_extra_body() | EMBEDDED_REPRODUCIBLE
    return settings


# -- cards ------------------------------------------------------------------------------------------------------
@dataclass
class Card:
    id: str
    language: str  # "en" | "zh": the language the dialogue is role-played in
    text: str      # the card text in that language
    raw: dict
    warnings: list[str] = field(default_factory=list)


def card_language(raw: dict) -> str:
    lang = str(raw.get("language", "english")).lower()
    return "zh" if lang.startswith(("ch", "zh")) else "en"


def load_cards(path: str | Path, n: int | None = None, lang: str = "auto") -> list[Card]:
    """Cards in ESC-Eval's format; ``lang`` auto takes each card's "language", en/zh forces one.

    English text is the card's "base"; Chinese text is "base_biaozhu" (ESC-Eval's Chinese annotation; for Chinese
    cards both fields are Chinese)."""
    raw_cards = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw_cards, list):
        raise ValueError(f"{path}: expected a JSON list of cards")
    cards, seen = [], set()
    for index, raw in enumerate(raw_cards[:n] if n else raw_cards):
        language = card_language(raw) if lang == "auto" else lang
        warnings = []
        if language == "zh":
            text = raw.get("base_biaozhu") or raw.get("base", "")
        else:
            text = raw.get("base", "")
            if card_language(raw) == "zh":
                warnings.append("the card has no English text; its Chinese 'base' is used in the English prompt")
        card_id = str(raw.get("id", index))
        if card_id in seen:
            card_id = f"{card_id}-{index}"
        seen.add(card_id)
        if not text.strip():
            raise ValueError(f"{path}: card {card_id} has no text")
        cards.append(Card(card_id, language, text.strip(), raw, warnings))
    return cards


# -- judge output parsing --------------------------------------------------------------------------------------
@dataclass
class JudgeParse:
    scores: dict[str, int | None]
    problems: dict[str, str]   # per dimension: why it has no score, or which invalid values were skipped
    source: dict[str, str]     # per dimension: "json" or "text"

    @property
    def missing(self) -> list[str]:
        return [d for d in DIMENSIONS if self.scores[d] is None]


def _dimension_of(key: str) -> str | None:
    k = re.sub(r"[\s_*#`\"'()（）]+", " ", str(key)).strip().lower()
    k = re.sub(r"^\d+[.)]\s*", "", k)
    for dim, names in ALIASES.items():
        if k in names or k.replace(" ", "") in names:
            return dim
    for dim, names in ALIASES.items():  # "empathy score", "fluency (0-4)"
        if any(k.startswith(n + " ") for n in names if n.isascii()):
            return dim
    return None


def _score_value(value: Any) -> tuple[int | None, str | None]:
    """(score, problem): an integer 0–4, or why not."""
    if isinstance(value, bool):
        return None, f"not a number: {value!r}"
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        m = re.match(r"\s*(-?\d+(?:\.\d+)?)\s*(?:/\s*(\d+))?", value)
        if not m:
            return None, f"not a number: {value[:30]!r}"
        if m.group(2) and m.group(2) != "4":
            return None, f"on another scale: {m.group(0).strip()!r}"
        number = float(m.group(1))
    elif isinstance(value, dict):
        for key in ("score", "rating", "value"):
            if key in value:
                return _score_value(value[key])
        return None, "an object without a score"
    else:
        return None, f"not a number: {str(value)[:30]!r}"
    if number != int(number):
        return None, f"not an integer: {number:g}"
    if not 0 <= number <= 4:
        return None, f"out of range: {number:g}"
    return int(number), None


def _json_objects(text: str) -> Iterator[dict]:
    """Every JSON object in the text, outermost first, in order (fenced, in prose, or the whole answer)."""
    stripped = text.strip()
    try:
        whole = json.loads(stripped)
        if isinstance(whole, dict):
            yield whole
            return
    except (json.JSONDecodeError, ValueError):
        pass
    start = 0
    while True:
        start = text.find("{", start)
        if start < 0:
            return
        depth, in_string, escape = 0, False, False
        for end in range(start, len(text)):
            ch = text[end]
            if in_string:
                escape = (ch == "\\") and not escape
                if ch == '"' and not escape:
                    in_string = False
                continue
            if ch == '"':
                in_string = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    candidate = text[start:end + 1]
                    try:
                        obj = json.loads(candidate)
                    except (json.JSONDecodeError, ValueError):
                        try:  # single quotes, trailing commas: common in small models' "JSON"
                            obj = json.loads(re.sub(r",\s*}", "}", candidate.replace("'", '"')))
                        except (json.JSONDecodeError, ValueError):
                            obj = None
                    if isinstance(obj, dict):
                        yield obj
                        start = end + 1
                    else:
                        start += 1
                    break
        else:
            return


def _flatten(obj: dict) -> Iterator[tuple[str, Any]]:
    for key, value in obj.items():
        if isinstance(value, dict) and _dimension_of(key) is None:
            yield from _flatten(value)  # {"scores": {...}}
        else:
            yield key, value


_LINE = re.compile(
    r"(?P<name>[A-Za-z][A-Za-z /_-]{1,40}?|[\u4e00-\u9fff]{2,6})\s*(?:\((?:0\s*[-–~]\s*4)\))?\s*(?:score)?\s*[*]*"
    r"\s*[:：=\-–]\s*[*]*\s*(?P<value>-?\d+(?:\.\d+)?(?:\s*/\s*\d+)?)", re.I)


def parse_judge(text: str) -> JudgeParse:
    """The seven scores from a judge's answer, however messy.

    JSON objects come first (the whole answer, fenced, or embedded in prose; nested {"scores": {...}} too), then
    "Name: 3" / "Name: 3/4" lines. For each dimension the first valid integer 0–4 wins; invalid values (5, 3.5,
    "8/10", "high") are recorded as problems; a dimension never found stays None — missing, never 0."""
    scores: dict[str, int | None] = {d: None for d in DIMENSIONS}
    problems: dict[str, list[str]] = {d: [] for d in DIMENSIONS}
    source: dict[str, str] = {}

    def offer(dim: str | None, value: Any, where: str) -> None:
        if dim is None or scores[dim] is not None:
            return
        score, problem = _score_value(value)
        if score is None:
            problems[dim].append(f"{where}: {problem}")
        else:
            scores[dim], source[dim] = score, where

    for obj in _json_objects(text or ""):
        for key, value in _flatten(obj):
            offer(_dimension_of(key), value, "json")
    for m in _LINE.finditer(text or ""):
        offer(_dimension_of(m.group("name")), m.group("value"), "text")
    final = {d: "; ".join(problems[d]) if problems[d] else "" for d in DIMENSIONS}
    for d in DIMENSIONS:
        if scores[d] is None and not final[d]:
            final[d] = "missing"
        elif scores[d] is not None and not final[d]:
            del final[d]
    return JudgeParse(scores, {d: v for d, v in final.items() if v}, source)


# -- statistics -------------------------------------------------------------------------------------------------
def scale(mean_0_4: float) -> float:
    """ESC-Eval leaderboard scale: mean of 0–4 scores / 4 * 100."""
    return mean_0_4 / 4.0 * 100.0


def confidence_interval(values: Sequence[float], method: str = "bootstrap", level: float = 0.95,
                        resamples: int = 2000, seed: int = 0) -> tuple[float, float] | None:
    """CI of the mean (same units as values): percentile bootstrap over dialogues (seeded) or Student's t."""
    x = np.asarray([v for v in values if v is not None], dtype=float)
    if len(x) < 2:
        return None
    alpha = (1 - level) / 2
    if method == "t":
        from scipy import stats

        half = float(stats.t.ppf(1 - alpha, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
        return float(x.mean() - half), float(x.mean() + half)
    if method != "bootstrap":
        raise ValueError(f"unknown CI method {method!r} (bootstrap or t)")
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(resamples, len(x)))].mean(axis=1)
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


def dimension_summary(values: Sequence[int | None], ci: str = "bootstrap", seed: int = 0) -> dict:
    """Mean 0–4, score 0–100, CI on 0–100, n (valid), missing (judged but unscored)."""
    valid = [float(v) for v in values if v is not None]
    out: dict[str, Any] = {"n": len(valid), "missing": len(values) - len(valid)}
    if not valid:
        return out | {"mean_0_4": None, "score": None, "ci_low": None, "ci_high": None}
    mean = float(np.mean(valid))
    interval = confidence_interval(valid, ci, seed=seed)
    return out | {"mean_0_4": round(mean, 4), "score": round(scale(mean), 2),
                  "ci_low": round(scale(interval[0]), 2) if interval else None,
                  "ci_high": round(scale(interval[1]), 2) if interval else None}


def aggregate(table: dict[str, list[dict[str, int | None]]], ci: str = "bootstrap", seed: int = 0) -> dict:
    """Per system: per-dimension summaries and the average (per-dialogue mean of its valid dimensions)."""
    out = {}
    for system, rows in table.items():
        dims = {d: dimension_summary([r.get(d) for r in rows], ci, seed) for d in DIMENSIONS}
        averages = []
        for r in rows:
            valid = [r[d] for d in DIMENSIONS if r.get(d) is not None]
            averages.append(float(np.mean(valid)) if valid else None)
        out[system] = {"dialogues": len(rows), "dimensions": dims, "average": dimension_summary(averages, ci, seed)}
    return out


# -- automatic metrics ------------------------------------------------------------------------------------------
_CJK = re.compile(r"[\u3400-\u9fff]")
_LIST_LINE = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+\S", re.M)
_AI_TELL = re.compile(
    r"\b(as an ai|as a (large )?language model|i am an ai|i'm an ai|i'm just an ai|as an artificial intelligence|"
    r"i am a (virtual|digital) assistant|i don'?t have (personal )?(feelings|emotions|experiences))\b|"
    r"作为(一个|一名)?(AI|人工智能|语言模型)|我是(一个)?(AI|人工智能)", re.I)


def tokens(text: str, language: str) -> list[str]:
    """Words for English; characters (CJK) plus Latin words for Chinese."""
    if language == "zh":
        return re.findall(r"[\u3400-\u9fff]|[a-z0-9']+", text.lower())
    return re.findall(r"[a-z0-9']+", text.lower())


def distinct_n(texts: Sequence[str], n: int, language: str = "en") -> float | None:
    """Distinct-n (Li et al. 2016): unique n-grams / all n-grams, pooled over the texts."""
    grams: list[tuple] = []
    for text in texts:
        toks = tokens(text, language)
        grams.extend(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))
    return round(len(set(grams)) / len(grams), 4) if grams else None


def humanoid_flags(text: str) -> dict[str, bool]:
    return {"list": bool(_LIST_LINE.search(text)), "ai_tell": bool(_AI_TELL.search(text)),
            "markup": "**" in text or bool(re.search(r"^\s*#", text, re.M))}


def reply_metrics(replies: Sequence[str], language: str) -> dict:
    flags = [humanoid_flags(r) for r in replies]
    lengths = [len(tokens(r, language)) for r in replies]
    return {
        "replies": len(replies),
        "distinct_1": distinct_n(replies, 1, language), "distinct_2": distinct_n(replies, 2, language),
        "mean_length": round(float(np.mean(lengths)), 2) if lengths else None,
        "length_unit": "characters" if language == "zh" else "words",
        "replies_with_list": sum(f["list"] for f in flags),
        "replies_with_ai_tell": sum(f["ai_tell"] for f in flags),
        "replies_with_markup": sum(f["markup"] for f in flags),
    }


# -- preference bias ------------------------------------------------------------------------------------------------
def _preference_bias(confusion: np.ndarray, iterations: int = 20) -> tuple[np.ndarray, float]:
    """Kang et al. 2024 (as in EmoDynamiX): preferences p from w_ij (predicted i, gold j); B = population std of p.

    A private copy (DESIGN.md's formula) that also returns p; B itself comes from agent.affect.esconv when present."""
    w = np.asarray(confusion, dtype=float)
    k = len(w)
    p = np.ones(k)
    for _ in range(iterations):
        new = np.empty(k)
        for i in range(k):
            denom = p[i] + p
            safe = np.where(denom > 0, denom, 1.0)  # two never-chosen strategies (p = 0) contribute nothing
            num = float(np.sum(np.where(denom > 0, w[i] * p / safe, 0.0)))
            den = float(np.sum(np.where(denom > 0, w[:, i] / safe, 0.0)))
            new[i] = num / den if den > 0 else 0.0
        total = new.sum()
        p = new * k / total if total > 0 else np.ones(k)
    return p, float(np.std(p))


def preference_bias_against_reference(counts: dict[str, int], reference: dict[str, int] | None = None) -> dict:
    """B of a strategy mix where no gold strategy exists (role-play): predictions and gold taken as independent,
    w_ij = N · P(pred i) · P_ref(gold j), with ESConv supporters' mix as the reference. B = 0 when the system's mix
    equals the reference mix; it grows as one strategy is over-used. Not comparable to B on a labelled test set."""
    reference = reference or ESCONV_DEV_STRATEGY_COUNTS
    names = list(reference)
    pred = np.array([counts.get(s, 0) for s in names], dtype=float)
    if pred.sum() == 0:
        return {"B": None, "preferences": {}, "reference": "ESConv dev supporter turns", "n": 0}
    gold = np.array([reference[s] for s in names], dtype=float)
    w = np.outer(pred / pred.sum(), gold / gold.sum()) * pred.sum()
    p, private_b = _preference_bias(w)
    try:  # the shared implementation (agent/affect/esconv.py) takes sklearn's layout: confusion[gold, predicted]
        from agent.affect.esconv import preference_bias as shared

        b, implementation = float(shared(w.T)), "agent.affect.esconv.preference_bias"
    except (ImportError, AttributeError, TypeError, ValueError):
        b, implementation = private_b, "evals.esc_eval._preference_bias"
    return {"B": round(float(b), 4), "preferences": {s: round(float(v), 3) for s, v in zip(names, p)},
            "reference": "ESConv dev supporter turns", "n": int(pred.sum()), "implementation": implementation}


# -- endpoints ------------------------------------------------------------------------------------------------------
def endpoint_settings(url: str | None, model: str | None, *, temperature: float, max_tokens: int, seed: int | None,
                      timeout_s: float = 120.0, extra_body: dict | None = None) -> Settings:
    """Settings for one role: an OpenAI-compatible server (vLLM…) when url is given, else the embedded model
    (``model`` is then an optional GGUF path). API keys for remote endpoints come from ATTUNE_ESC_API_KEY."""
    if url:
        llm = LLMSettings(backend="openai", base_url=url, model=model or "default",
                          api_key=os.environ.get("ATTUNE_ESC_API_KEY", "none"), temperature=temperature,
                          max_tokens=max_tokens, seed=seed, timeout_s=timeout_s, extra_body=extra_body)
    else:
        llm = LLMSettings(backend="embedded", gguf_path=Path(model) if model else None, temperature=temperature,
                          max_tokens=max_tokens, seed=seed, timeout_s=timeout_s, extra_body=extra_body)
    return Settings(llm=llm)


def describe_endpoint(settings: Settings) -> dict:
    cfg = settings.llm
    if cfg.backend == "embedded":
        return {"backend": "embedded", "model": str(cfg.gguf_path or "SmolLM2-135M-Instruct (packaged)"),
                "temperature": cfg.temperature, "max_tokens": cfg.max_tokens, "seed": cfg.seed,
                "extra_body": cfg.resolved_extra_body()}
    return {"backend": "openai", "url": cfg.base_url, "model": cfg.model, "temperature": cfg.temperature,
            "max_tokens": cfg.max_tokens, "seed": cfg.seed, "extra_body": cfg.resolved_extra_body()}


def _messages(pairs: Sequence[tuple[str, str]]):
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[role](content=text) for role, text in pairs]


def _text(chunks: Iterator[str]) -> str:
    return "".join(chunks).strip()


class CallCounter:
    def __init__(self):
        self._lock = threading.Lock()
        self.counts: Counter = Counter()

    def add(self, role: str) -> None:
        with self._lock:
            self.counts[role] += 1


# -- systems under test ------------------------------------------------------------------------------------------
class Conversation:
    """One dialogue with a system: ``reply(seeker_text)`` → (reply text, extra per-turn record)."""

    def reply(self, seeker_text: str) -> tuple[str, dict]:
        raise NotImplementedError


class System:
    label: str
    kind: str
    spec: str
    needs_embedded: bool

    def describe(self) -> dict:
        raise NotImplementedError

    @contextmanager
    def conversation(self, language: str) -> Iterator[Conversation]:
        raise NotImplementedError
        yield  # pragma: no cover


class AttuneSystem(System):
    """The full agent, with any config; one Agent per concurrent dialogue (Agents hold one conversation each)."""

    def __init__(self, settings: Settings, label: str = "attune", spec: str = "attune", counter: CallCounter | None = None):
        self.settings, self.label, self.kind, self.spec = settings, label, "attune", spec
        self.needs_embedded = settings.llm.backend == "embedded"
        self.counter = counter or CallCounter()
        self._pool: queue.Queue = queue.Queue()

    def describe(self) -> dict:
        return {"kind": self.kind, "spec": self.spec, "planner_mode": self.settings.planner_mode,
                "avatar": self.settings.avatar, "llm": describe_endpoint(self.settings)}

    def _agent(self):
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            from agent.pipeline import Agent

            return Agent(self.settings).setup()

    @contextmanager
    def conversation(self, language: str) -> Iterator[Conversation]:
        agent = self._agent()
        agent.reset()
        counter = self.counter

        class _Conv(Conversation):
            def reply(self, seeker_text: str) -> tuple[str, dict]:
                counter.add("system")
                turn = agent.respond(seeker_text)
                return turn.reply.text, {"attune": turn.model_dump(mode="json")}

        try:
            yield _Conv()
        finally:
            agent.reset()
            self._pool.put(agent)


class ChatSystem(System):
    """A chat model behind a system prompt: the baseline (attune's LLM, plain prompt) or any OpenAI endpoint."""

    def __init__(self, settings: Settings, system_prompt: str, label: str, kind: str, spec: str,
                 counter: CallCounter | None = None):
        from agent.planner.llm import LLM

        self.settings, self.system_prompt, self.label, self.kind, self.spec = settings, system_prompt, label, kind, spec
        self.needs_embedded = settings.llm.backend == "embedded"
        self.llm = LLM(settings)
        self.counter = counter or CallCounter()

    def describe(self) -> dict:
        return {"kind": self.kind, "spec": self.spec, "system_prompt": self.system_prompt,
                "llm": describe_endpoint(self.settings)}

    @contextmanager
    def conversation(self, language: str) -> Iterator[Conversation]:
        history: list[tuple[str, str]] = [("system", self.system_prompt)]
        system = self

        class _Conv(Conversation):
            def reply(self, seeker_text: str) -> tuple[str, dict]:
                history.append(("user", seeker_text))
                system.counter.add("system")
                text = _text(system.llm.stream_text(_messages(history)))
                history.append(("assistant", text))
                return text, {}

        yield _Conv()


_OPENAI_SPEC = re.compile(r"^(?P<url>https?://[^/:\s]+(?::\d+)?(?:/[^:\s]*)?)(?::(?P<model>.+))?$")


def safe_label(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_") or "system"


def build_system(spec: str, base: Settings, prompts_dir: Path, *, max_tokens: int, seed: int | None,
                 counter: CallCounter) -> System:
    """``attune`` | ``attune:CONFIG.toml`` | ``baseline`` | ``openai:URL:MODEL`` (e.g. openai:http://gpu:8000/v1:Qwen/Qwen2.5-7B-Instruct)."""
    if spec == "attune" or spec.startswith("attune:"):
        settings = Settings.load(spec.split(":", 1)[1]) if ":" in spec else base.model_copy(deep=True)
        if settings.llm.seed is None:
            settings.llm.seed = seed
        reproducible(settings)
        label = "attune" if spec == "attune" else f"attune-{Path(spec.split(':', 1)[1]).stem}"
        return AttuneSystem(settings, label, spec, counter)
    baseline_prompt = render(prompts_dir, "baseline_system")
    if spec == "baseline":
        settings = base.model_copy(deep=True)
        settings.llm.max_tokens, settings.llm.seed = max_tokens, seed
        reproducible(settings)
        return ChatSystem(settings, baseline_prompt, "baseline", "baseline", spec, counter)
    if spec.startswith("openai:"):
        m = _OPENAI_SPEC.match(spec[len("openai:"):])
        if not m or not m.group("model"):
            raise ValueError(f"--system {spec!r}: expected openai:URL:MODEL, e.g. openai:http://localhost:8000/v1:Qwen/Qwen2.5-7B-Instruct")
        settings = endpoint_settings(m.group("url"), m.group("model"), temperature=base.llm.temperature,
                                     max_tokens=max_tokens, seed=seed)
        return ChatSystem(settings, baseline_prompt, f"openai-{m.group('model')}", "openai", spec, counter)
    raise ValueError(f"unknown --system {spec!r}: use attune, attune:CONFIG.toml, baseline or openai:URL:MODEL")


# -- role-player and judge ---------------------------------------------------------------------------------------
_SEEKER_LABEL = re.compile(r"^\s*(?:\*\*)?(seeker|user|me|human|person|patient|client|求助者|用户|我)(?:\*\*)?\s*[:：]\s*", re.I)
_OTHER_SPEAKER = re.compile(r"\n\s*(?:\*\*)?(ai assistant|assistant|ai|supporter|therapist|counselor|助手|AI助手)(?:\*\*)?\s*[:：]", re.I)


def clean_seeker(text: str) -> str:
    """The role-player's own message: no speaker label, nothing it wrote for the other side."""
    text = _SEEKER_LABEL.sub("", text.strip())
    m = _OTHER_SPEAKER.search(text)
    if m:
        text = text[:m.start()]
    return text.strip().strip('"“”').strip()


class RolePlayer:
    def __init__(self, settings: Settings, prompts_dir: Path, counter: CallCounter):
        from agent.planner.llm import LLM

        self.settings, self.prompts_dir, self.counter = settings, Path(prompts_dir), counter
        self.llm = LLM(settings)

    def system_prompt(self, card: Card) -> str:
        return render(self.prompts_dir, f"esc_roleplay_{card.language}", card=card.text)

    def greeting(self, language: str) -> str:
        return render(self.prompts_dir, f"esc_greeting_{language}")

    def messages(self, card: Card, turns: Sequence[dict]) -> list:
        """ESC-Eval's framing: the card is the system prompt, the agent's words are 'user', the seeker's 'assistant'."""
        pairs = [("system", self.system_prompt(card)), ("user", self.greeting(card.language))]
        for turn in turns:
            pairs += [("assistant", turn["seeker"]), ("user", turn["system"])]
        return _messages(pairs)

    def next(self, card: Card, turns: Sequence[dict]) -> tuple[str, str]:
        """(cleaned message, raw output); retries twice when the model says nothing usable."""
        raw = ""
        for _attempt in range(3):
            self.counter.add("roleplayer")
            raw = _text(self.llm.stream_text(self.messages(card, turns)))
            cleaned = clean_seeker(raw)
            if cleaned:
                return cleaned, raw
        raise RuntimeError(f"the role-player returned no usable message after 3 tries (last: {raw[:80]!r})")


def judge_schema() -> dict:
    return {"type": "object", "additionalProperties": False, "required": list(DIMENSIONS),
            "properties": {d: {"type": "integer", "minimum": 0, "maximum": 4} for d in DIMENSIONS}}


def dialogue_text(greeting: str, turns: Sequence[dict]) -> str:
    lines = [f"AI assistant: {greeting}"]
    for turn in turns:
        lines += [f"Seeker: {turn['seeker']}", f"AI assistant: {turn['system']}"]
    return "\n".join(lines)


class Judge:
    """Scores a dialogue on the seven dimensions. Asks for schema-constrained JSON (llama.cpp grammar / vLLM
    guided decoding) and parses whatever comes back with ``parse_judge``; an endpoint that refuses response_format
    is asked again in plain text."""

    def __init__(self, settings: Settings, prompts_dir: Path, counter: CallCounter, structured: bool = True):
        from agent.planner.llm import LLM

        self.settings, self.prompts_dir, self.counter, self.structured = settings, Path(prompts_dir), counter, structured
        self.llm = LLM(settings)

    def prompt(self, greeting: str, turns: Sequence[dict]) -> str:
        return render(self.prompts_dir, "esc_judge", dialogue=dialogue_text(greeting, turns))

    def score(self, greeting: str, turns: Sequence[dict]) -> dict:
        from agent.planner.llm import LLMError

        messages = _messages([("user", self.prompt(greeting, turns))])
        method, raw = "text", None
        start = time.perf_counter()
        try:
            if self.structured:
                bound = self.llm.model.bind(response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "esc_scores", "schema": judge_schema(), "strict": True}})
                try:
                    self.counter.add("judge")
                    raw, method = bound.invoke(messages).content, "json_schema"
                except Exception as error:  # noqa: BLE001
                    status = getattr(error, "status_code", None)
                    if status not in (400, 404, 415, 422, 501):  # a refusal of response_format: else it is down
                        raise
            if raw is None:
                self.counter.add("judge")
                raw = self.llm.model.invoke(messages).content
        except Exception as error:  # noqa: BLE001
            where = describe_endpoint(self.settings)
            raise LLMError(f"judge ({where.get('url') or 'embedded'}) failed: {type(error).__name__}: {str(error)[:200]}") from error
        raw = raw if isinstance(raw, str) else json.dumps(raw)
        parsed = parse_judge(raw)
        return {"scores": parsed.scores, "problems": parsed.problems, "source": parsed.source, "method": method,
                "raw": raw, "seconds": round(time.perf_counter() - start, 2)}


# -- the run ---------------------------------------------------------------------------------------------------------
@dataclass
class EscConfig:
    cards: Path
    out: Path
    n: int | None = None
    rounds: int = 5
    lang: str = "auto"
    systems: Sequence[str] = DEFAULT_SYSTEMS
    roleplayer_url: str | None = None
    roleplayer_model: str | None = None
    judge_url: str | None = None
    judge_model: str | None = None
    concurrency: int | None = None     # None: 1 when any role is the embedded model, else 8
    seed: int = 0
    ci: str = "bootstrap"
    rejudge: bool = False
    judge_structured: bool = True
    max_tokens: int = 256              # role-player and chat systems' reply cap (ESC-Eval used 256–512)
    roleplayer_temperature: float = 0.7
    progress: bool = True
    report: bool = True
    command: str | None = None         # recorded in run.json and the report


def _atomic_write(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def dialogue_path(out: Path, system_label: str, card_id: str) -> Path:
    return Path(out) / "dialogues" / safe_label(system_label) / f"{safe_label(card_id)}.json"


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


class EscRunner:
    def __init__(self, config: EscConfig, base_settings: Settings | None = None):
        self.config = config
        self.base = base_settings or Settings()
        self.counter = CallCounter()
        self.prompts_dir = self.base.prompts_dir
        c = config
        self.roleplayer_settings = endpoint_settings(
            c.roleplayer_url, c.roleplayer_model, temperature=c.roleplayer_temperature, max_tokens=c.max_tokens,
            seed=c.seed, extra_body=None if c.roleplayer_url else {"repeat_penalty": 1.15} | EMBEDDED_REPRODUCIBLE)
        # the judge decodes greedily and without llama.cpp's repeat penalty: a penalty on repeated tokens would push
        # a judge away from giving the same digit twice
        self.judge_settings = endpoint_settings(c.judge_url, c.judge_model, temperature=0.0, max_tokens=200, seed=c.seed,
                                                extra_body={} if c.judge_url else dict(EMBEDDED_REPRODUCIBLE))
        self.systems = [build_system(s, self.base, self.prompts_dir, max_tokens=c.max_tokens, seed=c.seed,
                                     counter=self.counter) for s in c.systems]
        labels = [s.label for s in self.systems]
        if len(set(labels)) != len(labels):
            raise ValueError(f"two --system options give the same name: {labels}")
        self.roleplayer = RolePlayer(self.roleplayer_settings, self.prompts_dir, self.counter)
        self.judge = Judge(self.judge_settings, self.prompts_dir, self.counter, c.judge_structured)
        any_embedded = (not c.roleplayer_url or not c.judge_url or any(s.needs_embedded for s in self.systems))
        self.notes: list[str] = []
        if c.concurrency is None:
            self.concurrency = 1 if any_embedded else 8
        elif c.concurrency > 1 and any_embedded:
            self.concurrency = 1
            self.notes.append(f"concurrency {c.concurrency} lowered to 1: a role uses the embedded model (one request at a time)")
        else:
            self.concurrency = max(1, c.concurrency)
        self._analysis_lock = threading.Lock()
        self._analysis = None

    # seeker-side analysis with attune's own models: crisis detector and text emotion (for every system)
    def _analyzers(self):
        if self._analysis is None:
            from agent.embeddings import shared_embedder
            from agent.perception.text import TextEmotionModel
            from agent.safety import CrisisDetector

            s = self.base
            embedder = shared_embedder(s.embedder(), s.torch_threads)
            self._analysis = (CrisisDetector.from_settings(s, embedder),
                              TextEmotionModel(embedder, s.data_dir))
        return self._analysis

    def analyse_seeker(self, text: str, context: Sequence[str]) -> dict:
        with self._analysis_lock:
            detector, emotion = self._analyzers()
            safety = detector.assess(text)
            estimate = emotion.predict(text, list(context[-2:]))
        return {"safety": safety.model_dump(mode="json"),
                "emotion": {"label": estimate.label, "fine_label": estimate.fine_label,
                            "valence": estimate.vad.valence, "arousal": estimate.vad.arousal,
                            "confidence": estimate.confidence}}

    def run_dialogue(self, system: System, card: Card) -> dict:
        start = time.perf_counter()
        greeting = self.roleplayer.greeting(card.language)
        turns: list[dict] = []
        with system.conversation(card.language) as conversation:
            for round_index in range(1, self.config.rounds + 1):
                seeker, raw = self.roleplayer.next(card, turns)
                t = time.perf_counter()
                reply, extra = conversation.reply(seeker)
                turn = {"round": round_index, "seeker": seeker, "system": reply,
                        "system_seconds": round(time.perf_counter() - t, 2)}
                if raw.strip() != seeker:
                    turn["seeker_raw"] = raw
                if "attune" in extra:  # attune perceived the seeker itself: keep its own record
                    a = extra["attune"]
                    turn["seeker_analysis"] = {"safety": a["safety"], "emotion": {
                        "label": a["perception"]["fused"]["label"], "fine_label": a["perception"]["fused"].get("fine_label"),
                        "valence": a["perception"]["fused"]["vad"]["valence"], "arousal": a["perception"]["fused"]["vad"]["arousal"],
                        "confidence": a["perception"]["fused"]["confidence"]}, "source": "attune turn"}
                else:
                    turn["seeker_analysis"] = self.analyse_seeker(seeker, [x["seeker"] for x in turns]) | {
                        "source": "attune crisis detector + text emotion on the seeker turn"}
                turn.update(extra)
                turns.append(turn)
        return {"greeting": greeting, "turns": turns, "dialogue_seconds": round(time.perf_counter() - start, 2)}

    def _record_base(self, system: System, card: Card) -> dict:
        return {"schema": SCHEMA, "system": system.label, "system_info": system.describe(),
                "card": {"id": card.id, "language": card.language, "text": card.text, "res": card.raw.get("res"),
                         "source": card.raw.get("source"), "warnings": card.warnings},
                "language": card.language, "rounds": self.config.rounds, "seed": self.config.seed,
                "roleplayer": describe_endpoint(self.roleplayer_settings),
                "roleplayer_prompt": f"esc_roleplay_{card.language}"}

    def task(self, system: System, card: Card) -> dict:
        """Run (or resume) one (system, card): returns its status."""
        path = dialogue_path(self.config.out, system.label, card.id)
        record = _read(path)
        done_dialogue = bool(record and record.get("status") in ("ok", "played", "judge_failed") and record.get("turns"))
        if done_dialogue and record.get("rounds") != self.config.rounds:
            done_dialogue = False  # asked for another length: play it again
        if done_dialogue and record.get("status") == "ok" and record.get("judge") and not self.config.rejudge:
            return {"status": "skipped", "path": str(path)}
        try:
            if not done_dialogue:
                played = self.run_dialogue(system, card)
                record = self._record_base(system, card) | {
                    "status": "played", "greeting": played["greeting"], "turns": played["turns"],
                    "timing_s": {"dialogue": played["dialogue_seconds"]},
                    "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
                record["metrics"] = reply_metrics([t["system"] for t in record["turns"]], card.language)
                _atomic_write(path, record)  # the dialogue is safe before the judge runs
        except Exception as error:  # noqa: BLE001 — one dialogue's failure never stops the others
            failure = self._record_base(system, card) | {
                "status": "failed", "stage": "dialogue", "error": f"{type(error).__name__}: {error}",
                "traceback": traceback.format_exc(limit=6),
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            _atomic_write(path, failure)
            self._log_failure(failure)
            return {"status": "failed", "path": str(path), "error": failure["error"]}
        try:
            judged = self.judge.score(record["greeting"], record["turns"])
            record["judge"] = judged | {"endpoint": describe_endpoint(self.judge_settings)}
            record["status"] = "ok"
            record.pop("judge_error", None)
            record.setdefault("timing_s", {})["judge"] = judged["seconds"]
            _atomic_write(path, record)
            return {"status": "ok", "path": str(path)}
        except Exception as error:  # noqa: BLE001
            record["status"] = "judge_failed"
            record["judge_error"] = f"{type(error).__name__}: {error}"
            _atomic_write(path, record)
            self._log_failure(self._record_base(system, card) | {"status": "judge_failed", "stage": "judge",
                                                                  "error": record["judge_error"]})
            return {"status": "judge_failed", "path": str(path), "error": record["judge_error"]}

    def _log_failure(self, failure: dict) -> None:
        entry = {k: failure.get(k) for k in ("system", "stage", "error", "created_at")} | {"card": failure["card"]["id"]}
        entry["created_at"] = entry["created_at"] or datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._analysis_lock:
            self.config.out.mkdir(parents=True, exist_ok=True)
            with open(self.config.out / "failures.jsonl", "a", encoding="utf-8") as f:
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def run(self, cards: Sequence[Card] | None = None, on_progress: Callable[[dict], None] | None = None) -> dict:
        c = self.config
        cards = list(cards) if cards is not None else load_cards(c.cards, c.n, c.lang)
        c.out.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        run_info = {"started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "command": c.command,
                    "cards_file": str(c.cards), "cards": [card.id for card in cards], "rounds": c.rounds, "lang": c.lang,
                    "seed": c.seed, "ci": c.ci, "concurrency": self.concurrency, "notes": self.notes,
                    "systems": {s.label: s.describe() for s in self.systems},
                    "roleplayer": describe_endpoint(self.roleplayer_settings),
                    "judge": describe_endpoint(self.judge_settings) | {"structured": c.judge_structured}}
        # one system at a time, cards in order: the embedded model is not asked to hold two systems' caches
        tasks = [(system, card) for system in self.systems for card in cards]
        statuses: Counter = Counter()
        errors: list[dict] = []
        bar = None
        if c.progress:
            from tqdm import tqdm

            bar = tqdm(total=len(tasks), desc="esc-eval", unit="dialogue", dynamic_ncols=True)
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures = {pool.submit(self.task, system, card): (system.label, card.id) for system, card in tasks}
            for future in as_completed(futures):
                label, card_id = futures[future]
                result = future.result()
                statuses[result["status"]] += 1
                if "error" in result:
                    errors.append({"system": label, "card": card_id, "error": result["error"]})
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(dict(statuses))
                if on_progress:
                    on_progress(result | {"system": label, "card": card_id})
        if bar is not None:
            bar.close()
        run_info |= {"wall_seconds": round(time.perf_counter() - started, 1), "statuses": dict(statuses),
                     "llm_calls": dict(self.counter.counts)}
        runs_path = c.out / "run.json"
        history = (_read(runs_path) or {}).get("runs", [])
        _atomic_write(runs_path, {"runs": history + [run_info]})
        summary = summarise(c.out, [s.label for s in self.systems], [card.id for card in cards], c.ci, c.seed)
        summary["run"] = run_info
        summary["runs"] = history + [run_info]
        summary["errors"] = errors
        write_scores(c.out, summary)
        if c.report:
            from .report import write_report

            summary["report"] = str(write_report(c.out, summary))
        return summary


# -- summary and files ----------------------------------------------------------------------------------------------
def load_dialogues(out: Path, systems: Sequence[str], card_ids: Sequence[str]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for label in systems:
        found[label] = []
        for card_id in card_ids:
            record = _read(dialogue_path(out, label, card_id))
            if record:
                found[label].append(record)
    return found


def summarise(out: Path, systems: Sequence[str], card_ids: Sequence[str], ci: str = "bootstrap", seed: int = 0) -> dict:
    dialogues = load_dialogues(Path(out), systems, card_ids)
    table = {label: [d["judge"]["scores"] for d in records if d.get("status") == "ok" and d.get("judge")]
             for label, records in dialogues.items()}
    scores = aggregate(table, ci, seed)
    per_system = {}
    for label, records in dialogues.items():
        played = [d for d in records if d.get("turns")]
        language = played[0]["language"] if played else "en"
        replies = [t["system"] for d in played for t in d["turns"]]
        seeker_flags = [t.get("seeker_analysis", {}).get("safety", {}).get("escalate", False) for d in played for t in d["turns"]]
        attune_turns = [t["attune"] for d in played for t in d["turns"] if "attune" in t]
        strategies = Counter(t["plan"]["strategy"] for t in attune_turns if t.get("plan"))
        judge_problems = Counter(dim for d in records if d.get("judge") for dim in d["judge"].get("problems", {}))
        judged = [d for d in records if d.get("judge")]
        per_system[label] = {
            "scores": scores.get(label),
            "dialogues": {"planned": len(card_ids), "played": len(played),
                          "judged": sum(1 for d in records if d.get("status") == "ok"),
                          "failed": sum(1 for d in records if d.get("status") == "failed"),
                          "judge_failed": sum(1 for d in records if d.get("status") == "judge_failed")},
            "automatic": reply_metrics(replies, language) | {
                "seeker_turns_flagged": int(sum(seeker_flags)),
                "dialogues_flagged": sum(1 for d in played if any(t.get("seeker_analysis", {}).get("safety", {}).get("escalate") for t in d["turns"])),
                "crisis_replies": sum(1 for t in attune_turns if t.get("reply", {}).get("source") == "crisis") if attune_turns else None},
            "judge": {"dimensions_with_problems": dict(judge_problems),
                      "unparsed_dimensions": sum(sum(1 for v in d["judge"]["scores"].values() if v is None) for d in judged),
                      "methods": dict(Counter(d["judge"].get("method") for d in judged)),
                      "score_histogram": {dim: dict(sorted(Counter(d["judge"]["scores"][dim] for d in judged
                                                                    if d["judge"]["scores"][dim] is not None).items()))
                                          for dim in DIMENSIONS}},
            "seconds_per_dialogue": _mean([d.get("timing_s", {}).get("dialogue") for d in played]),
            "seconds_per_judgement": _mean([d.get("timing_s", {}).get("judge") for d in judged]),
        }
        if attune_turns:
            per_system[label]["strategies"] = dict(strategies.most_common())
            per_system[label]["preference_bias"] = preference_bias_against_reference(strategies)
            per_system[label]["reply_sources"] = dict(Counter(t["reply"]["source"] for t in attune_turns))
    return {"systems": per_system, "ci_method": "percentile bootstrap over dialogues, 2000 resamples, 95%" if ci == "bootstrap"
            else "Student's t interval over dialogues, 95%", "scale": "mean of 0–4 scores / 4 × 100 (ESC-Eval leaderboard)",
            "dimensions": list(DIMENSIONS), "cards": list(card_ids), "out": str(out)}


def _mean(values: Sequence[float | None]) -> float | None:
    valid = [v for v in values if v is not None]
    return round(float(np.mean(valid)), 2) if valid else None


def write_scores(out: Path, summary: dict) -> None:
    out = Path(out)
    _atomic_write(out / "scores.json", summary)
    systems = list(summary["systems"])
    dialogues = load_dialogues(out, systems, summary["cards"])
    rows = []
    for label, records in dialogues.items():
        for d in records:
            scores = (d.get("judge") or {}).get("scores", {})
            metrics = d.get("metrics", {})
            rows.append({"system": label, "card_id": d["card"]["id"], "language": d.get("language"), "status": d.get("status"),
                         **{dim: scores.get(dim, "") if scores.get(dim) is not None else "" for dim in DIMENSIONS},
                         "distinct_1": metrics.get("distinct_1"), "distinct_2": metrics.get("distinct_2"),
                         "mean_length": metrics.get("mean_length"),
                         "replies_with_list": metrics.get("replies_with_list"),
                         "replies_with_ai_tell": metrics.get("replies_with_ai_tell"),
                         "seeker_turns_flagged": sum(bool(t.get("seeker_analysis", {}).get("safety", {}).get("escalate")) for t in d.get("turns", [])),
                         "dialogue_seconds": d.get("timing_s", {}).get("dialogue"),
                         "error": d.get("error") or d.get("judge_error") or ""})
    fields = ["system", "card_id", "language", "status", *DIMENSIONS, "distinct_1", "distinct_2", "mean_length",
              "replies_with_list", "replies_with_ai_tell", "seeker_turns_flagged", "dialogue_seconds", "error"]
    _write_csv(out / "scores.csv", fields, rows)
    summary_rows = []
    for label, info in summary["systems"].items():
        scores = info.get("scores") or {}
        for dim in (*DIMENSIONS, "average"):
            s = scores.get("average") if dim == "average" else scores.get("dimensions", {}).get(dim)
            if s:
                summary_rows.append({"system": label, "dimension": dim, "score_0_100": s.get("score"), "ci_low": s.get("ci_low"),
                                     "ci_high": s.get("ci_high"), "mean_0_4": s.get("mean_0_4"), "n": s.get("n"),
                                     "missing": s.get("missing")})
    _write_csv(out / "summary.csv", ["system", "dimension", "score_0_100", "ci_low", "ci_high", "mean_0_4", "n", "missing"],
               summary_rows)


def _write_csv(path: Path, fields: list[str], rows: list[dict]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)
