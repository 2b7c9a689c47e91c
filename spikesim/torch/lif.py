"""Multi-step LIF / LI dynamics with a hand-written backward pass (BPTT).

``lif_multistep`` is the single place where the population update runs in torch. It follows
``docs/semantics.md`` §3 exactly (same operation order as ``backends/reference/step.py``)::

    i  <- alpha*i + input_gain*x
    h  <- (beta*v + current_gain*i) + bias
    s  <- h > v_th                       (strict >, spiking populations only)
    v  <- v_reset where s ("zero")  or  h - v_th*s ("subtract");   LI: v <- h

Why a custom autograd function: autograd over a Python loop keeps ~10 tensors per step;
here only ``h`` is saved ([T, B, N]), and the backward is one reverse loop. The reset is
detached (SpikingJelly's ``detach_reset=True``): no gradient flows through ``s`` into ``v``.
Refractory periods are not supported in training.

On CUDA tensors ``lif_multistep`` dispatches to the fused CuPy kernels (same arguments and
results) when CuPy can run them; everywhere else ``_LIFFunction`` runs.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from spikesim.torch.surrogate import Surrogate


class Coefficients(NamedTuple):
    """Per-neuron step coefficients, each a (N,) tensor (``docs/semantics.md`` §3)."""

    alpha: torch.Tensor
    beta: torch.Tensor
    input_gain: torch.Tensor
    current_gain: torch.Tensor
    bias: torch.Tensor
    v_th: torch.Tensor
    v_reset: torch.Tensor
    v_init: torch.Tensor


class _LIFFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, coeffs: Coefficients, surrogate: Surrogate, spiking: bool, reset: str):
        alpha, beta, g_in, g_cur, bias, v_th, v_reset, v_init = coeffs
        steps, batch, size = x.shape
        h_all = torch.empty_like(x)
        out = torch.empty_like(x)
        v = v_init.to(x.dtype).expand(batch, size)
        i = torch.zeros(batch, size, dtype=x.dtype, device=x.device)
        has_current = bool(torch.any(alpha != 0))
        for t in range(steps):
            i = alpha * i + g_in * x[t] if has_current else g_in * x[t]
            h = (beta * v + g_cur * i) + bias
            h_all[t] = h
            if not spiking:
                out[t] = h
                v = h
                continue
            s = h > v_th
            out[t] = s
            v = torch.where(s, v_reset, h) if reset == "zero" else h - v_th * s
        ctx.save_for_backward(h_all, *coeffs)
        ctx.surrogate, ctx.spiking, ctx.reset, ctx.has_current = surrogate, spiking, reset, has_current
        return out

    @staticmethod
    def backward(ctx, grad_out):
        h_all, alpha, beta, g_in, g_cur, _bias, v_th, _v_reset, _v_init = ctx.saved_tensors
        grad_x = torch.empty_like(grad_out)
        grad_v = torch.zeros_like(grad_out[0])  # dL/dv_t from step t+1
        grad_i = torch.zeros_like(grad_out[0])  # dL/di_t from step t+1 (before * alpha)
        for t in range(grad_out.shape[0] - 1, -1, -1):
            h = h_all[t]
            if ctx.spiking:
                u = h - v_th
                grad_h = grad_out[t] * ctx.surrogate.grad(u)
                # Detached reset: v = h*(1-s) + v_reset*s passes dL/dv only where s = 0.
                grad_h = grad_h + (grad_v * (u <= 0) if ctx.reset == "zero" else grad_v)
            else:
                grad_h = grad_out[t] + grad_v
            grad_i = grad_h * g_cur + alpha * grad_i if ctx.has_current else grad_h * g_cur
            grad_x[t] = grad_i * g_in
            grad_v = grad_h * beta
        return grad_x, None, None, None, None


def lif_multistep(
    x: torch.Tensor,
    coeffs: Coefficients,
    surrogate: Surrogate,
    spiking: bool = True,
    reset: str = "zero",
) -> torch.Tensor:
    """Run a population over ``x`` [T, B, N] (its delivered input) from its initial state.

    Returns spikes (0/1 in x's dtype) for a spiking population, or the membrane ``v`` (after
    the update) for a non-spiking LI readout, both [T, B, N]. Coefficients are constants.
    """
    coeffs = Coefficients(*(c.to(device=x.device, dtype=x.dtype) for c in coeffs))
    if x.is_cuda:  # fused CuPy kernels when cupy can run them (docs/cupy.md); else plain torch
        from spikesim.backends.cupy.autograd import lif_multistep_cuda, usable

        if usable(x):
            return lif_multistep_cuda(x, coeffs, surrogate, spiking, reset)
    return _LIFFunction.apply(x, coeffs, surrogate, spiking, reset)
