"""Train the response ranker (data/ranker.npz) on ESConv's training dialogues; report Recall@1/@10 on dev.

Each supporter turn is a positive for its dialogue so far; the other turns in a batch are the negatives (InfoNCE).
Evaluation follows the usual response-selection protocol: for each dev supporter turn, the real turn among 99
other dev supporter turns drawn at random (a fixed seed), Recall@k = share of turns where the real one is in the
top k. Baselines: cosine to the person's last message, and the query today's retrieval used (last message + 0.5 ×
the one before).

    python -m agent.planner.train_ranker --train ../shared/data/esconv/trainWithStrategy_short.tsv \
        --dev ../shared/data/esconv/devWithStrategy_short.tsv [--cache /tmp/ranker-cache.npz] [--out data/ranker.npz]

Tried (dev figures only reported, the epoch picked on a held-out tenth of the training dialogues): l2 = 1e-3 toward
the identity, lr 1e-3 — best at epoch 2 (held-out R@1 0.240), then overfits (0.192 by epoch 12); kept, it gives dev
R@1 0.259 / R@10 0.624 against 0.224 / 0.531 for plain cosine. l2 = 0.05, lr 5e-4 — too stiff (held-out R@1 0.231).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ..affect.esconv import ResponseSample, read_responses

CANDIDATES = 100  # the real turn + 99 others (Recall@k among 100, as in response-selection benchmarks)


def embed_samples(samples: list[ResponseSample], encoder) -> tuple[np.ndarray, np.ndarray]:
    """(queries (n, 3·d): last user ‖ last agent ‖ mean of earlier user; responses (n, d))."""
    texts = sorted({t for s in samples for t in [s.last_user, s.last_agent, s.response, *s.earlier_user] if t})
    vectors = dict(zip(texts, encoder.encode(texts)))
    dim = len(next(iter(vectors.values())))
    zero = np.zeros(dim, np.float32)

    def vec(text: str) -> np.ndarray:
        return vectors[text] if text else zero

    def mean(items: list[str]) -> np.ndarray:
        if not items:
            return zero
        m = np.mean([vectors[t] for t in items], axis=0)
        return m / max(np.linalg.norm(m), 1e-8)

    queries = np.stack([np.concatenate([vec(s.last_user), vec(s.last_agent), mean(s.earlier_user)]) for s in samples])
    responses = np.stack([vec(s.response) for s in samples])
    return queries.astype(np.float32), responses.astype(np.float32)


def candidate_sets(samples: list[ResponseSample], seed: int = 0) -> np.ndarray:
    """For each sample, CANDIDATES indices: its own first, then others with a different text."""
    rng = np.random.default_rng(seed)
    n = len(samples)
    texts = [s.response.lower() for s in samples]
    out = np.zeros((n, CANDIDATES), int)
    for i in range(n):
        others: list[int] = []
        while len(others) < CANDIDATES - 1:
            for j in rng.integers(0, n, CANDIDATES * 2):
                if texts[j] != texts[i] and j not in others:
                    others.append(int(j))
                if len(others) == CANDIDATES - 1:
                    break
        out[i] = [i, *others]
    return out


def recall_at(scores: np.ndarray) -> dict[str, float]:
    """scores (n, CANDIDATES), column 0 the real turn → Recall@1/@10 and mean reciprocal rank."""
    rank = (scores[:, 1:] > scores[:, :1]).sum(axis=1)  # ties count in the real turn's favour
    return {"recall@1": round(float((rank < 1).mean()), 4), "recall@10": round(float((rank < 10).mean()), 4),
            "mrr": round(float((1.0 / (rank + 1)).mean()), 4)}


def evaluate(query_vectors: np.ndarray, response_vectors: np.ndarray, sets: np.ndarray) -> dict[str, float]:
    """query_vectors and response_vectors already mapped and unit-normalised."""
    scores = np.einsum("nd,nkd->nk", query_vectors, response_vectors[sets])
    return recall_at(scores)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-8)


def baselines(queries: np.ndarray, responses: np.ndarray, samples: list[ResponseSample], encoder,
              sets: np.ndarray) -> dict[str, dict]:
    dim = responses.shape[1]
    last_user = _unit(queries[:, :dim])
    previous = [s.earlier_user[-1] if s.earlier_user else "" for s in samples]
    prev_vectors = np.stack([encoder.encode([p])[0] if p else np.zeros(dim, np.float32) for p in previous])
    today = _unit(last_user + 0.5 * prev_vectors)
    return {"cosine to last message": evaluate(last_user, _unit(responses), sets),
            "today's retrieval query (last + 0.5 x previous)": evaluate(today, _unit(responses), sets)}


def train(queries: np.ndarray, responses: np.ndarray, texts: list[str], *, epochs: int, batch: int, lr: float,
          l2: float, seed: int, valid: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
          log=print) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """InfoNCE with in-batch negatives; both maps start at the identity and are pulled back toward it (l2)."""
    import torch

    torch.manual_seed(seed)
    dim = responses.shape[1]
    q0 = torch.cat([torch.eye(dim), torch.zeros(2 * dim, dim)])
    c0 = torch.eye(dim)
    query_map, candidate_map = torch.nn.Parameter(q0.clone()), torch.nn.Parameter(c0.clone())
    log_scale = torch.nn.Parameter(torch.tensor(np.log(20.0), dtype=torch.float32))
    optimiser = torch.optim.Adam([query_map, candidate_map, log_scale], lr=lr)
    Q, R = torch.from_numpy(queries), torch.from_numpy(responses)
    same_text = {t: i for i, t in enumerate(texts)}
    text_ids = torch.tensor([same_text[t] for t in texts])
    rng = np.random.default_rng(seed)
    history, best = [], (-1.0, q0.numpy(), c0.numpy())
    for epoch in range(epochs):
        order = rng.permutation(len(Q))
        total = 0.0
        for start in range(0, len(order), batch):
            idx = torch.from_numpy(order[start:start + batch])
            q = torch.nn.functional.normalize(Q[idx] @ query_map, dim=1)
            c = torch.nn.functional.normalize(R[idx] @ candidate_map, dim=1)
            logits = log_scale.exp() * q @ c.T
            duplicate = (text_ids[idx][:, None] == text_ids[idx][None, :]) & ~torch.eye(len(idx), dtype=torch.bool)
            logits = logits.masked_fill(duplicate, -1e4)  # the same words elsewhere in the batch are not negatives
            target = torch.arange(len(idx))
            loss = torch.nn.functional.cross_entropy(logits, target)
            loss = loss + l2 * (((query_map - q0) ** 2).sum() + ((candidate_map - c0) ** 2).sum())
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss) * len(idx)
        row = {"epoch": epoch + 1, "loss": round(total / len(Q), 4)}
        if valid is not None:
            vq, vr, vsets = valid
            qm, cm = query_map.detach().numpy(), candidate_map.detach().numpy()
            row.update(evaluate(_unit(vq @ qm), _unit(vr @ cm), vsets))
            if row["recall@1"] > best[0]:
                best = (row["recall@1"], qm.copy(), cm.copy())
        history.append(row)
        log(json.dumps(row))
    if valid is None:
        best = (0, query_map.detach().numpy(), candidate_map.detach().numpy())
    return best[1], best[2], history


def main(argv: list[str] | None = None) -> int:
    from ..heads import training_encoders

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", type=Path, required=True)
    p.add_argument("--dev", type=Path, required=True)
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "data" / "ranker.npz")
    p.add_argument("--cache", type=Path, default=None, help="an .npz that keeps embeddings between runs")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--l2", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--report", type=Path, default=None, help="write the figures as JSON here")
    args = p.parse_args(argv)

    encoder, _ = training_encoders("minilm", args.cache, args.threads)
    train_samples, dev_samples = read_responses(args.train), read_responses(args.dev)
    # a tenth of the training dialogues pick the epoch (dev is only reported)
    held = {d for d in range(max(s.dialogue for s in train_samples) + 1) if d % 10 == 0}
    fit = [s for s in train_samples if s.dialogue not in held]
    valid = [s for s in train_samples if s.dialogue in held]
    fq, fr = embed_samples(fit, encoder)
    vq, vr = embed_samples(valid, encoder)
    dq, dr = embed_samples(dev_samples, encoder)
    vsets, dsets = candidate_sets(valid, args.seed), candidate_sets(dev_samples, args.seed)

    query_map, candidate_map, history = train(
        fq, fr, [s.response.lower() for s in fit], epochs=args.epochs, batch=args.batch, lr=args.lr, l2=args.l2,
        seed=args.seed, valid=(vq, vr, vsets))
    report = {"n_train": len(fit), "n_valid": len(valid), "n_dev": len(dev_samples), "candidates": CANDIDATES,
              "dev": {**baselines(dq, dr, dev_samples, encoder, dsets),
                      "trained ranker": evaluate(_unit(dq @ query_map), _unit(dr @ candidate_map), dsets)},
              "history": history,
              "settings": {k: getattr(args, k) for k in ("epochs", "batch", "lr", "l2", "seed")}}
    long_enough = np.array([len(s.response.split()) >= 4 for s in dev_samples])
    report["dev_4plus_words"] = {
        "n": int(long_enough.sum()),
        "cosine to last message": evaluate(_unit(dq[:, :dr.shape[1]])[long_enough], _unit(dr), dsets[long_enough]),
        "trained ranker": evaluate(_unit(dq @ query_map)[long_enough], _unit(dr @ candidate_map), dsets[long_enough])}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, query_map=query_map.astype(np.float32), candidate_map=candidate_map.astype(np.float32),
             meta=json.dumps({k: v for k, v in report.items() if k != "history"}))
    text = json.dumps(report, indent=1)
    if args.report:
        args.report.write_text(text)
    print(json.dumps({k: v for k, v in report.items() if k != "history"}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
