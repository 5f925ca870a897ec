"""Perceiver and `attune perceive`: real text model, espeak-ng speech, the astronaut photo; bad inputs."""
from __future__ import annotations

import json

import numpy as np
import pytest

from agent.audio import write_wav
from agent.cli import main
from agent.embeddings import shared_embedder
from agent.perception.perceiver import Perceiver
from test_perception_voice import SENTENCE, aroused, speak, tiny_vad_onnx

skimage_data = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def perceiver(settings) -> Perceiver:
    return Perceiver(settings, shared_embedder(settings.embedder(), settings.torch_threads)).setup()


@pytest.fixture(scope="module")
def astronaut_png(tmp_path_factory) -> str:
    import cv2

    path = tmp_path_factory.mktemp("img") / "astronaut.png"
    cv2.imwrite(str(path), skimage_data.astronaut()[:, :, ::-1])
    return str(path)


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory) -> str:
    samples, rate = speak(SENTENCE)
    return str(write_wav(tmp_path_factory.mktemp("wav") / "speech.wav", samples, rate))


def test_text_only_matches_the_text_model(perceiver):
    state = perceiver.perceive("I lost my job today and I feel awful.")
    assert state.voice is None and state.face is None
    assert state.fused.label == state.text.label == "sadness"
    assert state.fused.cues == state.text.cues
    assert state.explanation.startswith("words: sadness")
    assert set(state.timings_ms) == {"text", "fusion"}


def test_text_and_voice(perceiver, speech_wav):
    perceiver.reset()
    state = perceiver.perceive("This is so unfair, I can't believe it.", audio=speech_wav, speaker_id="t1")
    assert state.voice is not None and state.voice.modality == "voice"
    assert "voice: " in state.explanation
    assert state.signals["voice"]["active_s"] > 1 and "loudness_db" in state.signals["voice_z"]
    assert state.fused.vad.valence == pytest.approx(state.text.vad.valence, abs=0.1)
    assert state.timings_ms["voice"] < 2000


def test_voice_baseline_is_per_speaker(perceiver):
    perceiver.reset()
    for _ in range(2):
        samples, rate = speak("Well, I went to the shop and then I came home again.")
        perceiver.perceive(None, audio=samples, speaker_id="steady", audio_rate=rate)
    samples, rate = aroused()
    known = perceiver.perceive(None, audio=samples, speaker_id="steady", audio_rate=rate)
    assert "than your usual" in known.voice.cues[0]
    stranger = perceiver.perceive(None, audio=samples, speaker_id="new", audio_rate=rate)
    assert "than a typical voice" in stranger.voice.cues[0]


def test_smiling_photo_with_sad_words_may_be_masking(perceiver, astronaut_png):
    state = perceiver.perceive("I lost my job today and I feel awful.", image=astronaut_png)
    assert state.face.label == "joy"
    assert state.disagreement and state.disagreement[0].startswith("may be masking: smiling face")
    assert "face: smiling" in state.explanation and "may be masking" in state.explanation
    assert state.signals["face"]["faces"] == 1


def test_image_array_and_bytes(perceiver, astronaut_png):
    from pathlib import Path

    as_bytes = perceiver.perceive(None, image=Path(astronaut_png).read_bytes())
    as_array = perceiver.perceive(None, image=skimage_data.astronaut())
    assert as_bytes.fused.label == as_array.fused.label == "joy"
    assert as_array.explanation == f"face: smiling {as_array.face.confidence:.2f}"


def test_bad_audio_and_no_face_leave_the_words(perceiver):
    state = perceiver.perceive("I'm really happy today!", audio=b"garbage bytes, not audio" * 4,
                               image=np.full((200, 200, 3), 40, dtype=np.uint8))
    assert state.text is not None and state.voice is None and state.face is None
    assert state.fused.label == state.text.label
    assert any(w.startswith("voice: this file is not audio") for w in state.warnings)
    assert "face: no face found in the image" in state.warnings
    assert state.explanation.endswith("face: no face found in the image")
    assert "; voice: this file is not audio" in state.explanation


def test_only_bad_input_says_why(perceiver):
    state = perceiver.perceive(None, audio=np.zeros(16000, dtype=np.float32))
    assert state.fused.label == "neutral" and state.fused.confidence == 0
    assert state.explanation == "voice: the audio is silent"


def test_onnx_voice_model_from_settings(settings, perceiver, tmp_path):
    from agent.perception.settings import PerceptionSettings

    path = tiny_vad_onnx(tmp_path / "vad.onnx", scale=(0.0, 0.0, 0.0), bias=(0.9, 0.8, 0.1))  # A .8, D .6, V -.8
    custom = settings.model_copy(update={"perception": PerceptionSettings(voice_onnx_path=path)})
    onnx_perceiver = Perceiver(custom, perceiver.embedder, text_model=perceiver.text_model)
    samples, rate = speak(SENTENCE)
    state = onnx_perceiver.perceive("I am fine.", audio=samples, audio_rate=rate)
    assert state.voice.vad.valence == pytest.approx(-0.8) and state.voice.vad.arousal == pytest.approx(0.8)
    assert onnx_perceiver.fusion_config().dimension_weights["voice"][0] > 0.5  # a trained model's valence counts
    assert state.fused.vad.valence < state.text.vad.valence
    missing = settings.model_copy(update={"perception": PerceptionSettings(voice_onnx_path=tmp_path / "nope.onnx")})
    with pytest.raises(FileNotFoundError, match="voice ONNX model not found"):
        Perceiver(missing, perceiver.embedder).perceive(None, audio=samples, audio_rate=rate)


# -- the command line -------------------------------------------------------------------------------------------
def run(capsys, *argv) -> tuple[int, dict]:
    code = main(["perceive", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_cli_text_and_image(capsys, astronaut_png):
    code, out = run(capsys, "--text", "I lost my job today and I feel awful.", "--image", astronaut_png)
    assert code == 0
    assert {"text", "voice", "face", "fused", "explanation", "disagreement", "warnings"} <= set(out)
    fused = out["fused"]
    assert fused["label"] in fused["scores"] and 0 <= fused["confidence"] <= 1
    assert all(-1 <= fused["vad"][k] <= 1 for k in ("valence", "arousal", "dominance"))
    assert out["face"]["label"] == "joy" and out["voice"] is None
    assert fused["cues"] and "may be masking" in out["explanation"]


def test_cli_audio_only(capsys, speech_wav):
    code, out = run(capsys, "--audio", speech_wav)
    assert code == 0 and out["text"] is None and out["voice"]["modality"] == "voice"


@pytest.mark.parametrize("argv, message", [
    ((), "give at least one of --text, --audio, --image or --video"),
    (("--video", "/nonexistent/me.mp4"), "--video: file not found"),
    (("--text", "hi", "--image", "/nonexistent/me.jpg"), "--image: file not found"),
    (("--audio", "/nonexistent/me.wav"), "--audio: file not found"),
])
def test_cli_errors_are_one_line(capsys, argv, message):
    code = main(["perceive", *argv, "--json"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 2 and len(lines) == 1
    assert message in json.loads(lines[0])["error"]
