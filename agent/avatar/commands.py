"""CLI: ``attune render``, ``attune avatars`` and ``attune bench render`` (registered by agent.cli)."""
from __future__ import annotations

import argparse
import time
from pathlib import Path


def _check_inputs(args: argparse.Namespace, settings):
    from .data import AvatarError, check_emotion, check_intensity
    from .profile import load_look

    text = (args.text or "").strip()
    if not text:
        raise AvatarError("the text is empty: give --text with something for the avatar to say")
    if len(text) > settings.max_input_chars:
        raise AvatarError(f"the text is {len(text)} characters; the limit is {settings.max_input_chars}")
    emotion = check_emotion(args.emotion)
    intensity = check_intensity(args.intensity)
    avatar = load_look(settings.avatars_dir, settings.avatar)
    if not str(args.out).lower().endswith(".mp4"):
        raise AvatarError(f"--out must name an .mp4 file, got {args.out!r}")
    return text, emotion, intensity, avatar


def cmd_render(args: argparse.Namespace) -> int:
    from ..cli import emit, settings_from
    from .renderer import AvatarRenderer
    from .video import probe

    settings = settings_from(args)
    text, emotion, intensity, avatar = _check_inputs(args, settings)
    from ..speech.tts import load_tts

    t0 = time.perf_counter()
    tts = load_tts(settings, voice=avatar.voice)
    renderer = AvatarRenderer(avatar, size=args.size, fps=args.fps, seed=args.seed, preset=args.preset)
    out = Path(args.out)
    timeline_path = Path(args.timeline) if args.timeline else out.with_suffix(".timeline.json")
    chunks = tts.synthesize(text, emotion, intensity)  # sentence by sentence: the video starts with the first
    result = renderer.render_turn(chunks, out, listen_before=args.listen_before, listen_after=args.listen_after,
                                  user_emotion=args.user_emotion, timeline_path=timeline_path)
    wall = time.perf_counter() - t0
    video = probe(out)
    spoken = [t for t in result.timelines if t.mode == "speak"]
    payload = {
        "out": str(out), "timeline": str(timeline_path), "avatar": avatar.key, "name": avatar.name,
        "emotion": emotion, "intensity": intensity, "voice": avatar.voice.model_dump(mode="json"),
        "tts_engine": getattr(tts, "engine", avatar.voice.engine), "sentences": len(spoken),
        "duration_s": round(result.duration, 3), "frames": result.frames, "fps": renderer.fps, "size": renderer.size,
        "first_frame_ms": round(result.first_frame_ms, 1), "render_ms": round(result.render_ms, 1),
        "wall_ms": round(wall * 1000, 1), "realtime_factor": round(result.duration / wall, 2) if wall else None,
        "av_diff_ms": video.get("av_diff_ms"),
        "video": {k: video.get(k) for k in ("video_codec", "pix_fmt", "width", "height", "fps", "frames",
                                            "video_duration", "audio_codec", "audio_rate", "audio_duration", "bytes")},
    }

    def human() -> None:
        print(f"{out}: {avatar.name} says {len(spoken)} sentence(s) with {emotion} ({intensity:.1f}), "
              f"{result.duration:.2f} s, {result.frames} frames in {wall:.2f} s; timeline {timeline_path}")

    emit(args, payload, human)
    return 0


def cmd_avatars(args: argparse.Namespace) -> int:
    from ..cli import emit, settings_from
    from .profile import list_avatars, load_look
    from .sheet import SHEET_EMOTIONS, contact_sheet

    settings = settings_from(args)
    keys = sorted(list_avatars(settings.avatars_dir), key=lambda k: (k != settings.avatar, k))  # the default first
    rows = []
    for key in keys:
        a = load_look(settings.avatars_dir, key)
        rows.append({"avatar": key, "name": a.name, "profile": a.profile.model_dump(mode="json"),
                     "voice": a.voice.model_dump(mode="json"), "personality": a.persona.personality.model_dump(),
                     "face": a.face.model_dump(mode="json")})
    payload: dict = {"avatars": rows}
    if args.sheet:
        emotions = tuple(args.emotions.split(",")) if args.emotions else SHEET_EMOTIONS
        contact_sheet(settings.avatars_dir, keys, emotions, tile=args.tile, out=Path(args.sheet))
        payload["sheet"] = args.sheet

    def human() -> None:
        for r in rows:
            p = r["profile"]
            print(f"{r['avatar']:8s} {r['name']:8s} {p['gender']}, {p['age_group']}, {p['timbre']} timbre · "
                  f"{r['voice']['engine']}:{r['voice']['voice']}")
        if args.sheet:
            print(f"contact sheet: {args.sheet}")

    emit(args, payload, human)
    return 0


def cmd_bench_render(args: argparse.Namespace) -> int:
    from evals.render_bench import bench_render

    from ..cli import emit, settings_from

    settings = settings_from(args)
    result = bench_render(settings.avatars_dir, avatar=settings.avatar, seconds=args.seconds, size=args.size,
                          fps=args.fps, preset=args.preset, out_dir=args.out_dir)
    emit(args, result)
    return 0


def register(sub, bench, common) -> None:
    p = sub.add_parser("render", parents=[common], help="the avatar speaking TEXT with an emotion → MP4 + timeline JSON")
    p.add_argument("--text", required=True, help="what the avatar says")
    p.add_argument("--emotion", default="neutral", help="anger, disgust, fear, joy, neutral, sadness, surprise")
    p.add_argument("--intensity", type=float, default=0.6, help="0 … 1")
    p.add_argument("--avatar", help="a profile in avatars/ (default: settings.avatar)")
    p.add_argument("--out", required=True, help="MP4 to write (H.264 + AAC)")
    p.add_argument("--timeline", help="face timeline JSON (default: OUT with .timeline.json)")
    p.add_argument("--listen-before", type=float, default=0.0, help="seconds of listening idle before speaking")
    p.add_argument("--listen-after", type=float, default=0.0, help="seconds of listening idle after speaking")
    p.add_argument("--user-emotion", default="neutral", help="the user's mood, which the listening face follows")
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--fps", type=int, default=25)
    p.add_argument("--seed", type=int, default=0, help="blinks, gaze and head motion (same seed, same motion)")
    p.add_argument("--preset", default="ultrafast", help="x264 preset (ultrafast, veryfast, …)")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("avatars", parents=[common], help="list the avatar profiles; --sheet draws a contact sheet")
    p.add_argument("--sheet", help="PNG: avatars × emotions")
    p.add_argument("--emotions", help="comma-separated (default: all seven)")
    p.add_argument("--tile", type=int, default=256)
    p.set_defaults(func=cmd_avatars)

    p = bench.add_parser("render", parents=[common], help="avatar rendering: fps, real-time factor, latency, A/V drift")
    p.add_argument("--avatar")
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--fps", type=int, default=25)
    p.add_argument("--preset", default="ultrafast")
    p.add_argument("--out-dir", help="keep the rendered clips here (default: a temporary directory)")
    p.set_defaults(func=cmd_bench_render)
