"""Video in (a clip of the person talking): frames for the face, a few per second; the sound track goes through
``agent.audio.load_audio`` like any recording (ffmpeg reads it out of the container).

Decoding uses the ffmpeg binary that imageio-ffmpeg ships. Frames are scaled and padded to one fixed size so the
raw stream can be cut into arrays without probing the file first.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

SAMPLE_FPS = 4        # frames read per second: expressions change over ~0.2-0.5 s, so 4/s misses little
MAX_FRAMES = 48       # 12 s at 4/s: enough to read a face, bounded work on 2 cores
FRAME_SIZE = (480, 360)  # width, height the frames are scaled (and padded) to; faces stay well above detection size
MAX_BYTES = 200 * 1024 * 1024
DECODE_TIMEOUT_S = 120


class VideoError(ValueError):
    """The video cannot be used; the message says why in plain words."""


def _as_file(source: str | Path | bytes) -> tuple[str, bool]:
    """A path ffmpeg can seek in (MP4s often keep their index at the end, so a pipe is not enough)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise VideoError(f"video file not found: {path}")
        if path.stat().st_size == 0:
            raise VideoError("the video file is empty")
        if path.stat().st_size > MAX_BYTES:
            raise VideoError(f"the video is larger than {MAX_BYTES // (1024 * 1024)} MB")
        return str(path), False
    if not source:
        raise VideoError("the video is empty")
    if len(source) > MAX_BYTES:
        raise VideoError(f"the video is larger than {MAX_BYTES // (1024 * 1024)} MB")
    handle, name = tempfile.mkstemp(suffix=".video")
    with os.fdopen(handle, "wb") as f:
        f.write(source)
    return name, True


def video_frames(source: str | Path | bytes, fps: float = SAMPLE_FPS, max_frames: int = MAX_FRAMES,
                 size: tuple[int, int] = FRAME_SIZE) -> list[np.ndarray]:
    """RGB frames (height × width × 3, uint8) sampled at ``fps`` from the start of a video file or its bytes.

    Raises VideoError for empty, corrupt or frameless input (an audio-only file, say)."""
    import imageio_ffmpeg

    width, height = size
    path, temporary = _as_file(source)
    scale = (f"fps={fps},scale={width}:{height}:force_original_aspect_ratio=decrease,"
             f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2")
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", path, "-an", "-vf", scale,
           "-frames:v", str(max_frames), "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=DECODE_TIMEOUT_S)
    except subprocess.TimeoutExpired as error:
        raise VideoError("decoding the video took too long") from error
    finally:
        if temporary:
            os.unlink(path)
    frame_bytes = width * height * 3
    if proc.returncode != 0 or len(proc.stdout) < frame_bytes:
        detail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no picture in it"]
        raise VideoError(f"this file is not a video we can read ({detail[0][:120]})")
    count = len(proc.stdout) // frame_bytes
    frames = np.frombuffer(proc.stdout[:count * frame_bytes], np.uint8).reshape(count, height, width, 3)
    return list(frames)
