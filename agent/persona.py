"""Avatar profiles are data (avatars/<name>.toml): persona, personality, and later voice and face."""
from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, Field


class BigFive(BaseModel):
    openness: float = Field(0.5, ge=0, le=1)
    conscientiousness: float = Field(0.5, ge=0, le=1)
    extraversion: float = Field(0.5, ge=0, le=1)
    agreeableness: float = Field(0.5, ge=0, le=1)
    neuroticism: float = Field(0.5, ge=0, le=1)


class AvatarProfile(BaseModel, extra="allow"):
    name: str
    style: str = ""
    personality: BigFive = BigFive()


def load_avatar(avatars_dir: Path, name: str) -> AvatarProfile:
    path = Path(avatars_dir) / f"{name}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in Path(avatars_dir).glob("*.toml"))
        raise FileNotFoundError(f"unknown avatar {name!r}; available: {', '.join(known) or 'none'}")
    return AvatarProfile(**tomllib.loads(path.read_text(encoding="utf-8")))
