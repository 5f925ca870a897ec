"""Video: H.264 + AAC, yuv420p, 25 fps, 512²; video length equals audio within one frame; streaming segments."""
from __future__ import annotations

import json

import numpy as np
import pytest

from agent.avatar import TIMELINE_FORMAT, AvatarRenderer, write_timeline
from agent.avatar.synthetic import synthetic_chunk
from agent.avatar.video import probe

FRAME = 1 / 25


@pytest.fixture(scope="module")
def renderer():
    return AvatarRenderer("maya", size=512, fps=25)


def _check_format(info):
    assert info["video_codec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert (info["width"], info["height"]) == (512, 512) and info["fps"] == 25
    assert info["audio_codec"] == "aac"


def test_segment_per_chunk(renderer, tmp_path):
    chunk = synthetic_chunk("Hello there, how are you?", "joy", 0.6, seconds=1.234)
    result = renderer.render_chunk(chunk, tmp_path / "seg.mp4")
    info = probe(result.path)
    _check_format(info)
    assert abs(info["audio_duration"] - chunk.duration) < 0.03
    assert abs(info["video_duration"] - info["audio_duration"]) <= FRAME
    assert info["frames"] == result.timeline.n_frames


def test_chunk_frames_in_memory(renderer):
    chunk = synthetic_chunk("Okay.", "neutral", 0.5, seconds=0.5)
    result = renderer.render_chunk(chunk)
    assert result.path is None and len(result.frames) == result.timeline.n_frames
    assert result.frames[0].shape == (512, 512, 4) and result.frames[0].dtype == np.uint8
    assert not np.shares_memory(result.frames[0], result.frames[-1])


def test_turn_duration_and_timeline(tmp_path):
    renderer = AvatarRenderer("ruth", size=512, fps=25)
    chunks = [synthetic_chunk(t, e, 0.6, index=i, seconds=s, sample_rate=22050)
              for i, (t, e, s) in enumerate([("I hear you.", "sadness", 1.013), ("That is a lot.", "fear", 0.871),
                                             ("We can take it slowly.", "joy", 1.337)])]
    seen = []
    result = renderer.render_turn(iter(chunks), tmp_path / "turn.mp4", listen_after=0.5, user_emotion="sadness",
                                  timeline_path=tmp_path / "turn.json", on_chunk=seen.append)
    info = probe(result.path)
    _check_format(info)
    audio = sum(c.duration for c in chunks) + 0.5
    assert abs(info["audio_duration"] - audio) < 0.03
    assert abs(info["video_duration"] - info["audio_duration"]) <= FRAME
    assert len(seen) == 4 and [t.mode for t in seen] == ["speak"] * 3 + ["listen"]
    doc = json.loads((tmp_path / "turn.json").read_text())
    assert doc["format"] == TIMELINE_FORMAT and doc["fps"] == 25 and doc["face"]["hair_style"] == "bun"
    first = doc["chunks"][0]
    assert first["visemes"] and set(first["tracks"]) >= {"t", "au1", "au12", "open", "blink", "gaze_x", "yaw"}
    assert all(len(v) == first["n_frames"] for v in first["tracks"].values())
    assert sum(c["n_frames"] for c in doc["chunks"]) == info["frames"]


def test_write_timeline_roundtrip(tmp_path):
    renderer = AvatarRenderer("sage", size=128)
    tl = renderer.timeline(synthetic_chunk("Hi.", "surprise", 0.8, seconds=0.6))
    path = write_timeline(tmp_path / "t.json", [tl], renderer)
    doc = json.loads(path.read_text())
    assert doc["chunks"][0]["emotion"] == "surprise" and doc["avatar"] == "sage"
