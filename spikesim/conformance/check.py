"""Comparing a backend's run with the reference under the float or exact policy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikesim.ir import Graph
from spikesim.result import Result


@dataclass(frozen=True)
class ConformancePolicy:
    """Spikes exactly equal when every |v' - v_th| >= margin * max(1, |v_th|) in the float64
    reference; recorded voltages and currents within ``rtol`` of the reference (scaled by the
    trace's magnitude, so values near zero are compared absolutely)."""

    margin: float = 1e-4
    rtol: dict | None = None

    def margin_ok(self, graph: Graph, margin: float) -> bool:
        """Whether a case's normalised threshold margin allows an exact spike comparison."""
        return margin >= self.margin

    def tolerance(self, dtype: str) -> float:
        """Relative tolerance for state traces at precision ``dtype`` (0 means bit-exact)."""
        return (self.rtol or {"float32": 1e-5, "float64": 1e-12}).get(dtype, 0.0)


FLOAT_POLICY = ConformancePolicy()


def threshold_margin(graph: Graph, inputs: dict[str, np.ndarray]) -> float:
    """min |v' - v_th| / max(1, |v_th|) over every non-refractory step of every spiking
    population, in a float64 reference run (``inf`` when nothing spiking exists)."""
    from spikesim.backends.reference.simulator import ReferenceSimulator

    sim = ReferenceSimulator(graph, dtype="float64")
    steps, batch = next(iter(inputs.values())).shape[:2]
    sim._reset_stream(batch)
    thresholds = {name: pop.v_th for name, pop in graph.populations() if pop.spiking}
    margin = np.inf
    for t in range(steps):
        before = {name: sim.states[name].ref.copy() for name in thresholds}
        produced = sim.advance({name: a[t] for name, a in inputs.items()})
        for name, th in thresholds.items():
            active = before[name] == 0
            if active.any():
                gap = np.abs(produced[name][0].v_pre - th) / np.maximum(1.0, np.abs(th))
                margin = min(margin, float(gap[active].min()))
    return margin


def compare_results(
    graph: Graph, got: Result, want: Result, dtype: str, policy: ConformancePolicy = FLOAT_POLICY
) -> None:
    """Raise AssertionError naming the population, variable, step, sample and neuron of the
    first disagreement between ``got`` (backend) and ``want`` (reference)."""
    rtol = policy.tolerance(dtype)
    for name, _ in graph.populations():
        if name in want.spikes:
            a, b = np.asarray(got.spikes[name]), np.asarray(want.spikes[name])
            if not np.array_equal(a, b):
                t, bi, n = np.argwhere(a != b)[0]
                raise AssertionError(
                    f"{name}.spikes differ first at step {t}, sample {bi}, neuron {n}: "
                    f"backend {bool(a[t, bi, n])}, reference {bool(b[t, bi, n])}"
                )
        for var, ref in want.states.get(name, {}).items():
            a, b = np.asarray(got.states[name][var], np.float64), np.asarray(ref, np.float64)
            scale = max(1.0, float(np.abs(b).max(initial=0.0)))
            bad = np.abs(a - b) > rtol * scale
            if bad.any():
                t, bi, n = np.argwhere(bad)[0]
                raise AssertionError(
                    f"{name}.{var} differs first at step {t}, sample {bi}, neuron {n}: "
                    f"backend {a[t, bi, n]!r}, reference {b[t, bi, n]!r} (rtol {rtol} x {scale:.3g})"
                )


def full_record(graph: Graph) -> dict[str, list[str]]:
    """Probes for every variable of every population (spikes only where it spikes)."""
    return {name: (["spikes"] if pop.spiking else []) + ["v", "i"] for name, pop in graph.populations()}


def assert_conforms(
    backend: str,
    graph: Graph,
    inputs: dict[str, np.ndarray],
    dtype: str = "float64",
    policy: ConformancePolicy = FLOAT_POLICY,
    reference_dtype: str | None = None,
    **compile_options,
) -> Result:
    """Run ``backend`` and the reference on the same case and apply ``policy``; returns the
    backend's result. The reference runs in float64 unless ``reference_dtype`` says otherwise
    (fixed-point backends compare against the reference in the same integer mode)."""
    import spikesim

    record = full_record(graph)
    got = spikesim.compile(graph, backend=backend, dtype=dtype, record=record, **compile_options).run(inputs)
    want = spikesim.compile(graph, backend="reference", dtype=reference_dtype or "float64", record=record).run(inputs)
    compare_results(graph, got, want, dtype, policy)
    return got
