"""Expressions: the EMFACS table, and every emotion visibly changes brows and mouth against neutral."""
from __future__ import annotations

import numpy as np
import pytest

from agent.avatar import AvatarError, FacePainter, action_units, load_look
from agent.avatar.data import EMOTIONS, expressions
from agent.avatar.sheet import expression_state
from agent.config import REPO_ROOT

AVATARS = REPO_ROOT / "avatars"


def test_table_has_the_emfacs_prototypes():
    table = expressions()
    assert "Ekman" in table["_source"]
    core = {e: set(v["core"]) for e, v in table["emotions"].items()}
    assert core["joy"] == {"AU6", "AU12"}
    assert core["sadness"] == {"AU1", "AU4", "AU15"}
    assert core["anger"] == {"AU4", "AU5", "AU7", "AU23"}
    assert core["fear"] == {"AU1", "AU2", "AU4", "AU5", "AU20", "AU26"}
    assert core["surprise"] == {"AU1", "AU2", "AU5", "AU26"}
    assert core["disgust"] == {"AU9", "AU15", "AU16"}


def test_intensity_scales_action_units():
    weak, strong = action_units("joy", 0.2), action_units("joy", 0.9)
    assert 0 < weak["au12"] < strong["au12"] <= 1
    assert all(v == 0 for v in action_units("neutral", 1.0).values())


@pytest.mark.parametrize("bad", ["ecstatic", "blah", "JOY!!"])
def test_unknown_emotion_is_a_clear_error(bad):
    with pytest.raises(AvatarError, match="unknown emotion"):
        action_units(bad, 0.5)


@pytest.mark.parametrize("typed, label", [("happy", "joy"), ("JOYFUL", "joy"), ("sad", "sadness")])
def test_everyday_emotion_words_are_understood(typed, label):
    assert action_units(typed, 0.7) == action_units(label, 0.7)


def test_bad_intensity_is_a_clear_error():
    with pytest.raises(AvatarError, match="intensity"):
        action_units("joy", 1.5)


@pytest.fixture(scope="module", params=["sage", "maya", "ruth"])
def painter(request):
    return FacePainter(load_look(AVATARS, request.param).face, size=256)


def _regions(frame):
    f = frame[..., :3].astype(float)
    # at 256²: brows and eyes (y ≈ 85–125), mouth (y ≈ 150–185)
    return f[80:128, 70:186], f[148:188, 96:160]


def test_each_emotion_changes_brows_and_mouth(painter):
    neutral_brow, neutral_mouth = [r.copy() for r in _regions(painter.render(expression_state("neutral", 0.7)))]
    for emotion in EMOTIONS:
        if emotion == "neutral":
            continue
        brow, mouth = _regions(painter.render(expression_state(emotion, 0.7)))
        d_brow = np.abs(brow - neutral_brow).mean()
        d_mouth = np.abs(mouth - neutral_mouth).mean()
        assert d_brow > 1.5, (emotion, d_brow)
        assert d_mouth > 1.5, (emotion, d_mouth)


def test_emotions_differ_from_each_other(painter):
    frames = {e: painter.render(expression_state(e, 0.8)).astype(float).copy() for e in EMOTIONS}
    for a in EMOTIONS:
        for b in EMOTIONS:
            if a < b:
                assert np.abs(frames[a] - frames[b]).mean() > 0.3, (a, b)


def test_joy_shows_in_the_cheeks(painter):
    neutral = painter.render(expression_state("neutral")).astype(float).copy()
    joy = painter.render(expression_state("joy", 0.9)).astype(float)
    cheek = slice(125, 150), slice(60, 100)
    red_gain = (joy[cheek][..., 0] - joy[cheek][..., 2]).mean() - (neutral[cheek][..., 0] - neutral[cheek][..., 2]).mean()
    assert red_gain > 1.0
