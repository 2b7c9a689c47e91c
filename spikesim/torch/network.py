"""A feed-forward spiking network of delayed dense projections: the trainable model.

Layer ``l``: ``DelayedDense`` -> optional ``BatchNorm1d`` -> population (``lif_multistep``)
-> optional dropout (one mask per sample and neuron, shared over time). The last layer is a
non-spiking LI readout whose membrane ``v`` is decoded by ``sum_softmax``:
``m = sum_t softmax(v_t)``, prediction ``argmax m``.

Time: the input ``[B, T, C]`` is extended by ``tail_steps`` zero steps and every layer runs
over the same ``T + tail_steps`` steps. This is the IR's semantics exactly (the exported
graph is simulated on the same zero-padded input). DCLS instead grows each layer's output
by ``(taps-1)//2`` steps; the readout length ``T + layers*(taps-1)//2`` is the same here,
but hidden layers are not cut short (so late spikes are never dropped).

Evaluation mode uses the *evaluation parameters*: BatchNorm folded into the weights and a
bias, and integer latencies. ``spikesim.torch.export.to_graph`` writes exactly these.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from spikesim.torch.delays import DelayedDense
from spikesim.torch.lif import Coefficients, lif_multistep
from spikesim.torch.surrogate import Surrogate


@dataclass(frozen=True)
class PopulationSpec:
    """A population's step coefficients (float64 arrays of length ``size``) and kind."""

    size: int
    coefficients: dict[str, np.ndarray]
    spiking: bool = True
    reset: str = "zero"

    @classmethod
    def lif(cls, size: int, beta: float, v_th: float = 1.0, reset: str = "zero") -> PopulationSpec:
        """SpikingJelly-style LIF (``decay_input=False``): alpha 0, gains 1, ``beta = 1 - dt/tau``."""
        return cls(size, _coefficients(size, beta=beta, v_th=v_th), True, reset)

    @classmethod
    def li(cls, size: int, beta: float) -> PopulationSpec:
        """Non-spiking leaky integrator readout with the same update."""
        return cls(size, _coefficients(size, beta=beta, v_th=1.0), False, "zero")


def _coefficients(size: int, **values: float) -> dict[str, np.ndarray]:
    base = {"alpha": 0.0, "beta": 1.0, "input_gain": 1.0, "current_gain": 1.0, "bias": 0.0,
            "v_th": 1.0, "v_reset": 0.0, "v_init": 0.0}
    base.update(values)
    return {k: np.full(size, float(v)) for k, v in base.items()}


class SpikingLayer(nn.Module):
    """One delayed projection, optional BatchNorm, a population and optional dropout."""

    def __init__(
        self,
        in_features: int,
        population: PopulationSpec,
        surrogate: Surrogate,
        taps: int = 1,
        learn_delays: bool = True,
        latency_offset: int = 0,
        batchnorm: bool = False,
        dropout: float = 0.0,
        bias: bool = False,
    ) -> None:
        super().__init__()
        size = population.size
        self.synapse = DelayedDense(in_features, size, taps, learn_delays, latency_offset, bias)
        self.bn = nn.BatchNorm1d(size) if batchnorm else None
        self.dropout = float(dropout)
        self.surrogate = surrogate
        self.spiking, self.reset = population.spiking, population.reset
        # float64 buffers: the exported coefficients are exactly the configured ones.
        for name, value in population.coefficients.items():
            self.register_buffer(f"coef_{name}", torch.as_tensor(value, dtype=torch.float64))

    def coefficients(self) -> Coefficients:
        """The population's coefficients as (N,) tensors."""
        return Coefficients(*(getattr(self, f"coef_{n}") for n in Coefficients._fields))

    def eval_parameters(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(weight, bias) used in evaluation: BatchNorm (running stats) folded in.

        ``w' = w * g``, ``b' = (b - mean) * g + beta_bn`` with ``g = gamma / sqrt(var + eps)``.
        """
        weight, bias = self.synapse.weight, self.synapse.bias
        if self.bn is None:
            return weight.detach(), None if bias is None else bias.detach()
        bn = self.bn
        gain = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        b = torch.zeros_like(bn.running_mean) if bias is None else bias
        folded_bias = bn.bias + (b - bn.running_mean) * gain
        return (weight * gain[:, None]).detach(), folded_bias.detach()

    def current(self, x: torch.Tensor) -> torch.Tensor:
        """Delivered input ``[B, out, T]`` for presynaptic outputs ``x`` [B, in, T]."""
        if self.training:
            y = self.synapse(x)
            return self.bn(y) if self.bn is not None else y
        weight, bias = self.eval_parameters()
        return self.synapse(x, weight, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, in, T]`` -> outputs ``[T, B, out]`` (spikes, or v for the LI readout)."""
        y = self.current(x).permute(2, 0, 1).contiguous()
        out = lif_multistep(y, self.coefficients(), self.surrogate, self.spiking, self.reset)
        if self.training and self.dropout > 0:
            keep = 1.0 - self.dropout
            mask = torch.bernoulli(torch.full_like(out[0], keep)) / keep
            out = out * mask
        return out


class DelayNet(nn.Module):
    """Feed-forward chain of ``SpikingLayer``s ending in an LI readout.

    ``forward(x [B, T, C])`` returns the readout membrane ``[T + tail_steps, B, classes]``.
    ``names``: IR node names of the layers (the last is the readout); ``dt`` in seconds.
    """

    def __init__(
        self,
        input_size: int,
        layers: list[SpikingLayer],
        names: list[str],
        dt: float,
        tail_steps: int = 0,
        input_name: str = "input",
    ) -> None:
        super().__init__()
        if len(names) != len(layers):
            raise ValueError("DelayNet: one name per layer is needed")
        self.input_size, self.dt, self.tail_steps = input_size, dt, int(tail_steps)
        self.input_name, self.names = input_name, list(names)
        self.layers = nn.ModuleList(layers)

    def run(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every layer's output ``[T + tail, B, N]`` for input ``x`` [B, T, C]."""
        h = F.pad(x.transpose(1, 2), (0, self.tail_steps))
        outputs = []
        for layer in self.layers:
            out = layer(h)
            outputs.append(out)
            h = out.permute(1, 2, 0)
        return outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.run(x)[-1]

    def synapses(self) -> list[DelayedDense]:
        """The delayed projections, input side first."""
        return [layer.synapse for layer in self.layers]

    def set_sigma(self, sigma: float) -> None:
        """Set the Gaussian width (steps) of every delay kernel."""
        for syn in self.synapses():
            syn.sigma.fill_(sigma)

    def clamp_positions(self) -> None:
        """Clamp every delay position to its valid range."""
        for syn in self.synapses():
            syn.clamp_()


def sum_softmax(v: torch.Tensor) -> torch.Tensor:
    """The ``sum_softmax`` decoder: ``sum_t softmax(v_t)`` over classes, [T, B, C] -> [B, C]."""
    return torch.softmax(v, dim=-1).sum(0)
