"""Blinks, gaze and head motion: natural (random, not periodic), bounded, continuous across chunks."""
from __future__ import annotations

import numpy as np

from agent.avatar import Animator
from agent.avatar.synthetic import synthetic_chunk


def test_blinks_are_natural_not_periodic():
    anim = Animator(fps=25, seed=3)
    for _ in range(12):
        anim.listen(10.0, "neutral")
    starts = np.array(sorted(s for s, _ in anim.blinks if s < 120))
    gaps = np.diff(starts)
    assert 20 <= len(starts) <= 60, len(starts)  # ~10-30 blinks a minute
    assert gaps.std() / gaps.mean() > 0.2  # coefficient of variation: not a metronome
    durations = np.array([d for _, d in anim.blinks])
    assert 0.09 <= durations.min() and durations.max() <= 0.25


def test_blinks_reach_the_frames():
    anim = Animator(fps=25, seed=1)
    tl = anim.listen(20.0, "neutral")
    closed = tl.tracks["blink"] > 0.8
    onsets = np.flatnonzero(closed[1:] & ~closed[:-1])
    assert len(onsets) >= 0.6 * len(tl.blinks)


def test_gaze_and_head_are_small_and_smooth():
    anim = Animator(fps=25, seed=0)
    tls = [anim.speak(synthetic_chunk("Tell me more about that, please.", e, 0.6, index=i))
           for i, e in enumerate(["neutral", "joy", "sadness", "anger"])]
    for key, limit in (("yaw", 12), ("pitch", 12), ("roll", 8), ("gaze_x", 1), ("gaze_y", 1)):
        values = np.concatenate([t.tracks[key] for t in tls])
        assert np.abs(values).max() <= limit, key
        assert values.std() > 0.01, key  # it moves
    yaw = np.concatenate([t.tracks["yaw"] for t in tls])
    assert np.abs(np.diff(yaw)).max() < 1.5  # no jumps, also across sentence boundaries
    assert len(tls[0].gaze_shifts) >= 1


def test_expression_eases_between_sentences():
    anim = Animator(fps=25, seed=0)
    anim.speak(synthetic_chunk("I am so happy for you.", "joy", 0.9))
    sad = anim.speak(synthetic_chunk("That must hurt.", "sadness", 0.9, index=1))
    au12, au15 = sad.tracks["au12"], sad.tracks["au15"]
    assert au12[0] > 0.5 and au12[-1] < 0.1  # the smile fades, not cut
    assert au15[0] < au15[-1]


def test_listening_follows_the_users_mood():
    sad = Animator(seed=0).listen(3.0, "sadness")
    happy = Animator(seed=0).listen(3.0, "joy")
    assert sad.tracks["au1"][-1] > happy.tracks["au1"][-1]
    assert happy.tracks["au12"][-1] > sad.tracks["au12"][-1]
    assert np.abs(sad.tracks["open"]).max() == 0  # a listening mouth stays shut
    nods = Animator(seed=0).listen(12.0, "neutral").tracks["pitch"]
    assert nods.max() - nods.min() > 1.5  # small nods


def test_frame_clock_never_drifts():
    anim = Animator(fps=25, seed=0)
    for k in range(40):
        tl = anim.speak(synthetic_chunk("One more sentence here.", "neutral", 0.5, index=k, seconds=0.737 + 0.013 * k))
        assert abs(tl.frame_start / 25 - tl.start) <= 0.5 / 25 + 1e-9
    assert abs(anim.frame_cursor / 25 - anim.audio_cursor) <= 0.5 / 25 + 1e-9
