"""The DCLS σ schedule: the Gaussian kernel narrows geometrically, then stays at ~0.5 steps.

With ``SIG_0 = taps // 2`` and ``final_epoch = max(1, epochs // 4)`` (so short runs still
anneal), the kernel width used during epoch ``e`` is

    sigma(e) = SIG_0 * (0.23 / SIG_0) ** (min(e, final_epoch) / final_epoch) + 0.27   [steps]

i.e. 12.27 -> 0.50 for 25 taps. For 150 epochs: 12.27, 4.39, 1.69, 0.76, 0.50 at epochs
0, 10, 20, 30, 37 (the paper's decay, applied once per finished epoch, in closed form).
"""

from __future__ import annotations

SIGMA_OFFSET = 0.27
SIGMA_FLOOR = 0.23


def final_epoch(epochs: int) -> int:
    """Epoch from which sigma stays at its final value: ``max(1, epochs // 4)``."""
    return max(1, int(epochs) // 4)


def sigma_at_epoch(epoch: int, epochs: int, taps: int) -> float:
    """Gaussian width (steps) used during 0-based ``epoch`` of a run of ``epochs`` epochs."""
    start = float(taps // 2)
    if start <= SIGMA_FLOOR:
        return start + SIGMA_OFFSET
    last = final_epoch(epochs)
    progress = min(int(epoch), last) / last
    return start * (SIGMA_FLOOR / start) ** progress + SIGMA_OFFSET
