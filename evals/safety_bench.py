"""Crisis-detector recall and false-alarm rate on a labelled TSV (label, category, text).

Reproduce: ``python -m evals.safety_bench tests/data/crisis_dev.tsv tests/data/crisis_holdout.tsv``.
"""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from agent.config import Settings
from agent.embeddings import shared_embedder
from agent.perception.text import TextEmotionModel
from agent.safety import CrisisDetector


def load_labelled(path: Path) -> list[dict]:
    with Path(path).open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def bench_safety(path: Path, detector: CrisisDetector, text_emotion=None) -> dict:
    """With a text-emotion model the detector also sees the perceived emotion, as in a real turn."""
    rows = load_labelled(path)
    positives = [r for r in rows if r["label"] == "1"]
    negatives = [r for r in rows if r["label"] == "0"]
    def escalates(text: str) -> bool:
        emotion = text_emotion.predict(text) if text_emotion is not None else None
        return detector.assess(text, emotion).escalate

    missed = [r["text"] for r in positives if not escalates(r["text"])]
    alarms = [r["text"] for r in negatives if escalates(r["text"])]
    return {"file": str(path), "n_risk": len(positives), "n_safe": len(negatives),
            "recall": round(1 - len(missed) / max(len(positives), 1), 3),
            "false_alarm_rate": round(len(alarms) / max(len(negatives), 1), 3),
            "missed": missed, "false_alarms": alarms}


def main(paths: list[str]) -> None:
    settings = Settings()
    embedder = shared_embedder(settings.embedder())
    detector = CrisisDetector(embedder, settings.data_dir, settings.prompts_dir,
                              settings.safety.locale, settings.safety.semantic_threshold)
    emotion = TextEmotionModel(embedder, settings.data_dir)
    print(json.dumps([bench_safety(Path(p), detector, emotion) for p in paths], indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
