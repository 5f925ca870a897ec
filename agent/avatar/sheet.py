"""A contact sheet: avatars × emotions in one PNG (docs/avatars.png)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import skia

from .expression import action_units
from .face import FacePainter, state_from
from .profile import load_look

SHEET_EMOTIONS = ("neutral", "joy", "sadness", "anger", "fear", "surprise", "disgust")


def expression_state(emotion: str, intensity: float = 0.8, **overrides: float) -> dict[str, float]:
    """A still frame of an emotion at rest (mouth from the AUs only, eyes on the viewer)."""
    return state_from(action_units(emotion, intensity), **overrides)


def contact_sheet(avatars_dir: Path, avatars: list[str], emotions=SHEET_EMOTIONS, tile: int = 256,
                  intensity: float = 0.8, out: Path | None = None) -> np.ndarray:
    label_h = 28
    width, height = tile * len(emotions), (tile + label_h) * len(avatars) + label_h
    surface = skia.Surface(width, height)
    c = surface.getCanvas()
    c.clear(skia.Color(250, 250, 250))
    font = skia.Font(skia.Typeface("DejaVu Sans"), 15)
    ink = skia.Paint(AntiAlias=True, Color=skia.Color(60, 60, 70))
    for j, emotion in enumerate(emotions):
        c.drawString(emotion, j * tile + tile / 2 - font.measureText(emotion) / 2, 19, font, ink)
    for i, key in enumerate(avatars):
        avatar = load_look(avatars_dir, key)
        size = int(round(tile / 0.82))  # render larger, keep the head-and-shoulders square around the face
        painter = FacePainter(avatar.face, size=size)
        top, left = int(0.035 * size), int(0.09 * size)
        y0 = label_h + i * (tile + label_h)
        for j, emotion in enumerate(emotions):
            frame = painter.render(expression_state(emotion, intensity))[top:top + tile, left:left + tile]
            image = skia.Image.fromarray(np.ascontiguousarray(frame), colorType=skia.kRGBA_8888_ColorType)
            c.drawImage(image, j * tile, y0)
        label = f"{avatar.name} · {avatar.profile.gender}, {avatar.profile.age_group}, {avatar.voice.engine}:{avatar.voice.voice}"
        c.drawString(label, 8, y0 + tile + 19, font, ink)
    image = surface.makeImageSnapshot()
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        image.save(str(out), skia.kPNG)
    return image.toarray()
