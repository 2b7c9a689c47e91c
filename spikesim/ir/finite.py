"""The one check every float field of the IR (and every float input) passes: no NaN, no inf."""

from __future__ import annotations

import numpy as np

from spikesim.errors import GraphError


def require_finite(array: np.ndarray, where: str) -> np.ndarray:
    """Return ``array``, or raise GraphError naming ``where`` if it holds NaN or inf."""
    if not np.all(np.isfinite(array)):
        raise GraphError(f"{where}: contains NaN or inf")
    return array
