"""Face expression: OpenCV Haar face detection + face-api.js FaceExpressionNet, run as a numpy forward pass.

Weights: data/face/face_expression_model.bin + its tfjs weights manifest, from the npm package
``@vladmandic/face-api@1.7.15`` (MIT, see data/face/LICENSE). The network (face-api.js ``FaceFeatureExtractor`` +
``FaceProcessor``): 112×112 RGB, minus the mean [122.782, 117.001, 104.298], /255, four dense blocks of
(separable) 3×3 convolutions that each halve the size (112→56→28→14→7), 7×7 average pool, fc 256→7, softmax over
neutral, happy, sad, angry, fearful, disgusted, surprised. The crop is resized as tfjs' ``resizeBilinear`` does
(TensorFlow 1 style: no half-pixel centres), which keeps the numbers within ~0.01 of face-api.js.

Images given as arrays are RGB (as from PIL, scikit-image or Gradio); paths and bytes are decoded with OpenCV.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..types import EmotionEstimate
from ..vad import expected_vad

# face-api.js class order → the MELD names the rest of Attune uses
FACE_API_CLASSES = ("neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised")
TO_MELD = {"neutral": "neutral", "happy": "joy", "sad": "sadness", "angry": "anger", "fearful": "fear",
           "disgusted": "disgust", "surprised": "surprise"}
MEAN_RGB = np.array([122.782, 117.001, 104.298], dtype=np.float32)
INPUT_SIZE = 112
MAX_IMAGE_BYTES = 40 * 1024 * 1024
MAX_PIXELS = 50_000_000  # decoded size limit (a 50-megapixel photo is ~150 MB of RGB)
TRACK_MAX_SIDE = 160  # the region around a tracked face is scaled down to this
DETECT_MAX_SIDE = 384  # images are scaled down to this for the Haar detector (~30 ms at 384 px, ~80 ms at 512)
MIN_DETECTION_SCORE = 1.0  # Haar final-stage score below which a detection is dropped as a false alarm
MODEL_DIR = Path(__file__).resolve().parents[2] / "data" / "face"


class ImageError(ValueError):
    """The image cannot be used; the message says why in plain words."""


# -- image input ------------------------------------------------------------------------------------------
def load_image(source: str | Path | bytes | np.ndarray) -> np.ndarray:
    """RGB uint8 array (H, W, 3) from a path, encoded bytes or an array. Raises ImageError with a plain message."""
    if isinstance(source, np.ndarray):
        return _array_to_rgb(source)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ImageError(f"image file not found: {path}")
        if path.stat().st_size > MAX_IMAGE_BYTES:
            raise ImageError(f"the image file is {path.stat().st_size / 1e6:.0f} MB; the limit is {MAX_IMAGE_BYTES / 1e6:.0f} MB")
        data = path.read_bytes()
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        raise ImageError(f"an image must be a path, bytes or an array, not {type(source).__name__}")
    if not data:
        raise ImageError("the image is empty (0 bytes)")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(f"the image is {len(data) / 1e6:.0f} MB; the limit is {MAX_IMAGE_BYTES / 1e6:.0f} MB")
    _check_header_size(data)
    import cv2

    buffer = np.frombuffer(data, dtype=np.uint8)
    try:
        bgr = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    except cv2.error as error:  # e.g. over OpenCV's own pixel limit
        raise ImageError(f"this image cannot be decoded ({str(error).strip().splitlines()[-1][:120]})") from error
    if bgr is None:
        raise ImageError("this file is not an image we can read (supported: JPEG, PNG, WebP, BMP, TIFF) or it is corrupt")
    return np.ascontiguousarray(bgr[:, :, ::-1])


def _check_header_size(data: bytes) -> None:
    """Refuse images whose header declares more than MAX_PIXELS before decoding them (PIL reads headers lazily)."""
    try:
        import io

        from PIL import Image

        Image.MAX_IMAGE_PIXELS = None  # we apply our own limit below
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
    except Exception:  # noqa: BLE001 — not a format PIL knows; OpenCV decides below
        return
    if width * height > MAX_PIXELS:
        raise ImageError(f"the image is {width}×{height} pixels; the limit is {MAX_PIXELS / 1e6:.0f} megapixels")


def _array_to_rgb(array: np.ndarray) -> np.ndarray:
    a = np.asarray(array)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    elif a.ndim == 3 and a.shape[2] == 4:
        a = a[:, :, :3]
    elif a.ndim == 3 and a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    if a.ndim != 3 or a.shape[2] != 3:
        raise ImageError(f"an image array must be H×W, H×W×3 (RGB) or H×W×4, not {a.shape}")
    if a.shape[0] * a.shape[1] > MAX_PIXELS:
        raise ImageError(f"the image is {a.shape[1]}×{a.shape[0]} pixels; the limit is {MAX_PIXELS / 1e6:.0f} megapixels")
    if a.size == 0:
        raise ImageError("the image has no pixels")
    if a.dtype != np.uint8:
        a = a.astype(np.float32)
        if not np.all(np.isfinite(a)):
            raise ImageError("the image contains invalid values (NaN or infinity)")
        if a.max() <= 1.0:
            a = a * 255.0
        a = np.clip(a, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(a)


# -- the network ------------------------------------------------------------------------------------------
def load_tfjs_weights(manifest_path: Path) -> dict[str, np.ndarray]:
    """Read a tfjs weights manifest and its .bin shards, dequantising uint8/uint16 weights (q·scale + min)."""
    manifest = json.loads(Path(manifest_path).read_text())
    tensors: dict[str, np.ndarray] = {}
    for group in manifest:
        data = b"".join((Path(manifest_path).parent / p).read_bytes() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            shape = tuple(spec["shape"])
            count = int(np.prod(shape)) if shape else 1
            quant = spec.get("quantization")
            if quant:
                qtype = np.dtype(quant["dtype"])
                raw = np.frombuffer(data, dtype=qtype, count=count, offset=offset)
                offset += count * qtype.itemsize
                if "scale" in quant:
                    values = raw.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"])
                else:
                    raise ValueError(f"{manifest_path}: unsupported quantization for {spec['name']}: {quant}")
            else:
                dtype = np.dtype(spec["dtype"])
                values = np.frombuffer(data, dtype=dtype, count=count, offset=offset).astype(np.float32)
                offset += count * dtype.itemsize
            tensors[spec["name"]] = values.reshape(shape)
        if offset != len(data):
            raise ValueError(f"{manifest_path}: read {offset} of {len(data)} weight bytes; manifest and .bin disagree")
    return tensors


def resize_bilinear_tf1(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """tf.image.resize_bilinear(align_corners=False, half_pixel_centers=False), as tfjs' resizeBilinear does."""
    h, w = image.shape[:2]
    ys = np.arange(height, dtype=np.float32) * (h / height)
    xs = np.arange(width, dtype=np.float32) * (w / width)
    y0 = np.floor(ys).astype(np.int64)
    x0 = np.floor(xs).astype(np.int64)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    dy, dx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    img = image.astype(np.float32)
    top = img[y0][:, x0] * (1 - dx) + img[y0][:, x1] * dx
    bottom = img[y1][:, x0] * (1 - dx) + img[y1][:, x1] * dx
    return top * (1 - dy) + bottom * dy


