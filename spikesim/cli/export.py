"""``spikesim export MODEL.h5 --format FMT -o OUT``: write a graph for hardware or other tools."""

from __future__ import annotations

import importlib

#: Export format -> "module:function" taking (graph, output path, options dict).
EXPORTERS = {
    "netx": "spikesim.hardware.netx:export_graph",
    "rram": "spikesim.hardware.rram.export:export_graph",
}


def register(subparsers) -> None:
    """Add the ``export`` subcommand."""
    p = subparsers.add_parser("export", help="export a model (.h5) to a hardware format")
    p.add_argument("model", help="spikesim graph file (.h5)")
    p.add_argument("--format", required=True, choices=sorted(EXPORTERS))
    p.add_argument("-o", "--output", required=True, help="output file")
    p.add_argument(
        "--option", action="append", default=[], metavar="KEY=VALUE",
        help="format-specific option (repeatable), e.g. --option adc_bits=8",
    )
    p.set_defaults(func=_run)


def _run(args) -> int:
    from spikesim.cli.options import parse_options
    from spikesim.io.hdf5 import load

    options = parse_options(args.option)
    module_name, function_name = EXPORTERS[args.format].split(":")
    exporter = getattr(importlib.import_module(module_name), function_name)
    summary = exporter(load(args.model), args.output, options)
    print(summary or f"wrote {args.output}")
    return 0
