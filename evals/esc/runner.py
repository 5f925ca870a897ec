"""One ESC-Eval run: every (system, card) dialogue played, judged and written (resuming what is done), then the
summary, the score files and the report.

Reproduce: ``attune eval esc --cards cards.json --n 10 --rounds 5 --system attune --system baseline --out DIR``
(docs/esc-eval.md).
"""
from __future__ import annotations

import json
import threading
import time
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from agent.config import Settings

from .cards import Card, load_cards
from .endpoints import EMBEDDED_REPRODUCIBLE, CallCounter, describe_endpoint, endpoint_settings
from .judge import Judge
from .metrics import reply_metrics
from .records import SCHEMA, atomic_write, dialogue_path, read_record, summarise, write_scores
from .report import write_report
from .roleplay import RolePlayer
from .systems import DEFAULT_SYSTEMS, System, build_system


@dataclass
class EscConfig:
    cards: Path
    out: Path
    n: int | None = None
    rounds: int = 5
    lang: str = "auto"
    systems: Sequence[str] = DEFAULT_SYSTEMS
    roleplayer_url: str | None = None
    roleplayer_model: str | None = None
    judge_url: str | None = None
    judge_model: str | None = None
    concurrency: int | None = None     # None: 1 when any role is the embedded model, else 8
    seed: int = 0
    ci: str = "bootstrap"
    rejudge: bool = False
    judge_structured: bool = True
    max_tokens: int = 256              # role-player and chat systems' reply cap (ESC-Eval used 256–512)
    roleplayer_temperature: float = 0.7
    progress: bool = True
    report: bool = True
    command: str | None = None         # recorded in run.json and the report


