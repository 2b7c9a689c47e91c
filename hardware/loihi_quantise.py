"""Quantising a float LIF/IF graph to Loihi 2 fixed point (LoihiLIF + LoihiDense), per layer.

Each population p gets a scale ``lam`` (integer state units per float unit of v), so its
threshold becomes ``vth_mant = round(lam * v_th / 64)``. By default ``lam`` makes the largest
incoming weight (or the given percentile of them) fill the 8-bit mantissa at ``weight_exp = 0``,
so no floor shift loses precision, as long as ``vth_mant`` fits 17 bits; ``target_vth`` fixes
``vth_mant`` instead.
The float update ``i <- alpha i + g W s``, ``v <- beta v + c i + b`` maps to Lava's
``u <- ... + 64 * shift(m . s, e)``, ``v <- ... + u + bias`` with ``u = lam * c * i``, so each
incoming edge needs ``m * 2^e ~= lam * c * g * W / 64``: ``e`` is the smallest exponent that
fits the edge's largest weight (or a percentile of them) into the signed 8-bit mantissa.
Decays: ``du = round(4096 (1 - alpha)) - 1`` (du = -1 is impossible: alpha = 1 needs
du + 1 = 0, so the current is clamped at du = 0) and ``dv = round(4096 (1 - beta))``.

:func:`quantise` returns the fixed graph and a report; with inputs, the report gives the
accuracy lost: per population, the fraction of (step, sample, neuron) spike entries that agree
between the float64 reference and the fixed-point reference, and the spike count change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spikesim.errors import UnsupportedFeatureError
from spikesim.ir import Graph, Input, Output
from spikesim.ir.fixed import ACTIVATION_SHIFT, VTH_SHIFT, LoihiDense, LoihiLIF

DEFAULT_TARGET_VTH = 256
_MANTISSA = 254  # mixed-sign mantissas keep even values in [-256, 254]


@dataclass
class LayerReport:
    """How one population was quantised: scale (state units per float v unit), decays, errors."""

    scale: float
    vth_mant: int
    du: int
    dv: int
    decay_error: float  # largest |alpha - alpha_q|, |beta - beta_q| (spread within the layer too)
    weight_exp: dict[str, int] = field(default_factory=dict)  # by source node
    weight_error: dict[str, float] = field(default_factory=dict)  # max |w_q - w| / max |w|


@dataclass
class QuantiseReport:
    """Per-layer choices and, when inputs were given, the spike agreement float vs fixed."""

    layers: dict[str, LayerReport]
    spike_agreement: dict[str, float] = field(default_factory=dict)
    spike_counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # (float, fixed)

    def summary(self) -> str:
        """Human-readable table."""
        lines = []
        for name, layer in self.layers.items():
            line = (f"{name}: scale {layer.scale:.4g}, vth_mant {layer.vth_mant}, du {layer.du}, "
                    f"dv {layer.dv}, weight_exp {layer.weight_exp}")
            if name in self.spike_agreement:
                f, q = self.spike_counts[name]
                line += f", spike agreement {self.spike_agreement[name]:.4f} ({f} float vs {q} fixed spikes)"
            lines.append(line)
        return "\n".join(lines)


@dataclass
class Quantised:
    """The fixed-point graph and its report."""

    graph: Graph
    report: QuantiseReport


def _check(graph: Graph) -> None:
    for name, pop in graph.populations():
        problems = []
        if not pop.spiking:
            problems.append(f"{pop.kind} does not spike (Loihi's LIF always does)")
        if pop.reset != "zero" or np.any(pop.v_reset != 0):
            problems.append("only reset to 0 exists on Loihi's LIF")
        if pop.refractory:
            problems.append("refractory periods are not modelled by Lava's LIF")
        if problems:
            raise UnsupportedFeatureError(f"quantise: node {name!r}: {'; '.join(problems)}")
    for edge in graph.edges:
        if edge.bias is not None and np.any(edge.bias != 0):
            raise UnsupportedFeatureError(
                f"quantise: edge {edge.src}->{edge.dst}: field bias (Loihi has no projection bias)"
            )


def _decay(value: np.ndarray, offset: int) -> tuple[int, float]:
    """12-bit decay code for a per-step factor (median over the layer) and its worst error."""
    code = int(np.clip(np.round(4096 * (1 - np.median(value))) - offset, 0, 4095))
    realised = 1 - (code + offset) / 4096
    return code, float(np.abs(value - realised).max())


def _weight_exp(target: np.ndarray, percentile: float) -> int:
    big = float(np.percentile(np.abs(target[target != 0]), percentile)) if np.any(target) else 0.0
    if big == 0:
        return 0
    return int(np.clip(np.ceil(np.log2(big / _MANTISSA)), -8, 7))


def _drive(graph: Graph, name: str, edge) -> np.ndarray:
    """Float input weights of ``edge`` into ``name`` as they reach v: current_gain * input_gain * w."""
    pop = graph.nodes[name]
    return (pop.current_gain * pop.input_gain)[:, None] * edge.dense()[0]


def _scale(graph: Graph, name: str, threshold: float, target_vth: int | None, percentile: float) -> float:
    """State units per float unit of v: from ``target_vth``, or so that the largest incoming
    weight fills the 8-bit mantissa at weight_exp 0 (no flooring shift), within 17-bit vth."""
    most = (2**17 - 1) * (1 << VTH_SHIFT) / threshold
    if target_vth is not None:
        return min(target_vth * (1 << VTH_SHIFT) / threshold, most)
    peaks = [
        float(np.percentile(np.abs(w[w != 0]), percentile))
        for w in (_drive(graph, name, e) for e in graph.incoming(name)) if np.any(w)
    ]
    if not peaks:
        return min(DEFAULT_TARGET_VTH * (1 << VTH_SHIFT) / threshold, most)
    return min((1 << ACTIVATION_SHIFT) * _MANTISSA / max(peaks), most)


def quantise(
    graph: Graph,
    inputs: dict[str, np.ndarray] | np.ndarray | None = None,
    target_vth: int | None = None,
    percentile: float = 100.0,
) -> Quantised:
    """Convert a float LIF/IF graph to LoihiLIF/LoihiDense; see the module docstring.

    ``inputs`` (optional, as for ``Simulator.run``, integer-valued) are run through both the
    float64 and the fixed reference to fill the report's spike agreement.
    """
    graph.validate()
    _check(graph)
    fixed = Graph(dt=graph.dt, discretisation=graph.discretisation,
                  metadata={**graph.metadata, "quantised": {"target_vth": target_vth, "percentile": percentile}})
    scales, layers = {}, {}
    for name, node in graph.nodes.items():
        if isinstance(node, (Input, Output)):
            fixed.add(name, node)
            continue
        threshold = float(np.median(node.v_th))
        if threshold <= 0:
            raise UnsupportedFeatureError(f"quantise: node {name!r}: v_th must be > 0, found {threshold}")
        lam = _scale(graph, name, threshold, target_vth, percentile)
        du, du_err = _decay(node.alpha, 1)
        dv, dv_err = _decay(node.beta, 0)
        bias = lam * node.bias
        bias_exp = int(np.clip(np.ceil(np.log2(max(np.abs(bias).max() / 4095, 1e-300))), 0, 7))
        fixed.add(name, LoihiLIF(
            node.size, du=du, dv=dv, vth_mant=int(np.clip(round(lam * threshold / 64), 0, 2**17 - 1)),
            bias_mant=np.clip(np.round(bias / 2**bias_exp), -4096, 4095), bias_exp=bias_exp,
            v_init=np.clip(np.round(lam * node.v_init), -(2**23 - 1), 2**23 - 1),
        ))
        scales[name] = lam
        layers[name] = LayerReport(lam, fixed.nodes[name].vth_mant, du, dv, max(du_err, dv_err))
    for edge in graph.edges:
        target = scales[edge.dst] * _drive(graph, edge.dst, edge) / (1 << ACTIVATION_SHIFT)
        exp = _weight_exp(target, percentile)
        step = 2 if target.min() < 0 < target.max() else 1  # Lava floors mixed-sign mantissas to even
        mant = np.clip(step * np.round(target / (step * 2.0**exp)), -256, 255).astype(np.int64)
        q = LoihiDense(edge.src, edge.dst, weight_mant=mant, weight_exp=exp, delay=edge.dense()[1])
        fixed.add_edge(q)
        report = layers[edge.dst]
        report.weight_exp[edge.src] = exp
        scale = max(float(np.abs(target).max()), 1e-300)
        report.weight_error[edge.src] = float(np.abs(q.effective() * 2.0**exp - target).max() / scale)
    result = Quantised(fixed.validate(), QuantiseReport(layers))
    if inputs is not None:
        _agreement(graph, result, inputs)
    return result


def _agreement(graph: Graph, result: Quantised, inputs) -> None:
    import spikesim

    record = {name: ["spikes"] for name, _ in graph.populations()}
    want = spikesim.compile(graph, dtype="float64", record=record).run(inputs)
    got = spikesim.compile(result.graph, dtype="fixed", record=record).run(inputs)
    for name in record:
        a, b = np.asarray(want.spikes[name]), np.asarray(got.spikes[name])
        result.report.spike_agreement[name] = float((a == b).mean())
        result.report.spike_counts[name] = (int(a.sum()), int(b.sum()))
