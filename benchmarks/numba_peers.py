#!/usr/bin/env python3
"""spikesim (numba) and the peer libraries on the harness workloads, in one run.

Runs ``benchmarks/peers/run_spikesim.py`` and the harness's runners (norse, snnTorch,
SpikingJelly, Brian2, Lava) one after another on W2 at batch 64, W2 at batch 1 (a one-sample
cut of the same file, for the streaming ratio) and W3, then prints a markdown table with the
ratio of spikesim's samples/s to each peer's. Every row records the 1-minute load average
before it ran: on a shared machine, compare only rows measured under similar load.

``--rounds N`` runs every workload's set of runners N times, each round in a rotated order,
and adds a second table of *paired* ratios: spikesim's samples/s over the fastest torch peer's
(or Brian2's, or Lava's) within the same round, as median and range over the rounds. This
VM's speed moves by up to 2x within a minute, so a ratio of two processes run minutes apart
measures the host as much as the code; runs seconds apart in one round share most of it.

    .venv/bin/python benchmarks/numba_peers.py --peers-dir ../shared/peers --out results.json
    .venv/bin/python benchmarks/numba_peers.py --rounds 5 --lava-samples 1 --out results.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from spikesim.io.atomic import atomic_path
from spikesim.workloads import load_workload

REPO = Path(__file__).resolve().parents[1]
PEERS_VENV = Path(os.environ.get("PEERS_VENV", "/tmp/peers-venv"))
LAVA_VENV = Path(os.environ.get("PEERS_LAVA_VENV", "/tmp/peers-lava"))
WORKLOADS = Path(os.environ.get("PEERS_WORKLOADS", "/tmp/peers-workloads"))
TORCH_PEERS = ("norse", "snntorch", "spikingjelly")


def cut_to_one_sample(src: Path, dst: Path, peers: Path) -> None:
    """Write W2 with only its first sample; the reference counts are recomputed for it."""
    sys.path.insert(0, str(peers))
    import reference

    wl = load_workload(src)
    wl["input"] = wl["input"][:, :1]
    wl["batch"] = 1
    layers = reference.run_w2(wl)
    wl["ref_layer_spikes"] = np.array([int(s.sum()) for s in layers])
    wl["ref_out_spikes"] = np.array(int(layers[-1].sum()))
    wl["ref_counts"] = layers[-1].sum(axis=0).astype(np.int32)
    np.savez(dst, **wl)


def wait_quiet(limit: float, timeout: float) -> float:
    """Wait up to ``timeout`` s for the 1-min load average to drop below ``limit``; return it."""
    end = time.monotonic() + timeout
    while os.getloadavg()[0] > limit and time.monotonic() < end:
        time.sleep(5)
    return os.getloadavg()[0]


def run(label: str, cmd: list[str], args) -> dict:
    load = wait_quiet(args.quiet_load, args.quiet_timeout)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        start = time.perf_counter()
        proc = subprocess.run([*cmd, "--out", str(out)], capture_output=True, text=True)
        took = time.perf_counter() - start
        if proc.returncode != 0 or not out.is_file():
            record = {"failed": True, "notes": proc.stderr[-600:]}
        else:
            record = json.loads(out.read_text())
    record.update(label=label, load_before=round(load, 2), process_s=round(took, 1))
    print(
        json.dumps(
            {
                k: record.get(k)
                for k in ("label", "samples_per_s", "wall_s_median", "out_spikes", "load_before")
            }
        ),
        flush=True,
    )
    return record


def table(records: list[dict]) -> str:
    """Markdown: one row per run; ratio = spikesim numba f64 samples/s over the row's samples/s."""
    lines = [
        "| run | round | library | variant | wall median [s] | samples/s | syn. events/s | out spikes (ref) | match | load before | spikesim f64 / this |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    ours = {
        (r["label"].split()[0], r.get("round", 0)): r["samples_per_s"]
        for r in _measured(records)
        if r["label"].endswith("spikesim numba f64")
    }
    for r in records:
        key, round_ = r["label"].split()[0], r.get("round", 0)
        if r.get("failed") or r.get("skipped"):
            lines.append(
                f"| {key} | {round_} | {r['label']} | failed or skipped: {r.get('notes', '')[:80]!r} | | | | | | {r['load_before']} | |"
            )
            continue
        extra = r.get("extra", {})
        ratio = ours.get((key, round_), float("nan")) / r["samples_per_s"]
        events = r.get("syn_events_per_s")
        lines.append(
            f"| {key} | {round_} | {r['library']} {r['version']} | {r['variant']} | {r['wall_s_median']:.4g} "
            f"| {r['samples_per_s']:,.4g} | {'-' if events is None else f'{events:.3g}'} "
            f"| {r['out_spikes']} ({extra.get('ref_out_spikes', '?')}) | {extra.get('count_match_frac', '?')} "
            f"| {r['load_before']} | {ratio:,.3g}x |"
        )
    return "\n".join(lines)


def _measured(records: list[dict]) -> list[dict]:
    return [r for r in records if not (r.get("failed") or r.get("skipped"))]


#: The peers each goal of issue 5 compares with, by workload: (name, libraries).
BASELINES = {
    "w2": [("fastest torch peer", TORCH_PEERS), ("brian2", ("brian2",)), ("lava", ("lava",))],
    "w2b1": [("fastest torch peer", TORCH_PEERS), ("brian2", ("brian2",))],
    "w3": [
        ("fastest peer", (*TORCH_PEERS, "brian2", "lava")),
        ("brian2", ("brian2",)),
        ("lava", ("lava",)),
    ],
}


