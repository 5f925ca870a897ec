"""Face: Haar detection + the vendored face-api.js FaceExpressionNet (numpy), on real images; bad input."""
from __future__ import annotations

import time

import numpy as np
import pytest

from agent.perception.face import (
    FACE_API_CLASSES,
    FaceExpressionModel,
    FaceTracker,
    load_image,
    load_tfjs_weights,
    resize_bilinear_tf1,
)

skimage_data = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def model(settings) -> FaceExpressionModel:
    m = FaceExpressionModel(settings.data_dir)
    m.setup()
    return m


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return skimage_data.astronaut()  # public domain, Eileen Collins smiling; RGB 512×512


def test_weights_match_the_architecture(settings):
    w = load_tfjs_weights(settings.data_dir / "face" / "face_expression_model-weights_manifest.json")
    assert w["dense0/conv0/filters"].shape == (3, 3, 3, 32)
    assert w["dense3/conv3/pointwise_filter"].shape == (1, 1, 256, 256)
    assert w["fc/weights"].shape == (256, 7) and len(FACE_API_CLASSES) == 7
    assert all(np.all(np.isfinite(v)) for v in w.values())
    assert (settings.data_dir / "face" / "LICENSE").read_text().startswith("MIT License")


def test_tf1_resize_has_no_half_pixel_centres():
    image = np.arange(16, dtype=np.float32).reshape(4, 4, 1)
    out = resize_bilinear_tf1(image, 2, 2)[:, :, 0]
    assert out.tolist() == [[0.0, 2.0], [8.0, 10.0]]  # samples at 0 and 2, not at 0.5 and 2.5
    up = resize_bilinear_tf1(np.array([[0.0, 10.0]], dtype=np.float32)[:, :, None], 1, 4)[0, :, 0]
    assert up.tolist() == [0.0, 5.0, 10.0, 10.0]


# logits from face-api.js' own ops (tfjs-core 4.22 CPU backend: resizeBilinear without half-pixel centres,
# conv2d / separableConv2d 'same', avgPool 7×7) on the same crops of the astronaut photo
TFJS_LOGITS = {
    (63, 175, 100): [-13.0366, 13.2707, -15.1787, -16.4325, -13.5024, -13.6473, -15.1526],  # face, upsampled
    (30, 120, 200): [-4.6925, -4.2832, -4.4649, -8.1853, -6.7739, -7.2249, -3.473],  # wider crop, downsampled
}


@pytest.mark.parametrize("crop", sorted(TFJS_LOGITS))
def test_numpy_forward_pass_matches_tfjs(model, astronaut, crop):
    y, x, size = crop
    logits = model.net.logits(astronaut[y:y + size, x:x + size])
    assert np.abs(logits - np.array(TFJS_LOGITS[crop])).max() < 1e-3


def test_astronaut_is_happy(model, astronaut):
    result = model.analyze(astronaut)
    assert result.estimate is not None, result.warnings
    face = result.estimate
    assert face.modality == "face" and face.label == "joy" and face.scores["joy"] > 0.9
    assert set(face.scores) == {"neutral", "joy", "sadness", "anger", "fear", "disgust", "surprise"}
    assert face.vad.valence > 0.5
    assert face.cues == [f"face: smiling {face.scores['joy']:.2f}"]
    x, y, w, h = result.boxes[0]
    assert 150 < x + w / 2 < 300 and 60 < y + h / 2 < 180  # her face, not the flag or the helmet


def test_expression_latency_per_face(model, astronaut):
    box = model.detect(astronaut)[0]
    crop = model.crop(astronaut, box)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        model.predict_crop(crop)
        times.append(time.perf_counter() - start)
    assert min(times) < 0.05  # ~9 ms on one core; generous for a shared machine


def test_image_from_encoded_bytes_and_path(model, astronaut, tmp_path):
    import cv2

    path = tmp_path / "astronaut.png"
    cv2.imwrite(str(path), astronaut[:, :, ::-1])
    from_path = model.analyze(path)
    from_bytes = model.analyze(path.read_bytes())
    assert from_path.estimate.label == from_bytes.estimate.label == "joy"
    assert load_image(path).shape == astronaut.shape
    assert np.array_equal(load_image(path), astronaut)  # RGB kept (OpenCV's BGR is converted)


