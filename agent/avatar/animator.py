"""The face over time: expression (AUs), lip-sync, blinks, gaze and head motion, continuous across chunks.

An :class:`Animator` keeps one clock for a whole conversation. Each speech chunk (or stretch of listening) becomes a
:class:`FaceTimeline`: per-frame tracks at ``fps`` plus the events behind them (visemes, blinks, gaze shifts). Frame
counts are rounded on the cumulative audio clock, so video never drifts from audio by more than half a frame.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .data import AUS, MOUTH, AvatarError, check_emotion, check_intensity
from .expression import au_vector, listening_expression, motion_params
from .lipsync import VisemeEvent, envelope_curves, mouth_curves, viseme_events

TIMELINE_FORMAT = "attune-face-timeline/1"
POSE = ("blink", "gaze_x", "gaze_y", "yaw", "pitch", "roll", "breath")
TRACKS: tuple[str, ...] = AUS + MOUTH + POSE


@dataclass
class FaceTimeline:
    """One chunk of face animation. Times in ``tracks['t']`` and the events are chunk-local seconds."""

    index: int
    mode: str  # "speak" | "listen"
    emotion: str
    intensity: float
    fps: int
    start: float  # global seconds (conversation clock) of the chunk's audio start
    duration: float  # audio seconds
    frame_start: int  # global frame index of the first frame
    tracks: dict[str, np.ndarray]
    text: str = ""
    visemes: list[VisemeEvent] = field(default_factory=list)
    blinks: list[tuple[float, float]] = field(default_factory=list)
    gaze_shifts: list[tuple[float, float, float]] = field(default_factory=list)

    @property
    def n_frames(self) -> int:
        return len(self.tracks["t"])

    def frame(self, i: int) -> dict[str, float]:
        return {k: float(v[i]) for k, v in self.tracks.items()}

    def to_dict(self, decimals: int = 3) -> dict:
        return {
            "format": TIMELINE_FORMAT, "index": self.index, "mode": self.mode, "text": self.text,
            "emotion": self.emotion, "intensity": round(self.intensity, 3), "fps": self.fps,
            "start": round(self.start, 4), "duration": round(self.duration, 4),
            "frame_start": self.frame_start, "n_frames": self.n_frames,
            "visemes": [v.as_dict() for v in self.visemes],
            "blinks": [{"start": round(s, 4), "duration": round(d, 4)} for s, d in self.blinks],
            "gaze_shifts": [{"t": round(t, 4), "x": round(x, 3), "y": round(y, 3)} for t, x, y in self.gaze_shifts],
            "tracks": {k: np.round(v, decimals).tolist() for k, v in self.tracks.items()},
        }


def _blink_shape(p: np.ndarray) -> np.ndarray:
    """Lid closure over a blink's normalised time p in [0, 1]: fast close (35%), slower reopening."""
    c = 0.35
    out = np.where(p < c, np.sin(0.5 * np.pi * np.clip(p / c, 0, 1)),
                   0.5 * (1 + np.cos(np.pi * np.clip((p - c) / (1 - c), 0, 1))))
    return np.where((p >= 0) & (p <= 1), out, 0.0)


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0, 1)
    return x * x * (3 - 2 * x)


