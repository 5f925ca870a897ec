"""Phoneme timeline → visemes → smooth mouth-parameter curves (coarticulation), or the audio envelope as a fallback."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from .data import MOUTH, visemes


@dataclass(frozen=True)
class VisemeEvent:
    viseme: str
    start: float
    end: float
    phoneme: str = ""
    stressed: bool = False

    def as_dict(self) -> dict:
        return {"viseme": self.viseme, "start": round(self.start, 4), "end": round(self.end, 4),
                "phoneme": self.phoneme, "stressed": self.stressed}


def _clean(phoneme: str, ignore: str) -> tuple[str, bool]:
    text = unicodedata.normalize("NFC", phoneme or "")
    stressed = "ˈ" in text
    return "".join(ch for ch in text if ch not in ignore and not unicodedata.combining(ch)), stressed


def phoneme_visemes(phoneme: str) -> list[str]:
    """One IPA phoneme (espeak-ng/Piper symbols, stress and length marks allowed) → one or two visemes."""
    table = visemes()
    symbols, _ = _clean(phoneme, table["ignore"])
    if not symbols.strip():
        return ["sil"] if phoneme.strip() == "" or not phoneme else []
    if symbols in table["diphthongs"]:
        return list(table["diphthongs"][symbols])
    mapping = table["_phonemes_nfc"]
    if symbols in mapping:
        return [mapping[symbols]]
    out = []  # several symbols in one span: map each, merge repeats
    for ch in symbols:
        v = mapping.get(ch) or (table["fallback"]["vowel"] if ch in table["vowels"] else
                                table["fallback"]["consonant"] if ch.isalpha() else None)
        if v and (not out or out[-1] != v):
            out.append(v)
    return out or [table["fallback"]["consonant"]]


def viseme_events(phonemes) -> list[VisemeEvent]:
    """PhonemeSpans → VisemeEvents (diphthongs split 60/40; stress marks flag the next vowel; marks alone vanish)."""
    ignore = visemes()["ignore"]
    events: list[VisemeEvent] = []
    pending_stress = False
    for span in phonemes:
        start, end = float(span.start), float(span.end)
        if end < start:
            start, end = end, start
        _, stressed = _clean(span.phoneme, ignore)
        names = phoneme_visemes(span.phoneme)
        if not names:  # a stress or length mark on its own
            pending_stress = pending_stress or stressed
            continue
        is_vowel = names[0] in {"aa", "E", "ih", "oh", "ou"}
        flag = (stressed or pending_stress) and is_vowel
        if is_vowel:
            pending_stress = False
        if len(names) == 1:
            events.append(VisemeEvent(names[0], start, end, span.phoneme, flag))
        else:
            cut = start + 0.6 * (end - start)
            events.append(VisemeEvent(names[0], start, cut, span.phoneme, flag))
            events.append(VisemeEvent(names[1], cut, end, span.phoneme, False))
    return events


def mouth_curves(events: list[VisemeEvent], frame_times: np.ndarray, fps: float) -> np.ndarray:
    """(n_frames, 6) mouth parameters (MOUTH order) at frame_times (seconds, chunk-local).

    Dominance-weighted Gaussian smoothing of the piecewise-constant viseme targets, sampled at ``sample_hz``;
    per frame, ``close`` is the max over the frame's window (a short /p/ is never skipped), the rest the mean.
    """
    table = visemes()
    co = table["coarticulation"]
    hz, sigma, lead = float(co["sample_hz"]), co["sigma_ms"] / 1000.0, co["lead_ms"] / 1000.0
    n = len(frame_times)
    if n == 0:
        return np.zeros((0, len(MOUTH)))
    t0 = float(frame_times[0]) - 0.5 / fps - 4 * sigma
    t1 = float(frame_times[-1]) + 0.5 / fps + 4 * sigma
    grid = t0 + np.arange(int(np.ceil((t1 - t0) * hz)) + 1) / hz
    vis = table["visemes"]
    sil = vis["sil"]
    targets = np.tile([sil[k] for k in MOUTH], (len(grid), 1)).astype(np.float64)
    dominance = np.full(len(grid), sil["dominance"])
    for ev in events:
        a = np.searchsorted(grid, ev.start - lead)
        b = max(np.searchsorted(grid, ev.end - lead), a + 1)
        v = vis[ev.viseme]
        targets[a:b] = [v[k] for k in MOUTH]
        dominance[a:b] = v["dominance"]
    half = int(np.ceil(3 * sigma * hz))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / (sigma * hz)) ** 2)
    num = np.stack([np.convolve(targets[:, j] * dominance, kernel, mode="same") for j in range(len(MOUTH))], axis=1)
    den = np.convolve(dominance, kernel, mode="same")[:, None]
    smooth = num / np.maximum(den, 1e-9)
    # bilabial closure: the kernel-smoothed share of time with the lips shut, sharpened
    out = np.empty((n, len(MOUTH)))
    half_frame = 0.5 / fps
    lo = np.searchsorted(grid, frame_times - half_frame)
    hi = np.maximum(np.searchsorted(grid, frame_times + half_frame), lo + 1)
    ci = MOUTH.index("close")
    for i in range(n):
        window = smooth[lo[i]:hi[i]]
        out[i] = window.mean(axis=0)
        out[i, ci] = window[:, ci].max()
    out[:, ci] = np.clip((out[:, ci] - 0.3) / 0.45, 0, 1)  # sharpened: lips either meet or they don't
    return out


def envelope_curves(audio: np.ndarray, sample_rate: int, frame_times: np.ndarray) -> np.ndarray:
    """Fallback without phonemes: mouth opening from the loudness envelope, spread varying with it."""
    n = len(frame_times)
    out = np.zeros((n, len(MOUTH)))
    if n == 0 or audio.size == 0:
        return out
    hop = max(1, sample_rate // 100)
    frames = audio[: len(audio) // hop * hop].reshape(-1, hop) if len(audio) >= hop else audio.reshape(1, -1)
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    ref = np.percentile(rms, 95) if rms.size else 0.0
    if ref <= 1e-5:
        return out
    level = np.clip(rms / ref, 0, 1.2)
    kernel = np.hanning(7)
    level = np.convolve(level, kernel / kernel.sum(), mode="same")
    idx = np.clip((frame_times * 100).astype(int), 0, len(level) - 1)
    lv = np.where((frame_times >= 0) & (frame_times <= len(audio) / sample_rate), level[idx], 0.0)
    gate = np.clip((lv - 0.08) / 0.2, 0, 1)
    out[:, MOUTH.index("open")] = np.clip(0.75 * lv, 0, 0.9) * gate
    out[:, MOUTH.index("wide")] = 0.15 + 0.2 * np.sin(frame_times * 9.0)
    out[:, MOUTH.index("teeth")] = 0.4 * gate
    return out
