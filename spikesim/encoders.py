"""Encoders that turn dense data into spike trains (numpy only).

Every encoder returns a boolean array with time first, ``[n_steps, *shape]``, which
``Simulator.run`` accepts directly as a ``[T, N]`` or ``[T, B, N]`` input. Time is counted in
simulation steps (one step = ``Graph.dt`` seconds).
"""

from __future__ import annotations

import numpy as np


def _generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _unit_interval(x, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(x)) or x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"{name}: expected values in [0, 1], found range [{x.min()}, {x.max()}]")
    return x


def _steps(n_steps: int) -> int:
    if int(n_steps) != n_steps or n_steps < 1:
        raise ValueError(f"n_steps: expected a positive whole number of steps, got {n_steps}")
    return int(n_steps)


def rate(x, n_steps: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
    """Bernoulli (discrete-time Poisson) rate code.

    Each element of ``x`` is a spike probability per step in [0, 1] (a rate of ``x / dt`` Hz);
    every step and channel draws independently. ``rng`` is a numpy Generator or a seed.
    Returns ``[n_steps, *x.shape]`` bool; the expected spike count per channel is
    ``n_steps * x``.
    """
    x = _unit_interval(x, "rate: x")
    return _generator(rng).random((_steps(n_steps), *x.shape)) < x


def latency(x, n_steps: int, threshold: float = 0.0) -> np.ndarray:
    """Time-to-first-spike code: one spike per channel, earlier for larger ``x``.

    ``x`` in [0, 1]. A channel with ``x > threshold`` spikes once, at step
    ``t = round((1 - x) * (n_steps - 1))`` (nearest step, ties to even): ``x = 1`` fires at
    step 0 and ``x -> threshold`` towards the last step. Channels with ``x <= threshold``
    stay silent. Returns ``[n_steps, *x.shape]`` bool.
    """
    x = _unit_interval(x, "latency: x")
    n_steps = _steps(n_steps)
    first = np.rint((1.0 - x) * (n_steps - 1)).astype(np.int64)
    spikes = np.arange(n_steps).reshape((n_steps,) + (1,) * x.ndim) == first
    return spikes & (x > threshold)


def delta(signal, threshold: float) -> np.ndarray:
    """Threshold-crossing (send-on-delta) code with OFF and ON channels.

    ``signal`` is ``[T, *shape]`` in any unit; ``threshold`` (> 0, same unit) is the change
    that triggers a spike. A reference level starts at ``signal[0]``; at each later step, if
    ``signal[t] - ref >= threshold`` the ON channel spikes, if ``<= -threshold`` the OFF channel
    spikes, and in both cases ``ref`` moves to ``signal[t]``. Step 0 never spikes.
    Returns ``[T, 2, *shape]`` bool, channel 0 = OFF (decrease) and 1 = ON (increase), as the
    polarity ``p`` of event cameras; reshape to ``[T, 2 * prod(shape)]`` for an Input.
    """
    signal = np.asarray(signal, dtype=np.float64)
    if signal.ndim < 1 or signal.shape[0] < 1:
        raise ValueError(f"delta: signal must be [T, ...] with T >= 1, got shape {signal.shape}")
    if not np.all(np.isfinite(signal)):
        raise ValueError("delta: signal contains NaN or inf")
    if not (np.isfinite(threshold) and threshold > 0):
        raise ValueError(f"delta: threshold must be a finite positive number, got {threshold}")
    out = np.zeros((signal.shape[0], 2, *signal.shape[1:]), dtype=bool)
    ref = signal[0].copy()
    for t in range(1, signal.shape[0]):
        change = signal[t] - ref
        out[t, 1] = change >= threshold
        out[t, 0] = change <= -threshold
        ref = np.where(out[t, 0] | out[t, 1], signal[t], ref)
    return out
