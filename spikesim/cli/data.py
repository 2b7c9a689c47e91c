"""``spikesim data``: write bundled datasets (``synth``) and describe dataset files (``info``)."""

from __future__ import annotations

import argparse
import json


def _synth(args: argparse.Namespace) -> int:
    from spikesim.datasets import bundled

    out = bundled.generate(args.name, args.out)
    print(f"wrote {args.name} to {out}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from spikesim.datasets import nmnist, ntidigits, shd

    # Existing files are found first, so a user who has them never triggers a download.
    if args.name in ("shd", "ssc"):
        path = shd.resolve_split_file(args.out, args.name, args.split, download=True)
    elif args.name == "nmnist":
        path = nmnist.resolve_split_dir(args.out, args.split, download=True)
    else:
        path = ntidigits.load_ntidigits(args.out, args.split, download=True).path
    print(f"{args.name} {args.split}: {path}")
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
    """Add ``data synth NAME --out DIR``, ``data fetch NAME --out DIR`` and ``data info PATH``."""
    from spikesim.datasets.bundled import NAMES

    parser = subparsers.add_parser("data", help="bundled datasets and dataset file summaries")
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    synth = sub.add_parser("synth", help="write a bundled dataset in its real on-disk layout")
    synth.add_argument("name", choices=NAMES)
    synth.add_argument("--out", required=True, help="output folder")
    synth.set_defaults(func=_synth)
    fetch = sub.add_parser("fetch", help="download a real dataset split (needs internet)")
    fetch.add_argument("name", choices=("shd", "ssc", "nmnist", "ntidigits"))
    fetch.add_argument("--split", default="train", help="train, test (SSC: also valid)")
    fetch.add_argument("--out", required=True, help="folder to download into")
    fetch.set_defaults(func=_fetch)
    info = sub.add_parser("info", help="describe an SHD/SSC, N-MNIST or N-TIDIGITS file or folder")
    info.add_argument("path")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=_info)
