"""``compile(graph, backend)``: validate a graph, check the backend supports it, build a Simulator."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from spikesim.capabilities import check_supported, precision_name
from spikesim.ir import Graph
from spikesim.simulator import Simulator


def compile(  # noqa: A001 - the public name mirrors torch.compile / numba's vocabulary
    graph: Graph,
    backend: str = "reference",
    batch_size: int | None = None,
    dtype: str | np.dtype | type = "float64",
    record: Mapping[str, list[str]] | None = None,
    **options,
) -> Simulator:
    """Compile ``graph`` for ``backend`` and return its Simulator.

    ``dtype`` is the simulation precision (``float32``, ``float64``, or ``fixed`` where a
    backend supports it), as a name or a numpy dtype (``np.float32``). ``record`` selects
    probes, e.g. ``{"hidden": ["spikes", "v"]}``; by default spikes of spiking populations and
    v of readouts are recorded.
    Raises GraphError for an invalid graph, UnsupportedFeatureError naming the node and field
    a backend cannot run, and BackendUnavailableError when the backend cannot run here.
    """
    from spikesim import backends

    graph.validate()
    module = backends.load(backend)
    dtype = precision_name(dtype)
    check_supported(graph, module.capabilities(), dtype, backend)
    return module.compile(graph, batch_size=batch_size, dtype=dtype, record=record, **options)
