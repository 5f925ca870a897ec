"""A spoken turn end to end: the agent's reply, sentence by sentence, as emotional speech and talking-face video.

    voice = Voice(agent)                       # one per conversation (the avatar owns its animation clock)
    spoken = voice.speak("I lost my job.")     # or audio=..., image=...
    for segment in spoken:                     # the first one is ready while later sentences are still written
        play(segment.video_path or segment.audio_path)
    spoken.turn, spoken.media                  # the TurnResult and where the whole reply's audio/video/timeline are

Sentences flow agent → TTS (a producer thread, bounded queue) → avatar renderer → MP4 segment, so speech and
face follow the agent emotion of the plan. Each segment is a self-contained MP4 (H.264 + AAC).
"""
from __future__ import annotations

import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from pydantic import BaseModel, Field

from .audio import write_wav
from .pipeline import Agent, AudioInput, ImageInput, VideoInput
from .types import TurnResult

_tts_cache: dict[tuple, object] = {}
_tts_lock = threading.Lock()


def shared_tts(settings, voice):
    """TTS backends are heavy (Piper loads an ONNX voice): one per voice per process."""
    from .speech.tts import load_tts, resolve_voice

    voice = resolve_voice(settings, voice)
    key = (voice.model_dump_json(), str(settings.speech.model_dump_json()))
    with _tts_lock:
        if key not in _tts_cache:
            tts = load_tts(settings, voice)
            tts.setup()
            _tts_cache[key] = tts
        return _tts_cache[key]


class SpokenMedia(BaseModel):
    audio_path: str | None = None
    video_path: str | None = None
    timeline_path: str | None = None
    segments: list[dict] = Field(default_factory=list)
    duration_s: float = 0.0
    timings_ms: dict[str, float] = Field(default_factory=dict)


@dataclass
class SpokenSegment:
    index: int
    text: str
    audio_path: Path
    video_path: Path | None
    duration: float
    emotion: str
    ready_ms: float  # since the turn began


@dataclass
class SpokenTurn:
    """Iterate for segments; ``turn`` and ``media`` are set after the last."""

    _segments: Iterator[SpokenSegment]
    turn: TurnResult | None = None
    media: SpokenMedia = field(default_factory=SpokenMedia)
    chunks: list = field(default_factory=list)  # the SpeechChunks, with their phoneme timelines

    def __iter__(self) -> Iterator[SpokenSegment]:
        return self._segments

    def result(self) -> "SpokenTurn":
        for _ in self:
            pass
        return self


class Voice:
    def __init__(self, agent: Agent, *, video: bool = True, out_dir: str | Path | None = None):
        self.agent = agent
        self.video = video
        self.out_dir = Path(out_dir or Path(tempfile.gettempdir()) / "attune-media")
        self.tts = shared_tts(agent.settings, None)  # None: the avatar profile's [voice]
        self._renderer = None

    @property
    def renderer(self):
        if self._renderer is None:
            from .avatar.renderer import AvatarRenderer

            self._renderer = AvatarRenderer(self.agent.settings.avatar, avatars_dir=self.agent.settings.avatars_dir,
                                            seed=None)
        return self._renderer

    def speak(self, text: str | bytes | None = None, *, audio: AudioInput | None = None,
              image: ImageInput | None = None, video: VideoInput | None = None) -> SpokenTurn:
        spoken = SpokenTurn(iter(()))
        spoken._segments = self._run(spoken, text, audio, image, video)
        return spoken

    def _run(self, spoken: SpokenTurn, text, audio, image, video) -> Iterator[SpokenSegment]:
        from .avatar.renderer import write_timeline
        from .speech.stream import ReplySpeaker
        from .speech.tts import concatenate

        t0 = time.perf_counter()
        turn_dir = self.out_dir / uuid.uuid4().hex[:12]
        turn_dir.mkdir(parents=True, exist_ok=True)
        stream = self.agent.stream(text, audio=audio, image=image, video=video)
        speaker = ReplySpeaker(stream, self.tts, self.agent.settings.speech.tts_queue_size).start()
        chunks, timelines = spoken.chunks, []
        try:
            for chunk in speaker:
                i = len(chunks)
                wav = write_wav(turn_dir / f"sentence-{i:02d}.wav", chunk.audio, chunk.sample_rate)
                mp4 = None
                if self.video:
                    rendered = self.renderer.render_chunk(chunk, turn_dir / f"sentence-{i:02d}.mp4")
                    mp4 = rendered.path
                    timelines.append(rendered.timeline)
                chunks.append(chunk)
                ready = round((time.perf_counter() - t0) * 1000, 1)
                spoken.media.timings_ms.setdefault("first_segment", ready)
                spoken.media.segments.append({"index": i, "text": chunk.text, "audio": str(wav),
                                              "video": str(mp4) if mp4 else None, "duration_s": round(chunk.duration, 3)})
                yield SpokenSegment(i, chunk.text, wav, mp4, chunk.duration, chunk.emotion, ready)
        finally:
            speaker.cancel() if not speaker.done else None
        spoken.turn = speaker.turn or stream.turn
        if chunks:
            audio_all, rate, _ = concatenate(chunks)
            spoken.media.audio_path = str(write_wav(turn_dir / "reply.wav", audio_all, rate))
            spoken.media.duration_s = round(len(audio_all) / rate, 3)
            if timelines:
                spoken.media.timeline_path = str(write_timeline(turn_dir / "timeline.json", timelines, self.renderer))
        spoken.media.timings_ms.update({k: v for k, v in speaker.timings_ms.items()})
        spoken.media.timings_ms["total"] = round((time.perf_counter() - t0) * 1000, 1)

    def render_whole(self, spoken: SpokenTurn, out_path: str | Path) -> Path:
        """One MP4 of the whole reply (downloads, `attune reply --video`), lip-synced from the same timelines."""
        from .avatar.renderer import AvatarRenderer

        renderer = AvatarRenderer(self.agent.settings.avatar, avatars_dir=self.agent.settings.avatars_dir)
        return renderer.render_turn(spoken.chunks, out_path).path
