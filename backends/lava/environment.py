"""Finding and probing the Python 3.10 environment that holds lava-nc (``.venv-lava``)."""

from __future__ import annotations

import os
import subprocess
from functools import cache
from pathlib import Path

#: Environment variable naming the Lava virtual environment (default: ``<repo>/.venv-lava``).
VENV_VARIABLE = "SPIKESIM_LAVA_VENV"
LAVA_VERSION = "0.10.0"
PROBE_TIMEOUT_S = 120.0

_HERE = Path(__file__).resolve().parent
_PROBE = (
    "import sys, importlib.metadata as m, spikesim.backends.lava.runner as r; "
    "print(m.version('lava-nc')); print(r.__file__); print(sys.version.split()[0])"
)


def venv_path() -> Path:
    """The Lava environment: ``$SPIKESIM_LAVA_VENV`` or ``.venv-lava`` at the repository root."""
    configured = os.environ.get(VENV_VARIABLE)
    return Path(configured) if configured else _HERE.parents[1] / ".venv-lava"


def python_path() -> Path:
    """The environment's interpreter."""
    return venv_path() / "bin" / "python"


def probe() -> tuple[bool, str]:
    """(usable, reason) for the current environment; the probe runs once per path and process."""
    return _probe(str(python_path()))


@cache
def _probe(python: str) -> tuple[bool, str]:
    if not Path(python).exists():
        return False, (
            f"no Lava environment: {python} does not exist (run `make lava-env`, or set "
            f"{VENV_VARIABLE} to a Python 3.10 venv with lava-nc=={LAVA_VERSION})"
        )
    try:
        done = subprocess.run(
            [python, "-c", _PROBE], capture_output=True, text=True, timeout=PROBE_TIMEOUT_S,
            start_new_session=True,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return False, f"Lava environment {python} does not start: {err}"
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["(no stderr)"]
        return False, f"Lava environment {python} is broken: {tail[0]}"
    version, runner, py_version = done.stdout.split()[-3:]
    if version != LAVA_VERSION:
        return False, f"{python} has lava-nc {version}; spikesim needs {LAVA_VERSION}"
    if Path(runner).resolve().parent != _HERE:
        return False, f"{python} imports spikesim from {runner}, not this checkout ({_HERE}); rerun `make lava-env`"
    return True, f"lava-nc {version} in {Path(python).parents[1]} (Python {py_version}), run out of process"
