"""Writing conductances into cells: write-verify, single stochastic pulses, faults and drift.

All conductances are in µS. Every function takes an explicit ``numpy.random.Generator`` so a
seed fixes the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikesim.hardware.rram.config import MacroConfig


@dataclass
class Programmed:
    """Outcome of programming an array: conductance (µS), pulses used, whether verify passed."""

    g: np.ndarray
    pulses: np.ndarray
    verified: np.ndarray


def quantise_levels(g: np.ndarray, cfg: MacroConfig) -> np.ndarray:
    """Snap target conductances (µS) to the nearest of ``cfg.levels`` equally spaced levels
    in [G_min, G_max] (unchanged when ``levels`` is None)."""
    g = np.clip(g, cfg.g_min_us, cfg.g_max_us)
    if cfg.levels is None:
        return g
    step = (cfg.g_max_us - cfg.g_min_us) / (cfg.levels - 1)
    return cfg.g_min_us + np.round((g - cfg.g_min_us) / step) * step


def level_index(g: np.ndarray, cfg: MacroConfig) -> np.ndarray:
    """The level number (int16) of each target conductance; -1 when levels are analog."""
    if cfg.levels is None:
        return np.full(np.shape(g), -1, np.int16)
    step = (cfg.g_max_us - cfg.g_min_us) / (cfg.levels - 1)
    return np.round((np.asarray(g) - cfg.g_min_us) / step).astype(np.int16)


def write_verify(target: np.ndarray, cfg: MacroConfig, rng: np.random.Generator) -> Programmed:
    """Program every cell to ``target`` (µS) with iterative pulses and noisy verify reads.

    Each pulse lands at ``target + N(0, σ_p)`` with σ_p = program_sigma_us +
    program_sigma_rel·target (cycle-to-cycle variation), clipped to [G_min, G_max]. A verify
    read adds N(0, verify_read_sigma_us); the cell is done when the read is within
    ``verify_tolerance_us`` of the target, or after ``max_pulses`` (then ``verified`` is False).
    The residual error and the pulse counts are outcomes, not inputs.
    """
    target = np.asarray(target, np.float64)
    sigma = cfg.program_sigma_us + cfg.program_sigma_rel * target
    g = np.empty_like(target)
    pulses = np.zeros(target.shape, np.int32)
    verified = np.zeros(target.shape, bool)
    pending = np.ones(target.shape, bool)
    for _ in range(cfg.max_pulses):
        idx = np.nonzero(pending)
        if idx[0].size == 0:
            break
        t = target[idx]
        g_new = np.clip(t + sigma[idx] * rng.standard_normal(t.shape), cfg.g_min_us, cfg.g_max_us)
        read = g_new + cfg.verify_read_sigma_us * rng.standard_normal(t.shape)
        g[idx] = g_new
        pulses[idx] += 1
        ok = np.abs(read - t) <= cfg.verify_tolerance_us
        verified[idx] = ok
        pending[idx] = ~ok
    return Programmed(g, pulses, verified)


def single_pulse(shape: tuple[int, ...], cfg: MacroConfig, rng: np.random.Generator) -> np.ndarray:
    """Conductances (µS) after one unverified SET pulse: stochastic switching as a random source.

    Draws from ``cfg.random_distribution`` ("normal" or "lognormal", with mean
    ``random_mean_us`` and σ ``random_sigma_us`` before truncation), truncated to
    [G_min, G_max] by redrawing the values outside (so the law is exactly the truncated one).
    """
    n = int(np.prod(shape))
    out = np.empty(n)
    todo = np.arange(n)
    if cfg.random_distribution == "normal":
        def draw(k):
            return rng.normal(cfg.random_mean_us, cfg.random_sigma_us, k)
    else:
        mu, s = lognormal_parameters(cfg)

        def draw(k):
            return rng.lognormal(mu, s, k)
    while todo.size:
        value = draw(todo.size)
        inside = (value >= cfg.g_min_us) & (value <= cfg.g_max_us)
        out[todo[inside]] = value[inside]
        todo = todo[~inside]
    return out.reshape(shape)


def lognormal_parameters(cfg: MacroConfig) -> tuple[float, float]:
    """(mu, sigma) of ln G for a lognormal with mean ``random_mean_us`` and σ ``random_sigma_us``."""
    s2 = np.log1p((cfg.random_sigma_us / cfg.random_mean_us) ** 2)
    return float(np.log(cfg.random_mean_us) - s2 / 2), float(np.sqrt(s2))


def single_pulse_moments(cfg: MacroConfig) -> tuple[float, float]:
    """Mean and σ (µS) of the truncated single-pulse distribution, by quadrature of its density."""
    g = np.linspace(cfg.g_min_us, cfg.g_max_us, 200_001)
    if cfg.random_distribution == "normal":
        density = np.exp(-0.5 * ((g - cfg.random_mean_us) / cfg.random_sigma_us) ** 2)
    else:
        mu, s = lognormal_parameters(cfg)
        density = np.exp(-0.5 * ((np.log(g) - mu) / s) ** 2) / g
    weights = density / np.trapezoid(density, g)
    mean = float(np.trapezoid(g * weights, g))
    var = float(np.trapezoid((g - mean) ** 2 * weights, g))
    return mean, float(np.sqrt(var))


def apply_stuck(g: np.ndarray, cfg: MacroConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Force a random ``stuck_on_rate`` of cells to G_max and ``stuck_off_rate`` to G_min.

    Returns (conductances, fault code per cell: 0 healthy, 1 stuck ON, -1 stuck OFF).
    """
    u = rng.random(g.shape)
    fault = np.where(u < cfg.stuck_on_rate, 1, np.where(u < cfg.stuck_on_rate + cfg.stuck_off_rate, -1, 0))
    g = np.where(fault == 1, cfg.g_max_us, np.where(fault == -1, cfg.g_min_us, g))
    return g, fault.astype(np.int8)


def apply_drift(g: np.ndarray, cfg: MacroConfig, rng: np.random.Generator) -> np.ndarray:
    """Conductance ``drift_time_s`` after programming: G0·(t/t0)^-nu, nu ~ N(nu_mean, nu_sigma)
    per cell (nu clipped at 0, so no cell grows); unchanged for t <= t0."""
    if cfg.drift_time_s <= cfg.drift_t0_s:
        return g
    nu = np.maximum(cfg.drift_nu_mean + cfg.drift_nu_sigma * rng.standard_normal(g.shape), 0.0)
    return g * (cfg.drift_time_s / cfg.drift_t0_s) ** (-nu)
