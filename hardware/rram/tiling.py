"""A projection on several macros: programmed tiles per delay slice, digital partial sums.

``EdgeCircuit.deliver`` pulls each slice's input from the source's history (the digital input
FIFO), reads every tile that receives a pulse, and adds the ADC outputs of the tiles that share
output columns: the digital accumulation of partial sums.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikesim.hardware.rram.config import MacroConfig
from spikesim.hardware.rram.crossbar import TileCircuit
from spikesim.hardware.rram.energy import LayerCounter
from spikesim.hardware.rram.mapping import EdgeMap, SliceMap, Tile
from spikesim.hardware.rram.programming import apply_drift, apply_stuck, write_verify


@dataclass
class ProgrammingStats:
    """What programming one projection cost and achieved (write-verify tiles only)."""

    cells: int = 0
    pulses: int = 0
    failed: int = 0
    residual_sq_us2: float = 0.0
    stuck: int = 0

    @property
    def residual_sigma_us(self) -> float:
        """RMS of programmed minus target conductance after verify, µS."""
        return float(np.sqrt(self.residual_sq_us2 / self.cells)) if self.cells else 0.0

    @property
    def mean_pulses(self) -> float:
        """Mean write pulses per cell."""
        return self.pulses / self.cells if self.cells else 0.0


def program_tile(tile: Tile, cfg: MacroConfig, rng: np.random.Generator,
                 stats: ProgrammingStats) -> tuple[np.ndarray, np.ndarray]:
    """Conductances (G+, G-) in µS that the macro holds at read time for ``tile``:
    write-verify (or the single-pulse values already drawn), then stuck-at faults, then drift."""
    both = np.stack([tile.g_pos, tile.g_neg])
    if tile.mode == "write_verify":
        done = write_verify(both, cfg, rng)
        stats.cells += both.size
        stats.pulses += int(done.pulses.sum())
        stats.failed += int((~done.verified).sum())
        stats.residual_sq_us2 += float(((done.g - both) ** 2).sum())
        both = done.g
    both, fault = apply_stuck(both, cfg, rng)
    stats.stuck += int(np.count_nonzero(fault))
    both = apply_drift(both, cfg, rng)
    return both[0], both[1]


class EdgeCircuit:
    """The runtime form of one projection on the simulated macros."""

    def __init__(self, edge, edge_map: EdgeMap, cfg: MacroConfig, rng: np.random.Generator | None,
                 dtype, measured: bool = False, spiking_source: bool = False) -> None:
        self.src, self.dst, self.name = edge.src, edge.dst, edge_map.name
        #: A spiking source sends 0/1 only: one bit per FIFO entry, no need to look.
        self.spiking_source = spiking_source
        self.bias = None if edge.bias is None else edge.bias.astype(dtype)
        self.inv_scale = 1.0 / edge_map.scale_us
        self.stats = ProgrammingStats()
        self.slices: list[tuple[int, list[tuple[Tile, TileCircuit]]]] = []
        #: The conductances the simulated chip holds (what a read-back of the chip returns).
        self.held = EdgeMap(edge_map.src, edge_map.dst, edge_map.shape, edge_map.scale_us, [], edge_map.mode)
        for sl in edge_map.slices:
            circuits, held = [], SliceMap(sl.delay)
            for tile in sl.tiles:
                # Measured conductances are already what the chip holds: no programming model.
                g_pos, g_neg = (tile.g_pos, tile.g_neg) if measured else program_tile(tile, cfg, rng, self.stats)
                circuits.append((tile, TileCircuit(g_pos, g_neg, cfg, dtype)))
                held.tiles.append(Tile(tile.row0, tile.col0, g_pos, g_neg, tile.macro, tile.mode))
            self.slices.append((sl.delay, circuits))
            self.held.slices.append(held)
        self.max_latency = max((d for d, _ in self.slices), default=0)
        self.delays = [d for d, _ in self.slices]

    def deliver(self, history: np.ndarray, t: int, x: np.ndarray, rng: np.random.Generator,
                counter: LayerCounter, graded_bits: int) -> None:
        """Add this projection's input at step ``t`` into ``x`` [B, out] (weight units)."""
        ring = history.shape[0]
        fifo_written = False
        for delay, circuits in self.slices:
            src = history[(t - delay) % ring]
            if delay > 0:
                bits = src.size * (1 if self.spiking_source or _binary(src) else graded_bits)
                if not fifo_written:  # the source's value enters the FIFO once per step
                    counter.fifo(delay, bits)
                    fifo_written = True
                counter.fifo(delay, bits)
            for tile, circuit in circuits:
                x_tile = src[:, tile.row0 : tile.row0 + tile.rows]
                active = counter.tile_read(delay, circuit, x_tile)
                if not active.any():
                    continue
                y = circuit.mvm(x_tile, rng)
                x[:, tile.col0 : tile.col0 + tile.cols] += (y * self.inv_scale).astype(x.dtype, copy=False)
        if self.bias is not None:
            x += self.bias


def _binary(values: np.ndarray) -> bool:
    return bool(np.all((values == 0) | (values == 1)))
