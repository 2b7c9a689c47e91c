"""Known-answer tests: trajectories worked out by hand, compared with the reference simulator.

Every expected value is a literal or a closed form written here, never the simulator's own
code. Most cases use dyadic numbers (0.5, 0.625, ...) so that float64 is exact and the check
can be ``array_equal``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import spikesim as ss
from spikesim.errors import GraphError


def single_neuron(neuron, weight=1.0, delay=0, dt=1e-3, discretisation="exact") -> ss.Graph:
    """Input(1) -> neuron(1) through one synapse of ``weight`` and latency ``delay``."""
    g = ss.Graph(dt=dt, discretisation=discretisation)
    g.add("x", ss.Input(1))
    g.add("h", neuron)
    g.connect("x", "h", [[weight]], delay=delay)
    return g


def trace(graph: ss.Graph, x, variables=("v", "spikes")) -> dict[str, np.ndarray]:
    """Run one sample of a 1-channel input ``x`` [T] and return {var: [T]} of node ``h``."""
    result = ss.compile(graph, record={"h": list(variables)}).run(np.asarray(x, float)[:, None])
    out = {var: result.states["h"][var][:, 0, 0] for var in variables if var != "spikes"}
    if "spikes" in variables:
        out["spikes"] = result.spikes["h"][:, 0, 0]
    return out


def plain_lif(**kw) -> ss.LIF:
    """A LIF without synaptic current: v' = beta*v + x (alpha = 0, gains 1)."""
    params = dict(alpha=0.0, beta=0.5, input_gain=1.0, current_gain=1.0, v_th=1.0, v_reset=0.0)
    params.update(kw)
    return ss.LIF(size=1, **params)


# -- norse's golden trajectory and the coefficient formulas -------------------------------------


def test_norse_golden_trajectory_euler():
    # norse's test_lif_feed_forward_step: x = 1, v = i = 0, tau_syn_inv = 200, tau_mem_inv = 100,
    # dt = 1e-3 (v_leak = 0, so norse's initial v = v_leak = 0 too). Values as norse lists them.
    lif = ss.LIF.from_tau(1, tau_mem=1 / 100, tau_syn=1 / 200, dt=1e-3, method="euler")
    got = trace(single_neuron(lif, discretisation="euler"), np.ones(9))
    expected_v = [0.1, 0.27, 0.487, 0.7335, 0.9963, 0.0, 0.3951, 0.7717, 0.0]
    np.testing.assert_allclose(got["v"], expected_v, atol=5e-5, rtol=0)
    assert got["spikes"].tolist() == [0, 0, 0, 0, 0, 1, 0, 0, 1]


def test_norse_golden_current_is_norse_i_jump():
    # spikesim's i is norse's i_j = i + x (the current after the input jump, before decay):
    # i_j[t] = 0.8 * i_j[t-1] + 1  ->  5 * (1 - 0.8**(t+1)).
    lif = ss.LIF.from_tau(1, tau_mem=1 / 100, tau_syn=1 / 200, dt=1e-3, method="euler")
    got = trace(single_neuron(lif, discretisation="euler"), np.ones(9), ("i",))
    np.testing.assert_allclose(got["i"], [5 * (1 - 0.8 ** (t + 1)) for t in range(9)], rtol=1e-14)


def test_exact_coefficients_match_formulas():
    tau_mem, tau_syn, dt, r, v_leak, bias = 0.02, 0.005, 1e-3, 2.0, -0.5, 0.25
    lif = ss.LIF.from_tau(
        1, tau_mem, tau_syn, dt, "exact", r=r, v_leak=v_leak, w_in=3.0, bias=bias
    )
    beta = math.exp(-dt / tau_mem)
    assert lif.alpha[0] == pytest.approx(math.exp(-dt / tau_syn), rel=1e-15)
    assert lif.beta[0] == pytest.approx(beta, rel=1e-15)
    assert lif.current_gain[0] == pytest.approx(r * (1 - beta), rel=1e-14)
    assert lif.bias[0] == pytest.approx((1 - beta) * (v_leak + r * bias), rel=1e-14)
    assert lif.input_gain[0] == 3.0
    assert lif.v_init[0] == v_leak  # norse's convention: start at rest
    assert lif.continuous.tau_mem[0] == tau_mem and lif.continuous.method == "exact"


