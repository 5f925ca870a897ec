"""The LLM layer on the real embedded model (SmolLM2-135M served by xllamacpp over HTTP)."""
from __future__ import annotations

import http.server
import json
import socket
import threading

import openai
import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from agent.config import Settings
from agent.planner.llm import LLM, EmbeddedServer, LLMError


class Answer(BaseModel):
    feeling: str = Field(min_length=1, max_length=30)
    reply: str = Field(min_length=1, max_length=160)


@pytest.fixture(scope="module")
def llm(settings) -> LLM:
    model = LLM(settings)
    model.setup()
    return model


def test_embedded_server_speaks_the_openai_protocol(settings, llm):
    server = EmbeddedServer.get(settings.gguf(), settings.llm.threads, settings.llm.context_size)
    assert server.address.startswith("http://127.0.0.1:")
    client = openai.OpenAI(base_url=server.address + "/v1", api_key="none", timeout=30)
    completion = client.chat.completions.create(
        model="any", messages=[{"role": "user", "content": "Say hello."}], max_tokens=16)
    assert completion.choices[0].message.content.strip()
    # the server is started once per model and reused
    assert EmbeddedServer.get(settings.gguf(), settings.llm.threads, settings.llm.context_size) is server


def test_structured_output_validates_against_the_schema(llm):
    messages = [SystemMessage("You are a kind listener. Answer in JSON."), HumanMessage("My cat died today.")]
    answer = llm.structured(messages, Answer)
    # the grammar enforces the schema's lengths, so even a 135M model cannot return an empty or endless field
    assert isinstance(answer, Answer) and 1 <= len(answer.reply) <= 160 and 1 <= len(answer.feeling) <= 30


def test_streaming_yields_text_and_partial_json(llm):
    chunks = list(llm.stream_text([HumanMessage("Say one short sentence about rain.")]))
    assert len(chunks) > 1 and "".join(chunks).strip()
    partials = list(llm.stream_json([HumanMessage("My cat died today. Answer in JSON.")], Answer))
    assert len(partials) > 1
    assert Answer.model_validate(partials[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_backend_down_is_a_clear_error():
    settings = Settings(llm={"backend": "openai", "base_url": f"http://127.0.0.1:{_free_port()}/v1",
                             "timeout_s": 3, "max_retries": 0})
    with pytest.raises(LLMError, match="cannot reach the LLM server"):
        LLM(settings).structured([HumanMessage("hi")], Answer)


class _GarbageHandler(http.server.BaseHTTPRequestHandler):
    """An 'OpenAI-compatible' server whose model answers with text that is not the requested JSON."""

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": [{
            "index": 0, "finish_reason": "stop",
            "message": {"role": "assistant", "content": "Sure! {not json at all"}}]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def garbage_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _GarbageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_malformed_json_is_a_clear_error(garbage_server):
    settings = Settings(llm={"backend": "openai", "base_url": garbage_server, "timeout_s": 5, "max_retries": 0})
    with pytest.raises(LLMError, match="does not fit the schema"):
        LLM(settings).structured([HumanMessage("hi")], Answer)
