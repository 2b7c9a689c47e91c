"""Ideal mode of the rram backend against the reference, through the conformance harness."""

from __future__ import annotations

import numpy as np
import pytest

import spikesim
from spikesim.conformance import assert_conforms, generate_cases
from spikesim.hardware.rram import MacroConfig
from spikesim.hardware.rram import backend as rram_backend

CASES, _ = generate_cases(rram_backend.capabilities(), 20, seed=800)
#: A tiny macro (4 rows x 3 column pairs) so that most projections span several tiles.
SMALL = MacroConfig.ideal(rows=4, cols=6)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"seed{c.seed}")
def test_ideal_rram_conforms_to_reference(case, dtype):
    assert_conforms("rram", case.graph, case.inputs, dtype=dtype, config="ideal")


@pytest.mark.parametrize("case", CASES[:10], ids=lambda c: f"seed{c.seed}")
def test_ideal_rram_conforms_when_tiled_on_small_macros(case):
    assert_conforms("rram", case.graph, case.inputs, config=SMALL)


def test_ideal_mapping_reconstructs_weights_per_delay_slice():
    rng = np.random.default_rng(1)
    graph = spikesim.Graph()
    graph.add("in", spikesim.Input(9))
    graph.add("p", spikesim.LIF(7))
    weight = rng.normal(size=(7, 9)) * (rng.random((7, 9)) < 0.6)
    delay = rng.integers(0, 4, (7, 9))
    graph.connect("in", "p", weight, delay=delay)
    sim = spikesim.compile(graph, "rram", config=SMALL)
    (edge_map,) = sim.maps
    slices = edge_map.weights()
    assert sorted(slices) == sorted(np.unique(delay[weight != 0]).tolist())
    for latency, w in slices.items():
        want = np.where((delay == latency) & (weight != 0), weight, 0.0)
        np.testing.assert_allclose(w, want, rtol=0, atol=1e-14 * np.abs(weight).max())
    # every tile fits the small macro and names its slice's latency
    for sl in edge_map.slices:
        for tile in sl.tiles:
            assert tile.rows <= 4 and tile.cols <= 3


def test_default_macro_is_not_ideal_but_close():
    case = CASES[0]
    got = spikesim.compile(case.graph, "rram").run(case.inputs)
    assert not MacroConfig().is_ideal() and MacroConfig.ideal().is_ideal()
    assert got.hardware.total.total_pj > 0
