"""Text-turn latency: cold start, then per-turn time to first sentence and to the full reply (p50/p95), peak RSS.

Reproduce: ``attune bench latency --turns 10 --json``.
"""
from __future__ import annotations

import platform
import resource
import time

import numpy as np

from agent.config import Settings

# a realistic mix: several conversations of a few turns each
MESSAGES = [
    "I lost my job today and I feel like a failure.",
    "I don't know how I'm going to tell my family.",
    "What should I do now?",
    "My girlfriend broke up with me last week and I can't stop thinking about her.",
    "I feel so lonely in the evenings.",
    "I have my final exams next week and I'm terrified I'll fail.",
    "My mom is in the hospital and nobody tells me anything.",
    "I got the promotion I worked so hard for!",
    "My best friend ignored me at the party and I'm so angry.",
    "I can't sleep because I keep worrying about money.",
]
CONVERSATION_LENGTH = 3


def percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 1) if values else float("nan")


def bench_text_latency(settings: Settings, turns: int = 10) -> dict:
    t0 = time.perf_counter()
    from agent.pipeline import Agent

    agent = Agent(settings)
    agent.setup()
    cold_start_ms = (time.perf_counter() - t0) * 1000
    first, full, sources, stages = [], [], [], {}
    for i in range(turns):
        if i % CONVERSATION_LENGTH == 0:
            agent.reset()
        start = time.perf_counter()
        stream = agent.stream(MESSAGES[i % len(MESSAGES)])
        first_at = None
        for _ in stream:
            if first_at is None:
                first_at = time.perf_counter()
        end = time.perf_counter()
        first.append(((first_at or end) - start) * 1000)
        full.append((end - start) * 1000)
        sources.append(stream.turn.reply.source)
        for name, ms in stream.turn.timings_ms.items():
            stages.setdefault(name, []).append(ms)
    return {
        "turns": turns,
        "planner_mode": settings.planner_mode,
        "llm_backend": settings.llm.backend,
        "cold_start_ms": round(cold_start_ms, 1),
        "first_sentence_ms": {"p50": percentile(first, 50), "p95": percentile(first, 95)},
        "full_reply_ms": {"p50": percentile(full, 50), "p95": percentile(full, 95)},
        "stages_ms": {k: {"p50": percentile(v, 50), "p95": percentile(v, 95)} for k, v in stages.items()},
        "reply_sources": {s: sources.count(s) for s in sorted(set(sources))},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "machine": f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores",
    }
