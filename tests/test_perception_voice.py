"""Voice: prosody → arousal against a per-speaker baseline, the ONNX A/V/D loader, and bad audio.

Speech is synthesised with espeak-ng (the library and data that espeakng-loader bundles), so rate, pitch and
volume are set exactly; no recordings or mocks.
"""
from __future__ import annotations


import numpy as np
import pytest

from agent.audio import write_wav
from agent.perception.voice import OnnxVADModel, VoiceEmotionModel, prosody_features, voice_cue

SENTENCE = "I can't believe this happened to me today, it is so unfair."


def speak(text: str, rate: int = 175, pitch: int = 50, volume: int = 100, pitch_range: int = 50) -> tuple[np.ndarray, int]:
    """espeak-ng speech as float32 samples and their rate (espeak parameters: words/min, 0–100, 0–200, 0–100),
    through the project's one espeak wrapper (the library is process-global)."""
    from agent.speech.tts import espeak_raw

    return espeak_raw(text, "en-us", rate, pitch, pitch_range, volume)


def calm() -> tuple[np.ndarray, int]:
    return speak(SENTENCE, rate=150, pitch=40, volume=60, pitch_range=40)


def aroused() -> tuple[np.ndarray, int]:
    return speak(SENTENCE, rate=240, pitch=80, volume=160, pitch_range=90)


@pytest.fixture(scope="module")
def model(settings) -> VoiceEmotionModel:
    m = VoiceEmotionModel(settings.data_dir)
    m.setup()
    return m


def test_features_follow_what_was_synthesised():
    low = prosody_features(*calm())
    high = prosody_features(*aroused())
    assert high["loudness_db"] > low["loudness_db"] + 5
    assert high["pitch_st"] > low["pitch_st"] + 3
    assert high["rate"] > low["rate"]
    assert 0.5 < low["voiced_s"] <= low["active_s"] <= low["duration_s"]


def test_aroused_speech_has_higher_arousal_than_calm_on_a_first_turn(model):
    model.reset()
    quiet = model.analyze(calm()[0], speaker_id="a", rate=calm()[1]).estimate
    loud = model.analyze(aroused()[0], speaker_id="b", rate=aroused()[1]).estimate
    assert quiet.modality == loud.modality == "voice"
    assert loud.vad.arousal > quiet.vad.arousal + 0.3
    assert loud.vad.dominance > quiet.vad.dominance
    assert loud.vad.valence == 0.0  # valence comes from the words
    assert "than a typical voice" in loud.cues[0]  # no baseline yet: compared with the population prior


def test_baseline_makes_the_same_voice_neutral_and_a_change_stand_out(model):
    model.reset()
    samples, rate = speak(SENTENCE)
    first = model.analyze(samples, speaker_id="c", rate=rate)
    for other in ("Well, I went to the shop and then came home.", "It was an ordinary day at work, nothing much."):
        model.analyze(speak(other)[0], speaker_id="c", rate=rate)
    usual = model.analyze(speak("And then I had some dinner and watched the news.")[0], speaker_id="c", rate=rate)
    assert usual.estimate.label == "neutral" and abs(usual.estimate.vad.arousal) < 0.35
    assert usual.estimate.confidence > first.estimate.confidence  # a known speaker is read with more trust
    samples, rate = aroused()
    excited = model.analyze(samples, speaker_id="c", rate=rate)
    assert excited.estimate.vad.arousal > 0.5
    assert "louder" in excited.estimate.cues[0] and "than your usual" in excited.estimate.cues[0]
    assert excited.z["loudness_db"] > 1


def test_file_and_bytes_input(model, tmp_path):
    samples, rate = speak(SENTENCE)
    path = write_wav(tmp_path / "s.wav", samples, rate)
    from_file = model.analyze(path, speaker_id="f", update_baseline=False)
    from_bytes = model.analyze(path.read_bytes(), speaker_id="f", update_baseline=False)
    assert from_file.estimate is not None and from_bytes.estimate is not None
    assert from_file.features == from_bytes.features


@pytest.mark.parametrize("audio, expected", [
    (np.zeros(16000, dtype=np.float32), "silent"),
    (b"this is not audio at all" * 10, "not audio we can read"),
    (b"", "empty"),
    (np.array([0.0, np.nan, 0.1], dtype=np.float32), "invalid samples"),
    ("/nonexistent/voice.wav", "not found"),
])
def test_bad_audio_is_a_warning_not_a_crash(model, audio, expected):
    result = model.analyze(audio, speaker_id="bad")
    assert result.estimate is None
    assert any(expected in w for w in result.warnings), result.warnings


def test_too_short_and_clipped_audio_are_flagged(model):
    samples, rate = speak("Hi.")
    short = model.analyze(samples[: int(rate * 0.2)], speaker_id="s", rate=rate, update_baseline=False)
    assert any("shorter than 0.3 s" in w for w in short.warnings)
    samples, rate = speak(SENTENCE)
    clipped = model.analyze(np.clip(samples * 20, -1, 1), speaker_id="s", rate=rate, update_baseline=False)
    assert any("clipped" in w for w in clipped.warnings)
    normal = model.analyze(samples, speaker_id="s", rate=rate, update_baseline=False)
    assert clipped.estimate.confidence < normal.estimate.confidence


