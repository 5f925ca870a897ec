"""Voice conversation: audio frames in, turn-taking by VAD, the reply streamed back sentence by sentence.

    conv = VoiceConversation(agent, load_asr(settings), load_tts(settings), settings)
    for frame in microphone():                   # any size, float32 [-1, 1] or int16, mono or stereo
        for event in conv.feed(frame):
            if isinstance(event, ReplyAudio):      play(event.chunk)        # queue it on the speaker
            elif isinstance(event, PlaybackStopped): stop_playing()         # the user barged in
    conv.poll(timeout)                           # worker events without new audio (e.g. after the input ended)

Turn-taking (the top complaint of voice-agent users, DESIGN.md):
- the user's turn ends after ``end_of_turn_ms`` (700) of silence following at least ``min_speech_ms`` of speech;
- the reply (speech recognition → Agent.stream → TTS) runs in a worker thread; the first sentence's audio is
  out while the agent is still writing the rest (ReplySpeaker, a bounded queue);
- while the agent is replying (thinking or speaking), user speech longer than ``backchannel_max_ms`` stops the
  reply (barge-in) and becomes the user's next turn; shorter speech ("mhm", "yeah") is a Backchannel and the
  reply goes on;
- speech recognition starts early, after ``asr_early_ms`` of silence, and is reused at end of turn when the user
  did not go on talking (saves most of the recognition time from the reply latency).
Time is the audio clock: seconds of audio fed. Reply audio counts as playing from when its event is emitted
until its duration has passed on that clock.
"""
from __future__ import annotations

import collections
import queue
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .stream import ReplySpeaker
from .types import SpeechChunk, Transcript
from .vad import FRAME, RATE, make_vad

HYSTERESIS = 0.15          # speech continues until the probability drops this far below the threshold
ASR_EARLY_MS = 250         # start recognising after this much silence (reused if the user does not go on)


# -- events -----------------------------------------------------------------------------------------------
@dataclass
class SpeechStarted:
    at: float                    # audio-clock seconds
    during_reply: bool = False


@dataclass
class Backchannel:
    """Short user speech during the reply ('mhm', 'yeah'): the reply goes on."""
    at: float
    duration: float


@dataclass
class EndOfTurn:
    transcript: Transcript
    at: float                    # audio-clock time the end of turn was detected
    speech_end: float            # audio-clock time the user's speech ended
    asr_ms: float                # recognition time left after the end of turn (0 when the early pass was reused)


@dataclass
class NoSpeech:
    """The turn held no words (noise, a cough): nothing is said back."""
    transcript: Transcript


@dataclass
class ReplyAudio:
    chunk: SpeechChunk
    since_end_of_turn_ms: float  # wall time from end-of-turn detection to this audio being ready


@dataclass
class ReplyDone:
    turn: Any                    # the agent's TurnResult
    timings_ms: dict = field(default_factory=dict)


@dataclass
class PlaybackStopped:
    barge_in: bool
    at: float
    played_s: float = 0.0        # reply audio that had been played when it stopped


@dataclass
class PlaybackFinished:
    at: float


@dataclass
class ConversationError:
    message: str


Event = (SpeechStarted | Backchannel | EndOfTurn | NoSpeech | ReplyAudio | ReplyDone | PlaybackStopped
         | PlaybackFinished | ConversationError)


@dataclass
class _Segment:
    frames: list
    start: float
    during_reply: bool
    last_speech: float = 0.0
    voiced: int = 0
    silence: int = 0
    early: Future | None = None


class _Job:
    def __init__(self, speaker: ReplySpeaker, t_eot: float):
        self.speaker, self.t_eot = speaker, t_eot
        self.control: queue.Queue = queue.Queue()
        self.first_audio_ms: float | None = None


