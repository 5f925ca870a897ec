"""``attune serve``: an HTTP API on 127.0.0.1.

- ``POST /v1/chat/completions`` — OpenAI-compatible (streaming too), so existing OpenAI clients work unchanged;
  the perceived emotion, plan and strategy ride along in an extra ``attune`` field. The conversation is keyed by
  the request's ``user`` field or the ``X-Attune-Session`` header (else each request starts a new one).
- ``POST /v1/turn`` — multipart text/audio/image in, the full turn record out.
- ``GET/DELETE /v1/sessions/{id}`` — export (json|markdown) or wipe a conversation. ``GET /health``.
"""
from __future__ import annotations

import json
import secrets
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, StreamingResponse
from pydantic import BaseModel, Field

from .audio import AudioError
from .config import Settings
from .pipeline import Agent
from .planner.llm import LLMError
from .store import ConversationStore
from .text import InputError


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    model: str = "attune"
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    user: str | None = Field(None, max_length=128)
    # sampling fields of the OpenAI schema are accepted and ignored: the planner decides
    model_config = {"extra": "allow"}


def _last_user_text(request: ChatRequest) -> str:
    for message in reversed(request.messages):
        if message.role == "user":
            if isinstance(message.content, list):  # content parts: keep the text ones
                return " ".join(str(p.get("text", "")) for p in message.content if p.get("type") == "text")
            return message.content or ""
    raise HTTPException(400, "the request has no user message")


def _summary(turn) -> dict:
    fused = turn.perception.fused
    return {"turn_id": turn.turn_id, "index": turn.index,
            "emotion": {"label": fused.label, "fine_label": fused.fine_label, "confidence": fused.confidence,
                        "vad": fused.vad.model_dump()},
            "plan": turn.plan.model_dump(exclude={"exemplars"}), "safety": turn.safety.model_dump(),
            "reply_source": turn.reply.source, "timings_ms": turn.timings_ms, "warnings": turn.warnings}


class Sessions:
    """One Agent per conversation, all sharing the loaded models; bounded, the store keeps the rest."""

    def __init__(self, base: Agent, limit: int):
        self.base, self.limit = base, limit
        self._agents: OrderedDict[str, Agent] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session_id: str | None) -> Agent:
        with self._lock:
            if session_id and session_id in self._agents:
                self._agents.move_to_end(session_id)
                return self._agents[session_id]
            agent = self.base.fork(session_id=session_id)
            self._agents[agent.session_id] = agent
            while len(self._agents) > self.limit:
                self._agents.popitem(last=False)
            return agent

    def drop(self, session_id: str) -> None:
        with self._lock:
            self._agents.pop(session_id, None)


async def _upload_bytes(field, name: str) -> bytes | None:
    """An uploaded file's bytes (None when the field is absent); a plain string is not a file."""
    if field is None or field == "":
        return None
    if isinstance(field, str):
        raise HTTPException(400, f"'{name}' must be a file upload")
    data = await field.read()
    if not data:
        raise HTTPException(400, f"the '{name}' file is empty")
    return data


