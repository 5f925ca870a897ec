"""``attune eval esc``: ESC-Eval-style role-play evaluation (evals/esc_eval.py); registered via agent.cli.COMMAND_MODULES."""
from __future__ import annotations

import argparse
from pathlib import Path

ESC_DESCRIPTION = """\
ESC-Eval-style role-play evaluation. A role-player LLM plays the seeker on each card (ESC-Eval's role-play prompt,
English or Chinese), the system under test answers for --rounds rounds after a fixed greeting, and a judge LLM
scores every dialogue on Fluency, Expression, Empathy, Information, Skillful, Humanoid and Overall (0-4 each),
reported 0-100 (mean/4*100) per system with 95% confidence intervals, beside Distinct-1/2, reply length, a
humanoid proxy and safety flags. A rerun with the same --out skips finished dialogues.

Every role is an OpenAI-compatible endpoint; by default all of them are the embedded SmolLM2-135M (a smoke test,
not a study: a 135M judge cannot judge). A real study points them at vLLM servers; the code path is the same:

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

    from .esc_eval import EscConfig, EscRunner

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
        from rich.table import Table

        from .esc_eval import DIMENSION_TITLES, DIMENSIONS

        console = Console()
        table = Table(title=f"ESC-Eval (0–100, {summary['ci_method']})")
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


def register(sub, bench, common) -> None:
    evaluate = sub.add_parser("eval", help="evaluations (ESC-Eval role-play)")
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
