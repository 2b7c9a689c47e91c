"""The ``rram`` backend: ``spikesim.compile(graph, backend="rram", **options)``.

Options: ``config`` (a :class:`MacroConfig`, a dict of fields, or "ideal"), any MacroConfig
field as a keyword (e.g. ``adc_bits=4``), ``seed`` (int, default 0), ``random_edges`` (names
"src->dst" whose weights come from single-pulse stochastic switching) and ``conductances``
(a maps file from ``spikesim export --format rram``, possibly with measured conductances).
"""

from __future__ import annotations

from dataclasses import fields

from spikesim.capabilities import Capabilities
from spikesim.errors import ConfigError
from spikesim.ir import Graph

_OPTIONS = ("config", "seed", "random_edges", "conductances")


def capabilities() -> Capabilities:
    """Everything the reference runs: neurons are digital, projections any shape and latency."""
    return Capabilities()


def availability() -> tuple[bool, str]:
    """Always usable: it needs only numpy."""
    return True, "numpy"


def resolve_config(config=None, **overrides):
    """A MacroConfig from ``config`` (None: the default macro, "ideal", a dict or a
    MacroConfig) with field ``overrides`` applied."""
    from spikesim.hardware.rram.config import MacroConfig

    if config is None:
        base = MacroConfig()
    elif isinstance(config, MacroConfig):
        base = config
    elif config == "ideal":
        base = MacroConfig.ideal()
    elif isinstance(config, dict):
        base = MacroConfig.from_options(config)
    else:
        raise ConfigError(f"rram option config: expected a MacroConfig, a dict or 'ideal', found {config!r}")
    return MacroConfig.from_options(overrides, base) if overrides else base


def compile(graph: Graph, batch_size=None, dtype="float64", record=None, **options):  # noqa: A001
    """Map, program and wrap ``graph`` in an :class:`RramSimulator`."""
    from spikesim.hardware.rram.config import MacroConfig
    from spikesim.hardware.rram.mapping import map_graph
    from spikesim.hardware.rram.simulator import RramSimulator

    known = set(_OPTIONS) | {f.name for f in fields(MacroConfig)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ConfigError(f"rram backend: unknown options {unknown}; known: {sorted(known)}")
    overrides = {k: v for k, v in options.items() if k not in _OPTIONS}
    seed = int(options.get("seed", 0))
    random_edges = tuple(options.get("random_edges", ()))
    if options.get("conductances") is not None:
        from spikesim.hardware.rram.export import load_maps

        loaded = load_maps(options["conductances"], graph)
        base = options.get("config", loaded.config)
        cfg = resolve_config(base, **overrides)
        return RramSimulator(graph, loaded.edge_maps, cfg, seed, batch_size, dtype, record,
                             measured=loaded.measured)
    cfg = resolve_config(options.get("config"), **overrides)
    maps = map_graph(graph, cfg, random_edges, seed)
    return RramSimulator(graph, maps, cfg, seed, batch_size, dtype, record)
