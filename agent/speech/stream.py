"""Sentence streaming: Agent.stream(text) → TTS → SpeechChunks, produced ahead by a thread into a bounded queue.

The first sentence is synthesised (and can be played) while the agent is still writing the rest. ``cancel()``
(barge-in) stops the producer between sentences and between chunks and closes the agent's turn generator.

    speaker = ReplySpeaker(agent.stream(text), tts, queue_size=2).start()
    for chunk in speaker:            # SpeechChunks, sentence by sentence
        play(chunk)
    speaker.turn                     # the TurnResult (None when cancelled)
"""
from __future__ import annotations

import queue
import threading
import time
from typing import Callable, Iterator

from .types import SpeechChunk

_DONE = object()


class ReplySpeaker:
    def __init__(self, turn_stream, tts, queue_size: int = 2, *, text_source: Callable[[], object] | None = None):
        """``turn_stream``: an agent TurnStream (or any iterable of objects with .index/.text and a .plan/.turn);
        ``text_source``: optional callable run first in the producer thread that returns that stream (used to
        do the speech recognition off the caller's thread)."""
        self._stream = turn_stream
        self._text_source = text_source
        self.tts = tts
        self.queue: queue.Queue = queue.Queue(maxsize=max(1, queue_size))
        self.cancelled = threading.Event()
        self.error: BaseException | None = None
        self.turn = None
        self.timings_ms: dict[str, float] = {}
        self._thread: threading.Thread | None = None
        self._t0 = time.perf_counter()

    # -- producer -----------------------------------------------------------------------------------------
    def start(self) -> "ReplySpeaker":
        self._t0 = time.perf_counter()
        self._thread = threading.Thread(target=self._produce, name="attune-reply-tts", daemon=True)
        self._thread.start()
        return self

    def _put(self, item) -> bool:
        while not self.cancelled.is_set():
            try:
                self.queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _lap(self, name: str) -> None:
        self.timings_ms.setdefault(name, round((time.perf_counter() - self._t0) * 1000, 1))

    def _produce(self) -> None:
        sentences = None
        try:
            if self._text_source is not None:
                self._stream = self._text_source()
                if self._stream is None or self.cancelled.is_set():
                    return
            sentences = iter(self._stream)
            for sentence in sentences:
                if self.cancelled.is_set():
                    break
                self._lap("first_sentence")
                plan = getattr(self._stream, "plan", None)
                emotion = plan.agent_emotion.label if plan is not None else "neutral"
                intensity = plan.agent_emotion.intensity if plan is not None else 0.5
                t = time.perf_counter()
                for chunk in self.tts.synthesize(sentence.text, emotion, intensity, index_offset=sentence.index):
                    if "tts_first" not in self.timings_ms:
                        self.timings_ms["tts_first"] = round((time.perf_counter() - t) * 1000, 1)
                    self._lap("first_audio")
                    if not self._put(chunk):
                        break
                if self.cancelled.is_set():
                    break
            if not self.cancelled.is_set():
                self.turn = getattr(self._stream, "turn", None)
        except BaseException as error:  # noqa: BLE001 — handed to the consumer, never lost in the thread
            self.error = error
        finally:
            if sentences is not None and hasattr(sentences, "close"):
                sentences.close()  # releases the agent's turn lock when cancelled mid-reply
            self._lap("done")
            if not self.cancelled.is_set():
                self._put(_DONE)

    # -- consumer -----------------------------------------------------------------------------------------
    def get(self, timeout: float | None = None) -> SpeechChunk | None:
        """The next chunk; None when the reply is finished (or cancelled). Raises queue.Empty on timeout."""
        deadline = None if timeout is None else time.perf_counter() + timeout
        while True:
            if self.cancelled.is_set():
                return None
            wait = 0.1 if deadline is None else min(0.1, max(0.0, deadline - time.perf_counter()))
            try:
                item = self.queue.get(timeout=wait) if wait > 0 else self.queue.get_nowait()
                break
            except queue.Empty:
                if deadline is not None and time.perf_counter() >= deadline:
                    raise
        if item is _DONE:
            self.queue.put(_DONE)  # stay finished for later calls
            if self.error is not None:
                raise self.error
            return None
        return item

    def __iter__(self) -> Iterator[SpeechChunk]:
        if self._thread is None:
            self.start()
        while True:
            chunk = self.get()
            if chunk is None:
                return
            yield chunk

    @property
    def done(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    def cancel(self) -> None:
        """Stop producing (barge-in); chunks already queued are dropped."""
        self.cancelled.set()
        while True:
            try:
                self.queue.get_nowait()
            except queue.Empty:
                break

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
