"""The training kernels' math (``backends/cupy/lif_math.py``) against ``spikesim.torch.lif``,
on the CPU: same forward, same gradients, and what saving h in float16 costs."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="the training kernels' math is written in torch")

from spikesim.backends.cupy import lif_math  # noqa: E402
from spikesim.torch.lif import Coefficients, lif_multistep  # noqa: E402
from spikesim.torch.surrogate import Surrogate  # noqa: E402


def _case(seed: int, steps=45, batch=3, size=7, current=True):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(steps, batch, size, generator=g) * 0.8 + 0.3
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(size, generator=g)  # noqa: E731
    coeffs = Coefficients(
        alpha=u(0.3, 0.9) if current else torch.zeros(size),
        beta=u(0.7, 0.95),
        input_gain=u(0.5, 1.5),
        current_gain=u(0.2, 1.0),
        bias=u(-0.05, 0.05),
        v_th=u(0.8, 1.2),
        v_reset=u(-0.2, 0.1),
        v_init=u(-0.1, 0.3),
    )
    return x, coeffs, torch.stack(list(coeffs)).float()


@pytest.mark.parametrize("spiking,reset", [(True, "zero"), (True, "subtract"), (False, "zero")])
@pytest.mark.parametrize("kind", ["atan", "superspike"])
@pytest.mark.parametrize("current", [True, False])
def test_kernel_math_matches_torch_lif(spiking, reset, kind, current):
    x, coeffs, table = _case(1, current=current)
    surrogate = Surrogate(kind)
    xg = x.clone().requires_grad_(True)
    want = lif_multistep(xg, coeffs, surrogate, spiking, reset)
    grad = torch.randn_like(want)
    want.backward(grad)
    out, h, bits = lif_math.forward(x, table, spiking, reset, torch.float32)
    assert torch.equal(out, want.detach())
    if spiking:
        assert 0 < out.sum() < out.numel(), "the case must contain spikes and silences"
    got = lif_math.backward(grad, h, bits, table, kind, surrogate.alpha, spiking, reset)
    torch.testing.assert_close(got, xg.grad, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reset", ["zero", "subtract"])
def test_float16_saved_membrane_keeps_gradients_close(reset):
    x, _, table = _case(2, steps=200, batch=4, size=32)
    grad = torch.randn(x.shape)
    exact = lif_math.backward(
        grad,
        *lif_math.forward(x, table, True, reset, torch.float32)[1:],
        table,
        "atan",
        5.0,
        True,
        reset,
    )
    out16, h16, bits16 = lif_math.forward(x, table, True, reset, torch.float16)
    rounded = lif_math.backward(grad, h16, bits16, table, "atan", 5.0, True, reset)
    assert h16.dtype == torch.float16 and bits16.shape == (7, 4, 32)
    rel = (rounded - exact).norm() / exact.norm()
    assert rel < 3e-3, rel


def test_bit_packing_round_trip_across_word_edges():
    g = torch.Generator().manual_seed(3)
    for steps in (1, 31, 32, 33, 64, 70):
        spikes = torch.rand(steps, 2, 5, generator=g) < 0.5
        spikes[steps - 1] = True  # sets bit 31 of a full word: the int32 sign bit
        words = lif_math.pack_bits(spikes)
        assert words.dtype == torch.int32 and words.shape == ((steps + 31) // 32, 2, 5)
        assert torch.equal(lif_math.unpack_bits(words, steps), spikes)
    assert lif_math.pack_bits(torch.tensor([[[True]]] * 32))[0, 0, 0].item() == -1


@pytest.mark.parametrize("dtype,k", [(torch.float16, 8), (torch.float32, 4)])
def test_saved_membranes_are_grouped_16_bytes_per_element(dtype, k):
    h = torch.randn(11, 2, 3).to(dtype)
    groups = lif_math.group_steps(h)
    assert groups.shape == (-(-11 // k), 2, 3, k) and groups.is_contiguous()
    for t in range(11):
        assert torch.equal(groups[t // k, :, :, t % k], h[t])
    assert not groups[-1, :, :, 11 % k :].any()  # zeros after the last step
    # Element (b, n)'s steps t0 .. t0+k-1 sit in one 16-byte run of memory.
    flat = groups.reshape(-1)
    assert flat.element_size() * k == 16 and torch.equal(flat[:k], groups[0, 0, 0])


def test_surrogates_match_spikesim_torch_definitions():
    u = torch.linspace(-2, 2, 101)
    for kind in ("atan", "superspike"):
        s = Surrogate(kind)
        torch.testing.assert_close(lif_math.surrogate_grad(kind, s.alpha, u), s.grad(u))
