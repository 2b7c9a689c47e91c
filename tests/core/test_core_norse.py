"""Cross-check against norse 1.1.0: one feed-forward LIF network, identical spike trains.

Mapping (read from ``norse/torch/functional/lif.py``, ``lif_feed_forward_step``)::

    norse                                           spikesim (euler)
    i_j = i + x                                     i  <- alpha*i + input_gain*x
    v'  = v + dt*tau_mem_inv*((v_leak - v) + i_j)   v' <- (beta*v + current_gain*i) + bias
    i'  = i_j - dt*tau_syn_inv*i_j                  (alpha = 1 - dt*tau_syn_inv)
    z   = heaviside(v' - v_th)  (H(0) = 0)          s  <- v' > v_th
    v'' = (1 - z)*v' + z*v_reset                    v  <- v_reset where s (reset="zero")

spikesim's ``i`` is norse's ``i_j``: norse stores the decayed current ``i'`` and adds the next
input to it, which is ``alpha*i_j + x``. ``LIF.from_tau(tau_mem=1/tau_mem_inv,
tau_syn=1/tau_syn_inv, method="euler", v_leak=...)`` gives beta = 1 - dt*tau_mem_inv,
current_gain = dt*tau_mem_inv, bias = dt*tau_mem_inv*v_leak and v_init = v_leak, norse's
initial state. norse applies ``Linear`` then ``LIF`` within one step, so the edges have
latency 0. The two sides round differently (norse computes v + dt*k*(...)), so voltages agree
to about 1e-15 and spikes agree exactly unless some v lands within rounding of v_th; the test
checks that no draw is that close.
"""

from __future__ import annotations

import numpy as np
import pytest

import spikesim as ss

torch = pytest.importorskip("torch")
norse = pytest.importorskip("norse.torch")
from norse.torch.functional.lif import LIFFeedForwardState, LIFParameters  # noqa: E402

DT = 1e-3
T, B = 250, 4
SIZES = (20, 30, 10)
#: Per layer: tau_syn_inv, tau_mem_inv (1/s), v_leak, v_th, v_reset.
LAYERS = (
    dict(tau_syn_inv=200.0, tau_mem_inv=100.0, v_leak=0.2, v_th=1.0, v_reset=-0.1),
    dict(tau_syn_inv=100.0, tau_mem_inv=50.0, v_leak=0.0, v_th=0.8, v_reset=0.0),
)


def draw(seed: int = 7):
    rng = np.random.default_rng(seed)
    w1 = rng.normal(0.1, 1.0, (SIZES[1], SIZES[0]))
    w2 = rng.normal(0.2, 1.0, (SIZES[2], SIZES[1]))
    x = (rng.random((T, B, SIZES[0])) < 0.2).astype(np.float64)
    return w1, w2, x


def run_spikesim(w1, w2, x):
    g = ss.Graph(dt=DT, discretisation="euler")
    g.add("in", ss.Input(SIZES[0]))
    for name, size, p in zip(("l1", "l2"), SIZES[1:], LAYERS):
        lif = ss.LIF.from_tau(
            size, tau_mem=1 / p["tau_mem_inv"], tau_syn=1 / p["tau_syn_inv"], dt=DT,
            method="euler", v_leak=p["v_leak"], v_th=p["v_th"], v_reset=p["v_reset"],
        )
        g.add(name, lif)
    g.connect("in", "l1", w1)  # latency 0: norse's Linear -> LIF acts within the step
    g.connect("l1", "l2", w2)
    record = {"l1": ["spikes", "v"], "l2": ["spikes", "v"]}
    return ss.compile(g, record=record).run(x)


def norse_layer(p: dict, current: torch.Tensor):
    """One norse.torch.LIF layer in float64 from norse's own initial state (v = v_leak, i = 0)."""
    f64 = dict(dtype=torch.float64)
    params = LIFParameters(
        tau_syn_inv=torch.tensor(p["tau_syn_inv"], **f64),
        tau_mem_inv=torch.tensor(p["tau_mem_inv"], **f64),
        v_leak=torch.tensor(p["v_leak"], **f64),
        v_th=torch.tensor(p["v_th"], **f64),
        v_reset=torch.tensor(p["v_reset"], **f64),
    )
    layer = norse.LIF(params, dt=DT, record_states=True)
    # norse's default initial state is float32; build the same state (v = v_leak) in float64.
    shape = current.shape[1:]
    state = LIFFeedForwardState(v=torch.full(shape, p["v_leak"], **f64), i=torch.zeros(shape, **f64))
    spikes, states = layer(current, state)
    return spikes, states.v


def run_norse(w1, w2, x):
    with torch.no_grad():
        cur1 = torch.nn.functional.linear(torch.from_numpy(x), torch.from_numpy(w1))
        z1, v1 = norse_layer(LAYERS[0], cur1)
        z2, v2 = norse_layer(LAYERS[1], torch.nn.functional.linear(z1, torch.from_numpy(w2)))
    return [(z.numpy(), v.numpy()) for z, v in ((z1, v1), (z2, v2))]


def test_norse_lif_network_gives_identical_spikes():
    w1, w2, x = draw()
    ours = run_spikesim(w1, w2, x)
    theirs = run_norse(w1, w2, x)
    for name, (z, v) in zip(("l1", "l2"), theirs):
        spikes = ours.spikes[name]
        assert spikes.shape == z.shape == (T, B, spikes.shape[2])
        # A meaningful draw: every layer fires often, but is far from saturated.
        assert 0.05 < spikes.mean() < 0.3, f"{name}: firing fraction {spikes.mean():.3f}"
        assert (spikes.sum(axis=(0, 1)) > 0).mean() > 0.5, f"{name}: most neurons silent"
        np.testing.assert_array_equal(spikes, z.astype(bool), err_msg=f"{name} spikes")
        np.testing.assert_allclose(ours.states[name]["v"], v, rtol=1e-12, atol=1e-12)
    assert ours.spikes["l2"].sum() > 1000


def test_draw_has_no_threshold_ties():
    # Identical spikes are only meaningful if no pre-reset v lies within rounding of v_th.
    w1, w2, x = draw()
    theirs = run_norse(w1, w2, x)
    cur1 = x @ w1.T
    for p, cur in zip(LAYERS, (cur1, theirs[0][0] @ w2.T)):
        # Recompute norse's pre-reset membrane in numpy, with norse's operation order.
        k_m, k_s = DT * p["tau_mem_inv"], DT * p["tau_syn_inv"]
        v = np.full(cur.shape[1:], p["v_leak"])
        i = np.zeros(cur.shape[1:])
        margin = np.inf
        for t in range(cur.shape[0]):
            i = i + cur[t]
            v_pre = v + k_m * ((p["v_leak"] - v) + i)
            i = i - k_s * i
            margin = min(margin, np.abs(v_pre - p["v_th"]).min())
            v = np.where(v_pre > p["v_th"], p["v_reset"], v_pre)
        assert margin > 1e-9