def test_euler_coefficients_match_formulas():
    lif = ss.LIF.from_tau(1, 0.02, 0.005, 1e-3, "euler", r=2.0, v_leak=-0.5, bias=0.25)
    assert lif.alpha[0] == pytest.approx(1 - 0.2, rel=1e-15)
    assert lif.beta[0] == pytest.approx(1 - 0.05, rel=1e-15)
    assert lif.current_gain[0] == pytest.approx(2.0 * 0.05, rel=1e-15)
    assert lif.bias[0] == pytest.approx(0.05 * (-0.5 + 2.0 * 0.25), rel=1e-14)


def test_exact_step_response_is_the_ode_solution():
    # exact, tau_syn = 0, constant input 1 held over each step: v(t) = 1 - exp(-t/tau_mem)
    # sampled at the end of each step, t = (k+1)*dt, for any dt (here dt/tau_mem = 0.3).
    lif = ss.LIF.from_tau(1, tau_mem=1e-2, tau_syn=0.0, dt=3e-3, method="exact", v_th=10.0)
    got = trace(single_neuron(lif, dt=3e-3), np.ones(8), ("v",))
    np.testing.assert_allclose(got["v"], [1 - math.exp(-0.3 * (k + 1)) for k in range(8)], rtol=1e-13)


def test_euler_rejects_steps_longer_than_tau():
    with pytest.raises(GraphError, match="tau_mem"):
        ss.LIF.from_tau(1, tau_mem=5e-4, dt=1e-3, method="euler")
    with pytest.raises(GraphError, match="tau_syn"):
        ss.LIF.from_tau(1, tau_mem=1e-2, tau_syn=5e-4, dt=1e-3, method="euler")


def test_tau_syn_zero_means_no_synaptic_current():
    # euler, tau_mem = 10 dt: beta = 0.9, current_gain = 0.1, alpha = 0. With x = 2 every step
    # v[t] = 2 * (1 - 0.9**(t+1)); the first value above 1 is at t = 6 (0.9**7 = 0.478).
    lif = ss.LIF.from_tau(1, tau_mem=1e-2, tau_syn=0.0, dt=1e-3, method="euler")
    assert lif.alpha[0] == 0.0
    got = trace(single_neuron(lif, discretisation="euler"), np.full(7, 2.0), ("v", "i", "spikes"))
    np.testing.assert_array_equal(got["i"], np.full(7, 2.0))  # i is this step's input only
    np.testing.assert_allclose(got["v"][:6], [2 * (1 - 0.9 ** (t + 1)) for t in range(6)], rtol=1e-13)
    assert got["spikes"].tolist() == [0, 0, 0, 0, 0, 0, 1]
    exact = ss.LIF.from_tau(1, tau_mem=1e-2, tau_syn=0.0, dt=1e-3, method="exact")
    assert exact.alpha[0] == 0.0 and exact.beta[0] == pytest.approx(math.exp(-0.1), rel=1e-15)


# -- threshold, reset and refractory ------------------------------------------------------------

#: beta = 0.5 and x = 0.625 every step: 0.625, 0.9375, 1.09375 (spike) ...
RAMP = 0.625


def test_reset_to_zero():
    got = trace(single_neuron(plain_lif()), np.full(7, RAMP))
    np.testing.assert_array_equal(got["v"], [0.625, 0.9375, 0.0, 0.625, 0.9375, 0.0, 0.625])
    assert got["spikes"].tolist() == [0, 0, 1, 0, 0, 1, 0]


def test_reset_to_v_reset():
    # After the spike v = v_reset = -0.25; then 0.5 * -0.25 + 0.625 = 0.5, 0.875, 1.0625 (spike).
    got = trace(single_neuron(plain_lif(v_reset=-0.25)), np.full(7, RAMP))
    np.testing.assert_array_equal(got["v"], [0.625, 0.9375, -0.25, 0.5, 0.875, -0.25, 0.5])
    assert got["spikes"].tolist() == [0, 0, 1, 0, 0, 1, 0]


