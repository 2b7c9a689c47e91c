"""Dataset throughput: spikesim loading + binning vs tonic + ToFrame, and the binned-cache speedup.

Usage::

    python benchmarks/bench_datasets.py [--repeats 5] [--root DIR] [--json OUT.json]

Runs on the bundled ``shd-synth`` (test split, 500 samples) and ``nmnist-synth`` (test split,
299 samples), generated into ``--root`` (default: a temp folder) first. Each measurement is
a full pass over the split, repeated; the median is reported in samples/s. Both sides read
the same files; tonic's existence checks are patched so it never downloads.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np


def _rates(fns: dict, n: int, repeats: int) -> dict:
    """Median samples/s of each full pass in ``fns``; passes alternate, so load drift hits all."""
    times: dict = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: n / statistics.median(t) for name, t in times.items()}


def _consume(dataset) -> None:
    for i in range(len(dataset)):
        dataset[i]


def run(root: Path, repeats: int) -> dict:
    import tonic
    import tonic.datasets
    import tonic.transforms

    from spikesim.datasets import (
        DenseDataset,
        DenseTransform,
        bundled,
        cached,
        load_nmnist,
        load_shd,
    )

    results: dict = {}
    shd_dir = bundled.ensure("shd-synth", root)
    nm_dir = bundled.ensure("nmnist-synth", root)

    # SHD: 10 ms bins, 700 channels (no pooling: ToFrame cannot pool).
    ours = DenseDataset(load_shd(shd_dir, "test"), DenseTransform(dt_us=10_000))
    with mock.patch.object(tonic.datasets.SHD, "_check_exists", return_value=True):
        theirs = tonic.datasets.SHD(
            str(shd_dir),
            train=False,
            transform=tonic.transforms.ToFrame(sensor_size=(700, 1, 1), time_window=10_000),
        )
    fns = {"spikesim": lambda: _consume(ours), "tonic": lambda: _consume(theirs)}
    results["shd"] = {"samples": len(ours), **_rates(fns, len(ours), repeats)}

    # N-MNIST: 1 ms bins, 34x34x2.
    ours_nm = DenseDataset(load_nmnist(nm_dir, "test"), DenseTransform(dt_us=1_000))
    with mock.patch.object(tonic.datasets.NMNIST, "_check_exists", return_value=True):
        theirs_nm = tonic.datasets.NMNIST(
            str(nm_dir),
            train=False,
            transform=tonic.transforms.ToFrame(sensor_size=(34, 34, 2), time_window=1_000),
        )
    fns = {"spikesim": lambda: _consume(ours_nm), "tonic": lambda: _consume(theirs_nm)}
    results["nmnist"] = {"samples": len(ours_nm), **_rates(fns, len(ours_nm), repeats)}

    # Cache: SHD train split (2000 samples), delays-paper preprocessing (10 ms, 700 -> 140).
    train = load_shd(shd_dir, "train")
    transform = DenseTransform(dt_us=10_000, n_bins=80, pool=5)
    with tempfile.TemporaryDirectory() as cache_root:
        start = time.perf_counter()
        entry = cached(train, transform, cache_root)
        build_s = time.perf_counter() - start
        uncached = DenseDataset(train, transform)
        for i in (0, len(train) - 1):  # same output either way
            np.testing.assert_array_equal(entry[i][0], uncached[i][0])
        fns = {"uncached": lambda: _consume(uncached), "cached": lambda: _consume(entry)}
        results["cache"] = {
            "samples": len(train),
            "build_s": build_s,
            **_rates(fns, len(train), repeats),
        }
    results["machine"] = {
        "platform": platform.platform(),
        "processor": platform.processor(),
        "cpus": __import__("os").cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "tonic": tonic.__version__,
    }
    results["repeats"] = repeats
    return results


def report(r: dict) -> str:
    lines = [
        "| workload | samples | spikesim (samples/s) | tonic ToFrame (samples/s) | ratio |",
        "|---|---|---|---|---|",
    ]
    for key, label in (
        ("shd", "shd-synth test, 10 ms bins, 700 ch"),
        ("nmnist", "nmnist-synth test, 1 ms bins, 34x34x2"),
    ):
        v = r[key]
        lines.append(
            f"| {label} | {v['samples']} | {v['spikesim']:.0f} | {v['tonic']:.0f} | "
            f"{v['spikesim'] / v['tonic']:.2f}x |"
        )
    c = r["cache"]
    lines += [
        "",
        "| shd-synth train, 10 ms, 700->140 | samples/s |",
        "|---|---|",
        f"| uncached (read + bin every epoch) | {c['uncached']:.0f} |",
        f"| cached (read binned entry) | {c['cached']:.0f} |",
        f"| speedup | {c['cached'] / c['uncached']:.1f}x |",
        f"| one-off cache build | {c['build_s']:.2f} s |",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--root", type=Path, default=None, help="where bundled data is generated")
    parser.add_argument("--json", type=Path, default=None, help="also write raw results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = run(args.root or Path(tmp), args.repeats)
    print(report(results))
    print(json.dumps(results["machine"]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
