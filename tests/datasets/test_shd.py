"""SHD/SSC loader: known events, tonic cross-check, bad input, missing files."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest

from spikesim.datasets import load_shd, load_ssc
from spikesim.errors import DatasetError

EXPECTED = [(0, 0, 1), (500, 5, 1), (250000, 699, 1), (999511, 3, 1)]


def test_reads_known_events(shd_root):
    ds = load_shd(shd_root, "train")
    events, label = ds[0]
    assert events.tolist() == EXPECTED
    assert events.dtype.names == ("t", "x", "p")
    assert label == 3 and isinstance(label, int)
    # float16 0.1 s is 0.0999755859375 s: truncated to 99975 µs, as tonic does
    assert ds[1][0].tolist() == [(99975, 42, 1)] and ds[1][1] == 17
    assert len(ds) == 2 and ds.classes == ["zero"] * 20
    assert ds.speaker.tolist() == [0, 1] and ds.sensor_size == (700, 1, 1)


def test_accepts_file_path_and_any_dtypes(tmp_path):
    path = tmp_path / "x.h5"
    import h5py

    with h5py.File(path, "w") as f:
        t = f.create_dataset("spikes/times", (1,), dtype=h5py.vlen_dtype(np.float64))
        u = f.create_dataset("spikes/units", (1,), dtype=h5py.vlen_dtype(np.int32))
        t[0] = [0.25, 0.5]
        u[0] = [1, 2]
        f["labels"] = np.array([4], np.int64)
    ds = load_shd(path)
    assert ds[0][0].tolist() == [(250000, 1, 1), (500000, 2, 1)]
    assert ds[0][1] == 4 and len(ds.classes) == 20


def test_identical_to_tonic(shd_root, assert_same_samples):
    import tonic.datasets

    ours = load_shd(shd_root, "train")
    with mock.patch.object(tonic.datasets.SHD, "_check_exists", return_value=True):
        theirs = tonic.datasets.SHD(str(shd_root), train=True)
    assert_same_samples(ours, theirs)


def test_missing_file_names_archive_md5_url(tmp_path):
    with pytest.raises(DatasetError) as err:
        load_shd(tmp_path, "test")
    msg = str(err.value)
    assert "shd_test.h5.zip" in msg and "1503a5064faa34311c398fb0a1ed0a6f" in msg
    assert "https://zenkelab.org/datasets/shd_test.h5.zip" in msg and str(tmp_path) in msg
    with pytest.raises(DatasetError, match="ssc_valid.h5.zip.*b4eee3516a4a90dd0c71a6ac23a8ae43"):
        load_ssc(tmp_path, "valid")


def test_existing_file_never_downloads(shd_root):
    with mock.patch("spikesim.datasets.sources.download") as download:
        load_shd(shd_root, "train", download=True)
    download.assert_not_called()


def test_missing_keys(tmp_path):
    import h5py

    path = tmp_path / "bad.h5"
    with h5py.File(path, "w") as f:
        f["labels"] = np.array([1])
    with pytest.raises(DatasetError, match=r"bad\.h5.*missing.*spikes/times, spikes/units"):
        load_shd(path)


def test_mismatched_lengths_across_samples(tmp_path, write_shd):
    path = write_shd(tmp_path / "a.h5", [[0.1], [0.2]], [[1], [2]], [1, 2, 3])
    with pytest.raises(DatasetError, match=r"a\.h5.*differ in length.*labels: 3"):
        load_shd(path)


def test_mismatched_times_units_in_sample(tmp_path, write_shd):
    path = write_shd(tmp_path / "b.h5", [[0.1, 0.2]], [[1]], [1])
    with pytest.raises(
        DatasetError, match=r"b\.h5: sample 0: spikes/times has 2 values, spikes/units has 1"
    ):
        load_shd(path)[0]


def test_label_out_of_range(tmp_path, write_shd):
    path = write_shd(tmp_path / "c.h5", [[0.1]], [[1]], [20])
    with pytest.raises(DatasetError, match=r"c\.h5: labels\[0\] = 20 is out of range .*0\.\.19"):
        load_shd(path)


def test_unit_out_of_range(tmp_path, write_shd):
    path = write_shd(tmp_path / "d.h5", [[0.1]], [[700]], [1])
    with pytest.raises(DatasetError, match=r"d\.h5: sample 0: spikes/units outside 0\.\.699"):
        load_shd(path)[0]


def test_decreasing_timestamps_sorted_or_rejected(tmp_path, write_shd):
    path = write_shd(tmp_path / "e.h5", [[0.5, 0.25, 0.75]], [[1, 2, 3]], [1])
    assert load_shd(path)[0][0].tolist() == [(250000, 2, 1), (500000, 1, 1), (750000, 3, 1)]
    with pytest.raises(DatasetError, match=r"e\.h5: sample 0 has decreasing timestamps: event 1"):
        load_shd(path, unsorted="error")[0]


def test_empty_sample(tmp_path, write_shd):
    path = write_shd(tmp_path / "f.h5", [[0.1], []], [[1], []], [1, 2])
    with pytest.raises(DatasetError, match=r"f\.h5: sample 1 is empty"):
        load_shd(path)[1]


def test_not_hdf5(tmp_path):
    path = tmp_path / "shd_train.h5"
    path.write_bytes(b"not hdf5")
    with pytest.raises(DatasetError, match="not a readable HDF5 file"):
        load_shd(path)


def test_pickles_without_handle(shd_root):
    import pickle

    ds = load_shd(shd_root)
    ds[0]  # opens the handle
    clone = pickle.loads(pickle.dumps(ds))
    assert clone[0][0].tolist() == EXPECTED


def test_ssc_split_and_info(tmp_path, write_shd):
    from spikesim.datasets import describe

    keys = [f"word{i}".encode() for i in range(35)]
    write_shd(
        tmp_path / "SSC" / "ssc_valid.h5", [[0.5], [0.25, 0.75]], [[9], [1, 2]], [34, 0], keys=keys
    )
    ds = load_ssc(tmp_path, "valid")
    assert len(ds.classes) == 35 and ds[0][1] == 34
    assert ds[1][0]["t"].tolist() == [250000, 750000]
    assert describe(tmp_path / "SSC" / "ssc_valid.h5")["format"] == "ssc"


def test_download_without_internet_names_files(tmp_path):
    import urllib.error

    import tonic.datasets

    def offline(self, *args, **kwargs):
        raise urllib.error.URLError("no internet")

    with mock.patch.object(tonic.datasets.SHD, "__init__", offline):
        with pytest.raises(
            DatasetError,
            match=r"shd_train\.h5\.zip \(md5 f3252aeb598ac776c1b526422d90eecb\) from https://zenkelab",
        ):
            load_shd(tmp_path, "train", download=True)
