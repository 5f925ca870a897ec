"""Score the text-emotion model on a MELD-format CSV (Utterance, Emotion, Dialogue_ID, Utterance_ID columns).

Each utterance is classified with the earlier utterances of its dialogue as context, as in training.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from agent.config import Settings
from agent.embeddings import shared_embedder
from agent.perception.text import TextEmotionModel
from agent.perception.train_text_emotion import classification_scores, read_meld


def bench_emotion(csv_path: str | Path, settings: Settings, plot_path: str | Path | None = None) -> dict:
    model = TextEmotionModel(shared_embedder(settings.embedder(), settings.torch_threads), settings.data_dir)
    model.setup()
    labels = list(model.labels)
    rows = read_meld(Path(csv_path))
    if not rows:
        raise ValueError(f"{csv_path}: no utterances")
    unknown = sorted({r["emotion"] for r in rows} - set(labels))
    if unknown:
        raise ValueError(f"{csv_path}: emotions {unknown} are not among {labels}")
    y_true = np.array([labels.index(r["emotion"]) for r in rows])
    probs = model.probabilities([r["text"] for r in rows], [r["context"] for r in rows])
    y_pred = probs.argmax(1)
    result = {**classification_scores(y_true, y_pred, labels), "labels": labels, "backend": model.backend,
              "plot": None}
    if plot_path is not None:
        result["plot"] = str(plot_confusion(y_true, y_pred, labels, Path(plot_path), result))
    return result


def plot_confusion(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str], path: Path, scores: dict) -> Path:
    """A row-normalised confusion matrix (counts in the cells) as a PNG; Agg canvas, no global backend change."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    k = len(labels)
    counts = np.zeros((k, k), dtype=int)
    np.add.at(counts, (y_true, y_pred), 1)
    rates = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    fig = Figure(figsize=(6.5, 5.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    image = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, label="share of the true class")
    for i in range(k):
        for j in range(k):
            ax.text(j, i, counts[i, j], ha="center", va="center", fontsize=8,
                    color="white" if rates[i, j] > 0.5 else "black")
    ax.set_xticks(range(k), labels, rotation=45, ha="right")
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"text emotion: n={scores['n']}, acc {scores['accuracy']:.3f}, "
                 f"weighted-F1 {scores['weighted_f1']:.3f}", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path
