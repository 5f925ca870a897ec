"""The PELD personality-affected emotion transition (Wen et al. 2021), fitted on Dyadic_PELD.

PELD triples: A says utt1 (emotion E1), B answers utt2 (E2, sentiment S2), A replies utt3 (E3); A's Big Five known.
The model, in VAD space (data/emotion_vad.json):

    VAD(E3) = VAD(E1) + ΔVAD(context) ⊙ G(personality)

- ΔVAD(context) = x·W, x = [one-hot E1, one-hot E2, one-hot S2, 1], W fitted by ridge least squares.
- P(personality) = Mehrabian's personality→VAD weights with the paper's constants (DESIGN.md):
  V = .21E + .59A + .19N; A = .15O + .30A − .57N; D = .25O + .17C + .60E − .32A.
- ``paper`` gain: G = P itself. On PELD, P's arousal weight is ≈ 0 (−0.09…0.07) for every speaker, so this form
  all but freezes arousal; it is scored as the paper's form, not used at runtime.
- ``centred`` gain (ours): G = 1 + γ ⊙ (P − P̄)/σ_P, clipped to [0.5, 1.5]; P̄ and σ_P over PELD's speakers, γ per
  dimension fitted on the training split (γ = 0 is the personality-free model).
Category = the nearest emotion in VAD space. Split: 80/20 by chains of consecutive triples (a triple's utt1 is often
the previous triple's utt3), shuffled with a fixed seed, so test triples never share an utterance with training ones.

Reproduce the shipped parameters: ``python -m agent.affect.train_transition --peld ../shared/data/peld/Dyadic_PELD.tsv``.
"""
from __future__ import annotations

import ast
import csv
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

EMOTIONS = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
SENTIMENTS = ("negative", "neutral", "positive")
# rows V, A, D; columns O, C, E, A, N (DESIGN.md, the PELD paper's constants)
MEHRABIAN = np.array([[0.00, 0.00, 0.21, 0.59, 0.19],
                      [0.15, 0.00, 0.00, 0.30, -0.57],
                      [0.25, 0.17, 0.60, -0.32, 0.00]])
GAMMA_GRID = np.round(np.arange(-0.6, 0.61, 0.05), 2)
GAIN_RANGE = (0.5, 1.5)
RIDGE = 1.0
TRANSITION_FILE = "emotion_transition.json"


def personality_weights(big_five: Sequence[float]) -> np.ndarray:
    """P(personality): Mehrabian's VAD weights of a Big Five vector (O, C, E, A, N in [0, 1])."""
    return MEHRABIAN @ np.asarray(big_five, dtype=float)


@dataclass
class Triple:
    personality: np.ndarray  # O, C, E, A, N of speaker A
    e1: str
    e2: str
    s2: str
    e3: str
    chain: int


