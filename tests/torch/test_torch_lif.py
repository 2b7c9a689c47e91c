"""lif_multistep: the semantics' update in the forward pass, BPTT with surrogates in the backward."""

import math

import numpy as np
import pytest
import torch

from backends.reference.step import initial_state, population_step
from spikesim.errors import ConfigError
from spikesim.torch import Coefficients, Surrogate, lif_multistep

BETA = 1 - 10 / 10.05  # the DCLS SHD LIF: tau = 1.005 steps


def coeffs(n, **kw):
    base = dict(alpha=0.0, beta=BETA, input_gain=1.0, current_gain=1.0, bias=0.0, v_th=1.0, v_reset=0.0, v_init=0.0)
    base.update(kw)
    return Coefficients(*(torch.full((n,), float(base[k]), dtype=torch.float64) for k in Coefficients._fields))


def test_paper_lif_step_values():
    # papers.md §1 check 4: I = 1.2 spikes and resets to 0; I = 0.6 twice integrates without a spike.
    x = torch.tensor([[[1.2, 0.6]], [[0.0, 0.6]]], dtype=torch.float64)
    s = lif_multistep(x, coeffs(2), Surrogate())
    assert s[:, 0, 0].tolist() == [1.0, 0.0]
    assert s[:, 0, 1].tolist() == [0.0, 0.0]
    v = lif_multistep(x, coeffs(2), Surrogate(), spiking=False)
    assert v[1, 0, 1].item() == pytest.approx(0.6 * BETA + 0.6, abs=1e-15)


def test_threshold_is_strict():
    x = torch.ones(1, 1, 1, dtype=torch.float64)  # v' = 1.0 = v_th exactly: no spike with '>'
    assert lif_multistep(x, coeffs(1, beta=0.0), Surrogate()).item() == 0.0


@pytest.mark.parametrize("reset", ["zero", "subtract"])
def test_forward_equals_reference_step(reset):
    rng = np.random.default_rng(0)
    n, batch, steps = 7, 3, 20
    table = {
        "alpha": rng.uniform(0, 0.9, n), "beta": rng.uniform(0, 0.95, n), "input_gain": rng.uniform(0.5, 1.5, n),
        "current_gain": rng.uniform(0.5, 1.5, n), "bias": rng.uniform(-0.1, 0.1, n), "v_th": rng.uniform(0.5, 1.5, n),
        "v_reset": rng.uniform(-0.2, 0.2, n), "v_init": rng.uniform(-0.5, 0.5, n),
    }
    x = rng.normal(0.4, 0.8, (steps, batch, n))
    state = initial_state(table, batch, np.float64)
    expected = []
    for t in range(steps):
        out, state = population_step(state, x[t], table, True, reset, 0)
        expected.append(out.out)
    c = Coefficients(*(torch.from_numpy(table[k]) for k in Coefficients._fields))
    got = lif_multistep(torch.from_numpy(x), c, Surrogate(), True, reset).numpy()
    np.testing.assert_array_equal(got, np.stack(expected))


class _Spike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, u, surrogate):
        ctx.save_for_backward(u)
        ctx.surrogate = surrogate
        return (u > 0).to(u.dtype)

    @staticmethod
    def backward(ctx, g):
        (u,) = ctx.saved_tensors
        return g * ctx.surrogate.grad(u), None


def _naive(x, c: Coefficients, surrogate, spiking, reset):
    """Autograd over a plain loop: the specification the hand-written backward must match."""
    i = torch.zeros_like(x[0])
    v = c.v_init.expand_as(x[0])
    outs = []
    for t in range(x.shape[0]):
        i = c.alpha * i + c.input_gain * x[t]
        h = (c.beta * v + c.current_gain * i) + c.bias
        if not spiking:
            v = h
            outs.append(h)
            continue
        s = _Spike.apply(h - c.v_th, surrogate)
        sd = s.detach()
        v = h * (1 - sd) + c.v_reset * sd if reset == "zero" else h - c.v_th * sd
        outs.append(s)
    return torch.stack(outs)


@pytest.mark.parametrize("kind", ["atan", "superspike"])
@pytest.mark.parametrize(("spiking", "reset"), [(True, "zero"), (True, "subtract"), (False, "zero")])
def test_backward_matches_autograd(kind, spiking, reset):
    torch.manual_seed(1)
    x = torch.randn(15, 4, 6, dtype=torch.float64, requires_grad=True)
    c = coeffs(6, alpha=0.5, beta=0.8, bias=0.05)
    weights = torch.randn(15, 4, 6, dtype=torch.float64)
    s = Surrogate(kind)
    (lif_multistep(x, c, s, spiking, reset) * weights).sum().backward()
    got = x.grad.clone()
    x.grad = None
    (_naive(x, c, s, spiking, reset) * weights).sum().backward()
    torch.testing.assert_close(got, x.grad, rtol=1e-12, atol=1e-12)


def test_surrogate_values_and_validation():
    zero = torch.zeros(1, dtype=torch.float64)
    assert Surrogate("atan").grad(zero).item() == pytest.approx(2.5)  # alpha/2 with alpha = 5
    assert Surrogate("superspike").grad(zero).item() == 1.0
    assert Surrogate("atan", 2.0).grad(torch.tensor([1.0])).item() == pytest.approx(1 / (1 + math.pi**2))
    with pytest.raises(ConfigError, match="atan"):
        Surrogate("sigmoid")
