"""Voice: prosody → arousal and dominance, against a running per-speaker baseline; plus a drop-in ONNX A/V/D model.

No speech-emotion model ships (MODELS.md), so the default backend is prosodic. Per turn it measures, with librosa:
pitch (median and 10–90 % range in semitones, YIN; a frame counts as voiced when its autocorrelation at the YIN
period is > 0.7, which matches pYIN's voiced frames; pYIN took ~28× longer, 276 ms vs 10 ms for 3 s of speech), loudness (RMS dBFS of the active frames), speaking rate (onsets per second of
active speech) and spectral flux (mean onset strength). Each is z-scored against the speaker's previous turns (a
Welford running mean/variance, shrunk toward a population prior; the first turn is scored against the prior
alone, with population spreads, so it claims less). Arousal and dominance are tanh-squashed weighted sums of the
z-scores (weights below; louder, higher, wider, faster, more abrupt = more aroused; louder, faster and lower =
more dominant). Valence is 0: it comes from the words (the fusion gives voice valence almost no weight).

``OnnxVADModel(path)`` runs any ONNX arousal/valence/dominance regressor that takes a raw 16 kHz waveform [1, n]
(e.g. an export of audEERING's wav2vec2 MSP-Podcast model), with configurable output order and range.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from ..audio import AudioError, audio_quality, load_audio
from ..types import VAD, EmotionEstimate
from ..vad import emotion_vad_table, nearest_emotion

RATE = 16000
HOP = 160  # 10 ms frames
FRAME = 640  # 40 ms analysis window (YIN needs ≥ 2 periods of the lowest pitch, 65 Hz)
FMIN, FMAX = 65.0, 500.0
MIN_ACTIVE_S = 0.25
VOICED_PERIODICITY = 0.7  # autocorrelation at the pitch period above which a frame counts as voiced  # less active speech than this and the voice says nothing

FEATURES = ("pitch_st", "pitch_range_st", "loudness_db", "rate", "flux")
# population prior: (mean, population sd, typical within-speaker turn-to-turn sd)
# pitch in semitones re 100 Hz (8 st ≈ 160 Hz, between typical male ~120 Hz and female ~210 Hz voices);
# loudness in dBFS of active frames (recordings are normalised very differently: wide spread);
# rate in onsets per second of active speech (librosa onsets run above syllable rate: ~5.5/s for read speech);
# flux in librosa onset-strength units (mean mel-dB rise per frame; ~1.0–1.2 for read speech).
PRIOR: dict[str, tuple[float, float, float]] = {
    "pitch_st": (8.0, 5.0, 1.5),
    "pitch_range_st": (5.0, 2.5, 1.2),
    "loudness_db": (-24.0, 7.0, 3.0),
    "rate": (5.5, 1.5, 0.6),
    "flux": (1.1, 0.4, 0.2),
}
AROUSAL_WEIGHTS = {"loudness_db": 0.35, "pitch_st": 0.25, "pitch_range_st": 0.1, "rate": 0.15, "flux": 0.15}
DOMINANCE_WEIGHTS = {"loudness_db": 0.5, "rate": 0.2, "flux": 0.1, "pitch_st": -0.2}
SQUASH = 0.8  # arousal = tanh(SQUASH · Σ w·z): one sd up on everything ≈ +0.66
PRIOR_MEAN_WEIGHT = 0.5  # pseudo-turns of the population mean in the speaker's baseline
PRIOR_SD_WEIGHT = 2.0  # pseudo-turns of the within-speaker sd before the speaker's own spread is known
NEUTRAL_RADIUS = 0.3  # |VAD| below which the voice label is neutral
CUE_Z = 0.8  # |z| above which a feature is named in the cue
_CUE_WORDS = {
    "loudness_db": ("louder", "quieter"),
    "pitch_st": ("higher-pitched", "lower-pitched"),
    "pitch_range_st": ("more animated", "flatter"),
    "rate": ("faster", "slower"),
}


# -- features ---------------------------------------------------------------------------------------------
def prosody_features(samples: np.ndarray, rate: int = RATE, pitch_method: str = "yin") -> dict[str, float]:
    """Prosodic features of one utterance (mono float32 at ``rate``). Also active_s / voiced_s / duration_s."""
    import librosa

    y = np.asarray(samples, dtype=np.float32)
    if rate != RATE:
        y = librosa.resample(y, orig_sr=rate, target_sr=RATE, res_type="soxr_hq")
    duration = y.size / RATE
    if y.size < FRAME:
        return {"duration_s": duration, "active_s": 0.0, "voiced_s": 0.0}
    rms = librosa.feature.rms(y=y, frame_length=FRAME, hop_length=HOP, center=True)[0]
    db = 20 * np.log10(np.maximum(rms, 1e-6))
    # active = within 30 dB of the loud frames and above an absolute floor (-60 dBFS)
    active = (db > np.percentile(db, 95) - 30) & (db > -60)
    active_s = float(active.sum() * HOP / RATE)
    out = {"duration_s": duration, "active_s": active_s, "voiced_s": 0.0}
    if active_s < MIN_ACTIVE_S:
        return out
    if pitch_method == "pyin":
        f0, voiced_flag, _ = librosa.pyin(y, fmin=FMIN, fmax=FMAX, sr=RATE, frame_length=FRAME * 2, hop_length=HOP)
        voiced_flag = voiced_flag & np.isfinite(f0)
    else:
        f0 = librosa.yin(y, fmin=FMIN, fmax=FMAX, sr=RATE, frame_length=FRAME * 2, hop_length=HOP)
        # YIN answers for every frame: keep active frames that really repeat at the found period, off the range edges
        n = min(f0.size, active.size)
        voiced_flag = np.zeros(f0.size, dtype=bool)
        candidates = np.flatnonzero(active[:n] & (f0[:n] > FMIN * 1.05) & (f0[:n] < FMAX * 0.95))
        voiced_flag[candidates] = periodicity(y, f0, candidates) > VOICED_PERIODICITY
    n = min(f0.size, active.size)
    voiced = voiced_flag[:n] & active[:n]
    out["voiced_s"] = float(voiced.sum() * HOP / RATE)
    onset_env = librosa.onset.onset_strength(y=y, sr=RATE, hop_length=HOP)
    m = min(onset_env.size, active.size)
    onsets = librosa.onset.onset_detect(onset_envelope=onset_env, sr=RATE, hop_length=HOP, units="frames")
    onsets = [o for o in onsets if o < active.size and active[o]]
    out["loudness_db"] = float(20 * np.log10(max(float(np.sqrt(np.mean(rms[active] ** 2))), 1e-6)))
    out["rate"] = float(len(onsets) / active_s)
    out["flux"] = float(onset_env[:m][active[:m]].mean())
    if voiced.sum() >= 10:
        semitones = 12 * np.log2(f0[:n][voiced] / 100.0)
        semitones = _median_smooth(semitones)
        out["pitch_st"] = float(np.median(semitones))
        out["pitch_range_st"] = float(np.percentile(semitones, 90) - np.percentile(semitones, 10))
    return out


def periodicity(y: np.ndarray, f0: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation of each frame at its YIN period (±1 sample): near 1 for voiced speech."""
    import librosa

    width = FRAME * 2
    framed = librosa.util.frame(np.pad(y, width // 2), frame_length=width, hop_length=HOP)
    out = np.zeros(len(frames), dtype=np.float32)
    for j, i in enumerate(frames):
        if i >= framed.shape[1]:
            continue
        x = framed[:, i]
        period = int(round(RATE / f0[i]))
        for lag in (period - 1, period, period + 1):
            a, b = x[:-lag], x[lag:]
            norm = math.sqrt(float(a @ a) * float(b @ b))
            if norm > 0:
                out[j] = max(out[j], float(a @ b) / norm)
    return out


def _median_smooth(x: np.ndarray, width: int = 5) -> np.ndarray:
    """Median filter that removes single-frame octave jumps."""
    if x.size < width:
        return x
    pad = width // 2
    padded = np.pad(x, pad, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)
    return np.median(windows, axis=1)


# -- the per-speaker baseline ---------------------------------------------------------------------------------
@dataclass
class SpeakerBaseline:
    """Running (Welford) mean and variance of each feature over a speaker's turns."""

    n: dict[str, int] = field(default_factory=lambda: {k: 0 for k in FEATURES})
    mean: dict[str, float] = field(default_factory=lambda: {k: 0.0 for k in FEATURES})
    m2: dict[str, float] = field(default_factory=lambda: {k: 0.0 for k in FEATURES})

    @property
    def turns(self) -> int:
        return max(self.n.values())

    def reference(self, name: str) -> tuple[float, float]:
        """(mean, sd) to z-score against: the prior for a new speaker, then the speaker's own, shrunk to the prior."""
        prior_mean, population_sd, within_sd = PRIOR[name]
        n = self.n[name]
        if n == 0:
            return prior_mean, population_sd
        mean = (PRIOR_MEAN_WEIGHT * prior_mean + n * self.mean[name]) / (PRIOR_MEAN_WEIGHT + n)
        sd = math.sqrt((PRIOR_SD_WEIGHT * within_sd ** 2 + self.m2[name]) / (PRIOR_SD_WEIGHT + n - 1))
        return mean, max(sd, within_sd * 0.5)

    def z(self, features: dict[str, float]) -> dict[str, float]:
        out = {}
        for name in FEATURES:
            if name in features:
                mean, sd = self.reference(name)
                out[name] = float(np.clip((features[name] - mean) / sd, -4, 4))
        return out

    def update(self, features: dict[str, float]) -> None:
        for name in FEATURES:
            if name in features:
                self.n[name] += 1
                delta = features[name] - self.mean[name]
                self.mean[name] += delta / self.n[name]
                self.m2[name] += delta * (features[name] - self.mean[name])


# -- the ONNX backend -------------------------------------------------------------------------------------
class OnnxVADModel:
    """Any ONNX arousal/valence/dominance regressor over a raw 16 kHz waveform.

    Input: float32 [1, n] (the model's first input). Output: ``output`` (a name, or None for the first output
    with exactly three values), read in ``order`` and mapped from ``output_range`` to [-1, 1].
    audEERING's wav2vec2-large-robust MSP-Podcast model: order arousal, dominance, valence; range (0, 1);
    ``normalize=True`` (zero mean, unit variance input, as its feature extractor does).
    """

    def __init__(self, path: str | Path, order: Sequence[str] = ("arousal", "dominance", "valence"),
                 output_range: tuple[float, float] = (0.0, 1.0), output: str | None = None,
                 normalize: bool = False, threads: int = 1):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"voice ONNX model not found: {self.path}")
        if sorted(order) != ["arousal", "dominance", "valence"]:
            raise ValueError(f"order must name arousal, dominance and valence once each, not {list(order)}")
        low, high = output_range
        if not high > low:
            raise ValueError(f"output_range must be (low, high) with high > low, not {output_range}")
        self.order, self.output_range, self.output, self.normalize = tuple(order), (low, high), output, normalize
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only: keep CLI and JSON output clean
        try:
            self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # noqa: BLE001 — onnxruntime raises its own types for bad files
            raise ValueError(f"{self.path} is not an ONNX model we can run ({str(error)[:160]})") from error
        self.input_name = self.session.get_inputs()[0].name
        names = [o.name for o in self.session.get_outputs()]
        if output is not None and output not in names:
            raise ValueError(f"{self.path} has no output {output!r} (it has {names})")

    def predict(self, samples: np.ndarray) -> VAD:
        x = np.asarray(samples, dtype=np.float32).reshape(1, -1)
        if self.normalize:
            x = (x - x.mean()) / (x.std() + 1e-7)
        results = self.session.run(None if self.output is None else [self.output], {self.input_name: x})
        values = None
        for r in results:
            flat = np.asarray(r, dtype=np.float32).reshape(-1)
            if flat.size == 3:
                values = flat
                break
        if values is None:
            raise ValueError(f"{self.path}: no output with 3 values (got shapes {[np.shape(r) for r in results]})")
        low, high = self.output_range
        scaled = (values - low) / (high - low) * 2 - 1
        by_name = dict(zip(self.order, scaled.tolist()))
        return VAD.clipped(by_name["valence"], by_name["arousal"], by_name["dominance"])


# -- the modality ---------------------------------------------------------------------------------------------
@dataclass
class VoiceResult:
    estimate: EmotionEstimate | None
    features: dict[str, float] = field(default_factory=dict)
    z: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def voice_cue(z: dict[str, float], has_baseline: bool) -> str:
    """'louder and faster than your usual' from z-scores; 'close to your usual' when nothing stands out."""
    words = []
    for name, (up, down) in _CUE_WORDS.items():
        if name in z and abs(z[name]) >= CUE_Z:
            words.append((abs(z[name]), up if z[name] > 0 else down))
    reference = "your usual" if has_baseline else "a typical voice"
    if not words:
        return f"close to {reference}"
    names = [w for _, w in sorted(words, reverse=True)[:3]]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{joined} than {reference}"


def proximity_scores(vad: VAD, data_dir: Path, dims: Sequence[int] = (0, 1, 2), width: float = 0.35) -> dict[str, float]:
    """Category scores from closeness in VAD space (a Gaussian kernel over the chosen dimensions)."""
    table = emotion_vad_table(Path(data_dir))
    point = np.array(vad.as_tuple())[list(dims)]
    raw = {k: math.exp(-float(np.sum((v[list(dims)] - point) ** 2)) / (2 * width ** 2)) for k, v in table.items()}
    total = sum(raw.values()) or 1.0
    return {k: round(v / total, 4) for k, v in raw.items()}


class VoiceEmotionModel:
    """Audio → voice EmotionEstimate (arousal/dominance), keeping a prosodic baseline per speaker."""

    def __init__(self, data_dir: Path, onnx_model: OnnxVADModel | None = None, pitch_method: str = "yin",
                 max_seconds: float = 120.0):
        if pitch_method not in {"yin", "pyin"}:
            raise ValueError(f"pitch_method must be 'yin' or 'pyin', not {pitch_method!r}")
        self.data_dir = Path(data_dir)
        self.onnx = onnx_model
        self.pitch_method = pitch_method
        self.max_seconds = max_seconds
        self.baselines: dict[str, SpeakerBaseline] = {}
        self._lock = threading.Lock()
        self._warm = False

    def setup(self) -> None:
        """Warm librosa's numba kernels (the first call otherwise takes ~1.5–3 s) on half a second of a vowel."""
        if self._warm:
            return
        t = np.arange(int(RATE * 0.5)) / RATE
        tone = 0.1 * sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 6)) * (1 + 0.5 * np.sin(2 * np.pi * 4 * t))
        prosody_features(tone.astype(np.float32), RATE, self.pitch_method)
        self._warm = True

    def reset(self, speaker_id: str | None = None) -> None:
        with self._lock:
            if speaker_id is None:
                self.baselines.clear()
            else:
                self.baselines.pop(speaker_id, None)

    def load(self, audio: str | Path | bytes | np.ndarray, rate: int = RATE) -> np.ndarray:
        """16 kHz mono float32 from a path, encoded bytes, or an array (at ``rate``). Raises AudioError."""
        return load_audio(audio, rate=RATE, max_seconds=self.max_seconds, source_rate=rate)

    def analyze(self, audio: str | Path | bytes | np.ndarray, speaker_id: str = "user", rate: int = RATE,
                update_baseline: bool = True) -> VoiceResult:
        """Never raises for bad audio: unusable audio comes back with estimate None and a plain warning."""
        try:
            y = self.load(audio, rate)
        except AudioError as error:
            return VoiceResult(None, warnings=[f"voice: {error}"])
        self.setup()
        warnings = [f"voice: {w}" for w in audio_quality(y, RATE)]
        if any("silent" in w for w in warnings):
            return VoiceResult(None, warnings=warnings)
        features = prosody_features(y, RATE, self.pitch_method)
        if features["active_s"] < MIN_ACTIVE_S:
            warnings.append(f"voice: only {features['active_s']:.2f} s of speech; too little to read the voice")
            return VoiceResult(None, features=features, warnings=warnings)
        if "pitch_st" not in features:
            warnings.append("voice: no clear pitch found (whispered, noisy or not speech?)")
        with self._lock:
            baseline = self.baselines.setdefault(speaker_id, SpeakerBaseline())
            turns = baseline.turns
            z = baseline.z(features)
            if update_baseline:
                baseline.update(features)
        has_baseline = turns > 0
        arousal = math.tanh(SQUASH * _weighted(z, AROUSAL_WEIGHTS))
        dominance = math.tanh(SQUASH * _weighted(z, DOMINANCE_WEIGHTS))
        valence = 0.0
        cue = voice_cue(z, has_baseline)
        if self.onnx is not None:
            try:
                model_vad = self.onnx.predict(y)
                valence, arousal, dominance = model_vad.as_tuple()
            except Exception as error:  # noqa: BLE001 — a broken drop-in model must not stop the turn
                warnings.append(f"voice: the ONNX model failed ({str(error)[:120]}); used prosody")
        vad = VAD.clipped(valence, arousal, dominance)
        # confidence: more speech and a known speaker → more trust; damaged audio → less
        confidence = 0.25 + 0.25 * min(1.0, features["active_s"] / 2.0) + 0.3 * min(turns, 3) / 3
        if self.onnx is not None:
            confidence += 0.1
        if any("clipped" in w or "shorter" in w for w in warnings):
            confidence *= 0.5
        if "pitch_st" not in features:
            confidence *= 0.7
        # the category is only a hint (prosody cannot tell anger from joy): the nearest point to (V, A, D), or
        # neutral when the voice is close to its baseline
        scores = proximity_scores(vad, self.data_dir)
        strength = float(np.linalg.norm(vad.as_tuple()))
        label = nearest_emotion(vad, self.data_dir) if strength >= NEUTRAL_RADIUS else "neutral"
        estimate = EmotionEstimate(modality="voice", label=label, scores=scores, vad=vad,
                                   confidence=float(min(confidence, 1.0)), cues=[cue])
        return VoiceResult(estimate, features={k: round(v, 3) for k, v in features.items()},
                           z={k: round(v, 2) for k, v in z.items()}, warnings=warnings)


def _weighted(z: dict[str, float], weights: dict[str, float]) -> float:
    """Weighted sum over the features that were measured, rescaled so missing ones do not shrink it."""
    present = {k: w for k, w in weights.items() if k in z}
    if not present:
        return 0.0
    scale = sum(abs(w) for w in weights.values()) / sum(abs(w) for w in present.values())
    return scale * sum(w * z[k] for k, w in present.items())
