"""``describe(path)``: what a dataset file or folder holds, for ``spikesim data info``.

Detects SHD/SSC ``.h5`` files (``spikes/times`` present; SSC when ``extra/keys`` has 35
classes), N-TIDIGITS ``.hdf5`` (``train_labels``/``test_labels``), an N-MNIST ``.bin`` file,
an N-MNIST folder (``Train/``, ``Test/`` or ``NMNIST/``, or one split's digit folders),
and folders holding SHD/SSC files (``*.h5`` or ``SHD/*.h5``). Returns a JSON-ready dict::

    {"path", "format", "parts": [{"name", "n_samples", "n_classes", "sensor_size",
      "events_per_sample": {"min", "median", "max"},
      "time_span_us": {"first", "last"}}]}

Times are in µs; ``sensor_size`` is tonic's ``(W, H, P)``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from spikesim.datasets import nmnist, ntidigits, shd
from spikesim.datasets.events import check_sample
from spikesim.errors import DatasetError
from spikesim.io.atomic import is_temp_file
from spikesim.io.h5file import open_hdf5


def _stats(counts: list[int], firsts: list[int], lasts: list[int]) -> dict:
    return {
        "n_samples": len(counts),
        "events_per_sample": {
            "min": int(np.min(counts)),
            "median": float(np.median(counts)),
            "max": int(np.max(counts)),
        },
        "time_span_us": {"first": int(np.min(firsts)), "last": int(np.max(lasts))},
    }


def _describe_events(name: str, dataset, n_classes: int) -> dict:
    counts, firsts, lasts = [], [], []
    for index in range(len(dataset)):
        events = dataset[index][0]
        counts.append(len(events))
        firsts.append(int(events["t"][0]))
        lasts.append(int(events["t"][-1]))
    part = {"name": name, **_stats(counts, firsts, lasts)}
    part.update(n_classes=n_classes, sensor_size=list(dataset.sensor_size))
    return part


def _peek_bin(path: Path) -> tuple[int, int, int]:
    """``(events, first t, last t)`` of an N-MNIST file from its size and end records.

    Reading only 10 bytes per file keeps ``info`` fast on N-MNIST's 70 000 files; the first
    and last records are the time span because N-MNIST files are sorted by time.
    """
    size = nmnist.check_length(path)
    if size == 0:
        raise DatasetError(f"{path}: empty sample (0 bytes); expected 5-byte events")
    with open(path, "rb") as handle:
        head = handle.read(5)
        handle.seek(size - 5)
        tail = handle.read(5)

    def stamp(record: bytes) -> int:
        return (record[2] & 0x7F) << 16 | record[3] << 8 | record[4]

    return size // 5, stamp(head), stamp(tail)


def _describe_nmnist_split(folder: Path) -> dict:
    counts, firsts, lasts = [], [], []
    for file in sorted(folder.glob("*/*.bin")):
        if not is_temp_file(file):
            n, first, last = _peek_bin(file)
            counts.append(n)
            firsts.append(first)
            lasts.append(last)
    if not counts:
        raise DatasetError(f"{folder}: no .bin files in <digit>/ subfolders")
    part = {"name": folder.name, **_stats(counts, firsts, lasts)}
    part.update(n_classes=10, sensor_size=list(nmnist.SENSOR_SIZE))
    return part


def _describe_h5(path: Path) -> dict:
    with open_hdf5(path, DatasetError) as f:
        keys = set(f.keys())
    if "spikes" in keys:
        ds = shd.SpikeH5Dataset(path)
        kind = "ssc" if len(ds.classes) == 35 else "shd"
        return {"format": kind, "parts": [_describe_events(path.name, ds, len(ds.classes))]}
    splits = [s for s in ("train", "test") if f"{s}_labels" in keys]
    if splits:
        parts = []
        for split in splits:
            ds = ntidigits.NTidigitsDataset(path, split, single_digits=False)
            parts.append(_describe_events(split, ds, len(set(ds.labels))))
        return {"format": "ntidigits", "parts": parts}
    raise DatasetError(
        f"{path}: HDF5 file is neither SHD/SSC (spikes/times) nor N-TIDIGITS "
        f"(train_labels/test_labels); found keys {sorted(keys)}"
    )


def describe(path: str | os.PathLike) -> dict:
    """Describe a supported dataset file or folder (see the module docstring)."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file or folder")
    if path.is_file():
        if path.suffix == ".bin":
            events = check_sample(nmnist.read_bin(path), str(path), 0)
            part = {
                "name": path.name,
                **_stats([len(events)], [int(events["t"][0])], [int(events["t"][-1])]),
            }
            part.update(n_classes=10, sensor_size=list(nmnist.SENSOR_SIZE))
            return {"path": str(path), "format": "nmnist", "parts": [part]}
        return {"path": str(path), **_describe_h5(path)}
    for base in (path, path / "NMNIST"):
        splits = [base / s for s in ("Train", "Test") if (base / s).is_dir()]
        if splits:
            parts = [_describe_nmnist_split(s) for s in splits]
            return {"path": str(path), "format": "nmnist", "parts": parts}
    if any(child.is_dir() and child.name in nmnist.CLASSES for child in path.iterdir()):
        return {"path": str(path), "format": "nmnist", "parts": [_describe_nmnist_split(path)]}
    files = (
        sorted(path.glob("*.h5")) + sorted(path.glob("SHD/*.h5")) + sorted(path.glob("SSC/*.h5"))
    )
    if files:
        described = [_describe_h5(f) for f in files]
        parts = [p for d in described for p in d["parts"]]
        return {"path": str(path), "format": described[0]["format"], "parts": parts}
    raise DatasetError(
        f"{path}: no supported dataset found (expected SHD/SSC .h5, N-TIDIGITS .hdf5, "
        f"N-MNIST .bin files or Train/Test folders)"
    )
