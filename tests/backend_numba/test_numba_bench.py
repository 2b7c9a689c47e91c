"""The benchmark workloads, ``spikesim bench`` and the peer-harness adapter."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("numba", reason="numba backend needs numba (pip install 'spikesim[cpu]')")

import spikesim  # noqa: E402
from spikesim.cli import main  # noqa: E402
from spikesim.workloads import (  # noqa: E402
    graph_for,
    load_workload,
    synaptic_events,
    synthetic_w2,
    synthetic_w3,
)

REPO = Path(__file__).resolve().parents[2]
PEERS = REPO.parent / "shared" / "peers"


def _harness_counts(wl: dict) -> np.ndarray:
    """The harness's canonical equations written out directly: W[pre, post], L = d + offset."""
    spikes = np.asarray(wl["input"], np.float64)
    layers = [(wl[f"w{k}"], wl[f"d{k}"]) for k in (1, 2, 3)] if wl["kind"] == "shd-delay" else None
    steps, batch, _ = spikes.shape
    if layers is None:
        layers = [(wl["w_in"], np.zeros(wl["w_in"].shape, int))]
    for w, d in layers:
        lat = np.asarray(d) + wl["latency_offset"]
        n = w.shape[1]
        i_syn, v, out = np.zeros((batch, n)), np.zeros((batch, n)), np.zeros((steps, batch, n))
        for t in range(steps):
            x = np.zeros((batch, n))
            for pre, post in np.ndindex(w.shape):
                if t - lat[pre, post] >= 0:
                    x[:, post] += w[pre, post] * spikes[t - lat[pre, post], :, pre]
            if "w_rec" in wl and t >= 1:
                x += out[t - 1] @ wl["w_rec"]
            i_syn = wl["alpha"] * i_syn + x
            v = wl["beta"] * v + i_syn
            out[t] = v > wl["theta"]
            v[out[t] > 0] = 0.0
        spikes = out
    return spikes.sum(axis=0)


def _shrink_w2(wl: dict) -> dict:
    """A 7-6-5-4 cut of a W2 workload with latencies 1..6 and stronger weights, 40 steps."""
    small = dict(wl, sizes=np.array([7, 6, 5, 4]))
    small["input"] = (np.random.default_rng(1).random((40, 2, 7)) < 0.3).astype(np.uint8)
    for k, (a, b) in enumerate([(7, 6), (6, 5), (5, 4)], start=1):
        small[f"w{k}"] = wl[f"w{k}"][:a, :b] * 25
        small[f"d{k}"] = wl[f"d{k}"][:a, :b] % 6
    return small


def test_numba_w2_graph_follows_harness_semantics():
    wl = _shrink_w2(synthetic_w2(seed=5, batch=2))
    graph, x = graph_for(wl)
    result = spikesim.compile(graph, "numba").run(x)
    want = _harness_counts(wl)
    assert want.sum() > 5, "the shrunken network should spike"
    np.testing.assert_array_equal(result.counts("out"), want)


def test_numba_w3_graph_follows_harness_semantics():
    wl = synthetic_w3(seed=2, samples=3)
    wl["input"] = wl["input"][:20]
    graph, x = graph_for(wl)
    result = spikesim.compile(graph, "numba").run(x)
    want = _harness_counts(wl)
    assert want.sum() > 20
    np.testing.assert_array_equal(result.counts("res"), want)
    spikes = {"res": np.asarray(result.spikes["res"])}
    fan_in, fan_rec = (wl["w_in"] != 0).sum(axis=1), (wl["w_rec"] != 0).sum(axis=1)
    events = x.sum(axis=(0, 1)) @ fan_in + spikes["res"].sum(axis=(0, 1)) @ fan_rec
    assert synaptic_events(graph, x, spikes) == events


def test_numba_bench_cli_prints_matching_table(capsys, tmp_path):
    out = tmp_path / "rows.json"
    args = [
        "bench",
        "--workloads",
        "w3",
        "--backends",
        "numba",
        "reference",
        "--batch",
        "3",
        "--repeats",
        "1",
        "--json",
        str(out),
    ]
    assert main(args) == 0
    table = capsys.readouterr().out
    rows = [line for line in table.splitlines() if line.startswith("| w3 |")]
    assert len(rows) == 2 and all(r.rstrip().endswith("| yes |") for r in rows), table
    saved = json.loads(out.read_text())
    assert saved[0]["out_spikes"] == saved[1]["out_spikes"] > 0


