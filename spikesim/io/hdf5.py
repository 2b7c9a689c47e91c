"""Versioned HDF5 storage of IR graphs (``spikesim.save`` / ``spikesim.load``).

Layout (format version 1)::

    /              attrs: format="spikesim-graph", format_version, semantics_version,
                          spikesim_version, dt, discretisation, metadata (JSON)
    /nodes/<name>  attrs: kind, index (insertion order) and scalar fields;
                   datasets: coefficient vectors; group ``continuous`` (time constants, dt, method)
    /edges/<k>     attrs: kind, src, dst[, shape]; datasets: weight, delay[, bias, post, pre]

Loihi fixed point (``spikesim.ir.fixed``): a LoihiLIF node adds attrs du, dv, vth_mant, bias_exp
and dataset bias_mant; a LoihiDense edge adds attrs weight_exp, num_weight_bits, sign_mode and
dataset weight_mant. Their float coefficients and ``weight`` are stored too, as their view.

Both the discrete coefficients (what runs) and the continuous form (provenance) are stored.
Files are written atomically. Anything missing or malformed raises FormatError naming the
file and the field.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import h5py
import numpy as np

from spikesim._version import SEMANTICS_VERSION, __version__
from spikesim.errors import FormatError, GraphError
from spikesim.io.atomic import atomic_path
from spikesim.io.h5file import open_hdf5
from spikesim.ir import Continuous, Graph, Input, Output
from spikesim.ir.fixed import LoihiDense, LoihiLIF
from spikesim.ir.neurons import COEFFICIENTS, NEURON_TYPES
from spikesim.ir.projections import PROJECTION_TYPES, Sparse

FORMAT = "spikesim-graph"
FORMAT_VERSION = 1
_CONTINUOUS_ARRAYS = ("tau_mem", "tau_syn", "r", "v_leak", "w_in", "bias")


def save(graph: Graph, path: str | os.PathLike) -> Path:
    """Validate ``graph`` and write it to ``path`` atomically; returns the path."""
    graph.validate()
    path = Path(path)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs.update(
            format=FORMAT,
            format_version=FORMAT_VERSION,
            semantics_version=SEMANTICS_VERSION,
            spikesim_version=__version__,
            dt=float(graph.dt),
            discretisation=graph.discretisation,
            metadata=json.dumps(graph.metadata, sort_keys=True),
        )
        nodes = f.create_group("nodes")
        for index, (name, node) in enumerate(graph.nodes.items()):
            _write_node(nodes.create_group(name), node, index)
        edges = f.create_group("edges")
        for index, edge in enumerate(graph.edges):
            _write_edge(edges.create_group(f"{index:06d}"), edge)
    return path


def _write_node(g: h5py.Group, node, index: int) -> None:
    g.attrs["kind"] = node.kind
    g.attrs["index"] = index
    if isinstance(node, Input):
        g.attrs["size"] = node.size
        if node.shape is not None:
            g.attrs["shape"] = np.asarray(node.shape, np.int64)
    elif isinstance(node, Output):
        g.attrs["source"] = node.source
    else:
        g.attrs["size"] = node.size
        g.attrs["reset"] = node.reset
        g.attrs["refractory"] = node.refractory
        for name in COEFFICIENTS:
            g.create_dataset(name, data=getattr(node, name))
        if isinstance(node, LoihiLIF):  # integer fields run; the coefficients above are their view
            g.attrs.update(du=node.du, dv=node.dv, vth_mant=node.vth_mant, bias_exp=node.bias_exp)
            g.create_dataset("bias_mant", data=node.bias_mant)
        if node.continuous is not None:
            c = g.create_group("continuous")
            c.attrs["dt"] = node.continuous.dt
            c.attrs["method"] = node.continuous.method
            for name in _CONTINUOUS_ARRAYS:
                c.create_dataset(name, data=getattr(node.continuous, name))


def _write_edge(g: h5py.Group, edge) -> None:
    g.attrs.update(kind=edge.kind, src=edge.src, dst=edge.dst)
    if isinstance(edge, LoihiDense):
        g.attrs.update(weight_exp=edge.weight_exp, num_weight_bits=edge.num_weight_bits, sign_mode=edge.sign_mode)
        g.create_dataset("weight_mant", data=edge.weight_mant)
    g.create_dataset("weight", data=edge.weight)
    g.create_dataset("delay", data=edge.delay)
    if edge.bias is not None:
        g.create_dataset("bias", data=edge.bias)
    if isinstance(edge, Sparse):
        g.attrs["shape"] = np.asarray(edge.shape, np.int64)
        g.create_dataset("post", data=edge.post)
        g.create_dataset("pre", data=edge.pre)


class _Reader:
    """Field access that turns every missing or malformed entry into a FormatError."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.at = "/"  # the field being read, for errors h5py raises on damaged files

    def fail(self, field: str, expected: str) -> FormatError:
        return FormatError(f"{self.path}: field {field!r}: {expected}")

    def attr(self, obj, key: str, kinds=None):
        self.at = f"{obj.name}@{key}"
        if key not in obj.attrs:
            return self._missing(obj, key, "attribute")
        value = obj.attrs[key]
        if isinstance(value, bytes):
            value = value.decode()
        if kinds is not None and not isinstance(value, kinds):
            if not (isinstance(value, np.generic) and isinstance(value.item(), kinds)):
                raise self.fail(f"{obj.name}@{key}", f"expected {kinds}, found {type(value).__name__}")
            value = value.item()
        return value

    def array(self, g, key: str, ndim: int | None = None, kind: str = "fiub") -> np.ndarray:
        self.at = f"{g.name.rstrip('/')}/{key}"
        if key not in g:
            return self._missing(g, key, "dataset")
        ds = g[key]
        if not isinstance(ds, h5py.Dataset):
            raise self.fail(f"{g.name}/{key}", "expected a dataset, found a group")
        try:
            value = ds[()]
        except (OSError, RuntimeError) as err:
            raise self.fail(f"{g.name}/{key}", f"unreadable data ({err})") from err
        value = np.asarray(value)
        if value.dtype.kind not in kind:
            raise self.fail(f"{g.name}/{key}", f"expected numeric data, found dtype {value.dtype}")
        if ndim is not None and value.ndim != ndim:
            raise self.fail(f"{g.name}/{key}", f"expected {ndim}-D data, found shape {value.shape}")
        return value

    def _missing(self, obj, key, what):
        where = f"{obj.name}@{key}" if what == "attribute" else f"{obj.name.rstrip('/')}/{key}"
        raise self.fail(where, f"missing {what}")


