"""The run's files: one JSON per dialogue (written atomically, so a rerun resumes), scores.json, scores.csv and
summary.csv; the summary of a run and whether it is only a smoke test."""
from __future__ import annotations

import csv
import json
import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .dimensions import DIMENSIONS
from .endpoints import PACKAGED_MODEL
from .metrics import preference_bias_against_reference, reply_metrics
from .stats import aggregate
from .systems import safe_label

SCHEMA = "attune.esc-eval.dialogue/1"
# what each evaluation role would have to do, for the smoke-test reason
ROLE_TASKS = {"role-player": "play a card", "judge": "judge a dialogue"}


def atomic_write(path: Path, payload: Any) -> None:
    """JSON written to a temporary file and renamed: a dialogue file is never half-written, even on a kill."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def dialogue_path(out: Path, system_label: str, card_id: str) -> Path:
    return Path(out) / "dialogues" / safe_label(system_label) / f"{safe_label(card_id)}.json"


def read_record(path: Path) -> dict | None:
    """A JSON file's content, or None when it is missing or unreadable (a dialogue to play again)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def load_dialogues(out: Path, systems: Sequence[str], card_ids: Sequence[str]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for label in systems:
        found[label] = []
        for card_id in card_ids:
            record = read_record(dialogue_path(out, label, card_id))
            if record:
                found[label].append(record)
    return found


def embedded_roles(dialogues: dict[str, list[dict]], current_roles: dict[str, dict] | None = None) -> dict[str, str]:
    """Role → model for each evaluation role ("role-player", "judge") the embedded backend played, in this run's
    settings (current_roles: role → describe_endpoint) or in a dialogue kept from an earlier run."""
    found = {role: endpoint.get("model", "?") for role, endpoint in (current_roles or {}).items()
             if endpoint.get("backend") == "embedded"}
    for records in dialogues.values():
        for d in records:
            roleplayer = d.get("roleplayer") or {}
            if d.get("turns") and roleplayer.get("backend") == "embedded":
                found.setdefault("role-player", roleplayer.get("model", "?"))
            judge = (d.get("judge") or {}).get("endpoint") or {}
            if judge.get("backend") == "embedded":
                found.setdefault("judge", judge.get("model", "?"))
    return {role: found[role] for role in ROLE_TASKS if role in found}


def smoke_test_reason(roles: dict[str, str]) -> str | None:
    """Why the judge's numbers are not results, or None when every evaluation role is a real (remote) model."""
    if not roles:
        return None
    who = " and the ".join(roles)
    verb = "is" if len(roles) == 1 else "are"
    tasks = " or ".join(ROLE_TASKS[role] for role in roles)
    if all(model == PACKAGED_MODEL for model in roles.values()):
        return f"the {who} {verb} the embedded SmolLM2-135M model, which cannot {tasks}; these numbers are not results"
    models = ", ".join(sorted(set(roles.values())))
    return (f"the {who} {verb} the embedded backend ({models}), in-process llama.cpp meant for checking that the "
            f"pipeline runs; these numbers are not results")


