"""Audio in: any common format and rate → mono float32 at the rate a stage asks for, with clear errors.

Decoding: soundfile (WAV, FLAC, OGG, MP3 where libsndfile has it), else the ffmpeg binary that imageio-ffmpeg
ships (webm/opus from browsers, m4a, …). Limits keep a 2-hour upload from eating the machine.
"""
from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import numpy as np

DEFAULT_MAX_SECONDS = 600.0
MAX_BYTES = 200 * 1024 * 1024


class AudioError(ValueError):
    """The audio cannot be used; the message says why in plain words."""


def _decode_with_ffmpeg(data: bytes, rate: int) -> np.ndarray:
    import imageio_ffmpeg

    # a temporary file, not a pipe: MP4/M4A often keep their index at the end, which ffmpeg must seek to
    with tempfile.NamedTemporaryFile(suffix=".media") as source:
        source.write(data)
        source.flush()
        cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", source.name, "-vn", "-f", "f32le", "-ac", "1",
               "-ar", str(rate), "pipe:1"]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=120)
        except subprocess.TimeoutExpired as error:
            raise AudioError("decoding the audio took too long") from error
    if proc.returncode != 0 or not proc.stdout:
        detail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no audio stream"]
        raise AudioError(f"this file is not audio we can read ({detail[0][:120]})")
    return np.frombuffer(proc.stdout, dtype=np.float32).copy()


def _from_array(samples: np.ndarray, source_rate: int, rate: int, max_seconds: float) -> np.ndarray:
    y = np.asarray(samples, dtype=np.float32)
    if y.ndim == 2:  # (n, channels) or (channels, n): mix to mono
        y = y.mean(axis=1 if y.shape[0] > y.shape[1] else 0)
    if y.ndim != 1:
        raise AudioError(f"audio arrays must be 1-D (or 2-D with channels), not shape {y.shape}")
    if y.size == 0:
        raise AudioError("the audio has no samples")
    if not np.all(np.isfinite(y)):
        raise AudioError("the audio contains invalid samples (NaN or infinity)")
    if y.size / source_rate > max_seconds:
        raise AudioError(f"the audio is {y.size / source_rate / 60:.1f} minutes long; the limit is {max_seconds / 60:.1f} minutes")
    if source_rate != rate:
        import librosa

        y = librosa.resample(y, orig_sr=source_rate, target_sr=rate, res_type="soxr_hq")
    return np.clip(y, -1.0, 1.0).astype(np.float32)


def load_audio(source: str | Path | bytes | np.ndarray, rate: int = 16000, max_seconds: float = DEFAULT_MAX_SECONDS,
               source_rate: int | None = None) -> np.ndarray:
    """Mono float32 samples in [-1, 1] at ``rate`` Hz from a path, encoded bytes, or an array of samples at
    ``source_rate`` (default: ``rate``). Raises AudioError for empty, corrupt, invalid or too-long input."""
    if isinstance(source, np.ndarray):
        return _from_array(source, source_rate or rate, rate, max_seconds)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise AudioError(f"audio file not found: {path}")
        if path.stat().st_size > MAX_BYTES:
            raise AudioError(f"the audio file is {path.stat().st_size / 1e6:.0f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB")
        data = path.read_bytes()
    else:
        data = bytes(source)
    if not data:
        raise AudioError("the audio is empty (0 bytes)")
    if len(data) > MAX_BYTES:
        raise AudioError(f"the audio is {len(data) / 1e6:.0f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB")
    try:
        import soundfile as sf

        info = sf.info(io.BytesIO(data))
        if info.duration > max_seconds:
            raise AudioError(f"the audio is {info.duration / 60:.1f} minutes long; the limit is {max_seconds / 60:.1f} minutes")
        samples, source_rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
        samples = samples.mean(axis=1)
        if source_rate != rate and samples.size:
            import librosa

            samples = librosa.resample(samples, orig_sr=source_rate, target_sr=rate, res_type="soxr_hq")
    except AudioError:
        raise
    except Exception:  # noqa: BLE001 — not a format libsndfile knows: let ffmpeg try
        samples = _decode_with_ffmpeg(data, rate)
    if samples.size == 0:
        raise AudioError("the audio has no samples")
    if samples.size / rate > max_seconds:
        raise AudioError(f"the audio is {samples.size / rate / 60:.1f} minutes long; the limit is {max_seconds / 60:.1f} minutes")
    if not np.all(np.isfinite(samples)):
        raise AudioError("the audio contains invalid samples (NaN or infinity)")
    return np.clip(samples, -1.0, 1.0).astype(np.float32)


def audio_quality(samples: np.ndarray, rate: int) -> list[str]:
    """Plain-words warnings about audio that will perceive badly (silence, clipping, very short)."""
    warnings = []
    if samples.size < rate * 0.3:
        warnings.append("the audio is shorter than 0.3 s")
    peak = float(np.abs(samples).max()) if samples.size else 0.0
    if peak < 1e-3:
        warnings.append("the audio is silent")
    elif np.mean(np.abs(samples) > 0.99) > 0.001:
        warnings.append("the audio is clipped (too loud); emotion from the voice may be off")
    return warnings


def write_wav(path: str | Path, samples: np.ndarray, rate: int) -> Path:
    import soundfile as sf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.asarray(samples, dtype=np.float32), rate, subtype="PCM_16")
    return path
