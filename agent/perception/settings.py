"""Perception settings (``Settings.perception``; env ``ATTUNE_PERCEPTION__…``). Does not import agent.config."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class PerceptionSettings(BaseModel):
    # voice: prosody against a per-speaker baseline, or a drop-in ONNX arousal/valence/dominance model
    voice_onnx_path: Path | None = Field(None, description="ONNX A/V/D model over raw 16 kHz audio [1, n]")
    voice_onnx_order: tuple[str, str, str] = ("arousal", "dominance", "valence")
    voice_onnx_range: tuple[float, float] = (0.0, 1.0)
    voice_onnx_output: str | None = None  # None: the first output with three values
    voice_onnx_normalize: bool = False  # zero-mean/unit-variance the waveform first (wav2vec2-style models)
    pitch_method: Literal["yin", "pyin"] = "yin"  # pyin is ~28× slower for the same medians
    max_audio_seconds: float = Field(120.0, gt=0)
    # face
    face_min_px: int = Field(40, ge=16, description="smallest face side, in image pixels, the detector looks for")
    # fusion: weight = confidence × reliability × per-dimension weight (agent/perception/fusion.py explains)
    reliability: dict[str, float] = Field(default_factory=lambda: {"text": 1.0, "face": 0.7, "voice": 0.5})
    voice_onnx_reliability: float = Field(0.7, ge=0, le=1, description="voice reliability when the ONNX model is used")
