"""Surrogate derivatives of the spike nonlinearity ``s = (u > 0)``, with ``u = v' - v_th``.

The forward pass is always the exact Heaviside step with the strict ``>`` of
``docs/semantics.md`` (SpikingJelly uses ``>=``; the two differ only when ``v'`` equals
``v_th`` exactly). Only the backward pass uses a smooth stand-in ``ds/du``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from spikesim.errors import ConfigError

#: Surrogate kind -> default sharpness parameter.
SURROGATES = {"atan": 5.0, "superspike": 10.0}


@dataclass(frozen=True)
class Surrogate:
    """A surrogate derivative: ``atan`` (SpikingJelly's ATan, ``alpha`` = 5) or ``superspike``.

    ATan: ``ds/du = (alpha/2) / (1 + (pi/2 * alpha * u)^2)`` (2.5 at u = 0 for alpha = 5).
    SuperSpike (fast sigmoid, Zenke & Ganguli 2018): ``ds/du = 1 / (alpha*|u| + 1)^2``.
    """

    kind: str = "atan"
    alpha: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in SURROGATES:
            raise ConfigError(f"surrogate: unknown kind {self.kind!r}; choose from {sorted(SURROGATES)}")
        if self.alpha is None:
            object.__setattr__(self, "alpha", SURROGATES[self.kind])
        if not (self.alpha > 0 and math.isfinite(self.alpha)):
            raise ConfigError(f"surrogate.alpha: expected a finite value > 0, got {self.alpha}")

    def grad(self, u: torch.Tensor) -> torch.Tensor:
        """``ds/du`` at ``u = v' - v_th`` (same shape and dtype as ``u``)."""
        a = self.alpha
        if self.kind == "atan":
            return (a / 2) / (1 + (math.pi / 2 * a * u) ** 2)
        return 1.0 / (a * u.abs() + 1.0) ** 2
