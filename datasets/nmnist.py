"""N-MNIST: one ``.bin`` file of 5-byte events per sample, in ``Train/<digit>/``, ``Test/<digit>/``.

Each event is 40 bits, big-endian: x (8), y (8), polarity (1, 1 = ON), timestamp (23, µs).
Files are decoded by tonic's own ``tonic.io.read_mnist_file`` (lazily imported: tonic imports
torch), after spikesim checks the length, so the arrays are identical to tonic's:
``(x, y, t, p)`` int64 fields, sensor 34×34×2. The label is the digit folder's name.

Public API: ``load_nmnist(path, split)``, ``NMNISTDataset``, ``read_bin``, ``write_bin``,
``encode_events``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from spikesim.datasets import sources
from spikesim.datasets.events import NMNIST_DTYPE, UnsortedPolicy, check_sample
from spikesim.errors import DatasetError
from spikesim.io.atomic import atomic_path, is_temp_file

SENSOR_SIZE = (34, 34, 2)
CLASSES = [str(d) for d in range(10)]
_SPLIT_DIR = {"train": "Train", "test": "Test"}
_MAX_T_US = 2**23 - 1


def read_bin(path: str | os.PathLike) -> np.ndarray:
    """Decode one N-MNIST ``.bin`` file to ``(x, y, t, p)`` events, ``t`` in µs (unsorted as stored)."""
    path = Path(path)
    check_length(path)
    import tonic.io  # lazy: tonic imports torch

    return tonic.io.read_mnist_file(str(path), dtype=NMNIST_DTYPE)


def check_length(path: Path) -> int:
    """Return the file's size in bytes; raise ``DatasetError`` unless it is a multiple of 5."""
    size = path.stat().st_size
    if size % 5:
        raise DatasetError(
            f"{path}: length {size} bytes is not a multiple of 5; the event at byte offset "
            f"{size - size % 5} is truncated ({size % 5} of 5 bytes present)"
        )
    return size


def encode_events(events: np.ndarray) -> bytes:
    """Encode ``(x, y, t, p)`` events (t in µs, 0 ≤ t < 2²³) as N-MNIST 5-byte records."""
    x = events["x"].astype(np.int64)
    y = events["y"].astype(np.int64)
    t = events["t"].astype(np.int64)
    p = events["p"].astype(np.int64)
    if len(t) and (t.min() < 0 or t.max() > _MAX_T_US):
        raise ValueError(f"N-MNIST timestamps must lie in 0..{_MAX_T_US} µs")
    if len(x) and (min(x.min(), y.min()) < 0 or max(x.max(), y.max()) > 255):
        raise ValueError("N-MNIST x and y must lie in 0..255")
    out = np.empty((len(t), 5), dtype=np.uint8)
    out[:, 0] = x
    out[:, 1] = y
    out[:, 2] = (p << 7) | ((t >> 16) & 0x7F)
    out[:, 3] = (t >> 8) & 0xFF
    out[:, 4] = t & 0xFF
    return out.tobytes()


def write_bin(path: str | os.PathLike, events: np.ndarray) -> None:
    """Write events to an N-MNIST ``.bin`` file atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(encode_events(events))


class NMNISTDataset:
    """One N-MNIST split folder. ``ds[i] -> (events, label)``, ``t`` in µs.

    Files are listed in sorted path order (as tonic does); stale temp files are ignored.
    ``first_saccade_only`` keeps events with ``t < 100000`` µs (tonic's rule).
    Attributes: ``files``, ``labels`` (int array), ``classes``, ``sensor_size`` = (34, 34, 2).
    """

    sensor_size = SENSOR_SIZE
    classes = CLASSES

    def __init__(
        self,
        folder: str | os.PathLike,
        first_saccade_only: bool = False,
        unsorted: UnsortedPolicy = "sort",
    ):
        self.folder = Path(folder)
        self.first_saccade_only = first_saccade_only
        self.unsorted = unsorted
        self.files: list[Path] = []
        labels = []
        for digit_dir in sorted(p for p in self.folder.iterdir() if p.is_dir()):
            if digit_dir.name not in CLASSES:
                raise DatasetError(
                    f"{digit_dir}: class folder name {digit_dir.name!r} is out of range "
                    f"(expected a digit 0..9)"
                )
            for file in sorted(digit_dir.glob("*.bin")):
                if not is_temp_file(file):
                    self.files.append(file)
                    labels.append(int(digit_dir.name))
        if not self.files:
            raise DatasetError(f"{self.folder}: no .bin files in <digit>/ subfolders")
        self.labels = np.asarray(labels, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.files)

    def cache_identity(self) -> dict:
        """What the cache key needs: options and every file's size and mtime."""
        from spikesim.datasets.cache import file_identity

        return {
            "class": "NMNISTDataset",
            "first_saccade_only": self.first_saccade_only,
            "unsorted": self.unsorted,
            "files": [file_identity(f) for f in self.files],
        }

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        file = self.files[index]
        events = read_bin(file)
        if self.first_saccade_only:
            events = events[events["t"] < 100_000]
        return check_sample(events, str(file), 0, self.unsorted), int(self.labels[index])


def resolve_split_dir(path: str | os.PathLike, split: str, download: bool = False) -> Path:
    """Find the ``Train``/``Test`` folder at ``path`` (itself, inside it, or in ``NMNIST/``)."""
    if split not in _SPLIT_DIR:
        raise DatasetError(f"N-MNIST has splits 'train' and 'test', not {split!r}")
    path = Path(path)
    name = _SPLIT_DIR[split]
    if path.name == name and path.is_dir():
        return path
    folders = [path, path / "NMNIST"]
    for folder in folders:
        if (folder / name).is_dir():
            return folder / name
    if download:
        folder = sources.download("nmnist", split, path)
        if (folder / name).is_dir():
            return folder / name
    raise sources.missing_error("nmnist", split, folders)


def load_nmnist(
    path: str | os.PathLike,
    split: str = "train",
    download: bool = False,
    first_saccade_only: bool = False,
    unsorted: UnsortedPolicy = "sort",
) -> NMNISTDataset:
    """Open an N-MNIST split: ``path`` is the split folder or a folder holding ``Train/``/``Test/``."""
    return NMNISTDataset(resolve_split_dir(path, split, download), first_saccade_only, unsorted)
