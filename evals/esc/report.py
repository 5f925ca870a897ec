"""The ESC-Eval report: report.md plus PNG charts (matplotlib, Agg backend), from scores.json-style summaries.

Charts: dimensions.png (per-dimension scores per system, 0–100, with CIs), strategies.png (attune's strategy mix
beside ESConv supporters', with preference bias B), trajectories.png (seeker and agent valence over the rounds of a
sample dialogue, and the seeker's mean valence per round for every system).

A smoke test (the role-player or the judge is the embedded small model: ``summary["smoke_test"]``) is reported as one:
the warning comes first, and the judge's numbers are listed last under "Smoke-test numbers (not results)", without
the dimensions chart.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .dimensions import DIMENSION_TITLES, DIMENSIONS
from .metrics import ESCONV_DEV_STRATEGY_COUNTS
from .records import load_dialogues


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _fmt(value, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def plot_dimensions(summary: dict, path: Path) -> Path | None:
    systems = [s for s, info in summary["systems"].items() if info.get("scores")]
    if not systems:
        return None
    plt = _plt()
    labels = [*DIMENSIONS, "average"]
    x = np.arange(len(labels))
    width = 0.8 / len(systems)
    fig, ax = plt.subplots(figsize=(10, 4.2))
    for k, system in enumerate(systems):
        scores = summary["systems"][system]["scores"]
        entries = [scores["dimensions"][d] for d in DIMENSIONS] + [scores["average"]]
        values = [e["score"] if e["score"] is not None else np.nan for e in entries]
        low = [e["score"] - e["ci_low"] if e.get("ci_low") is not None else 0 for e in entries]
        high = [e["ci_high"] - e["score"] if e.get("ci_high") is not None else 0 for e in entries]
        ax.bar(x + (k - (len(systems) - 1) / 2) * width, values, width, yerr=[low, high], capsize=2,
               label=f"{system} (n={scores['dialogues']})")
    ax.set_xticks(x, [DIMENSION_TITLES.get(d, "Average") for d in labels])
    ax.set_ylim(0, 100)
    ax.set_ylabel("score (0–100)")
    title = "ESC-Eval dimensions (judge scores, mean/4×100; bars: 95% CI)"
    ax.set_title(f"SMOKE TEST, NOT RESULTS: {title}" if summary.get("smoke_test") else title)
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_strategies(summary: dict, path: Path) -> Path | None:
    with_strategies = {s: info for s, info in summary["systems"].items() if info.get("strategies")}
    if not with_strategies:
        return None
    plt = _plt()
    names = list(ESCONV_DEV_STRATEGY_COUNTS)
    reference = np.array([ESCONV_DEV_STRATEGY_COUNTS[n] for n in names], dtype=float)
    series = {"ESConv supporters (dev)": reference / reference.sum()}
    for system, info in with_strategies.items():
        counts = np.array([info["strategies"].get(n, 0) for n in names], dtype=float)
        bias = info.get("preference_bias", {}).get("B")
        series[f"{system} (n={int(counts.sum())}, B={_fmt(bias, 2)})"] = counts / max(counts.sum(), 1)
    fig, ax = plt.subplots(figsize=(10, 4.2))
    width = 0.8 / len(series)
    y = np.arange(len(names))
    for k, (label, share) in enumerate(series.items()):
        ax.barh(y + (k - (len(series) - 1) / 2) * width, share * 100, width, label=label)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlabel("% of turns")
    ax.set_title("Strategy mix and preference bias B (against ESConv supporters' mix)")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _valence(turn: dict) -> float | None:
    return turn.get("seeker_analysis", {}).get("emotion", {}).get("valence")


def sample_dialogue(dialogues: dict[str, list[dict]]) -> dict | None:
    """The first played attune dialogue (else any played dialogue): its card is the sample in the trajectory chart."""
    for prefer_attune in (True, False):
        for records in dialogues.values():
            for d in records:
                if d.get("turns") and (not prefer_attune or any("attune" in t for t in d["turns"])):
                    return d
    return None


def plot_trajectories(dialogues: dict[str, list[dict]], path: Path) -> tuple[Path, dict] | None:
    sample = sample_dialogue(dialogues)
    if sample is None:
        return None
    plt = _plt()
    card_id = sample["card"]["id"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for system, records in dialogues.items():
        same = next((d for d in records if d["card"]["id"] == card_id and d.get("turns")), None)
        if same is None:
            continue
        rounds = [t["round"] for t in same["turns"]]
        left.plot(rounds, [_valence(t) for t in same["turns"]], marker="o", label=f"seeker ({system})")
        agent = [t["attune"]["plan"]["agent_emotion"]["vad"]["valence"] for t in same["turns"] if "attune" in t]
        if agent:
            left.plot(rounds, agent, marker="s", linestyle="--", label=f"agent emotion ({system})")
    left.axhline(0, color="grey", linewidth=0.6)
    left.set_ylim(-1, 1)
    left.set_xlabel("round")
    left.set_ylabel("valence")
    left.set_title(f"Sample dialogue: card {card_id}")
    from matplotlib.ticker import MaxNLocator

    for axis in (left, right):
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    left.legend(fontsize=7)
    for system, records in dialogues.items():
        played = [d for d in records if d.get("turns")]
        if not played:
            continue
        depth = max(len(d["turns"]) for d in played)
        means = []
        for r in range(depth):
            values = [_valence(d["turns"][r]) for d in played if len(d["turns"]) > r and _valence(d["turns"][r]) is not None]
            means.append(np.mean(values) if values else np.nan)
        right.plot(range(1, depth + 1), means, marker="o", label=f"{system} (n={len(played)})")
    right.axhline(0, color="grey", linewidth=0.6)
    right.set_xlabel("round")
    right.set_ylabel("mean seeker valence")
    right.set_title("Seeker valence by round, all dialogues")
    right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path, sample


def _sentence(text: str | None) -> str:
    text = (text or "a role is the embedded model").strip()
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _scale_note(summary: dict) -> str:
    return (f"Scores are {summary['scale']}; intervals: {summary['ci_method']}. n is the number of dialogues with a valid "
            "score on that dimension; a score the judge did not give (or gave out of range) is missing, not 0.")


def _score_table(summary: dict) -> list[str]:
    """The judge scores per system and dimension, with CIs and n, as Markdown table lines."""
    lines = ["| system | " + " | ".join(DIMENSION_TITLES[d] for d in DIMENSIONS) + " | Average |",
             "|---|" + "---|" * (len(DIMENSIONS) + 1)]
    for system, info in summary["systems"].items():
        scores = info.get("scores") or {}
        cells = []
        for entry in [scores.get("dimensions", {}).get(d) for d in DIMENSIONS] + [scores.get("average")]:
            if not entry or entry.get("score") is None:
                cells.append("–")
            else:
                ci = f" [{_fmt(entry['ci_low'])}, {_fmt(entry['ci_high'])}]" if entry.get("ci_low") is not None else ""
                cells.append(f"{entry['score']:.1f}{ci} (n={entry['n']})")
        lines.append(f"| {system} | " + " | ".join(cells) + " |")
    return lines


def write_report(out: Path, summary: dict) -> Path:
    out = Path(out)
    dialogues = load_dialogues(out, list(summary["systems"]), summary["cards"])
    charts = {"dimensions": plot_dimensions(summary, out / "dimensions.png"),
              "strategies": plot_strategies(summary, out / "strategies.png")}
    trajectory = plot_trajectories(dialogues, out / "trajectories.png")
    run = summary.get("run", {})
    smoke = bool(summary.get("smoke_test"))
    if smoke:
        lines = ["# ESC-Eval smoke test (not results)", "",
                 f"> **Smoke test.** {_sentence(summary.get('smoke_test_reason'))} Point "
                 "`--judge-url` and `--roleplayer-url` at a real model (docs/esc-eval.md). The dialogues, automatic "
                 "metrics and strategy mix below describe the run; the judge's scores are listed only at the end, to "
                 "show that the pipeline ran.", ""]
    else:
        lines = ["# ESC-Eval role-play report", ""]
    lines += [f"Cards: {len(summary['cards'])} from `{run.get('cards_file', '?')}` · rounds: {run.get('rounds', '?')} · "
              f"seed: {run.get('seed', '?')} · concurrency: {run.get('concurrency', '?')}", ""]
    for k, r in enumerate(summary.get("runs") or [run], 1):
        lines.append(f"- run {k} ({r.get('started_at', '?')}): {r.get('statuses')} in {r.get('wall_seconds', '?')} s, "
                     f"LLM calls {r.get('llm_calls')}" + (f" — `{r['command']}`" if r.get("command") else ""))
    lines += ["",
              f"Role-player: `{json.dumps(run.get('roleplayer', {}))}`",
              f"Judge: `{json.dumps(run.get('judge', {}))}`", ""]
    if not smoke:
        lines += [_scale_note(summary), "", "## Judge scores (0–100)", ""] + _score_table(summary)
        lines += ["", "![dimensions](dimensions.png)" if charts["dimensions"] else "", ""]
    lines += ["## Dialogues and the judge", "",
              "| system | played | judged | failed | judge failed | unparsed dimension scores | judge method | s / dialogue | s / judgement |",
              "|---|---|---|---|---|---|---|---|---|"]
    for system, info in summary["systems"].items():
        d, j = info["dialogues"], info["judge"]
        lines.append(f"| {system} | {d['played']}/{d['planned']} | {d['judged']} | {d['failed']} | {d['judge_failed']} | "
                     f"{j['unparsed_dimensions']} | {', '.join(f'{k}: {v}' for k, v in j['methods'].items()) or '–'} | "
                     f"{_fmt(info['seconds_per_dialogue'])} | {_fmt(info['seconds_per_judgement'])} |")
    lines += ["", "Score histograms per dimension (score: count) — a judge that gives everything the same score shows here:", ""]
    for system, info in summary["systems"].items():
        hist = info["judge"]["score_histogram"]
        lines.append(f"- {system}: " + "; ".join(f"{DIMENSION_TITLES[d]} {hist[d] or '–'}" for d in DIMENSIONS))
    lines += ["", "## Automatic metrics (system replies)", "",
              "| system | replies | Distinct-1 | Distinct-2 | mean length | with a list | with an AI tell | with markup | seeker turns flagged (crisis) | dialogues flagged | crisis replies |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for system, info in summary["systems"].items():
        a = info["automatic"]
        lines.append(f"| {system} | {a['replies']} | {_fmt(a['distinct_1'], 3)} | {_fmt(a['distinct_2'], 3)} | "
                     f"{_fmt(a['mean_length'])} {a['length_unit']} | {a['replies_with_list']} | {a['replies_with_ai_tell']} | "
                     f"{a['replies_with_markup']} | {a['seeker_turns_flagged']} | {a['dialogues_flagged']} | "
                     f"{'–' if a['crisis_replies'] is None else a['crisis_replies']} |")
    lines += ["", "Distinct-n pools all of a system's replies (words; characters for Chinese). Lists, AI tells "
              "(\"as an AI\", \"as a language model\") and markup are the humanoid proxy. Safety flags come from "
              "attune's crisis detector on the seeker's turns (attune's own per-turn `safety.escalate`; the same "
              "detector run on the seeker turns for other systems).", ""]
    with_strategies = {s: i for s, i in summary["systems"].items() if i.get("strategies")}
    if with_strategies:
        lines += ["## Strategies (attune)", ""]
        for system, info in with_strategies.items():
            bias = info["preference_bias"]
            lines.append(f"- {system}: " + ", ".join(f"{k} {v}" for k, v in info["strategies"].items())
                         + f" · reply sources: {info.get('reply_sources')} · **B = {_fmt(bias['B'], 3)}** "
                           f"(n={bias['n']}, {bias.get('implementation')})")
        lines += ["", "Role-play has no gold strategy, so B here is distribution-only: predictions and gold are taken as "
                  "independent with ESConv supporters' strategy mix (dev split) as the gold marginal, w_ij = N·P(i)·P_ESConv(j), "
                  "then Kang et al.'s preference fit (20 iterations) and B = population std of p. B = 0 when the mix equals "
                  "ESConv's; it is not comparable to B from a labelled benchmark (`attune bench strategy`). Other systems "
                  "have no strategy labels.", "", "![strategies](strategies.png)" if charts["strategies"] else "", ""]
    if trajectory:
        _, sample = trajectory
        lines += ["## Emotion trajectories", "",
                  "Valence of the seeker's turns (attune's text-emotion model; attune's own perception for attune) and of "
                  "attune's agent emotion, over the rounds of a sample dialogue, and the seeker's mean valence per round "
                  "for every system.", "", "![trajectories](trajectories.png)", "",
                  f"### Sample dialogue (card {sample['card']['id']}, {sample['system']})", "",
                  f"> card: {sample['card']['text'].replace(chr(10), ' · ')}", "",
                  f"**agent** (greeting): {sample['greeting']}", ""]
        for t in sample["turns"]:
            lines.append(f"**seeker**: {t['seeker']}")
            lines.append("")
            plan = t.get("attune", {}).get("plan")
            tag = f" _({plan['stage']} / {plan['strategy']})_" if plan else ""
            lines.append(f"**{sample['system']}**{tag}: {t['system']}")
            lines.append("")
        if sample.get("judge"):
            judge = "Judge (smoke test, not a result)" if smoke else "Judge"
            lines += [f"{judge}: {sample['judge']['scores']} (raw: `{sample['judge']['raw'][:300]}`)", ""]
    errors = summary.get("errors") or []
    if errors:
        lines += ["## Failures in the last run", ""] + [f"- {e['system']} / card {e['card']}: {e['error']}" for e in errors] + [""]
    if smoke:
        lines += ["## Smoke-test numbers (not results)", "",
                  "Judge scores (0–100) from a role-play the embedded model played or judged: they show that scoring "
                  "and aggregation ran, not how good any system is. " + _scale_note(summary), ""]
        lines += _score_table(summary) + [""]
    lines += ["Files: `dialogues/<system>/<card id>.json` (every turn; attune's perception and plan per turn), "
              "`scores.json` (this summary), `scores.csv` (one row per dialogue), `summary.csv` (one row per system and "
              "dimension), `failures.jsonl`, `run.json` (settings and seeds of every run).", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
