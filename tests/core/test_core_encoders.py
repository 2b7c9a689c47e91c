"""Known answers for the spike encoders in ``spikesim.encoders``."""

from __future__ import annotations

import numpy as np
import pytest

import spikesim as ss
from spikesim import encoders


def test_rate_mean_lies_in_the_binomial_interval():
    x = np.array([0.0, 0.05, 0.3, 0.9, 1.0])
    n = 20_000
    spikes = encoders.rate(x, n, rng=123)
    assert spikes.shape == (n, 5) and spikes.dtype == bool
    counts = spikes.sum(axis=0)
    assert counts[0] == 0 and counts[-1] == n  # p = 0 and p = 1 are deterministic
    sigma = np.sqrt(n * x * (1 - x))
    assert np.all(np.abs(counts[1:-1] - n * x[1:-1]) < 4 * sigma[1:-1]), counts


def test_rate_is_reproducible_from_a_seed_or_generator():
    x = np.full((3, 4), 0.5)
    a = encoders.rate(x, 50, rng=9)
    b = encoders.rate(x, 50, rng=np.random.default_rng(9))
    assert a.shape == (50, 3, 4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, encoders.rate(x, 50, rng=10))


def test_rate_steps_are_independent():
    # Lag-1 correlation of a p = 0.5 Bernoulli train is ~0 (|r| < 4/sqrt(n)).
    s = encoders.rate([0.5], 40_000, rng=5)[:, 0].astype(float)
    r = np.corrcoef(s[:-1], s[1:])[0, 1]
    assert abs(r) < 4 / np.sqrt(s.size)


@pytest.mark.parametrize("bad", [[-0.1], [1.5], [np.nan]])
def test_rate_rejects_probabilities_outside_unit_interval(bad):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        encoders.rate(bad, 10)


def test_latency_formula_values():
    # n_steps = 11: t = round((1 - x) * 10): x = 1 -> 0, 0.5 -> 5, 0.25 -> 7.5 -> 8 and
    # 0.75 -> 2.5 -> 2 (ties to even), 0.92 -> 0.8 -> 1; x = 0 never fires.
    x = np.array([1.0, 0.5, 0.25, 0.92, 0.75, 0.0])
    spikes = encoders.latency(x, 11)
    assert spikes.shape == (11, 6)
    assert spikes.sum(axis=0).tolist() == [1, 1, 1, 1, 1, 0]
    assert spikes[:, :5].argmax(axis=0).tolist() == [0, 5, 8, 1, 2]


def test_latency_is_monotone_and_respects_threshold():
    x = np.linspace(0, 1, 21)
    spikes = encoders.latency(x, 30, threshold=0.2)
    fired = spikes.any(axis=0)
    assert fired.tolist() == (x > 0.2).tolist()
    first = spikes[:, fired].argmax(axis=0)
    assert np.all(np.diff(first) <= 0)  # larger x, earlier spike


def test_latency_keeps_the_data_shape():
    x = np.array([[1.0, 0.0], [0.5, 0.75]])
    spikes = encoders.latency(x, 5)
    assert spikes.shape == (5, 2, 2)
    assert spikes[0, 0, 0] and spikes[2, 1, 0] and spikes[1, 1, 1] and not spikes[:, 0, 1].any()


def test_delta_on_a_ramp():
    # threshold 0.5, reference starts at 0: ON at t = 2 (0.5) and t = 4 (1.0); the ramp back
    # down reaches 0.5 at t = 6 -> OFF; 0.25 at t = 7 is within threshold of 0.5.
    signal = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 0.75, 0.5, 0.25])
    spikes = encoders.delta(signal, 0.5)
    assert spikes.shape == (8, 2)
    assert np.flatnonzero(spikes[:, 1]).tolist() == [2, 4]  # ON
    assert np.flatnonzero(spikes[:, 0]).tolist() == [6]  # OFF


def test_delta_reference_moves_to_the_signal():
    # A jump of 3 thresholds gives one spike; the reference then sits at the new value.
    signal = np.array([[0.0, 0.0], [3.0, -0.2], [3.5, -1.0], [2.0, -1.0]])
    spikes = encoders.delta(signal, 1.0)
    assert spikes.shape == (4, 2, 2)
    assert spikes[:, 1, 0].tolist() == [0, 1, 0, 0]  # ON, channel 0
    assert spikes[:, 0, 0].tolist() == [0, 0, 0, 1]  # OFF, channel 0
    assert spikes[:, 0, 1].tolist() == [0, 0, 1, 0]  # OFF, channel 1 (-1.0 from 0.0)
    assert not spikes[:, 1, 1].any()


def test_delta_rejects_a_non_positive_threshold():
    with pytest.raises(ValueError, match="threshold"):
        encoders.delta(np.zeros(4), 0.0)


def test_encoded_spikes_feed_a_simulation():
    # latency-coded channels through relays: each output spikes exactly at its input's step.
    x = np.array([1.0, 0.5, 0.0])
    g = ss.Graph()
    g.add("in", ss.Input(3))
    g.add("h", ss.LIF(size=3, alpha=0.0, beta=0.0, v_th=1.0))
    g.connect("in", "h", 2.0 * np.eye(3))
    spikes = ss.compile(g).run(encoders.latency(x, 5)).spikes["h"][:, 0, :]
    assert [np.flatnonzero(spikes[:, n]).tolist() for n in range(3)] == [[0], [2], []]