@pytest.mark.parametrize("image", [
    np.full((240, 320, 3), 128, dtype=np.uint8),
    np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8),
])
def test_no_face(model, image):
    result = model.analyze(image)
    assert result.estimate is None
    assert result.warnings == ["face: no face found in the image"]


def test_camera_image_with_no_face(model):
    result = model.analyze(skimage_data.coffee())
    assert result.estimate is None and "no face" in result.warnings[0]


@pytest.mark.parametrize("source, expected", [
    (b"\x89PNG\r\n\x1a\nthis is a broken png", "not an image we can read"),
    (b"GIF89a not really", "not an image we can read"),
    (b"", "empty"),
    ("/nonexistent/face.jpg", "not found"),
    (np.zeros((10, 10, 5), dtype=np.uint8), "must be"),
    (np.full((8, 8, 3), np.nan, dtype=np.float32), "invalid values"),
    (12345, "must be a path, bytes or an array"),
])
def test_bad_images_are_plain_warnings(model, source, expected):
    result = model.analyze(source)
    assert result.estimate is None
    assert len(result.warnings) == 1 and expected in result.warnings[0], result.warnings
    assert result.warnings[0].startswith("face: ")


def test_huge_image_is_refused_before_decoding(model, tmp_path):
    import zlib

    # a valid PNG header declaring 20000×20000 pixels, with a tiny (truncated) body
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = chunk(b"IHDR", (20000).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0]))
    png = b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b"")
    result = model.analyze(png)
    assert result.estimate is None and "megapixels" in result.warnings[0]


def test_several_faces_reads_the_largest(model, astronaut):
    import cv2

    small = cv2.resize(astronaut, (256, 256))
    canvas = np.full((512, 768, 3), 255, dtype=np.uint8)
    canvas[:, :512] = astronaut
    canvas[128:384, 512:768] = small
    result = model.analyze(canvas)
    assert len(result.boxes) >= 2
    assert result.boxes[0][2] > result.boxes[1][2]
    assert any("faces found; read the largest" in w for w in result.warnings)
    assert result.estimate.cues[0].endswith(f"(the largest of {len(result.boxes)} faces)")
    assert result.estimate.label == "joy"


def test_tracker_smooths_over_frames(model, astronaut):
    tracker = FaceTracker(model, alpha=0.3, max_missing=2)
    first = tracker.update(astronaut)
    assert first.estimate.label == "joy"
    blank = np.full_like(astronaut, 90)
    held = tracker.update(blank)  # a frame without a face keeps the smoothed reading, with less confidence
    assert held.estimate is not None and held.estimate.label == "joy"
    assert held.estimate.confidence < first.estimate.confidence
    flipped = tracker.update(astronaut[:, ::-1].copy())
    assert flipped.estimate.label == "joy"
    tracker.update(blank), tracker.update(blank)
    assert tracker.update(blank).estimate is None  # the track is dropped after max_missing faceless frames
    assert tracker.current is None
    # the moving average itself: a new frame moves the average by alpha
    tracker.reset()
    tracker.smoothed = {k: (1.0 if k == "sadness" else 0.0) for k in first.estimate.scores}
    smoothed = tracker.update(astronaut).estimate.scores
    assert smoothed["sadness"] == pytest.approx(0.7, abs=0.01) and smoothed["joy"] == pytest.approx(0.3, abs=0.01)


def test_tracker_searches_near_the_last_face(model, astronaut):
    tracker = FaceTracker(model)
    first = tracker.update(astronaut)
    moved = np.roll(astronaut, (12, -20), axis=(0, 1))  # the face moved a little between frames
    near = model.detect(moved, near=tracker.box)
    full = model.detect(moved)
    assert len(near) == 1 and abs(near[0][0] - full[0][0]) <= 6 and abs(near[0][1] - full[0][1]) <= 6
    assert tracker.update(moved).estimate.label == "joy"
    # when the face has left the region, the whole frame is searched again
    far = np.full_like(astronaut, 200)
    far[300:500, 300:500] = astronaut[30:230, 120:320]
    found = model.detect(far, near=first.boxes[0])
    assert found and found[0][0] > 300
