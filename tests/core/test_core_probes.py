"""Probes: selective recording, and streaming the record to HDF5 instead of RAM."""

from __future__ import annotations

import os

import h5py
import numpy as np
import pytest

import spikesim as ss
from spikesim.errors import GraphError


def network() -> ss.Graph:
    rng = np.random.default_rng(21)
    g = ss.Graph()
    g.add("x", ss.Input(5))
    g.add("h", ss.LIF.from_tau(7, 2e-2, 5e-3, 1e-3, "exact"))
    g.add("k", ss.IF.from_r(4, r=0.5))
    g.add("o", ss.LI.from_tau(2, 1e-2, 0.0, 1e-3, "exact"))
    g.add("out", ss.Output("o"))
    g.connect("x", "h", rng.normal(1.0, 1.0, (7, 5)), delay=rng.integers(0, 3, (7, 5)))
    g.connect("h", "k", rng.normal(0.5, 0.5, (4, 7)), delay=1)
    g.connect("k", "o", rng.normal(0, 1, (2, 4)))
    return g


def inputs(steps: int = 80, batch: int = 3) -> np.ndarray:
    return (np.random.default_rng(3).random((steps, batch, 5)) < 0.3).astype(float)


def test_default_record_is_spikes_of_spiking_and_v_of_readouts():
    result = ss.compile(network()).run(inputs())
    assert sorted(n for n in result.spikes if n not in result.aliases) == ["h", "k"]
    assert sorted(n for n in result.states if n not in result.aliases) == ["o"]
    assert list(result.states["o"]) == ["v"]


def test_selective_record_keeps_only_what_was_asked():
    full = ss.compile(network(), record={"h": ["spikes", "v", "i"], "k": ["spikes"], "o": ["v"]})
    only = ss.compile(network(), record={"h": ["v", "spikes"]})
    a, b = full.run(inputs()), only.run(inputs())
    assert list(b.spikes) == ["h"] and list(b.states) == ["h"]
    assert list(b.states["h"]) == ["v"]
    assert b.spikes["h"].shape == (80, 3, 7) and b.spikes["h"].dtype == bool
    assert b.spikes["h"].sum() > 50
    np.testing.assert_array_equal(a.spikes["h"], b.spikes["h"])
    np.testing.assert_array_equal(a.states["h"]["v"], b.states["h"]["v"])


def test_record_at_run_time_overrides_compile_time():
    sim = ss.compile(network(), record={"h": ["spikes"]})
    result = sim.run(inputs(), record={"out": ["v"], "k": "spikes"})
    assert "h" not in result.spikes and list(result.spikes) == ["k"]
    assert list(result.states["o"]) == ["v"]
    np.testing.assert_array_equal(result.states["out"]["v"], result.states["o"]["v"])


@pytest.mark.parametrize(
    "record, fragment",
    [({"nope": ["v"]}, "'nope' is not a population"), ({"h": ["w"]}, "unknown variable 'w'"),
     ({"o": ["spikes"]}, "does not spike")],
)
def test_bad_probes_are_rejected(record, fragment):
    with pytest.raises(GraphError, match=fragment):
        ss.compile(network(), record=record)


def test_streamed_record_equals_the_in_ram_record(tmp_path):
    record = {"h": ["spikes", "v", "i"], "k": ["spikes", "v"], "out": ["v"]}
    sim = ss.compile(network(), record=record)
    ram = sim.run(inputs())
    path = tmp_path / "runs" / "record.h5"
    disk = sim.run(inputs(), record_to=path)
    assert disk.path == path and path.exists()
    for node in ("h", "k"):
        assert isinstance(disk.spikes[node], h5py.Dataset)
        np.testing.assert_array_equal(disk.spikes[node][()], ram.spikes[node])
    for node, variables in ram.states.items():
        for var in variables:
            np.testing.assert_array_equal(disk.states[node][var][()], ram.states[node][var])
    np.testing.assert_array_equal(disk.counts("h"), ram.counts("h"))
    assert os.listdir(path.parent) == ["record.h5"]  # the temp file was renamed, not copied


def test_streamed_record_file_layout(tmp_path):
    path = tmp_path / "record.h5"
    ss.compile(network(), record={"h": ["spikes", "v"]}).run(inputs(), record_to=path)
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == "spikesim-record" and f.attrs["dt"] == 1e-3
        assert sorted(f["h"]) == ["spikes", "v"] and f["h/v"].shape == (80, 3, 7)


def test_a_failed_run_leaves_no_record_and_keeps_the_old_one(tmp_path, monkeypatch):
    path = tmp_path / "record.h5"
    sim = ss.compile(network())
    sim.run(inputs(), record_to=path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash during the run")

    monkeypatch.setattr(type(sim), "_run", crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        sim.run(inputs(), record_to=path)
    assert path.read_bytes() == before
    with pytest.raises(RuntimeError):
        sim.run(inputs(), record_to=tmp_path / "new.h5")
    assert os.listdir(tmp_path) == ["record.h5"]


def test_recorder_adopts_a_whole_run_in_ram_and_copies_into_a_file(tmp_path):
    from spikesim.result import Recorder

    graph = network()
    block = np.zeros((4, 1, 7), bool)
    block[2, 0, 1] = True
    in_ram = Recorder(graph, {"h": ("spikes",)}, 4, 1, np.float64)
    in_ram.adopt("h", "spikes", block)
    assert in_ram.result().spikes["h"] is block
    on_disk = Recorder(graph, {"h": ("spikes",)}, 4, 1, np.float64, tmp_path / "r.h5")
    on_disk.adopt("h", "spikes", block)
    np.testing.assert_array_equal(np.asarray(on_disk.result().spikes["h"]), block)
