"""Fixtures in the exact real on-disk formats (SHD HDF5, N-MNIST .bin, N-TIDIGITS HDF5)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

#: ``../shared/data/real`` beside the repository root; absent in an installed copy.
REAL_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real"


def enc(x: int, y: int, p: int, ts: int) -> bytes:
    """One N-MNIST record, written independently of spikesim's encoder."""
    return bytes([x, y, (p << 7) | ((ts >> 16) & 0x7F), (ts >> 8) & 0xFF, ts & 0xFF])


def write_shd(path: Path, times: list, units: list, labels, keys=None, speaker=None) -> Path:
    """An SHD-format file with vlen float16 times (s) and vlen uint16 units, as the real files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        t = f.create_dataset("spikes/times", (len(times),), dtype=h5py.vlen_dtype(np.float16))
        u = f.create_dataset("spikes/units", (len(units),), dtype=h5py.vlen_dtype(np.uint16))
        for i, (ti, ui) in enumerate(zip(times, units)):
            t[i] = ti
            u[i] = ui
        f["labels"] = np.asarray(labels, np.uint16)
        f["extra/keys"] = np.array(keys if keys is not None else [b"zero"] * 20)
        f["extra/speaker"] = np.asarray(
            speaker if speaker is not None else np.arange(len(labels)), np.uint16
        )
    return path


@pytest.fixture(name="write_shd")
def write_shd_fixture():
    """The SHD-format writer, as a fixture (tests cannot import conftest in importlib mode)."""
    return write_shd


@pytest.fixture(name="enc")
def enc_fixture():
    """The independent N-MNIST record encoder."""
    return enc


@pytest.fixture
def real_data() -> Path:
    """``../shared/data/real`` beside the repository root (may be absent)."""
    return REAL_DATA


@pytest.fixture
def shd_root(tmp_path: Path) -> Path:
    """formats.md's fixture: ``<root>/SHD/shd_train.h5`` with two samples."""
    write_shd(
        tmp_path / "SHD" / "shd_train.h5",
        [[0.0, 0.0005, 0.25, 0.9995], [0.1]],
        [[0, 5, 699, 3], [42]],
        [3, 17],
        speaker=[0, 1],
    )
    return tmp_path


@pytest.fixture
def nmnist_root(tmp_path: Path) -> Path:
    """``<root>/NMNIST/{Train,Test}/<digit>/*.bin`` with a few hand-encoded samples."""
    samples = {
        ("Train", 1, "00001.bin"): [(0, 0, 1, 0), (33, 33, 0, 300000), (10, 20, 1, 8388607)],
        ("Train", 1, "00002.bin"): [(5, 6, 0, 10), (7, 8, 1, 20)],
        ("Train", 7, "00003.bin"): [(1, 2, 1, 99999), (3, 4, 0, 100000)],
        ("Test", 0, "00004.bin"): [(12, 13, 1, 5)],
    }
    for (split, digit, name), events in samples.items():
        folder = tmp_path / "NMNIST" / split / str(digit)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"".join(enc(*e) for e in events))
    return tmp_path


@pytest.fixture
def ntidigits_file(tmp_path: Path) -> Path:
    """An N-TIDIGITS HDF5 with two single digits and one sequence per split."""
    path = tmp_path / "n-tidigits.hdf5"
    with h5py.File(path, "w") as f:
        for split in ("train", "test"):
            ids = [b"man-ab-o", b"woman-cd-z", b"man-ef-1z3"]
            f[f"{split}_labels"] = np.array(ids)
            for k, sample_id in enumerate(ids):
                f[f"{split}_addresses/{sample_id.decode()}"] = np.array([k, 63, 0], np.uint16)
                f[f"{split}_timestamps/{sample_id.decode()}"] = np.array(
                    [0.0, 0.0005, 0.5 + k], np.float16
                )
    return path


def _assert_same_samples(ours, theirs, check_dtype: bool = True) -> None:
    """Every (events, label) of ``ours`` equals tonic's, sample by sample."""
    assert len(theirs) == len(ours)
    for i in range(len(ours)):
        (a, ya), (b, yb) = ours[i], theirs[i]
        if check_dtype:
            assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
        assert ya == yb


@pytest.fixture(name="assert_same_samples")
def assert_same_samples_fixture():
    """The sample-by-sample comparison against a tonic dataset, as a fixture (test files
    cannot import conftest under ``--import-mode=importlib``)."""
    return _assert_same_samples
