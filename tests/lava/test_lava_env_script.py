"""scripts/make_lava_env.sh: refuses a wrong interpreter clearly, and a rerun is a fast no-op."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_lava_env.sh"


def _run(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env={**os.environ, **env}, timeout=600)


def test_wrong_interpreter_is_refused(tmp_path):
    done = _run({"SPIKESIM_LAVA_VENV": str(tmp_path / "venv"), "SPIKESIM_LAVA_PYTHON": sys.executable})
    assert done.returncode == 1
    assert "is not a Python 3.10 interpreter" in done.stderr
    assert not (tmp_path / "venv").exists()


@pytest.mark.lava
def test_rerun_is_a_fast_no_op(lava_env):
    assert _run({}).returncode == 0  # brings the stamp up to date if needed
    start = time.monotonic()
    done = _run({})
    assert done.returncode == 0 and done.stdout == ""
    assert time.monotonic() - start < 5
