"""The judge: ESC-Eval's seven-dimension rubric (prompts/esc_judge.md) asked of an LLM, and ``parse_judge``, which
reads the scores out of whatever comes back."""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from agent.config import Settings
from agent.prompts import render

from .dimensions import DIMENSIONS
from .endpoints import CallCounter, chat_messages, describe_endpoint

# names a judge may use for a dimension (ESC-Eval's own names, common synonyms, Chinese); matched case-insensitively
ALIASES: dict[str, tuple[str, ...]] = {
    "fluency": ("fluency", "fluent", "流畅性", "流畅度", "流畅"),
    "expression": ("expression", "diversity", "expression/diversity", "多样性", "表达"),
    "empathy": ("empathy", "empathic", "empathetic", "共情", "同理心"),
    "information": ("information", "suggestion", "suggestions", "suggestion effectiveness", "informativeness",
                    "建议有效性", "建议", "信息"),
    "skillful": ("skillful", "skilful", "skill", "emotional knowledge", "tech", "情感知识", "技巧"),
    "humanoid": ("humanoid", "human-like", "humanlike", "human", "拟人化", "拟人"),
    "overall": ("overall", "human preference", "preference", "总体", "整体", "偏好"),
}


@dataclass
class JudgeParse:
    scores: dict[str, int | None]
    problems: dict[str, str]   # per dimension: why it has no score, or which invalid values were skipped
    source: dict[str, str]     # per dimension: "json" or "text"

    @property
    def missing(self) -> list[str]:
        return [d for d in DIMENSIONS if self.scores[d] is None]


def _dimension_of(key: str) -> str | None:
    k = re.sub(r"[\s_*#`\"'()（）]+", " ", str(key)).strip().lower()
    k = re.sub(r"^\d+[.)]\s*", "", k)
    for dim, names in ALIASES.items():
        if k in names or k.replace(" ", "") in names:
            return dim
    for dim, names in ALIASES.items():  # "empathy score", "fluency (0-4)"
        if any(k.startswith(n + " ") for n in names if n.isascii()):
            return dim
    return None


def _score_value(value: Any) -> tuple[int | None, str | None]:
    """(score, problem): an integer 0–4, or why not."""
    if isinstance(value, bool):
        return None, f"not a number: {value!r}"
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        m = re.match(r"\s*(-?\d+(?:\.\d+)?)\s*(?:/\s*(\d+))?", value)
        if not m:
            return None, f"not a number: {value[:30]!r}"
        if m.group(2) and m.group(2) != "4":
            return None, f"on another scale: {m.group(0).strip()!r}"
        number = float(m.group(1))
    elif isinstance(value, dict):
        for key in ("score", "rating", "value"):
            if key in value:
                return _score_value(value[key])
        return None, "an object without a score"
    else:
        return None, f"not a number: {str(value)[:30]!r}"
    if number != int(number):
        return None, f"not an integer: {number:g}"
    if not 0 <= number <= 4:
        return None, f"out of range: {number:g}"
    return int(number), None


def _json_objects(text: str) -> Iterator[dict]:
    """Every JSON object in the text, outermost first, in order (fenced, in prose, or the whole answer)."""
    stripped = text.strip()
    try:
        whole = json.loads(stripped)
        if isinstance(whole, dict):
            yield whole
            return
    except (json.JSONDecodeError, ValueError):
        pass
    start = 0
    while True:
        start = text.find("{", start)
        if start < 0:
            return
        depth, in_string, escape = 0, False, False
        for end in range(start, len(text)):
            ch = text[end]
            if in_string:
                escape = (ch == "\\") and not escape
                if ch == '"' and not escape:
                    in_string = False
                continue
            if ch == '"':
                in_string = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    candidate = text[start:end + 1]
                    try:
                        obj = json.loads(candidate)
                    except (json.JSONDecodeError, ValueError):
                        try:  # single quotes, trailing commas: common in small models' "JSON"
                            obj = json.loads(re.sub(r",\s*}", "}", candidate.replace("'", '"')))
                        except (json.JSONDecodeError, ValueError):
                            obj = None
                    if isinstance(obj, dict):
                        yield obj
                        start = end + 1
                    else:
                        start += 1
                    break
        else:
            return


def _flatten(obj: dict) -> Iterator[tuple[str, Any]]:
    for key, value in obj.items():
        if isinstance(value, dict) and _dimension_of(key) is None:
            yield from _flatten(value)  # {"scores": {...}}
        else:
            yield key, value


