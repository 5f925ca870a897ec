"""Emotional TTS with the real packaged voices (Piper joe, espeak-ng): timeline, prosody measured on the audio."""
from __future__ import annotations

import numpy as np
import pytest

from agent.config import Settings
from agent.speech.analysis import measure
from agent.speech.prosody import prosody_for
from agent.speech.tts import aligned_voice_copy, concatenate, load_tts, packaged_piper_voice
from agent.speech.types import VoiceProfile
from agent.avatar.data import visemes as viseme_table
from agent.avatar.lipsync import viseme_events

TEXT = "I hear you. That sounds really hard, and I am glad you told me."


@pytest.fixture(scope="module")
def speech_settings() -> Settings:
    settings = Settings()
    settings.speech.tts_deterministic = True
    return settings


@pytest.fixture(scope="module")
def piper(speech_settings):
    tts = load_tts(speech_settings, VoiceProfile(engine="piper", voice="joe"))
    tts.setup()
    return tts


@pytest.fixture(scope="module")
def espeak(speech_settings):
    return load_tts(speech_settings, VoiceProfile(engine="espeak", voice="en-us+f3"))


@pytest.fixture(scope="module")
def measured(piper):
    out = {}
    for emotion in ("neutral", "sadness", "joy", "anger"):
        audio, rate, spans = concatenate(list(piper.synthesize(TEXT, emotion, 1.0)))
        out[emotion] = measure(audio, rate, sum(1 for s in spans if s.phoneme))
    return out


@pytest.mark.parametrize("engine", ["piper", "espeak"])
def test_timeline_tiles_the_audio(engine, piper, espeak):
    tts = piper if engine == "piper" else espeak
    chunks = list(tts.synthesize(TEXT, "joy", 0.8))
    assert [c.index for c in chunks] == list(range(len(chunks))) and len(chunks) == 2  # one chunk per sentence
    for chunk in chunks:
        spans = chunk.phonemes
        assert spans[0].start == 0 and abs(spans[-1].end - chunk.duration) < 1e-9
        assert all(abs(a.end - b.start) < 1e-9 for a, b in zip(spans, spans[1:]))   # contiguous
        assert abs(sum(s.end - s.start for s in spans) - chunk.duration) < 1e-6
        assert sum(1 for s in spans if s.phoneme) >= 5
        assert not any(mark in s.phoneme for s in spans for mark in "ˈˌː")
        assert chunk.audio.dtype == np.float32 and np.abs(chunk.audio).max() <= 1.0
        assert {v.viseme for v in viseme_events(spans)} <= set(viseme_table()["visemes"])


def test_prosody_ordering_measured_on_audio(measured):
    neutral, sad, joy, anger = (measured[e] for e in ("neutral", "sadness", "joy", "anger"))
    assert sad["f0_median_hz"] < neutral["f0_median_hz"] < joy["f0_median_hz"]          # lower / brighter
    assert sad["phonemes_per_s"] < neutral["phonemes_per_s"] < joy["phonemes_per_s"]      # slower / faster
    assert sad["duration_s"] > neutral["duration_s"] > joy["duration_s"]
    assert sad["rms_dbfs"] < neutral["rms_dbfs"] - 2                                      # softer
    assert anger["rms_dbfs"] > neutral["rms_dbfs"] + 3                                    # louder


def test_intensity_scales_the_style(piper):
    durations = [sum(c.duration for c in piper.synthesize("I am here with you.", "sadness", x)) for x in (0.0, 0.5, 1.0)]
    assert durations[0] < durations[1] < durations[2]
    assert prosody_for("sadness", 0.0) == prosody_for("neutral", 1.0)


def test_deterministic_output(piper):
    a = next(piper.synthesize("Same words, same sound.", "calm", 0.6)).audio
    b = next(piper.synthesize("Same words, same sound.", "calm", 0.6)).audio
    assert np.array_equal(a, b)


def test_espeak_prosody_and_female_voice(espeak):
    sad = measure(*concatenate(list(espeak.synthesize(TEXT, "sadness", 1.0)))[:2])
    joy = measure(*concatenate(list(espeak.synthesize(TEXT, "joy", 1.0)))[:2])
    assert joy["f0_median_hz"] > sad["f0_median_hz"] > 140  # en-us+f3 is a female voice
    assert joy["duration_s"] < sad["duration_s"]


def test_voice_patched_once_into_the_cache(tmp_path):
    model, _ = packaged_piper_voice("joe")
    first = aligned_voice_copy(model, tmp_path)
    mtime = first.stat().st_mtime_ns
    again = aligned_voice_copy(model, tmp_path)
    assert first == again and again.stat().st_mtime_ns == mtime and tmp_path in first.parents
    import onnx

    assert len(onnx.load(str(model), load_external_data=False).graph.output) == 1   # site-packages untouched
    assert len(onnx.load(str(first), load_external_data=False).graph.output) == 2


def test_unknown_emotion_and_empty_text(piper):
    with pytest.raises(ValueError, match="unknown emotion"):
        list(piper.synthesize("Hello.", "ecstatic-rage", 0.5))
    assert list(piper.synthesize("   ", "neutral", 0.5)) == []
    assert next(piper.synthesize("Hi.", "sad", 0.5)).emotion == "sadness"  # aliases
