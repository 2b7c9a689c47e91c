"""SHD and SSC (Heidelberg spiking datasets) read from their official HDF5 files with h5py.

Layout (see ``docs/datasets.md``)::

    /spikes/times   (N,) vlen float, spike times in s      /labels        (N,) int class
    /spikes/units   (N,) vlen int, channel 0..699          /extra/keys    class names (bytes)
    /extra/speaker  (N,) int speaker id

Samples come out exactly as tonic 1.7.0 builds them: ``(t, x, p)`` events with ``t`` in µs
(float64 × 1e6, truncated), ``p = 1``, and an ``int`` label. spikesim never calls tonic's
``SHD`` constructor to read, so a user with the gunzipped ``.h5`` files never triggers a
download. The file is opened lazily on first access in each process, so a dataset object
can be handed to data-loader workers (each opens its own handle).

Public API: ``load_shd(path, split)``, ``load_ssc(path, split)``, ``SpikeH5Dataset``.
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np

from spikesim.datasets import sources
from spikesim.datasets.events import UnsortedPolicy, audio_events, check_sample
from spikesim.errors import DatasetError
from spikesim.io.h5file import open_hdf5

N_CHANNELS = 700
SENSOR_SIZE = (N_CHANNELS, 1, 1)
_REQUIRED = ("spikes/times", "spikes/units", "labels")
_N_CLASSES = {"shd": 20, "ssc": 35}


class SpikeH5Dataset:
    """One SHD/SSC split file. ``ds[i] -> (events, label)``; ``t`` in µs, ``x`` channel.

    Attributes: ``classes`` (list of class names), ``speaker`` (int array, one per sample),
    ``labels`` (int array), ``sensor_size`` = (700, 1, 1), ``path``.
    Checks at open: required keys, equal lengths of ``times``/``units``/``labels``, labels in
    range. Checks per sample: equal ``times[i]``/``units[i]`` lengths, units in 0..699,
    non-empty, timestamps sorted (``unsorted="sort"``, the default) or rejected (``"error"``).
    """

    sensor_size = SENSOR_SIZE

    def __init__(
        self, path: str | os.PathLike, kind: str = "shd", unsorted: UnsortedPolicy = "sort"
    ):
        self.path = Path(path)
        self.kind = kind
        self.unsorted = unsorted
        self._file: h5py.File | None = None
        self._spikes: tuple[h5py.Dataset, h5py.Dataset] | None = None
        with self._open_checked() as f:
            self.labels = np.asarray(f["labels"][()]).astype(np.int64)
            if "extra/keys" in f:
                self.classes = [_text(k) for k in f["extra/keys"][()]]
            else:
                self.classes = [str(i) for i in range(_N_CLASSES.get(kind, 0))]
            n = len(self.labels)
            self.speaker = (
                np.asarray(f["extra/speaker"][()]).astype(np.int64)
                if "extra/speaker" in f
                else np.full(n, -1, dtype=np.int64)
            )
        n_classes = len(self.classes)
        bad = np.flatnonzero((self.labels < 0) | (self.labels >= n_classes))
        if len(bad):
            raise DatasetError(
                f"{self.path}: labels[{bad[0]}] = {self.labels[bad[0]]} is out of range "
                f"(expected 0..{n_classes - 1} for {n_classes} classes in extra/keys)"
            )
        if len(self.speaker) != len(self.labels):
            raise DatasetError(
                f"{self.path}: extra/speaker has {len(self.speaker)} entries, labels has "
                f"{len(self.labels)} (expected one speaker per sample)"
            )

    def _open_checked(self) -> h5py.File:
        f = open_hdf5(self.path, DatasetError)
        missing = [key for key in _REQUIRED if key not in f]
        if missing:
            f.close()
            raise DatasetError(
                f"{self.path}: missing HDF5 dataset(s) {', '.join(missing)} "
                f"(expected {', '.join(_REQUIRED)} as in the official SHD/SSC files)"
            )
        lengths = {key: len(f[key]) for key in _REQUIRED}
        if len(set(lengths.values())) != 1:
            f.close()
            found = ", ".join(f"{k}: {v}" for k, v in lengths.items())
            raise DatasetError(f"{self.path}: datasets differ in length ({found}); expected equal")
        return f

    def _datasets(self) -> tuple[h5py.Dataset, h5py.Dataset]:
        # Opened on first use in each process: h5py handles must not cross a fork or pickle.
        # The dataset objects are kept because looking them up costs more than the read.
        if self._spikes is None:
            self._file = h5py.File(self.path, "r")
            self._spikes = (self._file["spikes/times"], self._file["spikes/units"])
        return self._spikes

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_file"] = state["_spikes"] = None
        return state

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"{self.path}: sample {index} out of range (N={len(self)})")
        index = index % len(self)
        times_ds, units_ds = self._datasets()
        times = np.asarray(times_ds[index])
        units = np.asarray(units_ds[index])
        if len(times) != len(units):
            raise DatasetError(
                f"{self.path}: sample {index}: spikes/times has {len(times)} values, "
                f"spikes/units has {len(units)} (expected equal)"
            )
        if len(units) and (units.min() < 0 or units.max() >= N_CHANNELS):
            raise DatasetError(
                f"{self.path}: sample {index}: spikes/units outside 0..{N_CHANNELS - 1} "
                f"(found {units.min()}..{units.max()})"
            )
        events = check_sample(audio_events(times, units), str(self.path), index, self.unsorted)
        return events, int(self.labels[index])

    def cache_identity(self) -> dict:
        """What the cache key needs: class, options and the source file's size and mtime."""
        from spikesim.datasets.cache import file_identity

        return {
            "class": "SpikeH5Dataset",
            "kind": self.kind,
            "unsorted": self.unsorted,
            "files": [file_identity(self.path)],
        }

    def close(self) -> None:
        """Close the HDF5 handle of this process (reopened on next access)."""
        if self._file is not None:
            self._file.close()
            self._file = self._spikes = None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def resolve_split_file(
    path: str | os.PathLike, name: str, split: str, download: bool = False
) -> Path:
    """Find ``<name>_<split>.h5`` at ``path`` (a file, a folder, or a folder with ``SHD/``).

    With ``download=True`` a missing file is fetched through tonic into ``path``; otherwise
    the error names the file, its MD5 and URL.
    """
    path = Path(path)
    if path.is_file():
        return path
    filename = f"{name}_{split}.h5"
    folders = [path, path / name.upper()]
    for folder in folders:
        if (folder / filename).is_file():
            return folder / filename
    if (name, split) not in sources.ARCHIVES:
        raise DatasetError(f"{name} has no split {split!r} (looked for {filename} in {path})")
    if download:
        folder = sources.download(name, split, path)
        if (folder / filename).is_file():
            return folder / filename
    raise sources.missing_error(name, split, folders)


def load_shd(
    path: str | os.PathLike,
    split: str = "train",
    download: bool = False,
    unsorted: UnsortedPolicy = "sort",
) -> SpikeH5Dataset:
    """Open an SHD split: ``path`` is ``shd_<split>.h5`` or a folder holding it (or ``SHD/``)."""
    return SpikeH5Dataset(resolve_split_file(path, "shd", split, download), "shd", unsorted)


def load_ssc(
    path: str | os.PathLike,
    split: str = "train",
    download: bool = False,
    unsorted: UnsortedPolicy = "sort",
) -> SpikeH5Dataset:
    """Open an SSC split (``train``, ``valid`` or ``test``); same rules as :func:`load_shd`."""
    return SpikeH5Dataset(resolve_split_file(path, "ssc", split, download), "ssc", unsorted)
