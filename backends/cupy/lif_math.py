"""The training kernels' arithmetic written in plain torch, step for step: the specification
that ``lif_train_forward.cu`` / ``lif_train_backward.cu`` are tested against (on the CPU for
the math, on a GPU for the kernels). Shapes: x [T, B, N]; coefficient table [8, N] float32
in the order of ``spikesim.torch.lif.Coefficients``.
"""

from __future__ import annotations

import math

import torch

ALPHA, BETA, INPUT_GAIN, CURRENT_GAIN, BIAS, V_TH, V_RESET, V_INIT = range(8)


def pack_bits(spikes: torch.Tensor) -> torch.Tensor:
    """[T, B, N] bool -> [ceil(T/32), B, N] int32 words; bit (t % 32) of word t // 32 is s_t."""
    steps = spikes.shape[0]
    words = torch.zeros(((steps + 31) // 32, *spikes.shape[1:]), dtype=torch.int64)
    for t in range(steps):
        words[t // 32] |= spikes[t].to(torch.int64) << (t % 32)
    return torch.where(words >= 2**31, words - 2**32, words).to(torch.int32)


def steps_per_group(dtype: torch.dtype) -> int:
    """Consecutive steps of saved h per 16-byte group (``StepGroup`` in ``memory.cuh``)."""
    return 16 // dtype.itemsize


def group_steps(h: torch.Tensor) -> torch.Tensor:
    """[T, B, N] -> [ceil(T/k), B, N, k] with k = :func:`steps_per_group`: the layout in which
    the forward kernel saves h (zeros after the last step)."""
    k = steps_per_group(h.dtype)
    steps = h.shape[0]
    padded = torch.zeros((-(-steps // k) * k, *h.shape[1:]), dtype=h.dtype)
    padded[:steps] = h
    return padded.reshape(-1, k, *h.shape[1:]).movedim(1, -1).contiguous()


def unpack_bits(words: torch.Tensor, steps: int) -> torch.Tensor:
    """Inverse of :func:`pack_bits`."""
    w = words.to(torch.int64) & 0xFFFFFFFF
    return torch.stack([((w[t // 32] >> (t % 32)) & 1).bool() for t in range(steps)])


def surrogate_grad(kind: str, alpha: float, u: torch.Tensor) -> torch.Tensor:
    """ds/du as the kernel computes it (float32): ATan or SuperSpike (spikesim.torch.surrogate)."""
    if kind == "atan":
        # float32(pi/2) * float32(alpha), rounded as the kernel rounds it
        scale = torch.tensor(math.pi / 2, dtype=torch.float32) * torch.tensor(
            alpha, dtype=torch.float32
        )
        z = scale * u
        return (0.5 * alpha) / (1.0 + z * z)
    return 1.0 / (alpha * u.abs() + 1.0) ** 2


def forward(
    x: torch.Tensor, coeff: torch.Tensor, spiking: bool, reset: str, save_dtype: torch.dtype
):
    """(out, h saved in ``save_dtype``, spike bit words) computed in float32."""
    a, b, g_in, g_cur, bias, v_th, v_reset, v_init = coeff
    v = v_init.expand(x.shape[1:]).clone()
    i = torch.zeros_like(v)
    outs, hs, spikes = [], [], []
    for xt in x.float():
        i = a * i + g_in * xt
        h = (b * v + g_cur * i) + bias
        if spiking:
            s = h > v_th
            outs.append(s.float())
            spikes.append(s)
            v = torch.where(s, h - v_th if reset == "subtract" else v_reset.expand_as(h), h)
        else:
            outs.append(h)
            v = h
        hs.append(h)
    out = torch.stack(outs).to(x.dtype)
    if not spiking:
        return out, None, None
    return out, torch.stack(hs).to(save_dtype), pack_bits(torch.stack(spikes))


def backward(
    grad_out, h_saved, bits, coeff, surrogate: str, sg_alpha: float, spiking: bool, reset: str
):
    """dL/dx [T, B, N] from dL/dout, with h and s read back as the kernel reads them."""
    a, b, g_in, g_cur = coeff[ALPHA], coeff[BETA], coeff[INPUT_GAIN], coeff[CURRENT_GAIN]
    v_th = coeff[V_TH]
    steps = grad_out.shape[0]
    spikes = unpack_bits(bits, steps) if spiking else None
    gv = torch.zeros(grad_out.shape[1:])
    gi = torch.zeros_like(gv)
    grad_x = torch.empty(grad_out.shape)
    for t in range(steps - 1, -1, -1):
        g = grad_out[t].float()
        if spiking:
            gh = g * surrogate_grad(surrogate, sg_alpha, h_saved[t].float() - v_th)
            gh = gh + (gv if reset == "subtract" else torch.where(spikes[t], 0.0, gv))
        else:
            gh = g + gv
        gi = gh * g_cur + a * gi
        grad_x[t] = gi * g_in
        gv = gh * b
    return grad_x.to(grad_out.dtype)
