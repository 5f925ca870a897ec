"""Train the seeker's emotion-type head (data/emotion_type_head.npz) and score it with the problem-type head, per
conversation, on ESConv dialogues that were never trained on.

ESConv labels each dialogue with the seeker's emotion type (anxiety, depression, sadness, anger, fear, disgust,
shame; nervousness is folded into anxiety and guilt into shame, each under 10 dialogues) and problem type. The
head reads one message (MiniLM), like the problem head; the dialogue tracker smooths both over the turns, so a
conversation is scored the same way: the mean of the seeker's message probabilities.

Evaluation: grouped 5-fold CV over the training dialogues (a dialogue never in two folds), and ESConv's 196 failed
dialogues (FailedESConv.json: other seekers, never trained on) as a held-out set. ESConv's validation split has no
emotion or problem labels here (devWithStrategy_short.tsv carries strategies only), so these stand in for dev.
The problem head (train_problem.py) maps ESConv's problem types to Attune's; it was trained on all training
dialogues, so only its held-out figure is clean.

    python -m agent.planner.train_emotion_type --dialogues ../shared/data/esconv/train_dialogues.jsonl \
        --held-out ../shared/data/esconv/FailedESConv.json [--cache F.npz]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
MIN_WORDS = 6  # as for the problem head: "hello", "yes I am" say nothing
SEEKER = {"usr", "seeker", "speaker"}
FOLD_INTO = {"nervousness": "anxiety", "guilt": "shame"}
RECIPE = "minilm-message-v1"


def dialogues(path: Path) -> list[dict]:
    text = Path(path).read_text(encoding="utf-8")
    return json.loads(text) if text.lstrip().startswith("[") else [json.loads(line) for line in text.splitlines()]


def seeker_messages(dialogue: dict, situation: bool) -> list[str]:
    """The seeker's turns of 6+ words; both ESConv layouts (train_dialogues: speaker usr/text; ESConv.json and
    FailedESConv.json: speaker seeker|speaker/content)."""
    said = [t.get("text") or t.get("content", "") for t in dialogue["dialog"] if t["speaker"] in SEEKER]
    said = [t for t in said if len(t.split()) >= MIN_WORDS]
    return ([dialogue["situation"]] if situation else []) + [" ".join(t.split()) for t in said]


def conversation_scores(probabilities: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
    """The mean message probability per conversation (rows of conversations without a message stay 0)."""
    out = np.zeros((n, probabilities.shape[1]))
    np.add.at(out, owners, probabilities)
    return out / np.maximum(np.bincount(owners, minlength=n), 1)[:, None]


def report(gold: list[str], predicted: list[str]) -> dict:
    """Accuracy and macro-F1 over the classes the gold labels use, beside always answering the majority class."""
    from sklearn.metrics import accuracy_score, f1_score

    labels = sorted(set(gold))
    majority = max(set(gold), key=gold.count)
    return {"n": len(gold), "accuracy": round(float(accuracy_score(gold, predicted)), 4),
            "macro_f1": round(float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)), 4),
            "majority_label": majority, "majority_accuracy": round(gold.count(majority) / len(gold), 4),
            "majority_macro_f1": round(float(f1_score(gold, [majority] * len(gold), labels=labels, average="macro",
                                                      zero_division=0)), 4)}


def main(argv: list[str] | None = None) -> dict:
    from sklearn.linear_model import LogisticRegression

    from ..heads import SoftmaxHead, training_encoders

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dialogues", type=Path, required=True, help="train_dialogues.jsonl")
    p.add_argument("--held-out", type=Path, required=True, help="FailedESConv.json (or another labelled set)")
    p.add_argument("--out", type=Path, default=DATA_DIR / "emotion_type_head.npz")
    p.add_argument("--cache", type=Path, default=None)
    p.add_argument("--C", type=float, default=1.0)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    start = time.time()

    train, held = dialogues(args.dialogues), dialogues(args.held_out)
    emotion = lambda d: FOLD_INTO.get(d["emotion_type"], d["emotion_type"])  # noqa: E731
    labels = sorted({emotion(d) for d in train})
    encoder, _ = training_encoders("minilm", args.cache, args.threads)

    def rows(items, situation):
        texts, owners = [], []
        for i, d in enumerate(items):
            for text in seeker_messages(d, situation):
                texts.append(text)
                owners.append(i)
        return encoder.encode(texts), np.array(owners)

    X, owner = rows(train, situation=True)
    y = np.array([emotion(train[i]) for i in owner])
    # conversation-level CV: situation summaries train, only the seeker's turns are scored (all a chat has)
    Xs, owner_s = rows(train, situation=False)
    fold = np.random.default_rng(13).permutation(len(train)) % 5
    cv_probs = np.zeros((len(Xs), len(labels)))
    for f in range(5):
        fit = fold[owner] != f
        model = LogisticRegression(C=args.C, max_iter=2000, class_weight="balanced").fit(X[fit], y[fit])
        held_rows = fold[owner_s] == f
        cv_probs[held_rows] = model.predict_proba(Xs[held_rows])
    seen = np.unique(owner_s)
    cv_conv = conversation_scores(cv_probs, owner_s, len(train))[seen]
    model = LogisticRegression(C=args.C, max_iter=2000, class_weight="balanced").fit(X, y)
    Xh, owner_h = rows(held, situation=False)
    held_conv = conversation_scores(model.predict_proba(Xh), owner_h, len(held))
    held_seen = np.unique(owner_h)
    meta = {
        "trained_on": f"{args.dialogues.name}: situation summaries and seeker turns of {MIN_WORDS}+ words",
        "n": int(len(y)), "dialogues": len(train), "classes": labels, "C": args.C, "folded": FOLD_INTO,
        "scored_as": "per conversation: the mean of the seeker's message probabilities (their turns only)",
        "emotion_type": {
            "cv_train_dialogues": report([emotion(train[i]) for i in seen], [labels[k] for k in cv_conv.argmax(1)]),
            "held_out": {"data": args.held_out.name, **report([emotion(held[i]) for i in held_seen],
                                                              [labels[k] for k in held_conv[held_seen].argmax(1)])},
        },
    }
    # the shipped problem head on the same held-out conversations, in Attune's problem types
    types = json.loads((DATA_DIR / "problem_types.json").read_text())
    to_problem = {name: pid for pid, spec in types.items() if not pid.startswith("_") for name in spec["esconv"]}
    problem_head = SoftmaxHead(DATA_DIR / "problem_head.npz", {"minilm": RECIPE})
    problem_conv = conversation_scores(problem_head.probabilities(Xh), owner_h, len(held))
    mapped = [i for i in held_seen if held[i]["problem_type"] in to_problem]
    meta["problem_type"] = {"data": args.held_out.name, **report(
        [to_problem[held[i]["problem_type"]] for i in mapped],
        [problem_head.labels[k] for k in problem_conv[mapped].argmax(1)])}
    meta["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    np.savez(args.out, weights=model.coef_.T.astype(np.float32), bias=model.intercept_.astype(np.float32),
             labels=np.array(list(model.classes_)), recipe=np.array(RECIPE), meta=np.array(json.dumps(meta)))
    print(json.dumps(meta, indent=2))
    print(f"wrote {args.out} in {time.time() - start:.0f} s")
    return meta


if __name__ == "__main__":
    main()
