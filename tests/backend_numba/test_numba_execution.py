"""Strategies, thread counts, batching and streaming of the numba backend give identical results."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

numba = pytest.importorskip(
    "numba", reason="numba backend needs numba (pip install 'spikesim[cpu]')"
)

import spikesim  # noqa: E402
from spikesim.backends import numba as numba_backend  # noqa: E402
from spikesim.backends.numba import simulator as numba_simulator  # noqa: E402
from spikesim.conformance import assert_conforms, generate_cases  # noqa: E402
from spikesim.conformance.check import full_record  # noqa: E402
from spikesim.errors import GraphError  # noqa: E402
from spikesim.ir import LI, LIF, Graph, Input, Sparse  # noqa: E402

CASES, _ = generate_cases(numba_backend.capabilities(), 8, seed=900, max_batch=5, max_size=24)


def _network(seed: int = 3) -> tuple[Graph, np.ndarray]:
    """140 -> 64 LIF (per-synapse delays 0-9, recurrent sparse) -> 10 LI, 5 % input spikes."""
    rng = np.random.default_rng(seed)
    graph = Graph()
    graph.add("in", Input(140))
    graph.add("h", LIF.from_tau(64, tau_mem=20e-3, tau_syn=5e-3, refractory=1))
    graph.add("o", LI.from_tau(10, tau_mem=10e-3))
    graph.connect("in", "h", rng.normal(0.6, 1.0, (64, 140)), delay=rng.integers(0, 10, (64, 140)))
    rec = rng.normal(0, 1.0, (64, 64)) * (rng.random((64, 64)) < 0.1)
    graph.add_edge(Sparse.from_dense("h", "h", rec, delay=rng.integers(1, 5, (64, 64))))
    graph.connect("h", "o", rng.normal(0, 1.0, (10, 64)))
    x = (rng.random((60, 6, 140)) < 0.05).astype(np.float64)
    return graph.validate(), x


def _run(graph, x, **options):
    record = full_record(graph)
    return spikesim.compile(graph, "numba", record=record, **options).run(x)


def _assert_identical(a, b) -> None:
    for name in a.spikes:
        np.testing.assert_array_equal(
            np.asarray(a.spikes[name]), np.asarray(b.spikes[name]), err_msg=name
        )
    for name, variables in a.states.items():
        for var, trace in variables.items():
            np.testing.assert_array_equal(
                np.asarray(trace), np.asarray(b.states[name][var]), err_msg=f"{name}.{var}"
            )


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"seed{c.seed}")
def test_numba_event_and_dense_are_bit_identical(case):
    # Both strategies add the same terms in the same order, so even voltages agree bit for bit.
    _assert_identical(
        _run(case.graph, case.inputs, strategy="event"),
        _run(case.graph, case.inputs, strategy="dense"),
    )


def test_numba_same_result_for_any_thread_count():
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has a single thread here (NUMBA_NUM_THREADS=1): nothing to compare")
    graph, x = _network()
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = _run(graph, x)
        numba.set_num_threads(2)
        two = _run(graph, x)
    finally:
        numba.set_num_threads(before)
    assert np.asarray(one.spikes["h"]).sum() > 100, "the network should be active"
    _assert_identical(one, two)


def test_numba_sample_alone_equals_sample_in_batch():
    graph, x = _network()
    batch = _run(graph, x)
    for b in (0, 4):
        alone = _run(graph, x[:, b : b + 1])
        for name in batch.spikes:
            np.testing.assert_array_equal(
                np.asarray(alone.spikes[name])[:, 0], np.asarray(batch.spikes[name])[:, b]
            )
        np.testing.assert_array_equal(
            np.asarray(alone.states["o"]["v"])[:, 0], np.asarray(batch.states["o"]["v"])[:, b]
        )


def test_numba_dense_tiles_give_every_sample_its_own_bits(monkeypatch):
    # Dense pushes run the batch in tiles of DENSE_TILE samples that share each pass over the
    # weights. 19 graded samples: two full tiles of 8 and one of 3. Any tile size, a sample
    # alone, and the event strategy must give the same bits.
    graph, _ = _network()
    rng = np.random.default_rng(5)
    x = rng.uniform(0.0, 1.5, (40, 19, 140)) * (rng.random((40, 19, 140)) < 0.6)
    x[:, 7, ::3] = 1.0  # spikes in some blocks of four: the multiply-free path inside a tile
    tiled = _run(graph, x, strategy="dense")
    assert np.asarray(tiled.spikes["h"]).sum() > 100, "the network should be active"
    for size in (1, 3):
        monkeypatch.setattr(numba_simulator, "DENSE_TILE", size)
        _assert_identical(tiled, _run(graph, x, strategy="dense"))
    _assert_identical(tiled, _run(graph, x, strategy="event"))
    for b in (0, 7, 18):
        alone = _run(graph, x[:, b : b + 1], strategy="dense")
        for name, trace in alone.states["o"].items():
            np.testing.assert_array_equal(
                np.asarray(trace)[:, 0], np.asarray(tiled.states["o"][name])[:, b]
            )


def test_numba_two_edges_into_one_target_keep_their_order_in_a_tile(monkeypatch):
    # A tile pushes edge by edge, each edge for all its samples. Two edges from one source
    # into the same slots, one of them dense and one-latency (shared passes over the weights),
    # must still add their terms in edge order: the bits of tiles of one.
    rng = np.random.default_rng(8)
    graph = Graph()
    graph.add("in", Input(30))
    graph.add("o", LI(7, alpha=0.0, beta=0.0))  # i = this step's input, exactly
    graph.connect(
        "in", "o", rng.normal(0, 1, (7, 30)) * 10.0 ** rng.uniform(-4, 4, (7, 30)), delay=1
    )
    extra = rng.normal(0, 1, (7, 30)) * 10.0 ** rng.uniform(-4, 4, (7, 30))
    # Latencies 1 and 2: per-synapse, so pushed sample by sample, half into the same slots.
    graph.add_edge(Sparse.from_dense("in", "o", extra, delay=rng.integers(1, 3, (7, 30))))
    x = rng.uniform(-2.0, 2.0, (12, 6, 30))
    tiled = _run(graph.validate(), x, strategy="dense")
    monkeypatch.setattr(numba_simulator, "DENSE_TILE", 1)
    _assert_identical(tiled, _run(graph, x, strategy="dense"))


def test_numba_streaming_steps_equal_run_and_reset_restarts():
    graph, x = _network()
    record = {"h": ["spikes", "v"], "o": ["v"]}
    sim = spikesim.compile(graph, "numba", record=record)
    whole = sim.run(x)
    for _ in range(2):  # the second pass checks that reset() returns to the initial state
        for t in range(x.shape[0]):
            got = sim.step(x[t])
            np.testing.assert_array_equal(got["h"]["spikes"], np.asarray(whole.spikes["h"])[t])
            np.testing.assert_array_equal(got["h"]["v"], np.asarray(whole.states["h"]["v"])[t])
            np.testing.assert_array_equal(got["o"]["v"], np.asarray(whole.states["o"]["v"])[t])
        sim.reset()
    assert got["h"]["spikes"].dtype == np.bool_


@pytest.mark.parametrize("calls_per_chunk", ["one", "per step"])
def test_numba_stream_in_chunks_equals_run(monkeypatch, calls_per_chunk):
    # The windows' horizon here is 9 steps (latencies up to 9): the cuts fall before, on and
    # after its moves, and pieces go through stream() (one kernel call, or one per step past
    # CHUNK_BYTES) and step() in turn, continuing one another's state. The input buffer is
    # refilled in place between pieces, as a streaming caller would.
    graph, x = _network()
    record = full_record(graph)
    sim = spikesim.compile(graph, "numba", record=record)
    whole = sim.run(x)
    if calls_per_chunk == "per step":
        monkeypatch.setattr(numba_simulator, "CHUNK_BYTES", 1)
    buffer = np.empty_like(x)
    pieces = []
    for start, stop in itertools.pairwise([0, 0, 8, 9, 10, 11, 27, 28, 45, x.shape[0]]):
        if stop - start == 1 and start % 2:
            got = sim.step(x[start])
            pieces.append({(n, v): a[None] for n, vs in got.items() for v, a in vs.items()})
            continue
        chunk = buffer[: stop - start]
        chunk[:] = x[start:stop]
        got = sim.stream(chunk)
        pieces.append({key: np.array(_probe(got, *key)) for key in _probes(record)})
        buffer[:] = -1.0  # what the chunk's results must not depend on
    for key in _probes(record):
        np.testing.assert_array_equal(
            np.concatenate([p[key] for p in pieces]), _probe(whole, *key), err_msg=str(key)
        )
    # A new batch size starts a new stream, from the initial state.
    again = sim.stream(x[:20, :2])
    np.testing.assert_array_equal(_probe(again, "h", "v"), _probe(whole, "h", "v")[:20, :2])


def test_numba_stream_after_a_failed_call_starts_again(monkeypatch):
    graph, x = _network()
    sim = spikesim.compile(graph, "numba", record={"o": ["v"]})
    whole = sim.run(x)
    sim.stream(x[:10])
    real_call = numba_simulator.NumbaSimulator._call

    def fail_after_one_call(self, *args):
        monkeypatch.setattr(numba_simulator.NumbaSimulator, "_call", fail)
        return real_call(self, *args)

    def fail(self, *args):
        raise KeyboardInterrupt

    monkeypatch.setattr(numba_simulator, "CHUNK_BYTES", 1)
    monkeypatch.setattr(numba_simulator.NumbaSimulator, "_call", fail_after_one_call)
    with pytest.raises(KeyboardInterrupt):
        sim.stream(x[10:20])  # stopped after one of its ten steps
    monkeypatch.undo()
    np.testing.assert_array_equal(
        _probe(sim.stream(x[:30]), "o", "v"), _probe(whole, "o", "v")[:30]
    )


def test_numba_stream_rejects_bad_input_and_keeps_its_state():
    graph, x = _network()
    sim = spikesim.compile(graph, "numba", record={"o": ["v"]})
    whole = sim.run(x)
    first = sim.stream(x[:7])
    bad = x[7:12].copy()
    bad[2, 1, 5] = np.nan
    with pytest.raises(GraphError, match=r"inputs\['in'\]: contains NaN or inf"):
        sim.stream(bad)
    with pytest.raises(GraphError, match=r"inputs\['in'\]: expected shape \[T, B, 140\]"):
        sim.stream(x[7:12, :, :100])
    rest = sim.stream(x[7:])
    joined = np.concatenate([_probe(first, "o", "v"), _probe(rest, "o", "v")])
    np.testing.assert_array_equal(joined, _probe(whole, "o", "v"))


def _probes(record) -> list[tuple[str, str]]:
    return [(name, var) for name, variables in record.items() for var in variables]


def _probe(result, name: str, var: str) -> np.ndarray:
    return np.asarray(result.spikes[name] if var == "spikes" else result.states[name][var])


def test_numba_run_in_several_kernel_calls_equals_one_call(monkeypatch):
    # A recording past CHUNK_BYTES is simulated in several kernel calls, each writing its own
    # sample-major probe arrays; the pieces must join into the traces of one call.
    graph, x = _network()
    whole = _run(graph, x)
    assert whole.spikes["h"].shape == (x.shape[0], x.shape[1], 64)
    monkeypatch.setattr(numba_simulator, "CHUNK_BYTES", 1)  # one step per call
    _assert_identical(whole, _run(graph, x))
    with pytest.raises(AssertionError):  # the traces really depend on the step
        _assert_identical(whole, _run(graph, x[::-1]))


def test_numba_run_keeps_state_rows_per_thread_not_per_sample(monkeypatch):
    # A run in one kernel call allocates tile-size state rows per thread, not one per sample;
    # every tile restarts its thread's rows, so each of 6 samples (event: tiles of one) must
    # still match its own run alone, and a run in several calls (per-sample rows).
    graph, x = _network()
    rows = []
    real_state = numba_simulator._State

    def counting_state(layout, batch, dtype, rows_=None):
        state = real_state(layout, batch, dtype, rows_)
        rows.append((batch, state.v.shape[0], state.buf.shape[0], state.nonzero.shape[0]))
        return state

    monkeypatch.setattr(numba_simulator, "_State", counting_state)
    one_call = _run(graph, x, strategy="event")
    threads = numba.get_num_threads()
    assert rows == [(6, threads, threads, 6)]
    monkeypatch.setattr(numba_simulator, "CHUNK_BYTES", 1)  # one step per call
    _assert_identical(one_call, _run(graph, x, strategy="event"))
    assert rows[1] == (6, 6, 6, 6)
    for b in (0, 5):
        alone = _run(graph, x[:, b : b + 1], strategy="event")
        np.testing.assert_array_equal(
            np.asarray(alone.states["o"]["v"])[:, 0], np.asarray(one_call.states["o"]["v"])[:, b]
        )


def test_numba_thread_outside_its_state_rows_raises(monkeypatch):
    # The kernel indexes state without bounds checks; a tile whose rows the caller did not
    # allocate is refused (an exception cannot leave the parallel region, so it is flagged
    # and raised after the call) instead of writing past the arrays.
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has a single thread here (NUMBA_NUM_THREADS=1): every id is 0")
    graph, x = _network()
    sim = spikesim.compile(graph, "numba", strategy="event")
    real_state = numba_simulator._State
    monkeypatch.setattr(
        numba_simulator,
        "_State",
        lambda layout, batch, dtype, rows=None: real_state(
            layout, batch, dtype, None if rows is None else 1
        ),
    )
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(2)
        with pytest.raises(RuntimeError, match="outside its state rows"):
            sim.run(np.repeat(x, 200, axis=1))  # 1200 tiles: thread 1 runs some of them
    finally:
        numba.set_num_threads(before)


def test_numba_record_streamed_to_hdf5_equals_the_in_ram_record(tmp_path):
    # The kernel's sample-major probes reach an HDF5 record through [T, B, n] views.
    h5py = pytest.importorskip("h5py")
    graph, x = _network()
    sim = spikesim.compile(graph, "numba", record=full_record(graph))
    ram = sim.run(x)
    disk = sim.run(x, record_to=tmp_path / "record.h5")
    for name in ram.spikes:
        assert isinstance(disk.spikes[name], h5py.Dataset)
        np.testing.assert_array_equal(disk.spikes[name][()], ram.spikes[name])
    for name, variables in ram.states.items():
        for var, trace in variables.items():
            np.testing.assert_array_equal(disk.states[name][var][()], trace)


def test_numba_streaming_matches_reference_streaming():
    graph, x = _network()
    ref = spikesim.compile(graph, "reference")
    sim = spikesim.compile(graph, "numba")
    for t in range(x.shape[0]):
        want, got = ref.step(x[t]), sim.step(x[t])
        np.testing.assert_array_equal(got["h"]["spikes"], want["h"]["spikes"])
        np.testing.assert_allclose(got["o"]["v"], want["o"]["v"], rtol=1e-12, atol=1e-12)


def test_numba_auto_strategy_follows_measured_density():
    graph, x = _network()
    sim = spikesim.compile(graph, "numba")  # strategy="auto"
    edges = sim.layout.edge_names
    # Unmeasured populations start event-driven; the 5 % input is event-driven too.
    assert dict(zip(edges, sim.edge_strategies(x))) == {"in->h": 0, "h->h": 0, "h->o": 0}
    # A graded input that is nonzero everywhere is pushed densely.
    graded = np.random.default_rng(0).uniform(0.1, 1.0, x.shape)
    assert dict(zip(edges, sim.edge_strategies(graded)))["in->h"] == 1
    sim.run(x)
    assert 0 < sim.density[sim.layout.names.index("h")] < 0.5
    # The LI readout outputs its membrane (nonzero almost always): measured density near 1.
    assert sim.density[sim.layout.names.index("o")] > 0.9


def test_numba_rejects_unknown_options():
    graph, _ = _network()
    with pytest.raises(GraphError, match="strategy"):
        spikesim.compile(graph, "numba", strategy="fastest")
    with pytest.raises(GraphError, match="unknown options"):
        spikesim.compile(graph, "numba", threads=4)


def test_numba_batch_of_graded_inputs_matches_reference_float32():
    graph, x = _network()
    graded = x * np.random.default_rng(1).uniform(0.5, 1.5, x.shape)
    got = spikesim.compile(graph, "numba", dtype="float32", record={"o": ["v"]}).run(graded)
    want = spikesim.compile(graph, "reference", dtype="float32", record={"o": ["v"]}).run(graded)
    v_got, v_want = np.asarray(got.states["o"]["v"]), np.asarray(want.states["o"]["v"])
    assert v_got.dtype == np.float32
    np.testing.assert_allclose(v_got, v_want, rtol=1e-5, atol=1e-5 * np.abs(v_want).max())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_numba_spike_raster_dtypes_give_identical_results(dtype):
    # bool and uint8 rasters reach the kernel uncopied (uint8) and are widened per step: the
    # same terms as the float raster, so every spike and voltage agrees bit for bit. Counts
    # above 1 (two events in one bin) must widen exactly too.
    graph, x = _network()
    x = x.copy()
    x[5, :, :3] = 3.0
    floats = _run(graph, x, dtype=dtype)
    _assert_identical(floats, _run(graph, x.astype(np.uint8), dtype=dtype))
    spikes = x != 0
    _assert_identical(
        _run(graph, spikes.astype(np.float64), dtype=dtype), _run(graph, spikes, dtype=dtype)
    )


def test_numba_float_and_raster_inputs_share_one_compiled_kernel():
    # The input reaches the kernel as bytes with a flag, so that an input dtype is not a
    # specialisation (a whole second compile of the time loop in each entry point).
    from spikesim.backends.numba import kernels

    graph, x = _network()
    for inputs in (x, x != 0):
        for batch in (1, 2):
            spikesim.compile(graph, "numba", dtype="float32").run(inputs[:, :batch])
    for entry, x_at in ((kernels.tile, 4), (kernels.simulate, 1)):
        inputs = {str(signature[x_at]) for signature in entry.signatures}
        assert inputs == {"array(uint8, 3d, C)"}, (entry, inputs)


def test_numba_state_rows_start_on_cache_lines():
    # Each sample's state row is a whole number of 64-byte lines and starts on one, so threads
    # that own neighbouring samples never write to the same line (false sharing).
    from spikesim.backends.numba.simulator import _State

    graph, _ = _network()
    sim = spikesim.compile(graph, "numba", dtype="float32")
    state = _State(sim.layout, 3, np.float32)
    for array in (state.v, state.cur, state.ref, state.out, state.buf, state.nonzero):
        assert array.ctypes.data % 64 == 0 and array.strides[0] % 64 == 0
    assert all(o % 16 == 0 for o in sim.layout.offset)


@pytest.mark.parametrize("strategy", ["event", "dense"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_numba_push_adds_terms_one_at_a_time_in_presynaptic_order(dtype, strategy):
    # A rows-shaped push handles four presynaptic rows per pass over the slot. Each element
    # must still be ((0 + w0*x0) + w1*x1) + ... in ascending presynaptic order, with one
    # rounding per term: weights spanning 12 orders of magnitude make any other order or
    # grouping visible. 23 channels: five blocks of four and a remainder of three, spikes
    # (the path without multiplies) and graded values, blocks that mix the two.
    # Three samples with different values: dense, they share a tile (each its own terms).
    rng = np.random.default_rng(7)
    n_in, n_out, steps, batch = 23, 5, 6, 3
    w = rng.choice([-1.0, 1.0], (n_out, n_in)) * 10.0 ** rng.uniform(-6, 6, (n_out, n_in))
    x = np.ones((steps, batch, n_in))
    x[1] = rng.uniform(0.1, 3.0, (batch, n_in))
    x[2, :, ::3] = 0.0
    x[3, 0, ::2] = 2.5
    x[3, 2, 1::2] = 0.5
    x[4, :2] = 0.0
    graph = Graph()
    graph.add("in", Input(n_in))
    graph.add("o", LI(n_out, alpha=0.0, beta=0.0))  # i = x, exactly
    graph.connect("in", "o", w, delay=1)
    got = spikesim.compile(
        graph.validate(), "numba", dtype=dtype, strategy=strategy, record={"o": ["i"]}
    ).run(x)
    real = np.dtype(dtype).type
    want = np.zeros((steps, batch, n_out), dtype)
    for t in range(1, steps):
        for b in range(batch):
            for k in range(n_out):
                acc = real(0.0)
                for j in range(n_in):
                    if x[t - 1, b, j] != 0:
                        acc = real(acc + real(real(w[k, j]) * real(x[t - 1, b, j])))
                want[t, b, k] = acc
    np.testing.assert_array_equal(np.asarray(got.states["o"]["i"]), want)


def test_numba_uniform_populations_update_exactly_as_per_neuron_ones():
    # _network()'s populations share their coefficients, so they update with scalars; forcing
    # the per-neuron path must give the same bits.
    graph, x = _network()
    record = full_record(graph)
    sim = spikesim.compile(graph, "numba", record=record)
    assert sim.layout.uniform[sim.layout.kind != 0].all()
    per_neuron = spikesim.compile(graph, "numba", record=record)
    nodes, coeffs, synapses = per_neuron._kernel_args
    no_scalars = np.zeros_like(per_neuron.layout.uniform)
    per_neuron._kernel_args = (nodes[:-2] + (no_scalars, nodes[-1]), coeffs, synapses)
    _assert_identical(sim.run(x), per_neuron.run(x))


def _float32_valued(graph: Graph) -> Graph:
    """``graph`` with every weight rounded to the nearest float32 (what torch training gives)."""
    for edge in graph.edges:
        edge.weight = edge.weight.astype(np.float32).astype(np.float64)
    return graph.validate()


def test_numba_float32_valued_weights_stored_compactly_give_float64_storage_bits():
    graph, x = _network()
    graph = _float32_valued(graph)
    record = full_record(graph)
    compact = spikesim.compile(graph, "numba", dtype="float64", record=record)
    assert compact.layout.syn_weight.dtype == np.float32
    wide = spikesim.compile(graph, "numba", dtype="float64", record=record)
    nodes, coeffs, (indptr, offsets, weights) = wide._kernel_args
    wide._kernel_args = (nodes, coeffs, (indptr, offsets, weights.astype(np.float64)))
    result = compact.run(x)
    _assert_identical(result, wide.run(x))
    assert sum(int(np.asarray(s).sum()) for s in result.spikes.values()) > 0
    assert_conforms("numba", graph, {"in": x}, dtype="float64")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numba_compaction_lists_nonzero_indices_in_order(dtype):
    # The vector compaction reads whole blocks of 16 past n: values there must be ignored.
    # NaN counts as nonzero, -0.0 as zero, as in ``values != 0``.
    from spikesim.backends.numba.kernels import COMPACT_LANES, _compact

    # A tile keeps one row per sample: indices are relative to the row, written from it on.
    rng = np.random.default_rng(11)
    for n in (0, 1, 15, 16, 17, 200, 256):
        for row in (0, 48):
            values = np.full(row + n + COMPACT_LANES, 7.0, dtype)
            mine = values[row : row + n]
            mine[:] = np.where(rng.random(n) < 0.3, rng.normal(size=n), 0.0)
            mine[: n // 2 : 5] = np.nan
            mine[1:n:7] = -0.0
            active = np.full(row + n + COMPACT_LANES, -1, np.int32)
            count = _compact(values, row, n, active)
            want = np.flatnonzero(mine != 0)
            assert count == want.size
            np.testing.assert_array_equal(active[row : row + count], want)
            assert (active[:row] == -1).all() and (active[row + count :] == -1).all()


def _silent_decay() -> tuple[Graph, np.ndarray]:
    """Neurons starting at v = 1 that decay by 0.9 per step with no input: in float32, v passes
    below the smallest normal number (1.2e-38) near step 830 and then sticks at a subnormal
    fixed point (0.9 * v rounds back to v)."""
    graph = Graph()
    graph.add("in", Input(2))
    graph.add("p", LIF(40, beta=0.9, v_init=1.0, v_th=2.0))
    graph.connect("in", "p", np.full((40, 2), 0.5))
    return graph.validate(), np.zeros((1000, 3, 2), np.float32)


def test_numba_default_keeps_subnormal_numbers_as_the_reference_does():
    graph, x = _silent_decay()
    got = spikesim.compile(graph, "numba", dtype="float32", record={"p": ["v"]}).run(x)
    want = spikesim.compile(graph, "reference", dtype="float32", record={"p": ["v"]}).run(x)
    v = np.asarray(got.states["p"]["v"])
    np.testing.assert_array_equal(v, np.asarray(want.states["p"]["v"]))
    tiny = np.finfo(np.float32).tiny
    assert 0 < v[-1].max() < tiny  # subnormal, not flushed


def test_numba_flush_denormals_zeroes_subnormals_and_restores_the_fp_mode():
    from numba import njit

    from spikesim.backends.numba.kernels import _read_fp_mode

    graph, x = _silent_decay()
    fp_mode = njit(lambda: _read_fp_mode())
    before = fp_mode()
    sims = [
        spikesim.compile(graph, "numba", dtype="float32", record={"p": ["v"]}, flush_denormals=f)
        for f in (False, True)
    ]
    exact, flushed = (np.asarray(s.run(x[:, :1]).states["p"]["v"]) for s in sims)
    assert fp_mode() == before  # the calling thread's mode is back
    tiny = np.finfo(np.float32).tiny
    normal = np.abs(exact) >= tiny
    # Identical while v is a normal number; zero from the first step it would be subnormal.
    np.testing.assert_array_equal(flushed[normal], exact[normal])
    assert np.all(flushed[~normal] == 0) and (~normal).any()
    # Every sample of a parallel batch sets the mode on its own thread.
    batch = np.asarray(sims[1].run(x).states["p"]["v"])
    np.testing.assert_array_equal(batch[:, :1], flushed)
    np.testing.assert_array_equal(batch[:, 2:], flushed)


def test_numba_flush_denormals_option_is_checked(monkeypatch):
    graph, _ = _silent_decay()
    with pytest.raises(GraphError, match="flush_denormals must be True or False"):
        spikesim.compile(graph, "numba", flush_denormals="yes")
    from spikesim.backends.numba import kernels

    monkeypatch.setattr(kernels, "X86", False)
    with pytest.raises(GraphError, match="flush_denormals is supported on x86-64 only"):
        spikesim.compile(graph, "numba", flush_denormals=True)
