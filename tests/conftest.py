"""Shared fixtures: the real packaged models (MiniLM, SmolLM2 via xllamacpp), loaded once per test session."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from agent import Agent, Settings  # noqa: E402


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def agent(settings: Settings) -> Agent:
    return Agent(settings).setup()


@pytest.fixture
def fresh_agent(agent: Agent) -> Agent:
    """The session's agent (models loaded once) with an empty conversation."""
    agent.reset()
    yield agent
    agent.reset()