def test_voice_cue_wording():
    assert voice_cue({"loudness_db": 1.5, "rate": 1.0, "pitch_st": 0.1}, True) == "louder and faster than your usual"
    assert voice_cue({"loudness_db": -1.2}, False) == "quieter than a typical voice"
    assert voice_cue({"loudness_db": 0.2}, True) == "close to your usual"


# -- the ONNX loader, on tiny models built here with the onnx package -------------------------------------------
def tiny_vad_onnx(path, scale=(1.0, 1.0, 1.0), bias=(0.0, 0.0, 0.0), extra_output=False):
    """[1, n] waveform → [1, 3] = (mean|x|, mean x, mean|x|) · scale + bias; optionally a first [1, 5] output."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    nodes = [
        helper.make_node("Abs", ["wave"], ["absolute"]),
        helper.make_node("ReduceMean", ["absolute"], ["abs_mean"], keepdims=1, axes=[1]),
        helper.make_node("ReduceMean", ["wave"], ["mean"], keepdims=1, axes=[1]),
        helper.make_node("Concat", ["abs_mean", "mean", "abs_mean"], ["stats"], axis=1),
        helper.make_node("Mul", ["stats", "scale"], ["scaled"]),
        helper.make_node("Add", ["scaled", "bias"], ["vad"]),
    ]
    outputs = [helper.make_tensor_value_info("vad", TensorProto.FLOAT, [1, 3])]
    if extra_output:
        nodes.append(helper.make_node("Tile", ["abs_mean", "reps"], ["hidden"]))
        outputs.insert(0, helper.make_tensor_value_info("hidden", TensorProto.FLOAT, [1, 5]))
    inits = [numpy_helper.from_array(np.array([scale], dtype=np.float32), "scale"),
             numpy_helper.from_array(np.array([bias], dtype=np.float32), "bias")]
    if extra_output:
        inits.append(numpy_helper.from_array(np.array([1, 5], dtype=np.int64), "reps"))
    graph = helper.make_graph(nodes, "tiny_vad", [helper.make_tensor_value_info("wave", TensorProto.FLOAT, [1, None])],
                              outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def test_onnx_loader_reads_order_and_range(tmp_path):
    path = tiny_vad_onnx(tmp_path / "vad.onnx", bias=(0.5, 0.5, 0.5))
    wave = np.full(16000, 0.25, dtype=np.float32)  # abs-mean 0.25, mean 0.25 → outputs 0.75, 0.75, 0.75
    default = OnnxVADModel(path)  # (arousal, dominance, valence) in (0, 1)
    vad = default.predict(wave)
    assert vad.arousal == pytest.approx(0.5) and vad.dominance == pytest.approx(0.5) and vad.valence == pytest.approx(0.5)

    signed = np.concatenate([np.full(8000, 0.5), np.full(8000, -0.1)]).astype(np.float32)  # abs-mean .3, mean .2
    model = OnnxVADModel(path, order=("valence", "arousal", "dominance"), output_range=(-1.0, 1.0))
    vad = model.predict(signed)
    assert vad.valence == pytest.approx(0.8, abs=1e-4)  # 0.3 + 0.5
    assert vad.arousal == pytest.approx(0.7, abs=1e-4)  # 0.2 + 0.5
    assert vad.dominance == pytest.approx(0.8, abs=1e-4)


def test_onnx_loader_finds_the_three_value_output_and_clips(tmp_path):
    path = tiny_vad_onnx(tmp_path / "vad2.onnx", scale=(10.0, 10.0, 10.0), extra_output=True)
    vad = OnnxVADModel(path, output_range=(0.0, 1.0)).predict(np.full(1600, 0.5, dtype=np.float32))
    assert vad.arousal == 1.0 and vad.valence == 1.0  # 5.0 in a (0, 1) range clips to the top
    with pytest.raises(ValueError, match="no output 'logits'"):
        OnnxVADModel(path, output="logits")


def test_onnx_loader_errors_are_plain(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        OnnxVADModel(tmp_path / "missing.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not an ONNX model"):
        OnnxVADModel(junk)
    path = tiny_vad_onnx(tmp_path / "ok.onnx")
    with pytest.raises(ValueError, match="order"):
        OnnxVADModel(path, order=("arousal", "arousal", "valence"))


def test_voice_model_with_onnx_backend_uses_its_valence(settings, tmp_path):
    path = tiny_vad_onnx(tmp_path / "vad.onnx", scale=(0.0, 0.0, 0.0), bias=(0.8, 0.75, 0.9))
    model = VoiceEmotionModel(settings.data_dir, OnnxVADModel(path))  # arousal .8, dominance .75, valence .9 in (0, 1)
    samples, rate = speak(SENTENCE)
    estimate = model.analyze(samples, rate=rate).estimate
    assert estimate.vad.arousal == pytest.approx(0.6) and estimate.vad.valence == pytest.approx(0.8)
    assert estimate.label == "joy"
