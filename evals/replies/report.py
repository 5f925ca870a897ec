"""The reply benchmark's Markdown report and plot (out/report.md, out/metrics.png)."""
from __future__ import annotations

import random
from pathlib import Path
from typing import Sequence

from ..empathy import MECHANISMS
from .score import ReplyRecord

COLUMNS = [  # (summary key, column title)
    ("n", "n"), ("emotional_reactions", "ER 0–2"), ("interpretations", "IP 0–2"), ("explorations", "EX 0–2"),
    ("relevance", "relevance"), ("similarity_to_human", "sim. to human"), ("distinct_1", "Dist-1"),
    ("distinct_2", "Dist-2"), ("mean_words", "words"), ("perplexity_median", "perplexity (median)"),
    ("replies_with_invented", "invented"), ("replies_with_placeholder", "placeholder"),
    ("replies_with_list_or_markup", "list/markup"), ("replies_with_ai_tell", "AI tell"), ("repeats", "repeats"),
    ("errors", "errors"), ("seconds_median", "s/reply (median)"),
]

GUIDE = """\
## How to read it

- **ER / IP / EX** — EPITOME's three empathy mechanisms (Sharma et al., EMNLP 2020), the expected level 0–2 under
  heads trained on its Reddit pairs: Emotional Reactions (warmth, compassion), Interpretations (says what the person
  feels or lives through), Explorations (asks about what was not said). Higher is more of it. The heads' own
  cross-validated accuracy is below; they read Reddit peer support, where long story-rich replies score high on
  Interpretations, so compare systems on the same messages rather than reading a level as an absolute.
- **relevance** — MiniLM cosine between the reply and the seeker's message it answers. Parroting scores high too.
- **sim. to human** — MiniLM cosine to the human supporter's reply to the same history. Many good replies differ
  from the one a human chose; read it as "talks about the same thing", not as correctness.
- **Dist-1 / Dist-2** — unique words / word pairs over all of a system's replies (Li et al. 2016): low means canned.
- **words** — mean reply length.
- **perplexity** — of each reply on its own under the embedded SmolLM2-135M, the median over replies. Broken or
  pasted-together sentences score in the thousands; a 135M model also punishes rare words and names, and it finds
  its own words likely: the systems that speak through it (baseline, attune-llm) score low for that reason alone.
- **invented** — replies with a detail nothing in the history supports: "your husband" never mentioned, a name or
  place, a number, or the supporter's own life ("I've been through that myself"). Human supporters' self-disclosure
  counts here too: for a system it is invention, for a person it may be true.
- **placeholder** — template slots or role labels left in ("[name]", "{user}", "USER:").
- **list/markup, AI tell** — the humanoid proxy: bulleted or numbered lines, markdown, "as an AI".
- **repeats** — replies that repeat a sentence (four or more words) from an earlier reply in the same dialogue.

What it cannot see: whether a question was answered well, whether advice is sound or safe, whether the
conversation moves through the stages of support, or how the seeker would feel. Those need a judge (ESC-Eval
role-play with a real model: docs/esc-eval.md) or people. Each system answers the real history, so this measures
single replies in context, never how a system steers a conversation of its own.
"""


def _cell(value) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def plot(summary: dict, path: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    keys = [*MECHANISMS, "relevance", "similarity_to_human", "distinct_2"]
    systems = list(summary["systems"])
    fig, axes = plt.subplots(1, len(keys), figsize=(2.6 * len(keys), 3.2))
    for ax, key in zip(axes, keys):
        values = [summary["systems"][s].get(key) or 0 for s in systems]
        ax.bar(range(len(systems)), values, color=[f"C{i}" for i in range(len(systems))])
        ax.set_xticks(range(len(systems)), systems, rotation=45, ha="right", fontsize=8)
        ax.set_title(key.replace("_", " "), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(out: Path, summary: dict, records: Sequence[ReplyRecord], examples: int = 4) -> Path:
    lines = ["# Reply benchmark on real ESConv histories", "",
             f"`{summary['command']}`" if summary.get("command") else "", "",
             f"Data: {summary['data']} · {summary['dialogues']} dialogues · {summary['messages_answered']} seeker "
             f"messages answered per system (at most {summary['per_dialogue']} per dialogue, from its first turn) · "
             f"seed {summary['seed']} · {summary['wall_seconds']} s", "",
             "| system | " + " | ".join(title for _, title in COLUMNS) + " |",
             "|---|" + "---|" * len(COLUMNS)]
    for system, row in summary["systems"].items():
        lines.append(f"| {system} | " + " | ".join(_cell(row.get(key)) for key, _ in COLUMNS) + " |")
    picture = plot(summary, out / "metrics.png")
    if picture:
        lines += ["", f"![metrics]({picture.name})"]
    lines += ["", GUIDE, "### The empathy heads (5-fold CV on EPITOME, from their training)", "",
              "| mechanism | n | accuracy | macro-F1 | majority accuracy | majority macro-F1 |", "|---|---|---|---|---|---|"]
    for mechanism, figures in summary["empathy_heads"].items():
        lines.append(f"| {mechanism} | {figures['n']} | {figures['cv_accuracy']} | {figures['cv_macro_f1']} | "
                     f"{figures['majority_accuracy']} | {figures['majority_macro_f1']} |")
    by_turn: dict[tuple[str, int], list[ReplyRecord]] = {}
    for r in records:
        by_turn.setdefault((r.dialogue, r.exchange), []).append(r)
    chosen = random.Random(summary["seed"]).sample(sorted(by_turn), min(examples, len(by_turn)))
    lines += ["", "## Examples (the same seeker message, every system)", ""]
    for key in chosen:
        first = by_turn[key][0]
        lines += [f"**{key[0]}, exchange {key[1]}** — seeker: “{first.seeker}”", ""]
        for r in by_turn[key]:
            lines.append(f"- *{r.system}*: {r.reply or '(' + (r.error or 'no reply') + ')'}")
        lines.append("")
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
