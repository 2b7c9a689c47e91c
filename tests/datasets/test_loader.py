"""Collation, numpy batches and the torch loader (spawned workers, lazy HDF5)."""

from __future__ import annotations

import numpy as np
import pytest

from spikesim.datasets import (
    DenseDataset,
    DenseTransform,
    cached,
    collate,
    iterate_batches,
    load_shd,
)
from spikesim.datasets.loader import torch_loader


def test_collate_pads_and_reports_lengths():
    a = (np.ones((3, 2), np.float32), 4, 3)
    b = (np.full((5, 2), 2, np.float32), 7, 5)
    x, y, lengths = collate([a, b])
    assert x.shape == (2, 5, 2) and x.dtype == np.float32
    assert x[0, 3:].sum() == 0 and x[0, :3].sum() == 6 and x[1].sum() == 20
    assert y.dtype == np.int64 and y.tolist() == [4, 7] and lengths.tolist() == [3, 5]
    x, _, lengths = collate([a, b], max_len=4)
    assert x.shape == (2, 4, 2) and lengths.tolist() == [3, 4]


def test_iterate_batches(shd_root):
    ds = DenseDataset(load_shd(shd_root), DenseTransform(dt_us=10_000, max_bins=200, pool=5))
    batches = list(iterate_batches(ds, batch_size=2))
    assert len(batches) == 1
    x, y, lengths = batches[0]
    assert x.shape == (2, 100, 140) and y.tolist() == [3, 17] and lengths.tolist() == [100, 10]
    assert x.sum() == 5
    shuffled = [b[1].tolist() for b in iterate_batches(ds, 1, shuffle=True, seed=1)]
    assert sorted(sum(shuffled, [])) == [3, 17]


def test_torch_loader_in_process(shd_root, tmp_path):
    torch = pytest.importorskip("torch")
    ds = cached(load_shd(shd_root), DenseTransform(dt_us=10_000, pool=5), tmp_path)
    x, y, lengths = next(iter(torch_loader(ds, batch_size=2)))
    assert x.dtype == torch.float32 and y.dtype == torch.int64
    assert tuple(x.shape) == (2, 100, 140) and lengths.tolist() == [100, 10]


@pytest.mark.slow
def test_torch_loader_spawned_workers(shd_root, tmp_path):
    pytest.importorskip("torch")
    ds = DenseDataset(load_shd(shd_root), DenseTransform(dt_us=10_000, pool=5))
    ds.dataset[0]  # the parent's open handle must not travel to the workers
    loader = torch_loader(ds, batch_size=1, num_workers=2)
    assert loader.multiprocessing_context.get_start_method() == "spawn"
    assert sorted(int(y) for _, y, _ in loader) == [3, 17]
