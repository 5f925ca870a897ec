"""Measure prosody on audio: F0 median (pYIN), RMS level, duration, speaking rate. Used by tests, `attune say`
and the prosody table's calibration, so that "sad is slower, lower and softer" is a measured claim."""
from __future__ import annotations

import numpy as np


def measure(audio: np.ndarray, sample_rate: int, n_phonemes: int | None = None) -> dict:
    import librosa

    y = np.asarray(audio, dtype=np.float32)
    frame = 1024 if sample_rate >= 16000 else 512
    rms = librosa.feature.rms(y=y, frame_length=frame, hop_length=frame // 4)[0]
    voiced_rms = rms[rms > 0.1 * (rms.max() if rms.size else 0)]
    f0, voiced, _ = librosa.pyin(y, fmin=60, fmax=400, sr=sample_rate, frame_length=frame * 2)
    f0 = f0[voiced & np.isfinite(f0)] if f0 is not None else np.zeros(0)
    # active speech time: frames above -40 dB relative to the loudest (excludes the trailing sentence pause)
    active = float(np.mean(rms > 0.01 * rms.max())) * len(y) / sample_rate if rms.size else 0.0
    out = {
        "duration_s": round(len(y) / sample_rate, 3),
        "active_speech_s": round(active, 3),
        "f0_median_hz": round(float(np.median(f0)), 1) if f0.size else None,
        "f0_range_semitones": round(float(12 * np.log2(np.percentile(f0, 95) / np.percentile(f0, 5))), 2) if f0.size > 4 else None,
        "rms_dbfs": round(float(20 * np.log10(max(np.sqrt(np.mean(voiced_rms ** 2)) if voiced_rms.size else 0, 1e-10))), 1),
    }
    if n_phonemes and active > 0:
        out["phonemes_per_s"] = round(n_phonemes / active, 2)
    return out


def _words(text: str) -> list[str]:
    import re

    text = text.lower().replace("’", "'")
    return re.findall(r"[a-z0-9']+", text)


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: (substitutions + deletions + insertions) / reference words (case and punctuation ignored)."""
    ref, hyp = _words(reference), _words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[-1] / len(ref)
