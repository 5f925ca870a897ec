"""Train the problem-type head (data/problem_head.npz): what a person's trouble is about, from one message.

Data: ESConv's training dialogues — each seeker's own situation summary and their turns of 6+ words, labelled with
the dialogue's problem type mapped to Attune's (data/problem_types.json) — plus data/problem_messages_written.tsv,
chat messages written for Attune for the types ESConv lacks (grief, money, caregiving, harassment, …) and for
'general' (greetings, thanks, small talk). Logistic regression over MiniLM; choices by grouped 5-fold CV (a
dialogue's turns stay in one fold).

    python -m agent.planner.train_problem --dialogues ../shared/data/esconv/train_dialogues.jsonl [--cache F.npz]
"""
from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
MIN_WORDS = 6  # shorter seeker turns ("Hello", "yes I am") say nothing about the problem
ESCONV_WEIGHT = 0.05  # ESConv labels are per dialogue ("ongoing depression" covers loneliness, grief, …); with
# 2,025 written messages, 0.05 against 0.15 / 0.3: grouped CV on them 0.811 / 0.794 / 0.772, on ESConv's failed
# dialogues (held out) 0.640 / 0.618 (0.02: 0.824 on the written, 0.618 on the failed; 0.15 at 675 messages: 0.66)


def training_rows(dialogues_path: Path, written_path: Path) -> tuple[list[str], list[str], list[int], list[float]]:
    """(texts, labels, groups, weights)."""
    types = json.loads((DATA_DIR / "problem_types.json").read_text())
    to_problem = {name: pid for pid, spec in types.items() if not pid.startswith("_") for name in spec["esconv"]}
    texts, labels, groups, weights = [], [], [], []
    for g, line in enumerate(Path(dialogues_path).read_text(encoding="utf-8").splitlines()):
        dialogue = json.loads(line)
        problem = to_problem.get(dialogue["problem_type"])
        if problem is None:
            continue
        said = [dialogue["situation"]] + [t["text"] for t in dialogue["dialog"] if t["speaker"] == "usr"
                                          and len(t["text"].split()) >= MIN_WORDS]
        for text in said:
            texts.append(" ".join(text.split()))
            labels.append(problem)
            groups.append(g)
            weights.append(ESCONV_WEIGHT)
    with Path(written_path).open(encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f, delimiter="\t")):
            texts.append(row["text"])
            labels.append(row["problem"])
            groups.append(100_000 + i)
            weights.append(1.0)
    return texts, labels, groups, weights


def main(argv: list[str] | None = None) -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import GroupKFold

    from ..heads import training_encoders

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dialogues", type=Path, required=True)
    p.add_argument("--written", type=Path, default=DATA_DIR / "problem_messages_written.tsv")
    p.add_argument("--out", type=Path, default=DATA_DIR / "problem_head.npz")
    p.add_argument("--cache", type=Path, default=None)
    p.add_argument("--C", type=float, default=4.0)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    start = time.time()

    texts, labels, groups, weights = training_rows(args.dialogues, args.written)
    encoder, _ = training_encoders("minilm", args.cache, args.threads)
    X = encoder.encode(texts)
    y, w, g = np.array(labels), np.array(weights), np.array(groups)
    names = sorted(set(labels))
    predicted = np.empty_like(y)
    for fit, held in GroupKFold(5).split(X, y, g):
        model = LogisticRegression(C=args.C, max_iter=2000, class_weight="balanced")
        model.fit(X[fit], y[fit], sample_weight=w[fit])
        predicted[held] = model.predict(X[held])
    written = g >= 100_000
    majority = max(names, key=lambda n: (y == n).sum())
    meta = {
        "n": len(y), "classes": names, "C": args.C,
        "cv_accuracy": round(accuracy_score(y, predicted), 4),
        "cv_macro_f1": round(f1_score(y, predicted, average="macro"), 4),
        "cv_written_accuracy": round(accuracy_score(y[written], predicted[written]), 4),
        "cv_written_macro_f1": round(f1_score(y[written], predicted[written], average="macro"), 4),
        "majority_accuracy": round(float((y == majority).mean()), 4),
        "per_class_f1": dict(zip(names, np.round(f1_score(y, predicted, average=None, labels=names), 3).tolist())),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    model = LogisticRegression(C=args.C, max_iter=2000, class_weight="balanced").fit(X, y, sample_weight=w)
    np.savez(args.out, weights=model.coef_.T.astype(np.float32), bias=model.intercept_.astype(np.float32),
             labels=np.array(list(model.classes_)), recipe=np.array("minilm-message-v1"), meta=np.array(json.dumps(meta)))
    print(json.dumps(meta, indent=2))
    print(f"wrote {args.out} in {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
