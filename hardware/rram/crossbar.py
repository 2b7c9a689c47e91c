"""One programmed crossbar tile as a circuit: IR drop, read noise, the column ADC.

Inputs x (one value per used row) are read pulses of amplitude x·V_read; a column pair
delivers the differential current I+ - I- = V_read·Σ_i x_i (G+_ij - G-_ij). Everything here
works in conductance units (µS, i.e. current / V_read), so y = x @ (G+ - G-).
"""

from __future__ import annotations

import numpy as np

from spikesim.hardware.rram.config import MacroConfig


def ir_drop(g: np.ndarray, cfg: MacroConfig) -> np.ndarray:
    """First-order IR-drop attenuation of physical conductances ``g`` (rows, physical cols), µS.

    Row drivers sit left of column 0, sense amplifiers below row ``cfg.rows - 1``. The cell
    (i, c) sees the wire segments between its driver and itself (c + 1) and between itself
    and its sense amplifier (rows - i) in series, each of ``wire_resistance_ohm``:
    G_eff = G / (1 + G·r·(c + 1 + rows - i)). The currents of the other cells sharing those
    wires are neglected (that correction is second order in G·r).
    """
    if cfg.wire_resistance_ohm == 0.0:
        return g
    rows, cols = g.shape
    segments = (np.arange(cols)[None, :] + 1) + (cfg.rows - np.arange(rows)[:, None])
    return g / (1.0 + g * 1e-6 * cfg.wire_resistance_ohm * segments)


def interleave(g_pos: np.ndarray, g_neg: np.ndarray) -> np.ndarray:
    """Physical layout of pairs: column 2k holds G+ of output k, column 2k+1 its G-."""
    phys = np.empty((g_pos.shape[0], 2 * g_pos.shape[1]))
    phys[:, 0::2], phys[:, 1::2] = g_pos, g_neg
    return phys


def adc(y: np.ndarray, full_scale: float, bits: int | None) -> np.ndarray:
    """Signed ``bits``-bit conversion of ``y`` (µS units) over [-full_scale, full_scale):
    step full_scale/2^(bits-1), codes clipped to [-2^(bits-1), 2^(bits-1) - 1]."""
    if bits is None:
        return y
    step = full_scale / 2.0 ** (bits - 1)
    code = np.clip(np.round(y / step), -(2.0 ** (bits - 1)), 2.0 ** (bits - 1) - 1)
    return code * step


def _product(x: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``x @ matrix``; for sparse x (spikes), by summing the rows of the driven inputs only,
    which is what the array does and ~1/density times less work than a dense product."""
    samples, rows = np.nonzero(x)
    if 12 * samples.size > x.size:  # above ~8 % density a BLAS product is faster
        return x @ matrix
    out = np.zeros((x.shape[0], matrix.shape[1]), np.result_type(x, matrix))
    if samples.size:
        starts = np.flatnonzero(np.r_[True, samples[1:] != samples[:-1]])
        values = x[samples, rows]
        terms = matrix[rows] if np.all(values == 1) else matrix[rows] * values[:, None]
        out[samples[starts]] = np.add.reduceat(terms, starts, axis=0)
    return out


class TileCircuit:
    """A tile ready to compute: effective conductances, noise variances and ADC range."""

    def __init__(self, g_pos: np.ndarray, g_neg: np.ndarray, cfg: MacroConfig, dtype=np.float64) -> None:
        self.cfg = cfg
        phys = ir_drop(interleave(g_pos, g_neg), cfg)
        self.g_pos, self.g_neg = phys[:, 0::2], phys[:, 1::2]
        diff = self.g_pos - self.g_neg
        self.diff = diff.astype(dtype)
        #: Σ_j (G+ + G-) per row, µS: what one unit read pulse on that row conducts (energy).
        self.row_conductance = phys.sum(axis=1)
        self.sigma_pos = cfg.read_noise_abs_us + cfg.read_noise_rel * self.g_pos
        self.sigma_neg = cfg.read_noise_abs_us + cfg.read_noise_rel * self.g_neg
        self.noisy = bool(cfg.read_noise_abs_us or cfg.read_noise_rel)
        self.variance = (self.sigma_pos**2 + self.sigma_neg**2).astype(dtype)
        self.stacked = np.hstack([self.diff, self.variance])
        # The ADC range is calibrated after programming on the worst case of binary inputs.
        worst = np.maximum(np.clip(diff, 0, None).sum(0), np.clip(-diff, 0, None).sum(0))
        worst_max = float(worst.max(initial=0.0))
        self.full_scale = cfg.adc_range * (worst_max if worst_max > 0 else cfg.g_max_us - cfg.g_min_us)
        adc_rounds = -(-self.diff.shape[1] // cfg.adcs_per_macro)
        #: Clock cycles of one MVM on this tile: the read, then the multiplexed conversions.
        self.cycles = cfg.read_cycles + adc_rounds * cfg.adc_cycles

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, column pairs)."""
        return self.diff.shape

    def mvm(self, x: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
        """Differential column outputs (µS·input units) for inputs ``x`` [B, rows], after read
        noise (fresh every call) and the ADC."""
        if not self.noisy:
            y = _product(x, self.diff)
        elif self.cfg.read_noise_model == "column":
            if np.all((x == 0) | (x == 1)):  # spikes: x² = x, one pass over the driven rows
                both = _product(x, self.stacked)
                y, variance = both[:, : self.diff.shape[1]], both[:, self.diff.shape[1] :]
            else:
                y, variance = _product(x, self.diff), _product(x * x, self.variance)
            # float32 normals: half the cost of float64, far finer than any σ configured
            y = y + np.sqrt(variance) * rng.standard_normal(y.shape, dtype=np.float32)
        else:
            y = self.cell_level_read(x, rng)
        return adc(y, self.full_scale, self.cfg.adc_bits)

    def cell_level_read(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Noisy MVM with an independent N(0, σ²) on every cell of both columns (reference for
        the column-level model: same distribution, far more random numbers)."""
        y = np.empty((x.shape[0], self.diff.shape[1]))
        for b in range(x.shape[0]):
            noise_pos = self.sigma_pos * rng.standard_normal(self.sigma_pos.shape)
            noise_neg = self.sigma_neg * rng.standard_normal(self.sigma_neg.shape)
            y[b] = x[b] @ (self.diff + noise_pos - noise_neg)
        return y
