"""``spikesim info``: versions, and every backend with whether it runs here and why not."""

from __future__ import annotations

import json
import platform

#: Capability columns of the README's backend matrix, with how each value is shown.
MATRIX_COLUMNS = {
    "node_types": lambda v: ", ".join(n for n in v if n not in ("Input", "Output")),
    "projection_types": ", ".join,
    "reset_modes": ", ".join,
    "refractory": lambda v: "yes" if v else "no",
    "graded_input": lambda v: "yes" if v else "no",
    "min_latency": str,
    "max_latency": lambda v: "unbounded" if v is None else str(v),
    "precisions": ", ".join,
}


def register(subparsers) -> None:
    """Add the ``info`` subcommand."""
    p = subparsers.add_parser("info", help="show versions and which backends work on this machine")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="print the backend matrix as JSON")
    group.add_argument("--matrix", action="store_true", help="print the capability matrix as markdown")
    p.set_defaults(func=_run)


def capability_matrix(status: dict) -> str:
    """Markdown table of every backend's capabilities (machine-independent)."""
    header = "| backend | " + " | ".join(c.replace("_", " ") for c in MATRIX_COLUMNS) + " |"
    lines = [header, "|" + "---|" * (len(MATRIX_COLUMNS) + 1)]
    for name, entry in status.items():
        caps = entry["capabilities"]
        cells = [fmt(caps[c]) for c, fmt in MATRIX_COLUMNS.items()] if caps else ["?"] * len(MATRIX_COLUMNS)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _run(args) -> int:
    import h5py
    import numpy

    from spikesim import backends
    from spikesim._version import SEMANTICS_VERSION, __version__

    status = backends.status()
    if args.json:
        print(json.dumps({"spikesim": __version__, "semantics": SEMANTICS_VERSION, "backends": status}, indent=2))
        return 0
    if args.matrix:
        print(capability_matrix(status))
        return 0
    print(f"spikesim {__version__} (semantics v{SEMANTICS_VERSION})")
    print(f"python {platform.python_version()}, numpy {numpy.__version__}, h5py {h5py.__version__}")
    print("backends:")
    width = max(map(len, status))
    for name, entry in status.items():
        mark = "usable" if entry["usable"] else "unusable"
        print(f"  {name:<{width}}  {mark:<8}  {entry['reason']}")
    return 0
