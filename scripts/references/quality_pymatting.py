#!/usr/bin/env python3
"""PyMatting's closed-form alpha matting on the alphamatting.com training set: the peer of matte-quality.

For each image GTnn of DATA_DIR and each trimap (trimap1, trimap2), runs
`pymatting.estimate_alpha_cf(image, trimap)` with its defaults (epsilon 1e-7, thresholded incomplete
Cholesky preconditioner, conjugate gradients to a relative residual of 1e-7), times it, and writes to OUT_DIR:
  GTnn_trimapK.f32   the alpha, raw little-endian float32, row-major, the image's size
  times.json         {"GTnn_trimapK": seconds of estimate_alpha_cf alone}
The metrics are not computed here: matte-quality reads these alphas and measures them with the same code
as its own (see scripts/quality-benchmark).

Usage: scripts/references/quality_pymatting.py DATA_DIR OUT_DIR [--trimaps trimap1 trimap2] [--images GT01 ...]
Runs in <repo>/.venv-quality (scripts/quality-benchmark creates it); started with any other Python, it
restarts itself there.
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import common  # noqa: E402

common.use_reference_environment(common.QUALITY_ENVIRONMENT, "scripts/quality-benchmark")

import numpy  # noqa: E402
from pymatting import estimate_alpha_cf, load_image  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--trimaps", nargs="+", default=["trimap1", "trimap2"])
    parser.add_argument("--images", nargs="+", default=[f"GT{index:02d}" for index in range(1, 21)])
    arguments = parser.parse_args()
    arguments.out_dir.mkdir(parents=True, exist_ok=True)

    # Compile (or load from numba's cache) the kernels before timing anything.
    warm_image = numpy.random.default_rng(0).random((24, 24, 3))
    warm_trimap = numpy.zeros((24, 24))
    warm_trimap[:, 16:] = 1
    warm_trimap[:, 8:16] = 0.5
    estimate_alpha_cf(warm_image, warm_trimap)

    times = {}
    for trimap_name in arguments.trimaps:
        for name in arguments.images:
            image = load_image(str(arguments.data_dir / f"{name}_image.png"), "RGB")
            trimap = load_image(str(arguments.data_dir / f"{name}_{trimap_name}.png"), "GRAY")
            start = time.perf_counter()
            alpha = estimate_alpha_cf(image, trimap)
            seconds = time.perf_counter() - start
            key = f"{name}_{trimap_name}"
            times[key] = seconds
            alpha.astype("<f4").tofile(arguments.out_dir / f"{key}.f32")
            print(f"{key}: {seconds:.2f} s", file=sys.stderr, flush=True)
    (arguments.out_dir / "times.json").write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
