"""Fusion: text, voice and face estimates → one explained user state.

In VAD space, each dimension is a weighted mean of the modalities that are present, with
``weight = confidence × reliability[modality] × dimension_weight[modality][dimension]``:

- reliability (how far we trust a modality's own confidence): text 1.0 — the trained MiniLM head, measured on
  MELD (dev weighted-F1 ≈ 0.5), and the words carry what happened; face 0.7 — FaceExpressionNet is trained on posed,
  frontal faces and a Haar box can be loose, and a face can be social display rather than feeling; voice 0.5 —
  prosody against a few turns of baseline is a heuristic, no trained model (0.7 when an ONNX A/V/D model is used).
- dimension weights: words and faces carry valence; arousal and dominance are where prosody is informative and
  valence is not (voice valence weight 0.05 — it is always 0 from prosody; 0.6 with an ONNX model).

The label comes from the modality scores (a mixture with the same confidence × reliability weights; voice
category scores count a third, since prosody alone cannot tell anger from joy) blended with closeness of the fused
VAD point to each category (FUSED_POINT_SHARE), so a loud voice pulls "sadness" words toward "anger" only when the
words are uncertain. One modality alone is passed through unchanged.

Disagreement (text vs face valence of opposite sign, or voice arousal far from the words') is flagged in
``UserState.disagreement`` and the explanation, and lowers the fused confidence. A smiling face over negative
words ("may be masking") also halves the face's weight: the words say what happened, the smile is often display.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..types import VAD, EmotionEstimate, UserState
from .voice import proximity_scores

RELIABILITY = {"text": 1.0, "face": 0.7, "voice": 0.5}
DIMENSION_WEIGHTS = {  # valence, arousal, dominance
    "text": (1.0, 0.6, 0.6),
    "face": (0.8, 0.6, 0.4),
    "voice": (0.05, 1.0, 0.8),
}
CATEGORY_WEIGHT = {"text": 1.0, "face": 1.0, "voice": 1 / 3}
FUSED_POINT_SHARE = 0.3
DISAGREEMENT_PENALTY = 0.75  # fused confidence × this when the modalities disagree
FACE_WORD = {"joy": "smiling", "sadness": "sad", "anger": "angry", "fear": "fearful", "disgust": "disgusted",
             "surprise": "surprised", "neutral": "neutral"}
ADJECTIVE = {"joy": "happy", "sadness": "sad", "anger": "angry", "fear": "afraid", "disgust": "disgusted",
             "surprise": "surprised", "neutral": "neutral"}
ORDER = ("text", "voice", "face")
AROUSAL_GAP = 0.7  # voice vs words arousal difference that counts as disagreement
MASKING_FACE_DISCOUNT = 0.5  # a smile over negative words is likely display, not feeling: halve the face's say


@dataclass
class FusionConfig:
    reliability: dict[str, float] = field(default_factory=lambda: dict(RELIABILITY))
    dimension_weights: dict[str, tuple[float, float, float]] = field(default_factory=lambda: dict(DIMENSION_WEIGHTS))
    category_weight: dict[str, float] = field(default_factory=lambda: dict(CATEGORY_WEIGHT))
    fused_point_share: float = FUSED_POINT_SHARE


def modality_phrase(estimate: EmotionEstimate) -> str:
    """'words: sadness 0.81 ('lost my job')', 'voice: louder and faster than your usual', 'face: sad 0.72'."""
    if estimate.modality == "text":
        cue = f" ('{estimate.cues[0]}')" if estimate.cues else ""
        return f"words: {estimate.label} {estimate.confidence:.2f}{cue}"
    if estimate.modality == "voice":
        return f"voice: {estimate.cues[0] if estimate.cues else estimate.label}"
    if estimate.modality == "face":
        if estimate.cues and estimate.cues[0].startswith("face: "):
            return estimate.cues[0]
        return f"face: {FACE_WORD.get(estimate.label, estimate.label)} {estimate.confidence:.2f}"
    return f"{estimate.modality}: {estimate.label} {estimate.confidence:.2f}"


def find_disagreements(text: EmotionEstimate | None, voice: EmotionEstimate | None,
                       face: EmotionEstimate | None) -> list[str]:
    """Plain-words conflicts between modalities that are each confident enough to count."""
    notes = []
    if text is not None and face is not None and text.confidence >= 0.35 and face.confidence >= 0.4:
        tv, fv = text.vad.valence, face.vad.valence
        if fv > 0.3 and tv < -0.3 and fv - tv >= 0.8:
            notes.append(f"may be masking: {FACE_WORD.get(face.label, face.label)} face with {ADJECTIVE.get(text.label, text.label)} words")
        elif fv < -0.3 and tv > 0.3 and tv - fv >= 0.8:
            notes.append(f"the face looks {FACE_WORD.get(face.label, face.label)} while the words sound "
                         f"{ADJECTIVE.get(text.label, text.label)}: may be holding something back")
    if text is not None and voice is not None and text.confidence >= 0.35 and voice.confidence >= 0.4:
        ta, va = text.vad.arousal, voice.vad.arousal
        if va - ta >= AROUSAL_GAP:
            notes.append(f"the voice sounds more agitated than the {ADJECTIVE.get(text.label, text.label)} words")
        elif ta - va >= AROUSAL_GAP:
            notes.append(f"the voice sounds flatter than the {ADJECTIVE.get(text.label, text.label)} words")
    return notes


def fuse(text: EmotionEstimate | None = None, voice: EmotionEstimate | None = None,
         face: EmotionEstimate | None = None, data_dir: Path | None = None,
         config: FusionConfig | None = None, warnings: list[str] | None = None) -> UserState:
    """Any subset of modalities → UserState. With none, a neutral state with confidence 0."""
    config = config or FusionConfig()
    warnings = list(warnings or [])
    present = {m: e for m, e in (("text", text), ("voice", voice), ("face", face)) if e is not None}
    disagreement = find_disagreements(text, voice, face)
    parts = [modality_phrase(present[m]) for m in ORDER if m in present]
    if not present:
        fused = EmotionEstimate(modality="fused", label="neutral", scores={"neutral": 1.0}, confidence=0.0)
        return UserState(fused=fused, explanation="nothing to perceive", warnings=warnings)

    if len(present) == 1:
        (only,) = present.values()
        fused = only.model_copy(update={"modality": "fused", "cues": list(only.cues) if only.modality == "text" else []},
                                deep=True)
    else:
        if any(note.startswith("may be masking") for note in disagreement):
            reliability = dict(config.reliability)
            reliability["face"] = reliability.get("face", 0.7) * MASKING_FACE_DISCOUNT
            config = FusionConfig(reliability, config.dimension_weights, config.category_weight, config.fused_point_share)
        fused = _fuse_many(present, data_dir, config)
        if disagreement:
            fused.confidence = round(fused.confidence * DISAGREEMENT_PENALTY, 4)
    explanation = "; ".join(parts + disagreement)
    return UserState(text=text, voice=voice, face=face, fused=fused, explanation=explanation,
                     disagreement=disagreement, warnings=warnings)


def _fuse_many(present: dict[str, EmotionEstimate], data_dir: Path | None, config: FusionConfig) -> EmotionEstimate:
    if data_dir is None:
        raise ValueError("fusing several modalities needs data_dir (for the emotion↔VAD table)")
    point = []
    for dim in range(3):
        num = den = 0.0
        for m, e in present.items():
            w = e.confidence * config.reliability.get(m, 0.5) * config.dimension_weights[m][dim]
            num += w * e.vad.as_tuple()[dim]
            den += w
        point.append(num / den if den > 0 else 0.0)
    vad = VAD.clipped(*point)

    mixture: dict[str, float] = {}
    total = 0.0
    for m, e in present.items():
        w = max(e.confidence, 1e-3) * config.reliability.get(m, 0.5) * config.category_weight.get(m, 1.0)
        for k, p in e.scores.items():
            mixture[k] = mixture.get(k, 0.0) + w * p
        total += w * sum(e.scores.values())
    mixture = {k: v / total for k, v in mixture.items()} if total > 0 else {}
    closeness = proximity_scores(vad, data_dir)
    share = config.fused_point_share if mixture else 1.0
    labels = sorted(set(closeness) | set(mixture))
    scores = {k: (1 - share) * mixture.get(k, 0.0) + share * closeness.get(k, 0.0) for k in labels}
    label = max(scores, key=scores.get)

    # fused cues are the words that carry the emotion (planners read them as the cause); voice and face signals
    # are in the explanation and their own estimates
    cues = list(present["text"].cues) if "text" in present else []
    fine = present["text"].fine_label if "text" in present and present["text"].label == label else None
    confidence = float(np.clip(scores[label], 0.0, 1.0))
    return EmotionEstimate(modality="fused", label=label, scores={k: round(v, 4) for k, v in scores.items()},
                           fine_label=fine, vad=vad, confidence=round(confidence, 4), cues=cues)
