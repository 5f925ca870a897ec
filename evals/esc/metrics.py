"""Automatic metrics of a system's replies, beside the judge: Distinct-n, length, the humanoid proxy (lists, AI
tells, markup: data/ai_tells.json, the quality gate's own patterns) and the strategy mix's preference bias."""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from agent.affect.esconv import preference_scores
from agent.ai_tells import humanoid_flags

__all__ = ["ESCONV_DEV_STRATEGY_COUNTS", "distinct_n", "humanoid_flags", "preference_bias_against_reference",
           "reply_metrics", "tokens"]

# ESConv supporters' strategy mix (validation split, devWithStrategy_short.tsv, 2,985 supporter turns, counted
# here once): the reference mix for the distribution-only preference bias below.
ESCONV_DEV_STRATEGY_COUNTS = {
    "Question": 595, "Others": 510, "Affirmation and Reassurance": 494, "Providing Suggestions": 477,
    "Self-disclosure": 283, "Reflection of Feelings": 249, "Information": 200, "Restatement or Paraphrasing": 177,
}


def tokens(text: str, language: str) -> list[str]:
    """Words for English; characters (CJK) plus Latin words for Chinese."""
    if language == "zh":
        return re.findall(r"[\u3400-\u9fff]|[a-z0-9']+", text.lower())
    return re.findall(r"[a-z0-9']+", text.lower())


def distinct_n(texts: Sequence[str], n: int, language: str = "en") -> float | None:
    """Distinct-n (Li et al. 2016): unique n-grams / all n-grams, pooled over the texts."""
    grams: list[tuple] = []
    for text in texts:
        toks = tokens(text, language)
        grams.extend(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))
    return round(len(set(grams)) / len(grams), 4) if grams else None


def reply_metrics(replies: Sequence[str], language: str) -> dict:
    flags = [humanoid_flags(r) for r in replies]
    lengths = [len(tokens(r, language)) for r in replies]
    return {
        "replies": len(replies),
        "distinct_1": distinct_n(replies, 1, language), "distinct_2": distinct_n(replies, 2, language),
        "mean_length": round(float(np.mean(lengths)), 2) if lengths else None,
        "length_unit": "characters" if language == "zh" else "words",
        "replies_with_list": sum(f["list"] for f in flags),
        "replies_with_ai_tell": sum(f["ai_tell"] for f in flags),
        "replies_with_markup": sum(f["markup"] for f in flags),
    }


def preference_bias_against_reference(counts: dict[str, int], reference: dict[str, int] | None = None) -> dict:
    """B of a strategy mix where no gold strategy exists (role-play): predictions and gold taken as independent,
    w_ij = N · P(pred i) · P_ref(gold j), with ESConv supporters' mix as the reference. B = 0 when the system's mix
    equals the reference mix; it grows as one strategy is over-used. Not comparable to B on a labelled test set."""
    reference = reference or ESCONV_DEV_STRATEGY_COUNTS
    names = list(reference)
    pred = np.array([counts.get(s, 0) for s in names], dtype=float)
    if pred.sum() == 0:
        return {"B": None, "preferences": {}, "reference": "ESConv dev supporter turns", "n": 0}
    gold = np.array([reference[s] for s in names], dtype=float)
    w = np.outer(pred / pred.sum(), gold / gold.sum()) * pred.sum()  # w[predicted, gold], the paper's layout
    p, b = preference_scores(w.T)  # the shared implementation takes sklearn's layout: confusion[gold, predicted]
    return {"B": round(b, 4), "preferences": {s: round(float(v), 3) for s, v in zip(names, p)},
            "reference": "ESConv dev supporter turns", "n": int(pred.sum()),
            "implementation": "agent.affect.esconv.preference_bias"}
