"""``attune perceive --text T [--audio F] [--image F | --video F] [--speaker ID] --json``: per-modality results + the fused state."""
from __future__ import annotations

import argparse
from pathlib import Path


class PerceiveInputError(ValueError):
    """Bad command-line input for perceive (the message is shown as one line)."""


def cmd_perceive(args: argparse.Namespace) -> int:
    from ..cli import emit, settings_from
    from ..embeddings import shared_embedder
    from .perceiver import Perceiver

    if not (args.text and args.text.strip()) and not args.audio and not args.image and not args.video:
        raise PerceiveInputError("give at least one of --text, --audio, --image or --video")
    for flag, value in (("--audio", args.audio), ("--image", args.image), ("--video", args.video)):
        if value and not Path(value).is_file():
            raise PerceiveInputError(f"{flag}: file not found: {value}")
    settings = settings_from(args)
    if args.text is not None and len(args.text) > settings.max_input_chars:
        raise PerceiveInputError(f"--text is {len(args.text)} characters; the limit is {settings.max_input_chars}")
    embedder = shared_embedder(settings.embedder(), settings.torch_threads) if args.text else None
    perceiver = Perceiver(settings, embedder)
    frames, audio = None, args.audio
    if args.video:
        from .video import video_frames

        frames = video_frames(args.video)
        audio = audio or _sound_of(args.video)
    state = perceiver.perceive(args.text, audio=audio, image=args.image, frames=frames, speaker_id=args.speaker)
    emit(args, state.model_dump(mode="json"), lambda: _print_state(state))
    return 0


def _sound_of(video: str):
    """The clip's sound track as samples, or None for a silent clip (the face is still read)."""
    from ..audio import AudioError, load_audio

    try:
        return load_audio(video)
    except AudioError:
        return None


def _print_state(state) -> None:
    from rich.console import Console

    console = Console()
    f = state.fused
    console.print(f"[bold]{f.fine_label or f.label}[/bold] ({f.confidence:.2f}) · V {f.vad.valence:+.2f} "
                  f"A {f.vad.arousal:+.2f} D {f.vad.dominance:+.2f}")
    console.print(state.explanation)
    for estimate in (state.text, state.voice, state.face):
        if estimate is not None:
            top = sorted(estimate.scores.items(), key=lambda kv: -kv[1])[:3]
            console.print(f"[dim]  {estimate.modality}: {estimate.label} {estimate.confidence:.2f} · "
                          + ", ".join(f"{k} {v:.2f}" for k, v in top) + "[/dim]")
    for warning in state.warnings:
        console.print(f"[yellow]note: {warning}[/yellow]")


def register(sub, bench, common) -> None:
    p = sub.add_parser("perceive", parents=[common],
                       help="how the person feels, from text, voice and face, fused and explained")
    p.add_argument("--text", help="what they said or wrote")
    p.add_argument("--audio", help="their voice: WAV/FLAC/OGG/MP3/WebM/M4A")
    p.add_argument("--image", help="their face: JPEG/PNG/WebP/BMP/TIFF (the largest face is read)")
    p.add_argument("--video", help="a clip of them: its frames for the face (smoothed), its sound for the voice")
    p.add_argument("--speaker", default="user", help="speaker id for the voice baseline (default: user)")
    p.set_defaults(func=cmd_perceive)
