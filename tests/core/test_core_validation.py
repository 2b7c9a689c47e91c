"""Invalid graphs are rejected with errors that name the node or edge and the field."""

import numpy as np
import pytest

import spikesim
from spikesim import LIF, Dense, Graph, GraphError, Input, Output, Sparse, UnsupportedFeatureError
from spikesim.capabilities import Capabilities, check_supported


def _graph(**lif):
    g = Graph(dt=1e-3)
    g.add("in", Input(3))
    g.add("h", LIF(2, **lif))
    return g


def test_shape_mismatch_names_edge_and_expected_shape():
    g = _graph()
    with pytest.raises(
        GraphError,
        match=r"Dense in->h\.weight: expected shape \(out, in\) = \(2, 3\), got \(3, 2\)",
    ):
        g.connect("in", "h", np.ones((3, 2)))


def test_negative_delay_is_rejected():
    with pytest.raises(
        GraphError, match=r"Dense in->h\.delay: expected values >= 0 steps, found -1"
    ):
        Dense("in", "h", np.ones((2, 3)), delay=np.array([[0, 1, -1], [0, 0, 0]]))


def test_fractional_delay_is_rejected():
    with pytest.raises(GraphError, match="whole steps"):
        Dense("in", "h", np.ones((2, 3)), delay=np.full((2, 3), 1.5))


def test_zero_latency_cycle_is_rejected_but_latency_one_is_fine():
    g = _graph()
    g.add("h2", LIF(2))
    g.connect("in", "h", np.ones((2, 3)))
    g.connect("h", "h2", np.eye(2))
    g.connect("h2", "h", np.eye(2), delay=0)
    with pytest.raises(GraphError, match=r"zero-latency cycle among nodes \['h', 'h2'\]"):
        g.validate()
    g.edges[-1] = Dense("h2", "h", np.eye(2), delay=1)
    assert g.validate().update_order() == ["in", "h", "h2"]


def test_zero_latency_self_loop_is_rejected():
    g = _graph()
    g.connect("h", "h", np.eye(2), delay=0)
    with pytest.raises(GraphError, match=r"zero-latency cycle among nodes \['h'\]"):
        g.validate()


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf_parameters_are_rejected(bad):
    with pytest.raises(GraphError, match=r"LIF\.v_th: contains NaN or inf"):
        LIF(2, v_th=[1.0, bad])
    with pytest.raises(GraphError, match=r"Dense in->h\.weight: contains NaN or inf"):
        Dense("in", "h", np.array([[1.0, bad, 0], [0, 0, 0]]))


def test_nan_introduced_after_construction_is_caught_by_validate():
    g = _graph()
    g.nodes["h"].beta[0] = np.nan
    with pytest.raises(GraphError, match=r"LIF\.beta: contains NaN or inf"):
        g.validate()


def test_unknown_node_names_list_the_known_ones():
    g = _graph()
    with pytest.raises(
        GraphError, match=r"Dense in->hx\.dst: unknown node 'hx' \(known nodes: h, in\)"
    ):
        g.connect("in", "hx", np.ones((2, 3)))
    g.add("out", Output("nope"))
    with pytest.raises(GraphError, match=r"Output 'out'\.source: unknown node 'nope'"):
        g.validate()


def test_duplicate_sparse_synapses_are_rejected():
    with pytest.raises(GraphError, match="duplicate synapses"):
        Sparse("in", "h", (2, 3), post=[0, 0], pre=[1, 1], weight=[1.0, 2.0])


def test_euler_rejects_large_steps():
    with pytest.raises(GraphError, match=r"euler needs dt/tau_mem <= 1"):
        LIF.from_tau(1, tau_mem=1e-4, dt=1e-3, method="euler")


def test_discretisation_mismatch_is_rejected():
    g = Graph(dt=1e-3, discretisation="exact")
    g.add("h", LIF.from_tau(1, tau_mem=1e-2, dt=1e-3, method="euler"))
    with pytest.raises(GraphError, match="node 'h': built with 'euler' but the graph is 'exact'"):
        g.validate()


