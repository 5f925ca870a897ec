"""Shared fixtures: the real packaged models (MiniLM, SmolLM2 via xllamacpp), loaded once per test session."""
from __future__ import annotations

import os
import subprocess

import numpy as np
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


CLIP_WORDS = "I finally finished the marathon today and I feel wonderful."


def make_mp4(path, frames: np.ndarray, fps: int, wav=None):
    import imageio_ffmpeg

    h, w = frames.shape[1:3]
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{w}x{h}", "-r", str(fps), "-i", "pipe:0"]
    cmd += ["-i", str(wav), "-c:a", "aac", "-shortest"] if wav else []
    cmd += ["-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(cmd, input=frames.tobytes(), check=True, timeout=120)
    return path


@pytest.fixture(scope="session")
def talking_clip(tmp_path_factory, settings):
    """A clip of the astronaut photo (a smiling face, public domain) with speech over it, as a browser might send."""
    from agent.audio import write_wav
    from agent.speech.tts import concatenate, load_tts

    audio, rate, _ = concatenate(list(load_tts(settings).synthesize(CLIP_WORDS, "joy", 0.5)))
    folder = tmp_path_factory.mktemp("video")
    wav = write_wav(folder / "speech.wav", audio, rate)
    seconds = int(np.ceil(audio.size / rate)) + 1
    skimage_data = pytest.importorskip("skimage.data")
    frames = np.repeat(skimage_data.astronaut()[None], 10 * seconds, axis=0)
    return make_mp4(folder / "clip.mp4", frames, 10, wav)


@pytest.fixture(scope="session")
def silent_clip(tmp_path_factory):
    """The same face, no sound track."""
    skimage_data = pytest.importorskip("skimage.data")
    frames = np.repeat(skimage_data.astronaut()[None], 20, axis=0)
    return make_mp4(tmp_path_factory.mktemp("video") / "silent.mp4", frames, 10)
