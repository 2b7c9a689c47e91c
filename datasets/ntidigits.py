"""N-TIDIGITS (Anumula et al. 2018): the TIDIGITS corpus recorded by a 64-channel silicon cochlea.

HDF5 layout, as tonic 1.7.0 reads it::

    {split}_labels                 (N,) bytes, sample ids such as b"speaker-a-1z3"
    {split}_addresses/<sample id>  channel ids 0..63
    {split}_timestamps/<sample id> spike times in s

Events are ``(t, x, p)`` with ``t`` in µs (float64 × 1e6, truncated) and ``p = 1``, as tonic.
The label text is the part of the id after its last ``-``. With ``single_digits=True`` (the
default here, for classification) only one-character labels are kept and mapped
``o → 0, 1..9 → 1..9, z → 10`` (11 classes, tonic's map); with ``single_digits=False`` the
label is the digit string itself (a sequence task, so no integer class).

Public API: ``load_ntidigits(path, split, single_digits=True)``, ``NTidigitsDataset``.
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

N_CHANNELS = 64
SENSOR_SIZE = (N_CHANNELS, 1, 1)
CLASS_MAP = {"o": 0, **{str(d): d for d in range(1, 10)}, "z": 10}
CLASSES = list(CLASS_MAP)
FILENAME = "n-tidigits.hdf5"


class NTidigitsDataset:
    """One N-TIDIGITS split. ``ds[i] -> (events, label)``; label int, or str for sequences."""

    sensor_size = SENSOR_SIZE
    classes = CLASSES

    def __init__(
        self,
        path: str | os.PathLike,
        split: str = "train",
        single_digits: bool = True,
        unsorted: UnsortedPolicy = "sort",
    ):
        self.path = Path(path)
        self.split = split
        self.single_digits = single_digits
        self.unsorted = unsorted
        self._file: h5py.File | None = None
        keys = [f"{split}_labels", f"{split}_addresses", f"{split}_timestamps"]
        f = open_hdf5(self.path, DatasetError)
        with f:
            missing = [k for k in keys if k not in f]
            if missing:
                raise DatasetError(
                    f"{self.path}: missing HDF5 key(s) {', '.join(missing)} (expected {keys})"
                )
            ids = [_text(v) for v in f[keys[0]][()]]
        texts = [i.split("-")[-1] for i in ids]
        if single_digits:
            keep = [k for k, text in enumerate(texts) if len(text) == 1]
            for k in keep:
                if texts[k] not in CLASS_MAP:
                    raise DatasetError(
                        f"{self.path}: {keys[0]}[{k}] = {ids[k]!r}: label {texts[k]!r} is out "
                        f"of range (expected one of {CLASSES})"
                    )
            self.ids = [ids[k] for k in keep]
            self.labels: list = [CLASS_MAP[texts[k]] for k in keep]
        else:
            self.ids = ids
            self.labels = texts

    def _handle(self) -> h5py.File:
        # Opened on first use in each process: h5py handles must not cross a fork or pickle.
        if self._file is None:
            self._file = h5py.File(self.path, "r")
        return self._file

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_file"] = None
        return state

    def __len__(self) -> int:
        return len(self.ids)

    def cache_identity(self) -> dict:
        """What the cache key needs: split, options and the source file's size and mtime."""
        from spikesim.datasets.cache import file_identity

        return {
            "class": "NTidigitsDataset",
            "split": self.split,
            "unsorted": self.unsorted,
            "single_digits": self.single_digits,
            "files": [file_identity(self.path)],
        }

    def __getitem__(self, index: int) -> tuple[np.ndarray, int | str]:
        sample_id = self.ids[index]
        f = self._handle()
        try:
            units = np.asarray(f[f"{self.split}_addresses"][sample_id])
            times = np.asarray(f[f"{self.split}_timestamps"][sample_id])
        except KeyError as err:
            raise DatasetError(
                f"{self.path}: sample {sample_id!r} lacks {self.split}_addresses or "
                f"{self.split}_timestamps entry"
            ) from err
        if len(times) != len(units):
            raise DatasetError(
                f"{self.path}: sample {sample_id!r}: {len(times)} timestamps but "
                f"{len(units)} addresses (expected equal)"
            )
        events = check_sample(audio_events(times, units), str(self.path), sample_id, self.unsorted)
        return events, self.labels[index]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def load_ntidigits(
    path: str | os.PathLike,
    split: str = "train",
    single_digits: bool = True,
    download: bool = False,
    unsorted: UnsortedPolicy = "sort",
) -> NTidigitsDataset:
    """Open N-TIDIGITS: ``path`` is ``n-tidigits.hdf5`` or a folder holding it (or ``NTIDIGITS18/``)."""
    path = Path(path)
    if not path.is_file():
        folders = [path, path / "NTIDIGITS18"]
        found = [folder / FILENAME for folder in folders if (folder / FILENAME).is_file()]
        if not found and download:
            sources.download("ntidigits", split, path)
            found = [folder / FILENAME for folder in folders if (folder / FILENAME).is_file()]
        if not found:
            raise sources.missing_error("ntidigits", split, folders)
        path = found[0]
    return NTidigitsDataset(path, split, single_digits, unsorted)
