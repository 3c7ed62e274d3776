#!/usr/bin/env python3
"""Times ai-edge-litert (XNNPACK) on MediaPipe's selfie segmentation models: the peer figures for matte.

For each model and each thread count, builds an Interpreter with `num_threads`, fills the input with
seeded uniform noise in [0, 1), runs `invoke()` a few times to warm up, then times `invoke()` alone
(no pre- or post-processing) over the given number of runs. Prints one JSON object per line:
  {"model", "threads", "median_ms", "min_ms", "runs", "runtime", "runtime_version", "samples_ms"}

Usage: scripts/references/selfie_benchmark.py [--runs 50] [--warmup 10] [--threads 1 2]
                                              [--models selfie landscape]
Needs: scripts/fetch-assets (models) and scripts/references/venv. Other work on the machine skews the
figures: run it on an otherwise idle machine.
"""

import argparse
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

common.use_reference_environment()

import importlib.metadata  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy  # noqa: E402

MODELS = {
    "selfie": "selfie_segmentation.tflite",
    "landscape": "selfie_segmentation_landscape.tflite",
}


def benchmark(model_file, threads, runs, warmup):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(common.model_path(model_file)), num_threads=threads)
    interpreter.allocate_tensors()
    (input_detail,) = interpreter.get_input_details()
    noise = numpy.random.default_rng(0).random(input_detail["shape"], dtype=numpy.float32)
    interpreter.set_tensor(input_detail["index"], noise)
    for _ in range(warmup):
        interpreter.invoke()
    times = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        interpreter.invoke()
        times.append((time.perf_counter_ns() - start) / 1e6)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs (default 50)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed runs first (default 10)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts (default 1 2)")
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=list(MODELS),
                        help="models (default: both)")
    arguments = parser.parse_args()
    if arguments.runs < 1 or arguments.warmup < 0 or min(arguments.threads) < 1:
        parser.error("--runs and --threads must be at least 1, --warmup at least 0")

    version = importlib.metadata.version("ai-edge-litert")
    for model in arguments.models:
        for threads in arguments.threads:
            times = benchmark(MODELS[model], threads, arguments.runs, arguments.warmup)
            print(json.dumps({
                "model": MODELS[model],
                "threads": threads,
                "median_ms": round(statistics.median(times), 4),
                "min_ms": round(min(times), 4),
                "runs": arguments.runs,
                "runtime": "ai-edge-litert (XNNPACK)",
                "runtime_version": version,
                "samples_ms": [round(t, 4) for t in times],
            }), flush=True)


if __name__ == "__main__":
    main()