def load(path: str | os.PathLike) -> Graph:
    """Read a graph written by :func:`save` (any format version up to the current one)."""
    path = Path(path)
    if not path.exists():
        raise FormatError(f"{path}: no such file")
    f = open_hdf5(path)
    r = _Reader(path)
    try:
        with f:
            return _read_graph(r, f)
    except (OSError, RuntimeError, KeyError, AttributeError, TypeError) as err:
        # h5py reports damaged structures (bad heap, misaligned message) with these types.
        raise r.fail(r.at, f"corrupt HDF5 data ({type(err).__name__}: {err})") from err


def _read_graph(r: _Reader, f: h5py.File) -> Graph:
    """Parse an open graph file; every missing or malformed field raises FormatError."""
    path = r.path
    fmt = f.attrs.get("format")
    fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
    if fmt != FORMAT:
        raise r.fail("/@format", f"expected {FORMAT!r}; this is not a spikesim graph file (found {fmt!r})")
    version = r.attr(f, "format_version", int)
    if version > FORMAT_VERSION:
        raise r.fail("/@format_version", f"written by a newer spikesim (version {version} > {FORMAT_VERSION})")
    try:
        metadata = json.loads(r.attr(f, "metadata", str))
    except json.JSONDecodeError as err:
        raise r.fail("/@metadata", f"expected JSON ({err})") from err
    graph = Graph(dt=float(r.attr(f, "dt", float)), discretisation=r.attr(f, "discretisation", str), metadata=metadata)
    if "nodes" not in f or "edges" not in f:
        raise r.fail("/nodes" if "nodes" not in f else "/edges", "missing group")
    r.at = "/nodes"
    entries = sorted(f["nodes"].items(), key=lambda kv: r.attr(kv[1], "index", int))
    try:
        for name, g in entries:
            graph.add(name, _read_node(r, g))
        r.at = "/edges"
        for _, g in sorted(f["edges"].items()):
            graph.add_edge(_read_edge(r, g))
        graph.validate()
    except GraphError as err:
        raise FormatError(f"{path}: invalid graph: {err}") from err
    return graph


