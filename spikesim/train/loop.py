"""The training loop: epochs of Adam steps, per-epoch validation/test, atomic checkpoints, resume.

Determinism: the shuffle order and the dropout stream of epoch ``e`` are derived from
``(seed, e)`` (and the rank), never from a running RNG, so a resumed run replays exactly
what an uninterrupted one would. The checkpoint stores model, optimiser and scheduler state
dicts, the finished-epoch count and the metrics history; it loads with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from spikesim.errors import ConfigError
from spikesim.io.atomic import atomic_path
from spikesim.torch.network import DelayNet, sum_softmax
from spikesim.torch.schedule import sigma_at_epoch
from spikesim.train.config import RunConfig
from spikesim.train.data import Data, Split
from spikesim.train.distributed import DistInfo

CHECKPOINT = "checkpoint.pt"
_EPOCH_SEED_STRIDE = 1_000_003  # keeps (seed, epoch) streams apart


def epoch_seed(seed: int, epoch: int, rank: int = 0) -> int:
    """RNG seed of ``epoch`` (shuffle: rank 0 on every rank; dropout: per rank)."""
    return (seed * _EPOCH_SEED_STRIDE + epoch) * 1009 + rank


@dataclass
class Optimisation:
    """Weight optimiser (Adam + OneCycle per batch) and position optimiser (Adam + cosine per epoch)."""

    weights: torch.optim.Optimizer
    weight_schedule: torch.optim.lr_scheduler.LRScheduler
    positions: torch.optim.Optimizer | None
    position_schedule: torch.optim.lr_scheduler.LRScheduler | None

    def state_dict(self) -> dict[str, Any]:
        out = {"weights": self.weights.state_dict(), "weight_schedule": self.weight_schedule.state_dict()}
        if self.positions is not None:
            out["positions"] = self.positions.state_dict()
            out["position_schedule"] = self.position_schedule.state_dict()
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.weights.load_state_dict(state["weights"])
        self.weight_schedule.load_state_dict(state["weight_schedule"])
        if self.positions is not None:
            self.positions.load_state_dict(state["positions"])
            self.position_schedule.load_state_dict(state["position_schedule"])


def make_optimisation(model: DelayNet, cfg: RunConfig, steps_per_epoch: int) -> Optimisation:
    """Adam on weights (weight decay on projection weights only, not BN) and on positions."""
    t = cfg.train
    decay = [s.weight for s in model.synapses()]
    positions = [s.position for s in model.synapses() if s.position.requires_grad]
    ids = {id(p) for p in decay + positions} | {id(s.position) for s in model.synapses()}
    no_decay = [p for p in model.parameters() if id(p) not in ids and p.requires_grad]
    groups = [{"params": decay, "weight_decay": t.weight_decay}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    weights = torch.optim.Adam(groups, lr=t.lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        weights, max_lr=t.max_lr, total_steps=max(2, t.epochs * steps_per_epoch)
    )
    if not positions:
        return Optimisation(weights, schedule, None, None)
    pos_opt = torch.optim.Adam(positions, lr=t.position_lr)
    pos_schedule = torch.optim.lr_scheduler.CosineAnnealingLR(pos_opt, T_max=t.epochs)
    return Optimisation(weights, schedule, pos_opt, pos_schedule)


def batches(n: int, batch_size: int, order: np.ndarray | None, drop_last: bool):
    """Index arrays of consecutive batches (of ``order`` or 0..n-1)."""
    order = np.arange(n) if order is None else order
    for start in range(0, n, batch_size):
        chunk = order[start : start + batch_size]
        if drop_last and len(chunk) < batch_size:
            return
        yield chunk


def loss_and_correct(v: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy of ``sum_softmax(v)`` and the number of correct predictions."""
    m = sum_softmax(v)
    return F.cross_entropy(m, y), (m.argmax(1) == y).sum()


@torch.no_grad()
def evaluate(model: DelayNet, split: Split, batch_size: int, device: str) -> dict[str, float]:
    """Loss and accuracy in evaluation mode (integer delays, folded BatchNorm)."""
    was_training = model.training
    model.eval()
    total_loss, correct = 0.0, 0
    for idx in batches(len(split), batch_size, None, False):
        x, y = split.x[idx].to(device), split.y[idx].to(device)
        loss, right = loss_and_correct(model(x.to(_dtype(model))), y)
        total_loss += float(loss) * len(idx)
        correct += int(right)
    model.train(was_training)
    n = max(1, len(split))
    return {"loss": total_loss / n, "acc": correct / n}


def _dtype(model: torch.nn.Module) -> torch.dtype:
    return next(model.parameters()).dtype


@dataclass
class TrainState:
    """Everything a checkpoint restores."""

    epoch: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)


