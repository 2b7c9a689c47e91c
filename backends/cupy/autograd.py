"""Fused multi-step LIF training on CUDA: a ``torch.autograd.Function`` over the CuPy kernels
``lif_train_forward.cu`` and ``lif_train_backward.cu``.

Interop with torch, and why:
* tensors go to CuPy through DLPack (no copies); 16-bit tensors are viewed as int16 first
  because CuPy has no bfloat16 dtype;
* kernels are launched on torch's current stream (``cupy.cuda.Stream.from_external``, through
  the CUDA stream protocol), so they are ordered with the surrounding torch work without
  synchronisation;
* every buffer (outputs, saved h, spike bits, gradients) is allocated by torch, so CuPy's
  memory pool is never used and ``torch.cuda.max_memory_allocated`` counts everything.

Saved for backward (spiking populations): h in float16 (``save_dtype``; float32 on request),
in 16-byte groups of consecutive steps, and the spikes as bits: 2.125 B per neuron-step,
against 4 B for torch's float32 h. The backward reads the exact spike from the bits, so only
the surrogate's argument is rounded. The same math in plain torch is ``lif_math`` (tested on
the CPU).
"""

from __future__ import annotations

import functools

import torch

from spikesim.backends.cupy import kernels, lif_math

_C_TYPES = {torch.float32: "float", torch.float16: "f16", torch.bfloat16: "bf16"}


def usable(x: torch.Tensor) -> bool:
    """Whether the fused kernels can run for ``x``: a CUDA tensor of a supported dtype, cupy present."""
    return x.is_cuda and x.dtype in _C_TYPES and x.dim() == 3 and _cupy_usable()


@functools.lru_cache(maxsize=1)
def _cupy_usable() -> bool:
    from spikesim.backends import cupy as backend

    return backend.availability()[0]


def _cupy(t: torch.Tensor):
    import cupy

    t = t.detach()  # torch refuses to export tensors that require grad
    if t.element_size() == 2:
        t = t.view(torch.int16)
    return cupy.from_dlpack(t)


def _launch(
    kernel, tensors_and_scalars: tuple, elems: int, device: torch.device, **template
) -> None:
    import cupy

    with (
        cupy.cuda.Device(device.index),
        cupy.cuda.Stream.from_external(torch.cuda.current_stream(device)),
    ):
        args = tuple(_cupy(a) if isinstance(a, torch.Tensor) else a for a in tensors_and_scalars)
        kernels.launch(kernel, args, elems, **template)


def _saved_shape(steps: int, batch: int, size: int, dtype: torch.dtype) -> tuple[int, ...]:
    """Shape of the saved membranes, ``[ceil(steps / k), batch, size, k]`` with k consecutive
    steps per 16-byte group, so the kernels move 16 bytes at a time (``lif_math.group_steps``
    is the same layout)."""
    k = lif_math.steps_per_group(dtype)
    return (-(-steps // k), batch, size, k)


class CupyLIFFunction(torch.autograd.Function):
    """Same arguments and results as ``spikesim.torch.lif._LIFFunction`` (detached reset)."""

    @staticmethod
    def forward(ctx, x, coeffs, surrogate, spiking: bool, reset: str, save_dtype=torch.float16):
        import numpy as np

        x = x.contiguous()
        steps, batch, size = x.shape
        coeff = torch.stack(
            [c.to(device=x.device, dtype=torch.float32).expand(size) for c in coeffs]
        ).contiguous()
        out = torch.empty_like(x)
        save = spiking and ctx.needs_input_grad[0]  # inference (no_grad) keeps nothing
        if save:
            h_saved = torch.empty(
                _saved_shape(steps, batch, size, save_dtype), dtype=save_dtype, device=x.device
            )
            bits = torch.empty(
                ((steps + 31) // 32, batch, size), dtype=torch.int32, device=x.device
            )
        else:  # LI's backward needs neither h nor spikes
            h_saved = torch.empty(1, dtype=save_dtype, device=x.device)
            bits = torch.empty(1, dtype=torch.int32, device=x.device)
        elems = batch * size
        if x.numel():
            _launch(
                kernels.LIF_FORWARD,
                (
                    x,
                    out,
                    h_saved,
                    bits,
                    coeff,
                    np.int32(save),
                    np.int32(steps),
                    np.int64(elems),
                    np.int32(size),
                ),
                elems,
                x.device,
                **kernels.train_template(
                    _C_TYPES[x.dtype], _C_TYPES[save_dtype], spiking, reset == "subtract"
                ),
            )
        ctx.save_for_backward(h_saved, bits, coeff)
        ctx.config = (surrogate, spiking, reset, x.dtype, x.shape)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        import numpy as np

        h_saved, bits, coeff = ctx.saved_tensors
        surrogate, spiking, reset, dtype, shape = ctx.config
        if not ctx.needs_input_grad[0]:
            return None, None, None, None, None, None
        grad_out = grad_out.to(dtype)
        scalar = grad_out.numel() > 0 and all(s == 0 for s in grad_out.stride())
        # The gradient of out.sum() is one value expanded: read it once instead of materialising it.
        grad_in = grad_out.as_strided((1,), (1,)) if scalar else grad_out.contiguous()
        grad_x = torch.empty(shape, dtype=dtype, device=grad_out.device)
        steps, batch, size = shape
        if grad_x.numel():
            _launch(
                kernels.LIF_BACKWARD,
                (
                    grad_in,
                    h_saved,
                    bits,
                    coeff,
                    np.float32(surrogate.alpha),
                    grad_x,
                    np.int32(steps),
                    np.int64(batch * size),
                    np.int32(size),
                ),
                batch * size,
                grad_x.device,
                **kernels.train_template(
                    _C_TYPES[dtype],
                    _C_TYPES[h_saved.dtype],
                    spiking,
                    reset == "subtract",
                    SURROGATE=kernels.SURROGATE_IDS[surrogate.kind],
                    GRAD_SCALAR=int(scalar),
                ),
            )
        return grad_x, None, None, None, None, None


def lif_multistep_cuda(
    x,
    coeffs,
    surrogate,
    spiking: bool = True,
    reset: str = "zero",
    save_dtype: torch.dtype = torch.float16,
) -> torch.Tensor:
    """``spikesim.torch.lif.lif_multistep`` on the fused CUDA kernels (x [T, B, N] on a GPU).

    ``save_dtype`` is the precision of the membrane kept for the backward (float16 or float32).
    """
    return CupyLIFFunction.apply(x, coeffs, surrogate, spiking, reset, save_dtype)