def _read_node(r: _Reader, g: h5py.Group):
    kind = r.attr(g, "kind", str)
    if kind == "Input":
        shape = tuple(int(s) for s in g.attrs["shape"]) if "shape" in g.attrs else None
        return Input(r.attr(g, "size", int), shape)
    if kind == "Output":
        return Output(r.attr(g, "source", str))
    if kind == LoihiLIF.kind:
        return LoihiLIF(
            size=r.attr(g, "size", int), **{k: r.attr(g, k, int) for k in ("du", "dv", "vth_mant", "bias_exp")},
            bias_mant=r.array(g, "bias_mant", 1, "iu"), v_init=r.array(g, "v_init", 1, "f"),
        )
    if kind not in NEURON_TYPES:
        raise r.fail(f"{g.name}@kind", f"unknown node kind {kind!r} (known: Input, Output, {', '.join(NEURON_TYPES)})")
    size = r.attr(g, "size", int)
    values = {}
    for name in COEFFICIENTS:
        values[name] = r.array(g, name, 1, "f")
        if values[name].shape != (size,):
            raise r.fail(f"{g.name}/{name}", f"expected shape ({size},), found {values[name].shape}")
    continuous = None
    if "continuous" in g:
        c = g["continuous"]
        continuous = Continuous(
            **{name: r.array(c, name, 1, "f") for name in _CONTINUOUS_ARRAYS},
            dt=float(r.attr(c, "dt", float)),
            method=r.attr(c, "method", str),
        )
    return NEURON_TYPES[kind](
        size=size, **values, reset=r.attr(g, "reset", str),
        refractory=r.attr(g, "refractory", int), continuous=continuous,
    )


def _read_edge(r: _Reader, g: h5py.Group):
    kind = r.attr(g, "kind", str)
    if kind == LoihiDense.kind:
        return LoihiDense(
            r.attr(g, "src", str), r.attr(g, "dst", str), delay=r.array(g, "delay", 2, "iu"),
            weight_mant=r.array(g, "weight_mant", 2, "iu"),
            **{k: r.attr(g, k, int) for k in ("weight_exp", "num_weight_bits", "sign_mode")},
        )
    if kind not in PROJECTION_TYPES:
        raise r.fail(f"{g.name}@kind", f"unknown projection kind {kind!r} (known: {', '.join(PROJECTION_TYPES)})")
    src, dst = r.attr(g, "src", str), r.attr(g, "dst", str)
    bias = r.array(g, "bias", 1, "f") if "bias" in g else None
    if kind == "Dense":
        return PROJECTION_TYPES[kind](src, dst, r.array(g, "weight", 2, "f"), bias=bias, delay=r.array(g, "delay", 2, "iu"))
    shape = tuple(int(s) for s in r.attr(g, "shape", np.ndarray))
    return Sparse(
        src, dst, shape, r.array(g, "post", 1, "iu"), r.array(g, "pre", 1, "iu"),
        r.array(g, "weight", 1, "f"), r.array(g, "delay", 1, "iu"), bias=bias,
    )
