"""Avatar render bench: frames per second at 512² / 25 fps, real-time factor, first-chunk latency, A/V drift.

Synthetic speech chunks (agent.avatar.synthetic: a phoneme timeline + a voiced tone) drive the face, so the bench
measures the renderer alone, without TTS. Sentence lengths are deliberately not whole frames (A/V drift shows).
CPU figures (process + ffmpeg children) are reported next to wall-clock ones: on a shared machine the wall clock
measures the neighbours as much as the renderer.
"""
from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path


SENTENCES = [
    ("That sounds like a really hard week, and I'm glad you told me.", "sadness", 0.6),
    ("You handled more than most people would have.", "joy", 0.5),
    ("What happened when you got home?", "neutral", 0.5),
    ("Oh, I didn't expect that at all!", "surprise", 0.7),
    ("It makes sense that you felt scared.", "fear", 0.4),
    ("Being treated like that is not fair.", "anger", 0.5),
    ("Let's take it one small step at a time.", "joy", 0.4),
]


def _cpu_seconds() -> tuple[float, float]:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def _chunks(seconds: float, start_index: int = 0):
    from agent.avatar.synthetic import synthetic_chunk

    out, total, k = [], 0.0, 0
    while total < seconds - 0.5:
        text, emotion, intensity = SENTENCES[k % len(SENTENCES)]
        length = min(2.5 + 1.3 * ((k * 7919) % 5) / 4 + 0.0137 * k, seconds - total)  # 2.5–3.8 s, odd lengths
        out.append(synthetic_chunk(text, emotion, intensity, index=start_index + k, seconds=max(length, 0.6)))
        total += out[-1].duration
        k += 1
    return out


def bench_render(avatars_dir: Path, avatar: str = "sage", seconds: float = 30.0, size: int = 512, fps: int = 25,
                 preset: str = "ultrafast", out_dir: str | Path | None = None) -> dict:
    from agent.avatar.renderer import AvatarRenderer
    from agent.avatar.video import probe

    tmp = tempfile.TemporaryDirectory(prefix="attune-bench-") if out_dir is None else None
    folder = Path(out_dir or tmp.name)
    folder.mkdir(parents=True, exist_ok=True)
    chunks = _chunks(seconds)
    audio_s = sum(c.duration for c in chunks)
    result: dict = {"avatar": avatar, "size": size, "fps": fps, "preset": preset, "audio_s": round(audio_s, 3),
                    "sentences": len(chunks), "cpu_count": os.cpu_count(),
                    "load_avg_1min": round(os.getloadavg()[0], 2)}

    # 1. first-chunk latency on a fresh renderer: first frame, and the first sentence as its own MP4 segment
    renderer = AvatarRenderer(avatar, avatars_dir=avatars_dir, size=size, fps=fps, preset=preset)
    first = _chunks(1.6, start_index=0)[0]
    t0 = time.perf_counter()
    timeline = renderer.timeline(first)
    next(iter(renderer.frames(timeline)))
    result["first_frame_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    renderer.reset()
    seg = renderer.render_chunk(first, folder / "first_segment.mp4")
    result["first_segment_ms"] = round(seg.render_ms, 1)
    result["first_segment_s"] = round(first.duration, 3)

    # 2. drawing alone
    renderer.reset()
    timelines = [renderer.timeline(c) for c in chunks]
    cpu0, t0 = _cpu_seconds()[0], time.perf_counter()
    n = 0
    for tl in timelines:
        for _ in renderer.frames(tl):
            n += 1
    draw_wall, draw_cpu = time.perf_counter() - t0, _cpu_seconds()[0] - cpu0
    result["draw_fps"] = round(n / draw_wall, 1)
    result["draw_ms_per_frame"] = round(1000 * draw_wall / n, 2)
    result["draw_cpu_ms_per_frame"] = round(1000 * draw_cpu / n, 2)

    # 3. the whole turn: draw + H.264/AAC encode + mux, one MP4
    renderer.reset()
    out = folder / "bench_turn.mp4"
    (c_self0, c_kids0), t0 = _cpu_seconds(), time.perf_counter()
    turn = renderer.render_turn(chunks, out, timeline_path=folder / "bench_turn.timeline.json")
    wall = time.perf_counter() - t0
    c_self1, c_kids1 = _cpu_seconds()
    result["frames"] = turn.frames
    result["render_s"] = round(wall, 3)
    result["encode_fps"] = round(turn.frames / wall, 1)
    result["realtime_factor"] = round(audio_s / wall, 2)
    cpu = (c_self1 - c_self0) + (c_kids1 - c_kids0)
    result["cpu_ms_per_frame"] = round(1000 * cpu / turn.frames, 2)
    result["realtime_factor_per_cpu_core"] = round(audio_s / cpu, 2) if cpu else None

    # 4. A/V drift: the streams in the file, and every sentence start (frame clock vs audio clock)
    info = probe(out)
    result["video"] = {k: info.get(k) for k in ("video_codec", "pix_fmt", "width", "height", "fps", "frames",
                                                "video_duration", "audio_codec", "audio_duration", "bytes")}
    result["av_drift_end_ms"] = round(abs(info["video_duration"] - info["audio_duration"]) * 1000, 2)
    starts = [abs(tl.frame_start / fps - tl.start) * 1000 for tl in turn.timelines]
    result["av_drift_max_sentence_start_ms"] = round(max(starts), 2)
    result["goals"] = {"realtime_factor>=8": result["realtime_factor"] >= 8,
                       "first_frame_ms<=150": result["first_frame_ms"] <= 150,
                       "first_segment_ms<=150": result["first_segment_ms"] <= 150,
                       "av_drift_ms<=40": max(result["av_drift_end_ms"], result["av_drift_max_sentence_start_ms"]) <= 40}
    if out_dir is not None:
        result["out"] = str(out)
    if tmp is not None:
        tmp.cleanup()
    return result


if __name__ == "__main__":  # pragma: no cover
    import json

    from agent.config import Settings

    s = Settings()
    print(json.dumps(bench_render(s.avatars_dir, s.avatar), indent=2))
