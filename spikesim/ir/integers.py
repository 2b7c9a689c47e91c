"""Integer fields of IR nodes (latencies, fixed-point mantissas): checked and broadcast."""

from __future__ import annotations

import numpy as np

from spikesim.errors import GraphError
from spikesim.ir.finite import require_finite


def whole_numbers(
    value, shape: tuple[int, ...], where: str, lo: int | None = None, hi: int | None = None,
    unit: str | None = None,
) -> np.ndarray:  # fmt: skip
    """``value`` as int64, broadcast to ``shape``, every element in ``[lo, hi]`` (a bound of
    None is open). Floats are accepted when they hold whole numbers (``2.0``), since weights
    and delays often arrive as float arrays; ``unit`` names them in the error (``steps``)."""
    raw = np.asarray(value)
    if raw.dtype.kind == "f":
        require_finite(raw, where)
        if np.any(raw != np.round(raw)):
            raise GraphError(f"{where}: expected whole {unit or 'numbers'}, got fractional values")
    elif raw.dtype.kind not in "iub":
        raise GraphError(f"{where}: expected integers, got dtype {raw.dtype}")
    array = raw.astype(np.int64)
    if array.ndim == 0:
        array = np.full(shape, int(array), dtype=np.int64)
    if array.shape != shape:
        raise GraphError(f"{where}: expected a scalar or shape {shape}, got shape {array.shape}")
    if array.size:
        low, high = int(array.min()), int(array.max())
        if hi is None and lo is not None and low < lo:
            units = f" {unit}" if unit else ""
            raise GraphError(f"{where}: expected values >= {lo}{units}, found {low}")
        if hi is not None and (high > hi or (lo is not None and low < lo)):
            bound = "-inf" if lo is None else lo
            raise GraphError(f"{where}: expected values in [{bound}, {hi}], found [{low}, {high}]")
    return array
