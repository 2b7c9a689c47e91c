"""Batches for training: dense samples, zero-padding collation, numpy and torch loaders.

A batch is ``(x, y, lengths)``: ``x`` [B, T, C] float32 zero-padded to the longest sample
(or to ``max_len`` steps), ``y`` [B] int64 labels, ``lengths`` [B] int64 true lengths in steps.

``torch_loader`` wraps a dataset in a ``torch.utils.data.DataLoader`` (torch imported lazily).
Datasets here open their HDF5 files lazily in each worker, and workers start with ``spawn``:
forking a process whose numba threads are running can deadlock.

Public API: ``DenseDataset``, ``collate``, ``iterate_batches``, ``torch_loader``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from spikesim.datasets.transforms import DenseTransform


class DenseDataset:
    """Bin an event dataset on the fly. ``ds[i] -> (x [T, C] float32, label, T)``; no cache."""

    def __init__(self, dataset, transform: DenseTransform):
        self.dataset = dataset
        self.transform = transform
        self.labels = np.asarray(dataset.labels)
        self.n_features = transform.n_features(dataset.sensor_size)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[np.ndarray, int, int]:
        events, label = self.dataset[index][:2]
        x = self.transform(events, self.dataset.sensor_size)
        return x, int(label), len(x)


def collate(
    samples: Sequence[tuple[np.ndarray, int, int]], max_len: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack ``(x [T_i, C], label, T_i)`` samples into ``(x [B, T, C], y [B], lengths [B])``.

    ``T`` is the longest ``T_i``, or ``max_len`` steps (longer samples are cut, and their
    length reported as ``max_len``).
    """
    lengths = np.array([len(s[0]) for s in samples], dtype=np.int64)
    steps = int(lengths.max()) if max_len is None else max_len
    lengths = np.minimum(lengths, steps)
    x = np.zeros((len(samples), steps, samples[0][0].shape[1]), dtype=np.float32)
    for row, (sample, length) in enumerate(zip(samples, lengths)):
        x[row, :length] = sample[0][:length]
    y = np.array([s[1] for s in samples], dtype=np.int64)
    return x, y, lengths


def iterate_batches(
    dataset,
    batch_size: int,
    shuffle: bool = False,
    seed: int = 0,
    drop_last: bool = False,
    max_len: int | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield numpy batches ``(x [B, T, C] float32, y [B] int64, lengths [B])`` in one process."""
    order = np.arange(len(dataset))
    if shuffle:
        np.random.default_rng(seed).shuffle(order)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        if drop_last and len(chunk) < batch_size:
            return
        yield collate([dataset[int(i)] for i in chunk], max_len)


def _torch_collate(samples, max_len=None):
    import torch

    x, y, lengths = collate(samples, max_len)
    return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(lengths)


def torch_loader(
    dataset,
    batch_size: int,
    shuffle: bool = False,
    num_workers: int = 0,
    seed: int = 0,
    drop_last: bool = False,
    max_len: int | None = None,
):
    """A ``torch.utils.data.DataLoader`` yielding torch ``(x [B,T,C] float32, y [B] int64, lengths)``.

    Workers (``num_workers > 0``) use the ``spawn`` start method and open HDF5 files lazily.
    """
    import functools

    import torch
    from torch.utils.data import DataLoader

    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=num_workers,
        drop_last=drop_last,
        generator=generator,
        collate_fn=functools.partial(_torch_collate, max_len=max_len),
        multiprocessing_context="spawn" if num_workers > 0 else None,
        persistent_workers=num_workers > 0,
    )
