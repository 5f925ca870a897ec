"""Fuzzing: random bytes as audio/image/video uploads and random text through the decoders and the API → clear errors,
no crash, no hang."""
from __future__ import annotations

import io
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from agent.api import create_app
from agent.audio import AudioError, load_audio
from agent.perception.face import FaceExpressionModel, ImageError
from agent.perception.video import VideoError, video_frames

FUZZ = hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# headers of real formats, so the fuzzer also reaches the deeper decoders
MAGIC = [b"RIFF\x24\x00\x00\x00WAVEfmt ", b"OggS", b"fLaC", b"ID3", b"\x1aE\xdf\xa3", b"\x89PNG\r\n\x1a\n",
         b"\xff\xd8\xff\xe0", b"GIF89a", b"\x00\x00\x00\x18ftypmp42", b"\x00\x00\x00\x1cftypisom", b""]


@FUZZ
@given(prefix=st.sampled_from(MAGIC), body=st.binary(max_size=4096))
def test_audio_decoder_never_crashes_or_hangs(prefix, body):
    start = time.perf_counter()
    try:
        samples = load_audio(prefix + body, 16000)
        assert samples.dtype == np.float32 and np.all(np.abs(samples) <= 1.0)
    except AudioError as error:
        assert str(error)
    assert time.perf_counter() - start < 30


@hsettings(max_examples=30, deadline=None)
@given(prefix=st.sampled_from(MAGIC), body=st.binary(max_size=4096))
def test_video_decoder_never_crashes_or_hangs(prefix, body):
    start = time.perf_counter()
    try:
        frames = video_frames(prefix + body)
        assert all(f.dtype == np.uint8 and f.ndim == 3 for f in frames)
    except VideoError as error:
        assert str(error)
    assert time.perf_counter() - start < 30


@pytest.fixture(scope="module")
def faces(settings):
    model = FaceExpressionModel(settings.data_dir)
    model.setup()
    return model


@FUZZ
@given(prefix=st.sampled_from(MAGIC), body=st.binary(max_size=4096))
def test_image_decoder_never_crashes(faces, prefix, body):
    result = faces.analyze(prefix + body)
    assert result.estimate is None and result.warnings  # garbage is never a face, and says why


@pytest.fixture(scope="module")
def client(agent, tmp_path_factory):
    settings = agent.settings.model_copy(update={"store_path": tmp_path_factory.mktemp("fuzz") / "c.db"})
    base = agent.fork()
    return TestClient(create_app(settings, base))


@FUZZ
@given(audio=st.binary(min_size=1, max_size=2048), image=st.one_of(st.none(), st.binary(min_size=1, max_size=2048)))
def test_turn_endpoint_with_random_uploads(client, audio, image):
    files = {"audio": ("x.wav", io.BytesIO(audio), "audio/wav")}
    if image is not None:
        files["image"] = ("x.png", io.BytesIO(image), "image/png")
    r = client.post("/v1/turn", files=files, data={"session_id": "fuzz-upload"})
    assert r.status_code in (200, 400), r.text
    assert "Traceback" not in r.text
    if r.status_code == 400:
        assert r.json().get("error") or r.json().get("detail")


@hsettings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.sampled_from(MAGIC), body=st.binary(min_size=1, max_size=2048), with_text=st.booleans())
def test_turn_endpoint_with_a_random_video(client, prefix, body, with_text):
    r = client.post("/v1/turn", data={"session_id": "fuzz-video", **({"text": "I had a long day."} if with_text else {})},
                    files={"video": ("x.mp4", io.BytesIO(prefix + body), "video/mp4")})
    assert r.status_code in (200, 400), r.text
    assert "Traceback" not in r.text
    if with_text:  # typed words always make a turn; the broken clip is a warning
        assert r.status_code == 200 and any(w.startswith("video") for w in r.json()["turn"]["warnings"])
    else:
        assert r.status_code == 400 and "video" in r.json()["error"]


@FUZZ
@given(text=st.text(max_size=200), image=st.binary(min_size=1, max_size=1024))
def test_text_with_a_random_image_still_gets_a_reply(client, text, image):
    r = client.post("/v1/turn", data={"text": text or "hello", "session_id": "fuzz-text"},
                    files={"image": ("x.jpg", io.BytesIO(image), "image/jpeg")})
    if (text or "hello").strip():
        assert r.status_code in (200, 400), r.text
        if r.status_code == 200:
            assert r.json()["turn"]["reply"]["text"]
            assert any("face" in w for w in r.json()["turn"]["warnings"])
