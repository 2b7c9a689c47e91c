"""Bundled default data: ``shd-synth`` and ``nmnist-synth``, generated on first use and cached.

``ensure(name)`` writes the dataset in its real on-disk layout under
``<root>/<name>`` (``root`` = ``$SPIKESIM_DATA`` or ``~/.cache/spikesim/data``) and returns
that folder; the real loaders then read it like downloaded data::

    from spikesim.datasets import bundled, load_shd
    train = load_shd(bundled.ensure("shd-synth"), split="train")

Generation is deterministic. Every file is written atomically, and the manifest
``spikesim-synth.json`` (generator version and configuration) is written last, so a folder
without a matching manifest is regenerated and an interrupted run is never trusted.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

from spikesim.datasets import synth_nmnist, synth_shd
from spikesim.errors import DatasetError
from spikesim.io.atomic import atomic_open

#: Bump when a generator's output changes, so cached copies are regenerated.
GENERATOR_VERSION = 2
NAMES = ("shd-synth", "nmnist-synth")
MANIFEST = "spikesim-synth.json"


def default_root() -> Path:
    """``$SPIKESIM_DATA`` or ``~/.cache/spikesim/data``."""
    env = os.environ.get("SPIKESIM_DATA")
    return Path(env) if env else Path.home() / ".cache" / "spikesim" / "data"


def _config(name: str):
    if name == "shd-synth":
        return synth_shd.SynthShdConfig()
    if name == "nmnist-synth":
        return synth_nmnist.SynthNmnistConfig()
    raise DatasetError(f"unknown bundled dataset {name!r} (expected one of {', '.join(NAMES)})")


def generate(name: str, out: str | os.PathLike) -> Path:
    """Write bundled dataset ``name`` into ``out`` (always regenerates) and return ``out``."""
    out = Path(out)
    config = _config(name)
    if name == "shd-synth":
        synth_shd.generate(out, config)
    else:
        synth_nmnist.generate(out, config)
    manifest = {"name": name, "generator_version": GENERATOR_VERSION, "config": asdict(config)}
    with atomic_open(out / MANIFEST, "w") as handle:
        json.dump(manifest, handle, indent=1, sort_keys=True)
    return out


def ensure(name: str, root: str | os.PathLike | None = None) -> Path:
    """Return ``<root>/<name>``, generating it first unless a matching manifest is there."""
    config = _config(name)
    folder = (Path(root) if root is not None else default_root()) / name
    expected = {"name": name, "generator_version": GENERATOR_VERSION, "config": asdict(config)}
    try:
        found = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        found = None
    # JSON turns tuples into lists: compare through the same round trip.
    if found != json.loads(json.dumps(expected)):
        generate(name, folder)
    return folder
