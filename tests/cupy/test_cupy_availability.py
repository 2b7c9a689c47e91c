"""Importing spikesim never loads cupy, and an unusable CuPy backend says why (spikesim info)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from spikesim.backends import cupy as backend


def test_import_spikesim_and_the_backend_package_does_not_import_cupy():
    code = (
        "import sys, spikesim, spikesim.backends.cupy, spikesim.backends.cupy.plan, "
        "spikesim.backends.cupy.kernels; "
        "assert 'cupy' not in sys.modules and 'torch' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_capabilities_offer_float16_but_not_fixed_point():
    caps = backend.capabilities()
    assert set(caps.precisions) == {"float32", "float64", "float16"}
    assert "fixed" not in caps.precisions


def test_unusable_backend_reports_its_reason(capsys):
    usable, reason = backend.availability()
    if usable:
        pytest.skip("a CUDA GPU is usable here")
    assert reason and ("cupy" in reason)
    from spikesim.cli import main

    main(["info"])
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.strip().startswith("cupy"))
    assert "unusable" in line and reason in line
