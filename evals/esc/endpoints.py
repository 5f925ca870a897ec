"""The LLM behind each role: an OpenAI-compatible server (vLLM…) or the embedded model, built with
``agent.planner.llm``; chat-message helpers and a thread-safe count of LLM calls per role."""
from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path
from typing import Iterator, Sequence

from agent.config import LLMSettings, Settings

# what describe_endpoint names the embedded backend's model when no other GGUF is given
PACKAGED_MODEL = "SmolLM2-135M-Instruct (packaged)"
# llama.cpp reuses a cached prompt prefix between requests, which changes the numerics enough that the same seed gives
# another reply (measured: the first call after start differed from the next two). Without the cache, a seeded call
# is reproducible, so every system meets the same first seeker message. Sent to the embedded server only.
EMBEDDED_REPRODUCIBLE = {"cache_prompt": False}


def reproducible(settings: Settings) -> Settings:
    """For the embedded backend with default sampler options: the same options plus no prompt cache."""
    if settings.llm.backend == "embedded" and settings.llm.extra_body is None:
        settings.llm.extra_body = settings.llm.resolved_extra_body() | EMBEDDED_REPRODUCIBLE
    return settings


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
        return {"backend": "embedded", "model": str(cfg.gguf_path or PACKAGED_MODEL),
                "temperature": cfg.temperature, "max_tokens": cfg.max_tokens, "seed": cfg.seed,
                "extra_body": cfg.resolved_extra_body()}
    return {"backend": "openai", "url": cfg.base_url, "model": cfg.model, "temperature": cfg.temperature,
            "max_tokens": cfg.max_tokens, "seed": cfg.seed, "extra_body": cfg.resolved_extra_body()}


def chat_messages(pairs: Sequence[tuple[str, str]]) -> list:
    """(role, text) pairs, role system/user/assistant, as langchain messages."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[role](content=text) for role, text in pairs]


def joined_text(chunks: Iterator[str]) -> str:
    """A streamed answer as one stripped string."""
    return "".join(chunks).strip()


class CallCounter:
    """LLM calls per role ("system", "roleplayer", "judge"), counted from every dialogue's thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self.counts: Counter = Counter()

    def add(self, role: str) -> None:
        with self._lock:
            self.counts[role] += 1
