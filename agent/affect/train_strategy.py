"""Train the ESC strategy head (data/strategy_head.npz) on ESConv's training split; score it on the validation split.

    python -m agent.affect.train_strategy --esconv ../shared/data/esconv/trainWithStrategy_short.tsv \
        --dev ../shared/data/esconv/devWithStrategy_short.tsv --out data/strategy_head.npz --folds 5 --seed 13

Features: see strategy_model.FEATURE_RECIPE. Classifier: multinomial logistic regression (sklearn, fixed seed),
stored as plain arrays, with a class-prior correction (logits − λ·log prior) that lowers the preference bias B.
C and λ are the grid point with the highest macro-F1 + weighted-F1 among those with B ≤ MAX_BIAS, scored on the dev
split when one is given (the issue's protocol: dev is the only evaluation data, so its figures are a little
optimistic), else by grouped K-fold cross-validation on the training split (folds never split a dialogue; these CV
figures are always recorded beside). The head is fitted on the whole training split, and a learning curve refits
it on 25/50/75/100 % of the training dialogues, each scored on dev. All figures go into the head's metadata; `attune bench strategy` prints
them beside its own.

Tried on the full training split (2026-12-06, dev scores of the head alone, C=0.05, λ=0.5 unless said; each
within ±0.005 of the others): MiniLM of the seeker turn before the last +0.004 macro-F1 (kept); TF-IDF 1–2-grams
of both turns beside MiniLM ±0.002; the 3rd and 4th previous strategies, a question mark and length of the last
supporter turn −0.007; per-class bias offsets fitted on out-of-fold train logits +0.004 macro-F1 but −0.001
weighted-F1; partial class weighting ±0.002; a one-hidden-layer MLP (torch, dropout, label smoothing) −0.03; the
old stage boosts (comfort from turn 2, damp exploring) −0.008. The earlier dev-only head: macro-F1 0.234, weighted-F1
0.291, B 0.64 (5-fold CV on dev).
Tried later (stop 24, dev, with the stage rule): gradient-boosted trees stacked on out-of-fold LR logits and the
structured features, macro-F1 0.270 / weighted-F1 0.308 at B 0.445; label histograms of the 20/50/100 nearest
training turns as features, ≤ 0.2795 / 0.320; a finer C × λ grid, no point above 0.2805 / 0.3236 with B ≤ 0.45;
mpnet (all-mpnet-base-v2) of the last seeker turn beside the MiniLM features, 0.2847 / 0.3253 / B 0.426 (the best
seen; not shipped, weighted-F1 is still short of 0.33); mpnet of the last supporter turn too, 0.2831 / 0.3240.
Tried for issue #15 (dev with the stage rule, C and λ picked on dev from C 0.02–0.15 × λ 0.30–0.90, best macro-F1 +
weighted-F1 with B ≤ 0.45; mpnet of the normalised turns, as perception has them in its embedder's cache; not
shipped: no linear head reached weighted-F1 0.33, the best was 0.3256): mpnet of the previous seeker turn beside the
last's (C 0.03, λ 0.55) 0.2847 / 0.3254 / B 0.438, CV 0.273 / 0.317; mpnet in place of MiniLM for both seeker turns
(C 0.05, λ 0.5) 0.2825 / 0.3256 / B 0.441, CV 0.274 / 0.318; MiniLM-feature and mpnet-feature heads averaged (logits
or probabilities, two or three heads) ≤ 0.2842 / 0.3254; per-class logit offsets fitted on grouped 5-fold out-of-fold
train logits (coordinate ascent, macro + weighted or weighted-first under B ≤ 0.43/0.45) reach CV weighted-F1 0.329
but dev ≤ 0.2865 / 0.3253 (B 0.26–0.37); λ in steps of 0.01, no point above weighted-F1 0.3256 with B ≤ 0.45; the
mpnet blocks scaled ×1.5/×2 ≤ 0.2859 / 0.3247; the problem-type and emotion-type heads' outputs for both seeker turns
≤ 0.2839 / 0.3255; a count of the seeker's questions ≤ 0.2842 / 0.3250.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from ..types import STRATEGIES
from .esconv import ESConvSample, confusion_matrix, preference_bias, read_esconv
from .strategy_model import FEATURE_RECIPE, build_features, stage_adjust, structured_features

C_GRID = (0.02, 0.05, 0.1)
PRIOR_GRID = (0.0, 0.25, 0.5, 0.75)
MAX_BIAS = 0.45            # EmoDynamiX's preference bias on ESConv test (NAACL 2025), the published best
CURVE = (0.25, 0.5, 0.75, 1.0)


def sample_features(samples: Sequence[ESConvSample], encoder, data_dir: Path) -> np.ndarray:
    """FEATURE_RECIPE features of ESConv samples; encoder is anything with encode(texts) -> unit vectors."""
    from ..perception.text import TextEmotionModel

    seeker = encoder.encode([s.seeker_text or "." for s in samples])
    seeker[[not s.seeker_text for s in samples]] = 0.0
    previous = encoder.encode([s.seeker_context[-1] if s.seeker_context else "." for s in samples])
    previous[[not s.seeker_context for s in samples]] = 0.0
    supporter = encoder.encode([s.supporter_text or "." for s in samples])
    supporter[[not s.supporter_text for s in samples]] = 0.0
    texts = [s.seeker_text or "." for s in samples]
    contexts = [s.seeker_context[-2:] for s in samples]
    # the text-emotion head reads mpnet too (~25 min for the training split on 2 cores): keep its output
    cache = getattr(encoder, "cache", None)
    key = hashlib.sha1(json.dumps([texts, contexts]).encode()).hexdigest()[:16]
    stored = Path(cache).with_name(f"{Path(cache).stem}-emotion-{key}.npy") if cache else None
    if stored and stored.is_file():
        emotion = np.load(stored)
    else:
        emotion = TextEmotionModel(encoder, data_dir).probabilities(texts, contexts)
        if stored:
            np.save(stored, emotion)
    structured = np.stack([structured_features(s.seeker_text, s.previous_strategies, s.seeker_turns,
                                               s.supporter_continues, e) for s, e in zip(samples, emotion)])
    return build_features(seeker, supporter, structured, previous)


def grouped_folds(groups: np.ndarray, k: int, seed: int) -> np.ndarray:
    """A fold number per sample; whole dialogues are assigned to folds (shuffled with the seed)."""
    unique = np.unique(groups)
    rng = np.random.default_rng(seed)
    order = rng.permutation(unique)
    fold_of = {g: i % k for i, g in enumerate(order)}
    return np.array([fold_of[g] for g in groups])


def fit_head(x: np.ndarray, y: np.ndarray, C: float, seed: int):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, max_iter=3000, random_state=seed)
    model.fit(x, y)
    # every class must exist in the fold's training data so the weight matrix has all rows
    weights = np.zeros((x.shape[1], len(STRATEGIES)), np.float32)
    bias = np.full(len(STRATEGIES), -30.0, np.float32)
    weights[:, model.classes_] = model.coef_.T
    bias[model.classes_] = model.intercept_
    prior = np.bincount(y, minlength=len(STRATEGIES)).astype(np.float64) + 1.0
    return weights, bias, (prior / prior.sum()).astype(np.float32)


def softmax(logits: np.ndarray) -> np.ndarray:
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def scores(gold: Sequence[str], predicted: Sequence[str]) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    labels = list(STRATEGIES)
    counts = confusion_matrix(gold, predicted)
    return {
        "accuracy": round(float(accuracy_score(gold, predicted)), 4),
        "macro_f1": round(float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)), 4),
        "weighted_f1": round(float(f1_score(gold, predicted, labels=labels, average="weighted", zero_division=0)), 4),
        "preference_bias": round(preference_bias(counts), 4),
        "n": len(gold),
        "distribution": {k: int(v) for k, v in zip(labels, counts.sum(0))},
    }


def with_stage(probs: np.ndarray, samples: Sequence[ESConvSample]) -> np.ndarray:
    """The planner's stage order applied to each row (the ESConv turn position ≈ supporter turns so far)."""
    return np.stack([stage_adjust(p, s.seeker_text, len(s.previous_strategies))[0]
                     for p, s in zip(probs, samples)])


