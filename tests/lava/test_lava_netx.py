"""NetX (.net) import of the real lava-dl files, export, round trip and the CLI."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

import spikesim
from spikesim.conformance.fixed import generate_fixed_case
from spikesim.errors import UnsupportedFeatureError
from spikesim.hardware import netx
from spikesim.ir import Graph, Input
from spikesim.ir.fixed import SIGN_MIXED, LoihiDense, LoihiLIF

OXFORD = "netx_oxford_network.net"
TINY = "netx_tiny.net"


def _chain() -> Graph:
    rng = np.random.default_rng(11)
    g = Graph()
    g.add("in", Input(6))
    g.add("h", LoihiLIF(5, du=100, dv=300, vth_mant=40, bias_mant=rng.integers(-3, 4, 5), bias_exp=6))
    g.add("o", LoihiLIF(3, du=4095, dv=200, vth_mant=25))
    g.add_edge(LoihiDense("in", "h", weight_mant=rng.integers(-200, 200, (5, 6)), delay=np.repeat([[1], [3], [2], [1], [4]], 6, 1)))
    g.add_edge(LoihiDense("h", "o", weight_mant=rng.integers(0, 60, (3, 5)), weight_exp=2, delay=1))
    return g.validate()


def test_oxford_import(real_file):
    g = netx.load(real_file(OXFORD))
    assert [n for n in g.nodes] == ["input", "layer0", "layer1", "output"]
    assert (g.size("input"), g.size("layer0"), g.size("layer1")) == (200, 256, 200)
    l0, l1 = g.nodes["layer0"], g.nodes["layer1"]
    assert (l0.du, l0.dv, l0.vth_mant, l0.bias_exp) == (4095, 415, 6, 6)  # du = iDecay - 1
    assert (l1.dv, l1.vth_mant) == (409, 6)
    with h5py.File(real_file(OXFORD)) as f:
        stored = f["layer/0/weight"][()].astype(int)
    edge = g.edges[0]
    assert edge.sign_mode == SIGN_MIXED
    np.testing.assert_array_equal(edge.effective() * 2.0**edge.weight_exp, stored)  # netx keeps values
    assert np.all(edge.delay == 1)


def test_conv_file_is_rejected_clearly(real_file):
    with pytest.raises(UnsupportedFeatureError, match=r"layer/1 \(conv\), layer/2 \(conv\)"):
        netx.load(real_file(TINY))


def test_round_trip_simulates_identically(tmp_path):
    g = _chain()
    path = netx.save(g, tmp_path / "chain.net")
    back = netx.load(path)
    with h5py.File(path) as f:
        assert f["layer/0/type"][()].tolist() == [b"dense"]
        assert f["layer/0/neuron/type"][()] == b"CUBA"
        assert int(f["layer/0/neuron/iDecay"][()]) == 101
        np.testing.assert_array_equal(f["layer/0/delay"][()], [0, 2, 1, 0, 3])
    x = (np.random.default_rng(2).random((40, 2, 6)) < 0.4).astype(float)
    record = {"h": ["spikes", "v", "i"], "o": ["spikes", "v"]}
    a = spikesim.compile(g, dtype="fixed", record=record).run(x)
    renamed = {"h": "layer0", "o": "layer1"}
    b = spikesim.compile(back, dtype="fixed", record={renamed[k]: v for k, v in record.items()}).run(x)
    for name, variables in record.items():
        for var in variables:
            got = b.spikes[renamed[name]] if var == "spikes" else b.states[renamed[name]][var]
            want = a.spikes[name] if var == "spikes" else a.states[name][var]
            np.testing.assert_array_equal(got, want)
    assert np.asarray(a.spikes["o"]).sum() > 0


def test_export_rejects_what_netx_cannot_hold(tmp_path):
    g = _chain()
    g.edges[0].delay[0, 0] = 2  # per-synapse delays within a row
    with pytest.raises(UnsupportedFeatureError, match="one delay per output neuron"):
        netx.save(g, tmp_path / "x.net")
    g = _chain()
    g.edges[1].delay[:] = 64
    with pytest.raises(UnsupportedFeatureError, match="exceeds NetX's maximum delay 62"):
        netx.save(g, tmp_path / "x.net")
    recurrent = generate_fixed_case(3)
    recurrent.graph.add_edge(LoihiDense("p0", "p0", weight_mant=np.ones((recurrent.graph.size("p0"),) * 2, int), delay=1))
    with pytest.raises(UnsupportedFeatureError, match="NetX export"):
        netx.save(recurrent.graph, tmp_path / "x.net")
    g = spikesim.Graph()
    g.add("in", spikesim.Input(2))
    g.add("p", spikesim.LI(2))
    g.connect("in", "p", np.eye(2), delay=1)
    with pytest.raises(UnsupportedFeatureError, match="does not spike"):
        netx.export_graph(g, tmp_path / "x.net", {})
    assert not (tmp_path / "x.net").exists()


def test_cli_export_quantises_a_float_model(tmp_path):
    from spikesim.cli import main

    g = spikesim.Graph()
    g.add("in", spikesim.Input(4))
    g.add("h", spikesim.LIF.from_tau(3, tau_mem=20e-3, tau_syn=5e-3))
    g.connect("in", "h", np.full((3, 4), 0.5), delay=2)
    model = spikesim.save(g, tmp_path / "model.h5")
    assert main(["export", str(model), "--format", "netx", "-o", str(tmp_path / "model.net")]) == 0
    back = netx.load(tmp_path / "model.net")
    assert back.size("layer0") == 3 and np.all(back.edges[0].delay == 2)


@pytest.mark.lava
def test_oxford_on_lava_equals_reference(lava_env, real_file):
    from spikesim.backends.lava.simulator import run_many

    g = netx.load(real_file(OXFORD))
    rng = np.random.default_rng(0)
    x = (rng.random((30, 1, 200)) < 0.03).astype(float)  # sparse: denser input is inhibited
    record = {"layer0": ["spikes"], "layer1": ["spikes", "v"]}
    want = spikesim.compile(g, dtype="fixed", record=record).run(x)
    (got,) = run_many([(spikesim.compile(g, backend="lava", dtype="fixed", record=record), x)])
    for name in record:
        np.testing.assert_array_equal(got.spikes[name], want.spikes[name])
    np.testing.assert_array_equal(got.states["layer1"]["v"], want.states["layer1"]["v"])
    assert np.asarray(want.spikes["layer1"]).sum() > 0
