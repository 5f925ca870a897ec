"""Crisis-detector recall and false-alarm rate on a labelled TSV (label, category, text).

Reproduce: ``python -m evals.safety_bench tests/data/crisis_*.tsv ../shared/data/meld/dev_sent_emo.csv`` (a .csv is
everyday dialogue: only false alarms are counted).
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
from agent.text import normalise


def load_labelled(path: Path) -> list[dict]:
    with Path(path).open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def bench_safety(path: Path, detector: CrisisDetector, text_emotion=None) -> dict:
    """With a text-emotion model the detector also sees the perceived emotion, as in a real turn.

    Two readings: escalation (the turn becomes the fixed crisis reply) and help (escalation, or a normal reply
    with a gentle check-in that names where help is)."""
    rows = load_labelled(path)
    verdicts = _assess_all([r["text"] for r in rows], detector, text_emotion)
    risk = [(r, v) for r, v in zip(rows, verdicts) if r["label"] == "1"]
    safe = [(r, v) for r, v in zip(rows, verdicts) if r["label"] == "0"]
    missed = [r["text"] for r, v in risk if not v.escalate]
    alarms = [r["text"] for r, v in safe if v.escalate]
    help_missed = [r["text"] for r, v in risk if not (v.escalate or v.check_in)]
    help_alarms = [r["text"] for r, v in safe if v.escalate or v.check_in]
    rate = lambda part, whole: round(len(part) / max(len(whole), 1), 3)  # noqa: E731
    return {"file": str(path), "n_risk": len(risk), "n_safe": len(safe),
            "recall": round(1 - rate(missed, risk), 3), "false_alarm_rate": rate(alarms, safe),
            "help_recall": round(1 - rate(help_missed, risk), 3), "help_false_alarm_rate": rate(help_alarms, safe),
            "missed": missed, "false_alarms": alarms, "help_missed": help_missed}


def bench_everyday(csv_path: Path, detector: CrisisDetector, text_emotion=None) -> dict:
    """False alarms on everyday dialogue (a MELD-format CSV: the Utterance column), both readings."""
    with Path(csv_path).open(encoding="utf-8") as f:
        texts = [normalise(r["Utterance"]) for r in csv.DictReader(f)]
    verdicts = _assess_all(texts, detector, text_emotion)
    escalated = [t for t, v in zip(texts, verdicts) if v.escalate]
    checked = [t for t, v in zip(texts, verdicts) if v.check_in]
    return {"file": str(csv_path), "n": len(texts), "escalated": round(len(escalated) / max(len(texts), 1), 4),
            "checked_in": round(len(checked) / max(len(texts), 1), 4), "escalated_texts": escalated,
            "checked_in_texts": checked}


def _assess_all(texts: list[str], detector: CrisisDetector, text_emotion=None, batch: int = 100) -> list:
    verdicts = []
    for start in range(0, len(texts), batch):  # batched encoding first: one message at a time is ~5x slower
        chunk = texts[start:start + batch]
        detector.prepare(chunk)
        for text in chunk:
            emotion = text_emotion.predict(text) if text_emotion is not None else None
            verdicts.append(detector.assess(text, emotion))
    return verdicts


def main(paths: list[str]) -> None:
    settings = Settings()
    embedder = shared_embedder(settings.embedder())
    detector = CrisisDetector.from_settings(settings, embedder)
    emotion = TextEmotionModel(embedder, settings.data_dir)
    print(json.dumps([bench_everyday(Path(p), detector, emotion) if p.endswith(".csv")
                      else bench_safety(Path(p), detector, emotion) for p in paths], indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
