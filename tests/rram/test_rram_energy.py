"""Energy and latency accounting against a count done by hand on a 2 x 2 example."""

from __future__ import annotations

import numpy as np
import pytest

import spikesim
from spikesim.hardware.rram import MacroConfig

# V_read 0.2 V, t_read 10 ns, ADC 10 fJ x 2^8 = 2.56 pJ, drivers 0.004 pJ, adds 0.1 pJ,
# FIFO 0.16 pJ/bit, 2 read + 1 ADC cycles per tile read, 200 MHz.
CFG = MacroConfig.ideal(g_min_us=2.0, g_max_us=40.0, v_read=0.2, t_read_ns=10.0, adc_fom_fj=10.0,
                        driver_pj=0.004, accumulate_pj=0.1, fifo_pj_per_bit=0.16, read_cycles=2,
                        adc_cycles=1, adcs_per_macro=64, clock_mhz=200.0)


def _tiny(delay):
    g = spikesim.Graph()
    g.add("in", spikesim.Input(2))
    g.add("p", spikesim.LIF(2, v_th=100.0))
    # (out, in); max|w| = 1 -> scale 38 µS per unit weight
    g.connect("in", "p", [[0.5, -1.0], [0.0, 0.25]], delay=delay)
    return g


X = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])[:, None, :]  # T=3, B=1


def test_energy_by_hand_without_delay():
    result = spikesim.compile(_tiny(0), "rram", config=CFG).run(X)
    e = result.hardware.layers["in->p"]
    # Crossbar rows are inputs. Input 0 holds w=0.5 -> (21, 2) and w=0 -> (2, 2): 27 µS.
    # Input 1 holds w=-1 -> (2, 40) and w=0.25 -> (11.5, 2): 55.5 µS.
    # Pulses: step 0 row 0; step 1 rows 0 and 1 -> 27 + 27 + 55.5 = 109.5 µS x V² t.
    assert e.array_pj == pytest.approx(0.2**2 * 10.0 * 109.5 * 1e-3)  # V²·µS·ns = fJ
    assert e.pulses == 3 and e.driver_pj == pytest.approx(3 * 0.004)
    # the tile is read at steps 0 and 1 (step 2 has no pulse): 2 reads x 2 column pairs
    assert e.tile_reads == 2 and e.conversions == 4
    assert e.adc_pj == pytest.approx(4 * 2.56)
    assert e.accumulate_pj == pytest.approx(4 * 0.1)
    assert e.fifo_pj == 0.0
    # each read: 2 read cycles + ceil(2 pairs / 64 ADCs) x 1 conversion cycle; one partial sum
    assert e.cycles == 2 * 3
    report = result.hardware
    assert report.latency_ns_per_step == pytest.approx(6 / 3 * 5.0)  # 5 ns per cycle
    assert report.energy_per_sample_pj == pytest.approx(e.total_pj)
    assert e.total_pj == pytest.approx(e.array_pj + e.adc_pj + e.driver_pj + e.accumulate_pj)


def test_fifo_bits_by_hand_with_delay():
    result = spikesim.compile(_tiny(2), "rram", config=CFG).run(X)
    e = result.hardware.layers["in->p"]
    # every step 2 spike bits enter the FIFO and 2 leave it for the delay-2 slice
    assert e.fifo_pj == pytest.approx(3 * (2 + 2) * 0.16)
    # the delayed inputs arrive at steps 2 and 3: only step 2 is within the run
    assert e.pulses == 1 and e.tile_reads == 1
    assert result.hardware.slices["in->p"][2].fifo_pj == pytest.approx(e.fifo_pj)


def test_energy_scales_with_batch_and_graded_inputs_cost_x_squared():
    sim = spikesim.compile(_tiny(0), "rram", config=CFG)
    one = sim.run(X).hardware.layers["in->p"]
    two = sim.run(np.concatenate([X, 2 * X], axis=1)).hardware.layers["in->p"]
    assert two.array_pj == pytest.approx(one.array_pj * (1 + 4))
    assert two.adc_pj == pytest.approx(2 * one.adc_pj)


def test_report_serialises():
    report = spikesim.compile(_tiny(0), "rram", config=CFG).run(X).hardware
    d = report.as_dict()
    assert d["layers"]["in->p"]["adc_pj"] == pytest.approx(4 * 2.56)
    assert "in->p" in report.summary()
