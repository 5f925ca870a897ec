"""An avatar's face, voice and AvaMERG-style profile, read from the [face], [voice] and [profile] tables of
avatars/<name>.toml (see docs/avatar.md for every field)."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from ..persona import AvatarProfile, load_avatar
from ..speech.types import VoiceProfile
from .data import AvatarError

HairStyle = Literal["short", "long", "bun", "bob"]


class FaceLook(BaseModel, extra="forbid"):
    """Colours (#rrggbb) and shape of a drawn face. Lengths are in pixels of the 512×512 design canvas."""

    skin: str = "#f2c7a5"
    skin_shadow: str = "#d9a282"
    blush: str = "#f0857a"
    hair: str = "#4a3226"
    hair_highlight: str = "#6b4a37"
    hair_style: HairStyle = "short"
    iris: str = "#5b7f4a"
    brow: str = "#3d281d"
    lips: str = "#c9746b"
    clothes: str = "#4f7c8a"
    clothes_accent: str = "#3f6672"
    background: tuple[str, str] = ("#eaf1f4", "#c8dbe3")
    head_width: float = Field(118, ge=90, le=140, description="half-width of the head")
    head_height: float = Field(148, ge=120, le=170, description="half-height of the head")
    jaw: float = Field(0.5, ge=0, le=1, description="0 narrow, pointed chin .. 1 broad, square jaw")
    eye_size: float = Field(1.0, ge=0.7, le=1.3)
    eye_spacing: float = Field(1.0, ge=0.85, le=1.15)
    brow_weight: float = Field(1.0, ge=0.5, le=1.6)
    lip_fullness: float = Field(1.0, ge=0.6, le=1.5)
    lashes: float = Field(0.0, ge=0, le=1, description="upper-lash emphasis (0 none)")
    age: float = Field(0.0, ge=0, le=1, description="smile lines and under-eye creases")
    glasses: bool = False
    beard: float = Field(0.0, ge=0, le=1, description="stubble shadow on the jaw")


class PersonaProfile(BaseModel, extra="allow"):
    """AvaMERG-style avatar profile (age group, gender, timbre) that keeps face, voice and persona consistent."""

    age_group: Literal["child", "young", "middle-aged", "elderly"] = "young"
    gender: Literal["female", "male", "neutral"] = "neutral"
    timbre: Literal["low", "mid", "high"] = "mid"
    description: str = ""


class Avatar(BaseModel):
    key: str
    name: str
    face: FaceLook
    voice: VoiceProfile
    profile: PersonaProfile
    persona: AvatarProfile


def load_look(avatars_dir: Path, key: str) -> Avatar:
    """The drawable avatar for avatars/<key>.toml; unknown names raise an AvatarError listing the known ones."""
    key = (key or "").strip().lower()
    try:
        persona = load_avatar(Path(avatars_dir), key)
    except FileNotFoundError as error:
        raise AvatarError(str(error)) from None
    extra = persona.model_extra or {}
    face_table = dict(extra.get("face", {}))
    if "background" in face_table:
        face_table["background"] = tuple(face_table["background"])
    return Avatar(key=key, name=persona.name, face=FaceLook(**face_table), voice=VoiceProfile(**extra.get("voice", {})),
                  profile=PersonaProfile(**extra.get("profile", {})), persona=persona)


def list_avatars(avatars_dir: Path) -> list[str]:
    return sorted(p.stem for p in Path(avatars_dir).glob("*.toml"))