def test_input_shape_and_nan_errors_name_the_input():
    g = _graph()
    g.connect("in", "h", np.ones((2, 3)))
    sim = spikesim.compile(g)
    with pytest.raises(
        GraphError, match=r"inputs\['in'\]: expected shape \[T, B, 3\] or \[T, 3\], got \[4, 1, 5\]"
    ):
        sim.run(np.zeros((4, 1, 5)))
    with pytest.raises(GraphError, match=r"inputs\['in'\]: contains NaN or inf"):
        sim.run(np.full((4, 1, 3), np.nan))


def test_unsupported_feature_names_node_and_field():
    g = _graph(reset="subtract")
    g.connect("in", "h", np.ones((2, 3)), delay=0)
    caps = Capabilities(reset_modes=("zero",), min_latency=1)
    with pytest.raises(
        UnsupportedFeatureError, match=r"backend 'x' cannot run node 'h': field reset='subtract'"
    ):
        check_supported(g, caps, "float64", "x")
    g.nodes["h"].reset = "zero"
    with pytest.raises(
        UnsupportedFeatureError,
        match=r"edge in->h: field delay: latency 0 < this backend's min_latency 1",
    ):
        check_supported(g, caps, "float64", "x")


def test_unknown_backend_lists_choices():
    g = _graph()
    with pytest.raises(
        spikesim.BackendUnavailableError, match="unknown backend 'nope'; choose from"
    ):
        spikesim.compile(g, backend="nope")


@pytest.mark.parametrize("backend", ["reference", "numba"])
@pytest.mark.parametrize("dtype", [np.float32, np.dtype("float32"), "f4"])
def test_numpy_dtypes_select_the_named_precision(backend, dtype):
    # np.dtype("float32") == "float32" holds, but it is not found as a dictionary key: it
    # once passed the check and then ran with no simulation dtype (float64 coefficients).
    g = Graph(dt=1e-3)
    g.add("in", Input(3))
    g.add("h", LIF.from_tau(2, tau_mem=5e-3, tau_syn=2e-3))
    g.connect("in", "h", np.full((2, 3), 0.7), delay=1)
    g.add("out", Output("h"))
    x = (np.arange(3 * 4 * 6).reshape(6, 4, 3) % 4 == 0).astype(np.float32)
    record = {"h": ["spikes", "v"]}
    by_name = spikesim.compile(g, backend, dtype="float32", record=record)
    sim = spikesim.compile(g, backend, dtype=dtype, record=record)
    assert sim.precision == "float32" and sim.dtype is np.float32
    got, want = sim.run(x).states["h"]["v"], by_name.run(x).states["h"]["v"]
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)


def test_step_input_errors_say_they_come_from_step():
    sim = spikesim.compile(_graph(), "reference")
    with pytest.raises(
        GraphError, match=r"step\(\): inputs\['in'\]: expected shape .* got \[1, 1, 4\]"
    ):
        sim.step(np.ones((1, 4)))


def _stepped_graph():
    g = _graph()
    g.connect("in", "h", np.array([[0.9, 0.0, 0.4], [0.3, 0.8, 0.0]]), delay=1)
    return g


