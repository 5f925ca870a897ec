"""Judge scores to the ESC-Eval leaderboard scale (0–100) with confidence intervals over dialogues."""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .dimensions import DIMENSIONS


def scale(mean_0_4: float) -> float:
    """ESC-Eval leaderboard scale: mean of 0–4 scores / 4 * 100."""
    return mean_0_4 / 4.0 * 100.0


def confidence_interval(values: Sequence[float], method: str = "bootstrap", level: float = 0.95,
                        resamples: int = 2000, seed: int = 0) -> tuple[float, float] | None:
    """CI of the mean (same units as values): percentile bootstrap over dialogues (seeded) or Student's t."""
    x = np.asarray([v for v in values if v is not None], dtype=float)
    if len(x) < 2:
        return None
    alpha = (1 - level) / 2
    if method == "t":
        from scipy import stats

        half = float(stats.t.ppf(1 - alpha, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
        return float(x.mean() - half), float(x.mean() + half)
    if method != "bootstrap":
        raise ValueError(f"unknown CI method {method!r} (bootstrap or t)")
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(resamples, len(x)))].mean(axis=1)
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


def dimension_summary(values: Sequence[int | None], ci: str = "bootstrap", seed: int = 0) -> dict:
    """Mean 0–4, score 0–100, CI on 0–100, n (valid), missing (judged but unscored)."""
    valid = [float(v) for v in values if v is not None]
    out: dict[str, Any] = {"n": len(valid), "missing": len(values) - len(valid)}
    if not valid:
        return out | {"mean_0_4": None, "score": None, "ci_low": None, "ci_high": None}
    mean = float(np.mean(valid))
    interval = confidence_interval(valid, ci, seed=seed)
    return out | {"mean_0_4": round(mean, 4), "score": round(scale(mean), 2),
                  "ci_low": round(scale(interval[0]), 2) if interval else None,
                  "ci_high": round(scale(interval[1]), 2) if interval else None}


def aggregate(table: dict[str, list[dict[str, int | None]]], ci: str = "bootstrap", seed: int = 0) -> dict:
    """Per system: per-dimension summaries and the average (per-dialogue mean of its valid dimensions)."""
    out = {}
    for system, rows in table.items():
        dims = {d: dimension_summary([r.get(d) for r in rows], ci, seed) for d in DIMENSIONS}
        averages = []
        for r in rows:
            valid = [r[d] for d in DIMENSIONS if r.get(d) is not None]
            averages.append(float(np.mean(valid)) if valid else None)
        out[system] = {"dialogues": len(rows), "dimensions": dims, "average": dimension_summary(averages, ci, seed)}
    return out