def read_peld(path: Path) -> list[Triple]:
    out: list[Triple] = []
    chain, last_utt3 = -1, None
    with open(path, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["Utterance_1"] != last_utt3:
                chain += 1
            last_utt3 = r["Utterance_3"]
            out.append(Triple(np.array(ast.literal_eval(r["Personality"]), float), r["Emotion_1"].strip(),
                              r["Emotion_2"].strip(), r["Sentiment_2"].strip(), r["Emotion_3"].strip(), chain))
    return out


def split(triples: Sequence[Triple], seed: int = 13, test_share: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Boolean train/test masks, whole chains on one side."""
    chains = np.array([t.chain for t in triples])
    unique = np.random.default_rng(seed).permutation(np.unique(chains))
    test_chains = set(unique[: int(round(len(unique) * test_share))].tolist())
    test = np.array([c in test_chains for c in chains])
    return ~test, test


def context_features(e1: Sequence[str], e2: Sequence[str], s2: Sequence[str]) -> np.ndarray:
    def hot(values, vocab):
        m = np.zeros((len(values), len(vocab)))
        for i, v in enumerate(values):
            if v in vocab:
                m[i, vocab.index(v)] = 1.0
        return m
    return np.hstack([hot(e1, EMOTIONS), hot(e2, EMOTIONS), hot(s2, SENTIMENTS), np.ones((len(e1), 1))])


def _ridge(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    reg = RIDGE * np.eye(x.shape[1])
    reg[-1, -1] = 0.0  # no penalty on the intercept
    return np.linalg.solve(x.T @ x + reg, x.T @ y)


def fit_scaled(x: np.ndarray, delta: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """W such that delta ≈ (x·W) ⊙ gains, one least-squares fit per VAD dimension."""
    return np.stack([_ridge(x * gains[:, [d]], delta[:, d]) for d in range(3)], axis=1)


def centred_gain(p: np.ndarray, gamma: np.ndarray, p_mean: np.ndarray, p_std: np.ndarray) -> np.ndarray:
    return np.clip(1.0 + gamma * (p - p_mean) / p_std, *GAIN_RANGE)


def nearest(points: np.ndarray, table: dict[str, np.ndarray]) -> list[str]:
    names = list(table)
    centres = np.stack([table[k] for k in names])
    d = ((points[:, None, :] - centres[None]) ** 2).sum(-1)
    return [names[i] for i in d.argmin(1)]


def _scores(gold: Sequence[str], pred: Sequence[str], gold_vad: np.ndarray, pred_vad: np.ndarray) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    labels = [k for k in EMOTIONS]
    return {
        "accuracy": round(float(accuracy_score(gold, pred)), 4),
        "macro_f1": round(float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0)), 4),
        "weighted_f1": round(float(f1_score(gold, pred, labels=labels, average="weighted", zero_division=0)), 4),
        "vad_rmse": round(float(np.sqrt(((gold_vad - pred_vad) ** 2).mean())), 4),
        "n": len(gold),
        "distribution": {k: int(sum(p == k for p in pred)) for k in labels},
    }


def fit_and_score(triples: Sequence[Triple], table: dict[str, np.ndarray], seed: int = 13) -> dict:
    """Fit the three transition models on the training split; score them and the repeat baseline on the test split."""
    train, test = split(triples, seed)
    vad = lambda names: np.stack([table[n] for n in names])  # noqa: E731
    e1, e2, s2, e3 = ([getattr(t, k) for t in triples] for k in ("e1", "e2", "s2", "e3"))
    x = context_features(e1, e2, s2)
    start, goal = vad(e1), vad(e3)
    delta = goal - start
    p = np.stack([personality_weights(t.personality) for t in triples])
    p_mean, p_std = p[train].mean(0), p[train].std(0) + 1e-6

    w_free = fit_scaled(x[train], delta[train], np.ones_like(p[train]))
    w_paper = fit_scaled(x[train], delta[train], p[train])
    # γ per dimension by training-set squared error (dimensions are independent given the gain)
    gamma = np.zeros(3)
    for d in range(3):
        errors = []
        for g in GAMMA_GRID:
            gain = centred_gain(p[train, d], g, p_mean[d], p_std[d])
            w_d = _ridge(x[train] * gain[:, None], delta[train, d])
            errors.append((float((((x[train] @ w_d) * gain - delta[train, d]) ** 2).mean()), abs(g), g))
        gamma[d] = min(errors)[2]
    gains = centred_gain(p, gamma, p_mean, p_std)
    w_centred = fit_scaled(x[train], delta[train], gains[train])

    gold = [e3[i] for i in np.flatnonzero(test)]
    predictions = {
        "repeat_previous": start[test],
        "personality_free": start[test] + x[test] @ w_free,
        "peld_paper_gain": start[test] + (x[test] @ w_paper) * p[test],
        "peld_centred_gain": start[test] + (x[test] @ w_centred) * gains[test],
    }
    results = {}
    for name, point in predictions.items():
        labels = [e1[i] for i in np.flatnonzero(test)] if name == "repeat_previous" else nearest(point, table)
        results[name] = _scores(gold, labels, goal[test], point)
    return {
        "results": results, "n_train": int(train.sum()), "n_test": int(test.sum()), "seed": seed,
        "params": {"w_context": w_centred.round(5).tolist(), "w_free": w_free.round(5).tolist(),
                   "gamma": gamma.round(3).tolist(), "p_mean": p_mean.round(5).tolist(),
                   "p_std": p_std.round(5).tolist()},
    }


@lru_cache(maxsize=4)
def transition_params(data_dir: Path) -> dict:
    path = Path(data_dir) / TRANSITION_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found (fit it: python -m agent.affect.train_transition)")
    raw = json.loads(path.read_text())
    return {k: np.array(v, float) if isinstance(v, list) else v for k, v in raw["params"].items()}
