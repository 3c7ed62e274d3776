#!/usr/bin/env python3
"""Golden inputs, outputs and detections of MediaPipe's short-range face detector, for matte's parity tests.

For each photo (astronaut.png, grace_hopper.jpg, camera.png made RGB by repeating its grey channel), writes
to Tests/Fixtures/goldens/face/:

  <photo>_input.f32            the input tensor [1,128,128,3] float32 NHWC, RGB in [-1, 1]
  <photo>_regressors.f32       ai-edge-litert's output `regressors` [1,896,16] float32
  <photo>_classificators.f32   ai-edge-litert's output `classificators` [1,896,1] float32 (raw logits)
  manifest.json                files, shapes, sha256s, the model's sha256, runtime versions, and
                               MediaPipe's own detections of each photo

The input tensor is built as MediaPipe's ImageToTensorCalculator builds it for face detection: the
photo's rectangle is grown about its centre to a square (keep_aspect_ratio), and that square is warped
corner to corner onto the 128x128 tensor, so tensor pixel (x, y) samples the photo at
(x * S / 128 + (W - S) / 2, y * S / 128 + (H - S) / 2), S = max(W, H), by bilinear interpolation between
the four neighbouring pixels, a neighbour outside the photo counting as 0 (BORDER_ZERO); then
value / 127.5 - 1, so padding becomes -1. Computed in float64 exactly (MediaPipe warps 8-bit pixels
with OpenCV's fixed-point weights and 8-bit rounding, left out here). The model runs with
ai-edge-litert's Interpreter, one thread, default XNNPACK delegate.

MediaPipe's detections come from mediapipe.solutions.face_detection.FaceDetection(model_selection=0,
min_detection_confidence=0.5): per face the score, the relative bounding box (xmin, ymin, width,
height, as fractions of the photo's width and height) and six relative keypoints (right eye, left
eye, nose tip, mouth centre, right ear tragion, left ear tragion).

Usage: scripts/references/face_goldens.py [--no-mediapipe]
Needs: scripts/fetch-assets (models and samples) and scripts/references/venv.
"""

import argparse
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

common.use_reference_environment()

import importlib.metadata  # noqa: E402

import numpy  # noqa: E402

MODEL = "face_detection_short_range.tflite"
SIZE = 128
FOLDER = common.GOLDENS / "face"


def letterbox_warp(pixels, size):
    """The photo's centred square (side max(w, h)) warped onto [size, size, c] float64 as described above.

    Returns values in [0, 255]; samples outside the photo are 0.
    """
    source_height, source_width, channels = pixels.shape
    side = max(source_width, source_height)
    padded = numpy.zeros((source_height + 2, source_width + 2, channels), numpy.float64)
    padded[1:-1, 1:-1] = pixels

    def axis(source_size):
        position = numpy.arange(size, dtype=numpy.float64) * (side / size) + (source_size - side) / 2
        lower = numpy.floor(position).astype(numpy.int64)
        fraction = position - lower
        # Index into `padded`: source index + 1, with everything outside the photo on the zero border.
        first = numpy.clip(lower, -1, source_size) + 1
        second = numpy.clip(lower + 1, -1, source_size) + 1
        return first, second, fraction

    row0, row1, fy = axis(source_height)
    column0, column1, fx = axis(source_width)
    fy = fy[:, None, None]
    fx = fx[None, :, None]
    top = padded[row0][:, column0] * (1 - fx) + padded[row0][:, column1] * fx
    bottom = padded[row1][:, column0] * (1 - fx) + padded[row1][:, column1] * fx
    return top * (1 - fy) + bottom * fy


def reference_input(pixels):
    """The model input [1, 128, 128, 3] float32, RGB in [-1, 1]."""
    return (letterbox_warp(pixels, SIZE) / 127.5 - 1.0).astype(numpy.float32)[None]


