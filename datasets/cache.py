"""On-disk cache of binned datasets: one HDF5 entry per (source files, transform, schema).

The entry name is a SHA-256 over JSON of: every ``DenseTransform`` field, the dataset's
identity (class, options, and each source file's path, size and mtime in ns) and
``CACHE_SCHEMA``. Changing any transform parameter, touching a source file or bumping the
schema therefore selects a different entry: a stale cache is never reused.

Entry layout (``<root>/<key>.h5``)::

    frames   (sum of T_i, C) uint16 counts, samples stacked in time
    offsets  (N + 1,) int64, sample i is frames[offsets[i]:offsets[i+1]]
    labels   (N,) int64
    attrs    schema, key, identity (JSON), checksum (adler32 of frames, offsets, labels)

Entries are written through ``atomic_path``, so an interrupted build leaves only a ``.tmp``
file that is never read. At open the checksum and shapes are verified; a corrupt entry is
reported with a warning, deleted and rebuilt.

Public API: ``cached(dataset, transform, root) -> CachedDense``, ``cache_key``,
``default_cache_dir``, ``CACHE_SCHEMA``.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
import zlib
from pathlib import Path

import h5py
import numpy as np

from spikesim.datasets.transforms import DenseTransform
from spikesim.errors import DatasetError
from spikesim.io.atomic import atomic_path

#: Bump when the entry layout or binning semantics change.
CACHE_SCHEMA = 1
_CHUNK_ROWS = 4096


def default_cache_dir() -> Path:
    """``$SPIKESIM_CACHE`` or ``~/.cache/spikesim/binned``."""
    env = os.environ.get("SPIKESIM_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "spikesim" / "binned"


def file_identity(path: str | os.PathLike) -> dict:
    """Path, size (bytes) and mtime (ns) of one source file."""
    stat = Path(path).stat()
    return {"path": str(Path(path).resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def cache_key(identity: dict, transform: DenseTransform) -> str:
    """Hex SHA-256 of the dataset identity, all transform parameters and the cache schema."""
    blob = json.dumps(
        {"schema": CACHE_SCHEMA, "identity": identity, "transform": transform.params()},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _checksum(frames: h5py.Dataset | np.ndarray, offsets: np.ndarray, labels: np.ndarray) -> int:
    value = zlib.adler32(np.ascontiguousarray(offsets).tobytes())
    value = zlib.adler32(np.ascontiguousarray(labels).tobytes(), value)
    for start in range(0, frames.shape[0], _CHUNK_ROWS):
        value = zlib.adler32(
            np.ascontiguousarray(frames[start : start + _CHUNK_ROWS]).tobytes(), value
        )
    return value


class CachedDense:
    """A binned dataset read from a cache entry. ``ds[i] -> (x [T, C] float32, label, T)``.

    The HDF5 file is opened lazily in each process, and one sample is read per access,
    so the dataset never sits in RAM. Attributes: ``path``, ``labels``, ``lengths`` (steps),
    ``n_features``.
    """

    def __init__(self, path: Path):
        self.path = path
        self._frames: h5py.Dataset | None = None
        with h5py.File(path, "r") as f:
            self.offsets = f["offsets"][()]
            self.labels = f["labels"][()]
            self.n_features = int(f["frames"].shape[1])
        self.lengths = np.diff(self.offsets)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_frames"] = None
        return state

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[np.ndarray, int, int]:
        if self._frames is None:  # opened per process: h5py handles must not cross a fork
            self._frames = h5py.File(self.path, "r")["frames"]
        start, stop = self.offsets[index], self.offsets[index + 1]
        x = self._frames[start:stop].astype(np.float32)
        return x, int(self.labels[index]), int(stop - start)


def _verify(path: Path, key: str) -> str | None:
    """``None`` if the entry at ``path`` is whole and belongs to ``key``, else what is wrong."""
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("schema") != CACHE_SCHEMA or f.attrs.get("key") != key:
                return "schema or key attribute does not match"
            offsets, labels, frames = f["offsets"][()], f["labels"][()], f["frames"]
            if len(offsets) != len(labels) + 1 or offsets[-1] != frames.shape[0]:
                return "offsets, labels and frames disagree in length"
            if int(f.attrs["checksum"]) != _checksum(frames, offsets, labels):
                return "checksum mismatch"
    except (OSError, KeyError, ValueError) as err:
        return f"unreadable ({err})"
    return None


def _build(path: Path, key: str, identity: dict, dataset, transform: DenseTransform) -> None:
    n_features = transform.n_features(dataset.sensor_size)
    offsets = [0]
    labels = []
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        frames = f.create_dataset(
            "frames",
            shape=(0, n_features),
            maxshape=(None, n_features),
            dtype=np.uint16,
            # ~256 KiB chunks: one sample's rows span few chunks whatever the width.
            chunks=(max(1, 2**17 // n_features), n_features),
        )
        for index in range(len(dataset)):
            events, label = dataset[index][:2]
            if not isinstance(label, (int, np.integer)):
                raise DatasetError(f"cache: sample {index} has a non-integer label {label!r}")
            x = transform(events, dataset.sensor_size)
            if x.max(initial=0) > np.iinfo(np.uint16).max:
                raise DatasetError(f"cache: sample {index} has a bin count above 65535")
            frames.resize(offsets[-1] + len(x), axis=0)
            frames[offsets[-1] :] = x
            offsets.append(offsets[-1] + len(x))
            labels.append(int(label))
        offsets_arr = np.asarray(offsets, dtype=np.int64)
        labels_arr = np.asarray(labels, dtype=np.int64)
        f["offsets"] = offsets_arr
        f["labels"] = labels_arr
        f.attrs["schema"] = CACHE_SCHEMA
        f.attrs["key"] = key
        f.attrs["identity"] = json.dumps(identity, sort_keys=True)
        f.attrs["transform"] = json.dumps(transform.params(), sort_keys=True)
        f.attrs["checksum"] = _checksum(frames, offsets_arr, labels_arr)


def cached(
    dataset, transform: DenseTransform, root: str | os.PathLike | None = None
) -> CachedDense:
    """Bin ``dataset`` with ``transform`` once and return the cached result.

    ``dataset`` needs ``__len__``, ``__getitem__ -> (events, int label)``, ``sensor_size`` and
    ``cache_identity()``. ``root`` defaults to :func:`default_cache_dir`.
    """
    root = Path(root) if root is not None else default_cache_dir()
    identity = dataset.cache_identity()
    key = cache_key(identity, transform)
    path = root / f"{key}.h5"
    if path.exists():
        problem = _verify(path, key)
        if problem is None:
            return CachedDense(path)
        warnings.warn(f"{path}: corrupt cache entry ({problem}); rebuilding", stacklevel=2)
        path.unlink()
    _build(path, key, identity, dataset, transform)
    return CachedDense(path)
