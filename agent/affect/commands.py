"""CLI: ``attune bench strategy`` and ``attune bench transition`` (registered through agent.cli.COMMAND_MODULES)."""
from __future__ import annotations

import argparse


def cmd_bench_strategy(args: argparse.Namespace) -> int:
    from evals.strategy_bench import bench_strategy

    from ..cli import emit, settings_from

    settings = settings_from(args)
    out_dir = args.out_dir or settings.cache_dir / "bench"
    result = bench_strategy(args.data, settings, folds=args.folds, limit=args.limit, seed=args.seed, out_dir=out_dir)
    emit(args, result)
    return 0


def cmd_bench_transition(args: argparse.Namespace) -> int:
    from evals.transition_bench import bench_transition

    from ..cli import emit, settings_from

    emit(args, bench_transition(settings_from(args), args.data, seed=args.seed))
    return 0


def register(sub, bench, common) -> None:
    p = bench.add_parser("strategy", parents=[common], help="ESC strategy prediction on ESConv-format TSV")
    p.add_argument("--data", required=True, help="ESConv strategy TSV (devWithStrategy_short.tsv format)")
    p.add_argument("--folds", type=int, default=5,
                   help="grouped-by-dialogue CV folds for the trained planner (≤1: score the shipped head as is)")
    p.add_argument("--limit", type=int, default=100, help="samples for the LLM-only planner (0 skips it)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--out-dir", help="where the confusion and distribution plots go (default: <cache_dir>/bench)")
    p.set_defaults(func=cmd_bench_strategy)

    p = bench.add_parser("transition", parents=[common], help="agent-emotion transition on a held-out PELD split")
    p.add_argument("--data", help="Dyadic_PELD.tsv (default: <research_data_dir>/peld/Dyadic_PELD.tsv; set ATTUNE_RESEARCH_DATA)")
    p.add_argument("--seed", type=int, default=13)
    p.set_defaults(func=cmd_bench_transition)
