"""``spikesim rram-sweep MODEL.h5``: accuracy on the RRAM macro against read noise, ADC bits
and drift time; writes a plot and a JSON table beside it."""

from __future__ import annotations


def register(subparsers) -> None:
    """Add the ``rram-sweep`` subcommand."""
    p = subparsers.add_parser("rram-sweep", help="accuracy vs RRAM read noise, ADC bits, drift")
    p.add_argument("model", help="spikesim graph file (.h5)")
    p.add_argument("-o", "--output", default="rram_sweep.png", help="plot file (.png/.pdf/.svg)")
    p.add_argument("--inputs", help=".npz with 'inputs' [T, B, N] (or one array per Input name) "
                   "and optional 'labels' [B]; default: random spikes")
    p.add_argument("--random", default="100,32,0.05", metavar="T,B,DENSITY",
                   help="random Bernoulli input spikes when --inputs is not given")
    p.add_argument("--read-noise", default="0,0.01,0.02,0.05,0.1,0.2", help="read_noise_rel values")
    p.add_argument("--adc-bits", default="2,3,4,5,6,8,none", help="ADC bits ('none': ideal)")
    p.add_argument("--drift-times", default="1,1e2,1e4,1e6,1e8", help="drift_time_s values, s")
    p.add_argument("--base", choices=("ideal", "default"), default="ideal",
                   help="macro for the fields not swept: every non-ideality off, or the default macro")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="MacroConfig field for the base macro (repeatable)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=1, help="seeds averaged per point")
    p.set_defaults(func=_run)


def _values(text: str, cast) -> list:
    return [None if v.strip().lower() == "none" else cast(v) for v in text.split(",") if v.strip()]


def _run(args) -> int:
    import json
    from pathlib import Path

    import numpy as np

    from spikesim.cli.options import parse_options
    from spikesim.errors import ConfigError
    from spikesim.hardware.rram import sweep
    from spikesim.hardware.rram.config import MacroConfig
    from spikesim.io.atomic import atomic_open
    from spikesim.io.hdf5 import load

    graph = load(args.model)
    labels = None
    if args.inputs:
        data = np.load(args.inputs)
        names = graph.inputs()
        inputs = data["inputs"] if "inputs" in data else {n: data[n] for n in names}
        labels = data["labels"] if "labels" in data else None
    else:
        try:
            steps, batch, density = args.random.split(",")
            steps, batch, density = int(steps), int(batch), float(density)
        except ValueError:
            raise ConfigError(f"--random {args.random!r}: expected T,B,DENSITY") from None
        rng = np.random.default_rng(args.seed)
        inputs = {n: (rng.random((steps, batch, graph.size(n))) < density).astype(np.float64)
                  for n in graph.inputs()}
    options = parse_options(args.option)
    base = MacroConfig.from_options(options, MacroConfig.ideal() if args.base == "ideal" else MacroConfig())
    axes = {
        "read_noise_rel": _values(args.read_noise, float),
        "adc_bits": _values(args.adc_bits, int),
        "drift_time_s": _values(args.drift_times, float),
    }
    points = sweep.sweep(graph, inputs, labels, base, axes, args.seed, args.repeats)
    plot = sweep.plot(points, args.output, title=Path(args.model).name)
    table = Path(args.output).with_suffix(".json")
    with atomic_open(table) as handle:
        json.dump({"model": str(args.model), "labels": "given" if labels is not None else "reference",
                   "points": sweep.as_rows(points)}, handle, indent=1)
    for p in points:
        print(f"{p.axis:>15} = {'ideal' if p.value is None else f'{p.value:g}':>8}: "
              f"accuracy {p.accuracy:.3f}, {p.energy_pj_per_sample:.4g} pJ/sample")
    print(f"wrote {plot} and {table}")
    return 0