@pytest.mark.parametrize("backend", ["reference", "numba"])
@pytest.mark.parametrize("dtype", [np.bool_, np.float32, np.float64])
def test_ready_step_arrays_skip_the_general_checks_and_give_the_same_steps(
    backend, dtype, monkeypatch
):
    # A [B, N] array for the only Input takes a fast path; the dict form of the same values
    # goes through normalise_inputs. Both must give the same trajectory, and the fast path
    # must really skip normalise_inputs where the backend takes the dtype as it is.
    import spikesim.simulator as simulator_module

    x = (np.arange(8 * 2 * 3).reshape(8, 2, 3) % 3 == 0).astype(dtype)
    record = {"h": ["spikes", "v"]}
    general = spikesim.compile(_stepped_graph(), backend, record=record)
    want = [general.step({"in": x[t]})["h"]["v"].copy() for t in range(8)]
    ready = spikesim.compile(_stepped_graph(), backend, record=record)
    takes_as_is = ready.native_inputs or dtype == np.float64
    if takes_as_is:

        def refuse(*args, **kwargs):
            raise AssertionError("normalise_inputs was called for a ready step array")

        monkeypatch.setattr(simulator_module, "normalise_inputs", refuse)
    got = [ready.step(x[t])["h"]["v"].copy() for t in range(8)]
    np.testing.assert_array_equal(np.array(got), np.array(want))
    assert np.any(np.array(want) != 0)


@pytest.mark.parametrize("backend", ["reference", "numba"])
@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.float32, np.float64])
def test_ready_run_arrays_skip_the_general_checks_and_give_the_same_run(
    backend, dtype, monkeypatch
):
    # The same fast path for run(): a [T, B, N] array for the only Input.
    import spikesim.simulator as simulator_module

    x = (np.arange(8 * 2 * 3).reshape(8, 2, 3) % 3 == 0).astype(dtype)
    record = {"h": ["spikes", "v"]}
    want = spikesim.compile(_stepped_graph(), backend, record=record).run({"in": x})
    sim = spikesim.compile(_stepped_graph(), backend, record=record)
    if sim.native_inputs or dtype == np.float64:

        def refuse(*args, **kwargs):
            raise AssertionError("normalise_inputs was called for a ready run array")

        monkeypatch.setattr(simulator_module, "normalise_inputs", refuse)
    got = sim.run(x)
    np.testing.assert_array_equal(got.states["h"]["v"], want.states["h"]["v"])
    np.testing.assert_array_equal(got.spikes["h"], want.spikes["h"])
    assert np.any(want.states["h"]["v"] != 0)
    bad = np.zeros((4, 1, 3))
    bad[2, 0, 1] = np.nan
    monkeypatch.undo()
    with pytest.raises(GraphError, match=r"inputs\['in'\]: contains NaN or inf"):
        sim.run(bad)


@pytest.mark.parametrize(
    ("backend", "dtype"),
    [("reference", "float64"), ("numba", "float64"), ("numba", "float32"), ("numba", "fixed")],
)
def test_step_with_one_array_refilled_every_step_equals_run(backend, dtype):
    # Streaming code often refills one buffer per step. Backends that keep every step's input
    # (fixed-point numba and Lava re-run the stream) must not see the earlier steps change.
    from spikesim.conformance.fixed import generate_fixed_case

    if dtype == "fixed":
        case = generate_fixed_case(7)
        graph, x = case.graph, np.asarray(case.inputs["in"], np.float64)
    else:
        graph = _stepped_graph()
        x = (np.arange(12 * 2 * 3).reshape(12, 2, 3) % 5 == 0).astype(np.float64)
    pop = [name for name, _ in graph.populations()][-1]
    sim = spikesim.compile(graph, backend, dtype=dtype, record={pop: ["v"]})
    whole = np.asarray(sim.run(x).states[pop]["v"])
    buffer = np.empty_like(x[0])
    for t in range(x.shape[0]):
        buffer[:] = x[t]
        np.testing.assert_array_equal(sim.step(buffer)[pop]["v"], whole[t], err_msg=f"step {t}")


