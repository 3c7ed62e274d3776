#!/usr/bin/env python3
"""The inputs of matte's trimap-free quality benchmark, built once so that every method sees the same pixels.

Composites: for each image GTnn of DATA_DIR (the alphamatting.com training set), its foreground colours are
estimated from its true alpha by PyMatting's multi-level foreground estimation (`estimate_foreground_ml`,
Germer et al. 2020), then composited with that true alpha over two of scikit-image's bundled photos
(BACKGROUNDS below; image n, counted from 0, goes over backgrounds n mod 4 and (n + 2) mod 4). Each
background is scaled (Lanczos) by the smallest factor that covers the image, centred and cropped. The
composite, alpha F + (1 - alpha) B, is rounded to 8 bits; its true alpha is GTnn_alpha.png.

A 1920x1080 photo: grace_hopper.jpg from the sample folder scaled (Lanczos) to cover 1920x1080, centred and
cropped, written as PNG and as JPEG (quality 90), for timing whole-photo matting.

Writes to OUT_DIR:
  GTnn_<background>.png   the composites (RGB)
  photo_1080p.png, photo_1080p.jpg
  composites.json         [{"name": "GTnn_<background>", "image": "GTnn", "background": "<background>"}]
Existing composites are kept (the output is the same whenever it is built), so a cache fills incrementally.

Usage: scripts/references/quality_inputs.py DATA_DIR SAMPLES_DIR OUT_DIR [--images GT01 ...]
Runs in <repo>/.venv-quality (scripts/quality-benchmark creates it); started with any other Python, it
restarts itself there.
"""

import argparse
import json
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import common  # noqa: E402

common.use_reference_environment(common.QUALITY_ENVIRONMENT, "scripts/quality-benchmark")

import numpy  # noqa: E402
import skimage  # noqa: E402
from PIL import Image  # noqa: E402
from pymatting import estimate_foreground_ml  # noqa: E402

# Real colour photos bundled in scikit-image's wheel (skimage/data), used as backgrounds.
BACKGROUNDS = ["coffee.png", "chelsea.png", "rocket.jpg", "motorcycle_left.png"]


def cover(image, width, height):
    """`image` (PIL) scaled by the smallest factor that covers width x height (Lanczos), centred, cropped."""
    scale = max(width / image.width, height / image.height)
    scaled_width = max(width, round(image.width * scale))
    scaled_height = max(height, round(image.height * scale))
    scaled = image.resize((scaled_width, scaled_height), Image.LANCZOS)
    left = (scaled_width - width) // 2
    top = (scaled_height - height) // 2
    return scaled.crop((left, top, left + width, top + height))


def background_photo(name):
    path = Path(skimage.data.__file__).parent / name
    if not path.exists():
        sys.exit(f"quality_inputs.py: error: {path} is missing from scikit-image's data")
    return Image.open(path).convert("RGB")


def write_png(array, path):
    """Writes through a temporary name, so an interrupted run leaves no partial file under `path`."""
    temporary = path.with_suffix(".partial.png")
    Image.fromarray(array).save(temporary)
    temporary.replace(path)


def build_composites(data_dir, out_dir, images):
    entries = []
    for number, name in enumerate(images):
        index = int(name[2:]) - 1 if name.startswith("GT") and name[2:].isdigit() else number
        backgrounds = [BACKGROUNDS[index % 4], BACKGROUNDS[(index + 2) % 4]]
        targets = [(Path(background).stem, out_dir / f"{name}_{Path(background).stem}.png")
                   for background in backgrounds]
        for stem, _ in targets:
            entries.append({"name": f"{name}_{stem}", "image": name, "background": stem})
        if all(path.exists() for _, path in targets):
            continue
        image = numpy.asarray(Image.open(data_dir / f"{name}_image.png").convert("RGB"), dtype=numpy.float64) / 255
        alpha = numpy.asarray(Image.open(data_dir / f"{name}_alpha.png").convert("L"), dtype=numpy.float64) / 255
        foreground = estimate_foreground_ml(image, alpha)
        height, width = alpha.shape
        for (stem, path), background_name in zip(targets, backgrounds):
            background = numpy.asarray(cover(background_photo(background_name), width, height),
                                       dtype=numpy.float64) / 255
            composite = alpha[:, :, None] * foreground + (1 - alpha[:, :, None]) * background
            write_png(numpy.clip(numpy.round(composite * 255), 0, 255).astype(numpy.uint8), path)
            print(f"{path.name}", file=sys.stderr, flush=True)
    return entries


def build_1080p_photo(samples_dir, out_dir):
    png, jpeg = out_dir / "photo_1080p.png", out_dir / "photo_1080p.jpg"
    if png.exists() and jpeg.exists():
        return
    photo = cover(Image.open(samples_dir / "grace_hopper.jpg").convert("RGB"), 1920, 1080)
    write_png(numpy.asarray(photo), png)
    temporary = jpeg.with_suffix(".partial.jpg")
    photo.save(temporary, quality=90)
    temporary.replace(jpeg)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("samples_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--images", nargs="+", default=[f"GT{index:02d}" for index in range(1, 21)])
    arguments = parser.parse_args()
    arguments.out_dir.mkdir(parents=True, exist_ok=True)
    images = list(dict.fromkeys(arguments.images))  # each once, in the order given
    entries = build_composites(arguments.data_dir, arguments.out_dir, images)
    build_1080p_photo(arguments.samples_dir, arguments.out_dir)
    (arguments.out_dir / "composites.json").write_text(json.dumps(entries, indent=1) + "\n")


if __name__ == "__main__":
    main()
