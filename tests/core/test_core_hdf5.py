"""The HDF5 graph format: exact round trips, atomic writes, clear errors, and a golden v1 file."""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np
import pytest

import spikesim as ss
import spikesim.io.hdf5 as hdf5
from spikesim import FormatError

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden_v1.h5"


def every_kind() -> ss.Graph:
    """One graph with every node kind, both projection kinds, delays, biases and metadata."""
    rng = np.random.default_rng(11)
    g = ss.Graph(dt=5e-4, discretisation="exact", metadata={
        "config": {"lr": 1e-3, "layers": [4, 6]}, "seed": 11, "dataset_hash": "abc123", "note": "ü",
    })
    g.add("cam", ss.Input(8, shape=(2, 2, 2)))
    g.add("aux", ss.Input(3))
    g.add("h", ss.LIF.from_tau(
        6, tau_mem=rng.uniform(5e-3, 2e-2, 6), tau_syn=5e-3, dt=5e-4, method="exact",
        r=2.0, v_leak=-0.1, w_in=1.5, bias=0.05, v_th=0.9, v_reset=-0.2, reset="subtract",
        refractory=2,
    ))
    g.add("raw", ss.LIF(size=4, alpha=0.25, beta=0.75, bias=[0.0, 0.1, 0.2, 0.3], v_init=0.5))
    g.add("acc", ss.IF.from_r(3, r=0.5, v_th=2.0))
    g.add("ro", ss.LI.from_tau(2, tau_mem=1e-2, tau_syn=0.0, dt=5e-4, method="exact"))
    g.add("out", ss.Output("ro"))
    g.connect("cam", "h", rng.normal(0, 1, (6, 8)), delay=rng.integers(0, 6, (6, 8)), bias=rng.normal(0, 0.1, 6))
    g.connect("aux", "raw", rng.normal(0, 1, (4, 3)))
    g.add_edge(ss.Sparse("h", "h", (6, 6), post=[0, 2, 5, 1], pre=[1, 3, 0, 1], weight=[0.5, -0.25, 1.0, 0.125],
                         delay=[1, 2, 3, 4], bias=np.linspace(0, 0.5, 6)))
    g.add_edge(ss.Sparse.from_dense("h", "acc", rng.normal(0, 1, (3, 6)) * (rng.random((3, 6)) < 0.5), delay=1))
    g.connect("raw", "acc", rng.normal(0, 1, (3, 4)), delay=2)
    g.connect("acc", "ro", rng.normal(0, 1, (2, 3)))
    return g.validate()


# -- round trip ---------------------------------------------------------------------------------


def test_round_trip_is_exact(tmp_path):
    g = every_kind()
    path = ss.save(g, tmp_path / "model.h5")
    back = ss.load(path)
    assert back == g
    assert list(back.nodes) == list(g.nodes)
    assert back.metadata == g.metadata and back.dt == g.dt
    for a, b in zip(back.edges, g.edges):
        assert type(a) is type(b) and a.delay.dtype == np.int64
        assert (a.bias is None) == (b.bias is None)
    h = back.nodes["h"]
    assert h.reset == "subtract" and h.refractory == 2
    np.testing.assert_array_equal(h.continuous.tau_mem, g.nodes["h"].continuous.tau_mem)
    assert back.nodes["raw"].continuous is None
    assert back.nodes["cam"].shape == (2, 2, 2)


def test_round_trip_simulates_identically(tmp_path):
    g = every_kind()
    back = ss.load(ss.save(g, tmp_path / "model.h5"))
    rng = np.random.default_rng(0)
    x = {"cam": rng.random((40, 2, 8)) < 0.4, "aux": rng.random((40, 2, 3))}
    a, b = ss.compile(g).run(x), ss.compile(back).run(x)
    assert a.spikes["h"].any()
    for node in a.spikes:
        np.testing.assert_array_equal(a.spikes[node], b.spikes[node])
    np.testing.assert_array_equal(a.states["ro"]["v"], b.states["ro"]["v"])


