#!/usr/bin/env python3
"""Golden inputs and outputs of MediaPipe's selfie segmentation models, for matte's parity tests.

For each photo (astronaut.png, grace_hopper.jpg, camera.png made RGB by repeating its grey channel) and
each model (selfie_segmentation.tflite, input 256x256; selfie_segmentation_landscape.tflite, input 256
wide by 144 high), writes to Tests/Fixtures/goldens/selfie/:

  <photo>_<model>_input.f32            the input tensor [1,H,W,3] float32 NHWC, RGB in [0,1]
  <photo>_<model>_output.f32           ai-edge-litert's output [1,H,W,1] float32 NHWC, person probability
  <photo>_<model>_mediapipe_mask.f16   MediaPipe's own segmentation_mask [photo height, photo width]
                                       float16 (stored at half precision to keep the fixtures small)
  manifest.json                        files, shapes, dtypes, sha256s, model sha256s, runtime versions,
                                       and how far MediaPipe's masks are from the reference output

<model> is `selfie` or `landscape`. All files are raw little-endian, row-major, headerless.

The input tensor is built as MediaPipe's ImageToTensorCalculator builds it: the whole photo is stretched
onto the tensor by a corner-to-corner warp, so tensor pixel (x, y) samples the photo at
(x * photoWidth / W, y * photoHeight / H), with no half-pixel offset, by bilinear interpolation between
the four neighbouring pixels, a neighbour outside the photo counting as 0; then RGB / 255. This script
computes that in float64 exactly (MediaPipe warps 8-bit pixels with OpenCV, whose 1/32-pixel fixed-point
weights and 8-bit rounding this reference leaves out). The models run with ai-edge-litert's Interpreter,
one thread, default XNNPACK delegate (which provides the custom op Convolution2DTransposeBias).

MediaPipe's mask is the model's output upsampled to the photo's size by OpenCV's bilinear resize
(half-pixel centres). The manifest records, for each pair, the mean and maximum absolute difference
between that mask and the reference output upsampled the same way (cv2.resize, INTER_LINEAR).

Usage: scripts/references/selfie_goldens.py [--no-mediapipe]
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

MODELS = {
    # golden name: (model file, input height, input width, MediaPipe model_selection)
    "selfie": ("selfie_segmentation.tflite", 256, 256, 0),
    "landscape": ("selfie_segmentation_landscape.tflite", 144, 256, 1),
}
FOLDER = common.GOLDENS / "selfie"


def corner_to_corner_bilinear(pixels, height, width):
    """Stretches `pixels` ([h, w, c] uint8) onto [height, width, c] float64 as described above.

    Tensor pixel (x, y) samples the photo at (x * w / width, y * h / height); neighbours outside the
    photo are 0. Returns values in [0, 255].
    """
    source_height, source_width, channels = pixels.shape
    padded = numpy.zeros((source_height + 2, source_width + 2, channels), numpy.float64)
    padded[1:-1, 1:-1] = pixels

    def axis(size, source_size):
        position = numpy.arange(size, dtype=numpy.float64) * (source_size / size)
        lower = numpy.floor(position).astype(numpy.int64)
        fraction = position - lower
        # Index into `padded`: source index + 1, with everything outside the photo on the zero border.
        first = numpy.clip(lower, -1, source_size) + 1
        second = numpy.clip(lower + 1, -1, source_size) + 1
        return first, second, fraction

    row0, row1, fy = axis(height, source_height)
    column0, column1, fx = axis(width, source_width)
    fy = fy[:, None, None]
    fx = fx[None, :, None]
    top = padded[row0][:, column0] * (1 - fx) + padded[row0][:, column1] * fx
    bottom = padded[row1][:, column0] * (1 - fx) + padded[row1][:, column1] * fx
    return top * (1 - fy) + bottom * fy


def reference_input(pixels, height, width):
    """The model input [1, height, width, 3] float32, RGB in [0, 1]."""
    return (corner_to_corner_bilinear(pixels, height, width) / 255.0).astype(numpy.float32)[None]


def mediapipe_mask(pixels, selection):
    import mediapipe

    with mediapipe.solutions.selfie_segmentation.SelfieSegmentation(model_selection=selection) as segmenter:
        mask = segmenter.process(numpy.ascontiguousarray(pixels)).segmentation_mask
    if mask is None:
        common.fail("MediaPipe returned no segmentation mask")
    return numpy.asarray(mask, dtype=numpy.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-mediapipe", action="store_true", help="skip MediaPipe's own masks")
    arguments = parser.parse_args()

    import PIL
    import PIL.features

    FOLDER.mkdir(parents=True, exist_ok=True)
    versions = {name: importlib.metadata.version(name) for name in ["ai-edge-litert", "numpy", "pillow"]}
    versions["libjpeg-turbo (Pillow's)"] = PIL.features.version("libjpeg_turbo")
    if not arguments.no_mediapipe:
        versions["mediapipe"] = importlib.metadata.version("mediapipe")
        versions["opencv (for the comparison resize)"] = importlib.metadata.version("opencv-contrib-python")

    files, photos, comparisons = [], {}, []
    for photo in common.PHOTOS:
        image, mode = common.load_rgb(photo)
        pixels = numpy.asarray(image, dtype=numpy.uint8)
        photos[photo] = {
            "file": common.PHOTOS[photo][0],
            "sha256": common.PHOTOS[photo][1],
            "width": image.width,
            "height": image.height,
            "mode": mode,
            "decoded_rgb_sha256": common.sha256_of_bytes(pixels.tobytes()),
        }
        for model, (model_file, height, width, selection) in MODELS.items():
            stem = f"{photo}_{model}"
            tensor = reference_input(pixels, height, width)
            (output,) = common.run_litert(model_file, tensor).values()
            files.append({**common.write_tensor(FOLDER / f"{stem}_input.f32", tensor),
                          "photo": photo, "model": model, "kind": "input", "layout": "NHWC"})
            files.append({**common.write_tensor(FOLDER / f"{stem}_output.f32", output),
                          "photo": photo, "model": model, "kind": "output", "layout": "NHWC"})
            print(f"{stem}: input {list(tensor.shape)}, output {list(output.shape)}, "
                  f"output mean {output.mean():.4f}")
            if arguments.no_mediapipe:
                continue
            import cv2

            mask = mediapipe_mask(pixels, selection)
            files.append({**common.write_tensor(FOLDER / f"{stem}_mediapipe_mask.f16", mask, "<f2"),
                          "photo": photo, "model": model, "kind": "mediapipe_mask", "layout": "HW"})
            upsampled = cv2.resize(output[0, :, :, 0], (image.width, image.height),
                                   interpolation=cv2.INTER_LINEAR)
            difference = numpy.abs(upsampled - mask)
            comparisons.append({
                "photo": photo, "model": model,
                "mean_absolute_difference": float(difference.mean()),
                "max_absolute_difference": float(difference.max()),
            })
            print(f"{stem}: MediaPipe mask {list(mask.shape)}, vs reference output upsampled: "
                  f"mean {difference.mean():.2e}, max {difference.max():.2e}")

    written = {entry["file"] for entry in files}
    for stale in FOLDER.iterdir():
        if stale.suffix in {".f32", ".f16", ".tmp"} and stale.name not in written:
            stale.unlink()

    manifest = {
        "generator": common.relative_to_repo(__file__),
        "format": "raw little-endian, row-major, no header; dtype and shape per file",
        "preprocessing": (
            "RGB photo stretched onto the input by a corner-to-corner bilinear warp: tensor pixel (x, y) "
            "samples the photo at (x * photoWidth / W, y * photoHeight / H), no half-pixel offset, "
            "neighbours outside the photo are 0; values / 255, float64 then float32. Grey photos repeat "
            "their channel."
        ),
        "runtime": "ai-edge-litert Interpreter, 1 thread, default XNNPACK delegate",
        "versions": versions,
        "models": {
            model: {
                "file": model_file,
                "sha256": common.MODEL_SHA256[model_file],
                "input": [1, height, width, 3],
                "output": [1, height, width, 1],
                "mediapipe_model_selection": selection,
            }
            for model, (model_file, height, width, selection) in MODELS.items()
        },
        "photos": photos,
        "files": files,
    }
    if comparisons:
        manifest["mediapipe_mask"] = (
            "MediaPipe 0.10.14 solutions.selfie_segmentation segmentation_mask: photo height x width, "
            "float32 rounded to float16 here. Compared with the reference output upsampled by "
            "cv2.resize INTER_LINEAR to the photo's size."
        )
        manifest["mediapipe_comparison"] = comparisons
    common.write_manifest(FOLDER, manifest)
    total = sum(entry["bytes"] for entry in files)
    print(f"wrote {len(files)} tensors ({total / 1e6:.2f} MB) and manifest.json to "
          f"{common.relative_to_repo(FOLDER)}")


if __name__ == "__main__":
    main()
