"""Paths, pins and small helpers shared by the reference scripts in this folder.

The reference scripts run third-party runtimes (ai-edge-litert, onnxruntime, MediaPipe) on the models and
photos that scripts/fetch-assets installs, and write golden files under Tests/Fixtures/goldens/ or print
benchmark figures. They run in the environment that scripts/references/venv builds; started with any
other Python, `use_reference_environment()` restarts them inside it.

Golden tensors are raw little-endian float32 (or float16 where a manifest says so), row-major, with no
header: shapes, layouts and checksums are in each folder's manifest.json.
"""

import hashlib
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENT = REPO_ROOT / ".venv-references"
# The quality benchmark's peers (PyMatting, rembg) live apart, pinned by quality_requirements.txt.
QUALITY_ENVIRONMENT = REPO_ROOT / ".venv-quality"
GOLDENS = REPO_ROOT / "Tests" / "Fixtures" / "goldens"

_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "matte"
MODELS = Path(os.environ.get("MATTE_MODELS") or _CACHE / "models")
SAMPLES = Path(os.environ.get("MATTE_SAMPLES") or _CACHE / "samples")

# The same pins as scripts/fetch-assets (file name -> sha256).
MODEL_SHA256 = {
    "selfie_segmentation.tflite": "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
    "selfie_segmentation_landscape.tflite": "a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd",
    "face_detection_short_range.tflite": "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
    "u2netp.onnx": "309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8",
}

# The photos of people the goldens are made from: golden name -> (path under SAMPLES, sha256).
PHOTOS = {
    "astronaut": ("astronaut.png", "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"),
    "grace_hopper": ("grace_hopper.jpg", "a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130"),
    "camera": ("extra/camera.png", "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a"),
}


def fail(message):
    sys.exit(f"{Path(sys.argv[0]).name}: error: {message}")


def use_reference_environment(environment=ENVIRONMENT, made_by="scripts/references/venv"):
    """Restarts the running script with `environment`'s Python unless already inside it; `made_by` is
    the command that creates the environment, named when it is missing."""
    if Path(sys.prefix).resolve() == environment.resolve():
        return
    python = environment / "bin" / "python"
    if not python.exists():
        fail(f"{environment} is missing: run {made_by} first")
    if os.environ.get("MATTE_REFERENCE_RESTARTED"):
        fail(f"could not switch to {environment}; run the script with {python}")
    os.environ["MATTE_REFERENCE_RESTARTED"] = "1"
    os.execv(python, [str(python), str(Path(sys.argv[0]).resolve()), *sys.argv[1:]])


def sha256_of_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_of_bytes(data):
    return hashlib.sha256(data).hexdigest()


def verified(path, expected, what):
    """Returns `path` after checking that it exists and has the pinned sha256."""
    if not path.is_file():
        fail(f"{what} {path} is missing: run scripts/fetch-assets")
    actual = sha256_of_file(path)
    if actual != expected:
        fail(f"{what} {path} has sha256 {actual}, expected {expected}: run scripts/fetch-assets")
    return path


def model_path(name):
    return verified(MODELS / name, MODEL_SHA256[name], "model")


def photo_path(name):
    relative, sha256 = PHOTOS[name]
    return verified(SAMPLES / relative, sha256, "photo")


def run_litert(model_file, tensor):
    """Runs the TFLite model `model_file` (from the models folder) on `tensor` with LiteRT on one thread.

    Returns {output name: array}, in the model's output order.
    """
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(model_path(model_file)), num_threads=1)
    interpreter.allocate_tensors()
    (input_detail,) = interpreter.get_input_details()
    if list(input_detail["shape"]) != list(tensor.shape):
        fail(f"{model_file} expects input {list(input_detail['shape'])}, got {list(tensor.shape)}")
    interpreter.set_tensor(input_detail["index"], tensor)
    interpreter.invoke()
    return {detail["name"]: interpreter.get_tensor(detail["index"]).copy()
            for detail in interpreter.get_output_details()}


def load_rgb(name):
    """Decodes a photo with Pillow and returns (Pillow image in RGB mode, original mode)."""
    from PIL import Image

    with Image.open(photo_path(name)) as image:
        return image.convert("RGB"), image.mode


def write_tensor(path, array, dtype="<f4"):
    """Writes `array` as raw little-endian values of `dtype`; returns the manifest entry for it."""
    import numpy

    data = numpy.ascontiguousarray(array, dtype=dtype).tobytes()
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
    return {
        "file": path.name,
        "dtype": {"<f4": "float32", "<f2": "float16"}[dtype],
        "shape": list(array.shape),
        "bytes": len(data),
        "sha256": sha256_of_bytes(data),
    }


def write_manifest(folder, manifest):
    """Writes `manifest` as folder/manifest.json, indented, with lists of numbers kept on one line."""
    import json
    import re

    def one_line(match):
        return "[" + ", ".join(number.strip() for number in match.group(1).split(",")) + "]"

    text = re.sub(r"\[\s*([-0-9.e,\s]+?)\s*\]", one_line, json.dumps(manifest, indent=2))
    path = folder / "manifest.json"
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text + "\n")
    temporary.replace(path)


def relative_to_repo(path):
    return str(Path(path).resolve().relative_to(REPO_ROOT))
