"""The LLM layer: LangChain chat models over the OpenAI protocol, for the embedded model and any remote server.

The embedded backend starts llama.cpp's OpenAI-compatible server (xllamacpp) in-process on 127.0.0.1, lazily and
once per model; the client then talks HTTP to it exactly as it would to vLLM. Errors of any backend surface as
``LLMError`` with a message a user can act on.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Iterator, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from pydantic import BaseModel, ValidationError

from ..config import LLMSettings, Settings

SchemaT = TypeVar("SchemaT", bound=BaseModel)


class LLMError(RuntimeError):
    """The LLM backend failed: down, timed out, cut short, or answered something that is not the schema."""


class EmbeddedServer:
    """llama.cpp's server running in this process; one per (model, threads, context)."""

    _servers: dict[tuple, "EmbeddedServer"] = {}
    _lock = threading.Lock()

    def __init__(self, gguf: Path, threads: int, context_size: int):
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = str(gguf)
        params.n_ctx = context_size
        params.n_parallel = 1
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.port = 0  # a free port
        params.verbosity = -1
        self._server = xllamacpp.Server(params)
        self.address: str = self._server.listening_address
        if not self.address.startswith("http://127.0.0.1"):
            raise LLMError(f"embedded LLM server bound to an unexpected address: {self.address}")

    @classmethod
    def get(cls, gguf: Path, threads: int, context_size: int) -> "EmbeddedServer":
        key = (str(gguf), threads, context_size)
        with cls._lock:
            if key not in cls._servers:
                cls._servers[key] = cls(gguf, threads, context_size)
            return cls._servers[key]


def chat_model(settings: Settings) -> BaseChatModel:
    """A LangChain chat model for the configured backend (starts the embedded server if needed)."""
    from langchain_openai import ChatOpenAI

    cfg: LLMSettings = settings.llm
    if cfg.backend == "embedded":
        server = EmbeddedServer.get(settings.gguf(), cfg.threads, cfg.context_size)
        base_url = server.address + "/v1"
    else:
        if not cfg.base_url:
            raise LLMError("llm.backend is 'openai' but llm.base_url is not set (e.g. http://localhost:8000/v1)")
        base_url = cfg.base_url
    return ChatOpenAI(
        base_url=base_url,
        api_key=cfg.api_key.get_secret_value() or "none",
        model=cfg.model,
        temperature=cfg.temperature,
        max_tokens=cfg.max_tokens,
        timeout=cfg.timeout_s,
        max_retries=cfg.max_retries,
        seed=cfg.seed,
        extra_body=cfg.resolved_extra_body() or None,
        stream_usage=False,
    )


def _explain(error: Exception, settings: LLMSettings) -> LLMError:
    import openai

    where = "the embedded model" if settings.backend == "embedded" else f"the LLM server at {settings.base_url}"
    if isinstance(error, openai.LengthFinishReasonError):
        return LLMError(f"{where} ran out of max_tokens ({settings.max_tokens}) before finishing its JSON")
    if isinstance(error, openai.APITimeoutError):
        return LLMError(f"{where} did not answer within {settings.timeout_s:.0f} s")
    if isinstance(error, openai.APIConnectionError):
        return LLMError(f"cannot reach {where}: is it running?")
    if isinstance(error, openai.APIStatusError):
        return LLMError(f"{where} answered HTTP {error.status_code}: {str(error)[:200]}")
    if isinstance(error, (ValidationError, json.JSONDecodeError, ValueError)):
        return LLMError(f"{where} returned output that does not fit the schema: {str(error)[:200]}")
    return LLMError(f"{where} failed: {type(error).__name__}: {str(error)[:200]}")


class LLM:
    """The one interface the planner uses: structured calls and streams over any chat model."""

    def __init__(self, settings: Settings, model: BaseChatModel | None = None):
        self.settings = settings
        self._model = model

    def setup(self) -> None:
        if self._model is None:
            try:
                self._model = chat_model(self.settings)
            except LLMError:
                raise
            except Exception as error:  # noqa: BLE001 — model load failures become one clear error
                raise LLMError(f"could not start the LLM backend: {error}") from error

    @property
    def model(self) -> BaseChatModel:
        self.setup()
        return self._model

    def structured(self, messages: list[BaseMessage], schema: type[SchemaT]) -> SchemaT:
        """One call constrained by the schema's JSON schema (llama.cpp grammar / vLLM guided decoding)."""
        try:
            result = self.model.with_structured_output(schema, method="json_schema").invoke(messages)
        except Exception as error:  # noqa: BLE001
            raise _explain(error, self.settings.llm) from error
        if result is None:
            raise LLMError("the LLM returned an empty answer")
        return result

    def stream_json(self, messages: list[BaseMessage], schema: type[BaseModel]) -> Iterator[dict[str, Any]]:
        """Yield the partially parsed JSON object as tokens arrive (schema-constrained)."""
        from langchain_core.utils.json import parse_partial_json

        bound = self.model.bind(response_format={
            "type": "json_schema",
            "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema(), "strict": True},
        })
        buffer = ""
        try:
            for chunk in bound.stream(messages):
                buffer += chunk.content if isinstance(chunk.content, str) else ""
                partial = parse_partial_json(buffer) if buffer.strip() else None
                if isinstance(partial, dict):
                    yield partial
        except Exception as error:  # noqa: BLE001
            raise _explain(error, self.settings.llm) from error
        try:
            json.loads(buffer)
        except json.JSONDecodeError as error:
            raise _explain(error, self.settings.llm) from error

    def stream_text(self, messages: list[BaseMessage]) -> Iterator[str]:
        try:
            for chunk in self.model.stream(messages):
                if isinstance(chunk.content, str) and chunk.content:
                    yield chunk.content
        except Exception as error:  # noqa: BLE001
            raise _explain(error, self.settings.llm) from error
