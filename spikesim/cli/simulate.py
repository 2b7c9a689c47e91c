"""``spikesim simulate MODEL.h5 --input X.npy``: run a saved graph and write its spikes."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def register(subparsers) -> None:
    """Add the ``simulate`` subcommand."""
    p = subparsers.add_parser("simulate", help="simulate a saved graph on an input array")
    p.add_argument("model", help="spikesim graph file (.h5)")
    p.add_argument(
        "--input", required=True,
        help=".npy array [T, B, N] or [T, N] for a single-input graph, or .npz keyed by Input name",
    )
    p.add_argument("--backend", default="reference")
    p.add_argument("--dtype", default="float64")
    p.add_argument("-o", "--output", help="output .npz (default: MODEL stem + '.spikes.npz')")
    p.set_defaults(func=_run)


def _load_inputs(path: Path):
    from spikesim.errors import FormatError

    if not path.exists():
        raise FormatError(f"{path}: no such input file")
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as err:
        raise FormatError(f"{path}: not a readable .npy/.npz array file ({err})") from err
    if isinstance(data, np.lib.npyio.NpzFile):
        with data:
            return {key: data[key] for key in data.files}
    return data


def _run(args) -> int:
    import spikesim
    from spikesim.io.atomic import atomic_path

    graph = spikesim.load(args.model)
    inputs = _load_inputs(Path(args.input))
    result = spikesim.compile(graph, backend=args.backend, dtype=args.dtype).run(inputs)
    output = Path(args.output or Path(args.model).with_suffix(".spikes.npz"))
    arrays = {f"spikes/{n}": np.asarray(s) for n, s in result.spikes.items() if n not in result.aliases}
    arrays.update(
        {f"{var}/{n}": np.asarray(a) for n, vs in result.states.items() if n not in result.aliases for var, a in vs.items()}
    )
    with atomic_path(output) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)
    print(f"{args.backend}: simulated {args.model}")
    print(result.summary())
    print(f"wrote {output}")
    return 0
