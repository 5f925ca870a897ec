"""The agent's own emotion, which the voice and face express.

Empathetic, not mirroring: the agent moves in VAD space toward a caring response to the person's emotion
(data/empathic_targets.json), a fraction of the way per turn so it never jumps. The personality-driven PELD
transition replaces the fixed rate in the affective-core issue.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..types import VAD, AgentEmotion, EmotionEstimate
from ..vad import nearest_emotion

STEP = 0.5  # fraction of the way to the target per turn: smooth, yet visible within two turns


def empathic_targets(data_dir: Path) -> dict[str, np.ndarray]:
    raw = json.loads((Path(data_dir) / "empathic_targets.json").read_text())
    return {k: np.array(v, np.float32) for k, v in raw.items() if not k.startswith("_")}


def next_agent_emotion(previous: AgentEmotion | None, user: EmotionEstimate, data_dir: Path) -> AgentEmotion:
    targets = empathic_targets(data_dir)
    start = np.array(previous.vad.as_tuple() if previous else (0.0, 0.0, 0.0), np.float32)
    target = targets.get(user.label, targets["neutral"])
    # a confident perception pulls harder than an unsure one
    point = start + STEP * (0.5 + 0.5 * user.confidence) * (target - start)
    vad = VAD.clipped(*point)
    return AgentEmotion(label=nearest_emotion(vad, data_dir), vad=vad,
                        intensity=float(min(1.0, np.linalg.norm(point) / 1.2)))
