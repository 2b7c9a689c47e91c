"""Data-parallel training with ``torch.distributed`` (DDP), launched by the standard ``torchrun``.

``spikesim run ... --nproc N`` re-executes itself under ``torch.distributed.run --standalone``
(the module behind ``torchrun``); ``torchrun -m spikesim run ...`` works the same. Each rank
gets a contiguous slice of every global batch; DDP averages gradients, so with BatchNorm and
dropout off the update equals a single-process step over the same global batch. CPUs use
gloo, GPUs NCCL. Only rank 0 writes files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

#: Process-group timeout: a hung peer fails the run instead of blocking forever.
TIMEOUT = timedelta(minutes=10)


@dataclass(frozen=True)
class DistInfo:
    """This process's rank and the world size (1: not distributed)."""

    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init(device: str) -> DistInfo:
    """Join the process group torchrun describes in the environment (or stay single-process)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device == "cuda" else "gloo", timeout=TIMEOUT)
    if device == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    return DistInfo(dist.get_rank(), dist.get_world_size())


def shutdown(info: DistInfo) -> None:
    """Leave the process group."""
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()


def barrier(info: DistInfo) -> None:
    """Wait for every rank (no-op when single-process)."""
    if info.enabled:
        dist.barrier()


def launch(nproc: int, argv: list[str]) -> int:
    """Run ``python -m spikesim <argv>`` on ``nproc`` local processes through torchrun."""
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--standalone",
        f"--nproc-per-node={nproc}", "-m", "spikesim", *argv,
    ]
    return subprocess.call(cmd)
