"""Score ESC strategy prediction on ESConv-format data: the trained planner, the LLM-only planner, a majority baseline.

Reproduce (the shipped head is trained on ESConv's training split; dev is held out):
``attune bench strategy --data ../shared/data/esconv/devWithStrategy_short.tsv --folds 1 --limit 100 --json``
(the shipped head scored as is) and ``attune bench strategy --data ../shared/data/esconv/trainWithStrategy_short.tsv
--folds 5 --limit 0 --json`` (grouped CV on the training data).

- trained: the planner's head + stage order. With ``folds`` > 1 the head is refitted per fold (the shipped head's C
  and prior-correction weight; folds grouped by dialogue) and scored out of fold — use this on the data the shipped
  head was trained on. With ``folds`` ≤ 1 the shipped head is scored as is (for held-out data).
- shipped_head: what training recorded in the head — its data, settings, dev scores and learning curve (25/50/75/100 %
  of the training dialogues, each scored on dev), plotted when plots are asked for.
- llm_only: the configured LLM picks the strategy with structured output (a Strategy enum), on ``limit`` samples
  drawn with a fixed seed (the 135M model takes ~0.3–1 s a call).
- majority: the most frequent strategy of the training folds (or of the shipped head's training data).
``subset`` scores all three on the same samples the LLM answered, for a like-for-like comparison.
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Sequence

import numpy as np
from pydantic import BaseModel

from agent.affect.esconv import ESConvSample, confusion_matrix, read_esconv
from agent.affect.strategy_model import HEAD_FILE, StrategyHead
from agent.embeddings import CachedEncoder
from agent.affect.train_strategy import (fit_head, grouped_folds, sample_features, scores, softmax,
                                         with_stage)
from agent.config import Settings
from agent.embeddings import shared_embedder
from agent.types import STRATEGIES, Strategy


class StrategyAnswer(BaseModel):
    strategy: Strategy


def _dialogue_text(sample: ESConvSample) -> str:
    lines = [f"Seeker: {t}" for t in sample.seeker_context[-2:]]
    if sample.supporter_text:
        previous = sample.previous_strategies[-1] if sample.previous_strategies else "?"
        lines.append(f"Supporter ({previous}): {sample.supporter_text}")
    if sample.seeker_text:
        lines.append(f"Seeker: {sample.seeker_text}")
    return "\n".join(lines) or "(the conversation has not started)"


class LLMStrategyPlanner:
    """The LLM alone chooses the strategy (no trained model, no stage order): the preference-bias baseline."""

    def __init__(self, settings: Settings, llm=None):
        import json

        from agent.planner.llm import LLM

        self.settings = settings
        self.llm = llm or LLM(settings)
        raw = json.loads((settings.data_dir / "strategies.json").read_text())["strategies"]
        self.strategy_list = "\n".join(f"- {name}: {spec['definition']}" for name, spec in raw.items())

    def choose_for(self, sample: ESConvSample) -> str:
        from langchain_core.messages import HumanMessage, SystemMessage

        from agent.prompts import render

        system = render(self.settings.prompts_dir, "strategy_choice.system", strategy_list=self.strategy_list)
        user = render(self.settings.prompts_dir, "strategy_choice.user", dialogue=_dialogue_text(sample))
        return self.llm.structured([SystemMessage(system), HumanMessage(user)], StrategyAnswer).strategy


def _feature_cache(settings: Settings, data_path: Path) -> Path:
    digest = hashlib.sha1(Path(data_path).read_bytes() + str(settings.embedder()).encode()).hexdigest()[:16]
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    return settings.cache_dir / f"strategy-bench-{digest}.npz"


def _names(indices: np.ndarray) -> list[str]:
    return [STRATEGIES[int(i)] for i in indices]


def bench_strategy(data_path: str | Path, settings: Settings, folds: int = 5, limit: int = 100, seed: int = 13,
                   out_dir: str | Path | None = None, llm=None) -> dict:
    start = time.perf_counter()
    data_path = Path(data_path)
    samples = read_esconv(data_path)
    if not samples:
        raise ValueError(f"{data_path}: no ESConv supporter turns with a strategy tag")
    head = StrategyHead(settings.data_dir / HEAD_FILE)
    C, lam = float(head.meta["C"]), float(head.meta["prior_weight"])
    embedder = shared_embedder(settings.embedder(), settings.torch_threads)
    x = sample_features(samples, CachedEncoder(embedder, _feature_cache(settings, data_path)), settings.data_dir)
    y = np.array([STRATEGIES.index(s.strategy) for s in samples])
    gold = _names(y)

    if folds > 1:
        fold = grouped_folds(np.array([s.dialogue for s in samples]), folds, seed)
        logits = np.zeros((len(y), len(STRATEGIES)))
        majority = np.zeros(len(y), int)
        for f in np.unique(fold):
            train, test = fold != f, fold == f
            weights, bias, prior = fit_head(x[train], y[train], C, seed)
            logits[test] = x[test] @ weights + bias - lam * np.log(prior)
            majority[test] = np.bincount(y[train], minlength=len(STRATEGIES)).argmax()
        probs = softmax(logits)
        protocol = f"{folds}-fold cross-validation grouped by dialogue (head refitted per fold: C={C}, λ={lam})"
    else:
        probs = head.probabilities(x)
        majority = np.full(len(y), STRATEGIES.index(head.meta.get("majority", "Question")))
        protocol = "the shipped head as is"
    trained = _names(with_stage(probs, samples).argmax(1))
    majority_names = _names(majority)

    result: dict = {
        "data": str(data_path), "n": len(samples), "dialogues": len({s.dialogue for s in samples}),
        "protocol": protocol, "labels": list(STRATEGIES),
        "gold_distribution": {k: gold.count(k) for k in STRATEGIES},
        "trained": scores(gold, trained), "majority": scores(gold, majority_names), "llm_only": None, "subset": None,
        "shipped_head": {k: head.meta.get(k) for k in ("trained_on", "n", "dialogues", "C", "prior_weight",
                                                         "selection", "cv_with_stage", "dev", "learning_curve")},
    }

    llm_pred: list[str | None] = []
    chosen: list[int] = []
    if limit:
        planner = LLMStrategyPlanner(settings, llm)
        rng = np.random.default_rng(seed)
        chosen = sorted(rng.choice(len(samples), size=min(limit, len(samples)), replace=False).tolist())
        failures: list[str] = []
        t = time.perf_counter()
        for i in chosen:
            try:
                llm_pred.append(planner.choose_for(samples[i]))
            except Exception as error:  # noqa: BLE001 — one failed call is a data point, not the end of the bench
                llm_pred.append(None)
                failures.append(f"{type(error).__name__}: {str(error)[:120]}")
        answered = [i for i, p in zip(chosen, llm_pred) if p is not None]
        answers = [p for p in llm_pred if p is not None]
        llm_seconds = time.perf_counter() - t
        if answered:
            sub_gold = [gold[i] for i in answered]
            result["llm_only"] = {**scores(sub_gold, answers), "asked": len(chosen), "failed": len(failures),
                                  "failures": failures[:5], "seconds_per_call": round(llm_seconds / len(chosen), 2),
                                  "llm": settings.llm.model if settings.llm.backend == "openai" else "embedded "
                                  + str(settings.gguf().name)}
            result["subset"] = {"n": len(answered), "seed": seed,
                                "trained": scores(sub_gold, [trained[i] for i in answered]),
                                "llm_only": scores(sub_gold, answers),
                                "majority": scores(sub_gold, [majority_names[i] for i in answered])}

    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        panels = {"trained": (gold, trained), "majority": (gold, majority_names)}
        if result["llm_only"]:
            panels["llm_only"] = ([gold[i] for i, p in zip(chosen, llm_pred) if p is not None],
                                  [p for p in llm_pred if p is not None])
        result["plots"] = {"confusion": str(plot_confusions(panels, out / "strategy_confusion.png", result)),
                           "distribution": str(plot_distribution(gold, panels, out / "strategy_distribution.png"))}
        if head.meta.get("learning_curve"):
            result["plots"]["learning_curve"] = str(plot_learning_curve(head.meta["learning_curve"],
                                                                        out / "strategy_learning_curve.png"))
    result["seconds"] = round(time.perf_counter() - start, 1)
    return result


_SHORT = {"Question": "Quest", "Restatement or Paraphrasing": "Restate", "Reflection of Feelings": "Reflect",
          "Self-disclosure": "Self-disc", "Affirmation and Reassurance": "Affirm", "Providing Suggestions": "Suggest",
          "Information": "Inform", "Others": "Others"}


def _figure(size):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    return fig


def plot_confusions(panels: dict[str, tuple[Sequence[str], Sequence[str]]], path: Path, result: dict) -> Path:
    """Row-normalised confusion matrices, one panel per planner; Agg canvas, no global backend change."""
    fig = _figure((6 * len(panels), 5.5))
    short = [_SHORT[k] for k in STRATEGIES]
    for n, (name, (gold, pred)) in enumerate(panels.items()):
        counts = confusion_matrix(gold, pred)
        rates = counts / np.maximum(counts.sum(1, keepdims=True), 1)
        ax = fig.add_subplot(1, len(panels), n + 1)
        ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
        for i in range(len(STRATEGIES)):
            for j in range(len(STRATEGIES)):
                ax.text(j, i, counts[i, j], ha="center", va="center", fontsize=7,
                        color="white" if rates[i, j] > 0.5 else "black")
        ax.set_xticks(range(len(short)), short, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(short)), short, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
        s = result["subset"][name] if name == "llm_only" else result[name]
        ax.set_title(f"{name}: n={s['n']} acc {s['accuracy']:.3f} B {s['preference_bias']:.2f}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def plot_distribution(gold: Sequence[str], panels: dict, path: Path) -> Path:
    """Share of each strategy: gold vs each planner's predictions."""
    fig = _figure((10, 4.5))
    ax = fig.add_subplot()
    series = {"gold": gold, **{name: pred for name, (_, pred) in panels.items()}}
    width = 0.8 / len(series)
    for n, (name, values) in enumerate(series.items()):
        share = [list(values).count(k) / max(len(values), 1) for k in STRATEGIES]
        ax.bar(np.arange(len(STRATEGIES)) + (n - (len(series) - 1) / 2) * width, share, width, label=name)
    ax.set_xticks(range(len(STRATEGIES)), [_SHORT[k] for k in STRATEGIES], fontsize=9)
    ax.set_ylabel("share of turns")
    return _finish(fig, ax, "predicted-strategy distribution", path)


def plot_learning_curve(curve: list[dict], path: Path) -> Path:
    """Dev scores of the head refitted on growing shares of the training dialogues."""
    fig = _figure((6, 4))
    ax = fig.add_subplot()
    turns = [point["turns"] for point in curve]
    for key, label in (("accuracy", "accuracy"), ("macro_f1", "macro-F1"), ("weighted_f1", "weighted-F1")):
        ax.plot(turns, [point[key] for point in curve], marker="o", label=label)
    ax.set_xlabel("training turns (25/50/75/100 % of the dialogues)")
    ax.set_ylabel("dev score")
    return _finish(fig, ax, "strategy head: learning curve", path)


def _finish(fig, ax, title: str, path: Path) -> Path:
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path
