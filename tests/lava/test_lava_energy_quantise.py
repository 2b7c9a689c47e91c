"""Loihi energy estimate (counted operations) and the float -> fixed quantiser."""

from __future__ import annotations

import numpy as np
import pytest

import spikesim
from spikesim.errors import GraphError, UnsupportedFeatureError
from spikesim.hardware.loihi_energy import LOIHI1_DAVIES_2018, estimate
from spikesim.hardware.loihi_quantise import quantise


def _relay() -> spikesim.Graph:
    g = spikesim.Graph()
    g.add("in", spikesim.Input(2))
    g.add("p", spikesim.IF(2, v_th=0.5))  # fires exactly when an input spike arrives
    g.add("q", spikesim.IF(1, v_th=100.0))
    g.connect("in", "p", np.eye(2), delay=1)
    g.connect("p", "q", [[1.0, 1.0]], delay=1)
    return g


def test_energy_counts_and_joules():
    g = _relay()
    x = np.array([[1, 0], [0, 1], [1, 0], [0, 1]], float)  # in0 at t=0,2; in1 at t=1,3
    result = spikesim.compile(g, record={"p": ["spikes"], "q": ["spikes"]}).run(x)
    assert int(np.asarray(result.spikes["p"]).sum()) == 3  # t=4 is past the run
    e = estimate(g, result, x)
    assert (e.synaptic_ops, e.neuron_updates, e.spikes) == (4 + 3, 3 * 4, 4 + 3)
    assert e.total_j == pytest.approx((7 * 23.6 + 12 * 52.0 + 7 * 1.7) * 1e-12)
    assert e.per_sample_j == e.total_j
    assert "Loihi 1" in e.summary() and "Davies" in LOIHI1_DAVIES_2018.source


def test_energy_needs_source_spikes():
    g = _relay()
    x = np.zeros((3, 2))
    result = spikesim.compile(g, record={"q": ["spikes"]}).run(x)
    with pytest.raises(GraphError, match="spikes of 'p' were not recorded"):
        estimate(g, result, x)


def test_quantise_known_layer():
    g = spikesim.Graph()
    g.add("in", spikesim.Input(2))
    g.add("p", spikesim.LIF(2, alpha=0.0, beta=1.0, v_th=1.0))
    g.connect("in", "p", [[0.5, 0.0], [0.0, 0.25]], delay=1)
    q = quantise(g, target_vth=256)
    pop, edge = q.graph.nodes["p"], q.graph.edges[0]
    assert (pop.du, pop.dv, pop.vth_mant) == (4095, 0, 256)
    assert q.report.layers["p"].scale == 256 * 64
    assert edge.weight_exp == 0 and edge.effective().tolist() == [[128, 0], [0, 64]]


def test_quantise_reports_agreement():
    rng = np.random.default_rng(0)
    g = spikesim.Graph()
    g.add("in", spikesim.Input(20))
    g.add("h", spikesim.LIF.from_tau(30, tau_mem=20e-3, tau_syn=5e-3, v_th=1.0))
    g.add("o", spikesim.LIF.from_tau(10, tau_mem=20e-3, tau_syn=5e-3, v_th=1.0))
    g.connect("in", "h", rng.normal(0.3, 0.5, (30, 20)) * 8, delay=rng.integers(1, 5, (30, 20)))
    g.connect("h", "o", rng.normal(0.3, 0.5, (10, 30)) * 8, delay=1)
    x = (rng.random((50, 4, 20)) < 0.2).astype(float)
    q = quantise(g, x)
    assert set(q.report.spike_agreement) == {"h", "o"}
    assert min(q.report.spike_agreement.values()) > 0.95
    floats, fixed = q.report.spike_counts["h"]
    assert floats > 100 and abs(floats - fixed) / floats < 0.05
    assert "spike agreement" in q.report.summary()


def test_quantise_rejects_subtract_reset():
    g = spikesim.Graph()
    g.add("in", spikesim.Input(1))
    g.add("p", spikesim.LIF(1, reset="subtract"))
    g.connect("in", "p", [[1.0]], delay=1)
    with pytest.raises(UnsupportedFeatureError, match="node 'p'.*reset to 0"):
        quantise(g)
