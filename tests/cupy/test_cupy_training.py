"""The fused LIF training kernels on a GPU against their torch transcription (lif_math) and
against spikesim.torch's LIF; memory stays in torch's allocator."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="the training kernels need torch")

from spikesim.backends import cupy as backend  # noqa: E402
from spikesim.backends.cupy import lif_math  # noqa: E402
from spikesim.torch.lif import Coefficients, lif_multistep  # noqa: E402
from spikesim.torch.surrogate import Surrogate  # noqa: E402

_USABLE, _REASON = backend.availability()
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not _USABLE, reason=f"cupy backend unusable: {_REASON}"),
]


def _case(seed, steps=70, batch=5, size=300):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(steps, batch, size, generator=g) * 0.8 + 0.3
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(size, generator=g)  # noqa: E731
    coeffs = Coefficients(
        alpha=u(0.3, 0.9),
        beta=u(0.7, 0.95),
        input_gain=u(0.5, 1.5),
        current_gain=u(0.2, 1.0),
        bias=u(-0.05, 0.05),
        v_th=u(0.8, 1.2),
        v_reset=u(-0.2, 0.1),
        v_init=u(-0.1, 0.3),
    )
    return x, coeffs


@pytest.mark.parametrize("spiking,reset", [(True, "zero"), (True, "subtract"), (False, "zero")])
@pytest.mark.parametrize("kind", ["atan", "superspike"])
@pytest.mark.parametrize("save_dtype", [torch.float16, torch.float32])
def test_kernels_match_their_torch_transcription(spiking, reset, kind, save_dtype):
    from spikesim.backends.cupy.autograd import lif_multistep_cuda

    x, coeffs = _case(1)
    surrogate = Surrogate(kind)
    xg = x.cuda().requires_grad_(True)
    out = lif_multistep_cuda(xg, coeffs, surrogate, spiking, reset, save_dtype=save_dtype)
    grad = torch.randn(out.shape, generator=torch.Generator().manual_seed(4))
    out.backward(grad.cuda())
    table = torch.stack(list(coeffs)).float()
    want_out, h, bits = lif_math.forward(x, table, spiking, reset, save_dtype)
    assert torch.equal(out.detach().cpu(), want_out)
    want = lif_math.backward(grad, h, bits, table, kind, surrogate.alpha, spiking, reset)
    torch.testing.assert_close(xg.grad.cpu(), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("steps", [1, 15, 16, 17, 31, 32, 33, 48, 63, 65, 100])
@pytest.mark.parametrize("spiking,reset", [(True, "zero"), (True, "subtract"), (False, "zero")])
def test_kernels_match_at_every_block_and_spike_word_boundary(steps, spiking, reset):
    """Step counts on both sides of the unrolled blocks (16 steps) and spike words (32): the
    backward reads one or two words per block and prefetches blocks ahead."""
    from spikesim.backends.cupy.autograd import lif_multistep_cuda

    x, coeffs = _case(steps, steps=steps, batch=3, size=257)
    surrogate = Surrogate("atan")
    xg = x.cuda().requires_grad_(True)
    out = lif_multistep_cuda(xg, coeffs, surrogate, spiking, reset)
    table = torch.stack(list(coeffs)).float()
    want_out, h, bits = lif_math.forward(x, table, spiking, reset, torch.float16)
    assert torch.equal(out.detach().cpu(), want_out)
    if spiking:  # the saved state, in its grouped layout, before backward frees it
        saved_h, saved_bits, _ = out.grad_fn.saved_tensors
        assert torch.equal(saved_h.cpu(), lif_math.group_steps(h))
        assert torch.equal(saved_bits.cpu(), bits)
    grad = torch.randn(out.shape, generator=torch.Generator().manual_seed(steps))
    out.backward(grad.cuda())
    want = lif_math.backward(grad, h, bits, table, "atan", surrogate.alpha, spiking, reset)
    torch.testing.assert_close(xg.grad.cpu(), want, rtol=1e-5, atol=1e-6)


def test_dispatch_and_scalar_gradient_of_sum_match_torch_lif():
    x, coeffs = _case(2, steps=100, batch=4, size=1000)
    s = Surrogate("atan")
    xc = x.cuda().requires_grad_(True)
    lif_multistep(xc, coeffs, s).sum().backward()  # dispatches to the CuPy kernels on CUDA
    xt = x.clone().requires_grad_(True)
    from spikesim.torch import lif as torch_lif

    torch_lif._LIFFunction.apply(
        xt, Coefficients(*(c.float() for c in coeffs)), s, True, "zero"
    ).sum().backward()
    rel = (xc.grad.cpu() - xt.grad).norm() / xt.grad.norm()
    assert rel < 3e-3, rel  # h saved in float16 only rounds the surrogate's argument


def test_bfloat16_activations_and_memory_stays_in_torch_allocator():
    import cupy

    from spikesim.backends.cupy.autograd import lif_multistep_cuda

    x, coeffs = _case(3, steps=64, batch=8, size=2048)
    pool = cupy.get_default_memory_pool()
    before = pool.used_bytes()
    xb = x.cuda().bfloat16().requires_grad_(True)
    out = lif_multistep_cuda(xb, coeffs, Surrogate("superspike"))
    out.float().sum().backward()
    assert out.dtype == torch.bfloat16 and xb.grad.dtype == torch.bfloat16
    assert pool.used_bytes() == before, "CuPy allocated from its own pool"
    want, _, _ = lif_math.forward(
        x.bfloat16(), torch.stack(list(coeffs)).float(), True, "zero", torch.float16
    )
    assert (out.cpu() != want).float().mean() < 1e-3
