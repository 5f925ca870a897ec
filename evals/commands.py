"""``attune eval esc`` (ESC-Eval-style role-play, evals/esc/) and ``attune eval replies`` (replies to real ESConv
histories scored offline, evals/replies/); registered via agent.cli.COMMAND_MODULES."""
from __future__ import annotations

import argparse
from pathlib import Path

ESC_DESCRIPTION = """\
ESC-Eval-style role-play evaluation. A role-player LLM plays the seeker on each card (ESC-Eval's role-play prompt,
English or Chinese), the system under test answers for --rounds rounds after a fixed greeting, and a judge LLM
scores every dialogue on Fluency, Expression, Empathy, Information, Skillful, Humanoid and Overall (0-4 each),
reported 0-100 (mean/4*100) per system with 95% confidence intervals, beside Distinct-1/2, reply length, a
humanoid proxy and safety flags. A rerun with the same --out skips finished dialogues.

Every role is an OpenAI-compatible endpoint; by default all of them are the embedded SmolLM2-135M. That is a smoke
test, not a study (a 135M model can neither play a card nor judge), and a run whose role-player or judge is the
embedded model is marked so: "smoke_test" in scores.json, a warning above the table and atop report.md. A real study
points them at vLLM servers; the code path is the same:

  vllm serve Qwen/Qwen2.5-7B-Instruct --port 8000          # system under test (also: the baseline's LLM via --config)
  vllm serve Qwen/Qwen2.5-72B-Instruct-AWQ --port 8001     # judge
  vllm serve haidequanbu/ESC-Role --port 8002              # ESC-Eval's released role-play model
  attune eval esc --cards cards.json --n 100 --out runs/esc \\
      --system attune --system baseline --system openai:http://localhost:8000/v1:Qwen/Qwen2.5-7B-Instruct \\
      --roleplayer-url http://localhost:8002/v1 --roleplayer-model haidequanbu/ESC-Role \\
      --judge-url http://localhost:8001/v1 --judge-model Qwen/Qwen2.5-72B-Instruct-AWQ --concurrency 16

--system: attune (the full agent, --config settings), attune:OTHER.toml (the agent with another config),
baseline (attune's configured LLM behind prompts/baseline_system.md), openai:URL:MODEL (any OpenAI-compatible
model with the same plain prompt). Repeat --system to compare systems on the same cards.
API keys for remote endpoints: ATTUNE_ESC_API_KEY. Full guide: docs/esc-eval.md.
"""


def _command_line() -> str:
    import shlex
    import sys

    return " ".join(["attune", *(shlex.quote(a) for a in sys.argv[1:])])


def cmd_eval_esc(args: argparse.Namespace) -> int:
    from agent.cli import emit, settings_from

    from .esc.runner import EscConfig, EscRunner

    config = EscConfig(
        cards=Path(args.cards), out=Path(args.out), n=args.n, rounds=args.rounds, lang=args.lang,
        systems=args.system or ["attune", "baseline"],
        roleplayer_url=args.roleplayer_url, roleplayer_model=args.roleplayer_model,
        judge_url=args.judge_url, judge_model=args.judge_model, concurrency=args.concurrency, seed=args.seed,
        ci=args.ci, rejudge=args.rejudge, judge_structured=not args.judge_text, max_tokens=args.max_tokens,
        progress=not args.no_progress, command=_command_line())
    if config.rounds < 1:
        raise ValueError("--rounds must be at least 1")
    summary = EscRunner(config, settings_from(args)).run()

    def human() -> None:
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        from .esc.dimensions import DIMENSION_TITLES, DIMENSIONS

        console = Console()
        smoke = summary.get("smoke_test")
        if smoke:  # above the table, so nobody quotes the numbers without reading why they mean nothing
            console.print(f"[bold yellow]smoke test:[/bold yellow] {escape(summary['smoke_test_reason'])} — point "
                          "--judge-url and --roleplayer-url at a real model (docs/esc-eval.md)", highlight=False)
        table = Table(title=f"ESC-Eval{' smoke test, not results' if smoke else ''} (0–100, {summary['ci_method']})")
        table.add_column("system")
        for d in DIMENSIONS:
            table.add_column(DIMENSION_TITLES[d], justify="right")
        table.add_column("Average", justify="right")
        table.add_column("n", justify="right")
        for system, info in summary["systems"].items():
            scores = info.get("scores") or {}
            cells = [scores.get("dimensions", {}).get(d) for d in DIMENSIONS] + [scores.get("average")]
            table.add_row(system, *[f"{c['score']:.1f}" if c and c.get("score") is not None else "–" for c in cells],
                          str(info["dialogues"]["judged"]))
        console.print(table)
        run = summary["run"]
        console.print(f"{run['statuses']} in {run['wall_seconds']} s · report: {summary.get('report')}")
        for error in summary.get("errors", []):
            console.print(f"[yellow]{error['system']} / card {error['card']}: {error['error']}[/yellow]")

    emit(args, summary, human)
    return 0


