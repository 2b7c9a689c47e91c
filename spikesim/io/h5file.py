"""Opening an HDF5 file for reading, with the project's error for a file that is not HDF5."""

from __future__ import annotations

import os

import h5py

from spikesim.errors import FormatError, SpikesimError


def open_hdf5(path: str | os.PathLike, error: type[SpikesimError] = FormatError) -> h5py.File:
    """``path`` opened read-only; ``error`` (naming the file) if h5py cannot read it."""
    try:
        return h5py.File(path, "r")
    except OSError as err:
        raise error(f"{path}: not a readable HDF5 file ({err})") from err
