"""Conductance maps: the artefact a lab programs onto real macros, and its import.

``spikesim export MODEL.h5 --format rram -o maps.h5 [--option key=value ...]`` writes, per
projection, its scale (µS per unit weight) and, per delay slice and tile, the target
conductances, level numbers, tile offsets and macro index, plus a programming plan (one row per
tile, in programming order). A lab may overwrite ``g_pos``/``g_neg`` with the conductances it
reads back from the chip and set the root attribute ``measured`` to 1 (or call
:func:`save_maps` with ``measured=True``); ``compile(graph, "rram", conductances=path)`` then
simulates those conductances as they are (read noise, IR drop and ADC still apply).

Layout (format version 1)::

    /                          attrs: format="spikesim-rram-maps", format_version, config (JSON),
                                      seed, measured, n_macros
    /edges/<k>                 attrs: src, dst, shape (out, in), scale_us, mode
    /edges/<k>/slices/<j>      attrs: delay (steps)
    /edges/<k>/slices/<j>/tiles/<m>
                               attrs: macro, row0, col0, delay, mode
                               datasets: g_pos, g_neg (rows x cols, µS), level_pos, level_neg
    /plan                      table: macro, edge, delay, row0, col0, rows, cols, mode, cells
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from spikesim.errors import ConfigError, FormatError
from spikesim.hardware.rram.config import MacroConfig
from spikesim.hardware.rram.mapping import MODES, EdgeMap, SliceMap, Tile, map_graph
from spikesim.hardware.rram.programming import level_index
from spikesim.io.atomic import atomic_path
from spikesim.io.h5file import open_hdf5
from spikesim.ir import Graph

FORMAT = "spikesim-rram-maps"
FORMAT_VERSION = 1
_PLAN_DTYPE = np.dtype([
    ("macro", np.int64), ("edge", np.int64), ("delay", np.int64), ("row0", np.int64),
    ("col0", np.int64), ("rows", np.int64), ("cols", np.int64), ("mode", "S16"), ("cells", np.int64),
])


@dataclass
class LoadedMaps:
    """Maps read back from a file: per-projection tiles, the macro config, and whether the
    conductances are measured (used as they are) or targets (programmed in simulation)."""

    edge_maps: list[EdgeMap]
    config: MacroConfig
    measured: bool
    seed: int


def export_graph(graph: Graph, out_path: str | os.PathLike, options: dict[str, str]) -> str:
    """CLI entry: map ``graph`` with the default macro plus ``options`` (MacroConfig fields,
    ``seed``, ``random_edges`` as "a->b,c->d") and write the maps file; returns a summary."""
    options = dict(options)
    seed = int(options.pop("seed", 0))
    random_edges = [s for s in str(options.pop("random_edges", "")).split(",") if s]
    cfg = MacroConfig.from_options(options, where="export --format rram --option")
    maps = map_graph(graph, cfg, random_edges, seed)
    path = save_maps(maps, cfg, out_path, seed=seed)
    tiles = [t for m in maps for s in m.slices for t in s.tiles]
    cells = sum(2 * t.rows * t.cols for t in tiles)
    return (
        f"wrote {path}: {len(maps)} projections, {sum(len(m.slices) for m in maps)} delay slices, "
        f"{len(tiles)} tiles on {cfg.rows}x{cfg.cols} macros, {cells} cells to program"
    )


def save_maps(edge_maps: list[EdgeMap], cfg: MacroConfig, path: str | os.PathLike,
              seed: int = 0, measured: bool = False) -> Path:
    """Write ``edge_maps`` atomically to ``path`` (layout in the module docstring)."""
    path = Path(path)
    plan = []
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs.update(format=FORMAT, format_version=FORMAT_VERSION, config=json.dumps(cfg.as_dict()),
                       seed=int(seed), measured=int(measured))
        n_macros = 0
        edges = f.create_group("edges")
        for k, m in enumerate(edge_maps):
            ge = edges.create_group(f"{k:06d}")
            ge.attrs.update(src=m.src, dst=m.dst, shape=np.asarray(m.shape, np.int64),
                            scale_us=m.scale_us, mode=m.mode)
            slices = ge.create_group("slices")
            for j, sl in enumerate(m.slices):
                gs = slices.create_group(f"{j:06d}")
                gs.attrs["delay"] = sl.delay
                tiles = gs.create_group("tiles")
                for i, t in enumerate(sl.tiles):
                    gt = tiles.create_group(f"{i:06d}")
                    gt.attrs.update(macro=t.macro, row0=t.row0, col0=t.col0, delay=sl.delay, mode=t.mode)
                    gt.create_dataset("g_pos", data=t.g_pos)
                    gt.create_dataset("g_neg", data=t.g_neg)
                    gt.create_dataset("level_pos", data=level_index(t.g_pos, cfg))
                    gt.create_dataset("level_neg", data=level_index(t.g_neg, cfg))
                    plan.append((t.macro, k, sl.delay, t.row0, t.col0, t.rows, t.cols, t.mode, 2 * t.g_pos.size))
                    n_macros = max(n_macros, t.macro + 1)
        f.attrs["n_macros"] = n_macros
        table = f.create_dataset("plan", data=np.array(sorted(plan), dtype=_PLAN_DTYPE))
        table.attrs.update(
            order="macro", verify_tolerance_us=cfg.verify_tolerance_us, max_pulses=cfg.max_pulses,
            description="write_verify: iterate SET/RESET pulses and verify reads until within "
            "verify_tolerance_us of g_pos/g_neg; single_pulse: one unverified SET pulse per cell",
        )
    return path


def load_maps(path: str | os.PathLike, graph: Graph | None = None) -> LoadedMaps:
    """Read a maps file; with ``graph``, check it has the same projections (src, dst, shape)."""
    path = Path(path)
    if not path.exists():
        raise FormatError(f"{path}: no such file")
    f = open_hdf5(path)

    def fail(field: str, expected: str) -> FormatError:
        return FormatError(f"{path}: field {field!r}: {expected}")

    with f:
        fmt = f.attrs.get("format")
        fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
        if fmt != FORMAT:
            raise fail("/@format", f"expected {FORMAT!r}, found {fmt!r}")
        if int(f.attrs.get("format_version", 0)) > FORMAT_VERSION:
            raise fail("/@format_version", f"written by a newer spikesim (> {FORMAT_VERSION})")
        try:
            cfg = MacroConfig.from_options(json.loads(f.attrs["config"]), where=f"{path} /@config")
        except (KeyError, json.JSONDecodeError, ConfigError) as err:
            raise fail("/@config", f"expected a JSON MacroConfig ({err})") from err
        if "edges" not in f:
            raise fail("/edges", "missing group")
        maps = [_read_edge(f["edges"][key], fail) for key in sorted(f["edges"])]
        measured, seed = bool(int(f.attrs.get("measured", 0))), int(f.attrs.get("seed", 0))
    if graph is not None:
        want = [(e.src, e.dst, tuple(e.shape)) for e in graph.edges]
        found = [(m.src, m.dst, m.shape) for m in maps]
        if want != found:
            raise fail("/edges", f"expected the graph's projections {want}, found {found}")
    return LoadedMaps(maps, cfg, measured, seed)


def _read_edge(ge: h5py.Group, fail) -> EdgeMap:
    try:
        shape = tuple(int(s) for s in ge.attrs["shape"])
        src, dst, scale, mode = (str(ge.attrs[k]) for k in ("src", "dst", "scale_us", "mode"))
    except KeyError as err:
        raise fail(f"{ge.name}@{err.args[0]}", "missing attribute") from None
    if mode not in MODES:
        raise fail(f"{ge.name}@mode", f"expected one of {MODES}, found {mode!r}")
    slices = []
    for sk in sorted(ge["slices"]):
        gs = ge["slices"][sk]
        sl = SliceMap(int(gs.attrs["delay"]))
        for tk in sorted(gs["tiles"]):
            gt = gs["tiles"][tk]
            g_pos, g_neg = np.asarray(gt["g_pos"], np.float64), np.asarray(gt["g_neg"], np.float64)
            if g_pos.shape != g_neg.shape or g_pos.ndim != 2:
                raise fail(f"{gt.name}/g_neg", f"expected the shape of g_pos {g_pos.shape}, found {g_neg.shape}")
            row0, col0 = int(gt.attrs["row0"]), int(gt.attrs["col0"])
            if row0 + g_pos.shape[0] > shape[1] or col0 + g_pos.shape[1] > shape[0]:
                raise fail(f"{gt.name}@row0", f"tile {g_pos.shape} at ({row0}, {col0}) exceeds (in, out) = {shape[::-1]}")
            if not np.all(np.isfinite(g_pos)) or not np.all(np.isfinite(g_neg)) or min(g_pos.min(), g_neg.min()) < 0:
                raise fail(f"{gt.name}/g_pos", "expected finite conductances >= 0 µS")
            sl.tiles.append(Tile(row0, col0, g_pos, g_neg, int(gt.attrs["macro"]), str(gt.attrs["mode"])))
        slices.append(sl)
    return EdgeMap(src, dst, shape, float(scale), slices, mode)
