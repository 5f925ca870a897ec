"""Text utilities shared by stages: input cleaning, sentence splitting for streaming, pronoun reflection."""
from __future__ import annotations

import re
import unicodedata
from typing import Iterator


class InputError(ValueError):
    """The user's input cannot be used; the message says why in plain words."""


_TYPOGRAPHY = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": " - ",
                             "\u2013": "-", "\u2026": "...", "\xa0": " "})


def normalise(text: str) -> str:
    """Curly quotes, dashes and ellipses to ASCII, whitespace collapsed (MELD and phones both use them): rules
    written with ' match what a phone types."""
    return re.sub(r"\s+", " ", text.translate(_TYPOGRAPHY)).strip()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_user_text(raw: str | bytes, max_chars: int) -> tuple[str, list[str]]:
    """Normalised text plus warnings; raises InputError when nothing usable is left."""
    warnings: list[str] = []
    if isinstance(raw, bytes):
        text = raw.decode("utf-8", errors="replace")
        if "\ufffd" in text:
            warnings.append("the message had bytes that are not valid UTF-8; they were dropped")
    elif isinstance(raw, str):
        text = raw
    else:
        raise InputError(f"expected text, got {type(raw).__name__}")
    # lone surrogates (invalid UTF-8 passed through argv) cannot be encoded: drop them
    fixed = text.encode("utf-8", errors="ignore").decode("utf-8")
    if fixed != text:
        warnings.append("the message had characters that are not valid UTF-8; they were dropped")
    text = unicodedata.normalize("NFC", fixed).replace("\ufffd", "")
    text = _CONTROL.sub(" ", text)
    text = re.sub(r"[ \t]+", " ", text).strip()
    if not text:
        raise InputError("the message is empty: type something you'd like to talk about")
    if len(text) > max_chars:
        warnings.append(f"the message was {len(text):,} characters; only the first {max_chars:,} were read")
        text = text[:max_chars].rsplit(" ", 1)[0] or text[:max_chars]
    return text, warnings


# chat-template and role markers that user text must never smuggle into a prompt
_ROLE_MARKERS = re.compile(r"<\|[^|>]{1,30}\|>|</?(system|user|assistant|instructions?)>|^\s*(system|assistant)\s*:",
                           re.I | re.M)


def quote_user_text(text: str) -> str:
    """User text made safe to embed in a prompt: role markers removed, quotes neutralised."""
    return _ROLE_MARKERS.sub(" ", text).replace('"', "'").strip()


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


class SentenceBuffer:
    """Collects streamed text and releases whole sentences as soon as they are complete."""

    def __init__(self) -> None:
        self._text = ""

    def feed(self, text: str) -> Iterator[str]:
        self._text += text
        # a boundary needs the next sentence's first character, so the last sentence waits for flush()
        boundaries = list(_SENTENCE_END.finditer(self._text))
        if boundaries:
            cut = boundaries[-1].end()
            done, self._text = self._text[:cut], self._text[cut:]
            yield from split_sentences(done)

    def flush(self) -> Iterator[str]:
        if self._text.strip():
            yield self._text.strip()
        self._text = ""


# first person → second or third person, for reflecting the person's own words back (ELIZA-style; enough
# for the short clauses it is used on)
_FIRST = ["i", "me", "my", "mine", "myself", "i'm", "im", "i've", "i'd", "i'll", "we", "us", "our", "ours",
          "ourselves", "we're", "we've"]
_PERSON = {
    "second": dict(zip(_FIRST, ["you", "you", "your", "yours", "yourself", "you're", "you're", "you've", "you'd",
                                "you'll", "you", "you", "your", "yours", "yourselves", "you're", "you've"])) | {
        "you": "I", "your": "my", "yours": "mine", "yourself": "myself", "you're": "I'm", "you've": "I've"},
    "third": dict(zip(_FIRST, ["they", "them", "their", "theirs", "themselves", "they're", "they're", "they've",
                               "they'd", "they'll", "they", "them", "their", "theirs", "themselves", "they're",
                               "they've"])),
}
# words after which 'you' is the subject of what follows
_SUBJECT_SLOT = {"", "and", "but", "so", "because", "if", "when", "that", "then", "or", "since", "while", "think",
                 "know", "hope", "wish", "feel", "said", "says", "maybe"}
_BE_AFTER_I = {"second": {"am": "you are", "was": "you were"}, "third": {"am": "they are", "was": "they were"}}


def reflect(clause: str, person: str = "second") -> str:
    """'I lost my job' → 'you lost your job' (second) or 'they lost their job' (third)."""
    text = re.sub(r"\bI\s+(am|was)\b", lambda m: "\x00" + m.group(1).lower(), clause.replace("’", "'"), flags=re.I)
    words = re.findall(r"[A-Za-z']+|[^A-Za-z']+", text)
    out, previous = [], ""
    for word in words:
        key = word.lower()
        if key == "you" and person == "second":
            # 'you' as a subject becomes 'I', as an object 'me' ("brings you here" → "brings me here")
            out.append("I" if previous in _SUBJECT_SLOT else "me")
        elif re.match(r"[A-Za-z']+$", word):
            out.append(_PERSON[person].get(key, word))
        else:
            out.append(word)
        if re.match(r"[A-Za-z']+$", word):
            previous = key
    text = "".join(out)
    return re.sub("\x00(am|was)", lambda m: _BE_AFTER_I[person][m.group(1)], text).strip()
