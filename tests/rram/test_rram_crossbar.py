"""The crossbar circuit: IR drop by hand, read-noise models, ADC, error growth with noise."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from spikesim.hardware.rram import MacroConfig
from spikesim.hardware.rram.crossbar import TileCircuit, adc, ir_drop

ALPHA = 1e-3


def test_ir_drop_first_order_by_hand():
    # 2 x 2 physical array, r = 1 kΩ per segment, every cell 100 µS (G·r = 0.1 per segment).
    # Cell (i, c) crosses c + 1 row segments and rows - i = 2 - i column segments.
    cfg = MacroConfig.ideal(rows=2, cols=2, wire_resistance_ohm=1000.0)
    got = ir_drop(np.full((2, 2), 100.0), cfg)
    want = np.array([
        [100 / 1.3, 100 / 1.4],  # (0,0): 1 + 2 = 3 segments; (0,1): 2 + 2 = 4
        [100 / 1.2, 100 / 1.3],  # (1,0): 1 + 1 = 2;          (1,1): 2 + 1 = 3
    ])
    np.testing.assert_allclose(got, want, rtol=1e-15)
    # through a tile: column 0 holds G+ and column 1 G- of the single output
    tile = TileCircuit(np.full((2, 1), 100.0), np.full((2, 1), 100.0), cfg)
    y = tile.mvm(np.array([[1.0, 1.0]]), None)
    assert y[0, 0] == pytest.approx(100 / 1.3 - 100 / 1.4 + 100 / 1.2 - 100 / 1.3, rel=1e-14)


def test_adc_quantises_and_clips():
    y = np.array([0.3, 0.9, -2.0, -0.12, 0.0])
    # 3 bits over ±1: step 0.25, codes -4..3
    np.testing.assert_allclose(adc(y, 1.0, 3), [0.25, 0.75, -1.0, -0.0, 0.0])
    assert np.array_equal(adc(y, 1.0, None), y)


def test_adc_full_scale_is_the_worst_binary_column_current():
    cfg = MacroConfig.ideal(adc_bits=4, adc_range=0.5)
    g_pos = np.array([[10.0, 2.0], [6.0, 2.0]])
    g_neg = np.array([[2.0, 30.0], [2.0, 2.0]])
    tile = TileCircuit(g_pos, g_neg, cfg)
    # column 0: positive sum 8 + 4 = 12; column 1: negative sum 28 -> worst 28, range 0.5 -> 14
    assert tile.full_scale == pytest.approx(14.0)


def _noisy_tile(model, rel=0.05, rows=16, cols=8, seed=0):
    r = np.random.default_rng(seed)
    cfg = MacroConfig.ideal(read_noise_rel=rel, read_noise_abs_us=0.3, read_noise_model=model)
    return TileCircuit(r.uniform(2, 40, (rows, cols)), r.uniform(2, 40, (rows, cols)), cfg)


@pytest.mark.parametrize("levels", [[0.0, 1.0], [0.0, 1.0, 0.5, 2.0]], ids=["spikes", "graded"])
def test_column_level_read_noise_equals_cell_level_in_distribution(levels):
    x = np.random.default_rng(9).choice(levels, size=16)
    column, cell = _noisy_tile("column"), _noisy_tile("cell")
    sd = np.sqrt((x * x) @ column.variance)  # N(0, Σ x_i² (σ+_ij² + σ-_ij²)) per column
    clean = x @ column.diff
    z_col = (column.mvm(np.tile(x, (20_000, 1)), np.random.default_rng(1)) - clean) / sd
    z_cell = (cell.mvm(np.tile(x, (3_000, 1)), np.random.default_rng(2)) - clean) / sd
    for j in range(x.size // 2):
        assert stats.kstest(z_col[:, j], "norm").pvalue > ALPHA
        assert stats.kstest(z_cell[:, j], "norm").pvalue > ALPHA
        assert stats.ks_2samp(z_col[:, j], z_cell[:, j]).pvalue > ALPHA
    # different columns are independent
    assert abs(np.corrcoef(z_col[:, 0], z_col[:, 1])[0, 1]) < 0.05


def test_read_noise_is_fresh_every_read():
    tile = _noisy_tile("column")
    x = np.ones((1, 16))
    r = np.random.default_rng(3)
    assert not np.array_equal(tile.mvm(x, r), tile.mvm(x, r))


def test_mvm_error_grows_with_configured_noise():
    x = (np.random.default_rng(4).random((4000, 16)) < 0.5).astype(float)
    errors = []
    for rel in (0.005, 0.01, 0.02, 0.04):
        tile = _noisy_tile("column", rel=rel)
        tile_clean_diff = tile.diff
        y = tile.mvm(x, np.random.default_rng(5))
        errors.append(np.sqrt(np.mean((y - x @ tile_clean_diff) ** 2)))
    assert all(a < b for a, b in zip(errors, errors[1:]))


def test_adc_error_shrinks_with_bits():
    r = np.random.default_rng(6)
    g_pos, g_neg = r.uniform(2, 40, (64, 8)), r.uniform(2, 40, (64, 8))
    x = (r.random((500, 64)) < 0.3).astype(float)
    errors = []
    for bits in (2, 4, 6, 8, 10):
        tile = TileCircuit(g_pos, g_neg, MacroConfig.ideal(adc_bits=bits))
        errors.append(np.abs(tile.mvm(x, None) - x @ tile.diff).max())
    assert all(a > b for a, b in zip(errors, errors[1:]))
    # within range, the error is at most half an ADC step
    assert errors[-1] <= tile.full_scale / 2**9 / 2 + 1e-12
