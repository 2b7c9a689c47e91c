"""Importing spikesim.datasets must not pull in torch, tonic, numba, matplotlib or sklearn."""

from __future__ import annotations

import subprocess
import sys


def test_import_is_light():
    code = (
        "import sys, spikesim.datasets, spikesim.cli.data; "
        "print(sorted(m for m in ('torch', 'tonic', 'numba', 'matplotlib', 'sklearn') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