def test_reset_by_subtraction():
    # 1.09375 - 1 = 0.09375; 0.046875 + 0.625 = 0.671875; 0.9609375; 1.10546875 - 1 = 0.10546875.
    got = trace(single_neuron(plain_lif(reset="subtract")), np.full(6, RAMP))
    np.testing.assert_array_equal(
        got["v"], [0.625, 0.9375, 0.09375, 0.671875, 0.9609375, 0.10546875]
    )
    assert got["spikes"].tolist() == [0, 0, 1, 0, 0, 1]


def test_subtraction_keeps_the_excess_above_two_thresholds():
    # x = 2.5 at once: v' = 2.5 > 1 -> v = 1.5, still above threshold: spikes again next step.
    got = trace(single_neuron(plain_lif(beta=1.0, reset="subtract")), [2.5, 0, 0, 0])
    np.testing.assert_array_equal(got["v"], [1.5, 0.5, 0.5, 0.5])
    assert got["spikes"].tolist() == [1, 1, 0, 0]


def test_refractory_steps_hold_v_and_block_spikes():
    # refractory = 2: after the spike at t = 2, v is held at 0 for t = 3, 4, then integrates.
    got = trace(single_neuron(plain_lif(refractory=2)), np.full(10, RAMP))
    np.testing.assert_array_equal(
        got["v"], [0.625, 0.9375, 0.0, 0.0, 0.0, 0.625, 0.9375, 0.0, 0.0, 0.0]
    )
    assert got["spikes"].tolist() == [0, 0, 1, 0, 0, 0, 0, 1, 0, 0]


def test_synaptic_current_keeps_integrating_while_refractory():
    # alpha = 0.5, x = 1 at t = 0 only, weight 4: i = 4, 2, 1, 0.5; v' = 4 spikes at t = 0,
    # then v is held at 0 for 3 steps while i decays; at t = 4: v = 0.5*0 + 0.25 = 0.25.
    neuron = plain_lif(alpha=0.5, refractory=3)
    got = trace(single_neuron(neuron, weight=4.0), [1, 0, 0, 0, 0], ("v", "i", "spikes"))
    np.testing.assert_array_equal(got["i"], [4.0, 2.0, 1.0, 0.5, 0.25])
    np.testing.assert_array_equal(got["v"], [0.0, 0.0, 0.0, 0.0, 0.25])
    assert got["spikes"].tolist() == [1, 0, 0, 0, 0]


def test_threshold_is_strict():
    # IF with r = 0.25: 0.25, 0.5, 0.75, 1.0 (equal to v_th: no spike), 1.25 (spike).
    got = trace(single_neuron(ss.IF.from_r(1, r=0.25)), np.ones(6))
    np.testing.assert_array_equal(got["v"], [0.25, 0.5, 0.75, 1.0, 0.0, 0.25])
    assert got["spikes"].tolist() == [0, 0, 0, 0, 1, 0]


def test_if_does_not_leak_and_subtracts():
    # No input between t = 1 and 3: v stays. Subtraction keeps 1.25 - 1 = 0.25.
    neuron = ss.IF.from_r(1, r=0.25, reset="subtract")
    got = trace(single_neuron(neuron), [2, 0, 0, 0, 3, 1])
    np.testing.assert_array_equal(got["v"], [0.5, 0.5, 0.5, 0.5, 0.25, 0.5])
    assert got["spikes"].tolist() == [0, 0, 0, 0, 1, 0]


# -- bias and leak ------------------------------------------------------------------------------


def test_neuron_bias_drives_v_to_its_fixed_point():
    # beta = 0.5, bias = 0.375, no input: v[t] = 0.75 * (1 - 0.5**(t+1)), never spikes.
    got = trace(single_neuron(plain_lif(bias=0.375)), np.zeros(6))
    np.testing.assert_array_equal(got["v"], [0.75 * (1 - 0.5 ** (t + 1)) for t in range(6)])
    assert not got["spikes"].any()


