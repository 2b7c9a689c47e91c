"""Invalid macro configurations and options give ConfigError naming the field."""

from __future__ import annotations

import numpy as np
import pytest

import spikesim
from spikesim.errors import ConfigError
from spikesim.hardware.rram import MacroConfig


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"g_min_us": 40.0, "g_max_us": 40.0}, "g_min_us: expected < g_max_us"),
        ({"g_min_us": 50.0}, "g_min_us: expected < g_max_us"),
        ({"read_noise_rel": -0.01}, "read_noise_rel"),
        ({"program_sigma_us": -1.0}, "program_sigma_us"),
        ({"verify_read_sigma_us": -0.1}, "verify_read_sigma_us"),
        ({"adc_bits": 0}, "adc_bits"),
        ({"adc_bits": 2.5}, "adc_bits"),
        ({"cols": 511}, "cols: expected an even number"),
        ({"rows": 0}, "rows"),
        ({"levels": 1}, "levels"),
        ({"stuck_on_rate": 0.7, "stuck_off_rate": 0.5}, "stuck_off_rate"),
        ({"random_distribution": "uniform"}, "random_distribution"),
        ({"read_noise_model": "pixel"}, "read_noise_model"),
        ({"drift_t0_s": 0.0}, "drift_t0_s"),
        ({"g_max_us": float("nan")}, "g_max_us"),
    ],
)
def test_invalid_configs_name_the_field(fields, message):
    with pytest.raises(ConfigError, match=message):
        MacroConfig(**fields)


def test_error_message_says_expected_and_found():
    with pytest.raises(ConfigError) as err:
        MacroConfig(g_min_us=45.0)
    assert "45.0" in str(err.value) and "40.0" in str(err.value)


def test_options_from_strings():
    cfg = MacroConfig.from_options({"adc_bits": "none", "read_noise_rel": "0.05", "levels": "8"})
    assert cfg.adc_bits is None and cfg.read_noise_rel == 0.05 and cfg.levels == 8
    with pytest.raises(ConfigError, match="unknown key 'adc_bit'"):
        MacroConfig.from_options({"adc_bit": "4"})
    with pytest.raises(ConfigError, match="expected a number"):
        MacroConfig.from_options({"adc_bits": "four"})


def test_compile_options_are_checked():
    g = spikesim.Graph()
    g.add("in", spikesim.Input(2))
    g.add("p", spikesim.LIF(2))
    g.connect("in", "p", np.eye(2))
    with pytest.raises(ConfigError, match="unknown options"):
        spikesim.compile(g, "rram", adc_bitz=4)
    with pytest.raises(ConfigError, match="adc_bits"):
        spikesim.compile(g, "rram", adc_bits=0)
    with pytest.raises(ConfigError, match="random_edges"):
        spikesim.compile(g, "rram", random_edges=["in->q"])
    sim = spikesim.compile(g, "rram", config="ideal", adc_bits=6)
    assert sim.config.adc_bits == 6 and sim.config.read_noise_rel == 0.0