def test_file_records_provenance(tmp_path):
    path = ss.save(every_kind(), tmp_path / "model.h5")
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == "spikesim-graph"
        assert f.attrs["format_version"] == 1
        assert f.attrs["semantics_version"] == ss.SEMANTICS_VERSION
        assert f.attrs["spikesim_version"] == ss.__version__
        # both forms of the neuron: the coefficients that run and the time constants
        assert "beta" in f["nodes/h"] and "tau_mem" in f["nodes/h/continuous"]


# -- atomic write -------------------------------------------------------------------------------


def crash_after_first_edge(monkeypatch):
    """Make save() fail midway through writing the edges."""
    real = hdf5._write_edge
    calls = []

    def failing(group, edge):
        if calls:
            raise RuntimeError("simulated crash while writing")
        calls.append(edge)
        real(group, edge)

    monkeypatch.setattr(hdf5, "_write_edge", failing)


def test_crash_mid_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.h5"
    old = every_kind()
    ss.save(old, path)
    before = path.read_bytes()
    new = every_kind()
    new.metadata["seed"] = 12
    crash_after_first_edge(monkeypatch)
    with pytest.raises(RuntimeError, match="simulated crash"):
        ss.save(new, path)
    assert path.read_bytes() == before
    assert ss.load(path) == old
    assert sorted(os.listdir(tmp_path)) == ["model.h5"]  # no temp file left behind


def test_crash_on_first_write_leaves_nothing(tmp_path, monkeypatch):
    crash_after_first_edge(monkeypatch)
    with pytest.raises(RuntimeError):
        ss.save(every_kind(), tmp_path / "model.h5")
    assert os.listdir(tmp_path) == []


def test_stale_temp_files_are_ignored(tmp_path):
    path = ss.save(every_kind(), tmp_path / "model.h5")
    (tmp_path / ".model.h5.abc123.tmp").write_bytes(b"half a file")
    assert ss.load(path) == every_kind()


# -- errors name the file and the field ---------------------------------------------------------


@pytest.fixture
def saved(tmp_path) -> Path:
    return ss.save(every_kind(), tmp_path / "model.h5")


def expect_format_error(path: Path, *fragments: str) -> str:
    with pytest.raises(FormatError) as info:
        ss.load(path)
    message = str(info.value)
    assert str(path) in message, message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


def test_missing_file(tmp_path):
    expect_format_error(tmp_path / "nope.h5", "no such file")


def test_not_an_hdf5_file(tmp_path):
    path = tmp_path / "notes.h5"
    path.write_text("this is plain text, not HDF5\n")
    expect_format_error(path, "not a readable HDF5 file")