def mediapipe_detections(pixels):
    import mediapipe

    with mediapipe.solutions.face_detection.FaceDetection(model_selection=0,
                                                          min_detection_confidence=0.5) as detector:
        result = detector.process(numpy.ascontiguousarray(pixels))
    faces = []
    for detection in result.detections or []:
        box = detection.location_data.relative_bounding_box
        faces.append({
            "score": float(detection.score[0]),
            "box": [box.xmin, box.ymin, box.width, box.height],
            "keypoints": [[point.x, point.y] for point in detection.location_data.relative_keypoints],
        })
    return faces


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-mediapipe", action="store_true", help="skip MediaPipe's own detections")
    arguments = parser.parse_args()

    FOLDER.mkdir(parents=True, exist_ok=True)
    versions = {name: importlib.metadata.version(name) for name in ["ai-edge-litert", "numpy", "pillow"]}
    if not arguments.no_mediapipe:
        versions["mediapipe"] = importlib.metadata.version("mediapipe")

    files, photos = [], {}
    for photo in common.PHOTOS:
        image, mode = common.load_rgb(photo)
        pixels = numpy.asarray(image, dtype=numpy.uint8)
        entry = {
            "file": common.PHOTOS[photo][0],
            "sha256": common.PHOTOS[photo][1],
            "width": image.width,
            "height": image.height,
            "mode": mode,
        }
        tensor = reference_input(pixels)
        outputs = common.run_litert(MODEL, tensor)
        regressors, classificators = outputs["regressors"], outputs["classificators"]
        for kind, array in [("input", tensor), ("regressors", regressors), ("classificators", classificators)]:
            files.append({**common.write_tensor(FOLDER / f"{photo}_{kind}.f32", array),
                          "photo": photo, "kind": kind})
        best = 1 / (1 + numpy.exp(-numpy.clip(classificators.max(), -100, 100)))
        print(f"{photo}: regressors {list(regressors.shape)}, best score {best:.4f}")
        if not arguments.no_mediapipe:
            entry["mediapipe_detections"] = mediapipe_detections(pixels)
            print(f"{photo}: MediaPipe finds {len(entry['mediapipe_detections'])} face(s)")
        photos[photo] = entry

    written = {entry["file"] for entry in files}
    for stale in FOLDER.iterdir():
        if stale.suffix in {".f32", ".tmp"} and stale.name not in written:
            stale.unlink()

    manifest = {
        "generator": common.relative_to_repo(__file__),
        "format": "raw little-endian, row-major, no header; dtype and shape per file",
        "preprocessing": (
            "the photo's centred square of side max(W, H) warped corner to corner onto 128x128: tensor "
            "pixel (x, y) samples the photo at (x * S / 128 + (W - S) / 2, y * S / 128 + (H - S) / 2), "
            "bilinear, neighbours outside the photo are 0; value / 127.5 - 1 in float64, then float32. "
            "Grey photos repeat their channel."
        ),
        "runtime": "ai-edge-litert Interpreter, 1 thread, default XNNPACK delegate",
        "versions": versions,
        "model": {
            "file": MODEL,
            "sha256": common.MODEL_SHA256[MODEL],
            "input": [1, SIZE, SIZE, 3],
            "outputs": {"regressors": [1, 896, 16], "classificators": [1, 896, 1]},
        },
        "photos": photos,
        "files": files,
    }
    if not arguments.no_mediapipe:
        manifest["mediapipe"] = (
            "mediapipe 0.10.14 solutions.face_detection, model_selection 0, min_detection_confidence 0.5; "
            "box [xmin, ymin, width, height] and keypoints [x, y] as fractions of the photo's size"
        )
    common.write_manifest(FOLDER, manifest)
    total = sum(entry["bytes"] for entry in files)
    print(f"wrote {len(files)} tensors ({total / 1e6:.2f} MB) and manifest.json to "
          f"{common.relative_to_repo(FOLDER)}")


if __name__ == "__main__":
    main()
