"""Systems under test: attune (the full agent), the baseline (attune's LLM behind a plain prompt) and any
OpenAI-compatible chat model; ``build_system`` reads a ``--system`` spec."""
from __future__ import annotations

import queue
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from agent.config import Settings
from agent.prompts import render

from .endpoints import CallCounter, chat_messages, describe_endpoint, endpoint_settings, joined_text, reproducible

DEFAULT_SYSTEMS = ("attune", "baseline")


class Conversation:
    """One dialogue with a system: ``reply(seeker_text)`` → (reply text, extra per-turn record)."""

    def reply(self, seeker_text: str) -> tuple[str, dict]:
        raise NotImplementedError

    def follow(self, supporter_text: str) -> None:
        """The real supporter's words take the place of the system's last reply, or open the conversation when the
        supporter spoke first (the reply benchmark answers real histories, evals/replies)."""
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

            def follow(self, supporter_text: str) -> None:
                if agent.history:  # a greeting before the person's first word leaves nothing to replace
                    agent.follow(supporter_text)

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
                text = joined_text(system.llm.stream_text(chat_messages(history)))
                history.append(("assistant", text))
                return text, {}

            def follow(self, supporter_text: str) -> None:
                if history[-1][0] == "assistant":
                    history[-1] = ("assistant", supporter_text)
                else:
                    history.append(("assistant", supporter_text))

        yield _Conv()


_OPENAI_SPEC = re.compile(r"^(?P<url>https?://[^/:\s]+(?::\d+)?(?:/[^:\s]*)?)(?::(?P<model>.+))?$")


def safe_label(label: str) -> str:
    """A system label or card id as a file or folder name."""
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