class EscRunner:
    def __init__(self, config: EscConfig, base_settings: Settings | None = None):
        self.config = config
        self.base = base_settings or Settings()
        self.counter = CallCounter()
        self.prompts_dir = self.base.prompts_dir
        c = config
        self.roleplayer_settings = endpoint_settings(
            c.roleplayer_url, c.roleplayer_model, temperature=c.roleplayer_temperature, max_tokens=c.max_tokens,
            seed=c.seed, extra_body=None if c.roleplayer_url else {"repeat_penalty": 1.15} | EMBEDDED_REPRODUCIBLE)
        # the judge decodes greedily and without llama.cpp's repeat penalty: a penalty on repeated tokens would push
        # a judge away from giving the same digit twice
        self.judge_settings = endpoint_settings(c.judge_url, c.judge_model, temperature=0.0, max_tokens=200, seed=c.seed,
                                                extra_body={} if c.judge_url else dict(EMBEDDED_REPRODUCIBLE))
        self.systems = [build_system(s, self.base, self.prompts_dir, max_tokens=c.max_tokens, seed=c.seed,
                                     counter=self.counter) for s in c.systems]
        labels = [s.label for s in self.systems]
        if len(set(labels)) != len(labels):
            raise ValueError(f"two --system options give the same name: {labels}")
        self.roleplayer = RolePlayer(self.roleplayer_settings, self.prompts_dir, self.counter)
        self.judge = Judge(self.judge_settings, self.prompts_dir, self.counter, c.judge_structured)
        any_embedded = (not c.roleplayer_url or not c.judge_url or any(s.needs_embedded for s in self.systems))
        self.notes: list[str] = []
        if c.concurrency is None:
            self.concurrency = 1 if any_embedded else 8
        elif c.concurrency > 1 and any_embedded:
            self.concurrency = 1
            self.notes.append(f"concurrency {c.concurrency} lowered to 1: a role uses the embedded model (one request at a time)")
        else:
            self.concurrency = max(1, c.concurrency)
        self._analysis_lock = threading.Lock()
        self._analysis = None

    # seeker-side analysis with attune's own models: crisis detector and text emotion (for every system)
    def _analyzers(self):
        if self._analysis is None:
            from agent.embeddings import shared_embedder
            from agent.perception.text import TextEmotionModel
            from agent.safety import CrisisDetector

            s = self.base
            embedder = shared_embedder(s.embedder(), s.torch_threads)
            self._analysis = (CrisisDetector.from_settings(s, embedder),
                              TextEmotionModel(embedder, s.data_dir))
        return self._analysis

    def analyse_seeker(self, text: str, context: Sequence[str]) -> dict:
        with self._analysis_lock:
            detector, emotion = self._analyzers()
            safety = detector.assess(text)
            estimate = emotion.predict(text, list(context[-2:]))
        return {"safety": safety.model_dump(mode="json"),
                "emotion": {"label": estimate.label, "fine_label": estimate.fine_label,
                            "valence": estimate.vad.valence, "arousal": estimate.vad.arousal,
                            "confidence": estimate.confidence}}

    def run_dialogue(self, system: System, card: Card) -> dict:
        start = time.perf_counter()
        greeting = self.roleplayer.greeting(card.language)
        turns: list[dict] = []
        with system.conversation(card.language) as conversation:
            for round_index in range(1, self.config.rounds + 1):
                seeker, raw = self.roleplayer.next(card, turns)
                t = time.perf_counter()
                reply, extra = conversation.reply(seeker)
                turn = {"round": round_index, "seeker": seeker, "system": reply,
                        "system_seconds": round(time.perf_counter() - t, 2)}
                if raw.strip() != seeker:
                    turn["seeker_raw"] = raw
                if "attune" in extra:  # attune perceived the seeker itself: keep its own record
                    a = extra["attune"]
                    turn["seeker_analysis"] = {"safety": a["safety"], "emotion": {
                        "label": a["perception"]["fused"]["label"], "fine_label": a["perception"]["fused"].get("fine_label"),
                        "valence": a["perception"]["fused"]["vad"]["valence"], "arousal": a["perception"]["fused"]["vad"]["arousal"],
                        "confidence": a["perception"]["fused"]["confidence"]}, "source": "attune turn"}
                else:
                    turn["seeker_analysis"] = self.analyse_seeker(seeker, [x["seeker"] for x in turns]) | {
                        "source": "attune crisis detector + text emotion on the seeker turn"}
                turn.update(extra)
                turns.append(turn)
        return {"greeting": greeting, "turns": turns, "dialogue_seconds": round(time.perf_counter() - start, 2)}

    def _record_base(self, system: System, card: Card) -> dict:
        return {"schema": SCHEMA, "system": system.label, "system_info": system.describe(),
                "card": {"id": card.id, "language": card.language, "text": card.text, "res": card.raw.get("res"),
                         "source": card.raw.get("source"), "warnings": card.warnings},
                "language": card.language, "rounds": self.config.rounds, "seed": self.config.seed,
                "roleplayer": describe_endpoint(self.roleplayer_settings),
                "roleplayer_prompt": f"esc_roleplay_{card.language}"}

    def task(self, system: System, card: Card) -> dict:
        """Run (or resume) one (system, card): returns its status."""
        path = dialogue_path(self.config.out, system.label, card.id)
        record = read_record(path)
        done_dialogue = bool(record and record.get("status") in ("ok", "played", "judge_failed") and record.get("turns"))
        if done_dialogue and record.get("rounds") != self.config.rounds:
            done_dialogue = False  # asked for another length: play it again
        if done_dialogue and record.get("status") == "ok" and record.get("judge") and not self.config.rejudge:
            return {"status": "skipped", "path": str(path)}
        try:
            if not done_dialogue:
                played = self.run_dialogue(system, card)
                record = self._record_base(system, card) | {
                    "status": "played", "greeting": played["greeting"], "turns": played["turns"],
                    "timing_s": {"dialogue": played["dialogue_seconds"]},
                    "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
                record["metrics"] = reply_metrics([t["system"] for t in record["turns"]], card.language)
                atomic_write(path, record)  # the dialogue is safe before the judge runs
        except Exception as error:  # noqa: BLE001 — one dialogue's failure never stops the others
            failure = self._record_base(system, card) | {
                "status": "failed", "stage": "dialogue", "error": f"{type(error).__name__}: {error}",
                "traceback": traceback.format_exc(limit=6),
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            atomic_write(path, failure)
            self._log_failure(failure)
            return {"status": "failed", "path": str(path), "error": failure["error"]}
        try:
            judged = self.judge.score(record["greeting"], record["turns"])
            record["judge"] = judged | {"endpoint": describe_endpoint(self.judge_settings)}
            record["status"] = "ok"
            record.pop("judge_error", None)
            record.setdefault("timing_s", {})["judge"] = judged["seconds"]
            atomic_write(path, record)
            return {"status": "ok", "path": str(path)}
        except Exception as error:  # noqa: BLE001
            record["status"] = "judge_failed"
            record["judge_error"] = f"{type(error).__name__}: {error}"
            atomic_write(path, record)
            self._log_failure(self._record_base(system, card) | {"status": "judge_failed", "stage": "judge",
                                                                  "error": record["judge_error"]})
            return {"status": "judge_failed", "path": str(path), "error": record["judge_error"]}

    def _log_failure(self, failure: dict) -> None:
        entry = {k: failure.get(k) for k in ("system", "stage", "error", "created_at")} | {"card": failure["card"]["id"]}
        entry["created_at"] = entry["created_at"] or datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._analysis_lock:
            self.config.out.mkdir(parents=True, exist_ok=True)
            with open(self.config.out / "failures.jsonl", "a", encoding="utf-8") as f:
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def run(self, cards: Sequence[Card] | None = None, on_progress: Callable[[dict], None] | None = None) -> dict:
        c = self.config
        cards = list(cards) if cards is not None else load_cards(c.cards, c.n, c.lang)
        c.out.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        run_info = {"started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "command": c.command,
                    "cards_file": str(c.cards), "cards": [card.id for card in cards], "rounds": c.rounds, "lang": c.lang,
                    "seed": c.seed, "ci": c.ci, "concurrency": self.concurrency, "notes": self.notes,
                    "systems": {s.label: s.describe() for s in self.systems},
                    "roleplayer": describe_endpoint(self.roleplayer_settings),
                    "judge": describe_endpoint(self.judge_settings) | {"structured": c.judge_structured}}
        # one system at a time, cards in order: the embedded model is not asked to hold two systems' caches
        tasks = [(system, card) for system in self.systems for card in cards]
        statuses: Counter = Counter()
        errors: list[dict] = []
        bar = None
        if c.progress:
            from tqdm import tqdm

            bar = tqdm(total=len(tasks), desc="esc-eval", unit="dialogue", dynamic_ncols=True)
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures = {pool.submit(self.task, system, card): (system.label, card.id) for system, card in tasks}
            for future in as_completed(futures):
                label, card_id = futures[future]
                result = future.result()
                statuses[result["status"]] += 1
                if "error" in result:
                    errors.append({"system": label, "card": card_id, "error": result["error"]})
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(dict(statuses))
                if on_progress:
                    on_progress(result | {"system": label, "card": card_id})
        if bar is not None:
            bar.close()
        run_info |= {"wall_seconds": round(time.perf_counter() - started, 1), "statuses": dict(statuses),
                     "llm_calls": dict(self.counter.counts)}
        runs_path = c.out / "run.json"
        history = (read_record(runs_path) or {}).get("runs", [])
        atomic_write(runs_path, {"runs": history + [run_info]})
        summary = summarise(c.out, [s.label for s in self.systems], [card.id for card in cards], c.ci, c.seed,
                            current_roles={"role-player": run_info["roleplayer"], "judge": run_info["judge"]})
        summary["run"] = run_info
        summary["runs"] = history + [run_info]
        summary["errors"] = errors
        write_scores(c.out, summary)
        if c.report:
            summary["report"] = str(write_report(c.out, summary))
        return summary
