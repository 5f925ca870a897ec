"""Speech recognition with the packaged Whisper tiny.en: TTS → ASR round trip, and bad input handled clearly."""
from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import soundfile as sf
import soxr

from agent.audio import AudioError
from agent.config import Settings
from agent.speech.analysis import wer
from agent.speech.asr import load_asr, transcribe_file
from agent.speech.tts import concatenate, load_tts
from agent.speech.types import VoiceProfile

SENTENCES = [
    "I lost my job today and I feel like a failure.",
    "My best friend ignored me at the party.",
    "I can't sleep because I keep worrying about money.",
    "Thank you for listening to me tonight.",
]


@pytest.fixture(scope="module")
def settings() -> Settings:
    s = Settings()
    s.speech.tts_deterministic = True
    return s


@pytest.fixture(scope="module")
def asr(settings):
    backend = load_asr(settings)
    backend.setup()
    return backend


@pytest.fixture(scope="module")
def spoken(settings) -> dict[str, tuple[np.ndarray, int]]:
    tts = load_tts(settings, VoiceProfile(engine="piper", voice="joe"))
    out = {}
    for text in SENTENCES:
        audio, rate, _ = concatenate(list(tts.synthesize(text, "neutral", 0.5)))
        out[text] = (audio, rate)
    return out


def test_round_trip_wer(asr, spoken):
    errors, words = 0.0, 0
    for text, (audio, rate) in spoken.items():
        transcript = asr.transcribe(audio, rate)
        n = len(text.split())
        errors += wer(text, transcript.text) * n
        words += n
        assert transcript.language == "en" and transcript.words
        starts = [w.start for w in transcript.words]
        assert starts == sorted(starts) and transcript.words[-1].end <= transcript.duration + 0.05
    assert errors / words <= 0.1


def test_wer_function():
    assert wer("I feel sad", "i feel sad.") == 0
    assert wer("I feel sad", "I feel") == pytest.approx(1 / 3)
    assert wer("a b", "a x b y") == 1.0


def test_files_telephone_stereo_and_cli(settings, spoken, tmp_path, capsys):
    text = SENTENCES[0]
    audio, rate = spoken[text]
    phone = tmp_path / "phone.wav"   # 8 kHz telephone band
    sf.write(phone, soxr.resample(audio, rate, 8000), 8000, subtype="PCM_16")
    assert wer(text, transcribe_file(settings, phone).text) <= 0.2
    stereo = tmp_path / "stereo.flac"  # 44.1 kHz stereo, another container
    x = soxr.resample(audio, rate, 44100)
    sf.write(stereo, np.stack([x, 0.5 * x], axis=1), 44100)
    assert wer(text, transcribe_file(settings, stereo).text) <= 0.1

    from agent.cli import main

    assert main(["transcribe", str(stereo), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert {"text", "words", "language", "duration", "warnings"} <= payload.keys()
    assert payload["words"][0].keys() >= {"word", "start", "end"}


def test_silence_and_noise_give_no_words(asr):
    silent = asr.transcribe(np.zeros(32000, dtype=np.float32), 16000)
    assert silent.text == "" and "no speech detected" in silent.warnings
    rng = np.random.default_rng(0)
    for level in (0.02, 0.2):
        noisy = asr.transcribe((rng.standard_normal(48000) * level).astype(np.float32), 16000)
        assert noisy.text == "" and "no speech detected" in noisy.warnings


def test_clipped_audio_warns_but_transcribes(asr, spoken):
    audio, rate = spoken[SENTENCES[1]]
    clipped = np.clip(audio * 20, -1, 1)
    transcript = asr.transcribe(clipped, rate)
    assert any("clipped" in w for w in transcript.warnings)
    assert wer(SENTENCES[1], transcript.text) <= 0.5


def test_bad_files_have_clear_messages(settings, tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        transcribe_file(settings, empty)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00junk" + bytes(range(256)) * 8)
    with pytest.raises(AudioError, match="not audio we can read"):
        transcribe_file(settings, corrupt)
    with pytest.raises(AudioError, match="not found"):
        transcribe_file(settings, tmp_path / "missing.wav")
    # a real 2-hour file (8 kHz, 8-bit: 58 MB, sparse on disk) is refused before decoding
    long = tmp_path / "two_hours.wav"
    n = 2 * 3600 * 8000
    with open(long, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 36 + n) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8)
                + b"data" + struct.pack("<I", n))
        f.truncate(44 + n)
    with pytest.raises(AudioError, match="limit"):
        transcribe_file(settings, long)
    with pytest.raises(AudioError, match="limit"):
        load_asr(settings.model_copy(update={"speech": settings.speech.model_copy(
            update={"max_audio_seconds": 1.0})})).transcribe(np.zeros(32000, dtype=np.float32), 16000)


def test_cli_error_is_json_not_traceback(tmp_path, capsys):
    from agent.cli import main

    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"\x00" * 100)
    assert main(["transcribe", str(bad), "--json"]) == 2
    assert "error" in json.loads(capsys.readouterr().out)
