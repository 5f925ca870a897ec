from pathlib import Path

import pytest

from agent.config import Settings, default_embedder, default_gguf


def test_defaults_point_at_packaged_models():
    s = Settings()
    assert s.llm.backend == "embedded" and s.planner_mode == "grounded"
    assert s.gguf() == default_gguf() and s.gguf().name.endswith(".gguf")
    assert s.embedder() == default_embedder() and (s.embedder() / "config.json").is_file()
    assert s.llm.resolved_extra_body() == {"repeat_penalty": 1.15}


def test_environment_overrides_and_auto_mode(monkeypatch):
    monkeypatch.setenv("ATTUNE_LLM__BACKEND", "openai")
    monkeypatch.setenv("ATTUNE_LLM__BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("ATTUNE_PLANNER__MAX_REPLY_WORDS", "40")
    s = Settings()
    assert s.llm.backend == "openai" and s.llm.base_url == "http://127.0.0.1:9/v1"
    assert s.planner.max_reply_words == 40
    assert s.planner_mode == "llm"  # a remote (presumably capable) model writes the whole plan
    assert s.llm.resolved_extra_body() == {}  # vLLM rejects llama.cpp's sampler names


def test_toml_file_then_environment(tmp_path, monkeypatch):
    config = tmp_path / "attune.toml"
    config.write_text('avatar = "sage"\n[llm]\ntemperature = 0.7\nmodel = "from-file"\n')
    monkeypatch.setenv("ATTUNE_LLM__MODEL", "from-env")
    s = Settings.load(config)
    assert s.llm.temperature == 0.7
    assert s.llm.model == "from-env"
    assert Settings().llm.temperature == 0.3  # the file applied to that load only


def test_bad_config_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="config file not found"):
        Settings.load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[llm]\nbackend = 'gpt'\n")
    with pytest.raises(Exception, match="backend"):
        Settings.load(bad)
    with pytest.raises(FileNotFoundError, match="GGUF model not found"):
        Settings(llm={"gguf_path": Path("/nonexistent.gguf")}).gguf()
