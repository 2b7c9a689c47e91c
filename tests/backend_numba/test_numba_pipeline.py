"""A batch of one as two pipelined stages on two threads (``kernels.PIPELINE``) gives the bits
of the serial time loop, chooses its split as documented, and cannot deadlock."""

from __future__ import annotations

import numpy as np
import pytest

numba = pytest.importorskip(
    "numba", reason="numba backend needs numba (pip install 'spikesim[cpu]')"
)

import spikesim  # noqa: E402
from spikesim.backends import numba as numba_backend  # noqa: E402
from spikesim.backends.numba import simulator as numba_simulator  # noqa: E402
from spikesim.conformance import generate_cases  # noqa: E402
from spikesim.conformance.check import full_record  # noqa: E402
from spikesim.errors import GraphError  # noqa: E402
from spikesim.ir import LI, LIF, Graph, Input, Sparse  # noqa: E402

CASES, _ = generate_cases(numba_backend.capabilities(), 12, seed=4100, max_batch=1, max_size=24)

needs_two_threads = pytest.mark.skipif(
    numba.config.NUMBA_NUM_THREADS < 2,
    reason="numba has a single thread here (NUMBA_NUM_THREADS=1): nothing to pipeline on",
)


def _layered(seed: int = 5) -> tuple[Graph, np.ndarray]:
    """in(40) -> h1(48) -> h2(40, recurrent) -> o(10 LI), per-synapse delays 0-6, a skip edge
    in -> h2 (so two nodes' outputs cross the split) and a zero-delay edge h1 -> o."""
    rng = np.random.default_rng(seed)
    g = Graph()
    g.add("in", Input(40))
    g.add("h1", LIF.from_tau(48, tau_mem=20e-3, tau_syn=5e-3, refractory=1))
    g.add("h2", LIF.from_tau(40, tau_mem=10e-3, tau_syn=5e-3, reset="subtract"))
    g.add("o", LI.from_tau(10, tau_mem=10e-3))
    g.connect("in", "h1", rng.normal(0.8, 1.0, (48, 40)), delay=rng.integers(0, 7, (48, 40)))
    g.connect("h1", "h2", rng.normal(0.5, 1.0, (40, 48)), delay=rng.integers(0, 7, (40, 48)))
    g.connect("in", "h2", rng.normal(0.2, 0.5, (40, 40)) * (rng.random((40, 40)) < 0.3))
    rec = rng.normal(0, 1.0, (40, 40)) * (rng.random((40, 40)) < 0.2)
    g.add_edge(Sparse.from_dense("h2", "h2", rec, delay=rng.integers(1, 4, (40, 40))))
    g.connect("h1", "o", rng.normal(0, 0.5, (10, 48)), delay=0)
    g.connect("h2", "o", rng.normal(0, 1.0, (10, 40)))
    x = (rng.random((90, 1, 40)) < 0.15).astype(np.float64)
    return g.validate(), x


def _assert_identical(a, b) -> None:
    for name in a.spikes:
        np.testing.assert_array_equal(np.asarray(a.spikes[name]), np.asarray(b.spikes[name]))
    for name, variables in a.states.items():
        for var, trace in variables.items():
            np.testing.assert_array_equal(
                np.asarray(trace), np.asarray(b.states[name][var]), err_msg=f"{name}.{var}"
            )


def _pipelined_and_serial(graph, x, monkeypatch, **options):
    """The same run pipelined (any valid split taken) and serial; asserts it was pipelined."""
    monkeypatch.setattr(numba_simulator, "PIPELINE_SHARE", 1.0)
    record = full_record(graph)
    piped = spikesim.compile(graph, "numba", record=record, **options)
    assert piped._pipeline_plan() is not None
    serial = spikesim.compile(graph, "numba", record=record, pipeline=False, **options)
    return piped.run(x), serial.run(x), piped


