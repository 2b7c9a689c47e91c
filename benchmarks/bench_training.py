"""Training throughput and peak memory: spikesim.torch vs the DCLS paper's stack, side by side.

Same SHD-shaped model and batch on both (140 -> 256 -> 256 -> 20, 25 delay taps, BatchNorm,
dropout 0.4, ATan surrogate, sum-softmax loss, Adam), same threads. The paper's stack is
SpikingJelly's multi-step ``LIFNode`` (torch backend) and ``DCLS.construct.modules.Dcls1d``
(``version="gauss"``), wired as the paper's ``snn_delays.py`` (pad K-1 left, (K-1)//2 right).
Each measurement runs in a fresh subprocess so peak RSS is its own; stacks alternate over
``--repeats`` rounds (the median is reported) to even out load from other processes.

    python benchmarks/bench_training.py --batch 64 --steps 100 --iters 3 --repeats 2
    # the paper's stack is optional: put dcls and spikingjelly on PYTHONPATH, e.g.
    PYTHONPATH=/path/to/bench-deps python benchmarks/bench_training.py

Writes a markdown table to stdout (and to ``--out`` if given).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

CHANNELS, HIDDEN, CLASSES, TAPS = 140, 256, 20, 25


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _spikesim_model():
    from spikesim.train.build import build_model
    from spikesim.train.config import from_dict

    cfg = from_dict({"data": {"pool": 5}, "model": {"hidden": [HIDDEN, HIDDEN], "taps": TAPS}})
    model = build_model(cfg, CHANNELS, CLASSES)
    model.set_sigma(0.5)

    def forward(x):  # x [B, T, C] -> readout v [T', B, classes]
        return model(x)

    return model, forward, lambda: None


def _paper_model():
    import torch
    from DCLS.construct.modules import Dcls1d
    from spikingjelly.activation_based import functional, layer, neuron, surrogate
    from torch import nn

    def lif(threshold=1.0, store=False):
        return neuron.LIFNode(
            tau=1.005, v_threshold=threshold, decay_input=False, detach_reset=True,
            surrogate_function=surrogate.ATan(alpha=5.0), step_mode="m", store_v_seq=store,
        )

    def dcls(cin, cout):
        conv = Dcls1d(cin, cout, kernel_count=1, groups=1, dilated_kernel_size=TAPS, bias=False, version="gauss")
        with torch.no_grad():
            conv.SIG.fill_(0.23)  # sigma_eff = 0.5, the post-annealing width
            conv.SIG.requires_grad_(False)
        return conv

    class PaperNet(nn.Module):
        def __init__(self):
            super().__init__()
            sizes = [CHANNELS, HIDDEN, HIDDEN]
            self.convs = nn.ModuleList([dcls(a, b) for a, b in zip(sizes[:-1], sizes[1:])])
            self.bns = nn.ModuleList([layer.BatchNorm1d(HIDDEN, step_mode="m") for _ in sizes[1:]])
            self.lifs = nn.ModuleList([lif() for _ in sizes[1:]])
            self.drops = nn.ModuleList([layer.Dropout(0.4, step_mode="m") for _ in sizes[1:]])
            self.out_conv = dcls(HIDDEN, CLASSES)
            self.out_lif = lif(1e9, store=True)

        def forward(self, x):  # [B, T, C]
            h = x.permute(1, 0, 2)  # T, B, C
            for conv, bn, lif_, drop in zip(self.convs, self.bns, self.lifs, self.drops):
                h = conv(nn.functional.pad(h.permute(1, 2, 0), (TAPS - 1, (TAPS - 1) // 2)))
                h = drop(lif_(bn(h.permute(2, 0, 1).contiguous())))
            h = self.out_conv(nn.functional.pad(h.permute(1, 2, 0), (TAPS - 1, (TAPS - 1) // 2)))
            self.out_lif(h.permute(2, 0, 1).contiguous())
            return self.out_lif.v_seq

    model = PaperNet()
    return model, model, lambda: functional.reset_net(model)


def measure(stack: str, batch: int, steps: int, iters: int, threads: int) -> dict:
    """Train ``iters`` steps after one warm-up; samples/s and peak RSS growth (MiB)."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, forward, reset = _spikesim_model() if stack == "spikesim" else _paper_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    x = torch.poisson(torch.full((batch, steps, CHANNELS), 0.3), generator=g)
    y = torch.randint(0, CLASSES, (batch,), generator=g)

    def step():
        v = forward(x)
        loss = torch.nn.functional.cross_entropy(torch.softmax(v, -1).sum(0), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        reset()

    base = _rss_mib()
    step()  # warm-up (allocator, oneDNN primitives)
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(iters):
        step()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    # CPU seconds are reported beside wall time: on a shared machine they are far less noisy.
    return {"stack": stack, "samples_per_s": batch * iters / seconds, "samples_per_cpu_s": batch * iters / cpu,
            "peak_rss_mib": _rss_mib(), "rss_growth_mib": _rss_mib() - base, "seconds_per_step": seconds / iters}


def available(stack: str) -> str | None:
    """None if ``stack`` can run here, else why not."""
    if stack == "spikesim":
        return None
    try:
        import DCLS.construct.modules  # noqa: F401
        import spikingjelly.activation_based.neuron  # noqa: F401
    except ImportError as err:
        return f"not installed ({err})"
    return None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=100, help="input time steps (10 ms bins)")
    p.add_argument("--iters", type=int, default=3)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--out")
    args = p.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker, args.batch, args.steps, args.iters, args.threads)))
        return 0
    stacks = [s for s in ("spikesim", "paper") if available(s) is None]
    runs: dict[str, list[dict]] = {s: [] for s in stacks}
    for _ in range(args.repeats):
        for stack in stacks:
            cmd = [sys.executable, __file__, "--worker", stack, "--batch", str(args.batch), "--steps",
                   str(args.steps), "--iters", str(args.iters), "--threads", str(args.threads)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            runs[stack].append(json.loads(out.strip().splitlines()[-1]))
    lines = [
        f"batch {args.batch}, {args.steps} input steps, {args.iters} timed steps, {args.threads} threads, "
        f"median of {args.repeats} alternating runs",
        "",
        "| stack | samples/s (wall) | samples per CPU-second | s/step | peak RSS (MiB) | RSS growth in training (MiB) |",
        "|---|---|---|---|---|---|",
    ]
    names = {"spikesim": "spikesim.torch (lif_multistep + DelayedDense)", "paper": "SpikingJelly LIFNode + dcls Dcls1d"}
    med = {}
    for stack, results in runs.items():
        med[stack] = {k: statistics.median(r[k] for r in results) for k in results[0] if k != "stack"}
        m = med[stack]
        lines.append(f"| {names[stack]} | {m['samples_per_s']:.2f} | {m['samples_per_cpu_s']:.2f} | {m['seconds_per_step']:.2f} | "
                     f"{m['peak_rss_mib']:.0f} | {m['rss_growth_mib']:.0f} |")
    if "paper" not in runs:
        lines.append(f"| {names['paper']} | {available('paper')} | | | | |")
    else:
        speed = med["spikesim"]["samples_per_s"] / med["paper"]["samples_per_s"]
        cpu_speed = med["spikesim"]["samples_per_cpu_s"] / med["paper"]["samples_per_cpu_s"]
        mem = med["spikesim"]["rss_growth_mib"] / med["paper"]["rss_growth_mib"]
        lines += ["", f"spikesim / paper: {speed:.2f}x samples/s (wall), {cpu_speed:.2f}x samples per CPU-second; "
                  f"training memory growth ratio {mem:.2f}"]
    text = "\n".join(lines)
    print(text)
    if args.out:
        from spikesim.io.atomic import atomic_open

        with atomic_open(args.out, "w") as handle:
            handle.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
