"""Perceiver: text, voice and face → one fused, explained UserState.

``Perceiver(settings, embedder).perceive(text, audio=..., image=...)``. Models load lazily, once (``setup()`` loads
them all now). Bad audio or images never raise here: they come back as ``UserState.warnings`` and the other
modalities carry the turn. Audio arrays are mono float32 at ``audio_rate`` (16 kHz by default); image arrays
are RGB.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from ..embeddings import Embedder
from ..types import EmotionEstimate, UserState
from .face import FaceExpressionModel, FaceResult, FaceTracker
from .fusion import DIMENSION_WEIGHTS, FusionConfig, fuse
from .settings import PerceptionSettings
from .text import TextEmotionModel
from .voice import OnnxVADModel, VoiceEmotionModel, VoiceResult


class Perceiver:
    def __init__(self, settings, embedder: Embedder, text_model: TextEmotionModel | None = None):
        """settings: agent.config.Settings (its ``data_dir`` and ``perception`` are used)."""
        self.settings = settings
        self.data_dir = Path(settings.data_dir)
        self.config: PerceptionSettings = getattr(settings, "perception", None) or PerceptionSettings()
        self.embedder = embedder
        self.text_model = text_model or TextEmotionModel(embedder, self.data_dir)
        self._voice: VoiceEmotionModel | None = None
        self._face: FaceExpressionModel | None = None
        self._lock = threading.Lock()

    # -- lazy models ------------------------------------------------------------------------------------------
    @property
    def voice_model(self) -> VoiceEmotionModel:
        with self._lock:
            if self._voice is None:
                c = self.config
                onnx = None
                if c.voice_onnx_path is not None:
                    onnx = OnnxVADModel(c.voice_onnx_path, c.voice_onnx_order, c.voice_onnx_range,
                                        c.voice_onnx_output, c.voice_onnx_normalize,
                                        threads=getattr(self.settings, "torch_threads", 1))
                self._voice = VoiceEmotionModel(self.data_dir, onnx, c.pitch_method, c.max_audio_seconds)
            return self._voice

    @property
    def face_model(self) -> FaceExpressionModel:
        with self._lock:
            if self._face is None:
                self._face = FaceExpressionModel(self.data_dir, min_face_px=self.config.face_min_px)
                self._face.setup()
            return self._face

    def setup(self) -> "Perceiver":
        self.text_model.setup()
        self.voice_model.setup()  # builds the ONNX session when one is configured, warms librosa
        self.face_model  # noqa: B018
        return self

    def reset(self, speaker_id: str | None = None) -> None:
        """Forget voice baselines (one speaker's, or everyone's)."""
        if self._voice is not None:
            self._voice.reset(speaker_id)

    def fusion_config(self) -> FusionConfig:
        reliability = dict(self.config.reliability)
        weights = dict(DIMENSION_WEIGHTS)
        if self.config.voice_onnx_path is not None:  # a trained A/V/D model: trust it more, and for valence too
            reliability["voice"] = self.config.voice_onnx_reliability
            weights["voice"] = (0.6, 1.0, 0.8)
        return FusionConfig(reliability=reliability, dimension_weights=weights)

    # -- one turn ---------------------------------------------------------------------------------------------
    def perceive(self, text: str | None, audio: np.ndarray | str | Path | bytes | None = None,
                 image: str | Path | bytes | np.ndarray | None = None, context: Sequence[str] = (),
                 speaker_id: str = "user", audio_rate: int = 16000,
                 frames: Sequence[np.ndarray] | None = None) -> UserState:
        """frames: RGB video frames in order (agent.perception.video); the face is tracked and smoothed over them
        and takes the place of ``image``."""
        timings: dict[str, float] = {}
        warnings: list[str] = []
        signals: dict[str, dict[str, float]] = {}
        text_estimate = voice_estimate = face_estimate = None

        if text is not None and text.strip():
            self.text_model.setup()  # loads once; not part of the turn's timing
            t = time.perf_counter()
            text_estimate = self.text_model.predict(text, list(context))
            timings["text"] = _ms(t)
        if audio is not None:
            voice_model = self.voice_model
            voice_model.setup()
            t = time.perf_counter()
            voice: VoiceResult = voice_model.analyze(audio, speaker_id=speaker_id, rate=audio_rate)
            voice_estimate = voice.estimate
            warnings += voice.warnings
            if voice.features:
                signals["voice"] = voice.features
            if voice.z:
                signals["voice_z"] = voice.z
            timings["voice"] = _ms(t)
        if frames:
            face_model = self.face_model
            t = time.perf_counter()
            face_estimate, boxes, seen = self._track(face_model, frames, warnings)
            if boxes:
                x, y, w, h = boxes[0]
                signals["face"] = {"x": x, "y": y, "w": w, "h": h, "faces": len(boxes), "frames": len(frames),
                                   "frames_with_face": seen}
            timings["face"] = _ms(t)
        elif image is not None:
            face_model = self.face_model  # loads once; not part of the turn's timing
            t = time.perf_counter()
            face: FaceResult = face_model.analyze(image)
            face_estimate = face.estimate
            warnings += face.warnings
            if face.boxes:
                x, y, w, h = face.boxes[0]
                signals["face"] = {"x": x, "y": y, "w": w, "h": h, "faces": len(face.boxes)}
            timings["face"] = _ms(t)
            timings.update({f"face_{k}": v for k, v in face.latency_ms.items()})

        t = time.perf_counter()
        state = fuse(text_estimate, voice_estimate, face_estimate, self.data_dir, self.fusion_config(), warnings)
        missing = ([f"voice: {_reason(warnings, 'voice')}"] if audio is not None and voice_estimate is None else []) \
            + ([f"face: {_reason(warnings, 'face')}"] if (image is not None or frames) and face_estimate is None else [])
        if missing:
            nothing = text_estimate is None and voice_estimate is None and face_estimate is None
            state.explanation = "; ".join(([] if nothing else [state.explanation]) + missing)
        timings["fusion"] = _ms(t)
        state.signals = signals
        state.timings_ms = timings
        return state

    @staticmethod
    def _track(face_model: FaceExpressionModel, frames: Sequence[np.ndarray],
               warnings: list[str]) -> tuple[EmotionEstimate | None, list, int]:
        """The expression over a clip: each frame through a FaceTracker; the smoothed estimate at the end."""
        tracker = FaceTracker(face_model, max_missing=len(frames))
        boxes: list = []
        for frame in frames:
            result = tracker.update(frame)
            boxes = result.boxes or boxes
        estimate = tracker.current
        if estimate is None:
            warnings.append(f"face: no face found in any of the {len(frames)} video frames read")
        else:
            estimate = estimate.model_copy(update={"cues": [f"{estimate.cues[0]} over {tracker.frames} of "
                                                            f"{len(frames)} frames"]})
        return estimate, boxes, tracker.frames

    def estimate_text(self, text: str, context: Sequence[str] = ()) -> EmotionEstimate:
        return self.text_model.predict(text, list(context))


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)


def _reason(warnings: list[str], modality: str) -> str:
    """The first warning about a modality, without its 'voice: ' prefix, as the reason it said nothing."""
    for w in warnings:
        if w.startswith(f"{modality}: "):
            return w[len(modality) + 2:]
    return "not usable"