def test_projection_bias_is_added_to_the_input_every_step():
    # Dense bias 0.625 with zero input equals the RAMP input above.
    g = ss.Graph()
    g.add("x", ss.Input(1))
    g.add("h", plain_lif())
    g.connect("x", "h", [[1.0]], bias=[RAMP])
    got = trace(g, np.zeros(4))
    np.testing.assert_array_equal(got["v"], [0.625, 0.9375, 0.0, 0.625])


def test_v_leak_is_the_resting_potential():
    # Starting at v_leak with no input, v stays at v_leak (up to rounding) in both methods.
    for method in ("exact", "euler"):
        lif = ss.LIF.from_tau(1, 2e-2, 5e-3, 1e-3, method, v_leak=-0.5, v_th=1.0)
        got = trace(single_neuron(lif, discretisation=method), np.zeros(20))
        np.testing.assert_allclose(got["v"], -0.5, rtol=1e-12)


def test_euler_bias_reaches_r_times_bias():
    # euler, tau_mem = 10 dt, r = 2, bias current 0.25, no synapse: v[t] = 0.5 * (1 - 0.9**(t+1)).
    lif = ss.LIF.from_tau(1, 1e-2, 0.0, 1e-3, "euler", r=2.0, bias=0.25)
    got = trace(single_neuron(lif, discretisation="euler"), np.zeros(10))
    np.testing.assert_allclose(got["v"], [0.5 * (1 - 0.9 ** (t + 1)) for t in range(10)], rtol=1e-13)


# -- LI readout ---------------------------------------------------------------------------------


def test_li_integrates_without_spiking():
    # beta = 0.5, one input of 4 at t = 0: v = 4, 2, 1, 0.5, ... far above any threshold.
    li = ss.LI(size=1, alpha=0.0, beta=0.5, current_gain=1.0)
    got = trace(single_neuron(li, weight=4.0), [1, 0, 0, 0, 0], ("v",))
    np.testing.assert_array_equal(got["v"], [4.0, 2.0, 1.0, 0.5, 0.25])
    g = single_neuron(li)
    assert "h" not in ss.compile(g).run(np.zeros((3, 1))).spikes  # a readout records v only


def test_li_euler_step_response():
    # euler LI, tau_mem = 10 dt, tau_syn = 0, constant x = 1: v[t] = 1 - 0.9**(t+1).
    li = ss.LI.from_tau(1, 1e-2, 0.0, 1e-3, "euler")
    got = trace(single_neuron(li, discretisation="euler"), np.ones(12), ("v",))
    np.testing.assert_allclose(got["v"], [1 - 0.9 ** (t + 1) for t in range(12)], rtol=1e-13)


def test_li_output_is_graded_downstream():
    # A readout's v travels along edges: LI v = 4, 2, 1 feeds an IF (r = 1) with weight 0.125:
    # IF v = 0.5, 0.75, 0.875.
    g = ss.Graph()
    g.add("x", ss.Input(1))
    g.add("r", ss.LI(size=1, alpha=0.0, beta=0.5, current_gain=1.0))
    g.add("h", ss.IF.from_r(1, r=1.0))
    g.connect("x", "r", [[4.0]])
    g.connect("r", "h", [[0.125]])
    got = trace(g, [1, 0, 0], ("v",))
    np.testing.assert_array_equal(got["v"], [0.5, 0.75, 0.875])


# -- latencies ------------------------------------------------------------------------------------

def relay(size: int = 1) -> ss.LIF:
    """beta = 0, alpha = 0: with weight 2 > v_th, every arriving spike makes one output spike."""
    return ss.LIF(size=size, alpha=0.0, beta=0.0, current_gain=1.0, v_th=1.0)


@pytest.mark.parametrize("latency", [0, 1, 5])
def test_latency_shifts_arrival(latency):
    x = np.zeros(10)
    x[2] = 1
    got = trace(single_neuron(relay(), weight=2.0, delay=latency), x)
    assert np.flatnonzero(got["spikes"]).tolist() == [2 + latency]


def test_spikes_beyond_the_run_are_dropped():
    x = np.zeros(6)
    x[3] = 1
    got = trace(single_neuron(relay(), weight=2.0, delay=5), x)
    assert not got["spikes"].any()


