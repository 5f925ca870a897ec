"""The agent's own emotion: smooth, empathetic (not mirroring), personality-sensitive; the PELD transition fit."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.affect.agent_emotion import MAX_STEP, next_agent_emotion
from agent.affect.transition import fit_and_score, personality_weights, read_peld
from agent.config import Settings
from agent.persona import BigFive
from agent.types import VAD, AgentEmotion, EmotionEstimate
from agent.vad import emotion_vad_table

DATA = Settings().data_dir
PELD = Settings().research_data_dir / "peld" / "Dyadic_PELD.tsv"
WARM = BigFive(openness=0.7, conscientiousness=0.6, extraversion=0.8, agreeableness=0.9, neuroticism=0.1)
ANXIOUS = BigFive(openness=0.3, conscientiousness=0.4, extraversion=0.2, agreeableness=0.3, neuroticism=0.9)


def user(label: str, confidence: float = 0.9) -> EmotionEstimate:
    return EmotionEstimate(modality="fused", label=label, confidence=confidence)


def run(labels, personality=None, start=None):
    emotion, path = start, []
    for label in labels:
        emotion = next_agent_emotion(emotion, user(label), DATA, personality)
        path.append(emotion)
    return path


def test_mehrabian_weights_follow_the_paper():
    v, a, d = personality_weights([0.5, 0.5, 0.5, 0.5, 0.5])
    assert (v, a, d) == pytest.approx((0.495, -0.06, 0.35))


@pytest.mark.parametrize("personality", [None, WARM, ANXIOUS])
def test_a_sad_user_gets_a_warm_calm_agent(personality):
    final = run(["sadness"] * 3, personality)[-1]
    assert final.vad.valence > 0.1 and final.vad.arousal < 0


def test_neutral_input_moves_smoothly_and_never_to_anger():
    joyful = AgentEmotion(label="joy", vad=VAD(valence=0.81, arousal=0.51, dominance=0.46), intensity=0.9)
    previous = joyful
    for emotion in run(["neutral"] * 8, WARM, start=joyful):
        step = np.linalg.norm(np.subtract(emotion.vad.as_tuple(), previous.vad.as_tuple()))
        assert step <= MAX_STEP + 1e-6 and step < 0.35  # a small step on neutral input
        assert emotion.label not in {"anger", "disgust", "fear", "sadness"}
        previous = emotion


def test_no_turn_jumps_even_between_opposite_user_emotions():
    path = run(["joy", "anger", "joy", "fear", "sadness", "joy"], ANXIOUS)
    points = [np.array(e.vad.as_tuple()) for e in path]
    assert all(np.linalg.norm(b - a) <= MAX_STEP + 1e-6 for a, b in zip(points, points[1:]))


def test_two_personalities_feel_measurably_different_in_the_same_conversation():
    warm = np.array(run(["sadness", "neutral", "joy"], WARM)[-1].vad.as_tuple())
    anxious = np.array(run(["sadness", "neutral", "joy"], ANXIOUS)[-1].vad.as_tuple())
    assert np.linalg.norm(warm - anxious) > 0.1
    assert warm[0] > anxious[0]  # the agreeable extravert is warmer


@pytest.mark.skipif(not PELD.is_file(), reason="PELD file not available")
def test_the_fitted_transition_beats_repeating_the_previous_emotion_in_vad():
    report = fit_and_score(read_peld(PELD), emotion_vad_table(DATA), seed=13)
    r = report["results"]
    assert report["n_test"] > 1000 and report["n_train"] > 4 * report["n_test"] * 0.9
    assert r["personality_free"]["vad_rmse"] < r["repeat_previous"]["vad_rmse"]
    assert r["peld_centred_gain"]["vad_rmse"] <= r["personality_free"]["vad_rmse"] + 1e-9


def test_good_news_shows_on_the_first_turn_and_grows():
    first, second = run(["joy", "joy"])
    assert first.label == "joy" and second.label == "joy"  # the half step already smiles
    assert second.intensity > first.intensity  # how far along is the intensity
    assert run(["sadness"] * 3)[-1].label == "neutral"  # warm calm is in no emotion's direction
