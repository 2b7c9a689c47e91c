"""Backends (how a graph runs). Each is a module with ``capabilities()``, ``availability()``
and ``compile(graph, **options)``; it is imported only when asked for, so heavy dependencies
(numba, cupy, lava) never load with ``import spikesim``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from spikesim.errors import BackendUnavailableError

#: Backend name -> module implementing it.
BACKENDS: dict[str, str] = {
    "reference": "spikesim.backends.reference",
    "cupy": "spikesim.backends.cupy",
    "rram": "spikesim.hardware.rram.backend",
    "numba": "spikesim.backends.numba",
    "lava": "spikesim.backends.lava",
}


def load(name: str) -> ModuleType:
    """Import backend ``name``; raise BackendUnavailableError with the reason if it cannot run."""
    if name not in BACKENDS:
        raise BackendUnavailableError(f"unknown backend {name!r}; choose from {sorted(BACKENDS)}")
    try:
        module = importlib.import_module(BACKENDS[name])
    except ImportError as err:
        raise BackendUnavailableError(f"backend {name!r} cannot be imported: {err}") from err
    usable, reason = module.availability()
    if not usable:
        raise BackendUnavailableError(f"backend {name!r} is not usable here: {reason}")
    return module


def status() -> dict[str, dict]:
    """For every backend: whether it is usable here, why not, and its capabilities."""
    report = {}
    for name, module_name in BACKENDS.items():
        try:
            module = importlib.import_module(module_name)
            usable, reason = module.availability()
            caps = module.capabilities().as_dict()
        except ImportError as err:
            usable, reason, caps = False, f"cannot import {module_name}: {err}", None
        report[name] = {"usable": usable, "reason": reason, "capabilities": caps}
    return report
