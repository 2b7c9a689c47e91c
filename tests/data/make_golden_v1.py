"""Write ``golden_v1.h5``, the committed version-1 graph file (kept for the record).

Run once, when format version 1 was current: ``python tests/data/make_golden_v1.py``.
Never regenerate it with a later spikesim: its point is that files written by version 1 keep
loading and simulating the same way (``tests/core/test_core_hdf5.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import spikesim as ss


def golden_graph() -> ss.Graph:
    """Input(4) -> LIF(5, recurrent, subtract, refractory) -> IF(3) and LI(2) readout."""
    g = ss.Graph(dt=1e-3, discretisation="exact", metadata={
        "seed": 2026, "config": {"purpose": "golden v1 test file"},
    })
    g.add("in", ss.Input(4, shape=(2, 2)))
    g.add("hidden", ss.LIF.from_tau(
        5, tau_mem=0.02, tau_syn=0.005, dt=1e-3, method="exact", v_leak=0.0, bias=0.5,
        v_th=1.0, reset="subtract", refractory=1,
    ))
    g.add("counter", ss.IF.from_r(3, r=0.5, v_th=1.5))
    g.add("readout", ss.LI.from_tau(2, tau_mem=0.01, tau_syn=0.0, dt=1e-3, method="exact"))
    g.add("out", ss.Output("readout"))
    w_in = np.array([
        [4.0, 0.0, 2.0, -1.0],
        [0.0, 5.0, 0.0, 3.0],
        [3.0, 3.0, -2.0, 0.0],
        [-1.0, 2.0, 4.0, 2.0],
        [2.5, 0.0, 0.0, 5.0],
    ])
    delay_in = np.array([[0, 1, 2, 3], [1, 0, 1, 0], [5, 0, 2, 1], [0, 0, 3, 3], [2, 4, 0, 1]])
    g.connect("in", "hidden", w_in, delay=delay_in, bias=[0.0, 0.1, 0.0, -0.1, 0.2])
    g.add_edge(ss.Sparse(
        "hidden", "hidden", (5, 5), post=[0, 1, 2, 3, 4], pre=[4, 0, 1, 2, 3],
        weight=[0.75, -0.5, 0.5, 1.0, -0.25], delay=[1, 2, 1, 3, 1],
    ))
    w_count = np.array([[1.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0, 0.0], [0.5, 0.0, 0.0, 0.0, 1.5]])
    g.connect("hidden", "counter", w_count, delay=1)
    g.connect("counter", "readout", np.array([[1.0, -1.0, 0.5], [0.25, 0.5, 1.0]]))
    return g


if __name__ == "__main__":
    target = Path(__file__).resolve().parent / "golden_v1.h5"
    ss.save(golden_graph(), target)
    print(f"wrote {target} ({target.stat().st_size} bytes)")
