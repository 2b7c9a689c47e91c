"""From projections to crossbar tiles: delay slices, differential pairs, a global scale.

A projection (out, in) with per-synapse latencies is split into one weight slice per distinct
latency. Each slice is stored transposed on crossbars (rows = presynaptic inputs, column pairs =
postsynaptic outputs) and cut into tiles of ``rows x cols/2`` weights; all-zero tiles are not
placed. A weight w maps to the pair (G+, G-) = (G_min + w·scale, G_min) for w >= 0 and
(G_min, G_min - w·scale) otherwise, with one scale per projection (µS per unit weight) so that
max|w| spans the full window [G_min, G_max].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spikesim.errors import ConfigError
from spikesim.hardware.rram.config import MacroConfig
from spikesim.hardware.rram.programming import quantise_levels, single_pulse, single_pulse_moments
from spikesim.ir import Graph

#: How a tile's cells are written: iterative write-verify to a target, or one random SET pulse.
MODES = ("write_verify", "single_pulse")


@dataclass
class Tile:
    """One macro's share of a slice: weights [row0:row0+rows, col0:col0+cols] of W_L.T."""

    row0: int
    col0: int
    g_pos: np.ndarray
    g_neg: np.ndarray
    macro: int
    mode: str = "write_verify"

    @property
    def rows(self) -> int:
        """Used crossbar rows (inputs)."""
        return self.g_pos.shape[0]

    @property
    def cols(self) -> int:
        """Used differential column pairs (outputs)."""
        return self.g_pos.shape[1]


@dataclass
class SliceMap:
    """All tiles holding the synapses of one latency (steps)."""

    delay: int
    tiles: list[Tile] = field(default_factory=list)


@dataclass
class EdgeMap:
    """The crossbar image of one projection ``src -> dst`` of shape (out, in)."""

    src: str
    dst: str
    shape: tuple[int, int]
    scale_us: float
    slices: list[SliceMap]
    mode: str = "write_verify"

    @property
    def name(self) -> str:
        """``src->dst``."""
        return f"{self.src}->{self.dst}"

    def weights(self) -> dict[int, np.ndarray]:
        """The (out, in) weights each slice represents, (G+ - G-)/scale, by latency."""
        result = {}
        for sl in self.slices:
            w = np.zeros((self.shape[1], self.shape[0]))
            for tile in sl.tiles:
                w[tile.row0 : tile.row0 + tile.rows, tile.col0 : tile.col0 + tile.cols] = (
                    tile.g_pos - tile.g_neg
                ) / self.scale_us
            result[sl.delay] = w.T
        return result


def differential_pair(w: np.ndarray, scale_us: float, cfg: MacroConfig) -> tuple[np.ndarray, np.ndarray]:
    """Target (G+, G-) in µS for weights ``w``, on the configured levels."""
    magnitude = cfg.g_min_us + np.abs(w) * scale_us
    g_pos = np.where(w > 0, magnitude, cfg.g_min_us)
    g_neg = np.where(w < 0, magnitude, cfg.g_min_us)
    return quantise_levels(g_pos, cfg), quantise_levels(g_neg, cfg)


def map_edge(edge, cfg: MacroConfig, first_macro: int, random_rng: np.random.Generator | None = None) -> EdgeMap:
    """Slice, scale and tile one projection; macros are numbered from ``first_macro``.

    With ``random_rng`` the nonzero synapses are not programmed to their IR values: each cell
    of the pair gets one unverified SET pulse (random conductance), and the scale is chosen so
    the random weights have the RMS of the IR weights (the hardware reservoir of the paper).
    """
    weight, delay = edge.dense()
    nonzero = weight != 0
    w_abs_max = float(np.abs(weight).max(initial=0.0))
    mode = "write_verify" if random_rng is None else "single_pulse"
    if w_abs_max == 0.0:
        return EdgeMap(edge.src, edge.dst, tuple(edge.shape), 1.0, [], mode)
    if random_rng is None:
        scale = (cfg.g_max_us - cfg.g_min_us) / w_abs_max
    else:
        _, sigma_g = single_pulse_moments(cfg)
        scale = np.sqrt(2.0) * sigma_g / float(np.sqrt(np.mean(weight[nonzero] ** 2)))
    pairs = cfg.pairs
    slices, macro = [], first_macro
    for latency in np.unique(delay[nonzero]):
        w_t = np.where(nonzero & (delay == latency), weight, 0.0).T  # (in, out): rows = inputs
        sl = SliceMap(int(latency))
        for r0 in range(0, w_t.shape[0], cfg.rows):
            for c0 in range(0, w_t.shape[1], pairs):
                block = w_t[r0 : r0 + cfg.rows, c0 : c0 + pairs]
                if not block.any():
                    continue
                if random_rng is None:
                    g_pos, g_neg = differential_pair(block, scale, cfg)
                else:
                    present = block != 0
                    g_pos = np.where(present, single_pulse(block.shape, cfg, random_rng), cfg.g_min_us)
                    g_neg = np.where(present, single_pulse(block.shape, cfg, random_rng), cfg.g_min_us)
                sl.tiles.append(Tile(r0, c0, g_pos, g_neg, macro, mode))
                macro += 1
        slices.append(sl)
    return EdgeMap(edge.src, edge.dst, tuple(edge.shape), float(scale), slices, mode)


def map_graph(graph: Graph, cfg: MacroConfig, random_edges=(), seed: int = 0) -> list[EdgeMap]:
    """Map every projection of ``graph``; ``random_edges`` names ("src->dst") those whose
    weights come from stochastic switching (see :func:`map_edge`)."""
    names = [f"{e.src}->{e.dst}" for e in graph.edges]
    unknown = sorted(set(random_edges) - set(names))
    if unknown:
        raise ConfigError(f"rram random_edges: unknown projection(s) {unknown}; the graph has {names}")
    maps, macro = [], 0
    for index, edge in enumerate(graph.edges):
        rng = None
        if names[index] in random_edges:
            rng = np.random.default_rng(np.random.SeedSequence([seed, 1, index]))
        m = map_edge(edge, cfg, macro, rng)
        macro += sum(len(s.tiles) for s in m.slices)
        maps.append(m)
    return maps
