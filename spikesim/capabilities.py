"""What a backend can simulate exactly, and the check ``compile()`` runs against it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from spikesim.errors import UnsupportedFeatureError
from spikesim.ir import Graph, Population, latency_range


@dataclass(frozen=True)
class Capabilities:
    """A backend's feature set. ``compile()`` rejects graphs outside it, naming node and field."""

    node_types: tuple[str, ...] = ("Input", "Output", "LIF", "LI", "IF")
    projection_types: tuple[str, ...] = ("Dense", "Sparse")
    reset_modes: tuple[str, ...] = ("zero", "subtract")
    refractory: bool = True
    #: Where biases may enter: "neuron" (per-step, into v) and "projection" (into the input).
    bias_placement: tuple[str, ...] = ("neuron", "projection")
    #: Whether non-binary values (graded inputs, LI outputs) may travel along edges.
    graded_input: bool = True
    min_latency: int = 0
    max_latency: int | None = None
    precisions: tuple[str, ...] = ("float32", "float64")
    discretisations: tuple[str, ...] = ("exact", "euler")
    #: Neuron coefficients the backend cannot represent, with the value it requires.
    fixed_coefficients: tuple[tuple[str, float], ...] = ()

    def as_dict(self) -> dict:
        """JSON-friendly form (for ``spikesim info --json``)."""
        return asdict(self)


def precision_name(dtype) -> str:
    """The precision name (``"float32"``, ``"fixed"``, ...) of ``dtype``: a name, or anything
    ``np.dtype`` takes (``np.float32``, ``np.dtype("f4")``, ``"f8"``).

    Backends look precisions up by name, so a numpy dtype must arrive as its name: passed on
    as it was, ``np.dtype("float32")`` compares equal to ``"float32"`` but is not found as a
    dictionary key. A value that names no floating-point type (``"fixed"`` among them) is
    returned unchanged, for the backend to take or ``check_supported`` to reject with its list.
    """
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        return dtype
    return resolved.name if resolved.kind == "f" else dtype


def check_supported(graph: Graph, caps: Capabilities, precision: str, backend: str) -> None:
    """Raise UnsupportedFeatureError naming the first node/edge field ``backend`` cannot run."""

    def fail(where: str, what: str) -> None:
        raise UnsupportedFeatureError(f"backend {backend!r} cannot run {where}: {what}")

    if precision not in caps.precisions:
        fail("this graph", f"precision {precision!r} (supported: {', '.join(caps.precisions)})")
    if graph.discretisation not in caps.discretisations:
        fail("this graph", f"discretisation {graph.discretisation!r}")
    for name, node in graph.nodes.items():
        if node.kind not in caps.node_types:
            fail(
                f"node {name!r}", f"node type {node.kind} (supported: {', '.join(caps.node_types)})"
            )
        if not isinstance(node, Population):
            continue
        if node.spiking and node.reset not in caps.reset_modes:
            fail(f"node {name!r}", f"field reset={node.reset!r}")
        if node.refractory and not caps.refractory:
            fail(f"node {name!r}", f"field refractory={node.refractory} (no refractory period)")
        if np.any(node.bias != 0) and "neuron" not in caps.bias_placement:
            fail(f"node {name!r}", "field bias (neuron bias not supported)")
        for field_name, required in caps.fixed_coefficients:
            if np.any(getattr(node, field_name) != required):
                fail(f"node {name!r}", f"field {field_name} must be {required}")
    for edge in graph.edges:
        where = f"edge {edge.src}->{edge.dst}"
        if edge.kind not in caps.projection_types:
            fail(where, f"projection type {edge.kind}")
        if (
            edge.bias is not None
            and np.any(edge.bias != 0)
            and "projection" not in caps.bias_placement
        ):
            fail(where, "field bias (projection bias not supported)")
        span = latency_range(edge)
        if span is None:
            continue
        lo, hi = span
        if lo < caps.min_latency:
            fail(
                where, f"field delay: latency {lo} < this backend's min_latency {caps.min_latency}"
            )
        if caps.max_latency is not None and hi > caps.max_latency:
            fail(
                where, f"field delay: latency {hi} > this backend's max_latency {caps.max_latency}"
            )
        src = graph.nodes[edge.src]
        if not caps.graded_input and isinstance(src, Population) and not src.spiking:
            fail(where, f"graded values from non-spiking node {edge.src!r}")