@needs_two_threads
@pytest.mark.parametrize("strategy", ["event", "dense"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pipelined_batch_of_one_is_bit_identical_to_serial(dtype, strategy, monkeypatch):
    graph, x = _layered()
    piped, serial, sim = _pipelined_and_serial(graph, x, monkeypatch, dtype=dtype, strategy=strategy)
    _assert_identical(piped, serial)
    plan = sim._pipeline_plan()
    # h1 and h2 (stage 1 from h2 on) or h1 and o: either way two stages, staged outputs.
    assert 1 <= plan.split < len(sim.layout.names) and plan.staged.size >= 1
    assert np.asarray(serial.spikes["h2"]).sum() > 20  # a run with something to pass on


@needs_two_threads
def test_pipeline_stages_whose_outputs_both_cross_the_split(monkeypatch):
    # With stage 1 starting at h2, both "in" (skip edge) and h1 are staged.
    graph, x = _layered(seed=8)
    monkeypatch.setattr(numba_simulator, "PIPELINE_SHARE", 1.0)
    sim = spikesim.compile(graph, "numba", record=full_record(graph))
    h2 = sim.layout.names.index("h2")
    plan = numba_simulator._Pipeline(h2, np.array([0, h2 - 1]), sim._pipeline_plan().width)
    monkeypatch.setattr(sim, "_pipeline_plan", lambda: plan)
    serial = spikesim.compile(graph, "numba", record=full_record(graph), pipeline=False)
    _assert_identical(sim.run(x), serial.run(x))


@needs_two_threads
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"seed{c.seed}")
def test_pipelined_conformance_graphs_match_serial(case, monkeypatch):
    monkeypatch.setattr(numba_simulator, "PIPELINE_SHARE", 1.0)
    record = full_record(case.graph)
    piped = spikesim.compile(case.graph, "numba", record=record)
    if piped._pipeline_plan() is None:
        pytest.skip("every split of this graph has an edge back across it")
    serial = spikesim.compile(case.graph, "numba", record=record, pipeline=False)
    _assert_identical(piped.run(case.inputs), serial.run(case.inputs))


def test_pipeline_plan_balances_the_pushed_synapses(monkeypatch):
    # A chain of equal layers: the busier stage is least loaded when stage 0 ends after the
    # middle edge's source, and the outputs of that source are the ones staged.
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has a single thread here: no plan is made")
    g = Graph()
    g.add("in", Input(32))
    for name in ("a", "b", "c"):
        g.add(name, LIF(32, v_th=1.0))
    g.connect("in", "a", np.ones((32, 32)))
    g.connect("a", "b", np.ones((32, 32)))
    g.connect("b", "c", np.ones((32, 32)))
    sim = spikesim.compile(g.validate(), "numba")
    plan = sim._pipeline_plan()
    names = sim.layout.names
    # Work per edge 1024 synapses; the best split leaves 2048 : 1024, 2/3 of the total, and
    # 2/3 <= PIPELINE_SHARE; both candidate splits give it, the first is taken.
    assert names[plan.split] == "b" and [names[k] for k in plan.staged] == ["a"]
    monkeypatch.setattr(numba_simulator, "PIPELINE_SHARE", 0.6)
    assert spikesim.compile(g, "numba")._pipeline_plan() is None  # 2/3 > 0.6
    assert spikesim.compile(g, "numba", pipeline=False)._pipeline_plan() is None
    g.add_edge(Sparse.from_dense("c", "a", np.eye(32), delay=np.ones((32, 32), int)))
    assert spikesim.compile(g.validate(), "numba")._pipeline_plan() is None  # c -> a crosses back
    with pytest.raises(GraphError, match="option pipeline must be True or False"):
        spikesim.compile(g, "numba", pipeline="yes")


@needs_two_threads
def test_pipeline_plan_follows_the_measured_density(monkeypatch):
    # Before any run every source counts as always active; after one, its measured density
    # weighs its edges. The plan is then fixed (a batch-1 run does not re-plan).
    graph, x = _layered()
    sim = spikesim.compile(graph, "numba")
    before = sim._pipeline_plan()
    sim.run(x)
    after = sim._pipeline_plan()
    assert sim._plans.keys() == {False, True}
    sim.density = sim.density * 0  # a change in density is no longer looked at
    assert sim._pipeline_plan() is after
    assert before is not after


@needs_two_threads
def test_pipelined_stages_on_one_thread_still_finish_in_claim_order(monkeypatch):
    # Stages go to threads in the order they arrive and stage 0 never waits, so one thread
    # running both iterations (here the only thread) finishes stage 0, then stage 1.
    graph, x = _layered()
    monkeypatch.setattr(numba_simulator, "PIPELINE_SHARE", 1.0)
    record = full_record(graph)
    sim = spikesim.compile(graph, "numba", record=record)
    plan = sim._pipeline_plan()
    monkeypatch.setattr(sim, "_pipeline_plan", lambda: plan)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one_thread = sim.run(x)
    finally:
        numba.set_num_threads(before)
    _assert_identical(one_thread, spikesim.compile(graph, "numba", record=record).run(x))


@needs_two_threads
def test_pipelined_run_in_several_kernel_calls_equals_one_call(monkeypatch):
    # Staging is bounded per call (STAGING_BYTES): longer runs carry their state from call
    # to call, and each call restarts the stages' progress.
    graph, x = _layered()
    piped, serial, _ = _pipelined_and_serial(graph, x, monkeypatch)
    monkeypatch.setattr(numba_simulator, "STAGING_BYTES", 1)  # one step per call
    record = full_record(graph)
    _assert_identical(spikesim.compile(graph, "numba", record=record).run(x), serial)
    _assert_identical(piped, serial)


@needs_two_threads
def test_pipeline_staging_too_small_is_refused(monkeypatch):
    # The kernel indexes the staging arrays without bounds checks: too small, it refuses.
    graph, x = _layered()
    monkeypatch.setattr(numba_simulator, "PIPELINE_SHARE", 1.0)
    sim = spikesim.compile(graph, "numba")
    real_pipe = sim._pipe
    monkeypatch.setattr(sim, "_pipe", lambda plan, steps: real_pipe(plan, steps - 1))
    with pytest.raises(RuntimeError, match="staging arrays are smaller"):
        sim.run(x)