class Animator:
    """Stateful face animation for one conversation (seeded: the same input gives the same motion)."""

    def __init__(self, fps: int = 25, seed: int | None = 0):
        self.fps = int(fps)
        self.rng = np.random.default_rng(seed)
        self.audio_cursor = 0.0  # global seconds of audio consumed
        self.frame_cursor = 0  # global frames emitted
        self.index = 0
        self.au_state = np.zeros(len(AUS))
        self.motion_state = np.array(list(self._motion_vec("neutral")))
        self.blinks: list[tuple[float, float]] = []  # global (start, duration)
        self._next_blink = float(self.rng.uniform(0.6, 2.5))
        self.gaze: list[tuple[float, float, float]] = [(-1e9, 0.0, 0.0)]  # global (t, x, y) targets
        self._next_saccade = float(self.rng.uniform(0.4, 1.5))
        self.nods: list[tuple[float, float, float]] = []  # global (start, duration, amplitude deg)
        self._next_nod = float(self.rng.uniform(0.8, 2.0))
        # head sway: three incommensurate sines per axis (smooth noise, continuous for any t)
        self._sway_f = self.rng.uniform(0.05, 0.45, size=(3, 3))
        self._sway_p = self.rng.uniform(0, 2 * np.pi, size=(3, 3))
        self._sway_w = np.array([0.6, 0.3, 0.18])

    @staticmethod
    def _motion_vec(emotion: str) -> tuple[float, ...]:
        m = motion_params(emotion)
        return (m["blink_rate"], m["head_sway"], m["gaze_down"], m["saccade_rate"], m["head_pitch"], m["head_roll"])

    # -- public ---------------------------------------------------------------------------------------------------
    def speak(self, chunk) -> FaceTimeline:
        """The timeline for one SpeechChunk (its phonemes drive the mouth; no phonemes → the audio envelope)."""
        emotion, intensity = check_emotion(chunk.emotion), check_intensity(chunk.intensity)
        audio = np.asarray(chunk.audio, dtype=np.float32).reshape(-1)
        if chunk.sample_rate <= 0:
            raise AvatarError(f"sample_rate must be positive, got {chunk.sample_rate}")
        duration = len(audio) / chunk.sample_rate
        if duration <= 0:
            raise AvatarError(f"speech chunk {chunk.index} has no audio")
        t_local, start = self._advance(duration)
        events = viseme_events(chunk.phonemes)
        if events:
            mouth = mouth_curves(events, t_local, self.fps)
        else:
            mouth = envelope_curves(audio, chunk.sample_rate, t_local)
        stress = [e.start for e in events if e.stressed]
        tl = self._build(t_local, start, emotion, intensity, mouth, mode="speak", stress=stress)
        tl.text, tl.visemes = chunk.text, events
        return tl

    def listen(self, duration: float, user_emotion: str = "neutral") -> FaceTimeline:
        """A calm listening idle: gentle attuned expression, small nods, blinks and gaze, mouth at rest."""
        if not duration or duration <= 0:
            raise AvatarError("listening duration must be positive")
        emotion, intensity = listening_expression(user_emotion)
        t_local, start = self._advance(float(duration))
        mouth = np.zeros((len(t_local), len(MOUTH)))
        tl = self._build(t_local, start, emotion, intensity, mouth, mode="listen", stress=[])
        return tl

    # -- internals ------------------------------------------------------------------------------------------------
    def _advance(self, duration: float) -> tuple[np.ndarray, float]:
        start = self.audio_cursor
        end_frame = int(round((start + duration) * self.fps))
        n = max(end_frame - self.frame_cursor, 0)
        frames = self.frame_cursor + np.arange(n)
        self._frame_start = self.frame_cursor
        self.frame_cursor = end_frame
        self.audio_cursor = start + duration
        return frames / self.fps - start, start

    def _extend_schedules(self, until: float, rate_blink: float, rate_sacc: float, gaze_down: float, listen: bool):
        rng = self.rng
        while self._next_blink < until:
            dur = float(np.clip(rng.normal(0.15, 0.025), 0.1, 0.22))
            self.blinks.append((self._next_blink, dur))
            gap = 0.0
            if rng.random() < 0.12:  # an occasional double blink
                gap = float(rng.uniform(0.22, 0.35))
                self.blinks.append((self._next_blink + gap, dur))
            mean = 60.0 / max(rate_blink, 1.0)
            shape = 3.0  # gamma(3): CV ≈ 0.58, never periodic
            self._next_blink += gap + max(0.6, float(rng.gamma(shape, mean / shape)))
        while self._next_saccade < until:
            prev = self.gaze[-1]
            if abs(prev[1]) + abs(prev[2] - gaze_down) > 0.15 or rng.random() < 0.45:
                x, y = rng.normal(0, 0.05), gaze_down + rng.normal(0, 0.04)  # back to the listener's eyes
            else:
                x, y = rng.normal(0, 0.35), gaze_down + rng.normal(0, 0.18)
            self.gaze.append((self._next_saccade, float(np.clip(x, -0.8, 0.8)), float(np.clip(y, -0.6, 0.7))))
            self._next_saccade += max(0.25, float(rng.exponential(1.0 / max(rate_sacc, 0.05))))
        if listen:
            while self._next_nod < until:
                amp = float(rng.uniform(2.0, 4.0))
                dur = float(rng.uniform(0.55, 0.8))
                self.nods.append((self._next_nod, dur, amp))
                if rng.random() < 0.3:  # a double nod
                    self.nods.append((self._next_nod + dur * 0.9, dur * 0.85, amp * 0.6))
                    self._next_nod += dur
                self._next_nod += float(rng.gamma(4.0, 2.8 / 4.0)) + dur
        else:
            self._next_nod = max(self._next_nod, until + 0.5)

    def _build(self, t_local, start, emotion, intensity, mouth, mode, stress) -> FaceTimeline:
        n = len(t_local)
        fps = self.fps
        tg = t_local + start  # global times of the frames
        target_au = au_vector(emotion, intensity)
        target_motion = np.array(self._motion_vec(emotion))
        if mode == "speak":
            target_motion[0] *= 1.25  # people blink more while talking
        end = float(tg[-1]) + 1.0 if n else start + 1.0
        self._extend_schedules(end, target_motion[0], target_motion[3], target_motion[2], mode == "listen")

        # expression and motion style ease towards the new emotion (attack ~0.25 s)
        aus = np.empty((n, len(AUS)))
        motion = np.empty((n, len(target_motion)))
        k = 1 - math.exp(-1.0 / (0.25 * fps))
        km = 1 - math.exp(-1.0 / (0.8 * fps))
        for i in range(n):
            self.au_state += (target_au - self.au_state) * k
            self.motion_state += (target_motion - self.motion_state) * km
            aus[i] = self.au_state
            motion[i] = self.motion_state

        # eyebrow flashes and small nods on some stressed syllables
        flash = np.zeros(n)
        nod_speech = np.zeros(n)
        for s in stress:
            if self.rng.random() < 0.45:
                dt = t_local - s
                flash += np.where(dt >= -0.05, np.exp(-np.clip(dt + 0.05, 0, None) / 0.22), 0) * (dt > -0.05)
                nod_speech += np.exp(-0.5 * ((dt - 0.08) / 0.12) ** 2)
        flash = np.clip(flash, 0, 1)
        ai = {a: j for j, a in enumerate(AUS)}
        aus[:, ai["au1"]] = np.clip(aus[:, ai["au1"]] + 0.16 * flash, 0, 1)
        aus[:, ai["au2"]] = np.clip(aus[:, ai["au2"]] + 0.2 * flash, 0, 1)

        # blinks: max over the frame's window so a short blink always reaches the frame
        blink = np.zeros(n)
        for s, d in self.blinks:
            if s > tg[-1] + 0.05 or s + d < tg[0] - 0.05:
                continue
            for off in (-0.012, 0.0, 0.012):
                blink = np.maximum(blink, _blink_shape((tg + off - s) / d))
        # gaze: smooth 60 ms saccades between targets, plus a tiny drift
        gaze = np.zeros((n, 2))
        targets = self.gaze
        times = np.array([g[0] for g in targets])
        idx = np.searchsorted(times, tg, side="right") - 1
        for i in range(n):
            j = idx[i]
            cur = np.array(targets[j][1:])
            prev = np.array(targets[j - 1][1:]) if j > 0 else cur
            a = _smoothstep((tg[i] - targets[j][0]) / 0.06)
            gaze[i] = prev + (cur - prev) * a
        gaze[:, 0] += 0.02 * np.sin(2 * np.pi * 0.31 * tg)
        gaze[:, 1] += 0.02 * np.sin(2 * np.pi * 0.23 * tg + 1.0)
        # head: smooth sway scaled by the emotion, resting posture, nods
        sway = np.zeros((n, 3))
        for axis in range(3):
            sway[:, axis] = sum(self._sway_w[h] * np.sin(2 * np.pi * self._sway_f[axis, h] * tg + self._sway_p[axis, h])
                                for h in range(3))
        amp = motion[:, 1]
        yaw = amp * sway[:, 0] * 1.2
        pitch = amp * sway[:, 1] * 0.7 + motion[:, 4]
        roll = amp * sway[:, 2] * 0.6 + motion[:, 5]
        if mode == "speak":
            o = mouth[:, MOUTH.index("open")]
            kernel = np.hanning(9)
            pitch += -1.0 * np.convolve(o, kernel / kernel.sum(), mode="same") + 1.6 * nod_speech
        for s, d, a in self.nods:
            p = (tg - s) / d
            pitch += a * np.where((p >= 0) & (p <= 1), np.sin(np.pi * np.clip(p, 0, 1)) ** 2, 0)
        breath = np.sin(2 * np.pi * 0.23 * tg)

        tracks = {"t": t_local.astype(np.float64)}
        for j, a in enumerate(AUS):
            tracks[a] = aus[:, j]
        for j, m in enumerate(MOUTH):
            tracks[m] = mouth[:, j]
        tracks.update(blink=blink, gaze_x=gaze[:, 0], gaze_y=gaze[:, 1], yaw=yaw, pitch=pitch, roll=roll, breath=breath)
        t0, t1 = start - 0.5, start + (t_local[-1] if n else 0) + 0.5
        tl = FaceTimeline(
            index=self.index, mode=mode, emotion=emotion, intensity=float(intensity), fps=fps, start=start,
            duration=self.audio_cursor - start, frame_start=self._frame_start, tracks=tracks,
            blinks=[(s - start, d) for s, d in self.blinks if t0 <= s <= t1],
            gaze_shifts=[(t - start, x, y) for t, x, y in self.gaze if t0 <= t <= t1],
        )
        self.index += 1
        return tl