REPLIES_DESCRIPTION = """\
Reply benchmark on real ESConv dialogues, offline. Each system reads sampled dialogues from their first turn,
answers every seeker message, and then the human supporter's real reply replaces its own in the history, so every
answer is to the real history the human answered. The human replies are scored as a row of their own. Each reply
is scored on EPITOME's three empathy mechanisms (heads trained on EPITOME), relevance to the seeker's message,
similarity to the human reply, Distinct-1/2, length, repeats within a dialogue, invented details, placeholder
leaks, the humanoid proxy and fluency (perplexity under the embedded model). Writes replies.jsonl, summary.json,
report.md and metrics.png to --out.

  attune eval replies --data ../shared/data/esconv/devWithStrategy_short.tsv --n 200 --json

--system: human | attune | attune-llm (the agent with --mode llm) | baseline (attune's LLM behind a plain
prompt) | attune:CONFIG.toml | openai:URL:MODEL; repeatable (default: human, attune, attune-llm, baseline).
"""


def cmd_eval_replies(args: argparse.Namespace) -> int:
    from agent.cli import emit, settings_from

    from .replies.runner import DEFAULT_SYSTEMS, RepliesConfig, run

    config = RepliesConfig(data=Path(args.data), out=Path(args.out), n=args.n, seed=args.seed,
                           per_dialogue=args.per_dialogue, systems=args.system or list(DEFAULT_SYSTEMS),
                           fluency=not args.no_fluency, max_tokens=args.max_tokens, progress=not args.no_progress,
                           command=_command_line())
    summary = run(config, settings_from(args))

    def human() -> None:
        from rich.console import Console
        from rich.table import Table

        from .replies.report import COLUMNS

        table = Table(title=f"Replies to real ESConv histories ({summary['messages_answered']} messages, "
                            f"{summary['dialogues']} dialogues)")
        table.add_column("metric")  # one column per system: the metrics outnumber the systems
        for system in summary["systems"]:
            table.add_column(system, justify="right")
        for key, title in COLUMNS:
            cells = [summary["systems"][s].get(key) for s in summary["systems"]]
            table.add_row(title, *["–" if c is None else f"{c:.3f}" if isinstance(c, float) else str(c) for c in cells])
        console = Console()
        console.print(table)
        console.print(f"report: {summary['report']}")

    emit(args, summary, human)
    return 0


def register(sub, bench, common) -> None:
    evaluate = sub.add_parser("eval", help="evaluations (ESC-Eval role-play; replies to real ESConv histories)")
    evals = evaluate.add_subparsers(dest="eval", required=True)
    p = evals.add_parser("esc", parents=[common], help="ESC-Eval-style role-play evaluation and report",
                         description=ESC_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cards", required=True, help="ESC-Eval cards JSON (a list of {base, base_biaozhu, language, id, …})")
    p.add_argument("--n", type=int, help="use the first N cards (default: all)")
    p.add_argument("--rounds", type=int, default=5, help="seeker/system rounds per dialogue (ESC-Eval: 5)")
    p.add_argument("--out", required=True, help="output directory (rerunning with it resumes)")
    p.add_argument("--lang", choices=["auto", "en", "zh"], default="auto",
                   help="role-play language: auto follows each card's 'language'; en uses 'base', zh 'base_biaozhu'")
    p.add_argument("--system", action="append", metavar="SPEC",
                   help="attune | attune:CONFIG.toml | baseline | openai:URL:MODEL; repeatable (default: attune and baseline)")
    p.add_argument("--roleplayer-url", help="OpenAI-compatible base URL of the role-player (default: the embedded model)")
    p.add_argument("--roleplayer-model", help="its model name (with no URL: a GGUF path for the embedded backend)")
    p.add_argument("--judge-url", help="OpenAI-compatible base URL of the judge (default: the embedded model)")
    p.add_argument("--judge-model", help="its model name (with no URL: a GGUF path for the embedded backend)")
    p.add_argument("--judge-text", action="store_true",
                   help="ask the judge in plain text instead of schema-constrained JSON (answers are parsed either way)")
    p.add_argument("--rejudge", action="store_true", help="score finished dialogues again (e.g. with a new judge)")
    p.add_argument("--concurrency", type=int,
                   help="dialogues in flight (default: 8 when every role is remote, 1 when any is the embedded model)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed for every role (recorded in each dialogue)")
    p.add_argument("--ci", choices=["bootstrap", "t"], default="bootstrap",
                   help="95%% CI: percentile bootstrap over dialogues (2000 resamples) or Student's t")
    p.add_argument("--max-tokens", type=int, default=256, help="reply cap for the role-player and chat systems")
    p.add_argument("--avatar", help="attune's avatar profile")
    p.add_argument("--mode", choices=["grounded", "llm"], help="attune's planner mode (default: by backend)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_eval_esc)

    p = evals.add_parser("replies", parents=[common], help="replies to real ESConv histories, scored offline",
                         description=REPLIES_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="an ESConv strategy TSV or ESConv-style dialogues JSONL")
    p.add_argument("--n", type=int, default=200, help="seeker messages each system answers (default 200)")
    p.add_argument("--seed", type=int, default=0, help="which dialogues are sampled (and the LLMs' sampling seed)")
    p.add_argument("--per-dialogue", type=int, default=10, help="at most this many messages from one dialogue")
    p.add_argument("--system", action="append", metavar="SPEC",
                   help="human | attune | attune-llm | baseline | attune:CONFIG.toml | openai:URL:MODEL; repeatable")
    p.add_argument("--out", default="runs/replies", help="output folder (default runs/replies)")
    p.add_argument("--no-fluency", action="store_true", help="skip the perplexity model (saves its load, ~15 s)")
    p.add_argument("--max-tokens", type=int, default=160, help="reply cap for chat systems")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_eval_replies)
