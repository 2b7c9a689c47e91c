"""The Numba CPU backend: event-driven or dense delivery through per-population sliding input
windows, the time loop JIT-compiled and cached on disk, samples in parallel (docs/numba.md).

Options of ``compile(graph, backend="numba", ...)``: ``strategy`` = ``"auto"`` (default; per
source, from its measured density), ``"event"`` or ``"dense"``; ``flush_denormals=True`` (x86-64)
treats subnormal numbers as zero while the kernel runs, which is faster for long runs with
silent, decaying neurons but no longer bit-exact (docs/numba.md).
"""

from __future__ import annotations

from spikesim.backends import reference
from spikesim.capabilities import Capabilities
from spikesim.ir import Graph


def capabilities() -> Capabilities:
    """The reference's: everything in docs/semantics.md, in float32 and float64; Loihi fixed
    point in ``fixed``."""
    return reference.capabilities()


def availability() -> tuple[bool, str]:
    """Usable when numba imports."""
    try:
        import numba
    except ImportError as err:
        return False, f"numba is not installed ({err}); pip install 'spikesim[cpu]'"
    return True, f"numba {numba.__version__}, {numba.config.NUMBA_NUM_THREADS} threads"


def compile(graph: Graph, batch_size=None, dtype="float64", record=None, **options):  # noqa: A001
    """Build a NumbaSimulator; options ``strategy`` ("auto", "event", "dense") and
    ``flush_denormals`` (bool)."""
    from spikesim.backends.numba.simulator import NumbaSimulator
    from spikesim.errors import GraphError

    known = {"strategy", "flush_denormals"}
    unknown = set(options) - known
    if unknown:
        raise GraphError(
            f"numba backend: unknown options {sorted(unknown)} (known: {sorted(known)})"
        )
    if dtype == "fixed":  # LoihiLIF/LoihiDense in int64 (fixed.py); no strategy to choose
        if options:
            raise GraphError(
                f"numba backend: options {sorted(options)} apply to float32/float64 only; "
                'dtype="fixed" runs the integer kernel, which always skips zero outputs and '
                "has no subnormal numbers"
            )
        from spikesim.backends.numba.fixed import FixedNumbaSimulator

        return FixedNumbaSimulator(graph, batch_size, record)
    return NumbaSimulator(graph, batch_size, dtype, record, **options)