def _pad_same(x: np.ndarray, stride: int) -> np.ndarray:
    """TensorFlow 'SAME' padding for a 3×3 kernel: 1+1 at stride 1; 0 before, 1 after at stride 2 (even sizes)."""
    if stride == 1:
        return np.pad(x, ((1, 1), (1, 1), (0, 0)))
    h, w = x.shape[:2]
    ph, pw = max((-(-h // 2) - 1) * 2 + 3 - h, 0), max((-(-w // 2) - 1) * 2 + 3 - w, 0)
    return np.pad(x, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))


def _patches(x: np.ndarray, stride: int) -> list[np.ndarray]:
    """The nine 3×3-kernel taps of x (H, W, C) as shifted views, in (ky, kx) order."""
    h, w = x.shape[:2]
    oh, ow = -(-h // stride), -(-w // stride)
    p = _pad_same(x, stride)
    return [p[ky:ky + stride * (oh - 1) + 1:stride, kx:kx + stride * (ow - 1) + 1:stride]
            for ky in range(3) for kx in range(3)]


class FaceExpressionNet:
    """face-api.js FaceExpressionNet in numpy: face crop (RGB) → probabilities over FACE_API_CLASSES."""

    def __init__(self, model_dir: Path = MODEL_DIR):
        self.w = load_tfjs_weights(Path(model_dir) / "face_expression_model-weights_manifest.json")
        self._first = self.w["dense0/conv0/filters"].reshape(27, -1)  # (ky, kx, in) × out

    def _separable(self, x: np.ndarray, prefix: str, stride: int) -> np.ndarray:
        depthwise = self.w[f"{prefix}/depthwise_filter"][:, :, :, 0]  # (3, 3, C)
        taps = _patches(x, stride)
        out = taps[0] * depthwise[0, 0]
        for i, tap in enumerate(taps[1:], start=1):
            out += tap * depthwise[i // 3, i % 3]
        h, w, c = out.shape
        pointwise = self.w[f"{prefix}/pointwise_filter"][0, 0]  # (C, C')
        return (out.reshape(h * w, c) @ pointwise).reshape(h, w, -1) + self.w[f"{prefix}/bias"]

    def _dense_block(self, x: np.ndarray, name: str, first: bool) -> np.ndarray:
        if first:
            taps = np.concatenate(_patches(x, 2), axis=2)
            h, w, k = taps.shape
            out1 = (taps.reshape(h * w, k) @ self._first).reshape(h, w, -1) + self.w[f"{name}/conv0/bias"]
        else:
            out1 = self._separable(x, f"{name}/conv0", 2)
        out1 = np.maximum(out1, 0)
        out2 = self._separable(out1, f"{name}/conv1", 1)
        out3 = self._separable(np.maximum(out1 + out2, 0), f"{name}/conv2", 1)
        out4 = self._separable(np.maximum(out1 + out2 + out3, 0), f"{name}/conv3", 1)
        return np.maximum(out1 + out2 + out3 + out4, 0)

    def logits(self, crop_rgb: np.ndarray) -> np.ndarray:
        """crop_rgb: any-size RGB face crop (square is best: it is padded to square like face-api.js)."""
        x = _pad_to_square(crop_rgb.astype(np.float32))
        if x.shape[0] != INPUT_SIZE:
            x = resize_bilinear_tf1(x, INPUT_SIZE, INPUT_SIZE)
        x = ((x - MEAN_RGB) / 255.0).astype(np.float32)
        for i, name in enumerate(("dense0", "dense1", "dense2", "dense3")):
            x = self._dense_block(x, name, first=i == 0)
        pooled = x.mean(axis=(0, 1))  # 7×7 average pool over the 7×7 map
        return pooled @ self.w["fc/weights"] + self.w["fc/bias"]

    def probabilities(self, crop_rgb: np.ndarray) -> np.ndarray:
        with _one_blas_thread():
            z = self.logits(crop_rgb)
        e = np.exp(z - z.max())
        return e / e.sum()


_blas = None


def _one_blas_thread():
    """These matmuls are small: BLAS threads only fight over a shared CPU (p50 187 ms vs 25 ms under load)."""
    global _blas
    try:
        if _blas is None:
            from threadpoolctl import ThreadpoolController

            _blas = ThreadpoolController()
        return _blas.limit(limits=1, user_api="blas")
    except Exception:  # noqa: BLE001 — threadpoolctl missing or unable: run as is
        import contextlib

        return contextlib.nullcontext()


def _pad_to_square(img: np.ndarray) -> np.ndarray:
    """face-api.js padToSquare(isCenterImage=True): zero-pad the short side, the image centred."""
    h, w = img.shape[:2]
    if h == w:
        return img
    size = max(h, w)
    top, left = (size - h) // 2, (size - w) // 2
    return np.pad(img, ((top, size - h - top), (left, size - w - left), (0, 0)))


# -- detection + the modality result ------------------------------------------------------------------------
@dataclass
class FaceResult:
    """One image's face reading: the estimate (None when no face), the face boxes (x, y, w, h), plain warnings."""

    estimate: EmotionEstimate | None
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    latency_ms: dict[str, float] = field(default_factory=dict)


class FaceExpressionModel:
    """Image → the largest face's expression as an EmotionEstimate (modality "face"). Loads once, lazily."""

    def __init__(self, data_dir: Path, model_dir: Path | None = None, min_face_px: int = 40):
        self.data_dir = Path(data_dir)
        self.model_dir = Path(model_dir) if model_dir else self.data_dir / "face"
        self.min_face_px = min_face_px
        self.net: FaceExpressionNet | None = None
        self._detector = None

    def setup(self) -> None:
        if self.net is not None:
            return
        import cv2

        cascade = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
        detector = cv2.CascadeClassifier(str(cascade))
        if detector.empty():
            raise RuntimeError(f"OpenCV's Haar face cascade did not load from {cascade} (opencv-python-headless<5 ships it)")
        manifest = self.model_dir / "face_expression_model-weights_manifest.json"
        if not manifest.is_file():
            raise FileNotFoundError(f"face expression weights not found in {self.model_dir}")
        self._detector = detector
        net = FaceExpressionNet(self.model_dir)
        net.probabilities(np.zeros((INPUT_SIZE, INPUT_SIZE, 3), dtype=np.uint8))  # first numpy pass is slower
        self.net = net

    def detect(self, rgb: np.ndarray, near: tuple[int, int, int, int] | None = None) -> list[tuple[int, int, int, int]]:
        """Face boxes (x, y, w, h) in the image's pixels, largest first.

        ``near``: a previous frame's box; the search then looks only around it (2× its size, a few ms), and falls
        back to the whole image when the face has moved out of that region.
        """
        self.setup()
        if near is not None:
            x, y, w, h = near
            H, W = rgb.shape[:2]
            x0, y0 = max(0, x - w // 2), max(0, y - h // 2)
            x1, y1 = min(W, x + w + w // 2), min(H, y + h + h // 2)
            if x1 - x0 >= 24 and y1 - y0 >= 24:
                found = self._detect(rgb[y0:y1, x0:x1], max_side=TRACK_MAX_SIDE, min_px=max(20, w // 2))
                if found:
                    return [(bx + x0, by + y0, bw, bh) for bx, by, bw, bh in found]
        return self._detect(rgb, DETECT_MAX_SIDE, self.min_face_px)

    def _detect(self, rgb: np.ndarray, max_side: int, min_px: int) -> list[tuple[int, int, int, int]]:
        import cv2

        h, w = rgb.shape[:2]
        scale = min(1.0, max_side / max(h, w))
        gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
        if scale < 1.0:
            gray = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        gray = cv2.equalizeHist(gray)
        min_side = max(20, round(min_px * scale))
        found, _, weights = self._detector.detectMultiScale3(
            gray, scaleFactor=1.15, minNeighbors=3, minSize=(min_side, min_side), outputRejectLevels=True)
        # the final-stage score separates faces (≈ 4–8 on photos) from Haar's false alarms on clothing (< 0.5)
        boxes = [tuple(int(round(v / scale)) for v in box)
                 for box, weight in zip(found if len(found) else [], np.ravel(weights) if len(found) else [])
                 if weight >= MIN_DETECTION_SCORE]
        return sorted(boxes, key=lambda b: -b[2] * b[3])

    def crop(self, rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        x, y, w, h = box
        H, W = rgb.shape[:2]
        return rgb[max(0, y):min(H, y + h), max(0, x):min(W, x + w)]

    def predict_crop(self, crop_rgb: np.ndarray) -> dict[str, float]:
        """MELD-named probabilities of one face crop."""
        self.setup()
        probs = self.net.probabilities(crop_rgb)
        return {TO_MELD[k]: float(p) for k, p in zip(FACE_API_CLASSES, probs)}

    def estimate_from_scores(self, scores: dict[str, float], cues: list[str] | None = None) -> EmotionEstimate:
        label = max(scores, key=scores.get)
        rounded = {k: round(v, 4) for k, v in sorted(scores.items())}
        return EmotionEstimate(modality="face", label=label, scores=rounded, vad=expected_vad(scores, self.data_dir),
                               confidence=float(scores[label]), cues=cues or [f"face: {_FACE_WORD[label]} {scores[label]:.2f}"])

    def analyze(self, image: str | Path | bytes | np.ndarray,
                near: tuple[int, int, int, int] | None = None) -> FaceResult:
        """Never raises for bad input: an unusable image or a missing face comes back as a warning.

        ``near``: the face's box in the previous frame (video), to search around it first.
        """
        t0 = time.perf_counter()
        try:
            rgb = load_image(image)
        except ImageError as error:
            return FaceResult(None, warnings=[f"face: {error}"])
        self.setup()
        t1 = time.perf_counter()
        boxes = self.detect(rgb, near)
        t2 = time.perf_counter()
        latency = {"decode": round((t1 - t0) * 1000, 1), "detect": round((t2 - t1) * 1000, 1)}
        if not boxes:
            return FaceResult(None, warnings=["face: no face found in the image"], latency_ms=latency)
        warnings = []
        if len(boxes) > 1:
            warnings.append(f"face: {len(boxes)} faces found; read the largest")
        scores = self.predict_crop(self.crop(rgb, boxes[0]))
        latency["expression"] = round((time.perf_counter() - t2) * 1000, 1)
        estimate = self.estimate_from_scores(scores)
        if len(boxes) > 1:
            estimate.cues = [f"{estimate.cues[0]} (the largest of {len(boxes)} faces)"]
        return FaceResult(estimate, boxes=boxes, warnings=warnings, latency_ms=latency)


_FACE_WORD = {"joy": "smiling", "sadness": "sad", "anger": "angry", "fear": "fearful", "disgust": "disgusted",
              "surprise": "surprised", "neutral": "neutral"}


class FaceTracker:
    """Expression over a video or webcam stream: per-frame probabilities smoothed by an exponential moving average.

    ``alpha`` is the weight of the newest frame (0.3 at ~15 fps ≈ a 0.2 s time constant). Frames without a face
    leave the average as it was; after ``max_missing`` such frames in a row the track is dropped.
    """

    def __init__(self, model: FaceExpressionModel, alpha: float = 0.3, max_missing: int = 15):
        if not 0 < alpha <= 1:
            raise ValueError("alpha must be in (0, 1]")
        self.model, self.alpha, self.max_missing = model, alpha, max_missing
        self.reset()

    def reset(self) -> None:
        self.smoothed: dict[str, float] | None = None
        self.box: tuple[int, int, int, int] | None = None
        self.frames = 0
        self.missing = 0

    def update(self, frame: str | Path | bytes | np.ndarray) -> FaceResult:
        result = self.model.analyze(frame, near=self.box)
        if result.estimate is None:
            self.missing += 1
            if self.missing > self.max_missing:
                self.smoothed, self.box = None, None
            if self.smoothed is None:
                return result
            estimate = self.model.estimate_from_scores(self.smoothed)
            return FaceResult(estimate.model_copy(update={"confidence": estimate.confidence * 0.8}), result.boxes,
                              result.warnings, result.latency_ms)
        self.missing = 0
        self.frames += 1
        self.box = result.boxes[0]
        raw = result.estimate.scores
        if self.smoothed is None:
            self.smoothed = dict(raw)
        else:
            self.smoothed = {k: (1 - self.alpha) * self.smoothed[k] + self.alpha * raw[k] for k in raw}
        result.estimate = self.model.estimate_from_scores(self.smoothed)
        return result

    @property
    def current(self) -> EmotionEstimate | None:
        return self.model.estimate_from_scores(self.smoothed) if self.smoothed else None
