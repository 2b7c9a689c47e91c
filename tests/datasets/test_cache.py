"""Binned cache: reuse, invalidation by parameters and source, corruption, interrupted writes."""

from __future__ import annotations

import os

import h5py
import numpy as np
import pytest

from spikesim.datasets import DenseDataset, DenseTransform, cached, load_shd
from spikesim.datasets.cache import cache_key

T1 = DenseTransform(dt_us=1000, n_bins=1000, pool=5)


def entries(root):
    return sorted(p.name for p in root.iterdir())


def test_matches_uncached_and_reuses_entry(shd_root, tmp_path):
    ds = load_shd(shd_root)
    root = tmp_path / "cache"
    a = cached(ds, T1, root)
    direct = DenseDataset(ds, T1)
    for i in range(len(ds)):
        x, y, n = a[i]
        np.testing.assert_array_equal(x, direct[i][0])
        assert x.dtype == np.float32 and y == direct[i][1] and n == 1000
    mtime = a.path.stat().st_mtime_ns
    assert cached(ds, T1, root).path == a.path and a.path.stat().st_mtime_ns == mtime
    assert entries(root) == [a.path.name]


def test_every_parameter_changes_the_key(shd_root):
    identity = load_shd(shd_root).cache_identity()
    variants = [
        T1,
        DenseTransform(dt_us=2000, n_bins=1000, pool=5),
        DenseTransform(dt_us=1000, n_bins=999, pool=5),
        DenseTransform(dt_us=1000, max_bins=1000, pool=5),
        DenseTransform(dt_us=1000, n_bins=1000, pool=1),
        DenseTransform(dt_us=1000, n_bins=1000, pool=5, merge_polarity=True),
        DenseTransform(dt_us=1000, n_bins=1000, pool=5, crop=(28, 28)),
        DenseTransform(dt_us=1000, n_bins=1000, pool=5, downsample=2),
        DenseTransform(dt_us=1000, n_bins=1000, pool=5, first_saccade_only=True),
    ]
    keys = {cache_key(identity, t) for t in variants}
    assert len(keys) == len(variants)


def test_changed_params_never_reuse(shd_root, tmp_path):
    ds = load_shd(shd_root)
    a = cached(ds, T1, tmp_path)
    b = cached(ds, DenseTransform(dt_us=500, n_bins=2000, pool=5), tmp_path)
    assert a.path != b.path and b[0][0].shape == (2000, 140)


def test_changed_source_file_rebuilds(shd_root, tmp_path, write_shd):

    ds = load_shd(shd_root)
    a = cached(ds, T1, tmp_path / "c")
    assert a[0][0].sum() == 4
    ds.close()
    path = shd_root / "SHD" / "shd_train.h5"
    write_shd(path, [[0.1], [0.2]], [[1], [2]], [3, 17])  # same name, new content
    os.utime(path, ns=(a.path.stat().st_mtime_ns, a.path.stat().st_mtime_ns + 10**9))
    b = cached(load_shd(shd_root), T1, tmp_path / "c")
    assert b.path != a.path and b[0][0].sum() == 1


def test_corrupt_entry_detected_and_rebuilt(shd_root, tmp_path):
    ds = load_shd(shd_root)
    a = cached(ds, T1, tmp_path)
    with h5py.File(a.path, "r+") as f:
        f["frames"][5, 0] = 7  # silent bit rot
    with pytest.warns(UserWarning, match="corrupt cache entry .*checksum mismatch"):
        b = cached(ds, T1, tmp_path)
    assert b[0][0][5, 0] == 0 and b[0][0].sum() == 4
    b.path.write_bytes(b.path.read_bytes()[:100])  # truncated file
    with pytest.warns(UserWarning, match="unreadable"):
        c = cached(ds, T1, tmp_path)
    assert c[0][0].sum() == 4


def test_interrupted_write_leaves_no_file(shd_root, tmp_path, monkeypatch):
    ds = load_shd(shd_root)
    calls = []

    def failing(self, events, sensor_size):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C mid-build
        return np.zeros((3, 140), np.float32)

    monkeypatch.setattr(DenseTransform, "__call__", failing)
    with pytest.raises(KeyboardInterrupt):
        cached(ds, T1, tmp_path / "c")
    assert entries(tmp_path / "c") == []
    monkeypatch.undo()
    assert cached(ds, T1, tmp_path / "c")[0][0].sum() == 4
