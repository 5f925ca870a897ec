"""Fusion: any subset of modalities, weights in VAD space, disagreement flags and the explanation."""
from __future__ import annotations

import pytest

from agent.perception.fusion import RELIABILITY, FusionConfig, find_disagreements, fuse
from agent.types import VAD, EmotionEstimate
from agent.vad import expected_vad

LABELS = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")


def estimate(modality, scores, data_dir, cues=(), vad=None, confidence=None, fine=None):
    full = {k: scores.get(k, 0.0) for k in LABELS}
    label = max(full, key=full.get)
    return EmotionEstimate(modality=modality, label=label, scores=full, fine_label=fine,
                           vad=vad or expected_vad(full, data_dir),
                           confidence=full[label] if confidence is None else confidence, cues=list(cues))


@pytest.fixture
def sad_words(settings):
    return estimate("text", {"sadness": 0.8, "neutral": 0.1, "fear": 0.1}, settings.data_dir,
                    cues=["I lost my job"], fine="devastated")


@pytest.fixture
def smiling_face(settings):
    return estimate("face", {"joy": 0.95, "neutral": 0.05}, settings.data_dir, cues=["face: smiling 0.95"])


@pytest.fixture
def sad_face(settings):
    return estimate("face", {"sadness": 0.72, "neutral": 0.28}, settings.data_dir, cues=["face: sad 0.72"])


@pytest.fixture
def loud_voice(settings):
    return EmotionEstimate(modality="voice", label="anger", scores={"anger": 0.5, "neutral": 0.5},
                           vad=VAD(valence=0.0, arousal=0.7, dominance=0.5), confidence=0.8,
                           cues=["louder and faster than your usual"])


def test_nothing_is_neutral_with_zero_confidence(settings):
    state = fuse(data_dir=settings.data_dir, warnings=["face: no face found in the image"])
    assert state.fused.label == "neutral" and state.fused.confidence == 0.0
    assert state.warnings == ["face: no face found in the image"]


@pytest.mark.parametrize("which", ["text", "voice", "face"])
def test_one_modality_passes_through(settings, sad_words, loud_voice, sad_face, which):
    one = {"text": sad_words, "voice": loud_voice, "face": sad_face}[which]
    state = fuse(**{which: one}, data_dir=settings.data_dir)
    assert getattr(state, which) == one
    assert state.fused.modality == "fused"
    assert (state.fused.label, state.fused.vad, state.fused.confidence) == (one.label, one.vad, one.confidence)
    # fused cues are words only (planners read them as the cause)
    assert state.fused.cues == (one.cues if which == "text" else [])


def test_text_only_explanation(settings, sad_words):
    state = fuse(text=sad_words, data_dir=settings.data_dir)
    assert state.explanation == "words: sadness 0.80 ('I lost my job')"
    assert state.disagreement == []


def test_agreeing_face_and_words_reinforce(settings, sad_words, sad_face):
    state = fuse(text=sad_words, face=sad_face, data_dir=settings.data_dir)
    assert state.fused.label == "sadness" and state.fused.fine_label == "devastated"
    assert state.fused.vad.valence < -0.4
    assert state.explanation == "words: sadness 0.80 ('I lost my job'); face: sad 0.72"
    assert state.disagreement == []
    assert state.fused.cues == ["I lost my job"]


def test_voice_moves_arousal_not_valence(settings, sad_words, loud_voice):
    state = fuse(text=sad_words, voice=loud_voice, data_dir=settings.data_dir)
    assert state.fused.vad.arousal > sad_words.vad.arousal + 0.3  # arousal comes mostly from the voice
    assert state.fused.vad.valence == pytest.approx(sad_words.vad.valence, abs=0.05)  # valence from the words
    assert "voice: louder and faster than your usual" in state.explanation
    assert state.explanation.index("words:") < state.explanation.index("voice:")
    assert all(-1 <= x <= 1 for x in state.fused.vad.as_tuple())


def test_smiling_face_with_sad_words_may_be_masking(settings, sad_words, smiling_face):
    state = fuse(text=sad_words, face=smiling_face, data_dir=settings.data_dir)
    assert state.disagreement == ["may be masking: smiling face with sad words"]
    assert "may be masking" in state.explanation
    assert state.fused.label == "sadness"  # the smile is discounted; the words say what happened
    agreeing = fuse(text=sad_words, face=estimate("face", {"sadness": 0.95, "neutral": 0.05}, settings.data_dir),
                    data_dir=settings.data_dir)
    assert state.fused.confidence < agreeing.fused.confidence


def test_sad_face_with_happy_words(settings, sad_face):
    happy = estimate("text", {"joy": 0.85, "neutral": 0.15}, settings.data_dir, cues=["I'm fine"])
    notes = find_disagreements(happy, None, sad_face)
    assert notes == ["the face looks sad while the words sound happy: may be holding something back"]


def test_agitated_voice_with_calm_words(settings, loud_voice):
    calm = estimate("text", {"neutral": 0.8, "sadness": 0.2}, settings.data_dir)
    state = fuse(text=calm, voice=loud_voice, data_dir=settings.data_dir)
    assert state.disagreement == ["the voice sounds more agitated than the neutral words"]


def test_low_confidence_modalities_do_not_flag(settings, sad_words):
    unsure = estimate("face", {"joy": 0.3, "neutral": 0.25, "surprise": 0.25, "sadness": 0.2}, settings.data_dir)
    assert find_disagreements(sad_words, None, unsure) == []


def test_all_three(settings, sad_words, loud_voice, sad_face):
    state = fuse(sad_words, loud_voice, sad_face, settings.data_dir)
    assert state.text == sad_words and state.voice == loud_voice and state.face == sad_face
    assert state.fused.label == "sadness"
    assert abs(sum(state.fused.scores.values()) - 1) < 1e-3
    assert state.explanation.startswith("words: sadness 0.80 ('I lost my job'); voice: louder")
    assert "; face: sad 0.72; the voice sounds more agitated than the sad words" in state.explanation
    assert state.disagreement == ["the voice sounds more agitated than the sad words"]


def test_reliability_is_configurable(settings, sad_words, smiling_face):
    trust_face = FusionConfig(reliability={"text": 0.2, "face": 1.0, "voice": 0.5})
    state = fuse(text=sad_words, face=smiling_face, data_dir=settings.data_dir, config=trust_face)
    default = fuse(text=sad_words, face=smiling_face, data_dir=settings.data_dir)
    assert state.fused.vad.valence > default.fused.vad.valence
    assert RELIABILITY["text"] > RELIABILITY["face"] > RELIABILITY["voice"]
