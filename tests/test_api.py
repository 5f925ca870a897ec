"""`attune serve`: the OpenAI-compatible endpoint with a real OpenAI client, sessions, limits, errors, fuzzing."""
from __future__ import annotations

import threading
import time

import httpx
import openai
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from pydantic import SecretStr

from agent.api import create_app


@pytest.fixture(scope="module")
def server(agent, tmp_path_factory):
    settings = agent.settings.model_copy(update={
        "store_path": tmp_path_factory.mktemp("api") / "conversations.db",
        "serve": agent.settings.serve.model_copy(update={"max_request_mb": 1.0}),
    })
    app = create_app(settings, agent.fork())
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.05)
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def test_health(server):
    assert httpx.get(server + "/health").json()["status"] == "ok"


def test_openai_client_works_unchanged(server):
    client = openai.OpenAI(base_url=server + "/v1", api_key="none")
    completion = client.chat.completions.create(
        model="attune", user="alice", messages=[{"role": "user", "content": "I lost my job today."}])
    assert "job" in completion.choices[0].message.content.lower()
    extra = completion.model_extra["attune"]
    assert extra["session_id"] == "alice" and extra["plan"]["strategy"] and extra["emotion"]["label"]
    pieces = [c.choices[0].delta.content or "" for c in client.chat.completions.create(
        model="attune", user="alice", stream=True, messages=[{"role": "user", "content": "I feel useless."}]) if c.choices]
    assert len([p for p in pieces if p]) >= 2 and "".join(pieces).strip()


def test_sessions_are_isolated_and_exportable(server):
    for user, text in [("bob", "My dog died yesterday."), ("carol", "I failed my driving test.")]:
        httpx.post(server + "/v1/chat/completions", timeout=60,
                   json={"messages": [{"role": "user", "content": text}], "user": user}).raise_for_status()
    bob = httpx.get(server + "/v1/sessions/bob").json()
    carol = httpx.get(server + "/v1/sessions/carol?format=markdown").text
    assert [t["user_text"] for t in bob["turns"]] == ["My dog died yesterday."]
    assert "driving test" in carol and "dog" not in carol
    assert httpx.delete(server + "/v1/sessions/bob").json() == {"deleted": "bob"}
    assert httpx.get(server + "/v1/sessions/bob").status_code == 404


def test_turn_endpoint_returns_the_record(server):
    r = httpx.post(server + "/v1/turn", data={"text": "I'm nervous about my exam.", "session_id": "dave"}, timeout=60)
    body = r.json()
    assert r.status_code == 200 and body["session_id"] == "dave"
    assert body["turn"]["plan"]["strategy"] and body["turn"]["reply"]["text"]


@pytest.mark.parametrize("payload,status", [
    ({"messages": [{"role": "user", "content": "   "}]}, 400),
    ({"messages": [{"role": "system", "content": "hi"}]}, 400),
    ({"messages": []}, 422),
    ({"nothing": True}, 422),
])
def test_bad_requests_get_clear_4xx(server, payload, status):
    r = httpx.post(server + "/v1/chat/completions", json=payload, timeout=30)
    assert r.status_code == status and "Traceback" not in r.text


def test_request_size_limit(server):
    r = httpx.post(server + "/v1/turn", data={"text": "x" * (2 * 1024 * 1024)}, timeout=30)
    assert r.status_code == 413 and "too large" in r.json()["error"]


def test_api_key(agent, tmp_path):
    from fastapi.testclient import TestClient

    settings = agent.settings.model_copy(update={
        "store_path": tmp_path / "c.db", "serve": agent.settings.serve.model_copy(update={"api_key": SecretStr("s3cret")})})
    client = TestClient(create_app(settings, agent.fork()))
    body = {"messages": [{"role": "user", "content": "hello"}]}
    assert client.post("/v1/chat/completions", json=body).status_code == 401
    assert client.post("/v1/chat/completions", json=body, headers={"Authorization": "Bearer s3cret"}).status_code == 200


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_fuzzed_text_never_crashes_the_api(server, text):
    r = httpx.post(server + "/v1/chat/completions", timeout=60,
                   json={"messages": [{"role": "user", "content": text}], "user": "fuzz"})
    assert r.status_code in (200, 400), r.text
    assert "Traceback" not in r.text


def test_spoken_turn_returns_audio_and_video_links(server, tmp_path):
    from agent import Settings
    from agent.audio import write_wav
    from agent.speech.tts import concatenate, load_tts

    audio, rate, _ = concatenate(list(load_tts(Settings()).synthesize("I miss my grandmother so much.", "sadness", 0.5)))
    wav = write_wav(tmp_path / "in.wav", audio, rate)
    with open(wav, "rb") as f:
        r = httpx.post(server + "/v1/turn", files={"audio": ("in.wav", f, "audio/wav")},
                       data={"session_id": "erin", "speak": "true"}, timeout=180)
    body = r.json()
    assert r.status_code == 200, body
    assert "grandmother" in body["turn"]["transcript"].lower()
    assert body["turn"]["perception"]["voice"] is not None
    media = body["media"]
    assert media["segments"] and media["audio_path"].startswith("/v1/media/")
    video = httpx.get(server + media["segments"][0]["video"], timeout=30)
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"  # an MP4
    assert httpx.get(server + "/v1/media/../../etc/passwd").status_code == 404


def test_bad_audio_upload_is_a_clear_400(server):
    r = httpx.post(server + "/v1/turn", files={"audio": ("x.wav", b"not audio at all", "audio/wav")}, timeout=60)
    assert r.status_code == 400 and "audio" in r.json()["error"]
