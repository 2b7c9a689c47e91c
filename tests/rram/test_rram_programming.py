"""Generated conductances against analytically known distributions (KS tests, moments)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from spikesim.hardware.rram import MacroConfig
from spikesim.hardware.rram.programming import (
    apply_drift,
    apply_stuck,
    quantise_levels,
    single_pulse,
    single_pulse_moments,
    write_verify,
)

ALPHA = 1e-3  # KS p-value below which a test fails: a seeded draw, so failures are real


def rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("mean,sigma", [(20.0, 6.0), (8.0, 10.0)])
def test_single_pulse_normal_matches_truncated_normal(mean, sigma):
    cfg = MacroConfig(random_mean_us=mean, random_sigma_us=sigma)
    g = single_pulse((40_000,), cfg, rng(1))
    assert g.min() >= cfg.g_min_us and g.max() <= cfg.g_max_us
    a, b = (cfg.g_min_us - mean) / sigma, (cfg.g_max_us - mean) / sigma
    law = stats.truncnorm(a, b, loc=mean, scale=sigma)
    assert stats.kstest(g, law.cdf).pvalue > ALPHA
    se = law.std() / np.sqrt(g.size)
    assert abs(g.mean() - law.mean()) < 5 * se
    assert abs(g.std() - law.std()) < 0.02 * law.std()
    # the scale of random weights uses these moments: check them against scipy's closed form
    m, s = single_pulse_moments(cfg)
    assert m == pytest.approx(law.mean(), rel=1e-6) and s == pytest.approx(law.std(), rel=1e-5)


def test_single_pulse_lognormal_matches_truncated_lognormal():
    cfg = MacroConfig(random_distribution="lognormal", random_mean_us=12.0, random_sigma_us=8.0)
    g = single_pulse((40_000,), cfg, rng(2))
    s2 = np.log(1 + (8.0 / 12.0) ** 2)
    base = stats.lognorm(np.sqrt(s2), scale=np.exp(np.log(12.0) - s2 / 2))
    lo, hi = base.cdf(cfg.g_min_us), base.cdf(cfg.g_max_us)
    assert g.min() >= cfg.g_min_us and g.max() <= cfg.g_max_us
    assert stats.kstest(g, lambda x: (base.cdf(x) - lo) / (hi - lo)).pvalue > ALPHA
    m, s = single_pulse_moments(cfg)
    assert abs(g.mean() - m) < 5 * s / np.sqrt(g.size)


def _wv_config(verify_sigma):
    return MacroConfig(program_sigma_us=2.0, program_sigma_rel=0.0, verify_tolerance_us=1.0,
                       verify_read_sigma_us=verify_sigma, max_pulses=500)


def test_write_verify_with_exact_verify_gives_truncated_normal_and_geometric_pulses():
    cfg = _wv_config(0.0)
    target = np.full(50_000, 20.0)
    done = write_verify(target, cfg, rng(3))
    assert done.verified.all()
    residual = done.g - target
    law = stats.truncnorm(-0.5, 0.5, scale=2.0)  # ±tol/σp
    assert np.abs(residual).max() <= 1.0
    assert stats.kstest(residual, law.cdf).pvalue > ALPHA
    assert residual.std() == pytest.approx(law.std(), rel=0.02)
    p = 2 * stats.norm.cdf(0.5) - 1  # a pulse is accepted with probability P(|N(0, σp)| <= tol)
    se = np.sqrt(1 - p) / p / np.sqrt(target.size)
    assert abs(done.pulses.mean() - 1 / p) < 5 * se


def test_write_verify_with_noisy_verify_matches_analytic_law():
    sp, sv, tol = 2.0, 0.5, 1.0
    cfg = _wv_config(sv)
    target = np.full(50_000, 20.0)
    done = write_verify(target, cfg, rng(4))
    residual = done.g - target

    def density(r):
        return stats.norm.pdf(r, scale=sp) * (stats.norm.cdf((tol - r) / sv) - stats.norm.cdf((-tol - r) / sv))

    # the CDF tabulated by integrating the density on a fine grid (beyond ±(tol + 8σv) it is 0)
    grid = np.linspace(-tol - 8 * sv, tol + 8 * sv, 40_001)
    table = integrate.cumulative_trapezoid(density(grid), grid, initial=0.0)

    def cdf(x):
        return np.interp(x, grid, table / table[-1])

    # a noisy verify passes cells outside the tolerance, and the emergent σ exceeds the exact-verify one
    assert np.abs(residual).max() > tol
    assert stats.kstest(residual, cdf).pvalue > ALPHA
    p = 2 * stats.norm.cdf(tol / np.hypot(sp, sv)) - 1
    se = np.sqrt(1 - p) / p / np.sqrt(target.size)
    assert abs(done.pulses.mean() - 1 / p) < 5 * se


def test_write_verify_gives_up_after_max_pulses():
    cfg = MacroConfig(program_sigma_us=5.0, verify_tolerance_us=0.01, verify_read_sigma_us=0.0, max_pulses=3)
    done = write_verify(np.full(1000, 20.0), cfg, rng(5))
    assert done.pulses.max() == 3 and (~done.verified).sum() > 900


def test_levels_quantise_to_the_grid():
    cfg = MacroConfig(levels=5, g_min_us=0.0, g_max_us=40.0)
    np.testing.assert_array_equal(quantise_levels(np.array([0.0, 4.9, 5.1, 29.0, 41.0]), cfg),
                                  [0.0, 0.0, 10.0, 30.0, 40.0])


def test_stuck_rates_are_binomial():
    cfg = MacroConfig(stuck_on_rate=0.02, stuck_off_rate=0.05)
    g, fault = apply_stuck(np.full(200_000, 20.0), cfg, rng(6))
    for code, rate, level in ((1, 0.02, cfg.g_max_us), (-1, 0.05, cfg.g_min_us)):
        n = (fault == code).sum()
        assert abs(n - rate * g.size) < 5 * np.sqrt(g.size * rate * (1 - rate))
        assert np.all(g[fault == code] == level)
    assert np.all(g[fault == 0] == 20.0)


def test_drift_is_a_power_law():
    g0 = np.linspace(5, 40, 100)
    cfg = MacroConfig(drift_time_s=1e4, drift_t0_s=10.0, drift_nu_mean=0.03, drift_nu_sigma=0.0)
    np.testing.assert_allclose(apply_drift(g0, cfg, rng(7)), g0 * 1e3 ** -0.03, rtol=1e-13)
    assert np.array_equal(apply_drift(g0, MacroConfig(drift_time_s=5.0, drift_t0_s=10.0), rng(7)), g0)
    # with spread: the exponent nu = -ln(G/G0)/ln(t/t0) follows N(nu_mean, nu_sigma)
    cfg = MacroConfig(drift_time_s=1e6, drift_t0_s=1.0, drift_nu_mean=0.05, drift_nu_sigma=0.005)
    g = apply_drift(np.full(20_000, 30.0), cfg, rng(8))
    nu = -np.log(g / 30.0) / np.log(1e6)
    assert stats.kstest(nu, stats.norm(0.05, 0.005).cdf).pvalue > ALPHA
