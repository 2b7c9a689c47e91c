"""``spikesim data``: write bundled datasets (``synth``) and describe dataset files (``info``)."""

from __future__ import annotations

import argparse
import json


def _synth(args: argparse.Namespace) -> int:
    from spikesim.datasets import bundled

    out = bundled.generate(args.name, args.out)
    print(f"wrote {args.name} to {out}")
    return 0


def _info(args: argparse.Namespace) -> int:
    from spikesim.datasets.info import describe

    info = describe(args.path)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"{info['path']}: format {info['format']}")
    for part in info["parts"]:
        events = part["events_per_sample"]
        span = part["time_span_us"]
        print(
            f"  {part['name']}: {part['n_samples']} samples, {part['n_classes']} classes, "
            f"sensor {tuple(part['sensor_size'])}, events/sample min {events['min']} "
            f"median {events['median']:g} max {events['max']}, "
            f"t {span['first']}..{span['last']} µs"
        )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``data synth NAME --out DIR`` and ``data info PATH [--json]``."""
    from spikesim.datasets.bundled import NAMES

    parser = subparsers.add_parser("data", help="bundled datasets and dataset file summaries")
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    synth = sub.add_parser("synth", help="write a bundled dataset in its real on-disk layout")
    synth.add_argument("name", choices=NAMES)
    synth.add_argument("--out", required=True, help="output folder")
    synth.set_defaults(func=_synth)
    info = sub.add_parser("info", help="describe an SHD/SSC, N-MNIST or N-TIDIGITS file or folder")
    info.add_argument("path")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=_info)
