"""Drawing the face with skia: a 2D portrait from a FaceLook and one frame of face parameters.

Every shape is an ellipse, a cubic/quadratic Bézier path or a gradient, so the same drawing ports line by line to an
HTML canvas (docs/avatar.md lists the geometry). Design space: 512×512, head centre (256, 236); other sizes scale.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import skia

from .data import AUS, MOUTH
from .profile import FaceLook

DESIGN = 512.0
CX, CY = 256.0, 236.0


def _rgb(hex_color: str) -> tuple[int, int, int]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def color(hex_color: str, alpha: float = 1.0) -> int:
    r, g, b = _rgb(hex_color)
    return skia.Color(r, g, b, int(max(0.0, min(1.0, alpha)) * 255))


def mix(a: str, b: str, t: float) -> str:
    ra, rb = _rgb(a), _rgb(b)
    return "#" + "".join(f"{int(round(x + (y - x) * t)):02x}" for x, y in zip(ra, rb))


def fill(c: int) -> skia.Paint:
    return skia.Paint(AntiAlias=True, Color=c)


def stroke(c: int, width: float, cap=skia.Paint.kRound_Cap) -> skia.Paint:
    return skia.Paint(AntiAlias=True, Color=c, Style=skia.Paint.kStroke_Style, StrokeWidth=width, StrokeCap=cap,
                      StrokeJoin=skia.Paint.kRound_Join)


def _curve_ctrl(mid: float, end_a: float, end_b: float) -> float:
    """Control-point ordinate so a symmetric cubic from end_a to end_b passes through ``mid`` at t = 0.5."""
    return (mid - 0.125 * (end_a + end_b)) / 0.75


NEUTRAL_STATE: dict[str, float] = {**{a: 0.0 for a in AUS}, **{m: 0.0 for m in MOUTH},
                                   "blink": 0.0, "gaze_x": 0.0, "gaze_y": 0.0, "yaw": 0.0, "pitch": 0.0, "roll": 0.0,
                                   "breath": 0.0}


class FacePainter:
    """Draws one avatar; keeps its static layer (background, shoulders) cached."""

    def __init__(self, look: FaceLook, size: int = 512):
        self.look = look
        self.size = int(size)
        self.scale = self.size / DESIGN
        self.buffer = np.zeros((self.size, self.size, 4), dtype=np.uint8)
        self.surface = skia.Surface(self.buffer, colorType=skia.kRGBA_8888_ColorType)
        self._static = self._static_layer().toarray(colorType=skia.kRGBA_8888_ColorType)
        lk = look
        self.W, self.H = lk.head_width, lk.head_height
        self.lip_upper = mix(lk.lips, "#000000", 0.12)
        self.skin_line = mix(lk.skin_shadow, "#000000", 0.18)

    # -- static layer ------------------------------------------------------------------------------------------------
    def _static_layer(self) -> skia.Image:
        lk = self.look
        surface = skia.Surface(self.size, self.size)
        c = surface.getCanvas()
        c.scale(self.scale, self.scale)
        top, bottom = lk.background
        bg = skia.Paint(Shader=skia.GradientShader.MakeLinear(
            [(0, 0), (0, DESIGN)], [color(top), color(bottom)]))
        c.drawRect(skia.Rect(0, 0, DESIGN, DESIGN), bg)
        glow = skia.Paint(AntiAlias=True, Shader=skia.GradientShader.MakeRadial(
            (CX, CY - 10), 250, [color("#ffffff", 0.55), color("#ffffff", 0.0)]))
        c.drawCircle(CX, CY - 10, 250, glow)
        # shoulders and clothes
        body = skia.Path()
        body.moveTo(CX - 215, DESIGN + 5)
        body.cubicTo(CX - 212, 455, CX - 175, 428, CX - 100, 418)
        body.lineTo(CX + 100, 418)
        body.cubicTo(CX + 175, 428, CX + 212, 455, CX + 215, DESIGN + 5)
        body.close()
        shade = skia.Paint(AntiAlias=True, Shader=skia.GradientShader.MakeLinear(
            [(0, 410), (0, DESIGN)], [color(mix(lk.clothes, "#ffffff", 0.08)), color(mix(lk.clothes, "#000000", 0.15))]))
        c.drawPath(body, shade)
        neckline = skia.Path()
        neckline.moveTo(CX - 52, 417)
        neckline.cubicTo(CX - 40, 452, CX + 40, 452, CX + 52, 417)
        neckline.close()
        c.drawPath(neckline, fill(color(lk.skin_shadow)))
        c.drawPath(neckline, stroke(color(lk.clothes_accent), 7))
        c.drawLine(CX - 150, 436, CX - 128, 512, stroke(color(lk.clothes_accent, 0.35), 2.5))
        c.drawLine(CX + 150, 436, CX + 128, 512, stroke(color(lk.clothes_accent, 0.35), 2.5))
        return surface.makeImageSnapshot()

    # -- one frame ---------------------------------------------------------------------------------------------------
    def render(self, state: Mapping[str, float]) -> np.ndarray:
        """Draw one frame; returns the painter's own RGBA buffer (copy it to keep it past the next frame)."""
        np.copyto(self.buffer, self._static)
        canvas = self.surface.getCanvas()
        canvas.save()
        canvas.scale(self.scale, self.scale)
        self.draw(canvas, state)
        canvas.restore()
        return self.buffer

    def draw(self, c: skia.Canvas, s: Mapping[str, float]) -> None:
        lk, W, H = self.look, self.W, self.H
        yaw, pitch = s.get("yaw", 0.0), s.get("pitch", 0.0)
        c.save()
        c.translate(0, 1.2 * s.get("breath", 0.0))
        c.rotate(s.get("roll", 0.0), CX, CY + H + 55)
        self._neck(c)
        hx, hy = yaw * 0.9, pitch * 0.7  # the skull moves a little…
        fx, fy = yaw * 2.0, pitch * 1.5  # …the features, nearer the viewer, move more (parallax)
        c.translate(hx, hy)
        self._hair_back(c)
        c.save(); c.translate(-yaw * 0.5, 0); self._ears(c); c.restore()
        jaw_drop = self._mouth_open(s) * 10.0
        self._head(c, jaw_drop)
        c.save()
        c.translate(fx - hx, fy - hy)
        self._cheeks(c, s)
        self._forehead(c, s)
        for side in (-1, 1):
            self._eye(c, s, side)
        self._nose(c, s)
        mouth = self._mouth(c, s)
        self._folds(c, s, mouth)
        c.restore()
        c.save(); c.translate((fx - hx) * 0.45, (fy - hy) * 0.3); self._hair_front(c); c.restore()
        c.save()
        c.translate(fx - hx, fy - hy)
        for side in (-1, 1):
            self._brow(c, s, side)
        if lk.glasses:
            self._glasses(c, s)
        c.restore()
        c.restore()

    # -- parts -------------------------------------------------------------------------------------------------------
    def _neck(self, c):
        lk, W, H = self.look, self.W, self.H
        p = skia.Path()
        p.moveTo(CX - 0.36 * W, CY + 0.5 * H)
        p.lineTo(CX - 0.38 * W, 425)
        p.cubicTo(CX - 0.2 * W, 440, CX + 0.2 * W, 440, CX + 0.38 * W, 425)
        p.lineTo(CX + 0.36 * W, CY + 0.5 * H)
        p.close()
        c.drawPath(p, fill(color(lk.skin)))
        c.drawOval(skia.Rect(CX - 0.4 * W, CY + 0.7 * H, CX + 0.4 * W, CY + H + 22), fill(color(lk.skin_shadow)))

    def _head_path(self, jaw_drop: float) -> skia.Path:
        W, H, jaw = self.W, self.H, self.look.jaw
        top, chin = CY - H, CY + H + jaw_drop
        p = skia.Path()
        p.moveTo(CX, top)
        p.cubicTo(CX + 0.58 * W, top, CX + W, CY - 0.62 * H, CX + W, CY - 0.08 * H)
        p.cubicTo(CX + W, CY + (0.38 + 0.1 * jaw) * H + 0.5 * jaw_drop, CX + (0.42 + 0.3 * jaw) * W, chin,
                  CX, chin)
        p.cubicTo(CX - (0.42 + 0.3 * jaw) * W, chin, CX - W, CY + (0.38 + 0.1 * jaw) * H + 0.5 * jaw_drop,
                  CX - W, CY - 0.08 * H)
        p.cubicTo(CX - W, CY - 0.62 * H, CX - 0.58 * W, top, CX, top)
        p.close()
        return p

    def _head(self, c, jaw_drop):
        lk, W, H = self.look, self.W, self.H
        path = self._head_path(jaw_drop)
        c.drawPath(path, fill(color(lk.skin_shadow)))
        lit = skia.Path(path)
        m = skia.Matrix()
        m.setScale(0.955, 0.962, CX - 0.3 * W, CY - 0.35 * H)
        lit.transform(m)
        c.drawPath(lit, fill(color(lk.skin)))
        if lk.beard > 0:  # stubble: the jaw below the cheeks
            jaw = skia.Path()
            jaw.moveTo(CX - 1.02 * W, CY + 0.05 * H)
            jaw.cubicTo(CX - 0.9 * W, CY + 0.5 * H, CX - 0.6 * W, CY + 0.68 * H, CX - 0.3 * W, CY + 0.74 * H)
            jaw.quadTo(CX, CY + 0.78 * H, CX + 0.3 * W, CY + 0.74 * H)
            jaw.cubicTo(CX + 0.6 * W, CY + 0.68 * H, CX + 0.9 * W, CY + 0.5 * H, CX + 1.02 * W, CY + 0.05 * H)
            jaw.lineTo(CX + W, CY + 1.2 * H)
            jaw.lineTo(CX - W, CY + 1.2 * H)
            jaw.close()
            c.save()
            c.clipPath(path, doAntiAlias=False)
            c.drawPath(jaw, fill(color(lk.hair, 0.16 * lk.beard)))
            c.restore()

    def _ears(self, c):
        lk, W = self.look, self.W
        if lk.hair_style == "long":
            return
        for side in (-1, 1):
            x, y = CX + side * (W - 3), CY + 30
            c.drawOval(skia.Rect(x - 13, y - 24, x + 13, y + 22), fill(color(lk.skin)))
            c.drawOval(skia.Rect(x - 13, y - 24, x + 13, y + 22), stroke(color(lk.skin_shadow), 1.5))
            arc = skia.Path()
            arc.moveTo(x + side * 1, y - 14)
            arc.quadTo(x + side * 8, y - 2, x + side * 2, y + 12)
            c.drawPath(arc, stroke(color(self.skin_line, 0.45), 2.5))

    # hair ---------------------------------------------------------------------------------------------------------
    def _hair_paint(self, back: bool = False) -> skia.Paint:
        lk = self.look
        return fill(color(mix(lk.hair, "#000000", 0.18) if back else lk.hair))

    def _hair_back(self, c):
        lk, W, H = self.look, self.W, self.H
        paint = self._hair_paint(back=True)
        style = lk.hair_style
        if style == "long":
            p = skia.Path()
            p.moveTo(CX, CY - H - 22)
            p.cubicTo(CX + 1.05 * W, CY - H - 18, CX + 1.3 * W, CY - 0.25 * H, CX + 1.22 * W, CY + 0.45 * H)
            p.cubicTo(CX + 1.18 * W, CY + 0.85 * H, CX + 1.32 * W, CY + 1.1 * H, CX + 1.3 * W, CY + 1.32 * H)
            p.quadTo(CX + 1.1 * W, CY + 1.38 * H, CX + 0.9 * W, CY + 1.3 * H)
            p.lineTo(CX - 0.9 * W, CY + 1.3 * H)
            p.quadTo(CX - 1.1 * W, CY + 1.38 * H, CX - 1.3 * W, CY + 1.32 * H)
            p.cubicTo(CX - 1.32 * W, CY + 1.1 * H, CX - 1.18 * W, CY + 0.85 * H, CX - 1.22 * W, CY + 0.45 * H)
            p.cubicTo(CX - 1.3 * W, CY - 0.25 * H, CX - 1.05 * W, CY - H - 18, CX, CY - H - 22)
            p.close()
            c.drawPath(p, paint)
        elif style == "bob":
            p = skia.Path()
            p.moveTo(CX, CY - H - 20)
            p.cubicTo(CX + 1.0 * W, CY - H - 16, CX + 1.24 * W, CY - 0.3 * H, CX + 1.2 * W, CY + 0.45 * H)
            p.lineTo(CX + 1.16 * W, CY + 0.72 * H)
            p.cubicTo(CX + 0.6 * W, CY + 0.8 * H, CX - 0.6 * W, CY + 0.8 * H, CX - 1.16 * W, CY + 0.72 * H)
            p.lineTo(CX - 1.2 * W, CY + 0.45 * H)
            p.cubicTo(CX - 1.24 * W, CY - 0.3 * H, CX - 1.0 * W, CY - H - 16, CX, CY - H - 20)
            p.close()
            c.drawPath(p, paint)
        elif style == "bun":
            c.drawCircle(CX, CY - H - 16, 42, paint)
            c.drawCircle(CX, CY - H - 16, 42, stroke(color(mix(lk.hair, "#000000", 0.15), 0.5), 2))
            swirl = skia.Path()
            swirl.moveTo(CX - 24, CY - H - 30)
            swirl.quadTo(CX, CY - H - 52, CX + 26, CY - H - 24)
            c.drawPath(swirl, stroke(color(lk.hair_highlight, 0.8), 3))
        if style == "long":
            return
        # other styles: volume behind the crown
        p = skia.Path()
        p.addOval(skia.Rect(CX - 1.08 * W, CY - H - 14, CX + 1.08 * W, CY + 0.25 * H))
        c.drawPath(p, paint)

    def _hair_front(self, c):
        lk, W, H = self.look, self.W, self.H
        paint = self._hair_paint()
        style = lk.hair_style
        p = skia.Path()
        if style == "short":
            p.moveTo(CX - 1.04 * W, CY + 0.12 * H)
            p.cubicTo(CX - 1.12 * W, CY - 0.7 * H, CX - 0.6 * W, CY - H - 18, CX + 0.05 * W, CY - H - 16)
            p.cubicTo(CX + 0.7 * W, CY - H - 14, CX + 1.14 * W, CY - 0.7 * H, CX + 1.04 * W, CY + 0.12 * H)
            p.lineTo(CX + 0.96 * W, CY + 0.1 * H)
            p.cubicTo(CX + 0.94 * W, CY - 0.3 * H, CX + 0.85 * W, CY - 0.48 * H, CX + 0.62 * W, CY - 0.56 * H)
            p.cubicTo(CX + 0.3 * W, CY - 0.66 * H, CX - 0.05 * W, CY - 0.7 * H, CX - 0.3 * W, CY - 0.62 * H)
            p.cubicTo(CX - 0.6 * W, CY - 0.52 * H, CX - 0.9 * W, CY - 0.45 * H, CX - 0.96 * W, CY + 0.1 * H)
            p.close()
            c.drawPath(p, paint)
            part = skia.Path()
            part.moveTo(CX - 0.35 * W, CY - H - 6)
            part.cubicTo(CX - 0.3 * W, CY - 0.85 * H, CX - 0.1 * W, CY - 0.72 * H, CX + 0.25 * W, CY - 0.66 * H)
            c.drawPath(part, stroke(color(lk.hair_highlight, 0.9), 3))
        elif style in ("long", "bob"):
            end = 0.42 if style == "long" else 0.3  # where the side locks end (the back hair goes on)
            p.moveTo(CX - 1.1 * W, CY + end * H)
            p.cubicTo(CX - 1.2 * W, CY - 0.6 * H, CX - 0.62 * W, CY - H - 22, CX + 0.1 * W, CY - H - 20)
            p.cubicTo(CX + 0.8 * W, CY - H - 16, CX + 1.2 * W, CY - 0.6 * H, CX + 1.1 * W, CY + end * H)
            p.cubicTo(CX + 1.04 * W, CY + (end + 0.1) * H, CX + 0.98 * W, CY + (end + 0.1) * H, CX + 0.95 * W, CY + end * H)
            p.cubicTo(CX + 0.97 * W, CY - 0.15 * H, CX + 0.88 * W, CY - 0.5 * H, CX + 0.5 * W, CY - 0.66 * H)
            p.cubicTo(CX + 0.36 * W, CY - 0.72 * H, CX + 0.3 * W, CY - 0.8 * H, CX + 0.28 * W, CY - 0.86 * H)
            # side-swept fringe from the parting
            p.cubicTo(CX + 0.1 * W, CY - 0.6 * H, CX - 0.35 * W, CY - 0.55 * H, CX - 0.7 * W, CY - 0.4 * H)
            p.cubicTo(CX - 0.86 * W, CY - 0.3 * H, CX - 0.97 * W, CY - 0.05 * H, CX - 0.95 * W, CY + end * H)
            p.cubicTo(CX - 0.98 * W, CY + (end + 0.1) * H, CX - 1.04 * W, CY + (end + 0.1) * H, CX - 1.1 * W, CY + end * H)
            p.close()
            c.drawPath(p, paint)
            for k, (x0, y0, x1, y1) in enumerate(((0.2, -0.95, -0.55, -0.48), (0.05, -0.98, -0.8, -0.3))):
                strand = skia.Path()
                strand.moveTo(CX + x0 * W, CY + y0 * H)
                strand.quadTo(CX + (x0 + x1) * 0.5 * W, CY + (y1 - 0.08 + 0.2 * (k == 2)) * H - 10, CX + x1 * W, CY + y1 * H)
                c.drawPath(strand, stroke(color(lk.hair_highlight, 0.55), 2.2))
        else:  # bun: hair pulled back, soft hairline
            p.moveTo(CX - 1.03 * W, CY + 0.05 * H)
            p.cubicTo(CX - 1.1 * W, CY - 0.75 * H, CX - 0.6 * W, CY - H - 12, CX, CY - H - 12)
            p.cubicTo(CX + 0.6 * W, CY - H - 12, CX + 1.1 * W, CY - 0.75 * H, CX + 1.03 * W, CY + 0.05 * H)
            p.lineTo(CX + 0.95 * W, CY + 0.05 * H)
            p.cubicTo(CX + 0.92 * W, CY - 0.45 * H, CX + 0.55 * W, CY - 0.74 * H, CX, CY - 0.76 * H)
            p.cubicTo(CX - 0.55 * W, CY - 0.74 * H, CX - 0.92 * W, CY - 0.45 * H, CX - 0.95 * W, CY + 0.05 * H)
            p.close()
            c.drawPath(p, paint)
            for k in (-0.45, 0.0, 0.45):
                line = skia.Path()
                line.moveTo(CX + k * W * 1.1, CY - 0.8 * H)
                line.quadTo(CX + k * W * 0.7, CY - H + 4, CX + k * 0.2 * W, CY - H - 10)
                c.drawPath(line, stroke(color(lk.hair_highlight, 0.6), 2))

    # face features ----------------------------------------------------------------------------------------------------
    def _eye_geometry(self, side: int):
        lk, W = self.look, self.W
        ex = CX + side * 0.41 * W * lk.eye_spacing
        ey = CY + 10
        return ex, ey, 25.0 * lk.eye_size, 14.5 * lk.eye_size

    def _eye(self, c, s, side):
        lk = self.look
        ex, ey, ew, eh = self._eye_geometry(side)
        blink = min(max(s["blink"], 0.0), 1.0)
        au5, au6, au7, au4, au9 = s["au5"], s["au6"], s["au7"], s["au4"], s["au9"]
        up = (1.0 + 0.55 * au5 - 0.5 * au7 - 0.3 * au6 - 0.15 * au4 - 0.15 * au9 - 0.3 * max(s["gaze_y"], 0.0)
              - 0.22 * s["au15"] * (1 - au5))
        up = min(max(up, 0.15), 1.6)
        low = min(max(0.62 - 0.5 * au6 - 0.4 * au7 + 0.12 * au5, 0.05), 1.0)
        inner = (ex - side * ew, ey + 2)
        outer = (ex + side * ew, ey - 1.5)
        up_y = ey - (up * (1 - blink) - low * blink) * eh * 1.33
        low_y = ey + low * eh * 1.33
        upper = skia.Path()
        upper.moveTo(*inner)
        upper.cubicTo(ex - side * 0.5 * ew, up_y, ex + side * 0.55 * ew, up_y - 1.5 * (1 - blink), *outer)
        almond = skia.Path(upper)
        almond.cubicTo(ex + side * 0.5 * ew, low_y, ex - side * 0.5 * ew, low_y, *inner)
        almond.close()
        # eye socket shade, then the white, the iris, the lids
        c.drawOval(skia.Rect(ex - ew - 5, ey - eh - 9, ex + ew + 5, ey + eh + 6), fill(color(lk.skin_shadow, 0.13)))
        if blink < 0.97:
            c.save()
            c.clipPath(almond, doAntiAlias=False)  # the lid lines cover the clip edge
            c.drawPath(almond, fill(color("#fbf8f5")))
            gx, gy = s["gaze_x"], s["gaze_y"]
            ix, iy = ex + gx * ew * 0.42, ey + 1.5 + gy * eh * 0.45
            ri = 13.5 * lk.eye_size
            iris = skia.Paint(AntiAlias=True, Shader=skia.GradientShader.MakeRadial(
                (ix, iy), ri, [color(mix(lk.iris, "#ffffff", 0.25)), color(lk.iris), color(mix(lk.iris, "#000000", 0.45))],
                [0.25, 0.72, 1.0]))
            c.drawCircle(ix, iy, ri, iris)
            c.drawCircle(ix, iy, ri * (0.44 + 0.08 * au5), fill(color("#1b1412")))
            c.drawCircle(ix + 0.35 * ri, iy - 0.38 * ri, 0.26 * ri, fill(color("#ffffff", 0.95)))
            c.drawCircle(ix - 0.3 * ri, iy + 0.35 * ri, 0.11 * ri, fill(color("#ffffff", 0.7)))
            lid_shadow = skia.Path(upper)
            c.drawPath(lid_shadow, stroke(color(lk.skin_shadow, 0.45), 7))
            c.restore()
        # upper lid line with lashes, thicker at the outer corner
        c.drawPath(upper, stroke(color("#2a1d19"), 2.6 + 0.8 * lk.lashes))
        if lk.lashes > 0:
            for k, (dx, dy) in enumerate(((0.0, 0.0), (-0.22, 0.12))):
                x0 = outer[0] + side * dx * ew
                y0 = outer[1] + (up_y - ey) * dy + 1
                flick = skia.Path()
                flick.moveTo(x0 - side * 3, y0)
                flick.quadTo(x0 + side * 4, y0 - 2, x0 + side * 7, y0 - 6 + 2 * k)
                c.drawPath(flick, stroke(color("#2a1d19", lk.lashes), 2.2))
        lower = skia.Path()
        lower.moveTo(*outer)
        lower.cubicTo(ex + side * 0.5 * ew, low_y, ex - side * 0.5 * ew, low_y, *inner)
        c.drawPath(lower, stroke(color(self.skin_line, 0.35 + 0.2 * au6), 1.4))
        # lid crease follows the upper lid
        crease_y = min(up_y, ey) - 7 - 3 * au5
        crease = skia.Path()
        crease.moveTo(ex - side * 0.7 * ew, ey - 0.55 * eh - 4)
        crease.quadTo(ex + side * 0.1 * ew, crease_y - 2, ex + side * 0.95 * ew, ey - 0.5 * eh - 3)
        c.drawPath(crease, stroke(color(self.skin_line, 0.28), 1.6))
        if lk.age > 0 or au6 > 0.2:
            bag = skia.Path()
            bag.moveTo(ex - side * 0.55 * ew, low_y - 0.25 * eh + 5)
            bag.quadTo(ex, low_y + 0.1 * eh + 6, ex + side * 0.7 * ew, low_y - 0.35 * eh + 5)
            c.drawPath(bag, stroke(color(self.skin_line, 0.25 * lk.age + 0.3 * au6), 1.3))

    def _brow(self, c, s, side):
        lk = self.look
        ex, ey, ew, eh = self._eye_geometry(side)
        au1, au2, au4, au9 = s["au1"], s["au2"], s["au4"], s["au9"]
        base = ey - eh - 17
        inner = (ex - side * (ew * 0.9 - 7 * au4), base + 1 - 14 * au1 + 16 * au4 + 4 * au9)
        mid = (ex + side * 0.1 * ew, base - 6 - 5 * au1 - 10 * au2 + 7 * au4 + 2 * au9)
        outer = (ex + side * ew * 1.12, base + 4 - 12 * au2 - 2 * au4 + 3 * au1 * (1 - au2))
        th_in, th_out = 7.5 * lk.brow_weight, 3.5 * lk.brow_weight
        ctrl = (2 * mid[0] - 0.5 * (inner[0] + outer[0]), 2 * mid[1] - 0.5 * (inner[1] + outer[1]))
        p = skia.Path()
        p.moveTo(inner[0], inner[1] - th_in / 2)
        p.quadTo(ctrl[0], ctrl[1] - (th_in + th_out) / 2.6, outer[0], outer[1] - th_out / 2)
        p.quadTo(outer[0] + side * 3, outer[1], outer[0], outer[1] + th_out / 2)
        p.quadTo(ctrl[0], ctrl[1] + (th_in + th_out) / 4.5, inner[0], inner[1] + th_in / 2)
        p.quadTo(inner[0] - side * 3, inner[1], inner[0], inner[1] - th_in / 2)
        p.close()
        c.drawPath(p, fill(color(lk.brow)))

    def _forehead(self, c, s):
        lk, W = self.look, self.W
        lines = 0.55 * (s["au1"] + s["au2"]) / 2 * 1.4 + 0.15 * lk.age
        if lines > 0.03:
            for k in range(3):
                y = CY - 68 - 9 * k
                p = skia.Path()
                p.moveTo(CX - 0.38 * W + 6 * k, y + 2)
                p.quadTo(CX, y - 4 - 5 * s["au1"], CX + 0.38 * W - 6 * k, y + 2)
                c.drawPath(p, stroke(color(self.skin_line, min(lines, 0.6) * (1 - 0.25 * k)), 1.5))
        if s["au4"] > 0.1:
            for side in (-1, 1):
                p = skia.Path()
                p.moveTo(CX + side * 6, CY - 22)
                p.quadTo(CX + side * 8, CY - 12, CX + side * 5, CY - 4)
                c.drawPath(p, stroke(color(self.skin_line, 0.55 * s["au4"]), 1.6))

    def _cheeks(self, c, s):
        lk, W = self.look, self.W
        au6 = s["au6"]
        alpha = min(0.3 + 0.45 * au6 + 0.2 * s["au23"] - 0.2 * s["au20"], 0.85)
        for side in (-1, 1):
            x = CX + side * 0.5 * W * lk.eye_spacing
            y = CY + 50 - 7 * au6
            r = 28 + 4 * au6
            paint = skia.Paint(AntiAlias=True, Shader=skia.GradientShader.MakeRadial(
                (x, y), r, [color(lk.blush, alpha), color(lk.blush, 0.0)]))
            c.drawOval(skia.Rect(x - r, y - 0.7 * r, x + r, y + 0.7 * r), paint)
            if au6 > 0.05:  # cheek highlight lifts with the smile
                c.drawOval(skia.Rect(x - 9 + side * 4, y - 11, x + 5 + side * 4, y - 5), fill(color("#ffffff", 0.18 * au6)))

    def _nose(self, c, s):
        lk = self.look
        au9 = s["au9"]
        ny = CY + 60 - 4 * au9 - 1.5 * s["au10"]
        c.drawOval(skia.Rect(CX - 11, ny - 10, CX + 11, ny + 6), fill(color(lk.skin_shadow, 0.25)))
        p = skia.Path()
        p.moveTo(CX - 12, ny - 3)
        p.cubicTo(CX - 8, ny + 4, CX - 3, ny + 3, CX, ny + 4)
        p.cubicTo(CX + 3, ny + 3, CX + 8, ny + 4, CX + 12, ny - 3)
        c.drawPath(p, stroke(color(self.skin_line, 0.8), 2.4))
        bridge = skia.Path()
        bridge.moveTo(CX + 7, CY + 14)
        bridge.quadTo(CX + 11, CY + 38, CX + 12, ny - 8)
        c.drawPath(bridge, stroke(color(self.skin_line, 0.25), 2.0))
        c.drawOval(skia.Rect(CX - 5, ny - 9, CX + 3, ny - 4), fill(color("#ffffff", 0.35)))
        if au9 > 0.05:
            for side in (-1, 1):
                w = skia.Path()
                w.moveTo(CX + side * 4, CY + 22)
                w.quadTo(CX + side * 9, CY + 26, CX + side * 12, CY + 22)
                c.drawPath(w, stroke(color(self.skin_line, 0.7 * au9), 1.5))

    def _folds(self, c, s, mouth):
        """Short creases: beside the nose wings (AU9/AU10, age) and outside the mouth corners (smile)."""
        lk = self.look
        left, right, my = mouth
        nose = 0.1 * lk.age + 0.55 * s["au10"] + 0.45 * s["au9"] + 0.2 * s["au12"] * s["au6"]
        smile = 0.45 * s["au12"] + 0.1 * lk.age
        ny = CY + 60 - 4 * s["au9"]
        for side, corner in ((-1, left), (1, right)):
            if nose > 0.04:
                p = skia.Path()
                p.moveTo(CX + side * 15, ny - 8)
                p.quadTo(CX + side * 25, ny - 2, CX + side * 24, ny + 12)
                c.drawPath(p, stroke(color(self.skin_line, min(nose, 0.5)), 1.6))
            if smile > 0.04:
                p = skia.Path()
                p.moveTo(corner[0] + side * 5, corner[1] - 10)
                p.quadTo(corner[0] + side * 10, corner[1] - 1, corner[0] + side * 5, corner[1] + 7)
                c.drawPath(p, stroke(color(self.skin_line, min(smile, 0.45)), 1.6))

    @staticmethod
    def _mouth_open(s) -> float:
        expr = 0.8 * s["au26"] + 0.1 * s["au16"]
        return (1 - (1 - s["open"]) * (1 - expr)) * (1 - s["close"])

    def _mouth(self, c, s):
        lk = self.look
        au12, au15, au20, au23, au24, au25 = s["au12"], s["au15"], s["au20"], s["au23"], s["au24"], s["au25"]
        au10, au16, au17 = s["au10"], s["au16"], s["au17"]
        rnd, wide = min(1.0, s["round"] + 0.35 * s["au26"] * (1 - s["open"])), s["wide"]
        opening = self._mouth_open(s)
        gap = opening * 30 + 9 * au25 * (1 - s["close"])
        wf = (1 + 0.32 * au12 + 0.24 * au20 - 0.2 * au23 - 0.12 * au24 - 0.1 * au17
              + (0.16 * wide if wide > 0 else 0.22 * wide) - 0.22 * rnd - 0.06 * opening)
        mw = 33 * max(wf, 0.45)
        my = CY + 93
        corner_y = my - 14 * au12 + 11 * au15 + 3 * au20 + 0.3 * gap
        mid_up = my - 0.2 * gap - 4.5 * au10 - 1 * au12 + 1.5 * au15 - 1.5 * au17
        mid_low = my + 0.8 * gap + 3.5 * au16 - 2.5 * au17 + 1.0 * au12
        iw = mw * (1 - 0.38 * rnd)
        fullness = lk.lip_fullness * (1 - 0.45 * au24 - 0.45 * au23 - 0.15 * au20 + 0.35 * rnd)
        ut = 7.5 * fullness * (1 - 0.2 * au12)
        lt = 9.5 * fullness * (1 + 0.15 * au17)
        L, R = (CX - mw, corner_y), (CX + mw, corner_y)
        Li, Ri = (CX - iw, corner_y + 0.3 * rnd * gap * 0.3), (CX + iw, corner_y + 0.3 * rnd * gap * 0.3)

        def inner_upper(path, reverse=False):
            a, b = (Ri, Li) if reverse else (Li, Ri)
            cy_ = _curve_ctrl(mid_up, a[1], b[1])
            path.cubicTo(CX + (a[0] - CX) * 0.45, cy_, CX + (b[0] - CX) * 0.45, cy_, *b)

        def inner_lower(path, reverse=False):
            a, b = (Li, Ri) if reverse else (Ri, Li)
            cy_ = _curve_ctrl(mid_low, a[1], b[1])
            path.cubicTo(CX + (a[0] - CX) * 0.5, cy_, CX + (b[0] - CX) * 0.5, cy_, *b)

        top = mid_up - ut
        upper = skia.Path()
        upper.moveTo(*L)
        upper.cubicTo(CX - 0.75 * mw, corner_y - 0.2 * (corner_y - top) - 1, CX - 0.55 * mw, top - 1, CX - 0.26 * mw, top - 1.5)
        upper.quadTo(CX - 0.1 * mw, top - 1.5, CX, top + 1.8)
        upper.quadTo(CX + 0.1 * mw, top - 1.5, CX + 0.26 * mw, top - 1.5)
        upper.cubicTo(CX + 0.55 * mw, top - 1, CX + 0.75 * mw, corner_y - 0.2 * (corner_y - top) - 1, *R)
        upper.lineTo(*Ri)
        inner_upper(upper, reverse=True)
        upper.lineTo(*L)
        upper.close()

        bottom = mid_low + lt
        lower = skia.Path()
        lower.moveTo(*Li)
        inner_lower(lower, reverse=True)
        lower.lineTo(*R)
        cb = _curve_ctrl(bottom, R[1], L[1])
        lower.cubicTo(CX + 0.62 * mw, cb, CX - 0.62 * mw, cb, *L)
        lower.close()

        hole = skia.Path()
        hole.moveTo(*Li)
        inner_upper(hole)
        inner_lower(hole)
        hole.close()

        if gap > 0.8:
            c.drawPath(hole, fill(color("#4a1c22")))
            c.save()
            c.clipPath(hole, doAntiAlias=False)  # the lips cover the clip edge
            teeth_show = min(1.0, 0.25 + 0.6 * s["teeth"] + au10 + 0.6 * au12)
            th = 4 + 7 * teeth_show
            c.drawRRect(skia.RRect.MakeRectXY(skia.Rect(CX - iw * 0.78, mid_up - 8, CX + iw * 0.78, mid_up + th), 4, 4),
                        fill(color("#f6f1ea")))
            c.drawLine(CX, mid_up, CX, mid_up + th - 1, stroke(color("#d9d0c6", 0.6), 1))
            if au16 > 0.1 or gap > 16:
                c.drawRRect(skia.RRect.MakeRectXY(skia.Rect(CX - iw * 0.6, mid_low - 4 - 3 * au16, CX + iw * 0.6, mid_low + 6), 3, 3),
                            fill(color("#ece5dc", 0.9)))
            ty = mid_low + 3 - 6 * s["tongue"] - 0.12 * gap
            c.drawOval(skia.Rect(CX - iw * 0.62, ty - 7, CX + iw * 0.62, ty + 12), fill(color("#c7535e")))
            c.restore()
        c.drawPath(upper, fill(color(self.lip_upper)))
        c.drawPath(lower, fill(color(lk.lips)))
        c.drawOval(skia.Rect(CX - 0.35 * mw, bottom - 0.6 * lt, CX + 0.2 * mw, bottom - 0.2 * lt), fill(color("#ffffff", 0.22)))
        line = skia.Path()
        line.moveTo(*Li)
        inner_upper(line)
        c.drawPath(line, stroke(color(mix(lk.lips, "#000000", 0.45), 0.75 if gap <= 0.8 else 0.35), 1.6 + 1.2 * max(au23, au24)))
        # teeth resting on the lower lip for f/v
        if s["teeth"] > 0.6 and gap < 6 and s["close"] < 0.3 and opening > 0.02:
            c.drawRRect(skia.RRect.MakeRectXY(skia.Rect(CX - iw * 0.55, mid_up - 1, CX + iw * 0.55, mid_low + 2.5), 2, 2),
                        fill(color("#f6f1ea", min(1.0, (s["teeth"] - 0.6) * 2.5))))
        for side, P in ((-1, L), (1, R)):
            dimple = skia.Path()
            dimple.moveTo(P[0] - side * 1, P[1] - 3 - 2 * au12)
            dimple.quadTo(P[0] + side * 4, P[1], P[0] - side * 1, P[1] + 3 + 2 * au15)
            c.drawPath(dimple, stroke(color(self.skin_line, 0.3 + 0.35 * au12 + 0.3 * au15), 1.4))
        return L, R, my

    def _glasses(self, c, s):
        frame = color("#3b3431")
        for side in (-1, 1):
            ex, ey, ew, eh = self._eye_geometry(side)
            r = skia.Rect(ex - ew - 9, ey - eh - 8, ex + ew + 9, ey + eh + 10)
            c.drawRRect(skia.RRect.MakeRectXY(r, 14, 14), fill(color("#ffffff", 0.08)))
            c.drawRRect(skia.RRect.MakeRectXY(r, 14, 14), stroke(frame, 3.2))
            c.drawLine(ex + side * (ew + 9), ey - 4, CX + side * (self.W - 4), ey - 8, stroke(frame, 3.2))
        lx = self._eye_geometry(-1)[0] + 23 * self.look.eye_size + 9
        bridge = skia.Path()
        bridge.moveTo(lx, CY + 6)
        bridge.quadTo(CX, CY - 2, 2 * CX - lx, CY + 6)
        c.drawPath(bridge, stroke(frame, 3))


def state_from(values: Mapping[str, float] | None = None, **overrides: float) -> dict[str, float]:
    """A full frame state: neutral defaults, then ``values``, then keyword overrides."""
    out = dict(NEUTRAL_STATE)
    if values:
        out.update({k: float(v) for k, v in values.items() if k in out})
    out.update(overrides)
    return out


def png_bytes(frame: np.ndarray) -> bytes:
    image = skia.Image.fromarray(np.ascontiguousarray(frame), colorType=skia.kRGBA_8888_ColorType)
    return bytes(image.encodeToData(skia.kPNG, 100))
