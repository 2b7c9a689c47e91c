"""Energy and latency accounting of crossbar reads, per layer and per delay slice.

What is counted (per sample, per step; sources and nodes in ``docs/rram.md``):

* array read: V_read²·t_read·Σ_i x_i²·Σ_j (G+_ij + G-_ij) over the driven rows, in pJ;
* drivers: ``driver_pj`` per nonzero input pulse;
* ADC: one conversion per column pair of every tile that received a pulse;
* digital accumulation: one ``accumulate_pj`` add per partial sum (column pair, active tile);
* delay FIFO: ``fifo_pj_per_bit`` per bit written (once per step) and read (per delayed slice);
* cycles: tiles of a layer run in parallel on their own macros, so a layer takes the slowest
  active tile's cycles plus ceil(log2(partial sums)) adder-tree cycles.

Idle tiles (no pulse for that sample) are neither read nor converted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

from spikesim.hardware.rram.config import MacroConfig
from spikesim.hardware.rram.crossbar import TileCircuit


@dataclass
class LayerEnergy:
    """Totals for one layer (or one slice) over a run: energies in pJ, counts, clock cycles."""

    array_pj: float = 0.0
    adc_pj: float = 0.0
    driver_pj: float = 0.0
    accumulate_pj: float = 0.0
    fifo_pj: float = 0.0
    pulses: int = 0
    conversions: int = 0
    tile_reads: int = 0
    cycles: int = 0

    @property
    def peripheral_pj(self) -> float:
        """Everything outside the array: ADC, drivers, accumulation and FIFO, pJ."""
        return self.adc_pj + self.driver_pj + self.accumulate_pj + self.fifo_pj

    @property
    def total_pj(self) -> float:
        """Array plus peripheral energy, pJ."""
        return self.array_pj + self.peripheral_pj

    def add(self, other: LayerEnergy) -> None:
        """Accumulate ``other`` into this one."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


class LayerCounter:
    """Counts one projection's reads during a run."""

    def __init__(self, cfg: MacroConfig, delays: list[int], batch: int) -> None:
        self.cfg = cfg
        self.cycles = 0
        self.slices = {d: LayerEnergy() for d in delays}
        self.read_pj_per_us = cfg.v_read**2 * cfg.t_read_ns * 1e-3  # V²·µS·ns = fJ -> pJ
        self.adc_pj = cfg.adc_energy_pj()
        self._begin(batch)

    def _begin(self, batch: int) -> None:
        self.slowest = np.zeros(batch, np.int64)
        self.partials = np.zeros(batch, np.int64)

    def tile_read(self, delay: int, tile: TileCircuit, x: np.ndarray) -> np.ndarray:
        """Count a read of ``tile`` with inputs ``x`` [B, rows]; returns the active samples."""
        nonzero = x != 0
        active = nonzero.any(axis=1)
        n_active = int(active.sum())
        if n_active == 0:
            return active
        cols = tile.shape[1]
        e = self.slices[delay]
        pulses = int(nonzero.sum())
        e.pulses += pulses
        e.driver_pj += pulses * self.cfg.driver_pj
        e.array_pj += float(((x * x) @ tile.row_conductance).sum()) * self.read_pj_per_us
        e.conversions += n_active * cols
        e.adc_pj += n_active * cols * self.adc_pj
        e.accumulate_pj += n_active * cols * self.cfg.accumulate_pj
        e.tile_reads += n_active
        self.slowest = np.maximum(self.slowest, np.where(active, tile.cycles, 0))
        self.partials += active
        return active

    def fifo(self, delay: int, bits: int) -> None:
        """Count ``bits`` moved through the delay FIFO for slice ``delay``."""
        self.slices[delay].fifo_pj += bits * self.cfg.fifo_pj_per_bit

    def end_step(self) -> None:
        """Close one step: add the layer's cycles for every sample."""
        adder = np.ceil(np.log2(np.maximum(self.partials, 1))).astype(np.int64)
        cycles = int((self.slowest + np.where(self.partials > 0, adder, 0)).sum())
        self.cycles += cycles
        self.slowest[:] = 0
        self.partials[:] = 0

    def layer(self) -> LayerEnergy:
        """Totals over slices (cycles are counted per layer)."""
        out = LayerEnergy(cycles=self.cycles)
        for e in self.slices.values():
            out.add(LayerEnergy(**{**asdict(e), "cycles": 0}))
        return out


@dataclass
class EnergyReport:
    """Energy (pJ) and latency of one run: per layer, per delay slice, and in total."""

    layers: dict[str, LayerEnergy]
    slices: dict[str, dict[int, LayerEnergy]]
    steps: int
    batch: int
    clock_mhz: float

    @property
    def total(self) -> LayerEnergy:
        """Sum over layers."""
        out = LayerEnergy()
        for e in self.layers.values():
            out.add(e)
        return out

    @property
    def energy_per_sample_pj(self) -> float:
        """Total energy of one sample's whole run, pJ."""
        return self.total.total_pj / max(self.batch, 1)

    @property
    def latency_ns_per_step(self) -> float:
        """Mean time of one step of one sample with layers run one after another, ns."""
        return self.total.cycles / max(self.steps * self.batch, 1) * 1e3 / self.clock_mhz

    def as_dict(self) -> dict:
        """JSON-friendly form."""
        def row(e: LayerEnergy) -> dict:
            return {**asdict(e), "peripheral_pj": e.peripheral_pj, "total_pj": e.total_pj}

        return {
            "steps": self.steps, "batch": self.batch, "clock_mhz": self.clock_mhz,
            "latency_ns_per_step": self.latency_ns_per_step,
            "energy_per_sample_pj": self.energy_per_sample_pj,
            "total": row(self.total),
            "layers": {name: row(e) for name, e in self.layers.items()},
            "slices": {name: {str(d): row(e) for d, e in s.items()} for name, s in self.slices.items()},
        }

    def summary(self) -> str:
        """A readable table, one line per layer."""
        lines = [f"{'layer':<24}{'array pJ':>12}{'ADC pJ':>12}{'periph pJ':>12}{'cycles':>12}"]
        for name, e in [*self.layers.items(), ("total", self.total)]:
            lines.append(f"{name:<24}{e.array_pj:>12.4g}{e.adc_pj:>12.4g}{e.peripheral_pj:>12.4g}{e.cycles:>12d}")
        lines.append(
            f"{self.energy_per_sample_pj:.4g} pJ per sample over {self.steps} steps; "
            f"{self.latency_ns_per_step:.3g} ns per step at {self.clock_mhz:g} MHz"
        )
        return "\n".join(lines)
