"""One ``spikesim run``: config -> data -> training -> export -> backend evaluation -> reports.

Files under ``out`` (rank 0 only, each written atomically): ``config.yaml`` (resolved
config), ``invocation.json`` (data dir, device, backends: what ``--resume`` reuses),
``checkpoint.pt`` (every epoch), ``metrics.json`` (every epoch, completed at the end),
``model.h5`` (exported IR), ``learning_curve.png`` and ``raster.png``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

import spikesim
from spikesim._version import __version__
from spikesim.errors import ConfigError
from spikesim.io.atomic import atomic_open
from spikesim.torch.export import to_graph
from spikesim.train import distributed, report
from spikesim.train.backends import evaluate_backends, simulate
from spikesim.train.build import build_model
from spikesim.train.config import RunConfig, from_dict
from spikesim.train.data import load_data
from spikesim.train.loop import CHECKPOINT, TrainState, selection, train

CONFIG_FILE = "config.yaml"
INVOCATION_FILE = "invocation.json"


@dataclass
class Outcome:
    """What ``execute`` returns on every rank: whether all epochs ran, and rank 0's metrics."""

    finished: bool
    metrics: dict[str, Any] | None = None


@dataclass
class Invocation:
    """Options of a run that are not part of the model config."""

    data_dir: str | None = None
    device: str = "cpu"
    eval_backends: list[str] = field(default_factory=lambda: ["reference"])


def write_json(path: Path, payload: dict[str, Any]) -> None:
    with atomic_open(path, "w") as handle:
        json.dump(payload, handle, indent=1, sort_keys=True)


def read_run_dir(out: Path) -> tuple[RunConfig, Invocation]:
    """The resolved config and invocation of an existing run folder (for ``--resume``)."""
    cfg_path, inv_path = out / CONFIG_FILE, out / INVOCATION_FILE
    for path in (cfg_path, inv_path, out / CHECKPOINT):
        if not path.is_file():
            raise ConfigError(f"--resume {out}: missing {path.name}; is this a spikesim run folder?")
    cfg = from_dict(yaml.safe_load(cfg_path.read_text()), str(cfg_path))
    inv = Invocation(**json.loads(inv_path.read_text()))
    return cfg, inv


def execute(
    cfg: RunConfig,
    inv: Invocation,
    out: Path,
    resume: bool = False,
    stop_after: int | None = None,
    quiet: bool = False,
    dist_info: distributed.DistInfo | None = None,
) -> Outcome:
    """Run training end to end. ``Outcome.metrics`` is None when stopped early or not rank 0.

    ``dist_info``: an already joined process group (the CLI joins once for several runs);
    by default this call joins the one torchrun describes, if any, and leaves it at the end.
    """
    if inv.device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: no CUDA device is available here; use --device cpu")
    if dist_info is not None:
        return _execute(cfg, inv, out, resume, stop_after, quiet, dist_info)
    dist_info = distributed.init(inv.device)
    try:
        return _execute(cfg, inv, out, resume, stop_after, quiet, dist_info)
    finally:
        distributed.shutdown(dist_info)


def _execute(cfg, inv, out, resume, stop_after, quiet, dist_info) -> Outcome:
    if cfg.train.threads:
        torch.set_num_threads(cfg.train.threads)
    main = dist_info.is_main
    if main and not resume:
        out.mkdir(parents=True, exist_ok=True)
        with atomic_open(out / CONFIG_FILE, "w") as handle:
            yaml.safe_dump(cfg.to_dict(), handle, sort_keys=False)
        write_json(out / INVOCATION_FILE, inv.__dict__)
    distributed.barrier(dist_info)
    started = time.perf_counter()
    data = load_data(cfg.data, inv.data_dir, cfg.train.seed)
    torch.manual_seed(cfg.train.seed)
    model = build_model(cfg, data.n_features, data.n_classes).to(inv.device)
    progress = report.Progress(main and report.interactive(quiet), main and not quiet)
    provenance = {
        "spikesim_version": __version__, "config": cfg.to_dict(), "seed": cfg.train.seed,
        "dataset": {"name": cfg.data.dataset, "source": data.source, "sha256": data.digest,
                    "n_train": len(data.train), "n_val": len(data.val), "n_test": len(data.test)},
        "world_size": dist_info.world_size, "device": inv.device, "threshold": "v > v_th (strict)",
    }

    def on_epoch(state: TrainState) -> None:
        if main:
            write_json(out / "metrics.json", {"name": cfg.name, **provenance, "epochs": state.history,
                                              "selection": selection(state.history), "complete": False})

    try:
        state = train(model, data, cfg, out, dist_info, inv.device, resume, stop_after, progress, on_epoch)
    finally:
        progress.close()
    if state.epoch < cfg.train.epochs or not main:
        return Outcome(state.epoch >= cfg.train.epochs)
    model = model.cpu()
    graph = to_graph(model, {k: v for k, v in provenance.items() if k != "world_size"})
    spikesim.save(graph, out / "model.h5")
    backend_report = evaluate_backends(graph, model, data.test, inv.eval_backends)
    metrics = {
        "name": cfg.name, **provenance, "epochs": state.history, "selection": selection(state.history),
        "backends": backend_report, "complete": True, "seconds": time.perf_counter() - started,
    }
    write_json(out / "metrics.json", metrics)
    report.learning_curve(state.history, out / "learning_curve.png")
    _raster(graph, data.test, out / "raster.png")
    return Outcome(True, metrics)


def _raster(graph, test, path: Path) -> None:
    spiking = [n for n, p in graph.populations() if p.spiking]
    sim = spikesim.compile(graph, backend="reference", record={n: ["spikes"] for n in spiking})
    result = simulate(sim, graph, test.x[:1].double().numpy())
    spikes = {n: np.asarray(result.spikes[n])[:, 0] for n in spiking}
    report.raster(spikes, graph.dt, int(test.y[0]), path)
