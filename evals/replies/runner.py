"""``attune eval replies``: systems answer real ESConv histories, turn by turn, and every reply is scored offline.

For each sampled dialogue, every system reads the real conversation from its first turn: it answers the seeker's
message, then the human supporter's real reply takes the place of its own in the history (Conversation.follow), so
each answer is to the same real history the human answered. The human replies are scored as a system of their own
(the reference row). Nothing here needs an endpoint; systems that are endpoints (openai:URL:MODEL) are compared
the same way.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

from pydantic import BaseModel, Field

from agent.config import Settings

from ..esc.endpoints import CallCounter
from ..esc.systems import System, build_system
from .data import Dialogue, read_dialogues, sample
from .score import ReplyRecord, ReplyScorer, summarise

HUMAN = "human"
DEFAULT_SYSTEMS = (HUMAN, "attune", "attune-llm", "baseline")


class RepliesConfig(BaseModel):
    data: Path
    out: Path
    n: int = Field(200, ge=1, description="seeker messages answered per system")
    seed: int = 0
    per_dialogue: int = Field(10, ge=1, description="at most this many answered messages from one dialogue")
    systems: list[str] = Field(default_factory=lambda: list(DEFAULT_SYSTEMS))
    fluency: bool = True
    max_tokens: int = 160
    progress: bool = True
    command: str = ""


def make_system(spec: str, settings: Settings, seed: int, max_tokens: int, counter: CallCounter) -> System:
    """build_system's specs, plus attune-llm: the agent with the LLM chain-of-empathy planner (--mode llm)."""
    if spec == "attune-llm":
        llm_settings = settings.model_copy(deep=True)
        llm_settings.planner.mode = "llm"
        system = build_system("attune", llm_settings, settings.prompts_dir, max_tokens=max_tokens, seed=seed,
                              counter=counter)
        system.label, system.spec = "attune-llm", spec
        return system
    return build_system(spec, settings, settings.prompts_dir, max_tokens=max_tokens, seed=seed, counter=counter)


def _history_text(dialogue: Dialogue, upto: int) -> str:
    return " ".join(f"{e.seeker} {e.supporter}" for e in dialogue.exchanges[:upto])


def human_records(picked: list[tuple[Dialogue, int]]) -> list[ReplyRecord]:
    return [ReplyRecord(HUMAN, d.id, i, _history_text(d, i), e.seeker, e.supporter, e.supporter)
            for d, k in picked for i, e in enumerate(d.exchanges[:k]) if e.seeker]


def system_records(system: System, picked: list[tuple[Dialogue, int]], bar=None) -> list[ReplyRecord]:
    out = []
    for dialogue, k in picked:
        with system.conversation("en") as conversation:
            for i, exchange in enumerate(dialogue.exchanges[:k]):
                if exchange.seeker:
                    record = ReplyRecord(system.label, dialogue.id, i, _history_text(dialogue, i), exchange.seeker,
                                         exchange.supporter, "")
                    start = time.perf_counter()
                    try:
                        record.reply, _ = conversation.reply(exchange.seeker)
                        record.seconds = round(time.perf_counter() - start, 3)
                    except Exception as error:  # a system that fails on one turn is reported, not fatal
                        record.error = f"{type(error).__name__}: {error}"
                    out.append(record)
                    if bar is not None:
                        bar.update(1)
                conversation.follow(exchange.supporter)
    return out


def run(config: RepliesConfig, settings: Settings) -> dict:
    from agent.embeddings import shared_embedder

    from ..empathy import EmpathyScorer
    from .report import write_report

    start = time.time()
    dialogues = read_dialogues(config.data)
    picked = sample(dialogues, config.n, config.seed, config.per_dialogue)
    answered = sum(1 for d, k in picked for e in d.exchanges[:k] if e.seeker)
    counter = CallCounter()
    systems = [None if spec == HUMAN else make_system(spec, settings, config.seed, config.max_tokens, counter)
               for spec in dict.fromkeys(config.systems)]
    records: list[ReplyRecord] = []
    bar = None
    if config.progress:
        from tqdm import tqdm

        bar = tqdm(total=answered * sum(s is not None for s in systems), desc="replies", unit="reply")
    for system in systems:
        records += human_records(picked) if system is None else system_records(system, picked, bar)
    if bar is not None:
        bar.close()

    embedder = shared_embedder(settings.embedder(), settings.torch_threads)
    perplexity = None
    if config.fluency:
        from ..fluency import Perplexity

        perplexity = Perplexity(settings.gguf(), settings.torch_threads, settings.cache_dir)
    empathy = EmpathyScorer(settings.data_dir, embedder, settings.cache_dir)
    ReplyScorer(embedder, empathy, perplexity).score(records)

    labels = list(dict.fromkeys(r.system for r in records))
    summary = {
        "command": config.command, "data": str(config.data), "seed": config.seed, "n_requested": config.n,
        "dialogues": len(picked), "messages_answered": answered, "per_dialogue": config.per_dialogue,
        "systems": {label: summarise([r for r in records if r.system == label]) for label in labels},
        "described": {s.label: s.describe() for s in systems if s is not None},
        "empathy_heads": empathy.cv_figures(), "fluency": "perplexity under the embedded model" if config.fluency else None,
        "wall_seconds": round(time.time() - start, 1),
    }
    config.out.mkdir(parents=True, exist_ok=True)
    with (config.out / "replies.jsonl").open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(asdict(r), ensure_ascii=False) + "\n")
    (config.out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    summary["report"] = str(write_report(config.out, summary, records))
    return summary
