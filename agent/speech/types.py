"""The contract between speech and the avatar: audio chunks with a phoneme timeline, and the voice of an avatar."""
from __future__ import annotations

from typing import Iterator, Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class PhonemeSpan(BaseModel):
    phoneme: str  # IPA symbol(s); "" or " " for pauses
    start: float  # seconds from the start of the chunk
    end: float


class WordSpan(BaseModel):
    word: str
    start: float
    end: float
    probability: float | None = None


class SpeechChunk(BaseModel):
    """One synthesised sentence: audio plus the timeline that drives lip-sync."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: int
    text: str
    sample_rate: int
    audio: np.ndarray  # float32 mono in [-1, 1]
    phonemes: list[PhonemeSpan] = Field(default_factory=list)
    emotion: str = "neutral"
    intensity: float = 0.5

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate


class VoiceProfile(BaseModel):
    """The [voice] table of an avatar profile."""

    engine: Literal["piper", "espeak"] = "piper"
    voice: str = "joe"              # piper: a packaged voice name; espeak: e.g. "en-us+f3"
    pitch_semitones: float = 0.0    # the avatar's base pitch offset
    rate: float = 1.0               # the avatar's base speaking rate (1 = the voice's own)
    volume: float = 1.0


class Transcript(BaseModel):
    text: str
    language: str
    duration: float
    words: list[WordSpan] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class TTSBackend(Protocol):
    def setup(self) -> None: ...
    def synthesize(self, text: str, emotion: str = "neutral", intensity: float = 0.5) -> Iterator[SpeechChunk]: ...


class ASRBackend(Protocol):
    def setup(self) -> None: ...
    def transcribe(self, samples: np.ndarray, rate: int = 16000) -> Transcript: ...
