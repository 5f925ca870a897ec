"""The agent's own emotion, which the voice and face express: empathic direction, personality-shaped motion.

PELD's transition (Wen et al. 2021) is ``response = preceding + ΔVAD(context) ⊙ P(personality)``, then the nearest
category (here: the category in whose direction the point lies, see LABEL_RADIUS). Fitted on PELD
(agent/affect/transition.py), ΔVAD(context) describes how *people* react — largely by mirroring (anger answers
anger). A supporter should not mirror distress, so the agent keeps the form but takes
ΔVAD from the empathic response instead:

    target = empathic_target(user emotion) + TEMPERAMENT · (P(personality) − P̄)
    next   = previous + STEP · (0.5 + 0.5·confidence) · G(personality) ⊙ (target − previous), |step| ≤ MAX_STEP

- ``empathic_target`` (data/empathic_targets.json, chosen by us): warm and calm for distress, shared joy for joy.
- P(personality): Mehrabian's Big Five → VAD weights with the paper's constants (DESIGN.md); P̄ is their mean over
  PELD's speakers. The personality's own temperament shifts where the agent settles (a more agreeable, extraverted
  avatar is warmer and more dominant), by TEMPERAMENT — a constant we chose: PELD cannot fit it.
- G(personality) = clip(1 + γ ⊙ (P − P̄)/σ_P, 0.5, 1.5): how fast each dimension moves. γ is fitted on PELD's
  training split (data/emotion_transition.json); PELD's six speakers show no measurable effect, so the fitted γ is
  0 and G = 1 today. It is kept so a refit on richer data changes behaviour without code changes.
- STEP and MAX_STEP keep the motion smooth: a fraction of the way per turn, never a jump (no joy → anger on neutral
  input: every empathic target has non-negative valence).
Without a personality the agent uses P̄ (no temperament shift, G = 1).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..types import VAD, AgentEmotion, EmotionEstimate
from ..vad import emotion_in_direction
from .transition import centred_gain, personality_weights, transition_params

if TYPE_CHECKING:
    from ..persona import BigFive

STEP = 0.5          # fraction of the way to the target per turn: smooth, yet visible within two turns
MAX_STEP = 0.5      # largest VAD move in one turn (Euclidean)
TEMPERAMENT = 0.35  # how far the personality's Mehrabian VAD (relative to the PELD mean) shifts the target
# the label the face and voice show: the emotion the agent is heading into once it is visibly off neutral
# (the first half step toward shared joy already smiles); warm calm, in no emotion's direction, stays neutral
LABEL_RADIUS = 0.25
LABEL_MIN_COSINE = 0.85


def empathic_targets(data_dir: Path) -> dict[str, np.ndarray]:
    raw = json.loads((Path(data_dir) / "empathic_targets.json").read_text())
    return {k: np.array(v, np.float64) for k, v in raw.items() if not k.startswith("_")}


def big_five_vector(personality: "BigFive") -> np.ndarray:
    p = personality
    return np.array([p.openness, p.conscientiousness, p.extraversion, p.agreeableness, p.neuroticism], float)


def empathic_target(user_label: str, data_dir: Path, personality: "BigFive | None" = None) -> np.ndarray:
    """Where the agent heads for this user emotion, shifted by the personality's temperament."""
    targets = empathic_targets(data_dir)
    target = targets.get(user_label, targets["neutral"]).copy()
    if personality is not None:
        params = transition_params(Path(data_dir))
        target += TEMPERAMENT * (personality_weights(big_five_vector(personality)) - params["p_mean"])
    return np.clip(target, -1.0, 1.0)


def personality_gain(personality: "BigFive | None", data_dir: Path) -> np.ndarray:
    if personality is None:
        return np.ones(3)
    params = transition_params(Path(data_dir))
    return centred_gain(personality_weights(big_five_vector(personality)), params["gamma"], params["p_mean"],
                        params["p_std"])


def next_agent_emotion(previous: AgentEmotion | None, user: EmotionEstimate, data_dir: Path,
                       personality: "BigFive | None" = None) -> AgentEmotion:
    start = np.array(previous.vad.as_tuple() if previous else (0.0, 0.0, 0.0), np.float64)
    target = empathic_target(user.label, data_dir, personality)
    # a confident perception pulls harder than an unsure one
    rate = np.clip(STEP * (0.5 + 0.5 * user.confidence) * personality_gain(personality, data_dir), 0.0, 0.9)
    step = rate * (target - start)
    norm = float(np.linalg.norm(step))
    if norm > MAX_STEP:
        step *= MAX_STEP / norm
    point = start + step
    vad = VAD.clipped(*point)
    return AgentEmotion(label=emotion_in_direction(vad, Path(data_dir), LABEL_RADIUS, LABEL_MIN_COSINE), vad=vad,
                        intensity=float(min(1.0, np.linalg.norm(point) / 1.2)))