def test_per_synapse_latency_matrix():
    # Two inputs spike at t = 0; synapse latencies 1 and 5 to neuron 0, 0 and 3 to neuron 1.
    g = ss.Graph()
    g.add("x", ss.Input(2))
    g.add("h", relay(2))
    g.connect("x", "h", np.full((2, 2), 2.0), delay=[[1, 5], [0, 3]])
    x = np.zeros((8, 2))
    x[0] = 1
    spikes = ss.compile(g).run(x).spikes["h"][:, 0, :]
    assert np.flatnonzero(spikes[:, 0]).tolist() == [1, 5]
    assert np.flatnonzero(spikes[:, 1]).tolist() == [0, 3]


def test_sparse_latencies_match_dense():
    g = ss.Graph()
    g.add("x", ss.Input(2))
    g.add("h", relay(2))
    g.add_edge(ss.Sparse("x", "h", (2, 2), post=[0, 1], pre=[1, 0], weight=[2.0, 2.0], delay=[4, 2]))
    x = np.zeros((8, 2))
    x[1, 0] = 1  # reaches neuron 1 at 1 + 2
    x[0, 1] = 1  # reaches neuron 0 at 0 + 4
    spikes = ss.compile(g).run(x).spikes["h"][:, 0, :]
    assert np.flatnonzero(spikes[:, 0]).tolist() == [4]
    assert np.flatnonzero(spikes[:, 1]).tolist() == [3]


def test_zero_latency_chain_acts_within_one_step():
    # Nodes inserted out of order (c, b, a): the update order still follows the 0-latency edges.
    g = ss.Graph()
    g.add("x", ss.Input(1))
    for name in ("c", "b", "a"):
        g.add(name, relay())
    g.connect("x", "a", [[2.0]])
    g.connect("a", "b", [[2.0]])
    g.connect("b", "c", [[2.0]])
    x = np.zeros(6)
    x[3] = 1
    spikes = ss.compile(g).run(x[:, None]).spikes
    for name in ("a", "b", "c"):
        assert np.flatnonzero(spikes[name][:, 0, 0]).tolist() == [3], name


def test_chain_latencies_add_up():
    g = ss.Graph()
    g.add("x", ss.Input(1))
    g.add("a", relay())
    g.add("b", relay())
    g.connect("x", "a", [[2.0]], delay=1)
    g.connect("a", "b", [[2.0]], delay=5)
    x = np.zeros(10)
    x[0] = 1
    spikes = ss.compile(g).run(x[:, None]).spikes
    assert np.flatnonzero(spikes["a"][:, 0, 0]).tolist() == [1]
    assert np.flatnonzero(spikes["b"][:, 0, 0]).tolist() == [6]


def test_recurrent_ring_with_latency_one():
    # a -> b -> a, both latency 1: one input spike at t = 0 circulates forever.
    g = ss.Graph()
    g.add("x", ss.Input(1))
    g.add("a", relay())
    g.add("b", relay())
    g.connect("x", "a", [[2.0]])
    g.connect("a", "b", [[2.0]], delay=1)
    g.connect("b", "a", [[2.0]], delay=1)
    x = np.zeros(7)
    x[0] = 1
    spikes = ss.compile(g).run(x[:, None]).spikes
    assert np.flatnonzero(spikes["a"][:, 0, 0]).tolist() == [0, 2, 4, 6]
    assert np.flatnonzero(spikes["b"][:, 0, 0]).tolist() == [1, 3, 5]


def test_self_loop_with_latency_one_adds_to_next_step():
    # Self-excitation 0.25 at latency 1 on the RAMP neuron: after a spike at t, v[t+1] gets
    # an extra 0.25: 0.625, 0.9375, spike -> 0; then 0 + 0.625 + 0.25 = 0.875; 0.4375 + 0.625.
    g = single_neuron(plain_lif())
    g.connect("h", "h", [[0.25]], delay=1)
    got = trace(g, np.full(5, RAMP))
    np.testing.assert_array_equal(got["v"], [0.625, 0.9375, 0.0, 0.875, 0.0])
    assert got["spikes"].tolist() == [0, 0, 1, 0, 1]