def create_app(settings: Settings | None = None, agent: Agent | None = None) -> FastAPI:
    settings = settings or Settings()
    media_dir = Path(tempfile.gettempdir()) / "attune-media"
    media_dir.mkdir(parents=True, exist_ok=True)
    store = ConversationStore(settings.store_path)
    base = agent or Agent(settings, store=store)
    if base.store is None:
        base.store = store
    sessions = Sessions(base, settings.serve.max_sessions)
    limit_bytes = int(settings.serve.max_request_mb * 1024 * 1024)
    app = FastAPI(title="Attune", version="0.1.0",
                  description="An empathetic conversational agent. OpenAI-compatible chat plus full turn records.")

    def authorise(authorization: str | None = Header(None)) -> None:
        key = settings.serve.api_key
        if key is None:
            return
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not secrets.compare_digest(given, key.get_secret_value()):
            raise HTTPException(401, "missing or wrong API key (Authorization: Bearer …)")

    @app.middleware("http")
    async def limit_size(request: Request, call_next):
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit_bytes:
            return JSONResponse({"error": f"request too large (limit {settings.serve.max_request_mb:g} MB)"}, 413)
        return await call_next(request)

    @app.exception_handler(InputError)
    async def input_error(_request, error: InputError):
        return JSONResponse({"error": str(error), "kind": "input"}, 400)

    @app.exception_handler(HTTPException)
    async def http_error(_request, error: HTTPException):
        return JSONResponse({"error": str(error.detail), "kind": "request"}, error.status_code)

    @app.exception_handler(AudioError)
    async def audio_error(_request, error: AudioError):
        return JSONResponse({"error": str(error), "kind": "audio"}, 400)

    @app.exception_handler(LLMError)
    async def llm_error(_request, error: LLMError):
        return JSONResponse({"error": str(error), "kind": "llm"}, 503)

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "llm_backend": settings.llm.backend, "planner_mode": settings.planner_mode,
                "avatar": settings.avatar}

    @app.post("/v1/chat/completions", dependencies=[Depends(authorise)])
    def chat_completions(body: ChatRequest, x_attune_session: str | None = Header(None)):
        session_agent = sessions.get(x_attune_session or body.user)
        text = _last_user_text(body)
        created, completion_id = int(time.time()), f"chatcmpl-{secrets.token_hex(8)}"
        base_chunk = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": body.model}

        if not body.stream:
            turn = session_agent.respond(text)
            return {"id": completion_id, "object": "chat.completion", "created": created, "model": body.model,
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": turn.reply.text}}],
                    "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                    "attune": {"session_id": session_agent.session_id, **_summary(turn)}}

        stream = session_agent.stream(text)  # raises InputError here, before the response starts

        def events():
            first = {**base_chunk, "choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]}
            yield f"data: {json.dumps(first)}\n\n"
            try:
                for sentence in stream:
                    piece = ("" if sentence.index == 0 else " ") + sentence.text
                    chunk = {**base_chunk, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    yield f"data: {json.dumps(chunk)}\n\n"
                last = {**base_chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                        "attune": {"session_id": session_agent.session_id, **_summary(stream.turn)}}
                yield f"data: {json.dumps(last)}\n\n"
            except Exception as error:  # noqa: BLE001 — a stream can't change status code: say it in-band
                yield f"data: {json.dumps({'error': {'message': str(error)}})}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    @app.post("/v1/turn", dependencies=[Depends(authorise)])
    async def turn_endpoint(request: Request):
        """Multipart: ``text`` and/or ``audio`` (any common format) and/or ``image`` and/or ``video`` (a clip of
        the person: its frames are read for the face, its sound for speech when no ``audio`` is sent);
        ``session_id``; ``speak`` (true: the reply also as WAV + talking-avatar MP4, linked under /v1/media)."""
        from starlette.concurrency import run_in_threadpool

        form = await request.form()
        text = form.get("text")
        text = text if isinstance(text, str) and text.strip() else None
        audio = await _upload_bytes(form.get("audio"), "audio")
        image = await _upload_bytes(form.get("image"), "image")
        video = await _upload_bytes(form.get("video"), "video")
        if text is None and audio is None and video is None:
            raise HTTPException(400, "send a non-empty 'text' field or an 'audio' or 'video' file")
        session_id = form.get("session_id")
        session_agent = sessions.get(session_id if isinstance(session_id, str) and session_id else None)
        speak = str(form.get("speak", "")).lower() in {"1", "true", "yes"}
        if not speak:
            turn = await run_in_threadpool(lambda: session_agent.respond(text, audio=audio, image=image, video=video))
            return {"session_id": session_agent.session_id, "turn": turn.model_dump(mode="json")}
        from .spoken import Voice

        def spoken_turn():
            voice = Voice(session_agent, video=True, out_dir=media_dir)
            return voice.speak(text, audio=audio, image=image, video=video).result()

        spoken = await run_in_threadpool(spoken_turn)
        media = spoken.media.model_dump()
        media["segments"] = [{**seg, "audio": _media_link(seg["audio"]), "video": _media_link(seg["video"])}
                             for seg in media["segments"]]
        for key in ("audio_path", "video_path", "timeline_path"):
            media[key] = _media_link(media[key])
        return {"session_id": session_agent.session_id, "turn": spoken.turn.model_dump(mode="json"), "media": media}

    def _media_link(path: str | None) -> str | None:
        if not path:
            return None
        return "/v1/media/" + str(Path(path).resolve().relative_to(media_dir.resolve()))

    @app.get("/v1/media/{name:path}", dependencies=[Depends(authorise)])
    def media_file(name: str):
        path = (media_dir / name).resolve()
        if media_dir.resolve() not in path.parents or not path.is_file():
            raise HTTPException(404, "no such media file")
        return FileResponse(path)

    @app.get("/v1/sessions/{session_id}", dependencies=[Depends(authorise)])
    def export_session(session_id: str, format: Literal["json", "markdown"] = "json"):
        if not store.exists(session_id):
            raise HTTPException(404, "no such session")
        body = store.export(session_id, format)
        return PlainTextResponse(body, media_type="application/json" if format == "json" else "text/markdown")

    @app.delete("/v1/sessions/{session_id}", dependencies=[Depends(authorise)])
    def delete_session(session_id: str):
        sessions.drop(session_id)
        if not store.delete(session_id):
            raise HTTPException(404, "no such session")
        return {"deleted": session_id}

    return app


def serve(settings: Settings) -> None:
    import uvicorn

    agent = Agent(settings, store=ConversationStore(settings.store_path))
    agent.setup()
    uvicorn.run(create_app(settings, agent), host=settings.serve.host, port=settings.serve.port, log_level="info")
