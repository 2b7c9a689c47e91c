"""N-TIDIGITS loader: tonic's label rules and a cross-check."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest

from spikesim.datasets import load_ntidigits
from spikesim.errors import DatasetError


def test_single_digits(ntidigits_file):
    ds = load_ntidigits(ntidigits_file, "train")
    assert len(ds) == 2 and ds.labels == [0, 10]
    events, label = ds[1]
    assert events.tolist() == [(0, 1, 1), (500, 63, 1), (1500000, 0, 1)]
    assert label == 10 and ds.sensor_size == (64, 1, 1)


def test_sequences_keep_digit_strings(ntidigits_file):
    ds = load_ntidigits(ntidigits_file.parent, "test", single_digits=False)
    assert ds.labels == ["o", "z", "1z3"] and ds[2][1] == "1z3"


def test_identical_to_tonic(ntidigits_file, tmp_path, assert_same_samples):
    import shutil

    import tonic.datasets

    root = tmp_path / "root"
    (root / "NTIDIGITS18").mkdir(parents=True)
    shutil.copy(ntidigits_file, root / "NTIDIGITS18" / "n-tidigits.hdf5")
    ours = load_ntidigits(root, "train")
    with mock.patch.object(tonic.datasets.NTIDIGITS18, "_check_exists", return_value=True):
        theirs = tonic.datasets.NTIDIGITS18(str(root), train=True, single_digits=True)
    assert_same_samples(ours, theirs, check_dtype=False)


def test_missing_keys(tmp_path):
    import h5py

    path = tmp_path / "n-tidigits.hdf5"
    with h5py.File(path, "w") as f:
        f["train_labels"] = np.array([b"a-1"])
    with pytest.raises(
        DatasetError, match=r"n-tidigits\.hdf5: missing HDF5 key\(s\) train_addresses"
    ):
        load_ntidigits(path)


def test_missing_file_names_md5(tmp_path):
    with pytest.raises(DatasetError, match="n-tidigits.hdf5.*360a2d11e5429555c9197381cf6b58e0"):
        load_ntidigits(tmp_path)


def test_label_out_of_range(tmp_path):
    import h5py

    path = tmp_path / "n-tidigits.hdf5"
    with h5py.File(path, "w") as f:
        f["test_labels"] = np.array([b"man-ab-q"])
        f["test_addresses/man-ab-q"] = np.array([1], np.uint16)
        f["test_timestamps/man-ab-q"] = np.array([0.1], np.float16)
    with pytest.raises(
        DatasetError, match=r"test_labels\[0\] = 'man-ab-q': label 'q' is out of range"
    ):
        load_ntidigits(path, "test")