class VoiceConversation:
    def __init__(self, agent, asr, tts, settings=None, *, vad=None):
        self.agent, self.asr, self.tts = agent, asr, tts
        settings = settings or agent.settings
        self.speech = settings.speech
        self.vad = vad or make_vad(self.speech)
        self.clock = 0.0
        self._pending = np.zeros(0, dtype=np.float32)
        self._preroll: collections.deque = collections.deque(maxlen=max(1, int(self.speech.pre_roll_ms / 32)))
        self._segment: _Segment | None = None
        self._in_speech = False
        self._job: _Job | None = None
        self._play_until = 0.0
        self._play_started = 0.0
        self._asr_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="attune-asr")
        self._resampler = None
        self._input_rate = RATE
        self._lock = threading.RLock()
        self._held: list | None = None      # a backchannel's audio and what followed, kept briefly: if a barge-in
        self._held_end = 0.0                # follows at once ("Wait, … no, listen"), its words belong to the turn

    # -- public -------------------------------------------------------------------------------------------
    @property
    def state(self) -> str:
        if self._segment is not None and not self._segment.during_reply:
            return "user_speaking"
        if self.replying:
            return "replying"
        return "listening"

    @property
    def replying(self) -> bool:
        """The agent holds the turn: recognising, thinking, or its audio still playing."""
        return self._job is not None or self.clock < self._play_until

    def feed(self, frame: np.ndarray, rate: int = RATE) -> list:
        """Process a piece of the user's audio (any length); returns the events it caused, in order."""
        samples = self._to_mono_float(frame)
        if rate != RATE:
            samples = self._resample(samples, rate)
        events: list = []
        with self._lock:
            self._pending = np.concatenate([self._pending, samples])
            n = len(self._pending) // FRAME
            for k in range(n):
                self._step(self._pending[k * FRAME:(k + 1) * FRAME], events)
                events += self._drain()
            self._pending = self._pending[n * FRAME:]
            events += self._drain()
        return events

    def poll(self, timeout: float = 0.0) -> list:
        """Events from the reply worker without new audio; waits up to ``timeout`` s for at least one."""
        deadline = time.perf_counter() + timeout
        while True:
            with self._lock:
                events = self._drain()
            if events or time.perf_counter() >= deadline or self._job is None:
                return events
            time.sleep(0.01)

    def wait_reply(self, timeout: float = 60.0) -> list:
        """Block until the current reply is fully produced (for files, tests, benchmarks); all its events."""
        events, deadline = [], time.perf_counter() + timeout
        while self._job is not None and time.perf_counter() < deadline:
            events += self.poll(0.05)
        return events

    def warm_up(self) -> "VoiceConversation":
        """Load and run each model once (the first ONNX/CTranslate2 call is several times slower than later ones)."""
        self.asr.setup()
        self.tts.setup()
        chunk = next(iter(self.tts.synthesize("Hello there.", "neutral", 0.5)), None)
        if chunk is not None:
            import soxr

            self.asr.transcribe(soxr.resample(chunk.audio, chunk.sample_rate, RATE).astype(np.float32), RATE)
        return self

    def playback_done(self) -> list:
        """The client's player finished the reply audio (earlier than the audio clock says, e.g. a file fed
        faster than real time): the agent no longer holds the turn once the reply is complete."""
        with self._lock:
            if self._play_until > self.clock:
                self._play_until = self.clock
            return self._drain()

    def interrupt(self) -> list:
        """Stop the reply now (e.g. a stop button)."""
        with self._lock:
            return self._stop_reply(barge_in=False)

    def close(self) -> None:
        with self._lock:
            if self._job is not None:
                self._job.speaker.cancel()
                self._job = None
        self._asr_pool.shutdown(wait=False, cancel_futures=True)

    # -- input --------------------------------------------------------------------------------------------
    @staticmethod
    def _to_mono_float(frame: np.ndarray) -> np.ndarray:
        x = np.asarray(frame)
        if x.dtype == np.int16:
            x = x.astype(np.float32) / 32768.0
        elif x.dtype.kind in "iu":
            x = x.astype(np.float32) / float(np.iinfo(x.dtype).max)
        x = x.astype(np.float32)
        if x.ndim == 2:
            x = x.mean(axis=1 if x.shape[0] >= x.shape[1] else 0)
        return np.nan_to_num(x.reshape(-1), nan=0.0, posinf=0.0, neginf=0.0)

    def _resample(self, samples: np.ndarray, rate: int) -> np.ndarray:
        import soxr

        if self._resampler is None or self._input_rate != rate:
            self._resampler = soxr.ResampleStream(rate, RATE, 1, dtype="float32")
            self._input_rate = rate
        return self._resampler.resample_chunk(samples)

    # -- one 32 ms frame ----------------------------------------------------------------------------------
    def _step(self, frame: np.ndarray, events: list) -> None:
        s = self.speech
        p = self.vad(frame)
        self._in_speech = p >= (s.vad_threshold - HYSTERESIS if self._in_speech else s.vad_threshold)
        self.clock += FRAME / RATE
        seg = self._segment
        if seg is None:
            self._preroll.append(frame)
            if self._held is not None:
                self._held.append(frame)
                if self.clock - self._held_end > 0.5:
                    self._held = None
            if self._in_speech:
                start = self.clock - FRAME / RATE
                frames = self._held if self._held is not None and self.replying else list(self._preroll)
                seg = self._segment = _Segment(frames, start, self.replying, last_speech=self.clock, voiced=1)
                self._preroll.clear()
                self._held = None
                events.append(SpeechStarted(at=round(start, 3), during_reply=seg.during_reply))
            return
        seg.frames.append(frame)
        if self._in_speech:
            seg.voiced += 1
            seg.silence = 0
            seg.last_speech = self.clock
            if seg.early is not None:   # they went on talking: the early recognition is stale
                seg.early.cancel()
                seg.early = None
        else:
            seg.silence += 1
        silence_ms = seg.silence * FRAME / RATE * 1000
        extent_ms = (seg.last_speech - seg.start) * 1000
        if seg.during_reply:
            if not self.replying:
                seg.during_reply = False        # the reply ended while they spoke: an ordinary turn
            elif extent_ms > s.backchannel_max_ms:
                events += self._stop_reply(barge_in=True)
                seg.during_reply = False
            elif silence_ms >= min(300, s.end_of_turn_ms):
                events.append(Backchannel(at=round(seg.start, 3), duration=round(extent_ms / 1000, 3)))
                self._segment = None
                self._held, self._held_end = seg.frames, self.clock
            return
        voiced_ms = seg.voiced * FRAME / RATE * 1000
        if seg.early is None and silence_ms >= min(ASR_EARLY_MS, s.end_of_turn_ms) and voiced_ms >= s.min_speech_ms:
            seg.early = self._asr_pool.submit(self._recognise, np.concatenate(seg.frames))
        if silence_ms >= s.end_of_turn_ms:
            self._segment = None
            if voiced_ms >= s.min_speech_ms:
                self._start_reply(seg)
            elif seg.early is not None:
                seg.early.cancel()

    # -- the agent's turn ---------------------------------------------------------------------------------
    def _recognise(self, audio: np.ndarray) -> tuple[Transcript, float]:
        t = time.perf_counter()
        transcript = self.asr.transcribe(audio, RATE)
        return transcript, (time.perf_counter() - t) * 1000

    def _start_reply(self, seg: _Segment) -> None:
        t_eot = time.perf_counter()
        at, speech_end = self.clock, seg.last_speech
        audio = np.concatenate(seg.frames)
        early = seg.early
        holder: dict = {}

        def recognise_then_stream():
            job = holder["job"]
            if early is not None:
                transcript, compute_ms = early.result()
            else:
                transcript, compute_ms = self._recognise(audio)
            job.speaker.timings_ms["asr_compute"] = round(compute_ms, 1)
            asr_ms = (time.perf_counter() - t_eot) * 1000  # what recognition still cost after the end of turn
            job.speaker.timings_ms["asr"] = round(asr_ms, 1)
            job.control.put(EndOfTurn(transcript=transcript, at=round(at, 3), speech_end=round(speech_end, 3),
                                      asr_ms=round(asr_ms, 1)))
            if not transcript.text.strip():
                job.control.put(NoSpeech(transcript=transcript))
                return None
            return self.agent.stream(transcript.text)

        speaker = ReplySpeaker(None, self.tts, self.speech.tts_queue_size, text_source=recognise_then_stream)
        job = _Job(speaker, t_eot)
        holder["job"] = job
        self._job = job
        speaker.start()

    def _drain(self) -> list:
        job, events = self._job, []
        if job is not None:
            while True:
                try:
                    events.append(job.control.get_nowait())
                except queue.Empty:
                    break
            while self._job is job:
                try:
                    chunk = job.speaker.get(timeout=0)
                except queue.Empty:
                    break
                except Exception as error:  # noqa: BLE001 — the worker failed: say so, keep listening
                    events.append(ConversationError(f"{type(error).__name__}: {error}"))
                    self._job = None
                    break
                if chunk is None:
                    while True:  # late control events (NoSpeech) come before the end
                        try:
                            events.append(job.control.get_nowait())
                        except queue.Empty:
                            break
                    events.append(ReplyDone(turn=job.speaker.turn, timings_ms=dict(job.speaker.timings_ms)))
                    self._job = None
                    break
                ms = (time.perf_counter() - job.t_eot) * 1000
                if job.first_audio_ms is None:
                    job.first_audio_ms = ms
                    job.speaker.timings_ms["end_of_turn_to_first_audio"] = round(ms, 1)
                    self._play_started = max(self.clock, self._play_until)
                self._play_until = max(self.clock, self._play_until) + chunk.duration
                events.append(ReplyAudio(chunk=chunk, since_end_of_turn_ms=round(ms, 1)))
        if self._job is None and self._play_until > 0 and self.clock >= self._play_until:
            events.append(PlaybackFinished(at=round(self._play_until, 3)))
            self._play_until = 0.0
        return events

    def _stop_reply(self, barge_in: bool) -> list:
        if not self.replying:
            return []
        played = max(0.0, min(self.clock, self._play_until) - self._play_started) if self._play_until else 0.0
        if self._job is not None:
            self._job.speaker.cancel()
            self._job = None
        self._play_until = 0.0
        return [PlaybackStopped(barge_in=barge_in, at=round(self.clock, 3), played_s=round(played, 3))]
