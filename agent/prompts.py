"""Prompt templates live as files in prompts/; ``{{name}}`` marks a variable (prompts/README.md lists them)."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

_VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@lru_cache(maxsize=64)
def _template(path: Path) -> str:
    if not path.is_file():
        raise FileNotFoundError(f"prompt template not found: {path}")
    return path.read_text(encoding="utf-8").strip()


def render(prompts_dir: Path, name: str, **variables: object) -> str:
    template = _template(Path(prompts_dir) / f"{name}.md")
    missing = sorted({m for m in _VARIABLE.findall(template) if m not in variables})
    if missing:
        raise KeyError(f"prompt {name!r} needs variables {missing}")
    return _VARIABLE.sub(lambda m: str(variables[m.group(1)]), template)