def summarise(out: Path, systems: Sequence[str], card_ids: Sequence[str], ci: str = "bootstrap", seed: int = 0,
              current_roles: dict[str, dict] | None = None) -> dict:
    """Scores, automatic metrics and judge diagnostics per system. current_roles (role → describe_endpoint of this
    run's role-player and judge) decides, with the dialogues' own records, whether the run is a smoke test."""
    dialogues = load_dialogues(Path(out), systems, card_ids)
    table = {label: [d["judge"]["scores"] for d in records if d.get("status") == "ok" and d.get("judge")]
             for label, records in dialogues.items()}
    scores = aggregate(table, ci, seed)
    per_system = {}
    for label, records in dialogues.items():
        played = [d for d in records if d.get("turns")]
        language = played[0]["language"] if played else "en"
        replies = [t["system"] for d in played for t in d["turns"]]
        seeker_flags = [t.get("seeker_analysis", {}).get("safety", {}).get("escalate", False) for d in played for t in d["turns"]]
        attune_turns = [t["attune"] for d in played for t in d["turns"] if "attune" in t]
        strategies = Counter(t["plan"]["strategy"] for t in attune_turns if t.get("plan"))
        judge_problems = Counter(dim for d in records if d.get("judge") for dim in d["judge"].get("problems", {}))
        judged = [d for d in records if d.get("judge")]
        per_system[label] = {
            "scores": scores.get(label),
            "dialogues": {"planned": len(card_ids), "played": len(played),
                          "judged": sum(1 for d in records if d.get("status") == "ok"),
                          "failed": sum(1 for d in records if d.get("status") == "failed"),
                          "judge_failed": sum(1 for d in records if d.get("status") == "judge_failed")},
            "automatic": reply_metrics(replies, language) | {
                "seeker_turns_flagged": int(sum(seeker_flags)),
                "dialogues_flagged": sum(1 for d in played if any(t.get("seeker_analysis", {}).get("safety", {}).get("escalate") for t in d["turns"])),
                "crisis_replies": sum(1 for t in attune_turns if t.get("reply", {}).get("source") == "crisis") if attune_turns else None},
            "judge": {"dimensions_with_problems": dict(judge_problems),
                      "unparsed_dimensions": sum(sum(1 for v in d["judge"]["scores"].values() if v is None) for d in judged),
                      "methods": dict(Counter(d["judge"].get("method") for d in judged)),
                      "score_histogram": {dim: dict(sorted(Counter(d["judge"]["scores"][dim] for d in judged
                                                                    if d["judge"]["scores"][dim] is not None).items()))
                                          for dim in DIMENSIONS}},
            "seconds_per_dialogue": _mean([d.get("timing_s", {}).get("dialogue") for d in played]),
            "seconds_per_judgement": _mean([d.get("timing_s", {}).get("judge") for d in judged]),
        }
        if attune_turns:
            per_system[label]["strategies"] = dict(strategies.most_common())
            per_system[label]["preference_bias"] = preference_bias_against_reference(strategies)
            per_system[label]["reply_sources"] = dict(Counter(t["reply"]["source"] for t in attune_turns))
    reason = smoke_test_reason(embedded_roles(dialogues, current_roles))
    # a run whose role-player or judge cannot do its job says so first, so no reader takes its numbers for results
    smoke = {"smoke_test": True, "smoke_test_reason": reason} if reason else {}
    return smoke | {
        "systems": per_system, "ci_method": "percentile bootstrap over dialogues, 2000 resamples, 95%" if ci == "bootstrap"
        else "Student's t interval over dialogues, 95%", "scale": "mean of 0–4 scores / 4 × 100 (ESC-Eval leaderboard)",
        "dimensions": list(DIMENSIONS), "cards": list(card_ids), "out": str(out)}



def _mean(values: Sequence[float | None]) -> float | None:
    valid = [v for v in values if v is not None]
    return round(float(np.mean(valid)), 2) if valid else None


def write_scores(out: Path, summary: dict) -> None:
    out = Path(out)
    atomic_write(out / "scores.json", summary)
    systems = list(summary["systems"])
    dialogues = load_dialogues(out, systems, summary["cards"])
    rows = []
    for label, records in dialogues.items():
        for d in records:
            scores = (d.get("judge") or {}).get("scores", {})
            metrics = d.get("metrics", {})
            rows.append({"system": label, "card_id": d["card"]["id"], "language": d.get("language"), "status": d.get("status"),
                         **{dim: scores.get(dim, "") if scores.get(dim) is not None else "" for dim in DIMENSIONS},
                         "distinct_1": metrics.get("distinct_1"), "distinct_2": metrics.get("distinct_2"),
                         "mean_length": metrics.get("mean_length"),
                         "replies_with_list": metrics.get("replies_with_list"),
                         "replies_with_ai_tell": metrics.get("replies_with_ai_tell"),
                         "seeker_turns_flagged": sum(bool(t.get("seeker_analysis", {}).get("safety", {}).get("escalate")) for t in d.get("turns", [])),
                         "dialogue_seconds": d.get("timing_s", {}).get("dialogue"),
                         "error": d.get("error") or d.get("judge_error") or ""})
    fields = ["system", "card_id", "language", "status", *DIMENSIONS, "distinct_1", "distinct_2", "mean_length",
              "replies_with_list", "replies_with_ai_tell", "seeker_turns_flagged", "dialogue_seconds", "error"]
    _write_csv(out / "scores.csv", fields, rows)
    summary_rows = []
    for label, info in summary["systems"].items():
        scores = info.get("scores") or {}
        for dim in (*DIMENSIONS, "average"):
            s = scores.get("average") if dim == "average" else scores.get("dimensions", {}).get(dim)
            if s:
                summary_rows.append({"system": label, "dimension": dim, "score_0_100": s.get("score"), "ci_low": s.get("ci_low"),
                                     "ci_high": s.get("ci_high"), "mean_0_4": s.get("mean_0_4"), "n": s.get("n"),
                                     "missing": s.get("missing")})
    _write_csv(out / "summary.csv", ["system", "dimension", "score_0_100", "ci_low", "ci_high", "mean_0_4", "n", "missing"],
               summary_rows)


def _write_csv(path: Path, fields: list[str], rows: list[dict]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)
