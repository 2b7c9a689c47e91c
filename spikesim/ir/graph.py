"""The spiking graph: named nodes, directed projections, a time step and a discretisation."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from spikesim.errors import GraphError
from spikesim.ir.neurons import DISCRETISATIONS, Input, Output, Population
from spikesim.ir.projections import Dense, Sparse, latency_range

Node = Input | Output | Population
Edge = Dense | Sparse


@dataclass(eq=False)
class Graph:
    """A spiking network: ``nodes`` by name, ``edges`` (projections), ``dt`` in seconds.

    ``discretisation`` (``exact`` or ``euler``) records how the populations' coefficients were
    derived from time constants. ``metadata`` holds JSON-serialisable provenance (config, seed,
    dataset hash, readout decoder). Cycles are allowed when every cycle has an edge whose
    nonzero synapses all have latency >= 1.
    """

    dt: float = 1e-3
    discretisation: str = "exact"
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, node: Node) -> str:
        """Add a node under ``name`` and return the name."""
        if not isinstance(name, str) or not name or "/" in name:
            raise GraphError(f"node name: expected a non-empty string without '/', got {name!r}")
        if name in self.nodes:
            raise GraphError(f"node {name!r}: a node with this name already exists")
        if not isinstance(node, (Input, Output, Population)):
            raise GraphError(f"node {name!r}: expected an IR node, got {type(node).__name__}")
        self.nodes[name] = node
        return name

    def connect(self, src: str, dst: str, weight, *, delay=0, bias=None) -> Dense:
        """Add a dense projection ``src -> dst`` with (out, in) ``weight`` and latencies."""
        return self.add_edge(Dense(src, dst, weight, bias=bias, delay=delay))

    def add_edge(self, edge: Edge) -> Edge:
        """Add a projection after checking its endpoints and shape."""
        self._check_edge(edge)
        self.edges.append(edge)
        return edge

    # -- queries -------------------------------------------------------------------------------

    def populations(self) -> Iterator[tuple[str, Population]]:
        """(name, population) for every neuron node, in insertion order."""
        return ((n, v) for n, v in self.nodes.items() if isinstance(v, Population))

    def inputs(self) -> list[str]:
        """Names of the Input nodes, in insertion order."""
        return [n for n, v in self.nodes.items() if isinstance(v, Input)]

    def outputs(self) -> dict[str, str]:
        """Output node name -> the node it exposes."""
        return {n: v.source for n, v in self.nodes.items() if isinstance(v, Output)}

    def size(self, name: str) -> int:
        """Number of channels or neurons of node ``name`` (Outputs: their source's size)."""
        node = self._node(name, "node")
        if isinstance(node, Output):
            return self.size(node.source)
        return node.size

    def incoming(self, name: str) -> list[Edge]:
        """Edges whose target is ``name``, in insertion order."""
        return [e for e in self.edges if e.dst == name]

    def max_latency(self) -> int:
        """Largest latency (steps) of any nonzero synapse."""
        ranges = [latency_range(e) for e in self.edges]
        return max((r[1] for r in ranges if r is not None), default=0)

    def update_order(self) -> list[str]:
        """Input and population names in the order they are updated within a step.

        Zero-latency edges must go from earlier to later nodes; ties keep insertion order.
        """
        names = [n for n, v in self.nodes.items() if not isinstance(v, Output)]
        deps: dict[str, set[str]] = {n: set() for n in names}
        for e in self.edges:
            span = latency_range(e)
            if span is not None and span[0] == 0:  # a zero-latency self-loop makes n depend on itself
                deps[e.dst].add(e.src)
        order: list[str] = []
        placed: set[str] = set()
        while len(order) < len(names):
            ready = [n for n in names if n not in placed and deps[n] <= placed]
            if not ready:
                cycle = sorted(n for n in names if n not in placed)
                raise GraphError(
                    "zero-latency cycle among nodes "
                    f"{cycle}: every recurrent loop needs an edge with latency >= 1 step"
                )
            order.append(ready[0])
            placed.add(ready[0])
        return order

    # -- validation ----------------------------------------------------------------------------

    def validate(self) -> Graph:
        """Check names, shapes, parameters, latencies and cycles; return self or raise GraphError."""
        if not (isinstance(self.dt, (int, float)) and np.isfinite(self.dt) and self.dt > 0):
            raise GraphError(f"Graph.dt: expected a positive finite time step in s, got {self.dt!r}")
        if self.discretisation not in DISCRETISATIONS:
            raise GraphError(
                f"Graph.discretisation: expected one of {DISCRETISATIONS}, got {self.discretisation!r}"
            )
        for name, node in self.nodes.items():
            if isinstance(node, Output):
                source = self._node(node.source, f"Output {name!r}.source")
                if isinstance(source, Output):
                    raise GraphError(f"Output {name!r}.source: cannot expose another Output")
            else:
                node.__post_init__()  # re-run field checks: attributes may have been edited
            cont = getattr(node, "continuous", None)
            if cont is not None:
                if cont.method != self.discretisation:
                    raise GraphError(
                        f"node {name!r}: built with {cont.method!r} but the graph is {self.discretisation!r}"
                    )
                if not np.isclose(cont.dt, self.dt, rtol=1e-12, atol=0):
                    raise GraphError(f"node {name!r}: built for dt={cont.dt} s but the graph has dt={self.dt} s")
        for edge in self.edges:
            edge.__post_init__()
            self._check_edge(edge)
        self.update_order()
        return self

    def _node(self, name: str, where: str) -> Node:
        try:
            return self.nodes[name]
        except KeyError:
            known = ", ".join(sorted(self.nodes)) or "none"
            raise GraphError(f"{where}: unknown node {name!r} (known nodes: {known})") from None

    def _check_edge(self, edge: Edge) -> None:
        where = f"{edge.kind} {edge.src}->{edge.dst}"
        src = self._node(edge.src, f"{where}.src")
        dst = self._node(edge.dst, f"{where}.dst")
        if isinstance(src, Output):
            raise GraphError(f"{where}.src: an Output node cannot be a source")
        if not isinstance(dst, Population):
            raise GraphError(f"{where}.dst: the target must be a neuron population, got {type(dst).__name__}")
        expected = (dst.size, src.size)
        if tuple(edge.shape) != expected:
            raise GraphError(f"{where}.weight: expected shape (out, in) = {expected}, got {tuple(edge.shape)}")

    def copy(self) -> Graph:
        """A deep copy."""
        return copy.deepcopy(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Graph):
            return NotImplemented
        return (
            self.dt == other.dt
            and self.discretisation == other.discretisation
            and list(self.nodes) == list(other.nodes)
            and all(self.nodes[n] == other.nodes[n] for n in self.nodes)
            and len(self.edges) == len(other.edges)
            and all(a == b for a, b in zip(self.edges, other.edges))
            and self.metadata == other.metadata
        )
