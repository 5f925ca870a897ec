"""Conversations persist in a local SQLite database (WAL), keyed by session.

Each answered turn is committed in its own transaction before the next begins, so a crash (even kill -9)
loses nothing that was already answered. Users can resume, export and delete (wipe) their conversations.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from pathlib import Path

from .types import TurnResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    avatar TEXT
);
CREATE TABLE IF NOT EXISTS turns (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (session_id, idx)
);
"""


class ConversationStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)  # autocommit; explicit transactions
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # an answered turn survives power loss, not just a crash
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
        return db

    @staticmethod
    def new_session_id() -> str:
        """A fresh id; the session row appears with its first answered turn (no empty sessions)."""
        return uuid.uuid4().hex

    def append(self, session_id: str, turn: TurnResult, avatar: str | None = None) -> None:
        db = self._connect()
        with db:  # one transaction: the turn and the session's timestamp together
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT OR IGNORE INTO sessions VALUES (?, ?, ?, ?)", (session_id, time.time(), time.time(), avatar))
            db.execute("INSERT OR REPLACE INTO turns VALUES (?, ?, ?)", (session_id, turn.index, turn.model_dump_json()))
            db.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (time.time(), session_id))

    def turns(self, session_id: str) -> list[TurnResult]:
        rows = self._connect().execute(
            "SELECT record FROM turns WHERE session_id = ? ORDER BY idx", (session_id,)).fetchall()
        return [TurnResult.model_validate_json(r[0]) for r in rows]

    def sessions(self) -> list[dict]:
        rows = self._connect().execute(
            "SELECT s.id, s.created_at, s.updated_at, s.avatar, COUNT(t.idx) FROM sessions s "
            "LEFT JOIN turns t ON t.session_id = s.id GROUP BY s.id ORDER BY s.updated_at DESC").fetchall()
        return [dict(id=r[0], created_at=r[1], updated_at=r[2], avatar=r[3], turns=r[4]) for r in rows]

    def exists(self, session_id: str) -> bool:
        return self._connect().execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is not None

    def delete(self, session_id: str) -> bool:
        """Wipe a conversation: its turns and the session row."""
        db = self._connect()
        with db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM turns WHERE session_id = ?", (session_id,))
            deleted = db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount
        return bool(deleted)

    def export(self, session_id: str, fmt: str = "json") -> str:
        turns = self.turns(session_id)
        if fmt == "json":
            return json.dumps({"session_id": session_id, "turns": [t.model_dump(mode="json") for t in turns]},
                              ensure_ascii=False, indent=2)
        if fmt == "markdown":
            return conversation_markdown(session_id, turns)
        raise ValueError(f"unknown export format {fmt!r} (json or markdown)")


def conversation_markdown(session_id: str, turns: list[TurnResult]) -> str:
    lines = [f"# Conversation {session_id}", ""]
    for t in turns:
        fused = t.perception.fused
        lines += [f"**You:** {t.user_text}", "",
                  f"**Attune:** {t.reply.text}", "",
                  f"<sub>feels {fused.fine_label or fused.label} ({fused.confidence:.2f}) · {t.plan.stage} / "
                  f"{t.plan.strategy} · agent {t.plan.agent_emotion.label}"
                  + (" · **crisis resources given**" if t.safety.escalate else "")
                  + (" · **safety check-in asked**" if t.safety.check_in else "") + "</sub>", ""]
    if turns:
        safety = turns[-1].state.safety
        lines += [f"<sub>safety in this conversation: {safety.check_ins} check-in(s), {safety.escalations} "
                  f"escalation(s), check-in answer: {safety.check_in_answer}</sub>", ""]
    return "\n".join(lines)
