"""The CuPy CUDA backend: fused multi-step kernels for simulation (``compile(graph,
backend="cupy")``) and, in ``autograd``, for LIF training through torch.

cupy is imported only inside this package, and only when the backend is asked for.
"""

from __future__ import annotations

from spikesim.capabilities import Capabilities
from spikesim.errors import GraphError
from spikesim.ir import Graph

#: Simulation precisions; float16 is checked statistically (docs/cupy.md), fixed point is not offered.
PRECISIONS = ("float32", "float64", "float16")


def capabilities() -> Capabilities:
    """Everything in docs/semantics.md, with float32/float64 and float16 state (no fixed point)."""
    return Capabilities(precisions=PRECISIONS)


def availability() -> tuple[bool, str]:
    """Usable when cupy imports and sees a CUDA device; otherwise the reason why not."""
    try:
        import cupy
    except ImportError as err:
        return False, f"cupy is not installed ({err}); pip install 'spikesim[cuda]'"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as err:  # cupy raises its own CUDARuntimeError subclasses here
        return False, f"cupy {cupy.__version__} is installed but CUDA is not usable: {err}"
    if count == 0:
        return False, f"cupy {cupy.__version__} is installed but no CUDA device is visible"
    name = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    return True, f"cupy {cupy.__version__} on {name}"


def compile(graph: Graph, batch_size=None, dtype="float32", record=None, **options):  # noqa: A001
    """Build a CupySimulator. Option ``chunk_steps`` (default 512): most steps per launch."""
    from spikesim.backends.cupy.simulator import CupySimulator

    unknown = set(options) - {"chunk_steps"}
    if unknown:
        raise GraphError(f"cupy backend: unknown options {sorted(unknown)} (known: chunk_steps)")
    return CupySimulator(graph, batch_size, dtype, record, **options)
