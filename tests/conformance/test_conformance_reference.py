"""The conformance harness itself, exercised on the reference backend (float32 vs float64)."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spikesim
from spikesim.backends.reference import capabilities
from spikesim.conformance import (
    assert_conforms,
    cases,
    compare_results,
    generate_case,
    generate_cases,
)
from spikesim.conformance.check import full_record


def test_generator_rejects_under_ten_percent_and_is_not_silent():
    found, rejected = generate_cases(capabilities(), 60, seed=1000)
    assert rejected / (len(found) + rejected) < 0.10
    active = 0
    for case in found:
        result = spikesim.compile(case.graph).run(case.inputs)
        active += any(np.asarray(s).any() for s in result.spikes.values())
    assert active >= 0.8 * len(found)


def test_generator_covers_the_features_it_promises():
    graphs = [generate_case(capabilities(), s).graph for s in range(80)]
    pops = [p for g in graphs for _, p in g.populations()]
    edges = [e for g in graphs for e in g.edges]
    assert {p.kind for p in pops} == {"LIF", "LI", "IF"}
    assert {p.reset for p in pops if p.spiking} == {"zero", "subtract"}
    assert any(p.refractory for p in pops)
    assert {g.discretisation for g in graphs} == {"exact", "euler"}
    assert {e.kind for e in edges} == {"Dense", "Sparse"}
    assert any(e.src == e.dst for e in edges), "recurrent self-loops"
    assert any(np.unique(e.delay).size > 1 for e in edges), "per-synapse latencies"
    assert any((e.delay == 0).any() for e in edges), "zero-latency synapses"


@settings(max_examples=40)
@given(case=cases(capabilities()))
def test_reference_float32_conforms_to_float64(case):
    assert_conforms("reference", case.graph, case.inputs, dtype="float32")


@settings(max_examples=25)
@given(case=cases(capabilities()))
def test_single_sample_equals_sample_inside_batch(case):
    sim = spikesim.compile(case.graph, record=full_record(case.graph))
    batch = sim.run(case.inputs)
    alone = sim.run({k: v[:, -1:] for k, v in case.inputs.items()})
    for name in alone.spikes:
        np.testing.assert_array_equal(
            np.asarray(alone.spikes[name])[:, 0], np.asarray(batch.spikes[name])[:, -1]
        )


@settings(max_examples=25)
@given(case=cases(capabilities()))
def test_streaming_step_equals_run(case):
    sim = spikesim.compile(case.graph, record={n: ["v"] for n, _ in case.graph.populations()})
    whole = sim.run(case.inputs)
    sim.reset()
    steps = next(iter(case.inputs.values())).shape[0]
    for t in range(steps):
        out = sim.step({k: v[t] for k, v in case.inputs.items()})
        for name, traces in out.items():
            np.testing.assert_array_equal(traces["v"], np.asarray(whole.states[name]["v"])[t])


def test_compare_results_reports_the_first_difference():
    case = generate_cases(capabilities(), 1, seed=3)[0][0]
    record = full_record(case.graph)
    a = spikesim.compile(case.graph, record=record).run(case.inputs)
    b = spikesim.compile(case.graph, record=record).run(case.inputs)
    name = next(n for n, p in case.graph.populations() if p.spiking)
    b.spikes[name][0, 0, 0] = ~b.spikes[name][0, 0, 0]
    with pytest.raises(AssertionError, match=rf"{name}\.spikes differ first at step 0, sample 0, neuron 0"):
        compare_results(case.graph, a, b, "float64")


@settings(max_examples=25)
@given(case=cases(capabilities()), data=st.data())
def test_streaming_in_chunks_equals_run(case, data):
    # stream() continues the state of step() and of earlier stream() calls: cut the input
    # anywhere (empty chunks too), feed the pieces through both, and every probe must be the run's.
    record = full_record(case.graph)
    sim = spikesim.compile(case.graph, record=record)
    whole = sim.run(case.inputs)
    steps = next(iter(case.inputs.values())).shape[0]
    cuts = sorted(data.draw(st.lists(st.integers(0, steps), max_size=4)))
    sim.reset()
    pieces = []
    for k, (start, stop) in enumerate(itertools.pairwise([0, *cuts, steps])):
        chunk = {n: v[start:stop] for n, v in case.inputs.items()}
        if k % 2 and stop - start == 1:  # a one-step piece through step() instead
            got = sim.step({n: v[0] for n, v in chunk.items()})
            pieces.append({(n, var): got[n][var][None] for n, vs in record.items() for var in vs})
        else:
            got = sim.stream(chunk)
            pieces.append({(n, var): _probe(got, n, var) for n, vs in record.items() for var in vs})
    for name, variables in record.items():
        for var in variables:
            joined = np.concatenate([p[name, var] for p in pieces])
            np.testing.assert_array_equal(joined, _probe(whole, name, var), err_msg=f"{name}.{var}")


def _probe(result, name: str, var: str) -> np.ndarray:
    return np.asarray(result.spikes[name] if var == "spikes" else result.states[name][var])
