"""The CuPy simulator's delivery choices, forced one at a time so each path meets the tests."""

from __future__ import annotations

import pytest

from spikesim.backends.cupy import simulator

#: delivery -> (CSR_MAX_SYNAPSE_STEPS, CSR_WARP_MAX_TARGETS)
DELIVERIES = {
    "split-gemm": (0, simulator.CSR_WARP_MAX_TARGETS),  # latency-split edges on their GEMM
    "csr-thread": (2**62, 0),  # every CSR row summed by one thread
    "csr-warp": (2**62, 2**62),  # every CSR row summed by a warp
}


@pytest.fixture(params=list(DELIVERIES))
def delivery(request, monkeypatch) -> str:
    csr_max, warp_max = DELIVERIES[request.param]
    monkeypatch.setattr(simulator, "CSR_MAX_SYNAPSE_STEPS", csr_max)
    monkeypatch.setattr(simulator, "CSR_WARP_MAX_TARGETS", warp_max)
    return request.param
