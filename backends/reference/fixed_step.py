"""The integer step function of ``LoihiLIF`` (``spikesim.ir.fixed``): bit-exact with lava-nc
0.10.0's ``fixed_pt`` LIF (``AbstractPyLifModelFixed.subthr_dynamics`` and ``PyLifModelBitAcc``).

Arrays are int64 [B, N]; the parameter table comes from ``LoihiLIF.integer_table()``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from spikesim.backends.reference.step import StepOutput
from spikesim.ir.fixed import ACTIVATION_SHIFT, DECAY_SHIFT, STATE_MAX


class FixedState(NamedTuple):
    """Lava's 24-bit ``v`` and ``u`` of one population (int64 [B, N])."""

    v: np.ndarray
    i: np.ndarray


def fixed_initial_state(table: dict[str, np.ndarray], batch: int) -> FixedState:
    """v = v_init, u = 0."""
    v = np.broadcast_to(table["v_init"], (batch, table["v_init"].shape[0])).copy()
    return FixedState(v, np.zeros_like(v))


def _decay(x: np.ndarray, d: np.ndarray) -> np.ndarray:
    """sign(x) * (|x * (4096 - d)| >> 12): a sign-magnitude shift, rounding toward zero."""
    p = x * ((1 << DECAY_SHIFT) - d)
    return np.sign(p) * (np.abs(p) >> DECAY_SHIFT)


def fixed_lif_step(
    state: FixedState, a_in: np.ndarray, table: dict[str, np.ndarray]
) -> tuple[StepOutput, FixedState]:
    """One step with integer activation ``a_in`` [B, N] (already weight_exp-shifted)."""
    u = _decay(state.i, table["du"] + 1) + (a_in << ACTIVATION_SHIFT)
    # One fold, as Lava: only values beyond the 24-bit range by less than 2^24 come back in range.
    u = np.where(u > STATE_MAX, u - 2 * STATE_MAX, u)
    u = np.where(u <= -STATE_MAX, u + 2 * STATE_MAX, u)
    v_pre = np.clip(_decay(state.v, table["dv"]) + u + table["bias"], -(STATE_MAX - 1), STATE_MAX - 1)
    spikes = v_pre > table["vth"]
    v = np.where(spikes, 0, v_pre)
    return StepOutput(spikes.astype(np.int64), spikes, v_pre), FixedState(v, u)