_LINE = re.compile(
    r"(?P<name>[A-Za-z][A-Za-z /_-]{1,40}?|[\u4e00-\u9fff]{2,6})\s*(?:\((?:0\s*[-–~]\s*4)\))?\s*(?:score)?\s*[*]*"
    r"\s*[:：=\-–]\s*[*]*\s*(?P<value>-?\d+(?:\.\d+)?(?:\s*/\s*\d+)?)", re.I)


def parse_judge(text: str) -> JudgeParse:
    """The seven scores from a judge's answer, however messy.

    JSON objects come first (the whole answer, fenced, or embedded in prose; nested {"scores": {...}} too), then
    "Name: 3" / "Name: 3/4" lines. For each dimension the first valid integer 0–4 wins; invalid values (5, 3.5,
    "8/10", "high") are recorded as problems; a dimension never found stays None — missing, never 0."""
    scores: dict[str, int | None] = {d: None for d in DIMENSIONS}
    problems: dict[str, list[str]] = {d: [] for d in DIMENSIONS}
    source: dict[str, str] = {}

    def offer(dim: str | None, value: Any, where: str) -> None:
        if dim is None or scores[dim] is not None:
            return
        score, problem = _score_value(value)
        if score is None:
            problems[dim].append(f"{where}: {problem}")
        else:
            scores[dim], source[dim] = score, where

    for obj in _json_objects(text or ""):
        for key, value in _flatten(obj):
            offer(_dimension_of(key), value, "json")
    for m in _LINE.finditer(text or ""):
        offer(_dimension_of(m.group("name")), m.group("value"), "text")
    final = {d: "; ".join(problems[d]) if problems[d] else "" for d in DIMENSIONS}
    for d in DIMENSIONS:
        if scores[d] is None and not final[d]:
            final[d] = "missing"
        elif scores[d] is not None and not final[d]:
            del final[d]
    return JudgeParse(scores, {d: v for d, v in final.items() if v}, source)


def judge_schema() -> dict:
    return {"type": "object", "additionalProperties": False, "required": list(DIMENSIONS),
            "properties": {d: {"type": "integer", "minimum": 0, "maximum": 4} for d in DIMENSIONS}}


def dialogue_text(greeting: str, turns: Sequence[dict]) -> str:
    lines = [f"AI assistant: {greeting}"]
    for turn in turns:
        lines += [f"Seeker: {turn['seeker']}", f"AI assistant: {turn['system']}"]
    return "\n".join(lines)


class Judge:
    """Scores a dialogue on the seven dimensions. Asks for schema-constrained JSON (llama.cpp grammar / vLLM
    guided decoding) and parses whatever comes back with ``parse_judge``; an endpoint that refuses response_format
    is asked again in plain text."""

    def __init__(self, settings: Settings, prompts_dir: Path, counter: CallCounter, structured: bool = True):
        from agent.planner.llm import LLM

        self.settings, self.prompts_dir, self.counter, self.structured = settings, Path(prompts_dir), counter, structured
        self.llm = LLM(settings)

    def prompt(self, greeting: str, turns: Sequence[dict]) -> str:
        return render(self.prompts_dir, "esc_judge", dialogue=dialogue_text(greeting, turns))

    def score(self, greeting: str, turns: Sequence[dict]) -> dict:
        from agent.planner.llm import LLMError

        messages = chat_messages([("user", self.prompt(greeting, turns))])
        method, raw = "text", None
        start = time.perf_counter()
        try:
            if self.structured:
                bound = self.llm.model.bind(response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "esc_scores", "schema": judge_schema(), "strict": True}})
                try:
                    self.counter.add("judge")
                    raw, method = bound.invoke(messages).content, "json_schema"
                except Exception as error:  # noqa: BLE001
                    status = getattr(error, "status_code", None)
                    if status not in (400, 404, 415, 422, 501):  # a refusal of response_format: else it is down
                        raise
            if raw is None:
                self.counter.add("judge")
                raw = self.llm.model.invoke(messages).content
        except Exception as error:  # noqa: BLE001
            where = describe_endpoint(self.settings)
            raise LLMError(f"judge ({where.get('url') or 'embedded'}) failed: {type(error).__name__}: {str(error)[:200]}") from error
        raw = raw if isinstance(raw, str) else json.dumps(raw)
        parsed = parse_judge(raw)
        return {"scores": parsed.scores, "problems": parsed.problems, "source": parsed.source, "method": method,
                "raw": raw, "seconds": round(time.perf_counter() - start, 2)}
