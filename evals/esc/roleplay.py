"""The role-player: an LLM plays the seeker on a card, with ESC-Eval's role-play prompt (English or Chinese)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

from agent.config import Settings
from agent.prompts import render

from .cards import Card
from .endpoints import CallCounter, chat_messages, joined_text

_SEEKER_LABEL = re.compile(r"^\s*(?:\*\*)?(seeker|user|me|human|person|patient|client|求助者|用户|我)(?:\*\*)?\s*[:：]\s*", re.I)
_OTHER_SPEAKER = re.compile(r"\n\s*(?:\*\*)?(ai assistant|assistant|ai|supporter|therapist|counselor|助手|AI助手)(?:\*\*)?\s*[:：]", re.I)


def clean_seeker(text: str) -> str:
    """The role-player's own message: no speaker label, nothing it wrote for the other side."""
    text = _SEEKER_LABEL.sub("", text.strip())
    m = _OTHER_SPEAKER.search(text)
    if m:
        text = text[:m.start()]
    return text.strip().strip('"“”').strip()


class RolePlayer:
    def __init__(self, settings: Settings, prompts_dir: Path, counter: CallCounter):
        from agent.planner.llm import LLM

        self.settings, self.prompts_dir, self.counter = settings, Path(prompts_dir), counter
        self.llm = LLM(settings)

    def system_prompt(self, card: Card) -> str:
        return render(self.prompts_dir, f"esc_roleplay_{card.language}", card=card.text)

    def greeting(self, language: str) -> str:
        return render(self.prompts_dir, f"esc_greeting_{language}")

    def messages(self, card: Card, turns: Sequence[dict]) -> list:
        """ESC-Eval's framing: the card is the system prompt, the agent's words are 'user', the seeker's 'assistant'."""
        pairs = [("system", self.system_prompt(card)), ("user", self.greeting(card.language))]
        for turn in turns:
            pairs += [("assistant", turn["seeker"]), ("user", turn["system"])]
        return chat_messages(pairs)

    def next(self, card: Card, turns: Sequence[dict]) -> tuple[str, str]:
        """(cleaned message, raw output); retries twice when the model says nothing usable."""
        raw = ""
        for _attempt in range(3):
            self.counter.add("roleplayer")
            raw = joined_text(self.llm.stream_text(self.messages(card, turns)))
            cleaned = clean_seeker(raw)
            if cleaned:
                return cleaned, raw
        raise RuntimeError(f"the role-player returned no usable message after 3 tries (last: {raw[:80]!r})")
