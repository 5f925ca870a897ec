"""Train the three EPITOME empathy heads (data/empathy_*.npz): how strongly a reply shows Emotional Reactions,
Interpretations and Explorations (0 none, 1 weak, 2 strong) for the post it answers.

Data: EPITOME (Sharma et al., EMNLP 2020 — the framework Chain-of-Empathy evaluates with), 3 × 3,084 Reddit
(seeker post, response) pairs, one CSV per mechanism. Research use only: the data are not shipped, the heads
trained on them are (as for the MELD head; README's licence table).

Features: sentence vectors of the post (u) and of the reply (v) as [v, u ⊙ v, |u − v|] — the reply carries most
of the signal, the products let a linear head see whether the reply is about the post. The vectors are MiniLM and
all-mpnet-base-v2 side by side (by CV, better than MiniLM alone on all three mechanisms: macro-F1 0.667 / 0.535 /
0.567 against 0.620 / 0.508 / 0.553); MiniLM-only twins are kept for an install without mpnet. Multinomial logistic regression,
balanced class weights (strong levels are rare), C chosen by stratified 5-fold CV, reported against the majority
class. One head per mechanism, each a SoftmaxHead file (agent/heads.py) with its CV figures in its meta:

    python -m evals.train_empathy --data ../shared/data/epitome [--cache /tmp/epitome.npz]
    python -m evals.train_empathy --data ../shared/data/epitome --encoder minilm [--cache /tmp/epitome.npz]
"""
from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np

from .empathy import MECHANISMS, RECIPES, head_file, pair_features

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
FILES = {  # mechanism → (EPITOME file stem, title)
    "emotional_reactions": ("emotional-reactions-reddit", "Emotional Reactions"),
    "interpretations": ("interpretations-reddit", "Interpretations"),
    "explorations": ("explorations-reddit", "Explorations"),
}
C_GRID = (0.1, 0.3, 1.0, 3.0)


def read_mechanism(folder: Path, stem: str) -> tuple[list[str], list[str], np.ndarray]:
    posts, replies, levels = [], [], []
    with (folder / f"{stem}.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            posts.append(" ".join(row["seeker_post"].split()))
            replies.append(" ".join(row["response_post"].split()))
            levels.append(int(row["level"]))
    return posts, replies, np.array(levels)


def main(argv: list[str] | None = None) -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from agent.heads import training_encoders

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="the EPITOME folder (three *-reddit.csv files)")
    p.add_argument("--out-dir", type=Path, default=DATA_DIR)
    p.add_argument("--cache", type=Path, default=None, help="an .npz caching sentence vectors between runs")
    p.add_argument("--encoder", choices=sorted(RECIPES), default="both",
                   help="both (MiniLM and mpnet side by side: the shipped heads) or minilm (their fallback twins)")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    start = time.time()
    _, encoder = training_encoders(args.encoder, args.cache, args.threads)

    report = {}
    for key in MECHANISMS:
        stem, title = FILES[key]
        posts, replies, y = read_mechanism(args.data, stem)
        X = pair_features(encoder.encode(posts), encoder.encode(replies))
        folds = StratifiedKFold(5, shuffle=True, random_state=0)
        scores = {}
        for C in C_GRID:
            model = LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
            predicted = cross_val_predict(model, X, y, cv=folds)
            scores[C] = (f1_score(y, predicted, average="macro"), accuracy_score(y, predicted), predicted)
        best = max(scores, key=lambda c: scores[c][0])
        macro, accuracy, predicted = scores[best]
        majority = int(np.bincount(y).argmax())
        report[key] = meta = {
            "title": title, "n": int(len(y)), "levels": {str(k): int(v) for k, v in enumerate(np.bincount(y))},
            "C": best, "cv_accuracy": round(float(accuracy), 4), "cv_macro_f1": round(float(macro), 4),
            "cv_per_level_f1": np.round(f1_score(y, predicted, average=None), 3).tolist(),
            "majority_accuracy": round(float((y == majority).mean()), 4),
            "majority_macro_f1": round(float(f1_score(y, np.full_like(y, majority), average="macro")), 4),
            "cv_macro_f1_by_C": {str(c): round(float(s[0]), 4) for c, s in scores.items()},
        }
        meta.update(data="EPITOME (Sharma et al., EMNLP 2020), Reddit split; research use only", encoder=args.encoder,
                    created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        model = LogisticRegression(C=best, max_iter=3000, class_weight="balanced").fit(X, y)
        np.savez(args.out_dir / head_file(key, args.encoder), weights=model.coef_.T.astype(np.float32),
                 bias=model.intercept_.astype(np.float32), labels=np.array([str(c) for c in model.classes_]),
                 recipe=np.array(RECIPES[args.encoder]), meta=np.array(json.dumps(meta)))
    print(json.dumps(report, indent=1))
    print(f"wrote {len(report)} heads to {args.out_dir} in {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
