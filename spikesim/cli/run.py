"""``spikesim run PRESET_OR_CONFIG``: train, export ``model.h5`` and evaluate it on backends.

    spikesim run shd-delays                       # bundled shd-synth data, a few minutes on a CPU
    spikesim run shd-delays --data-dir ~/data/SHD --epochs 150 --out runs/shd
    spikesim run --resume runs/shd                # continue an interrupted run
    spikesim run shd-delays --nproc 2             # DDP on 2 local processes (torchrun)
    torchrun --standalone --nproc-per-node 2 -m spikesim run shd-delays
"""

from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path

#: Options that change the config and so cannot be combined with --resume.
_CONFIG_OPTIONS = ("config", "data_dir", "epochs", "batch_size", "seed", "device", "eval_backends", "out")


def register(subparsers) -> None:
    """Add the ``run`` subcommand."""
    p = subparsers.add_parser("run", help="train a network (presets: shd-delays, shd-nodelay, nmnist-delays)")
    p.add_argument("config", nargs="?", help="preset name or a .yaml/.toml config file")
    p.add_argument("--data-dir", help="dataset folder (default: the bundled synthetic data)")
    p.add_argument("--epochs", type=int, help="override train.epochs")
    p.add_argument("--batch-size", type=int, help="override train.batch_size (the global batch)")
    p.add_argument("--seed", type=int, help="override train.seed")
    p.add_argument("--device", choices=("cpu", "cuda"), help="training device (default cpu)")
    p.add_argument("--eval-backends", help="comma-separated backends for the final test (default: reference)")
    p.add_argument("--out", help="run folder (default: runs/<config name>)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the interrupted run in RUN_DIR")
    p.add_argument("--nproc", type=int, default=1, help="data-parallel processes (torchrun, gloo on CPU)")
    p.add_argument("--compare-nodelay", action="store_true", help="also train with delays fixed at 0 and print both accuracies")
    p.add_argument("--stop-after", type=int, metavar="N", help="stop after N epochs in this call (resume later)")
    p.add_argument("--quiet", action="store_true", help="no progress output; print only the final accuracies")
    p.set_defaults(func=_run)


def _argv_without_nproc(argv: list[str]) -> list[str]:
    out, skip = [], False
    for item in argv:
        if skip:
            skip = False
        elif item == "--nproc":
            skip = True
        elif not item.startswith("--nproc="):
            out.append(item)
    return out


def _run(args) -> int:
    from spikesim.errors import ConfigError

    if args.nproc < 1:
        raise ConfigError(f"--nproc {args.nproc}: expected >= 1")
    if args.nproc > 1 and "WORLD_SIZE" not in os.environ:
        from spikesim.train.distributed import launch

        return launch(args.nproc, _argv_without_nproc(sys.argv[1:]))
    from spikesim.train.config import resolve
    from spikesim.train.runner import Invocation, execute, read_run_dir

    if args.resume:
        given = [f"--{k.replace('_', '-')}" if k != "config" else "CONFIG" for k in _CONFIG_OPTIONS if getattr(args, k)]
        if given:
            raise ConfigError(f"--resume continues a run with its saved config; drop {', '.join(given)}")
        out = Path(args.resume)
        cfg, inv = read_run_dir(out)
    else:
        if not args.config:
            raise ConfigError("run: give a preset (shd-delays, shd-nodelay, nmnist-delays), a config file, or --resume RUN_DIR")
        overrides = {"train": {k: getattr(args, k) for k in ("epochs", "batch_size", "seed") if getattr(args, k) is not None}}
        cfg = resolve(args.config, bundled=args.data_dir is None, overrides=overrides)
        backends = [b.strip() for b in (args.eval_backends or "reference").split(",") if b.strip()]
        inv = Invocation(args.data_dir, args.device or "cpu", backends)
        out = Path(args.out or Path("runs") / cfg.name)
    from spikesim.train import distributed

    dist_info = distributed.init(inv.device)  # joined once: the comparison run reuses the group
    try:
        outcome = execute(cfg, inv, out, bool(args.resume), args.stop_after, args.quiet, dist_info)
        compare = args.compare_nodelay and outcome.finished
        nodelay = _nodelay(cfg, inv, out, args.quiet, dist_info) if compare else None
    finally:
        distributed.shutdown(dist_info)
    metrics = outcome.metrics
    if metrics is None:
        return 0  # not rank 0, or stopped early: the checkpoint holds the state
    if nodelay is not None:
        from spikesim.train.runner import write_json

        metrics["nodelay"] = nodelay
        write_json(out / "metrics.json", metrics)
    _print_summary(metrics, args.quiet)
    return 0


def _nodelay(cfg, inv, out: Path, quiet: bool, dist_info) -> dict | None:
    """Train the same network with delays fixed at 0 (taps = 1) into ``out/nodelay``."""
    from spikesim.train.loop import selection
    from spikesim.train.runner import execute

    base = copy.deepcopy(cfg)
    base.name = f"{cfg.name}-nodelay"
    base.model.taps, base.model.learn_delays = 1, False
    if not quiet and dist_info.is_main:
        print(f"-- comparison run without delays: {out / 'nodelay'}", flush=True)
    result = execute(base, inv, out / "nodelay", quiet=quiet, dist_info=dist_info).metrics
    return None if result is None else {**selection(result["epochs"]), "backends": result["backends"]}


def _print_summary(metrics: dict, quiet: bool) -> None:
    from spikesim.train.report import summary_table

    sel = metrics["selection"]
    if quiet:
        line = {"test_acc_last": sel["last_test_acc"], "test_acc_val_selected": sel.get("val_selected_test_acc")}
        if "nodelay" in metrics:
            line["nodelay_test_acc_last"] = metrics["nodelay"]["last_test_acc"]
        print(json.dumps(line))
        return
    print(summary_table(metrics))
    if "nodelay" in metrics:
        print(f"test accuracy (last epoch): delays {sel['last_test_acc']:.4f} vs no delays {metrics['nodelay']['last_test_acc']:.4f}")
