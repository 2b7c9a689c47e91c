"""The ``spikesim`` command line: one module per subcommand, each with ``register(subparsers)``."""

from __future__ import annotations

import argparse
import importlib
import sys

from spikesim._version import __version__

#: Subcommand modules. Each defines ``register(subparsers)`` and sets ``func`` on its parser.
COMMAND_MODULES = [
    "spikesim.cli.info",
    "spikesim.cli.simulate",
    "spikesim.cli.data",
    "spikesim.cli.export",
    "spikesim.cli.bench",
    "spikesim.cli.run",
    "spikesim.cli.rram_sweep",
]


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="spikesim", description="Spiking neural networks: one IR, several backends."
    )
    parser.add_argument("--version", action="version", version=f"spikesim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``spikesim`` console script; returns the exit status."""
    from spikesim.errors import SpikesimError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except SpikesimError as err:
        print(f"spikesim {args.command}: error: {err}", file=sys.stderr)
        return 1
