"""Streaming voice-activity detection on 16 kHz frames of 512 samples (32 ms).

``SileroVAD``: the Silero VAD ONNX model that ships inside faster-whisper, run frame by frame with its LSTM state
and 64-sample context carried over (identical to faster_whisper.vad's batch output; ~0.1 ms a frame).
``EnergyVAD``: a level detector (dBFS above a threshold, relative to a tracked noise floor) for when onnxruntime
is unavailable. Both return a speech probability per frame; the conversation adds hysteresis and timing.
"""
from __future__ import annotations

import numpy as np

RATE = 16000
FRAME = 512
_CONTEXT = 64


class SileroVAD:
    frame_size = FRAME

    def __init__(self) -> None:
        from faster_whisper.vad import get_vad_model

        self._session = get_vad_model().session  # cached by faster-whisper: one model per process
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)

    def __call__(self, frame: np.ndarray) -> float:
        x = np.concatenate([self._context, frame.astype(np.float32)])[None, :]
        out, self._h, self._c = self._session.run(None, {"input": x, "h": self._h, "c": self._c})
        self._context = frame[-_CONTEXT:].astype(np.float32)
        return float(np.asarray(out).reshape(-1)[0])


class EnergyVAD:
    frame_size = FRAME

    def __init__(self, threshold_db: float = -40.0, margin_db: float = 12.0) -> None:
        self.threshold_db, self.margin_db = threshold_db, margin_db
        self.reset()

    def reset(self) -> None:
        self._floor = -70.0

    def __call__(self, frame: np.ndarray) -> float:
        rms = float(np.sqrt(np.mean(np.square(frame, dtype=np.float64)))) if frame.size else 0.0
        db = 20 * np.log10(max(rms, 1e-10))
        # the noise floor follows quiet frames quickly and loud ones slowly
        self._floor += (0.2 if db < self._floor else 0.005) * (db - self._floor)
        level = max(self.threshold_db, self._floor + self.margin_db)
        return float(1 / (1 + np.exp(-(db - level) / 2.0)))


def make_vad(speech_settings):
    if speech_settings.vad_engine == "silero":
        try:
            return SileroVAD()
        except Exception:  # noqa: BLE001 — no onnxruntime / model: fall back to the level detector
            pass
    return EnergyVAD(speech_settings.energy_threshold_db)
