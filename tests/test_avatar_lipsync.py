"""Lip-sync: phonemes → visemes → mouth curves and rendered mouth pixels follow the timeline."""
from __future__ import annotations

import numpy as np
import pytest

from agent.avatar import AvatarRenderer
from agent.avatar.data import MOUTH
from agent.avatar.lipsync import phoneme_visemes, viseme_events
from agent.speech.types import PhonemeSpan, SpeechChunk


def _chunk(pattern: list[tuple[str, float]], emotion: str = "neutral", rate: int = 16000) -> SpeechChunk:
    spans, t = [], 0.0
    for phoneme, dur in pattern:
        spans.append(PhonemeSpan(phoneme=phoneme, start=t, end=t + dur))
        t += dur
    return SpeechChunk(index=0, text="ma ma", sample_rate=rate, audio=np.zeros(int(t * rate), np.float32),
                       phonemes=spans, emotion=emotion, intensity=0.5)


def test_ipa_to_viseme_map():
    assert phoneme_visemes("p") == ["PP"] and phoneme_visemes("m") == ["PP"]
    assert phoneme_visemes("ˈæ") == ["aa"]  # stress marks are ignored
    assert phoneme_visemes("iː") == ["ih"]  # length marks too
    assert phoneme_visemes("aɪ") == ["aa", "ih"]  # diphthongs glide
    assert phoneme_visemes("tʃ") == ["CH"]
    assert phoneme_visemes("") == ["sil"] and phoneme_visemes(" ") == ["sil"]
    assert phoneme_visemes("ʘ")  # an unknown symbol still gives a mouth shape


def test_stress_marks_flag_the_next_vowel():
    spans = [PhonemeSpan(phoneme="ˈ", start=0, end=0), PhonemeSpan(phoneme="h", start=0, end=0.05),
             PhonemeSpan(phoneme="ɛ", start=0.05, end=0.15), PhonemeSpan(phoneme="ˈoʊ", start=0.15, end=0.3)]
    events = viseme_events(spans)
    assert [e.viseme for e in events] == ["kk", "E", "oh", "ou"]
    assert events[1].stressed and events[2].stressed and not events[0].stressed


@pytest.fixture(scope="module")
def mama():
    # m-a alternation with uneven lengths: the mouth must close on every /m/ and open on every /a/
    pattern = [("", 0.2)]
    for k in range(8):
        pattern += [("m", 0.09 + 0.02 * (k % 3)), ("a", 0.16 + 0.04 * (k % 2))]
    pattern += [("", 0.3)]
    return _chunk(pattern)


def test_mouth_opening_follows_visemes(mama):
    renderer = AvatarRenderer("sage")
    tl = renderer.timeline(mama)
    t = tl.tracks["t"]
    target = np.zeros_like(t)
    for span in mama.phonemes:
        if span.phoneme == "a":
            target[(t >= span.start) & (t < span.end)] = 1.0
    openness = tl.tracks["open"]
    r = np.corrcoef(openness, target)[0, 1]
    assert r > 0.75, r
    # lips shut during each /m/ (the frame nearest its middle)
    for span in mama.phonemes:
        if span.phoneme == "m":
            i = int(np.argmin(np.abs(t - (span.start + span.end) / 2 + 0.015)))
            assert tl.tracks["close"][i] > 0.5 and openness[i] < 0.2


def test_rendered_mouth_pixels_follow_visemes(mama):
    renderer = AvatarRenderer("sage", size=256)
    tl = renderer.timeline(mama)
    dark = []
    for frame in renderer.frames(tl):
        mouth = frame[150:185, 100:156, :3].astype(int)  # the mouth region at 256²
        interior = (mouth[..., 0] < 110) & (mouth[..., 1] < 60) & (mouth[..., 2] < 70)  # dark mouth cavity
        dark.append(interior.sum())
    r = np.corrcoef(np.array(dark, float), tl.tracks["open"])[0, 1]
    assert r > 0.8, r


def test_no_phonemes_falls_back_to_the_audio_envelope():
    rate = 16000
    t = np.arange(int(1.2 * rate)) / rate
    loud = (np.sin(2 * np.pi * 3 * t) > 0).astype(np.float32)  # 3 Hz syllables
    audio = (0.3 * loud * np.sin(2 * np.pi * 150 * t)).astype(np.float32)
    chunk = SpeechChunk(index=0, text="x", sample_rate=rate, audio=audio, phonemes=[])
    tl = AvatarRenderer("sage").timeline(chunk)
    level = np.interp(tl.tracks["t"], t, loud)
    assert np.corrcoef(tl.tracks["open"], level)[0, 1] > 0.6
    assert set(MOUTH) <= set(tl.tracks)
