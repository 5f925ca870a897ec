"""MP4 out through the ffmpeg binary that imageio-ffmpeg ships: raw RGBA frames on a pipe → H.264 (yuv420p) + AAC."""
from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ..audio import write_wav


class VideoError(RuntimeError):
    """ffmpeg failed or is missing; the message carries its last words."""


def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
    except ImportError as error:  # pragma: no cover - a declared dependency
        raise VideoError("imageio-ffmpeg is not installed (pip install imageio-ffmpeg)") from error
    return imageio_ffmpeg.get_ffmpeg_exe()


AUDIO_ARGS = ["-c:a", "aac", "-b:a", "128k", "-ar", "48000"]


class FrameWriter:
    """Pipe RGBA frames into ffmpeg. With ``audio_wav`` the audio is muxed in the same pass.

    x264 ``ultrafast`` with one thread: the cheapest CPU per frame (1.7 ms at 512² incl. the RGBA → yuv420p
    conversion); drawing runs in parallel in this process."""

    def __init__(self, out_path: str | Path, size: int, fps: int, audio_wav: str | Path | None = None,
                 preset: str = "ultrafast", crf: int = 23, threads: int = 1):
        self.out_path = Path(out_path)
        self.out_path.parent.mkdir(parents=True, exist_ok=True)
        self.frames = 0
        cmd = [ffmpeg_exe(), "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{size}x{size}",
               "-framerate", str(fps), "-i", "pipe:0"]
        if audio_wav is not None:
            cmd += ["-i", str(audio_wav), "-map", "0:v", "-map", "1:a"]
        cmd += ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
                "-g", str(fps * 2), "-threads", str(threads)]
        if audio_wav is not None:
            cmd += AUDIO_ARGS
        cmd += ["-movflags", "+faststart", str(self.out_path)]
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=self._stderr)
        try:  # a pipe that holds a whole frame: drawing the next frame overlaps ffmpeg reading this one
            import fcntl

            fcntl.fcntl(self.proc.stdin.fileno(), 1031, min(size * size * 4, 1 << 20))  # F_SETPIPE_SZ
        except (ImportError, OSError):
            pass

    def write(self, frame: np.ndarray) -> None:
        try:
            self.proc.stdin.write(memoryview(np.ascontiguousarray(frame)).cast("B"))
        except BrokenPipeError:
            self.close()
        self.frames += 1

    def close(self) -> Path:
        if self.proc.stdin and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        rc = self.proc.wait()
        if rc != 0:
            self._stderr.seek(0)
            detail = self._stderr.read().decode(errors="replace").strip().splitlines()[-1:] or [f"exit {rc}"]
            raise VideoError(f"ffmpeg could not write {self.out_path}: {detail[0][:200]}")
        self._stderr.close()
        return self.out_path

    def __enter__(self) -> "FrameWriter":
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.close()
        else:
            self.proc.kill()
            self.proc.wait()


def mux_audio(video_path: str | Path, audio: np.ndarray, sample_rate: int, out_path: str | Path) -> Path:
    """Add an AAC track to a video-only MP4 (video copied, not re-encoded)."""
    out_path = Path(out_path)
    with tempfile.TemporaryDirectory(prefix="attune-mux-") as tmp:
        wav = write_wav(Path(tmp) / "audio.wav", audio, sample_rate)
        cmd = [ffmpeg_exe(), "-y", "-v", "error", "-i", str(video_path), "-i", str(wav), "-map", "0:v", "-map", "1:a",
               "-c:v", "copy", *AUDIO_ARGS, "-movflags", "+faststart", str(out_path)]
        proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["unknown error"]
        raise VideoError(f"ffmpeg could not mux audio into {out_path}: {detail[0][:200]}")
    return out_path


def probe(path: str | Path) -> dict:
    """Stream facts from ffmpeg itself: codecs, size, fps, frame count, video and (decoded) audio durations."""
    path = Path(path)
    if not path.is_file():
        raise VideoError(f"no such video: {path}")
    ff = ffmpeg_exe()
    info = subprocess.run([ff, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    out: dict = {"path": str(path), "bytes": path.stat().st_size}
    video = re.search(r"Stream #\S+.*Video: (\w+).*?, (\w+)(?:\(.*?\))?, (\d+)x(\d+).*?, ([\d.]+) fps", info)
    audio = re.search(r"Stream #\S+.*Audio: (\w+).*?, (\d+) Hz", info)
    if video:
        out.update(video_codec=video.group(1), pix_fmt=video.group(2), width=int(video.group(3)),
                   height=int(video.group(4)), fps=float(video.group(5)))
        counted = subprocess.run([ff, "-hide_banner", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "null", "-"],
                                 capture_output=True, text=True).stderr
        frames = re.findall(r"frame=\s*(\d+)", counted)
        out["frames"] = int(frames[-1]) if frames else 0
        out["video_duration"] = out["frames"] / out["fps"] if out["fps"] else 0.0
    if audio:
        out.update(audio_codec=audio.group(1), audio_rate=int(audio.group(2)))
        pcm = subprocess.run([ff, "-v", "error", "-i", str(path), "-map", "0:a:0", "-f", "f32le", "-ac", "1", "-"],
                             capture_output=True).stdout
        out["audio_duration"] = len(pcm) / 4 / out["audio_rate"]
    if video and audio:
        out["av_diff_ms"] = round(1000 * (out["video_duration"] - out["audio_duration"]), 2)
    return out
