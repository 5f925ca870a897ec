"""Fluency as perplexity under the embedded language model (SmolLM2-135M-Instruct, the GGUF attune ships).

llama.cpp's server does not return the log-probabilities of given text, so the same GGUF is read by transformers
(de-quantised to float32: 135M parameters, about 0.6 GB, a few tens of milliseconds per reply on two cores). Reading
a GGUF into transformers takes about a minute (mostly rebuilding the tokenizer), so the converted model is saved once
in the cache folder and loaded from there afterwards. Each
reply is scored on its own, after the chat template's assistant header, so the number says how natural the words
are as a reply, not how well they follow the history. Lower is more fluent; broken, pasted-together sentences score
in the thousands ("I'm so sorry you mean partly the prof yeah." ≈ 2,900 against ≈ 50 for a plain sympathetic line).
A 135M model's perplexity punishes rare words and names as well as broken grammar: read it beside the others.
"""
from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Sequence


class Perplexity:
    def __init__(self, gguf: Path, threads: int = 2, cache_dir: Path | None = None):
        self.gguf, self.threads = Path(gguf), threads
        self.converted = Path(cache_dir) / f"hf-{self.gguf.stem}-{self.gguf.stat().st_size}" if cache_dir else None
        self._model = self._tokenizer = None
        self._prefix: list[int] = []
        self._lock = threading.Lock()

    def setup(self) -> "Perplexity":
        if self._model is not None:
            return self
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        torch.set_num_threads(self.threads)
        if self.converted is not None and (self.converted / "config.json").is_file():
            self._tokenizer = AutoTokenizer.from_pretrained(self.converted)
            self._model = AutoModelForCausalLM.from_pretrained(self.converted, dtype=torch.float32).eval()
        else:
            folder, name = str(self.gguf.parent), self.gguf.name
            self._tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
            self._model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()
            if self.converted is not None:
                self._model.hf_quantizer = None  # the weights are plain float32 now; only the GGUF marker refuses
                self._model.save_pretrained(self.converted)
                self._tokenizer.save_pretrained(self.converted)
        header = self._tokenizer.apply_chat_template([{"role": "user", "content": "Hi."}], tokenize=False,
                                                     add_generation_prompt=True)
        self._prefix = self._tokenizer(header, add_special_tokens=False).input_ids
        return self

    def __call__(self, texts: Sequence[str]) -> list[float | None]:
        """Perplexity of each text as an assistant reply (None for an empty text)."""
        import torch

        self.setup()
        out: list[float | None] = []
        with self._lock, torch.no_grad():
            for text in texts:
                ids = self._tokenizer(text.strip(), add_special_tokens=False).input_ids[:256]
                if not ids:
                    out.append(None)
                    continue
                tokens = torch.tensor([self._prefix + ids])
                labels = tokens.clone()
                labels[0, :len(self._prefix)] = -100  # only the reply's own tokens are scored
                loss = float(self._model(tokens, labels=labels).loss)
                out.append(round(math.exp(loss), 2))
        return out
