"""Dense projections with learnable per-synapse delays (DCLS, Hammouamri et al., ICLR 2024).

Each synapse (i, j) has a weight ``w_ij`` and a real-valued delay ``d_ij`` in steps, clamped
to ``[0, taps - 1]``. The projection is a causal convolution over time,

    x_i[t] = sum_j w_ij * sum_n k_ij[n] * out_j[t - offset - n],   n = 0 .. taps-1,

with the kernel ``k_ij`` a normalised Gaussian over the delay taps during training,

    k_ij[n] = g_n / (sum_m g_m + 1e-7),   g_n = exp(-((n - d_ij) / sigma)^2 / 2),

and a one-hot at ``round(d_ij)`` in evaluation mode, i.e. an integer latency
``L_ij = offset + round(d_ij)``, which is what the exported IR edge stores. ``offset``
(the projection's minimum latency, 0 or 1) lets Loihi-bound models train with what Lava runs.

Why one ``conv1d``: measured on this CPU against a shift-and-matmul loop and an unfold +
GEMM (``benchmarks/results_training.md``), the oneDNN convolution was the fastest, provided
the kernel holds no denormal floats (see ``gaussian_kernel``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

#: Added to the normaliser so an all-zero kernel (huge distances) never divides by 0, as DCLS.
KERNEL_EPS = 1e-7
#: Gaussian taps with exponent below this are set to exactly 0 (no denormals).
TAIL_EXPONENT = -60.0


def gaussian_kernel(position: torch.Tensor, sigma: float | torch.Tensor, taps: int) -> torch.Tensor:
    """Normalised Gaussian over delay taps: [out, in] positions -> [out, in, taps].

    Index n of the last axis is delay ``taps - 1 - n`` steps (the order ``conv1d``, a
    correlation, needs). Each synapse's kernel sums to 1 (within 1e-6).
    """
    grid = torch.arange(taps - 1, -1, -1, dtype=position.dtype, device=position.device)
    z = -0.5 * ((grid - position.unsqueeze(-1)) / sigma) ** 2
    # Far taps would underflow to float32 denormals, which make oneDNN's convolution ~8x
    # slower (measured); below e^-60 of the peak a tap is exactly 0 (its gradient too).
    g = torch.exp(torch.where(z > TAIL_EXPONENT, z, float("-inf")))
    return g / (g.sum(-1, keepdim=True) + KERNEL_EPS)


def onehot_kernel(latency: torch.Tensor, taps: int, dtype: torch.dtype) -> torch.Tensor:
    """One-hot at integer ``latency`` [out, in] -> [out, in, taps], same tap order as above."""
    return F.one_hot(taps - 1 - latency, taps).to(dtype)


class DelayedDense(nn.Module):
    """(out, in) weights and delay positions; maps ``[B, in, T]`` to ``[B, out, T]``.

    ``taps`` K: delays 0..K-1 steps (K = 1: no delays). ``learn_delays``: positions are
    trainable (else fixed at their initial value). ``sigma`` (a buffer, in steps) is the
    Gaussian width used in training; the σ schedule sets it once per epoch.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        taps: int = 1,
        learn_delays: bool = True,
        latency_offset: int = 0,
        bias: bool = False,
    ) -> None:
        super().__init__()
        if taps < 1:
            raise ValueError(f"taps: expected >= 1, got {taps}")
        if latency_offset not in (0, 1):
            raise ValueError(f"latency_offset: expected 0 or 1, got {latency_offset}")
        self.in_features, self.out_features = in_features, out_features
        self.taps, self.latency_offset = taps, latency_offset
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.position = nn.Parameter(
            torch.empty(out_features, in_features), requires_grad=learn_delays and taps > 1
        )
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None
        self.register_buffer("sigma", torch.tensor(float(taps // 2) + 0.27))
        self.reset_parameters()

    @property
    def learn_delays(self) -> bool:
        return self.position.requires_grad

    def reset_parameters(self) -> None:
        """Kaiming-uniform (ReLU gain) weights and uniform positions on [0, taps-1], as DCLS."""
        bound = math.sqrt(6.0 / self.in_features)
        nn.init.uniform_(self.weight, -bound, bound)
        with torch.no_grad():
            if self.taps > 1 and self.position.requires_grad:
                self.position.uniform_(0.0, float(self.taps - 1))
            else:
                self.position.zero_()

    def clamp_(self) -> None:
        """Keep positions inside [0, taps-1] (call after every optimiser step)."""
        with torch.no_grad():
            self.position.clamp_(0.0, float(self.taps - 1))

    def latency(self) -> torch.Tensor:
        """Integer latencies [out, in] (int64): ``offset + round(clamp(d))``, as exported."""
        rounded = torch.round(self.position.detach().clamp(0.0, float(self.taps - 1)))
        return rounded.to(torch.int64) + self.latency_offset

    def kernel(self, weight: torch.Tensor | None = None) -> torch.Tensor:
        """[out, in, taps] kernel (tap n = delay taps-1-n): Gaussian in training, one-hot in eval."""
        weight = self.weight if weight is None else weight
        if self.taps == 1:
            return weight.unsqueeze(-1)
        if self.training:
            shape = gaussian_kernel(self.position, self.sigma, self.taps)
        else:
            shape = onehot_kernel(self.latency() - self.latency_offset, self.taps, weight.dtype)
        return weight.unsqueeze(-1) * shape

    def forward(
        self, x: torch.Tensor, weight: torch.Tensor | None = None, bias: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``[B, in, T] -> [B, out, T]``; ``weight``/``bias`` override the stored ones (BN folding)."""
        k = self.kernel(weight)
        bias = self.bias if bias is None else bias
        shift = self.taps - 1 + self.latency_offset
        # Left zero padding makes the convolution causal; an offset drops the last sample(s).
        x = F.pad(x, (shift, -self.latency_offset)) if shift else x
        return F.conv1d(x, k, bias)