def cross_validate(x: np.ndarray, y: np.ndarray, samples: Sequence[ESConvSample], folds: np.ndarray, C: float,
                   prior_weights: Sequence[float], seed: int, stage: bool = True) -> dict[float, dict]:
    """Out-of-fold predictions for each prior-correction weight; returns scores per weight."""
    logits = np.zeros((len(y), len(STRATEGIES)))
    log_prior = np.zeros_like(logits)
    for f in np.unique(folds):
        train, test = folds != f, folds == f
        weights, bias, prior = fit_head(x[train], y[train], C, seed)
        logits[test] = x[test] @ weights + bias
        log_prior[test] = np.log(prior)
    gold = [STRATEGIES[i] for i in y]
    out = {}
    for lam in prior_weights:
        probs = softmax(logits - lam * log_prior)
        if stage:
            probs = with_stage(probs, samples)
        out[lam] = scores(gold, [STRATEGIES[i] for i in probs.argmax(1)])
    return out


def fraction_of_dialogues(groups: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """A mask of the samples of a random share of the dialogues (the same seed gives nested shares)."""
    unique = np.random.default_rng(seed).permutation(np.unique(groups))
    return np.isin(groups, unique[:max(1, round(fraction * len(unique)))])


def score_head(weights, bias, prior, lam: float, x: np.ndarray, samples: Sequence[ESConvSample]) -> dict:
    probs = with_stage(softmax(x @ weights + bias - lam * np.log(prior)), samples)
    return scores([s.strategy for s in samples], [STRATEGIES[i] for i in probs.argmax(1)])


def main(argv: Sequence[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--esconv", type=Path, required=True, help="ESConv strategy TSV to train on "
                        "(trainWithStrategy_short.tsv)")
    parser.add_argument("--dev", type=Path, default=None, help="ESConv strategy TSV to score the head on, as is")
    parser.add_argument("--out", type=Path, default=Path("data/strategy_head.npz"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=None, help="an .npz to cache MiniLM embeddings in")
    args = parser.parse_args(argv)

    from ..config import Settings
    from ..embeddings import CachedEncoder, Embedder

    start = time.time()
    np.random.seed(args.seed)
    settings = Settings()
    samples = read_esconv(args.esconv)
    y = np.array([STRATEGIES.index(s.strategy) for s in samples])
    groups = np.array([s.dialogue for s in samples])
    encoder = CachedEncoder(Embedder(settings.embedder(), threads=args.threads), args.cache)
    x = sample_features(samples, encoder, settings.data_dir)
    folds = grouped_folds(groups, args.folds, args.seed)

    trials = []
    for C in C_GRID:
        result = cross_validate(x, y, samples, folds, C, PRIOR_GRID, args.seed)
        for lam, s in result.items():
            trials.append({"C": C, "prior_weight": lam, **{k: s[k] for k in ("accuracy", "macro_f1", "weighted_f1",
                                                                                "preference_bias")}})
            print(f"C={C} λ={lam}: acc {s['accuracy']:.4f} macro-F1 {s['macro_f1']:.4f} "
                  f"weighted-F1 {s['weighted_f1']:.4f} B {s['preference_bias']:.3f}", flush=True)
    dev_trials = []
    if args.dev:
        dev = read_esconv(args.dev)
        x_dev = sample_features(dev, encoder, settings.data_dir)
        for C in C_GRID:
            fitted = fit_head(x, y, C, args.seed)
            for lam in PRIOR_GRID:
                s = score_head(*fitted, lam, x_dev, dev)
                dev_trials.append({"C": C, "prior_weight": lam, **{k: s[k] for k in ("accuracy", "macro_f1",
                                                                                      "weighted_f1", "preference_bias")}})
    # the three targets at once: macro-F1 + weighted-F1 as high as possible with B under the published best
    candidates = dev_trials or trials
    eligible = [t for t in candidates if t["preference_bias"] <= MAX_BIAS] or candidates
    chosen = max(eligible, key=lambda t: t["macro_f1"] + t["weighted_f1"])
    C, lam = chosen["C"], chosen["prior_weight"]
    cv_stage = cross_validate(x, y, samples, folds, C, [lam], args.seed, stage=True)[lam]
    cv_head = cross_validate(x, y, samples, folds, C, [lam], args.seed, stage=False)[lam]

    weights, bias, prior = fit_head(x, y, C, args.seed)
    meta = {
        "trained_on": f"{args.esconv.name}", "n": len(samples),
        "dialogues": int(len(np.unique(groups))), "folds": args.folds, "grouped_by": "dialogue", "seed": args.seed,
        "majority": STRATEGIES[int(np.bincount(y, minlength=len(STRATEGIES)).argmax())],
        "classifier": "multinomial logistic regression", "C": C, "prior_weight": lam,
        "embedder": "all-MiniLM-L6-v2",
        "selection": f"highest macro-F1 + weighted-F1 with B <= {MAX_BIAS}, "
                     + ("on dev (the only evaluation data; dev figures are therefore a little optimistic)"
                        if dev_trials else "by grouped CV on the training data"),
        "cv_with_stage": cv_stage, "cv_head_only": cv_head, "trials": trials, "dev_trials": dev_trials,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if args.dev:
        meta["dev"] = {"data": args.dev.name, **score_head(weights, bias, prior, lam, x_dev, dev)}
        curve = []
        for fraction in CURVE:
            part = fraction_of_dialogues(groups, fraction, args.seed)
            w, b, p = fit_head(x[part], y[part], C, args.seed)
            curve.append({"fraction": fraction, "dialogues": int(len(np.unique(groups[part]))),
                          "turns": int(part.sum()), **score_head(w, b, p, lam, x_dev, dev)})
            print(f"{fraction:.0%} of the dialogues: dev macro-F1 {curve[-1]['macro_f1']:.4f}", flush=True)
        meta["learning_curve"] = curve
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, weights=weights, bias=bias,
             prior=prior, prior_weight=np.float32(lam), labels=np.array(STRATEGIES), recipe=np.array(FEATURE_RECIPE),
             meta=np.array(json.dumps(meta)))
    print(json.dumps({k: v for k, v in meta.items() if k != "trials"}, indent=2))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB) in {time.time() - start:.0f} s")
    return meta


if __name__ == "__main__":
    main()
