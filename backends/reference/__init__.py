"""The numpy reference backend: the oracle every other backend is tested against."""

from __future__ import annotations

from spikesim.capabilities import Capabilities
from spikesim.ir import Graph


def capabilities() -> Capabilities:
    """Everything in docs/semantics.md, in float32 and float64; Loihi fixed point in ``fixed``."""
    base = Capabilities()
    return Capabilities(
        node_types=base.node_types + ("LoihiLIF",),
        projection_types=base.projection_types + ("LoihiDense",),
        precisions=base.precisions + ("fixed",),
    )


def availability() -> tuple[bool, str]:
    """Always usable: it needs only numpy."""
    return True, "numpy"


def compile(graph: Graph, batch_size=None, dtype="float64", record=None, **options):  # noqa: A001
    """Build a ReferenceSimulator; accepts no backend-specific options."""
    from spikesim.backends.reference.simulator import ReferenceSimulator
    from spikesim.errors import GraphError

    if options:
        raise GraphError(f"reference backend: unknown options {sorted(options)}")
    if dtype == "fixed":
        from spikesim.backends.reference.fixed_simulator import FixedReferenceSimulator

        return FixedReferenceSimulator(graph, batch_size, record)
    return ReferenceSimulator(graph, batch_size, dtype, record)
