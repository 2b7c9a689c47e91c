"""Learnable delays (DCLS): kernel shape, finite-difference gradients, σ schedule, delay semantics."""

import pytest
import torch

from spikesim.torch import DelayedDense, gaussian_kernel, sigma_at_epoch
from spikesim.torch.schedule import final_epoch


def test_gaussian_kernel_sums_to_one_and_peaks_at_position():
    pos = torch.tensor([[0.0, 3.4], [12.0, 24.0]], dtype=torch.float64)
    k = gaussian_kernel(pos, 2.0, 25)
    torch.testing.assert_close(k.sum(-1), torch.ones(2, 2, dtype=torch.float64), atol=1e-6, rtol=0)
    delay_of_peak = 24 - k.argmax(-1)  # tap n is delay 24 - n
    assert delay_of_peak.tolist() == [[0, 3], [12, 24]]


def test_kernel_is_one_hot_as_sigma_vanishes():
    pos = torch.tensor([[0.0, 7.0, 24.0]], dtype=torch.float64)
    k = gaussian_kernel(pos, 1e-3, 25)
    expected = torch.zeros(1, 3, 25, dtype=torch.float64)
    for j, d in enumerate([0, 7, 24]):
        expected[0, j, 24 - d] = 1.0
    torch.testing.assert_close(k, expected, atol=1e-6, rtol=0)


def test_delay_gradients_match_finite_differences():
    torch.manual_seed(0)
    layer = DelayedDense(3, 2, taps=9).double()
    layer.sigma.fill_(1.3)
    x = torch.rand(2, 3, 12, dtype=torch.float64)

    def f(weight, position):
        k = weight.unsqueeze(-1) * gaussian_kernel(position, layer.sigma, 9)
        return torch.nn.functional.conv1d(torch.nn.functional.pad(x, (8, 0)), k)

    w = layer.weight.detach().clone().requires_grad_()
    p = (layer.position.detach().clone() + 0.3).requires_grad_()
    assert torch.autograd.gradcheck(f, (w, p), eps=1e-6, atol=1e-7)
    # The module's own forward gives the same output as f.
    with torch.no_grad():
        layer.weight.copy_(w), layer.position.copy_(p)
    torch.testing.assert_close(layer(x), f(w, p))


@pytest.mark.parametrize("offset", [0, 1])
def test_integer_delay_moves_a_spike(offset):
    layer = DelayedDense(1, 1, taps=25, latency_offset=offset).double().eval()
    with torch.no_grad():
        layer.weight.fill_(2.0)
        layer.position.fill_(6.6)  # rounds to 7
    x = torch.zeros(1, 1, 40, dtype=torch.float64)
    x[0, 0, 3] = 1.0
    y = layer(x)[0, 0]
    assert y.shape == (40,)
    assert torch.nonzero(y).flatten().tolist() == [3 + 7 + offset]
    assert y[3 + 7 + offset].item() == 2.0
    assert layer.latency().item() == 7 + offset


def test_positions_are_clamped():
    layer = DelayedDense(2, 2, taps=5)
    with torch.no_grad():
        layer.position.copy_(torch.tensor([[-3.0, 2.0], [4.2, 9.0]]))
    layer.clamp_()
    assert layer.position.tolist() == [[0.0, 2.0], [4.0, 4.0]]


def test_sigma_schedule_values():
    # papers.md §1 check 3: SHD (150 epochs, 25 taps) at epochs 0/10/20/30/37.
    got = [sigma_at_epoch(e, 150, 25) for e in (0, 10, 20, 30, 37, 149)]
    assert got == pytest.approx([12.27, 4.39, 1.69, 0.76, 0.50, 0.50], abs=5e-3)
    assert final_epoch(150) == 37 and final_epoch(3) == 1 and final_epoch(1) == 1
    # Short runs still anneal: 3 epochs -> 12.27, then 0.5.
    assert [sigma_at_epoch(e, 3, 25) for e in range(3)] == pytest.approx([12.27, 0.5, 0.5])
