"""Conductance-map export, its import, and the hardware-in-the-loop path (measured maps)."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

import spikesim
from spikesim.cli import main
from spikesim.errors import FormatError
from spikesim.hardware.rram import MacroConfig
from spikesim.hardware.rram.export import load_maps, save_maps


def _graph():
    r = np.random.default_rng(0)
    g = spikesim.Graph()
    g.add("in", spikesim.Input(30))
    g.add("res", spikesim.LIF(40, beta=0.9, v_th=1.0))
    g.add("o", spikesim.LIF(5, beta=0.9, v_th=0.5))
    g.connect("in", "res", r.normal(0, 0.4, (40, 30)) * (r.random((40, 30)) < 0.5), delay=r.integers(0, 3, (40, 30)))
    g.connect("res", "res", r.normal(0, 0.1, (40, 40)) * (r.random((40, 40)) < 0.2), delay=1)
    g.connect("res", "o", r.normal(0.1, 0.3, (5, 40)), delay=1)
    x = (r.random((30, 4, 30)) < 0.2).astype(float)
    return g, x


def test_cli_export_writes_tiles_plan_and_delays(tmp_path):
    g, _ = _graph()
    spikesim.save(g, tmp_path / "m.h5")
    out = tmp_path / "maps.h5"
    assert main(["export", str(tmp_path / "m.h5"), "--format", "rram", "-o", str(out),
                 "--option", "rows=16", "--option", "cols=32", "--option", "seed=4"]) == 0
    loaded = load_maps(out, g)
    assert loaded.config.rows == 16 and loaded.seed == 4 and not loaded.measured
    sim = spikesim.compile(g, "rram", rows=16, cols=32, seed=4)
    for want, got in zip(sim.maps, loaded.edge_maps):
        assert want.scale_us == got.scale_us and [s.delay for s in want.slices] == [s.delay for s in got.slices]
        for ws, gs in zip(want.slices, got.slices):
            for wt, gt in zip(ws.tiles, gs.tiles):
                assert (wt.row0, wt.col0, wt.macro) == (gt.row0, gt.col0, gt.macro)
                np.testing.assert_array_equal(wt.g_pos, gt.g_pos)
    with h5py.File(out) as f:
        plan = f["plan"][:]
        n_tiles = sum(len(s.tiles) for m in sim.maps for s in m.slices)
        assert len(plan) == n_tiles == f.attrs["n_macros"]
        # every tile lists its delay; in->res has latencies 0, 1, 2
        assert sorted(set(plan["delay"][plan["edge"] == 0].tolist())) == [0, 1, 2]
        tile = f["edges/000000/slices/000001/tiles/000000"]
        assert tile.attrs["delay"] == 1 and tile["level_pos"].dtype == np.int16


def test_imported_targets_simulate_like_direct_compile(tmp_path):
    g, x = _graph()
    sim = spikesim.compile(g, "rram", seed=7, random_edges=["res->res"])
    path = save_maps(sim.maps, sim.config, tmp_path / "maps.h5", seed=7)
    again = spikesim.compile(g, "rram", conductances=path, seed=7)
    a, b = sim.run(x), again.run(x)
    np.testing.assert_array_equal(a.spikes["o"], b.spikes["o"])
    np.testing.assert_array_equal(a.spikes["res"], b.spikes["res"])


def test_measured_conductances_hardware_in_the_loop(tmp_path):
    g, x = _graph()
    cfg = MacroConfig(read_noise_rel=0.0, stuck_on_rate=0.01, drift_time_s=1e4)
    chip = spikesim.compile(g, "rram", config=cfg, seed=3)
    # the lab programs the chip and reads it back: here, the simulated chip's conductances
    path = save_maps(chip.read_back(), cfg, tmp_path / "measured.h5", measured=True)
    loaded = load_maps(path, g)
    assert loaded.measured
    replay = spikesim.compile(g, "rram", conductances=path, seed=99)
    assert sum(s.cells for s in replay.programming().values()) == 0  # nothing re-programmed
    a, b = chip.run(x), replay.run(x)
    np.testing.assert_array_equal(a.spikes["res"], b.spikes["res"])
    np.testing.assert_array_equal(a.spikes["o"], b.spikes["o"])


def test_import_rejects_foreign_and_mismatched_files(tmp_path):
    g, _ = _graph()
    spikesim.save(g, tmp_path / "m.h5")
    with pytest.raises(FormatError, match="format"):
        load_maps(tmp_path / "m.h5")
    other = spikesim.Graph()
    other.add("in", spikesim.Input(3))
    other.add("p", spikesim.LIF(2))
    other.connect("in", "p", np.ones((2, 3)))
    path = save_maps(spikesim.compile(other, "rram").maps, MacroConfig(), tmp_path / "o.h5")
    with pytest.raises(FormatError, match="/edges"):
        load_maps(path, g)
    with pytest.raises(FormatError, match="no such file"):
        load_maps(tmp_path / "missing.h5")


def test_random_edges_come_from_stochastic_switching():
    g, _ = _graph()
    sim = spikesim.compile(g, "rram", config="ideal", random_edges=["res->res"], seed=1)
    edge = g.edges[1]
    (w,) = sim.maps[1].weights().values()
    mask = edge.weight != 0
    assert np.array_equal(w != 0, mask)  # same connectivity, new values
    assert sim.maps[1].mode == "single_pulse"
    rms_ir = np.sqrt(np.mean(edge.weight[mask] ** 2))
    assert np.sqrt(np.mean(w[mask] ** 2)) == pytest.approx(rms_ir, rel=0.15)
    assert abs(w[mask].mean()) < 4 * rms_ir / np.sqrt(mask.sum())
