"""The ``attune`` command line. Every command takes --json for machine output; errors never show a traceback."""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

from .config import Settings


# Each pipeline area adds its own subcommands: a module with register(sub, bench, common) (see below).
COMMAND_MODULES: tuple[str, ...] = ("agent.perception.commands", "evals.commands", "agent.speech.commands",
                                    "agent.affect.commands", "agent.avatar.commands")


def settings_from(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "avatar", None):
        overrides["avatar"] = args.avatar
    settings = Settings.load(args.config, **overrides)
    if getattr(args, "mode", None):
        settings.planner.mode = args.mode
    return settings


def emit(args: argparse.Namespace, payload: Any, human: Callable[[], None] | None = None) -> None:
    """Print JSON with --json, else the human view (pretty JSON when there is none)."""
    if args.json or human is None:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        human()


def _print_turn(turn) -> None:
    from rich.console import Console

    console = Console()
    p, plan = turn.perception.fused, turn.plan
    console.print(f"[bold]{turn.reply.text}[/bold]")
    console.print(f"[dim]feels {p.fine_label or p.label} ({p.confidence:.2f}; V {p.vad.valence:+.2f} A {p.vad.arousal:+.2f} "
                  f"D {p.vad.dominance:+.2f}) · {plan.stage} / {plan.strategy}: {plan.strategy_reason} · agent "
                  f"{plan.agent_emotion.label} · reply {turn.reply.source} · {turn.timings_ms.get('total', 0):.0f} ms[/dim]")
    for warning in turn.warnings:
        console.print(f"[yellow]note: {warning}[/yellow]")


