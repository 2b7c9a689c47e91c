"""Loihi 2 fixed point in the reference backend: IR validation, storage and each Lava rule."""

from __future__ import annotations

import numpy as np
import pytest

import spikesim
from spikesim.errors import GraphError, UnsupportedFeatureError
from spikesim.ir.fixed import (
    SIGN_EXCITATORY,
    SIGN_INHIBITORY,
    SIGN_MIXED,
    LoihiDense,
    LoihiLIF,
    detect_sign_mode,
    effective_mantissas,
    shift_activation,
)


def test_sign_mode_detection_matches_lava():
    assert detect_sign_mode(np.array([[0, 3]])) == SIGN_EXCITATORY
    assert detect_sign_mode(np.zeros((2, 2), int)) == SIGN_EXCITATORY
    assert detect_sign_mode(np.array([[0, -3]])) == SIGN_INHIBITORY
    assert detect_sign_mode(np.array([[1, -3]])) == SIGN_MIXED


@pytest.mark.parametrize(
    ("weights", "mode", "bits", "expected"),
    [
        ([255, -255, 3, -3, 300, -300], SIGN_MIXED, 8, [254, -256, 2, -4, 254, -256]),
        ([300, 255, 7, 1], SIGN_EXCITATORY, 8, [255, 255, 7, 1]),
        ([255, 7, -5], SIGN_EXCITATORY, 6, [252, 4, 0]),
        ([-300, -7], SIGN_INHIBITORY, 6, [-252, -4]),
        ([100, -100], SIGN_MIXED, 6, [96, -104]),
    ],
)
def test_effective_mantissas_clip_then_truncate(weights, mode, bits, expected):
    assert effective_mantissas(np.array(weights), mode, bits).tolist() == expected


def test_shift_activation_floors():
    a = np.array([-3, 3, -1, 5])
    assert shift_activation(a, -1).tolist() == [-2, 1, -1, 2]
    assert shift_activation(a, 2).tolist() == [-12, 12, -4, 20]


def test_each_rule_in_the_reference(rule_cases):
    for case in rule_cases:
        result = spikesim.compile(case.graph, dtype="fixed", record=case.record).run(case.inputs)
        for (pop, var), want in case.expected.items():
            got = result.spikes[pop] if var == "spikes" else result.states[pop][var]
            np.testing.assert_array_equal(np.asarray(got)[:, 0, :], want, err_msg=case.rule)


def test_float_view_tracks_fixed_run():
    """The float view of a fixed graph (same state units) stays close to the integer run."""
    rng = np.random.default_rng(3)
    g = spikesim.Graph()
    g.add("in", spikesim.Input(6))
    g.add("p", LoihiLIF(5, du=300, dv=150, vth_mant=2000, bias_mant=rng.integers(0, 50, 5), bias_exp=4))
    g.add_edge(LoihiDense("in", "p", weight_mant=rng.integers(0, 200, (5, 6)), delay=2))
    x = (rng.random((30, 1, 6)) < 0.3).astype(float)
    record = {"p": ["v", "i"]}
    fixed = spikesim.compile(g, dtype="fixed", record=record).run(x)
    real = spikesim.compile(g, dtype="float64", record=record).run(x)
    assert np.asarray(fixed.states["p"]["v"]).dtype == np.int64
    np.testing.assert_allclose(real.states["p"]["i"], fixed.states["p"]["i"], rtol=0.01, atol=64)


def test_fixed_graph_round_trips_hdf5(tmp_path):
    g = spikesim.Graph()
    g.add("in", spikesim.Input(3))
    g.add("p", LoihiLIF(2, du=10, dv=20, vth_mant=30, bias_mant=[1, -2], bias_exp=3, v_init=[4, -5]))
    g.add_edge(LoihiDense("in", "p", weight_mant=[[300, -1, 2], [0, 5, 6]], weight_exp=-3,
                          num_weight_bits=7, delay=[[1, 2, 3], [1, 1, 1]]))
    loaded = spikesim.load(spikesim.save(g, tmp_path / "fixed.h5"))
    assert loaded == g
    assert loaded.edges[0].sign_mode == SIGN_MIXED
    assert loaded.nodes["p"].bias_mant.tolist() == [1, -2]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (dict(du=4096), "LoihiLIF.du"),
        (dict(dv=-1), "LoihiLIF.dv"),
        (dict(vth_mant=2**17), "LoihiLIF.vth_mant"),
        (dict(bias_mant=4096), "LoihiLIF.bias_mant"),
        (dict(bias_exp=8), "LoihiLIF.bias_exp"),
        (dict(v_init=2**23), "LoihiLIF.v_init"),
        (dict(v_init=0.5), "LoihiLIF.v_init"),
    ],
)
def test_loihi_lif_rejects_out_of_range_fields(kwargs, field):
    with pytest.raises(GraphError, match=field):
        LoihiLIF(2, **kwargs)


def test_loihi_dense_rejects_bad_fields():
    with pytest.raises(GraphError, match="weight_mant"):
        LoihiDense("a", "b", weight_mant=[[0.5]])
    with pytest.raises(GraphError, match="num_weight_bits"):
        LoihiDense("a", "b", weight_mant=[[1]], num_weight_bits=9)  # 9 only for mixed sign
    with pytest.raises(GraphError, match="weight_mant: missing"):
        LoihiDense("a", "b")


def test_fixed_mode_needs_fixed_nodes_and_integer_inputs():
    g = spikesim.Graph()
    g.add("in", spikesim.Input(2))
    g.add("p", spikesim.LIF(2))
    g.connect("in", "p", np.eye(2), delay=1)
    with pytest.raises(UnsupportedFeatureError, match="node 'p'.*LoihiLIF"):
        spikesim.compile(g, dtype="fixed")
    gf = spikesim.Graph()
    gf.add("in", spikesim.Input(2))
    gf.add("p", LoihiLIF(2))
    gf.add_edge(LoihiDense("in", "p", weight_mant=np.eye(2, dtype=int), delay=1))
    with pytest.raises(GraphError, match="integer values"):
        spikesim.compile(gf, dtype="fixed").run(np.full((3, 2), 0.5))


def test_fixed_streaming_step_equals_run():
    from spikesim.conformance.fixed import generate_fixed_case

    case = generate_fixed_case(7)
    sim = spikesim.compile(case.graph, dtype="fixed", record={"out": ["spikes", "v"]})
    whole = sim.run(case.inputs)
    pop = case.graph.outputs()["out"]
    for t in range(case.inputs["in"].shape[0]):
        got = sim.step({"in": case.inputs["in"][t]})
        np.testing.assert_array_equal(got[pop]["v"], np.asarray(whole.states[pop]["v"])[t])