def test_zero_latency_cycle_is_rejected():
    g = ss.Graph()
    g.add("x", ss.Input(1))
    g.add("a", relay())
    g.add("b", relay())
    g.connect("x", "a", [[2.0]])
    g.connect("a", "b", [[2.0]])
    g.connect("b", "a", [[2.0]])
    with pytest.raises(GraphError, match="zero-latency cycle"):
        ss.compile(g)


# -- execution strategies agree -----------------------------------------------------------------


def random_graph(seed: int = 3) -> ss.Graph:
    """A small recurrent network with per-synapse latencies, both reset modes and a readout."""
    rng = np.random.default_rng(seed)
    g = ss.Graph(dt=1e-3, discretisation="exact")
    g.add("x", ss.Input(8))
    g.add("h", ss.LIF.from_tau(12, 2e-2, 5e-3, 1e-3, "exact", refractory=1))
    g.add("k", ss.LIF.from_tau(6, 1e-2, 0.0, 1e-3, "exact", reset="subtract", bias=0.3))
    g.add("o", ss.LI.from_tau(3, 2e-2, 5e-3, 1e-3, "exact"))
    g.add("out", ss.Output("o"))
    g.connect("x", "h", rng.normal(0, 2.0, (12, 8)), delay=rng.integers(0, 3, (12, 8)))
    g.connect("h", "h", rng.normal(0, 0.5, (12, 12)), delay=rng.integers(1, 4, (12, 12)))
    g.connect("h", "k", rng.normal(0.5, 1.0, (6, 12)))
    g.add_edge(ss.Sparse.from_dense("k", "o", rng.normal(0, 1.0, (3, 6)) * (rng.random((3, 6)) < 0.5), delay=2))
    return g


def random_input(seed: int, steps: int = 60, batch: int = 4) -> np.ndarray:
    return (np.random.default_rng(seed).random((steps, batch, 8)) < 0.3).astype(float)


RECORD = {"h": ["spikes", "v", "i"], "k": ["spikes", "v"], "o": ["v"]}


def test_streaming_step_equals_run():
    graph, x = random_graph(), random_input(1)
    sim = ss.compile(graph, record=RECORD)
    whole = sim.run(x)
    assert whole.spikes["h"].sum() > 20 and whole.spikes["k"].sum() > 5  # not a silent draw
    steps = [sim.step(x[t]) for t in range(x.shape[0])]
    for node, variables in RECORD.items():
        for var in variables:
            streamed = np.stack([s[node][var] for s in steps])
            full = whole.spikes[node] if var == "spikes" else whole.states[node][var]
            np.testing.assert_array_equal(streamed, full, err_msg=f"{node}.{var}")


def test_step_after_reset_starts_over():
    graph, x = random_graph(), random_input(2, steps=10, batch=1)
    sim = ss.compile(graph, record=RECORD)
    first = [sim.step(x[t]) for t in range(10)]
    sim.reset()
    again = [sim.step(x[t]) for t in range(10)]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a["h"]["v"], b["h"]["v"])


def test_one_sample_alone_equals_it_inside_a_batch():
    # Spikes must be identical. Voltages may differ in the last bit: numpy's matmul takes a
    # matrix-vector BLAS path for one sample and a matrix-matrix path for a batch, which sum
    # in different orders; the float64 policy (rtol 1e-12) covers that.
    graph, x = random_graph(), random_input(4, batch=5)
    batch = ss.compile(graph, record=RECORD).run(x)
    for b in range(x.shape[1]):
        alone = ss.compile(graph, record=RECORD).run(x[:, b : b + 1])
        for node, variables in RECORD.items():
            for var in variables:
                where = f"{node}.{var}[{b}]"
                if var == "spikes":
                    np.testing.assert_array_equal(
                        alone.spikes[node][:, 0], batch.spikes[node][:, b], err_msg=where
                    )
                else:
                    np.testing.assert_allclose(
                        alone.states[node][var][:, 0], batch.states[node][var][:, b],
                        rtol=1e-12, atol=1e-12, err_msg=where,
                    )


def test_output_alias_exposes_the_readout():
    graph, x = random_graph(), random_input(5)
    result = ss.compile(graph).run(x)
    np.testing.assert_array_equal(result.states["out"]["v"], result.states["o"]["v"])