def cmd_reply(args: argparse.Namespace) -> int:
    from .pipeline import Agent

    agent = Agent(settings_from(args))
    text = args.text
    if text is None and args.audio is None and args.clip is None:
        text = sys.stdin.buffer.read()
    for flag in ("audio", "image", "clip"):
        path = getattr(args, flag)
        if path is not None and not Path(path).is_file():
            raise ValueError(f"--{flag}: file not found: {path}")
    if not (args.speak or args.video):
        turn = agent.respond(text, audio=args.audio, image=args.image, video=args.clip)
        emit(args, turn.model_dump(mode="json"), lambda: _print_turn(turn))
        return 0
    from .spoken import Voice

    voice = Voice(agent, video=bool(args.video), out_dir=args.media_dir)
    spoken = voice.speak(text, audio=args.audio, image=args.image, video=args.clip).result()
    if args.video:
        spoken.media.video_path = str(voice.render_whole(spoken, args.video))
    payload = {**spoken.turn.model_dump(mode="json"), "media": spoken.media.model_dump()}
    emit(args, payload, lambda: (_print_turn(spoken.turn), print(f"audio: {spoken.media.audio_path}"
                                                                    + (f"\nvideo: {spoken.media.video_path}" if args.video else ""))))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .pipeline import Agent
    from .text import InputError

    from .store import ConversationStore

    console = Console()
    settings = settings_from(args)
    agent = Agent(settings, store=ConversationStore(settings.store_path), session_id=args.session)
    console.print("[dim]Loading models…[/dim]")
    agent.setup()
    if agent.history:
        console.print(f"[dim]Resuming session {agent.session_id} ({len(agent.history)} turns).[/dim]")
    console.print(f"[bold]{agent.avatar.name}[/bold]: Hi, I'm {agent.avatar.name}. I'm here to listen. "
                  f"[dim](session {agent.session_id}; /new starts over, /quit or Ctrl-D leaves)[/dim]")
    while True:
        try:
            line = console.input("[bold cyan]you[/bold cyan]: ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return 0
        if line.strip() in {"/quit", "/exit"}:
            return 0
        if line.strip() == "/new":
            agent.reset()
            console.print("[dim]New conversation.[/dim]")
            continue
        try:
            stream = agent.stream(line)
            console.print(f"[bold]{agent.avatar.name}[/bold]: ", end="")
            for sentence in stream:
                console.print(sentence.text + " ", end="")
            console.print()
            turn = stream.turn
            if args.json:
                console.print_json(turn.model_dump_json())
            else:
                console.print(f"[dim]  ({turn.perception.fused.fine_label or turn.perception.fused.label} · "
                              f"{turn.plan.strategy} · {turn.timings_ms['total']:.0f} ms)[/dim]")
        except InputError as error:
            console.print(f"[yellow]{error}[/yellow]")


def cmd_serve(args: argparse.Namespace) -> int:
    from .api import serve

    settings = settings_from(args)
    if args.host:
        settings.serve.host = args.host
    if args.port:
        settings.serve.port = args.port
    if settings.serve.host not in {"127.0.0.1", "localhost", "::1"} and settings.serve.api_key is None:
        print(f"attune: warning: serving on {settings.serve.host} without an API key "
              "(set ATTUNE_SERVE__API_KEY)", file=sys.stderr)
    serve(settings)
    return 0


def cmd_sessions(args: argparse.Namespace) -> int:
    from .store import ConversationStore

    store = ConversationStore(settings_from(args).store_path)
    if args.action == "list":
        emit(args, store.sessions())
    elif not args.id:
        raise ValueError(f"'sessions {args.action}' needs a session id")
    elif not store.exists(args.id):
        raise ValueError(f"no session {args.id}")
    elif args.action == "export":
        print(store.export(args.id, args.format))
    else:
        store.delete(args.id)
        emit(args, {"deleted": args.id})
    return 0


def cmd_safety(args: argparse.Namespace) -> int:
    from .embeddings import shared_embedder
    from .perception.text import TextEmotionModel
    from .safety import CrisisDetector

    settings = settings_from(args)
    embedder = shared_embedder(settings.embedder(), settings.torch_threads)
    detector = CrisisDetector.from_settings(settings, embedder)
    emotion = TextEmotionModel(embedder, settings.data_dir, settings.cache_dir)  # as in a turn: distress counts
    lines = Path(args.file).read_text(encoding="utf-8", errors="replace").splitlines() if args.file != "-" \
        else sys.stdin.read().splitlines()
    results = [{"text": line, **detector.assess(line, emotion.predict(line)).model_dump()}
               for line in lines if line.strip()]
    label = lambda r: "ESCALATE" if r["escalate"] else "CHECK-IN" if r["check_in"] else r["risk_level"]  # noqa: E731
    emit(args, results, lambda: [print(f"{label(r):>8}  {r['text']}"
                                       + (f"  ({r['reason']})" if r["reason"] else "")) for r in results])
    return 0


def cmd_bench_latency(args: argparse.Namespace) -> int:
    from evals.latency import bench_text_latency

    result = bench_text_latency(settings_from(args), turns=args.turns)
    emit(args, result)
    return 0


def cmd_bench_load(args: argparse.Namespace) -> int:
    from evals.load_test import run_load_test

    emit(args, run_load_test(args.sessions, args.turns, args.time_limit))
    return 0


def cmd_bench_ui(args: argparse.Namespace) -> int:
    from evals.ui_latency import bench_ui

    emit(args, bench_ui(args.turns, args.screenshots))
    return 0


def cmd_bench_emotion(args: argparse.Namespace) -> int:
    from evals.emotion_bench import bench_emotion

    plot = args.plot or str(Path(args.data).with_suffix("")) + "_confusion.png"
    result = bench_emotion(args.data, settings_from(args), plot_path=plot)
    emit(args, result)
    return 0


def cmd_data_bank(args: argparse.Namespace) -> int:
    from .planner.bank import curate_esconv_dialogues, write_bank

    settings = settings_from(args)
    utterances, dropped = curate_esconv_dialogues(Path(args.dialogues), Path(args.dev) if args.dev else None,
                                                  settings.data_dir)
    out = Path(args.out or settings.data_dir / "esconv_bank.jsonl")
    write_bank(utterances, out)
    counts: dict[str, int] = {}
    for u in utterances:
        counts[u.kind] = counts.get(u.kind, 0) + 1
    emit(args, {"out": str(out), "n": len(utterances), "per_kind": counts, "dropped": dropped})
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="TOML settings file (environment variables ATTUNE_* override it)")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    parser = argparse.ArgumentParser(prog="attune", description="Attune: an empathetic conversational agent.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("reply", parents=[common], help="answer one message and print the turn record")
    p.add_argument("text", nargs="?", help="the message (read from stdin when omitted and there is no --audio)")
    p.add_argument("--audio", help="a recording: transcribed when there is no text, and its voice is read")
    p.add_argument("--image", help="a photo or video frame of the person's face")
    p.add_argument("--clip", help="a video of the person talking: its frames are read for the face, its sound "
                                  "for speech (transcribed when there is no text)")
    p.add_argument("--speak", action="store_true", help="also answer in the avatar's emotional voice (WAV)")
    p.add_argument("--video", metavar="OUT.mp4", help="also render the talking avatar saying the reply")
    p.add_argument("--media-dir", help="where reply audio/video go (default: a temp folder)")
    p.add_argument("--avatar", help="avatar profile in avatars/")
    p.add_argument("--mode", choices=["grounded", "llm"], help="planner mode (default: by backend)")
    p.set_defaults(func=cmd_reply)

    p = sub.add_parser("chat", parents=[common], help="a conversation in the terminal")
    p.add_argument("--avatar")
    p.add_argument("--session", help="resume this session id (see `attune sessions list`)")
    p.add_argument("--mode", choices=["grounded", "llm"])
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("serve", parents=[common], help="HTTP API (OpenAI-compatible chat + turn records)")
    p.add_argument("--host", help="default 127.0.0.1")
    p.add_argument("--port", type=int, help="default 8765")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("sessions", parents=[common], help="stored conversations: list, export, delete")
    p.add_argument("action", choices=["list", "export", "delete"])
    p.add_argument("id", nargs="?")
    p.add_argument("--format", choices=["json", "markdown"], default="json")
    p.set_defaults(func=cmd_sessions)

    p = sub.add_parser("safety", parents=[common], help="crisis check, one message per line")
    p.add_argument("--file", required=True, help="a text file, or - for stdin")
    p.set_defaults(func=cmd_safety)

    bench = sub.add_parser("bench", help="benchmarks").add_subparsers(dest="bench", required=True)
    p = bench.add_parser("latency", parents=[common], help="text-turn latency over N turns")
    p.add_argument("--turns", type=int, default=10)
    p.add_argument("--mode", choices=["grounded", "llm"])
    p.set_defaults(func=cmd_bench_latency)
    p = bench.add_parser("load", parents=[common], help="concurrent sessions against `attune serve` on loopback")
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--turns", type=int, default=10)
    p.add_argument("--time-limit", type=float, default=1800, help="seconds")
    p.set_defaults(func=cmd_bench_load)
    p = bench.add_parser("ui", parents=[common], help="click-to-first-audio of the demo in chromium")
    p.add_argument("--turns", type=int, default=5)
    p.add_argument("--screenshots", help="folder for screenshots of the page")
    p.set_defaults(func=cmd_bench_ui)
    p = bench.add_parser("emotion", parents=[common], help="text emotion on MELD-format CSV")
    p.add_argument("--data", required=True)
    p.add_argument("--plot", help="confusion-matrix PNG (default: next to the data)")
    p.set_defaults(func=cmd_bench_emotion)

    data = sub.add_parser("data", help="build shipped data assets").add_subparsers(dest="data", required=True)
    p = data.add_parser("bank", parents=[common],
                        help="curate ESConv supporter turns that stand on their own into data/esconv_bank.jsonl")
    p.add_argument("--dialogues", required=True, help="ESConv dialogues, train_dialogues.jsonl format")
    p.add_argument("--dev", help="also the supporter turns of an ESConv strategy TSV (devWithStrategy_short.tsv)")
    p.add_argument("--out")
    p.set_defaults(func=cmd_data_bank)

    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub, bench, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # noqa: BLE001 — the user sees a sentence, not a traceback
        from .planner.llm import LLMError
        from .text import InputError

        kind = "input" if isinstance(error, InputError) else "llm" if isinstance(error, LLMError) else type(error).__name__
        if getattr(args, "json", False):
            print(json.dumps({"error": str(error), "kind": kind}))
        else:
            print(f"attune: {error}", file=sys.stderr)
        if os.environ.get("ATTUNE_DEBUG"):
            raise
        return 2


if __name__ == "__main__":
    sys.exit(main())