@pytest.mark.skipif(
    not (PEERS / "common.py").is_file(), reason=f"peer harness not found at {PEERS}"
)
@pytest.mark.parametrize(
    "mode",
    [[], ["--mode", "step"], ["--mode", "stream", "--chunk", "7"]],
    ids=["run", "step", "stream"],
)
def test_numba_peer_adapter_matches_ref_counts(tmp_path, mode):
    # 30 steps in chunks of 7: the last stream() call gets the 2 steps left.
    wl = synthetic_w3(seed=4, samples=6)
    wl["input"] = wl["input"][:30]
    wl["ref_counts"] = _harness_counts(wl).astype(np.int32)
    path = tmp_path / "w3.npz"
    np.savez(path, **{k: np.asarray(v) for k, v in wl.items()})
    out = tmp_path / "r.json"
    cmd = [
        sys.executable,
        str(REPO / "benchmarks" / "peers" / "run_spikesim.py"),
        "--workload",
        str(path),
        "--out",
        str(out),
        "--batch",
        "4",
        "--repeats",
        "1",
        "--peers-dir",
        str(PEERS),
        *mode,
    ]
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300)
    record = json.loads(out.read_text())
    assert record["variant"].startswith(f"numba float64, {(mode or ['', 'run'])[1]}()")
    assert record["samples"] == 4 and record["extra"]["count_match_frac"] == 1.0
    assert record["out_spikes"] == int(wl["ref_counts"][:4].sum())


@pytest.mark.skipif(
    not (PEERS / "common.py").is_file(), reason=f"peer harness not found at {PEERS}"
)
def test_numba_peer_adapter_refuses_chunks_of_no_steps(tmp_path):
    cmd = [
        sys.executable,
        str(REPO / "benchmarks" / "peers" / "run_spikesim.py"),
        *("--workload", str(tmp_path / "unread.npz"), "--out", str(tmp_path / "r.json")),
        *("--peers-dir", str(PEERS), "--mode", "stream", "--chunk", "0"),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "--chunk: expected at least 1 step per stream() call, got 0" in done.stderr
    assert not (tmp_path / "r.json").exists()


def test_load_workload_reads_the_harness_npz_with_scalars_unwrapped(tmp_path):
    # The harness stores metadata as 0-d arrays; they come back as Python scalars and the
    # arrays as they were, so the loaded dict builds the same graph as the drawn one.
    wl = synthetic_w2(seed=3, batch=2)
    path = tmp_path / "w2.npz"
    np.savez(path, **{k: np.asarray(v) for k, v in wl.items()})
    loaded = load_workload(path)
    assert loaded.keys() == wl.keys()
    assert type(loaded["T"]) is int and type(loaded["kind"]) is str and loaded["T"] == wl["T"]
    np.testing.assert_array_equal(loaded["input"], wl["input"])
    got, want = graph_for(loaded), graph_for(wl)
    np.testing.assert_array_equal(got[1], want[1])
    assert got[0] == want[0]


def test_peer_rounds_pair_each_ratio_with_its_own_round():
    """``numba_peers.paired``: spikesim over the fastest torch peer of the same round, then the
    median and range over rounds (hand-computed: rounds give 2000/200, 3000/100 and 1000/250)."""
    spec = importlib.util.spec_from_file_location(
        "numba_peers", REPO / "benchmarks" / "numba_peers.py"
    )
    peers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(peers)

    def rec(label: str, rate: float, round_: int, **extra) -> dict:
        return {"label": f"w2 {label}", "samples_per_s": rate, "round": round_, **extra}

    records = [
        rec("spikesim numba f32", 2000, 0),
        rec("norse", 200, 0),
        rec("snntorch", 150, 0),
        rec("brian2", 50, 0),
        rec("snntorch", 100, 1),
        rec("spikesim numba f32", 3000, 1),
        rec("spikingjelly", 250, 2),
        rec("spikesim numba f32", 1000, 2),
        rec("norse", 99999, 2, failed=True),  # a failed run counts for nothing
        rec("norse", 50, 3),  # a round without spikesim pairs nothing
    ]
    rows = {
        tuple(c.strip() for c in line.split("|")[1:-1])
        for line in peers.paired(records).splitlines()[2:]
    }
    assert rows == {
        ("w2", "spikesim numba f32", "fastest torch peer", "3", "10x", "4x", "30x"),
        ("w2", "spikesim numba f32", "brian2", "1", "40x", "40x", "40x"),
    }
