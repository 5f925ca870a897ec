"""Synthetic speech chunks (a phoneme timeline from the letters + a voiced tone that follows it) for tests and the
render bench: no TTS needed, the same input always gives the same chunk."""
from __future__ import annotations

import re

import numpy as np

from ..speech.types import PhonemeSpan, SpeechChunk

_LETTERS = {"a": "æ", "e": "ɛ", "i": "ɪ", "o": "ɔ", "u": "ʊ", "y": "i", "c": "k", "q": "k", "x": "k", "j": "dʒ",
            "r": "ɹ", "g": "ɡ"}
_DIGRAPHS = {"th": "θ", "sh": "ʃ", "ch": "tʃ", "ng": "ŋ", "oo": "u", "ee": "i", "ai": "eɪ", "ay": "eɪ", "ow": "aʊ",
             "ou": "aʊ", "oa": "oʊ", "oi": "ɔɪ", "igh": "aɪ", "ph": "f", "wh": "w"}
VOWELS = set("æɛɪɔʊiuaeo")


def letters_to_phonemes(text: str) -> list[str]:
    """A crude spelling → IPA map (no dictionary): enough to drive a plausible mouth in tests."""
    out: list[str] = []
    for word in re.findall(r"[a-zA-Z']+|[.,!?;:]", text.lower()):
        if word in ".,!?;:":
            out.append("")
            continue
        i = 0
        while i < len(word):
            for size in (3, 2):
                piece = word[i:i + size]
                if piece in _DIGRAPHS:
                    out.append(_DIGRAPHS[piece])
                    i += size
                    break
            else:
                ch = word[i]
                if ch.isalpha() and not (ch == "e" and i == len(word) - 1 and len(word) > 2):
                    out.append(_LETTERS.get(ch, ch))
                i += 1
        out.append(" ")
    return out


def synthetic_chunk(text: str, emotion: str = "neutral", intensity: float = 0.5, index: int = 0,
                    sample_rate: int = 22050, seconds: float | None = None, seed: int = 0) -> SpeechChunk:
    """A SpeechChunk for ``text``: phoneme spans (vowels ~110 ms, consonants ~70 ms, word gaps 50 ms) and a voiced
    tone whose loudness follows them. ``seconds`` stretches the timeline to an exact length."""
    rng = np.random.default_rng(seed + index)
    phones = letters_to_phonemes(text) or [""]
    durations = np.array([0.05 if p == " " else 0.18 if p == "" else
                          (0.11 if any(c in VOWELS for c in p) else 0.07) for p in phones])
    durations *= rng.uniform(0.8, 1.2, size=len(durations))
    lead, tail = 0.08, 0.15
    total = lead + durations.sum() + tail
    if seconds is not None:
        scale = (seconds - lead - tail) / durations.sum()
        durations *= max(scale, 0.05)
        total = seconds
    n = int(round(total * sample_rate))
    t = np.arange(n) / sample_rate
    level = np.zeros(n, dtype=np.float32)
    spans = [PhonemeSpan(phoneme="", start=0.0, end=lead)]
    start = lead
    for phone, dur in zip(phones, durations):
        end = start + float(dur)
        spans.append(PhonemeSpan(phoneme="" if phone == " " else phone, start=start, end=end))
        if phone.strip():
            a, b = int(start * sample_rate), int(end * sample_rate)
            level[a:b] = 0.6 if any(c in VOWELS for c in phone) else 0.2
        start = end
    spans.append(PhonemeSpan(phoneme="", start=start, end=total))
    kernel = np.hanning(int(0.02 * sample_rate) | 1)
    level = np.convolve(level, kernel / kernel.sum(), mode="same").astype(np.float32)
    f0 = 120 + 15 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    voice = sum(np.sin(k * phase) / k for k in range(1, 6))
    audio = (0.25 * level * voice).astype(np.float32)
    return SpeechChunk(index=index, text=text, sample_rate=sample_rate, audio=audio, phonemes=spans,
                       emotion=emotion, intensity=intensity)