def test_truncated_file(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    expect_format_error(saved, "truncated")


def test_foreign_hdf5_file(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("images", data=np.zeros((2, 3)))
    expect_format_error(path, "'/@format'", "not a spikesim graph file")


def test_missing_dataset(saved):
    with h5py.File(saved, "a") as f:
        del f["nodes/h/beta"]
    expect_format_error(saved, "'/nodes/h/beta'", "missing dataset")


def test_missing_attribute(saved):
    with h5py.File(saved, "a") as f:
        del f["edges/000000"].attrs["src"]
    expect_format_error(saved, "'/edges/000000@src'", "missing attribute")


def test_wrong_shaped_coefficient(saved):
    with h5py.File(saved, "a") as f:
        del f["nodes/h/beta"]
        f["nodes/h"].create_dataset("beta", data=np.ones(7))
    expect_format_error(saved, "'/nodes/h/beta'", "expected shape (6,)", "(7,)")


def test_wrong_rank_weight(saved):
    with h5py.File(saved, "a") as f:
        del f["edges/000000/weight"]
        f["edges/000000"].create_dataset("weight", data=np.ones(48))
    expect_format_error(saved, "'/edges/000000/weight'", "expected 2-D")


def test_non_numeric_dataset(saved):
    with h5py.File(saved, "a") as f:
        del f["nodes/ro/v_th"]
        f["nodes/ro"].create_dataset("v_th", data=np.array([b"a", b"b"]))
    expect_format_error(saved, "'/nodes/ro/v_th'", "numeric")


def test_unknown_node_kind(saved):
    with h5py.File(saved, "a") as f:
        f["nodes/h"].attrs["kind"] = "Izhikevich"
    expect_format_error(saved, "'/nodes/h@kind'", "unknown node kind 'Izhikevich'")


def test_file_from_a_newer_format_version(saved):
    with h5py.File(saved, "a") as f:
        f.attrs["format_version"] = 2
    expect_format_error(saved, "'/@format_version'", "newer")


def test_invalid_graph_inside_a_valid_file(saved):
    with h5py.File(saved, "a") as f:
        f["edges/000000/delay"][0, 0] = -3
    expect_format_error(saved, "invalid graph", "delay: expected values >= 0 steps")


#: Signatures of HDF5's internal structures (B-trees, heaps, symbol tables, object headers).
HDF5_SIGNATURES = (b"TREE", b"HEAP", b"SNOD", b"GCOL", b"OHDR", b"BTHD", b"FRHP", b"FHDB")


def test_damaged_structures_give_format_errors_only(saved):
    # Break each internal structure of the file in turn: a load either still succeeds (an
    # unused copy) or raises FormatError naming the file, never a raw h5py exception.
    # (Random byte offsets are avoided: some make the HDF5 library allocate for seconds.)
    data = saved.read_bytes()
    offsets = [i for sig in HDF5_SIGNATURES for i in range(len(data)) if data.startswith(sig, i)]
    assert len(offsets) > 10
    messages = []
    for offset in offsets:
        damaged = bytearray(data)
        damaged[offset : offset + 4] = b"XXXX"
        saved.write_bytes(bytes(damaged))
        try:
            ss.load(saved)
        except FormatError as err:
            assert str(saved) in str(err), str(err)
            messages.append(str(err))
    assert len(messages) > len(offsets) // 2
    assert any("field '/nodes/" in m or "field '/edges/" in m for m in messages)  # names where


# -- the golden version-1 file ------------------------------------------------------------------


def golden_input() -> np.ndarray:
    """[40, 2, 4]: channel n of sample b spikes at step t when (3t + 5n + b) % 7 == 0."""
    t, b, n = np.meshgrid(np.arange(40), np.arange(2), np.arange(4), indexing="ij")
    return ((3 * t + 5 * n + b) % 7 == 0).astype(float)


def test_golden_v1_file_still_loads():
    g = ss.load(GOLDEN)
    assert list(g.nodes) == ["in", "hidden", "counter", "readout", "out"]
    assert [n.kind for n in g.nodes.values()] == ["Input", "LIF", "IF", "LI", "Output"]
    assert [e.kind for e in g.edges] == ["Dense", "Sparse", "Dense", "Dense"]
    assert g.dt == 1e-3 and g.discretisation == "exact"
    assert g.metadata == {"seed": 2026, "config": {"purpose": "golden v1 test file"}}
    hidden = g.nodes["hidden"]
    assert hidden.reset == "subtract" and hidden.refractory == 1
    assert hidden.continuous.tau_mem[0] == 0.02 and hidden.continuous.method == "exact"
    with h5py.File(GOLDEN, "r") as f:
        assert f.attrs["format_version"] == 1


def test_golden_v1_file_simulates_to_the_recorded_counts():
    result = ss.compile(ss.load(GOLDEN)).run(golden_input())
    assert result.counts("hidden").tolist() == GOLDEN_HIDDEN_COUNTS
    assert result.counts("counter").tolist() == GOLDEN_COUNTER_COUNTS
    np.testing.assert_allclose(result.states["out"]["v"][-1], GOLDEN_READOUT_LAST_V, rtol=1e-9)


#: Recorded from the reference simulator when golden_v1.h5 was made (spikesim 0.1.0,
#: semantics version 1). A change means version-1 files no longer simulate the same way.
GOLDEN_HIDDEN_COUNTS = [[6, 8, 5, 7, 9], [7, 8, 4, 7, 8]]
GOLDEN_COUNTER_COUNTS = [[3, 2, 4], [3, 2, 4]]
GOLDEN_READOUT_LAST_V = [[0.11482654280506191, 0.15843205686809186], [0.10297290711541894, 0.178513768197111]]
