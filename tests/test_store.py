"""The conversation store: resume, export, delete, and durability under kill -9."""
import json
import os
import signal
import subprocess
import sys
import time

from agent import Agent
from agent.store import ConversationStore


def test_resume_export_delete(agent, tmp_path):
    store = ConversationStore(tmp_path / "c.db")
    first = agent.fork()
    first.store, first.session_id = store, store.new_session_id()
    first.respond("I lost my job today.")
    first.respond("I don't know what to tell my kids.")
    resumed = Agent(agent.settings, store=store, session_id=first.session_id)
    assert [t.user_text for t in resumed.history] == ["I lost my job today.", "I don't know what to tell my kids."]
    assert resumed.respond("Thanks for listening.").index == 2  # the conversation goes on where it stopped
    exported = json.loads(store.export(first.session_id))
    assert len(exported["turns"]) == 3
    assert "**You:** I lost my job today." in store.export(first.session_id, "markdown")
    assert store.delete(first.session_id) and not store.exists(first.session_id)
    assert store.turns(first.session_id) == []


CHILD = r"""
import sys
from agent import Agent
from agent.store import ConversationStore
store = ConversationStore(sys.argv[1])
agent = Agent(store=store, session_id="durable", llm=None)
for i in range(1000):
    agent.respond(f"Message number {i}: I feel a bit sad today.")
    print(i, flush=True)
"""


def test_kill_9_mid_conversation_loses_no_answered_turn(tmp_path):
    db = tmp_path / "durable.db"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db)], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "ATTUNE_PLANNER__LLM_REWRITE": "false"})
    answered = -1
    deadline = time.time() + 240
    while answered < 5 and time.time() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        answered = int(line.split()[0])
    os.kill(child.pid, signal.SIGKILL)  # mid-turn: the next turn is already being computed
    child.wait()
    assert answered >= 5
    turns = ConversationStore(db).turns("durable")
    # every turn that was answered (printed after its commit) is there, intact and in order
    assert len(turns) >= answered + 1
    assert [t.index for t in turns] == list(range(len(turns)))
    assert turns[answered].user_text.startswith(f"Message number {answered}:")
