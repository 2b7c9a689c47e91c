"""Build the ``DelayNet`` a run config describes (the DCLS SHD architecture by default)."""

from __future__ import annotations

from spikesim.torch.network import DelayNet, PopulationSpec, SpikingLayer
from spikesim.torch.surrogate import Surrogate
from spikesim.train.config import RunConfig


def build_model(cfg: RunConfig, n_features: int, n_classes: int) -> DelayNet:
    """Hidden LIF layers (BatchNorm, dropout) and an LI readout, each behind a delayed projection.

    ``beta = 1 - dt/tau`` (SpikingJelly's LIF with ``decay_input=False``); the readout has no
    BatchNorm or dropout. ``tail_steps = layers * (taps - 1) // 2`` as in DCLS.
    """
    m, dt_ms = cfg.model, cfg.data.dt_ms
    surrogate = Surrogate(m.surrogate, m.surrogate_alpha or None)
    beta = 1.0 - dt_ms / m.tau_ms
    layers, names, width = [], [], n_features
    for index, size in enumerate(m.hidden, start=1):
        population = PopulationSpec.lif(size, beta, m.v_th, m.reset)
        layers.append(SpikingLayer(
            width, population, surrogate, m.taps, m.learn_delays, m.latency_offset,
            batchnorm=m.batchnorm, dropout=m.dropout,
        ))
        names.append(f"hidden{index}")
        width = size
    readout = PopulationSpec.li(n_classes, 1.0 - dt_ms / m.readout_tau_ms)
    layers.append(SpikingLayer(width, readout, surrogate, m.taps, m.learn_delays, m.latency_offset))
    names.append("readout")
    tail = len(layers) * ((m.taps - 1) // 2)
    return DelayNet(n_features, layers, names, dt_ms / 1000.0, tail)
