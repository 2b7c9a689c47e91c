"""The numpy step functions that define each population's discrete-time update.

These functions are the executable form of ``docs/semantics.md`` §3; every backend is judged
against them. Arrays are [B, N]; coefficients are (N,) vectors of the simulation dtype.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class PopulationState(NamedTuple):
    """State of one population: membrane ``v``, current ``i``, refractory steps left ``ref``."""

    v: np.ndarray
    i: np.ndarray
    ref: np.ndarray


class StepOutput(NamedTuple):
    """What one step produces: the output sent along edges and the pre-threshold membrane."""

    out: np.ndarray
    spikes: np.ndarray | None
    v_pre: np.ndarray


def initial_state(coeffs: dict[str, np.ndarray], batch: int, dtype) -> PopulationState:
    """v = v_init, i = 0, not refractory."""
    size = coeffs["v_init"].shape[0]
    v = np.broadcast_to(coeffs["v_init"].astype(dtype), (batch, size)).copy()
    return PopulationState(v, np.zeros((batch, size), dtype), np.zeros((batch, size), np.int64))


def population_step(
    state: PopulationState,
    x: np.ndarray,
    coeffs: dict[str, np.ndarray],
    spiking: bool,
    reset: str,
    refractory: int,
) -> tuple[StepOutput, PopulationState]:
    """One step of a population with delivered input ``x`` [B, N] (semantics §3).

    i <- alpha*i + input_gain*x; v' <- (beta*v + current_gain*i) + bias, held while refractory;
    spike where v' > v_th; reset v' to v_reset ("zero") or by v_th ("subtract"); a spike
    starts ``refractory`` steps during which v is held and no spike is emitted.
    """
    i = coeffs["alpha"] * state.i + coeffs["input_gain"] * x
    v_pre = (coeffs["beta"] * state.v + coeffs["current_gain"] * i) + coeffs["bias"]
    refractory_now = state.ref > 0
    v_pre = np.where(refractory_now, state.v, v_pre)
    if not spiking:
        return StepOutput(v_pre, None, v_pre), PopulationState(v_pre, i, state.ref)
    spikes = (v_pre > coeffs["v_th"]) & ~refractory_now
    if reset == "zero":
        v = np.where(spikes, coeffs["v_reset"], v_pre)
    else:
        v = np.where(spikes, v_pre - coeffs["v_th"], v_pre)
    ref = np.where(spikes, refractory, np.where(refractory_now, state.ref - 1, 0))
    out = spikes.astype(x.dtype)
    return StepOutput(out, spikes, v_pre), PopulationState(v.astype(x.dtype), i, ref)
