"""Dense train / validation / test tensors for a run, built with ``spikesim.datasets``.

Every sample is binned at ``dt_ms`` into exactly ``n_steps`` bins (later events dropped,
shorter samples zero-padded), so batches never depend on their neighbours and the exported
graph sees the same input length. Binned splits are cached on disk by
``spikesim.datasets.cached`` and held in RAM as float32 ``[N, T, C]``.

SHD has no validation split: ``val_fraction`` of the training split (a permutation fixed by
the seed) is held out for model selection; the test split is never used to select anything.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch

from spikesim.datasets import DenseTransform, bundled, cached, load_nmnist, load_shd
from spikesim.errors import ConfigError
from spikesim.train.config import DATASETS, DataConfig


@dataclass
class Split:
    """Inputs ``x`` [N, T, C] float32 (spike counts) and labels ``y`` [N] int64."""

    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, index: np.ndarray) -> Split:
        idx = torch.as_tensor(index, dtype=torch.long)
        return Split(self.x[idx], self.y[idx])


@dataclass
class Data:
    """The three splits plus what provenance needs."""

    train: Split
    val: Split
    test: Split
    n_features: int
    n_classes: int
    source: str
    digest: str


def transform_for(cfg: DataConfig) -> DenseTransform:
    """The binning transform a data config describes."""
    return DenseTransform(
        dt_us=int(round(cfg.dt_ms * 1000)), n_bins=cfg.n_steps, pool=cfg.pool,
        crop=tuple(cfg.crop) if cfg.crop else None, downsample=cfg.downsample,
        merge_polarity=cfg.merge_polarity, first_saccade_only=cfg.first_saccade_only,
    )


def _load_split(cfg: DataConfig, root: Path, split: str, limit: int) -> tuple[Split, int]:
    dataset = load_shd(root, split) if cfg.dataset == "shd" else load_nmnist(root, split)
    binned = cached(dataset, transform_for(cfg))
    with h5py.File(binned.path, "r") as f:
        frames = f["frames"][()]
        labels = f["labels"][()]
    n = len(labels) if not limit else min(limit, len(labels))
    x = frames.reshape(len(labels), cfg.n_steps, -1)[:n].astype(np.float32)
    return Split(torch.from_numpy(x), torch.from_numpy(labels[:n].astype(np.int64))), len(dataset.classes)


def load_data(cfg: DataConfig, data_dir: str | Path | None, seed: int) -> Data:
    """Load ``cfg.dataset`` from ``data_dir``, or the bundled synthetic set when it is None."""
    root = Path(data_dir) if data_dir else bundled.ensure(DATASETS[cfg.dataset])
    if not root.exists():
        raise ConfigError(f"--data-dir {root}: no such folder")
    train_all, n_classes = _load_split(cfg, root, "train", cfg.train_limit)
    test, _ = _load_split(cfg, root, "test", cfg.test_limit)
    order = np.random.default_rng(seed).permutation(len(train_all))
    n_val = int(round(cfg.val_fraction * len(train_all)))
    val = train_all.subset(np.sort(order[:n_val]))
    train = train_all.subset(np.sort(order[n_val:]))
    digest = hashlib.sha256()
    for split in (train_all, test):
        digest.update(split.x.numpy().tobytes())
        digest.update(split.y.numpy().tobytes())
    return Data(train, val, test, train.x.shape[2], n_classes, str(root), digest.hexdigest())
