"""Numba's ``dtype="fixed"`` (backends/numba/fixed.py) is bit-exact with the reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spikesim
from spikesim.conformance import compare_results
from spikesim.conformance.check import full_record
from spikesim.conformance.fixed import generate_fixed_case
from spikesim.errors import GraphError

pytest.importorskip("numba")


@settings(max_examples=25)
@given(st.integers(min_value=1000, max_value=2**31 - 1))
def test_hypothesis_fixed_graphs(seed):
    case = generate_fixed_case(seed)
    record = full_record(case.graph)
    want = spikesim.compile(case.graph, dtype="fixed", record=record).run(case.inputs)
    got = spikesim.compile(case.graph, backend="numba", dtype="fixed", record=record).run(case.inputs)
    compare_results(case.graph, got, want, "fixed")


@pytest.mark.parametrize("seed", range(0, 40, 4))
def test_random_fixed_graphs(seed):
    for s in range(seed, seed + 4):
        case = generate_fixed_case(s)
        record = full_record(case.graph)
        want = spikesim.compile(case.graph, dtype="fixed", record=record).run(case.inputs)
        got = spikesim.compile(case.graph, backend="numba", dtype="fixed", record=record).run(case.inputs)
        compare_results(case.graph, got, want, "fixed")


def test_each_fixed_rule(rule_cases):
    for case in rule_cases:
        result = spikesim.compile(case.graph, backend="numba", dtype="fixed", record=case.record).run(case.inputs)
        for (pop, var), want in case.expected.items():
            got = result.spikes[pop] if var == "spikes" else result.states[pop][var]
            np.testing.assert_array_equal(np.asarray(got)[:, 0, :], want, err_msg=case.rule)


def test_streaming_step_equals_run():
    case = generate_fixed_case(7)
    pop = case.graph.outputs()["out"]
    sim = spikesim.compile(case.graph, backend="numba", dtype="fixed", record={pop: ["v", "spikes"]})
    whole = sim.run(case.inputs)
    for t in range(case.inputs["in"].shape[0]):
        got = sim.step({"in": case.inputs["in"][t]})
        np.testing.assert_array_equal(got[pop]["v"], np.asarray(whole.states[pop]["v"])[t])


def test_stream_in_chunks_from_a_refilled_buffer_equals_run():
    # The fixed kernel keeps no state, so a stream replays what it was given: the pieces must
    # be kept as they were, though the caller refills one buffer for each.
    case = generate_fixed_case(7)
    pop = case.graph.outputs()["out"]
    sim = spikesim.compile(
        case.graph, backend="numba", dtype="fixed", record={pop: ["v", "spikes"]}
    )
    x = case.inputs["in"]
    whole = sim.run(case.inputs)
    buffer, pieces = np.empty_like(x), []
    for start, stop in [(0, 5), (5, 5), (5, 6), (6, x.shape[0])]:
        chunk = buffer[: stop - start]
        chunk[:] = x[start:stop]
        pieces.append(np.asarray(sim.stream({"in": chunk}).states[pop]["v"]))
        buffer[:] = 0
    np.testing.assert_array_equal(np.concatenate(pieces), np.asarray(whole.states[pop]["v"]))


@pytest.mark.parametrize("option", [{"strategy": "event"}, {"flush_denormals": True}])
def test_fixed_refuses_the_float_options(option):
    # Both would be silently meaningless in int64: say so instead.
    case = generate_fixed_case(3)
    with pytest.raises(GraphError, match=f"options \\['{next(iter(option))}'\\] apply to float32"):
        spikesim.compile(case.graph, backend="numba", dtype="fixed", **option)
