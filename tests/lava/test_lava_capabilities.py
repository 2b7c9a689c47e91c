"""What the Lava backend declares it cannot represent, and how compile() rejects it (no Lava needed)."""

from __future__ import annotations

import numpy as np
import pytest

import spikesim
from spikesim.backends import lava as lava_backend
from spikesim.capabilities import check_supported
from spikesim.errors import BackendUnavailableError, UnsupportedFeatureError


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(reset="subtract"), "reset='subtract'"),
        (dict(v_reset=0.2), "v_reset must be 0"),
        (dict(refractory=2), "refractory"),
    ],
)
def test_unrepresentable_neuron_features_are_rejected(change, message):
    g = spikesim.Graph()
    g.add("in", spikesim.Input(2))
    g.add("p", spikesim.LIF(2, **change))
    g.connect("in", "p", np.eye(2), delay=1)
    with pytest.raises(UnsupportedFeatureError, match=message):
        check_supported(g, lava_backend.capabilities(), "float64", "lava")


@pytest.mark.parametrize(
    ("edge", "message"),
    [
        (dict(delay=0), "latency 0 < this backend's min_latency 1"),
        (dict(delay=65), "latency 65 > this backend's max_latency 64"),
        (dict(bias=[0.1, 0.1], delay=1), "projection bias"),
    ],
)
def test_unrepresentable_edges_are_rejected(edge, message):
    g = spikesim.Graph()
    g.add("in", spikesim.Input(2))
    g.add("p", spikesim.LIF(2))
    g.connect("in", "p", np.eye(2), **edge)
    with pytest.raises(UnsupportedFeatureError, match=message):
        check_supported(g, lava_backend.capabilities(), "float64", "lava")


def test_non_spiking_readout_is_rejected():
    g = spikesim.Graph()
    g.add("in", spikesim.Input(2))
    g.add("p", spikesim.LI(2))
    g.connect("in", "p", np.eye(2), delay=1)
    with pytest.raises(UnsupportedFeatureError, match="node type LI"):
        check_supported(g, lava_backend.capabilities(), "float64", "lava")


def test_missing_environment_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv("SPIKESIM_LAVA_VENV", str(tmp_path / "nowhere"))
    usable, reason = lava_backend.availability()
    assert not usable
    assert "nowhere" in reason and "make lava-env" in reason
    g = spikesim.Graph()
    g.add("in", spikesim.Input(1))
    g.add("p", spikesim.LIF(1))
    g.connect("in", "p", [[1.0]], delay=1)
    with pytest.raises(BackendUnavailableError, match="make lava-env"):
        spikesim.compile(g, backend="lava")


def test_zero_current_gain_is_rejected():
    g = spikesim.Graph()
    g.add("in", spikesim.Input(1))
    g.add("p", spikesim.LIF(1, current_gain=0.0))
    g.connect("in", "p", [[1.0]], delay=1)
    with pytest.raises(UnsupportedFeatureError, match="current_gain = 0"):
        lava_backend.compile(g)