def save_checkpoint(path: Path, model: DelayNet, opt: Optimisation, state: TrainState, cfg: RunConfig) -> None:
    """Write the checkpoint atomically (tensors and JSON strings only)."""
    payload = {
        "format": "spikesim-checkpoint-1",
        "epoch": state.epoch,
        "model": model.state_dict(),
        "optim": opt.state_dict(),
        "history": json.dumps(state.history),
        "config": json.dumps(cfg.to_dict(), sort_keys=True),
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_checkpoint(path: Path, model: DelayNet, opt: Optimisation, cfg: RunConfig) -> TrainState:
    """Restore model and optimisers from ``path`` (``weights_only=True``)."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if payload.get("format") != "spikesim-checkpoint-1":
        raise ConfigError(f"{path}: not a spikesim checkpoint")
    if json.loads(payload["config"]) != json.loads(json.dumps(cfg.to_dict(), sort_keys=True)):
        raise ConfigError(f"{path}: the checkpoint was written for a different config than {path.parent / 'config.yaml'}")
    model.load_state_dict(payload["model"])
    opt.load_state_dict(payload["optim"])
    return TrainState(int(payload["epoch"]), json.loads(payload["history"]))


EpochHook = Callable[[TrainState], None]


def train(
    model: DelayNet,
    data: Data,
    cfg: RunConfig,
    out: Path,
    dist_info: DistInfo,
    device: str = "cpu",
    resume: bool = False,
    stop_after: int | None = None,
    progress=None,
    on_epoch: EpochHook | None = None,
) -> TrainState:
    """Train for ``cfg.train.epochs`` epochs (or until ``stop_after`` epochs ran in this call).

    Rank 0 writes ``out/checkpoint.pt`` after every epoch; ``on_epoch`` is called on every rank.
    """
    t = cfg.train
    world, rank = dist_info.world_size, dist_info.rank
    if world > 1 and (t.batch_size % world or not t.drop_last):
        raise ConfigError(
            f"train.batch_size = {t.batch_size} with {world} processes: DDP needs a batch size "
            "divisible by the number of processes and train.drop_last = true"
        )
    n_train = len(data.train)
    steps = n_train // t.batch_size if t.drop_last else -(-n_train // t.batch_size)
    if steps < 1:
        raise ConfigError(f"train.batch_size = {t.batch_size} exceeds the {n_train} training samples with drop_last")
    opt = make_optimisation(model, cfg, steps)
    state = TrainState()
    ckpt = out / CHECKPOINT
    if resume:
        state = load_checkpoint(ckpt, model, opt, cfg)
    net = DistributedDataParallel(model) if dist_info.enabled else model
    local = t.batch_size // world if world > 1 else t.batch_size
    ran = 0
    while state.epoch < t.epochs and (stop_after is None or ran < stop_after):
        epoch = state.epoch
        started = time.perf_counter()
        sigma = sigma_at_epoch(epoch, t.epochs, cfg.model.taps)
        model.set_sigma(sigma)
        model.train()
        order = np.random.default_rng(epoch_seed(t.seed, epoch)).permutation(n_train)
        torch.manual_seed(epoch_seed(t.seed, epoch, rank))
        total_loss, correct, seen = 0.0, 0, 0
        task = progress.start(f"epoch {epoch + 1}/{t.epochs}", steps) if progress else None
        for idx in batches(n_train, t.batch_size, order, t.drop_last):
            mine = idx[rank * local : (rank + 1) * local] if world > 1 else idx
            x, y = data.train.x[mine].to(device), data.train.y[mine].to(device)
            loss, right = loss_and_correct(net(x), y)
            opt.weights.zero_grad(set_to_none=True)
            if opt.positions is not None:
                opt.positions.zero_grad(set_to_none=True)
            loss.backward()
            opt.weights.step()
            if opt.positions is not None:
                opt.positions.step()
            model.clamp_positions()
            opt.weight_schedule.step()
            total_loss += float(loss.detach()) * len(mine)
            correct += int(right)
            seen += len(mine)
            if task is not None:
                progress.advance(task)
        if opt.position_schedule is not None:
            opt.position_schedule.step()
        total_loss, correct, seen = _sum_over_ranks(dist_info, total_loss, correct, seen)
        record = {"epoch": epoch + 1, "sigma": sigma if cfg.model.taps > 1 else None,
                  "train_loss": total_loss / seen, "train_acc": correct / seen}
        for name, split in (("val", data.val), ("test", data.test)):
            if len(split):
                metrics = evaluate(model, split, max(local, 64), device)
                record[f"{name}_loss"], record[f"{name}_acc"] = metrics["loss"], metrics["acc"]
        record["seconds"] = time.perf_counter() - started
        if progress:
            progress.finish(task, record)
        state.history.append(record)
        state.epoch = epoch + 1
        ran += 1
        if dist_info.is_main:
            save_checkpoint(ckpt, model, opt, state, cfg)
        if on_epoch is not None:
            on_epoch(state)
    return state


def _sum_over_ranks(dist_info: DistInfo, *values: float) -> tuple[float, ...]:
    """Sum per-rank training statistics so the record covers the global batches."""
    if not dist_info.enabled:
        return values
    totals = torch.tensor(values, dtype=torch.float64)
    torch.distributed.all_reduce(totals)
    return tuple(totals.tolist())


def selection(history: list[dict[str, Any]]) -> dict[str, Any]:
    """Honest summary: test accuracy at the best-validation epoch, and at the last epoch.

    Ties in validation accuracy go to the earliest epoch. Best-on-test is never reported.
    """
    last = history[-1]
    out: dict[str, Any] = {"last_epoch": last["epoch"], "last_test_acc": last.get("test_acc")}
    with_val = [h for h in history if "val_acc" in h]
    if with_val:
        best = max(with_val, key=lambda h: (h["val_acc"], -h["epoch"]))
        out.update(val_best_epoch=best["epoch"], val_best_acc=best["val_acc"], val_selected_test_acc=best.get("test_acc"))
    return out
