"""The talking avatar: SpeechChunks in, frames / MP4 segments / one MP4 per turn out, plus the face timeline.

Streaming: ``render_chunk`` turns one sentence into its own short MP4 (or frames) as soon as it arrives, so the
first frames exist while later sentences are still being synthesised; ``render_turn`` pipes every chunk into one
ffmpeg process as the chunks arrive and muxes the audio at the end. Both share one Animator clock, so blinks, gaze
and head motion continue smoothly across sentences and the video never drifts from the audio (cumulative rounding).
"""
from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from ..audio import write_wav
from .animator import TIMELINE_FORMAT, Animator, FaceTimeline
from .data import AvatarError
from .face import FacePainter
from .profile import Avatar, FaceLook, load_look
from .video import FrameWriter, mux_audio

OUTPUT_RATE = 48000  # the audio of a turn is brought to one rate before muxing


@dataclass
class ChunkRender:
    timeline: FaceTimeline
    path: Path | None = None  # the MP4 segment, when one was asked for
    frames: list[np.ndarray] | None = None  # the frames, when no path was given
    first_frame_ms: float = 0.0
    render_ms: float = 0.0


@dataclass
class TurnRender:
    path: Path
    timelines: list[FaceTimeline] = field(default_factory=list)
    duration: float = 0.0
    frames: int = 0
    first_frame_ms: float = 0.0
    render_ms: float = 0.0
    timeline_path: Path | None = None


def _resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target or audio.size == 0:
        return audio.astype(np.float32)
    n = int(round(len(audio) * target / rate))
    x = np.linspace(0, len(audio) - 1, n)
    return np.interp(x, np.arange(len(audio)), audio).astype(np.float32)