def paired(records: list[dict]) -> str:
    """Markdown: for each spikesim variant and baseline, the ratio of samples/s within each
    round (spikesim over the fastest of the baseline's libraries in that round), as the median
    and range over the rounds that measured both."""
    rate: dict[tuple[str, int], dict[str, float]] = {}
    for r in _measured(records):
        key, who = r["label"].split(" ", 1)
        rate.setdefault((key, r.get("round", 0)), {})[who] = r["samples_per_s"]
    rounds = sorted({round_ for _, round_ in rate})
    lines = [
        "| run | spikesim | against | rounds | median ratio | min | max |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, baselines in BASELINES.items():
        variants = sorted(
            {who for (k, _), rates in rate.items() if k == key for who in rates}
            - {p for _, libs in baselines for p in libs}
        )
        for ours in variants:
            for name, libs in baselines:
                ratios = []
                for round_ in rounds:
                    rates = rate.get((key, round_), {})
                    theirs = [rates[lib] for lib in libs if lib in rates]
                    if ours in rates and theirs:
                        ratios.append(rates[ours] / max(theirs))
                if ratios:
                    lines.append(
                        f"| {key} | {ours} | {name} | {len(ratios)} | {np.median(ratios):,.3g}x "
                        f"| {min(ratios):,.3g}x | {max(ratios):,.3g}x |"
                    )
    return "\n".join(lines)


def runners(key: str, workload: Path, ours: list[str], peers: Path, args) -> list[tuple]:
    """(label, command) of every runner of workload ``key``: spikesim's variants, then the peers."""
    wl = str(workload)
    mine = [*ours, "--workload", wl, "--repeats", str(args.spikesim_repeats)]
    todo = [
        (f"{key} spikesim numba f64", mine),
        (f"{key} spikesim numba f32", [*mine, "--dtype", "float32"]),
    ]
    if key == "w2b1":
        todo.append((f"{key} spikesim numba f64 step()", [*mine, "--mode", "step"]))
        todo.append(
            (
                f"{key} spikesim numba f64 stream() of 10",
                [*mine, "--mode", "stream", "--chunk", "10"],
            )
        )
    for peer in args.peers:
        if peer == "lava":
            if key == "w2b1":
                continue  # its batch-64 time is already per sample
            cmd = [
                str(LAVA_VENV / "bin" / "python"),
                str(peers / "run_lava.py"),
                "--workload",
                wl,
                "--max-samples",
                str(args.lava_samples),
            ]
        else:
            cmd = [
                str(PEERS_VENV / "bin" / "python"),
                str(peers / f"run_{peer}.py"),
                "--workload",
                wl,
                "--repeats",
                str(args.repeats),
            ]
        todo.append((f"{key} {peer}", cmd))
    return todo


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--peers-dir", default=os.environ.get("PEERS_DIR", str(REPO.parent / "shared" / "peers"))
    )
    ap.add_argument("--out", default="numba_peers.json", help="all records as JSON")
    ap.add_argument("--repeats", type=int, default=5, help="timed repeats of each peer")
    ap.add_argument(
        "--spikesim-repeats",
        type=int,
        default=25,
        help="timed repeats of spikesim: its runs are 10-100x shorter, and more of them time a "
        "window of the host's speed about as long as a peer's five",
    )
    ap.add_argument("--rounds", type=int, default=1, help="run every runner this many times")
    ap.add_argument(
        "--peers", nargs="+", default=["norse", "snntorch", "spikingjelly", "brian2", "lava"]
    )
    ap.add_argument("--only", nargs="+", default=["w2", "w2b1", "w3"])
    ap.add_argument(
        "--lava-samples", type=int, default=2, help="Lava runs samples one by one: cap them"
    )
    ap.add_argument("--quiet-load", type=float, default=1.5)
    ap.add_argument("--quiet-timeout", type=float, default=60.0)
    ap.add_argument("--table-only", action="store_true", help="re-print the table of --out")
    args = ap.parse_args()
    if args.table_only:
        records = json.loads(Path(args.out).read_text())
        print(table(records))
        print()
        print(paired(records))
        return 0
    peers = Path(args.peers_dir)
    w2, w3 = WORKLOADS / "shd-delay-inference.npz", WORKLOADS / "lsm-reservoir.npz"
    w2b1 = WORKLOADS / "shd-delay-inference-b1.npz"
    if "w2b1" in args.only and not w2b1.is_file():
        cut_to_one_sample(w2, w2b1, peers)
    files = {"w2": w2, "w2b1": w2b1, "w3": w3}
    ours = [
        sys.executable,
        str(REPO / "benchmarks" / "peers" / "run_spikesim.py"),
        "--peers-dir",
        str(peers),
    ]
    jobs = {key: runners(key, files[key], ours, peers, args) for key in args.only}
    records = []
    for round_ in range(args.rounds):
        for todo in jobs.values():
            # Rotated each round, so that no runner always runs first, or right after another.
            shift = round_ % len(todo)
            for label, cmd in todo[shift:] + todo[:shift]:
                records.append({**run(label, cmd, args), "round": round_})
    with atomic_path(args.out) as tmp:
        tmp.write_text(json.dumps(records, indent=1))
    print(table(records))
    if args.rounds > 1:
        print()
        print(paired(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
