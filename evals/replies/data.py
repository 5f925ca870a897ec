"""Real ESConv dialogues as exchanges: what the seeker said (consecutive seeker turns joined), then what the human
supporter answered (consecutive supporter turns joined). Read from an ESConv strategy TSV (each line a window of
the dialogue so far; the windows of one dialogue are merged by turn index) or from ESConv-style JSONL
(``{emotion_type, problem_type, situation, dialog: [{text, speaker: usr|sys, strategy}]}``)."""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from agent.affect.esconv import supporter_targets


@dataclass
class Exchange:
    seeker: str                  # "" when the supporter spoke first
    supporter: str
    strategies: list[str] = field(default_factory=list)


@dataclass
class Dialogue:
    id: str
    exchanges: list[Exchange]
    problem_type: str = ""
    emotion_type: str = ""


def _exchanges(turns: list[tuple[str, str, str | None]]) -> list[Exchange]:
    """turns: (speaker 'seeker'|'supporter', text, strategy) in order → exchanges ending in a supporter turn."""
    out: list[Exchange] = []
    seeker: list[str] = []
    for speaker, text, strategy in turns:
        if speaker == "seeker":
            seeker.append(text)
        elif seeker or not out:
            out.append(Exchange(" ".join(seeker), text, [strategy] if strategy else []))
            seeker = []
        else:  # the supporter goes on: one reply of several sentences
            out[-1].supporter += " " + text
            out[-1].strategies += [strategy] if strategy else []
    return out


def read_tsv(path: Path) -> list[Dialogue]:
    merged: dict[int, dict[int, tuple[str, str, str | None]]] = {}
    for dialogue, _, target, window in supporter_targets(path):
        turns = merged.setdefault(dialogue, {})
        for turn in window + [target]:
            speaker = "supporter" if turn["speaker"] == "1" else "seeker"
            turns.setdefault(turn["index"], (speaker, turn["text"], turn["strategy"]))
    return [Dialogue(f"{Path(path).stem}:{d}", _exchanges([turns[i] for i in sorted(turns)]))
            for d, turns in merged.items()]


def read_jsonl(path: Path) -> list[Dialogue]:
    from agent.planner.esconv_text import ESCONV_TO_STRATEGY

    out = []
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        raw = json.loads(line)
        turns = [("seeker" if t["speaker"] == "usr" else "supporter", " ".join(t["text"].split()),
                  ESCONV_TO_STRATEGY.get(t.get("strategy") or "", t.get("strategy"))) for t in raw["dialog"]]
        out.append(Dialogue(f"{Path(path).stem}:{i}", _exchanges(turns), raw.get("problem_type", ""),
                            raw.get("emotion_type", "")))
    return out


def read_dialogues(path: str | Path) -> list[Dialogue]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (an ESConv strategy TSV or ESConv-style JSONL)")
    dialogues = read_jsonl(path) if path.suffix == ".jsonl" else read_tsv(path)
    dialogues = [d for d in dialogues if any(e.seeker for e in d.exchanges)]
    if not dialogues:
        raise ValueError(f"{path}: no dialogues found (expected an ESConv strategy TSV or ESConv-style JSONL)")
    return dialogues


def sample(dialogues: list[Dialogue], n: int, seed: int, per_dialogue: int) -> list[tuple[Dialogue, int]]:
    """(dialogue, number of its exchanges to answer): whole dialogue openings in a seeded random order, at most
    per_dialogue exchanges each, n exchanges with a seeker message in all. Openings, so that every answered turn
    follows the real history from the first word and repeats within a dialogue can be counted."""
    order = list(dialogues)
    random.Random(seed).shuffle(order)
    picked, total = [], 0
    for dialogue in order:
        if total >= n:
            break
        answerable = [i for i, e in enumerate(dialogue.exchanges) if e.seeker][:per_dialogue]
        answerable = answerable[:n - total]
        if answerable:
            picked.append((dialogue, answerable[-1] + 1))
            total += len(answerable)
    return picked