@pytest.mark.parametrize("backend", ["reference", "numba"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_step_rejects_non_finite_ready_arrays_as_the_general_check_does(backend, bad):
    sim = spikesim.compile(_stepped_graph(), backend)
    x_t = np.zeros((2, 3))
    x_t[1, 2] = bad
    with pytest.raises(GraphError, match=r"step\(\): inputs\['in'\]: contains NaN or inf"):
        sim.step(x_t)


def test_non_float_numpy_dtype_is_rejected_with_the_supported_list():
    with pytest.raises(UnsupportedFeatureError, match=r"precision .*int32.* \(supported: float32"):
        spikesim.compile(_graph(), "reference", dtype=np.int32)


def test_inputs_keep_spike_rasters_only_where_the_backend_asks():
    from spikesim.inputs import normalise_inputs

    g = _graph()
    g.connect("in", "h", np.ones((2, 3)))
    raster = np.zeros((4, 2, 3), bool)
    kept, _, _ = normalise_inputs(g, raster, keep_dtypes=True)
    assert kept["in"] is raster or kept["in"].base is raster  # no copy
    assert normalise_inputs(g, raster)[0]["in"].dtype == np.float64
    ints, _, _ = normalise_inputs(g, np.zeros((4, 2, 3), np.int64), keep_dtypes=True)
    assert ints["in"].dtype == np.float64  # not a kept dtype: converted
    with pytest.raises(GraphError, match=r"inputs\['in'\]: contains NaN or inf"):
        normalise_inputs(g, np.full((4, 1, 3), np.nan, np.float32), keep_dtypes=True)


def test_whole_numbers_checks_integer_fields():
    from spikesim.ir.integers import whole_numbers

    np.testing.assert_array_equal(whole_numbers(2.0, (2,), "f"), [2, 2])
    assert whole_numbers(np.array([1, 3], np.uint8), (2,), "f", 0, 3).dtype == np.int64
    cases = [
        ((np.array([1.0, np.nan]), (2,), "x.f"), {}, r"x\.f: contains NaN or inf"),
        ((np.array([0.5]), (1,), "x.f"), {"unit": "steps"}, r"x\.f: expected whole steps"),
        ((np.array([0.5]), (1,), "x.f"), {}, r"x\.f: expected whole numbers, got fractional"),
        ((np.array(["a"]), (1,), "x.f"), {}, r"x\.f: expected integers, got dtype <U1"),
        (
            (np.ones(3), (2,), "x.f"),
            {},
            r"x\.f: expected a scalar or shape \(2,\), got shape \(3,\)",
        ),
        (
            (np.array([-2, 5]), (2,), "x.f"),
            {"lo": 0},
            r"x\.f: expected values >= 0, found -2",
        ),
        (
            (np.array([-2, 9]), (2,), "x.f"),
            {"lo": -2, "hi": 8},
            r"expected values in \[-2, 8\], found \[-2, 9\]",
        ),
        ((np.array([-3, 9]), (2,), "x.f"), {"hi": 8}, r"expected values in \[-inf, 8\]"),
        ((np.array([-3, 1]), (2,), "x.f"), {"hi": 8}, None),
    ]
    for args, kwargs, message in cases:
        if message is None:
            whole_numbers(*args, **kwargs)  # only the upper bound applies
            continue
        with pytest.raises(GraphError, match=message):
            whole_numbers(*args, **kwargs)


def test_sparse_sorts_synapses_by_post_then_pre_and_finds_scattered_duplicates():
    edge = Sparse(
        "in", "h", (3, 4), post=[2, 0, 2, 1], pre=[0, 3, 1, 3], weight=[1.0, 2.0, 3.0, 4.0],
        delay=[5, 6, 7, 8],
    )  # fmt: skip
    np.testing.assert_array_equal(edge.post, [0, 1, 2, 2])
    np.testing.assert_array_equal(edge.pre, [3, 3, 0, 1])
    np.testing.assert_array_equal(edge.weight, [2.0, 4.0, 1.0, 3.0])
    np.testing.assert_array_equal(edge.delay, [6, 8, 5, 7])
    edge.__post_init__()  # validating again keeps the order
    np.testing.assert_array_equal(edge.weight, [2.0, 4.0, 1.0, 3.0])
    with pytest.raises(GraphError, match="duplicate synapses"):
        Sparse("in", "h", (3, 4), post=[2, 0, 2], pre=[1, 3, 1], weight=[1.0, 2.0, 3.0])
