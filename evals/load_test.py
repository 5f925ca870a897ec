"""Load test on loopback: N concurrent sessions × T turns against a real `attune serve` process.

Checks zero errors and no cross-talk (every reply and every stored turn belongs to its own session) and reports
p50/p95 latency and the server's peak memory. Bounded in count and time; only 127.0.0.1 is contacted.
Reproduce: ``attune bench load --sessions 20 --turns 10 --json``.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

TOPICS = ["my job", "my exams", "my sister", "my rent", "my health", "my move", "my team", "my dog", "my marriage", "my band"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def run_load_test(sessions: int = 20, turns: int = 10, time_limit_s: float = 1800, env: dict | None = None) -> dict:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        server_env = {**os.environ, **(env or {}), "ATTUNE_STORE_PATH": str(Path(tmp) / "load.db")}
        server = subprocess.Popen([sys.executable, "-m", "agent.cli", "serve", "--port", str(port)],
                                  env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.time() + 180
            while time.time() < deadline:
                try:
                    if httpx.get(base + "/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            else:
                raise RuntimeError("attune serve did not start: " + server.stderr.read(2000).decode(errors="replace"))
            stop_at = time.time() + time_limit_s
            latencies: list[float] = []
            errors: list[str] = []
            crosstalk: list[str] = []

            def conversation(i: int) -> None:
                session = f"load-{i:03d}"
                marker = f"session{i:03d}"
                with httpx.Client(base_url=base, timeout=120) as client:
                    for t in range(turns):
                        if time.time() > stop_at:
                            errors.append(f"{session}: time limit reached")
                            return
                        text = f"I keep worrying about {TOPICS[(i + t) % len(TOPICS)]} ({marker} turn {t})."
                        start = time.perf_counter()
                        try:
                            r = client.post("/v1/chat/completions", json={
                                "messages": [{"role": "user", "content": text}], "user": session})
                            r.raise_for_status()
                            body = r.json()
                        except (httpx.HTTPError, ValueError) as error:
                            errors.append(f"{session} turn {t}: {error}")
                            continue
                        latencies.append((time.perf_counter() - start) * 1000)
                        if body["attune"]["session_id"] != session or body["attune"]["index"] != t:
                            crosstalk.append(f"{session} turn {t} answered as {body['attune']['session_id']}#{body['attune']['index']}")
                    stored = client.get(f"/v1/sessions/{session}").json()["turns"]
                    if [marker in turn["user_text"] for turn in stored] != [True] * turns:
                        crosstalk.append(f"{session}: stored turns do not all belong to it")

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=sessions) as pool:
                list(pool.map(conversation, range(sessions)))
            wall = time.perf_counter() - started
            peak = _peak_rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {
        "sessions": sessions, "turns_per_session": turns, "requests": sessions * turns, "completed": len(latencies),
        "errors": len(errors), "error_samples": errors[:5], "crosstalk": len(crosstalk), "crosstalk_samples": crosstalk[:5],
        "latency_ms": {"p50": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
                       "p95": round(float(np.percentile(latencies, 95)), 1) if latencies else None},
        "throughput_turns_per_s": round(len(latencies) / wall, 2), "wall_s": round(wall, 1),
        "server_peak_rss_mb": peak,
    }