class AvatarRenderer:
    """Draws one avatar. Not thread-safe: one renderer per conversation (it owns the animation clock)."""

    def __init__(self, avatar: Avatar | FaceLook | str = "sage", *, avatars_dir: str | Path | None = None,
                 size: int = 512, fps: int = 25, seed: int | None = 0, preset: str = "ultrafast", crf: int = 23):
        if isinstance(avatar, str):
            from ..config import REPO_ROOT

            avatar = load_look(Path(avatars_dir or REPO_ROOT / "avatars"), avatar)
        self.avatar = avatar if isinstance(avatar, Avatar) else None
        self.look = avatar.face if isinstance(avatar, Avatar) else avatar
        if size < 64 or size > 2048:
            raise AvatarError(f"size must be in [64, 2048], got {size}")
        self.size, self.fps, self.preset, self.crf = int(size), int(fps), preset, int(crf)
        self.painter = FacePainter(self.look, self.size)
        self.animator = Animator(fps=self.fps, seed=seed)

    # -- timelines and frames -----------------------------------------------------------------------------------
    def reset(self, seed: int | None = 0) -> None:
        self.animator = Animator(fps=self.fps, seed=seed)

    def timeline(self, chunk) -> FaceTimeline:
        """The face timeline for one SpeechChunk (advances the conversation clock)."""
        return self.animator.speak(chunk)

    def listen_timeline(self, duration: float, user_emotion: str = "neutral") -> FaceTimeline:
        return self.animator.listen(duration, user_emotion)

    def frames(self, timeline: FaceTimeline) -> Iterator[np.ndarray]:
        """RGBA frames (size × size × 4, uint8). Each is the painter's buffer: copy it to keep it."""
        keys = list(timeline.tracks)
        columns = [timeline.tracks[k] for k in keys]
        for i in range(timeline.n_frames):
            yield self.painter.render({k: float(col[i]) for k, col in zip(keys, columns)})

    # -- streaming: one chunk at a time ----------------------------------------------------------------------------
    def render_chunk(self, chunk, out_path: str | Path | None = None) -> ChunkRender:
        """One sentence → an MP4 segment at ``out_path`` (with its audio), or its frames when no path is given."""
        t0 = time.perf_counter()
        timeline = self.timeline(chunk)
        return self._render(timeline, np.asarray(chunk.audio, dtype=np.float32), chunk.sample_rate, out_path, t0)

    def render_listening(self, duration: float, user_emotion: str = "neutral",
                         out_path: str | Path | None = None) -> ChunkRender:
        """A calm listening idle between turns (silent audio track in a segment)."""
        t0 = time.perf_counter()
        timeline = self.listen_timeline(duration, user_emotion)
        silence = np.zeros(int(round(timeline.duration * OUTPUT_RATE)), dtype=np.float32)
        return self._render(timeline, silence, OUTPUT_RATE, out_path, t0)

    def _render(self, timeline, audio, rate, out_path, t0) -> ChunkRender:
        result = ChunkRender(timeline=timeline)
        if out_path is None:
            result.frames = []
            for frame in self.frames(timeline):
                if not result.frames:
                    result.first_frame_ms = (time.perf_counter() - t0) * 1000
                result.frames.append(frame.copy())
        else:
            with tempfile.TemporaryDirectory(prefix="attune-seg-") as tmp:
                wav = write_wav(Path(tmp) / "audio.wav", audio, rate)
                with FrameWriter(out_path, self.size, self.fps, wav, self.preset, self.crf) as writer:
                    for frame in self.frames(timeline):
                        if writer.frames == 0:
                            result.first_frame_ms = (time.perf_counter() - t0) * 1000
                        writer.write(frame)
            result.path = Path(out_path)
        result.render_ms = (time.perf_counter() - t0) * 1000
        return result

    # -- a whole turn into one MP4 ----------------------------------------------------------------------------------
    def render_turn(self, chunks: Iterable, out_path: str | Path, *, listen_before: float = 0.0,
                    listen_after: float = 0.0, user_emotion: str = "neutral", timeline_path: str | Path | None = None,
                    on_chunk: Callable[[FaceTimeline], None] | None = None) -> TurnRender:
        """Chunks (a list or a live TTS iterator) → one MP4; optional listening idle before/after the speech."""
        t0 = time.perf_counter()
        out_path = Path(out_path)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        result = TurnRender(path=out_path)
        audio_parts: list[np.ndarray] = []
        with tempfile.TemporaryDirectory(prefix="attune-turn-") as tmp:
            video_only = Path(tmp) / "video.mp4"
            with FrameWriter(video_only, self.size, self.fps, None, self.preset, self.crf) as writer:
                def emit(timeline: FaceTimeline, audio: np.ndarray) -> None:
                    for frame in self.frames(timeline):
                        if writer.frames == 0:
                            result.first_frame_ms = (time.perf_counter() - t0) * 1000
                        writer.write(frame)
                    audio_parts.append(audio)
                    result.timelines.append(timeline)
                    if on_chunk is not None:
                        on_chunk(timeline)

                if listen_before > 0:
                    tl = self.listen_timeline(listen_before, user_emotion)
                    emit(tl, np.zeros(int(round(tl.duration * OUTPUT_RATE)), np.float32))
                spoken = 0
                for chunk in chunks:
                    audio = _resample(np.asarray(chunk.audio, dtype=np.float32).reshape(-1), chunk.sample_rate, OUTPUT_RATE)
                    # the clock advances by the resampled length, so video and muxed audio agree to the sample
                    chunk = chunk.model_copy(update={"audio": audio, "sample_rate": OUTPUT_RATE}) if chunk.sample_rate != OUTPUT_RATE else chunk
                    emit(self.timeline(chunk), audio)
                    spoken += 1
                if spoken == 0:
                    raise AvatarError("nothing to render: the speech produced no audio chunks")
                if listen_after > 0:
                    tl = self.listen_timeline(listen_after, user_emotion)
                    emit(tl, np.zeros(int(round(tl.duration * OUTPUT_RATE)), np.float32))
            audio = np.concatenate(audio_parts)
            mux_audio(video_only, audio, OUTPUT_RATE, out_path)
            result.frames = writer.frames
        result.duration = len(audio) / OUTPUT_RATE
        result.render_ms = (time.perf_counter() - t0) * 1000
        if timeline_path is not None:
            result.timeline_path = write_timeline(timeline_path, result.timelines, self)
        return result

    def describe(self) -> dict:
        """The face parameters a browser renderer needs next to the timeline."""
        out = {"size": self.size, "fps": self.fps, "face": self.look.model_dump(mode="json")}
        if self.avatar is not None:
            out.update(avatar=self.avatar.key, name=self.avatar.name, profile=self.avatar.profile.model_dump(mode="json"),
                       voice=self.avatar.voice.model_dump(mode="json"))
        return out


def timeline_document(timelines: list[FaceTimeline], renderer: AvatarRenderer | None = None) -> dict:
    doc = {"format": TIMELINE_FORMAT, **(renderer.describe() if renderer else {}),
           "duration": round(sum(t.duration for t in timelines), 4), "chunks": [t.to_dict() for t in timelines]}
    return doc


def write_timeline(path: str | Path, timelines: list[FaceTimeline], renderer: AvatarRenderer | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(timeline_document(timelines, renderer), ensure_ascii=False, separators=(",", ":")),
                    encoding="utf-8")
    return path
