#!/usr/bin/env python3
"""Times onnxruntime (CPU) on U-2-Net-p (u2netp.onnx, input [1,3,320,320]): the peer figures for matte.

For each thread count: a session with intra_op_num_threads = threads, inter_op_num_threads = 1,
sequential execution and all graph optimisations; the input is seeded standard-normal noise (the range of
rembg's normalised input). A few warm-up runs, then `run()` alone is timed (no pre- or post-processing).
Prints one JSON object per line:
  {"model", "threads", "median_ms", "min_ms", "runs", "runtime", "runtime_version", "samples_ms"}

Usage: scripts/references/u2netp_benchmark.py [--runs 50] [--warmup 5] [--threads 1 2]
Needs: scripts/fetch-assets (models) and scripts/references/venv. Other work on the machine skews the
figures: run it on an otherwise idle machine. 50 runs take about 20 s at 1 thread on a 4 GHz core.
"""

import argparse
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

common.use_reference_environment()

import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy  # noqa: E402
import onnxruntime  # noqa: E402

MODEL = "u2netp.onnx"


def session(threads):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(str(common.model_path(MODEL)), options,
                                        providers=["CPUExecutionProvider"])


def benchmark(threads, runs, warmup):
    runner = session(threads)
    (input_node,) = runner.get_inputs()
    feed = {input_node.name: numpy.random.default_rng(0).standard_normal((1, 3, 320, 320), numpy.float32)}
    for _ in range(warmup):
        runner.run(None, feed)
    times = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        runner.run(None, feed)
        times.append((time.perf_counter_ns() - start) / 1e6)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs (default 50)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs first (default 5)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts (default 1 2)")
    arguments = parser.parse_args()
    if arguments.runs < 1 or arguments.warmup < 0 or min(arguments.threads) < 1:
        parser.error("--runs and --threads must be at least 1, --warmup at least 0")

    for threads in arguments.threads:
        times = benchmark(threads, arguments.runs, arguments.warmup)
        print(json.dumps({
            "model": MODEL,
            "threads": threads,
            "median_ms": round(statistics.median(times), 3),
            "min_ms": round(min(times), 3),
            "runs": arguments.runs,
            "runtime": "onnxruntime",
            "runtime_version": onnxruntime.__version__,
            "samples_ms": [round(t, 4) for t in times],
        }), flush=True)


if __name__ == "__main__":
    main()
