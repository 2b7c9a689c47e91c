"""lava-dl NetX HDF5 networks (``.net``): export a fixed-point chain for Loihi 2, import into the IR.

NetX layout (every field a dataset, no attributes)::

    layer/<i>/type      |S10 (1,)  b"dense"
    layer/<i>/shape     int64 (1,) [out]; inFeatures, outFeatures int64 scalars
    layer/<i>/weight    float32 (out, in): integer weights on the Loihi scale
    layer/<i>/bias      float32 (out,), optional: bias mantissa (netx uses bias_exp = 6)
    layer/<i>/delay     float32 (out,), optional: Lava delay per output neuron
    layer/<i>/neuron/   type="CUBA", iDecay (= du + 1), vDecay (= dv), vThMant, refDelay=1,
                        gradedSpike=False[, weight_exp]

The layers form a chain: the input feeds layer 0 and layer i feeds layer i + 1, each through a
Lava Dense, i.e. latency 1 + delay. On import the weights go through netx's own rescaling
(:func:`netx_weight_bits`), so the LoihiDense carries the mantissa, ``weight_exp``,
``num_weight_bits`` and sign mode that netx hands to Lava. Supported layer types: ``dense``
and a neuron-less ``input`` (shape only); ``conv`` and the rest raise a clear error.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import h5py
import numpy as np

from spikesim.errors import FormatError, UnsupportedFeatureError
from spikesim.io.atomic import atomic_path
from spikesim.io.h5file import open_hdf5
from spikesim.ir import Graph, Input, Output
from spikesim.ir.fixed import SIGN_EXCITATORY, SIGN_INHIBITORY, SIGN_MIXED, LoihiDense, LoihiLIF

#: Largest delay NetX/Loihi 2 deploys (netx clips larger ones).
MAX_DELAY = 62
NETX_BIAS_EXP = 6
_STR = h5py.string_dtype()


def netx_weight_bits(weight: np.ndarray) -> tuple[np.ndarray, int, int, int]:
    """netx's ``optimize_weight_bits``: (mantissas, num_weight_bits, weight_exp, sign_mode).

    The integer weights are scaled up by ``2^s`` to use the 8-bit range and ``weight_exp = -s``
    undoes it after accumulation; ``num_weight_bits`` keeps only the bits that are not always
    zero, so Lava's truncation never changes a weight.
    """
    weight = np.asarray(weight, np.int64)
    hi, lo = int(weight.max(initial=0)), int(weight.min(initial=0))
    if weight.size and weight.max() < 0:  # netx: strictly negative; a zero makes it mixed
        hi = int(weight.max())
        sign_mode, signed, scale = SIGN_INHIBITORY, 0, -256 / lo
    elif lo >= 0:
        sign_mode, signed = SIGN_EXCITATORY, 0
        scale = 255 / hi if hi > 0 else 1.0
    else:
        sign_mode, signed = SIGN_MIXED, 1
        scale = min(127 / hi, -128 / lo)
    scale_bits = math.floor(math.log2(scale)) + signed
    if scale_bits < 0:  # netx would shift by a negative count; Loihi cannot hold these weights
        raise UnsupportedFeatureError(
            f"NetX weights in [{lo}, {hi}] do not fit Loihi's 8-bit mantissa "
            "(mixed: [-256, 254], excitatory: [0, 255], inhibitory: [-256, -1])"
        )
    n = 8
    while n > 0 and np.any(weight % (1 << n)):
        n -= 1
    n -= signed
    return weight << scale_bits, int(8 - scale_bits - n), int(-scale_bits), sign_mode


# -- import ------------------------------------------------------------------------------------


def _scalar(g: h5py.Group, key: str, path: Path):
    if key not in g:
        raise FormatError(f"{path}: field {g.name}/{key}: missing")
    value = g[key][()]
    if isinstance(value, np.ndarray) and value.shape == (1,):
        value = value[0]
    return value.decode() if isinstance(value, bytes) else value


def load(path: str | os.PathLike) -> Graph:
    """Read a NetX ``.net`` chain of dense CUBA layers as a LoihiLIF/LoihiDense graph.

    Nodes: ``input`` (Input), ``layer<i>`` (LoihiLIF) and ``output`` (Output of the last layer).
    Raises FormatError for a malformed file and UnsupportedFeatureError for layer or neuron
    types spikesim cannot represent (e.g. ``conv``), naming the layer.
    """
    path = Path(path)
    f = open_hdf5(path)
    with f:
        if "layer" not in f:
            raise FormatError(f"{path}: field /layer: missing (not a NetX network)")
        layers = f["layer"]
        keys = sorted(layers, key=int)
        kinds = {key: _scalar(layers[key], "type", path) for key in keys}
        unsupported = [
            f"layer/{key} ({kind}{' with a neuron group' if kind == 'input' else ''})"
            for i, (key, kind) in enumerate(kinds.items())
            if kind != "dense" and not (kind == "input" and i == 0 and "neuron" not in layers[key])
        ]
        if unsupported:
            raise UnsupportedFeatureError(
                f"{path}: unsupported NetX layers {', '.join(unsupported)}; spikesim imports chains of "
                "dense CUBA layers (optionally after an input layer without a neuron group)"
            )
        graph = Graph(metadata={"source": f"netx:{path.name}"})
        previous = None
        for key in keys:
            g = layers[key]
            where = f"{path}: layer/{key}"
            if kinds[key] == "input":
                shape = tuple(int(s) for s in g["shape"][()])
                previous = graph.add("input", Input(int(np.prod(shape)), shape))
                continue
            if previous is None:
                previous = graph.add("input", Input(int(_scalar(g, "inFeatures", path))))
            previous = _add_dense(graph, g, previous, int(key), where, path)
        if previous is None or previous == "input":
            raise FormatError(f"{path}: field /layer: no dense layer found")
        graph.add("output", Output(previous))
        return graph.validate()


def _add_dense(graph: Graph, g: h5py.Group, src: str, index: int, where: str, path: Path) -> str:
    weight = g["weight"][()] if "weight" in g else None
    if weight is None or weight.ndim != 2:
        raise FormatError(f"{where}/weight: expected an (out, in) matrix, found {None if weight is None else weight.shape}")
    out, n_in = weight.shape
    if n_in != graph.size(src):
        raise FormatError(f"{where}/weight: expected {graph.size(src)} inputs, found {n_in}")
    neuron = g["neuron"] if "neuron" in g else None
    if neuron is None:
        raise FormatError(f"{where}/neuron: missing")
    ntype = _scalar(neuron, "type", path)
    if ntype not in ("CUBA", "LOIHI"):
        raise UnsupportedFeatureError(f"{where}/neuron/type: {ntype!r} is not supported (supported: CUBA, LOIHI)")
    mantissa, bits, exp, sign = netx_weight_bits(weight.astype(int))
    file_exp = int(_scalar(neuron, "weight_exp", path)) if "weight_exp" in neuron else 0
    delay = np.zeros((out, n_in), np.int64)
    if "delay" in g:
        d = g["delay"][()].astype(np.int64).ravel()
        if d.size and (d.min() < 0 or d.max() > MAX_DELAY):
            raise FormatError(f"{where}/delay: expected delays in [0, {MAX_DELAY}], found [{d.min()}, {d.max()}]")
        if d.shape == (out,):
            delay[:] = d[:, None]
        elif d.shape == (n_in,):
            delay[:] = d[None, :]
        else:
            raise FormatError(f"{where}/delay: expected shape ({out},) or ({n_in},), found {d.shape}")
    bias = g["bias"][()].astype(int) if "bias" in g else 0
    name = graph.add(f"layer{index}", LoihiLIF(
        out, du=int(_scalar(neuron, "iDecay", path)) - 1, dv=int(_scalar(neuron, "vDecay", path)),
        vth_mant=int(_scalar(neuron, "vThMant", path)), bias_mant=bias, bias_exp=NETX_BIAS_EXP,
    ))
    graph.add_edge(LoihiDense(
        src, name, weight_mant=mantissa, weight_exp=exp + file_exp, num_weight_bits=bits,
        sign_mode=sign, delay=delay + 1,
    ))
    return name


# -- export ------------------------------------------------------------------------------------


def _chain(graph: Graph) -> list[tuple[LoihiDense, LoihiLIF]]:
    """The (edge, population) pairs of a feed-forward chain Input -> pop -> pop ..."""
    inputs = graph.inputs()
    if len(inputs) != 1:
        raise UnsupportedFeatureError(f"NetX export: needs exactly one Input node, found {inputs}")
    chain, current = [], inputs[0]
    remaining = list(graph.edges)
    while remaining:
        outgoing = [e for e in remaining if e.src == current]
        if len(outgoing) != 1:
            raise UnsupportedFeatureError(
                f"NetX export: node {current!r} must feed exactly one next layer (NetX is a sequential "
                f"chain), found {len(outgoing)} outgoing edges"
            )
        edge = outgoing[0]
        remaining.remove(edge)
        pop = graph.nodes[edge.dst]
        if not isinstance(edge, LoihiDense) or not isinstance(pop, LoihiLIF):
            raise UnsupportedFeatureError(
                f"NetX export: edge {edge.src}->{edge.dst} must be a LoihiDense into a LoihiLIF, found "
                f"{edge.kind} into {pop.kind} (quantise the graph first: spikesim.hardware.loihi_quantise)"
            )
        if any(e.dst == edge.dst for e in remaining):
            raise UnsupportedFeatureError(f"NetX export: node {edge.dst!r} has more than one incoming edge")
        chain.append((edge, pop))
        current = edge.dst
    if not chain:
        raise UnsupportedFeatureError("NetX export: the graph has no layer")
    return chain


def _layer_arrays(edge: LoihiDense, pop: LoihiLIF, where: str) -> dict[str, np.ndarray]:
    weight = edge.effective()
    if edge.weight_exp > 0:
        weight = weight << edge.weight_exp
    netx_weight_bits(weight)  # raises if netx could not hold these weights
    if weight.size and weight.max() < 0 and weight.min() == -256:
        raise UnsupportedFeatureError(f"{where}.weight: an all-negative matrix cannot hold -256 in NetX")
    arrays = {"weight": weight.astype(np.float32)}
    delay = np.where(weight != 0, edge.delay - 1, -1)
    per_row = delay.max(axis=1)
    if np.any((delay != per_row[:, None]) & (delay >= 0)):
        raise UnsupportedFeatureError(
            f"{where}.delay: NetX stores one delay per output neuron; this edge has per-synapse delays"
        )
    per_row = np.maximum(per_row, 0)
    if per_row.max(initial=0) > MAX_DELAY:
        raise UnsupportedFeatureError(
            f"{where}.delay: latency {int(per_row.max()) + 1} steps exceeds NetX's maximum delay "
            f"{MAX_DELAY} (+1 for the Dense step)"
        )
    if per_row.any():
        arrays["delay"] = per_row.astype(np.float32)
    if np.any(pop.bias_mant != 0):
        shift = pop.bias_exp - NETX_BIAS_EXP
        scaled = pop.bias_mant << shift if shift >= 0 else pop.bias_mant >> -shift
        if shift < 0 and np.any(scaled << -shift != pop.bias_mant):
            raise UnsupportedFeatureError(f"{where}.bias: bias_mant << bias_exp is not a multiple of 2^6")
        if scaled.max() > 4095 or scaled.min() < -4096:
            raise UnsupportedFeatureError(f"{where}.bias: does not fit 13 bits at NetX's bias_exp = 6")
        arrays["bias"] = scaled.astype(np.float32)
    return arrays


def save(graph: Graph, path: str | os.PathLike) -> Path:
    """Write a LoihiLIF/LoihiDense chain as a NetX ``.net`` file (atomically); returns the path."""
    graph.validate()
    path = Path(path)
    layers = []
    for k, (edge, pop) in enumerate(_chain(graph)):
        where = f"NetX export: layer {k} ({edge.src}->{edge.dst})"
        if np.any(pop.v_init != 0):
            raise UnsupportedFeatureError(f"{where}: v_init must be 0 (NetX has no initial state)")
        layers.append((edge, pop, _layer_arrays(edge, pop, where)))
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        root = f.create_group("layer")
        for k, (edge, pop, arrays) in enumerate(layers):
            g = root.create_group(str(k))
            g.create_dataset("type", data=np.array([b"dense"], dtype="S10"))
            g.create_dataset("shape", data=np.array([pop.size], np.int64))
            g.create_dataset("inFeatures", data=np.int64(edge.shape[1]))
            g.create_dataset("outFeatures", data=np.int64(pop.size))
            for key, value in arrays.items():
                g.create_dataset(key, data=value)
            n = g.create_group("neuron")
            n.create_dataset("type", data="CUBA", dtype=_STR)
            n.create_dataset("iDecay", data=np.int64(pop.du + 1))
            n.create_dataset("vDecay", data=np.int64(pop.dv))
            n.create_dataset("vThMant", data=np.int64(pop.vth_mant))
            n.create_dataset("refDelay", data=np.int64(1))
            n.create_dataset("gradedSpike", data=False)
            if edge.weight_exp < 0:
                n.create_dataset("weight_exp", data=np.int64(edge.weight_exp))
    return path


def export_graph(graph: Graph, out_path: str | os.PathLike, options: dict[str, str]) -> str:
    """``spikesim export --format netx``: quantise a float graph if needed, write, summarise.

    Options: ``scale_percentile`` (quantiser, default 100). Returns a one-line summary.
    """
    from spikesim.hardware.loihi_quantise import quantise

    unknown = set(options) - {"scale_percentile"}
    if unknown:
        raise UnsupportedFeatureError(f"NetX export: unknown options {sorted(unknown)} (known: scale_percentile)")
    note = ""
    if not all(isinstance(p, LoihiLIF) for _, p in graph.populations()):
        graph = quantise(graph, percentile=float(options.get("scale_percentile", 100.0))).graph
        note = " (quantised from float)"
    save(graph, out_path)
    sizes = [graph.size(graph.inputs()[0])] + [p.size for _, p in _chain(graph)]
    return f"wrote NetX network {out_path}: {len(sizes) - 1} dense CUBA layers {'->'.join(map(str, sizes))}{note}"
