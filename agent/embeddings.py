"""Sentence embeddings shared by perception, retrieval, safety and the quality gate.

One model instance per path, loaded lazily in ``setup()``; recent texts are cached so a user's message is
embedded once per turn however many stages look at it.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Sequence

import numpy as np


class Embedder:
    def __init__(self, model_path: Path, threads: int = 1, cache_size: int = 512):
        self.model_path = Path(model_path)
        self.threads = threads
        self._model = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def setup(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            import torch
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.logging.disable_progress_bar()  # keep CLI and JSON output clean
            transformers.logging.set_verbosity_error()
            torch.set_num_threads(self.threads)
            self._model = SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)

    @property
    def dim(self) -> int:
        self.setup()
        return int(self._model.get_embedding_dimension())

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Unit-normalised float32 embeddings, shape (len(texts), dim). Thread-safe: the API serves sessions from a
        thread pool, and one request's eviction from the cache must not pull a vector from under another (round 32:
        a KeyError, a 500)."""
        self.setup()
        texts = list(texts)
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
            found: dict[str, np.ndarray] = {}
            if missing:
                vectors = self._model.encode(
                    missing, batch_size=batch_size, normalize_embeddings=True,
                    convert_to_numpy=True, show_progress_bar=progress,
                ).astype(np.float32)
                found = dict(zip(missing, vectors))
            if len(missing) > self._cache_size:  # bulk jobs (index builds) bypass the cache
                return np.stack([self._cache.get(t, found.get(t)) for t in texts])
            self._cache.update(found)
            out = []
            for text in texts:
                self._cache.move_to_end(text)
                out.append(self._cache[text])
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return np.stack(out) if out else np.zeros((0, self._model.get_embedding_dimension()), np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


_shared: dict[tuple[str, int], Embedder] = {}
_shared_lock = threading.Lock()


def shared_embedder(model_path: Path, threads: int = 1) -> Embedder:
    """The process-wide embedder for a model path (models are heavy: load once, share)."""
    key = (str(model_path), threads)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = Embedder(model_path, threads)
        return _shared[key]


class ConcatEmbedder:
    """Embedders side by side: encode() concatenates their vectors (MiniLM ‖ mpnet for the "both" recipe)."""

    def __init__(self, *embedders):
        self.embedders = embedders

    def encode(self, texts: Sequence[str], **kwargs) -> np.ndarray:
        texts = list(texts)
        return np.concatenate([e.encode(texts, **kwargs) for e in self.embedders], axis=1)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


class CachedEncoder:
    """An Embedder with a text → vector cache kept in an .npz between runs (training scripts, benchmarks)."""

    def __init__(self, embedder: Embedder, cache: Path | None, batch_size: int = 64, progress: bool = False):
        self.embedder, self.cache = embedder, cache
        self.batch_size, self.progress = batch_size, progress
        self.vectors: dict[str, np.ndarray] = {}
        if cache and Path(cache).is_file():
            with np.load(cache, allow_pickle=False) as z:
                self.vectors = dict(zip(z["texts"].tolist(), z["vectors"]))

    def encode(self, texts: Sequence[str], **_) -> np.ndarray:
        texts = list(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if missing:
            vectors = self.embedder.encode(missing, batch_size=self.batch_size, progress=self.progress)
            self.vectors.update(zip(missing, vectors))
            if self.cache:
                np.savez(self.cache, texts=np.array(list(self.vectors)), vectors=np.stack(list(self.vectors.values())))
        if not texts:
            return np.zeros((0, self.embedder.dim), np.float32)
        return np.stack([self.vectors[t] for t in texts])
