"""N-MNIST loader: hand-encoded and real files, tonic cross-check, bad input."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest

from spikesim.datasets import load_nmnist
from spikesim.datasets.nmnist import encode_events, read_bin, write_bin
from spikesim.errors import DatasetError


def test_decodes_hand_encoded(nmnist_root):
    ds = load_nmnist(nmnist_root, "train")
    assert len(ds) == 3 and ds.labels.tolist() == [1, 1, 7]
    events, label = ds[0]
    assert events.dtype.names == ("x", "y", "t", "p")
    assert events.tolist() == [(0, 0, 0, 1), (33, 33, 300000, 0), (10, 20, 8388607, 1)]
    assert label == 1 and ds.sensor_size == (34, 34, 2)
    assert load_nmnist(nmnist_root, "test")[0][1] == 0


def test_first_saccade_only(nmnist_root):
    ds = load_nmnist(nmnist_root, "train", first_saccade_only=True)
    assert ds[2][0].tolist() == [(1, 2, 99999, 1)]


def test_encoder_round_trip(tmp_path, enc):
    events = np.array(
        [(0, 0, 0, 1), (33, 33, 300000, 0), (10, 20, 8388607, 1)],
        dtype=[("x", int), ("y", int), ("t", int), ("p", int)],
    )
    assert encode_events(events) == enc(0, 0, 1, 0) + enc(33, 33, 0, 300000) + enc(
        10, 20, 1, 8388607
    )
    write_bin(tmp_path / "a.bin", events)
    np.testing.assert_array_equal(read_bin(tmp_path / "a.bin"), events)


def test_real_sample_matches_its_readme(real_data):
    path = real_data / "nmnist_sample_label_unknown.bin"
    if not path.exists():
        pytest.skip(f"real sample folder absent: {real_data}")
    assert path.read_bytes()[:5] == bytes.fromhex("070F80028E")
    events = read_bin(path)
    assert len(events) == 4325
    assert events[0].tolist() == (7, 15, 654, 1)
    assert events["t"].min() == 654 and events["t"].max() == 311175
    assert (events["p"] == 0).sum() == 2180 and (events["p"] == 1).sum() == 2145
    assert events["x"].max() <= 33 and events["y"].max() <= 33
    assert np.all(np.diff(events["t"]) >= 0)


def test_identical_to_tonic(nmnist_root, assert_same_samples):
    import tonic.datasets

    ours = load_nmnist(nmnist_root, "train")
    with mock.patch.object(tonic.datasets.NMNIST, "_check_exists", return_value=True):
        theirs = tonic.datasets.NMNIST(str(nmnist_root), train=True)
    assert_same_samples(ours, theirs)


def test_length_not_multiple_of_five(tmp_path, enc):
    path = tmp_path / "Train" / "3" / "x.bin"
    path.parent.mkdir(parents=True)
    path.write_bytes(enc(1, 2, 1, 3) + enc(4, 5, 0, 6) + b"\x01\x02")
    with pytest.raises(
        DatasetError, match=r"x\.bin: length 12 bytes .*byte offset 10 is truncated"
    ):
        load_nmnist(tmp_path, "train")[0]


def test_label_folder_out_of_range(tmp_path, enc):
    (tmp_path / "Train" / "12").mkdir(parents=True)
    (tmp_path / "Train" / "12" / "a.bin").write_bytes(enc(1, 1, 1, 1))
    with pytest.raises(DatasetError, match=r"Train/12: class folder name '12' is out of range"):
        load_nmnist(tmp_path, "train")


def test_decreasing_timestamps_sorted_or_rejected(tmp_path, enc):
    folder = tmp_path / "Test" / "4"
    folder.mkdir(parents=True)
    (folder / "a.bin").write_bytes(enc(1, 1, 1, 50) + enc(2, 2, 0, 10))
    assert load_nmnist(tmp_path, "test")[0][0]["t"].tolist() == [10, 50]
    with pytest.raises(DatasetError, match=r"a\.bin: sample 0 has decreasing timestamps"):
        load_nmnist(tmp_path, "test", unsorted="error")[0]


def test_empty_sample(tmp_path):
    folder = tmp_path / "Test" / "4"
    folder.mkdir(parents=True)
    (folder / "a.bin").write_bytes(b"")
    with pytest.raises(DatasetError, match=r"a\.bin: sample 0 is empty"):
        load_nmnist(tmp_path, "test")[0]


def test_missing_split_names_archive_md5_url(tmp_path):
    with pytest.raises(DatasetError) as err:
        load_nmnist(tmp_path, "train")
    msg = str(err.value)
    assert "train.zip" in msg and "20959b8e626244a1b502305a9e6e2031" in msg
    assert "https://data.mendeley.com/public-files/datasets/468j46mzdv/files/" in msg


def test_stale_temp_files_ignored(nmnist_root):
    (nmnist_root / "NMNIST" / "Train" / "1" / ".00009.bin.abc.tmp").write_bytes(b"\x00")
    assert len(load_nmnist(nmnist_root, "train")) == 3
