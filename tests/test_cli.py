"""The console script, as a user runs it."""
import json
import subprocess
import sys


def run(*args: str, stdin: bytes | None = None):
    return subprocess.run([sys.executable, "-m", "agent.cli", *args], input=stdin, capture_output=True, timeout=300)


def test_reply_json_has_the_documented_fields():
    out = run("reply", "I lost my job today and I feel like a failure.", "--json")
    assert out.returncode == 0, out.stderr.decode()
    turn = json.loads(out.stdout)
    fused = turn["perception"]["fused"]
    assert {"label", "vad", "confidence"} <= fused.keys() and set(fused["vad"]) == {"valence", "arousal", "dominance"}
    assert {"emotion", "event_scenario", "emotion_cause", "goal", "stage", "strategy"} <= turn["plan"].keys()
    assert turn["reply"]["text"] and turn["timings_ms"]["total"] > 0
    assert b"Traceback" not in out.stderr


def test_errors_are_one_clear_line():
    out = run("reply", "   ", "--json")
    assert out.returncode == 2
    assert json.loads(out.stdout) == {"error": "the message is empty: type something you'd like to talk about", "kind": "input"}
    out = run("reply", "hello", "--config", "/nonexistent.toml")
    assert out.returncode == 2 and b"config file not found" in out.stderr and b"Traceback" not in out.stderr
