"""Click-to-first-audio in the browser: the demo in Debian's chromium, N typed turns, the time from clicking Send
to the avatar's video playing (its audio starts with it). Saves screenshots.

Reproduce: ``attune bench ui --turns 5 --screenshots docs/screenshots --json`` (needs /usr/bin/chromium).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from .latency import MESSAGES

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--autoplay-policy=no-user-gesture-required"]


def bench_ui(turns: int = 5, screenshots: str | Path | None = None, chromium: str = "/usr/bin/chromium") -> dict:
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ATTUNE_UI_PORT": str(port), "ATTUNE_STORE_PATH": str(Path(tmp) / "ui.db")}
        app = subprocess.Popen([sys.executable, str(ROOT / "app.py")], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.time() + 300
            while True:
                try:
                    if httpx.get(url, timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.time() > deadline or app.poll() is not None:
                    raise RuntimeError("the demo did not start")
                time.sleep(1)
            click_to_audio, click_to_text = [], []
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 1300})
                page.goto(url)
                page.wait_for_selector("#avatar video", state="attached", timeout=60_000)
                # note when each segment starts playing, in page time (audio plays with the video)
                # (captured at the document: a re-render may replace the video element)
                page.evaluate("""() => { window.__plays = [];
                    document.addEventListener('playing', (e) => { if (e.target.closest && e.target.closest('#avatar'))
                        window.__plays.push({src: e.target.currentSrc, t: performance.now()}); }, true); }""")
                for i in range(turns):
                    done_before = page.evaluate("() => document.querySelector('#timings').innerText")
                    page.locator("#message textarea").fill(MESSAGES[i % len(MESSAGES)])
                    clicked = page.evaluate("() => performance.now()")
                    page.locator("#send").click()
                    # the reply's first words: the chat's last message is a non-empty answer to message i + 1
                    page.wait_for_function(
                        """(n) => { const m = document.querySelectorAll('#chat .message-row');
                                    const last = m[m.length - 1];
                                    return m.length >= 2 * n && last && last.classList.contains('bot-row')
                                           && last.innerText.trim().length > 0; }""",
                        arg=i + 1, timeout=180_000)
                    click_to_text.append(page.evaluate("() => performance.now()") - clicked)
                    started = page.wait_for_function(
                        """(t0) => { const p = window.__plays.find(p => p.t > t0 && p.src.includes('sentence-00.mp4'));
                                     return p ? p.t : null; }""",
                        arg=clicked, timeout=180_000).json_value()
                    click_to_audio.append(started - clicked)
                    # the turn is over when its timings replace the last ones
                    page.wait_for_function("(before) => document.querySelector('#timings').innerText !== before",
                                           arg=done_before, timeout=180_000)
                    if screenshots and i in (0, turns - 1):
                        Path(screenshots).mkdir(parents=True, exist_ok=True)
                        time.sleep(1.0)
                        page.screenshot(path=str(Path(screenshots) / f"demo-turn-{i + 1}.png"))  # not full_page: resizing re-renders
                if screenshots:
                    page.get_by_role("tab", name="Emotion chart").click()
                    time.sleep(1.0)
                    page.screenshot(path=str(Path(screenshots) / "demo-emotion-chart.png"))
                browser.close()
        finally:
            app.terminate()
            app.wait(timeout=30)
    pct = lambda v, q: round(float(np.percentile(v, q)), 1)  # noqa: E731
    return {"turns": turns,
            "click_to_first_audio_ms": {"p50": pct(click_to_audio, 50), "p95": pct(click_to_audio, 95),
                                        "all": [round(x, 1) for x in click_to_audio]},
            "click_to_first_text_ms": {"p50": pct(click_to_text, 50), "p95": pct(click_to_text, 95)},
            "screenshots": str(screenshots) if screenshots else None}
