"""Video in: a real MP4 (a smiling face + synthesised speech) through the decoder, a whole turn, and the API."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from agent import InputError
from agent.perception.video import FRAME_SIZE, VideoError, video_frames

def test_frames_are_sampled_at_a_fixed_size(talking_clip):
    frames = video_frames(talking_clip)
    width, height = FRAME_SIZE
    assert 8 <= len(frames) <= 48 and all(f.shape == (height, width, 3) and f.dtype == np.uint8 for f in frames)
    assert frames[0].mean() > 20  # a picture, not the padding
    assert len(video_frames(talking_clip.read_bytes())) == len(frames)  # bytes decode like the file


@pytest.mark.parametrize("bad,reason", [(b"", "empty"), (b"\x00\x01garbage" * 100, "not a video"),
                                        ("/nonexistent/clip.mp4", "not found")])
def test_bad_video_is_a_clear_error(bad, reason):
    with pytest.raises(VideoError, match=reason):
        video_frames(bad)


def test_audio_only_file_is_not_a_video(tmp_path, settings):
    from agent.audio import write_wav

    wav = write_wav(tmp_path / "a.wav", np.zeros(16000, np.float32), 16000)
    with pytest.raises(VideoError, match="not a video"):
        video_frames(wav)


def test_a_video_turn_hears_the_words_and_reads_the_face(fresh_agent, talking_clip):
    turn = fresh_agent.respond(video=talking_clip)
    assert "marathon" in turn.transcript.lower()
    perception = turn.perception
    assert perception.face.label == "joy" and "frames" in perception.face.cues[0]
    assert perception.voice is not None
    assert turn.perception.signals["face"]["frames_with_face"] >= 4
    assert turn.timings_ms["video"] > 0 and turn.reply.text


def test_a_silent_video_needs_words(fresh_agent, silent_clip):
    with pytest.raises(InputError, match="couldn't hear any words"):
        fresh_agent.respond(video=silent_clip)
    turn = fresh_agent.respond("I'm so happy today!", video=silent_clip)  # typed words + the face
    assert turn.perception.face.label == "joy"


def test_a_broken_video_with_text_still_gets_a_reply(fresh_agent):
    turn = fresh_agent.respond("I had a long day.", video=b"not a video at all" * 50)
    assert turn.reply.text and any(w.startswith("video:") for w in turn.warnings)
    with pytest.raises(InputError, match="couldn't use the video"):
        fresh_agent.respond(video=b"not a video at all" * 50)


def test_api_turn_takes_a_video_upload(agent, talking_clip, tmp_path):
    from fastapi.testclient import TestClient

    from agent.api import create_app

    client = TestClient(create_app(agent.settings.model_copy(update={"store_path": tmp_path / "c.db"}), agent.fork()))
    r = client.post("/v1/turn", files={"video": ("clip.mp4", talking_clip.read_bytes(), "video/mp4")})
    assert r.status_code == 200, r.text
    turn = r.json()["turn"]
    assert "marathon" in turn["transcript"].lower() and turn["perception"]["face"]["label"] == "joy"
    bad = client.post("/v1/turn", files={"video": ("clip.mp4", b"\x00" * 4000, "video/mp4")})
    assert bad.status_code == 400 and "video" in bad.json()["error"] and "Traceback" not in bad.text


def test_cli_reads_a_clip(talking_clip):
    import json
    import sys

    out = subprocess.run([sys.executable, "-m", "agent.cli", "perceive", "--video", str(talking_clip), "--json"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    state = json.loads(out.stdout)
    assert state["face"]["label"] == "joy" and state["voice"] is not None
