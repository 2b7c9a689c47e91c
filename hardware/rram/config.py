"""The macro's parameters: one documented dataclass, validated on construction.

Defaults describe a 40 nm, 256 Kb (512 x 512) 1T1R RRAM in-memory-compute macro, the class of
chip in Lin et al., Nat. Comput. Sci. 2025 (papers.md §5). Its body was not accessible, so the
device numbers come from the published characterisations named beside each field and in
``docs/rram.md``. Conductances are in µS, times in ns or s (as named), energies in pJ.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from spikesim.errors import ConfigError

DISTRIBUTIONS = ("normal", "lognormal")
READ_NOISE_MODELS = ("column", "cell")


@dataclass(frozen=True)
class MacroConfig:
    """One RRAM macro and its periphery. ``MacroConfig.ideal()`` switches every non-ideality off."""

    # -- array geometry (256 Kb = 512 x 512 cells; a weight uses a differential column pair) --
    rows: int = 512
    cols: int = 512
    # -- conductance window, µS (G_max: reference of aihwkit's fit to Wan et al., Nature 2022) --
    g_min_us: float = 2.0
    g_max_us: float = 40.0
    #: Distinct programmable levels per cell (None: analog targets). 16 levels = 4 bits/cell.
    levels: int | None = 16
    # -- write-verify: each pulse lands at target + N(0, σ), σ = abs + rel * target (µS);
    #    tuned so the emergent residual (0.4-0.9 µS) is within Wan 2022's 0.35-2 µS spread --
    program_sigma_us: float = 2.0
    program_sigma_rel: float = 0.05
    verify_tolerance_us: float = 1.5
    verify_read_sigma_us: float = 0.2
    max_pulses: int = 20
    # -- one unverified SET pulse: the random conductance used for random (reservoir) weights;
    #    UNVERIFIED placeholder, replace with a measured single-pulse histogram --
    random_distribution: str = "normal"
    random_mean_us: float = 20.0
    random_sigma_us: float = 6.0
    # -- read noise, freshly sampled every read: σ = abs + rel * G (µS); ~1 % as aihwkit's
    #    ReRAM noise models recommend --
    read_noise_rel: float = 0.01
    read_noise_abs_us: float = 0.0
    #: "column": sample the summed column noise N(0, Σ x_i² σ_i²); "cell": every cell (slow).
    read_noise_model: str = "column"
    # -- conductance drift G(t) = G0 (t / t0)^-nu, nu ~ N(nu_mean, nu_sigma) per cell;
    #    nu is an UNVERIFIED placeholder (RRAM drifts far less than PCM's ~0.05) --
    drift_time_s: float = 0.0
    drift_t0_s: float = 1.0
    drift_nu_mean: float = 0.01
    drift_nu_sigma: float = 0.005
    # -- stuck-at faults (fraction of cells stuck at G_max / at G_min); 0 = repaired macro --
    stuck_on_rate: float = 0.0
    stuck_off_rate: float = 0.0
    # -- first-order IR drop: wire resistance of one cell-to-cell segment, Ω (aihwkit default) --
    wire_resistance_ohm: float = 0.35
    # -- input drivers and read timing --
    v_read: float = 0.2
    t_read_ns: float = 10.0
    # -- column ADC: signed, on the differential current; full scale = adc_range x worst case --
    adc_bits: int | None = 8
    adc_range: float = 1.0
    adcs_per_macro: int = 64
    clock_mhz: float = 200.0
    read_cycles: int = 2
    adc_cycles: int = 1
    # -- energy: ADC Walden FOM (Murmann survey), adds and SRAM bits (Horowitz ISSCC 2014,
    #    45 nm), driver C·V² estimate (40 nm); details in docs/rram.md --
    adc_fom_fj: float = 10.0
    driver_pj: float = 0.004
    accumulate_pj: float = 0.1
    fifo_pj_per_bit: float = 0.16
    graded_bits: int = 8

    def __post_init__(self) -> None:
        _validate(self)

    @classmethod
    def ideal(cls, **overrides: Any) -> MacroConfig:
        """No programming, read or verify noise, no drift, faults or IR drop, analog levels and
        ideal ADCs: the macro then computes (G+ - G-)/scale = W exactly up to float rounding."""
        base = dict(
            levels=None, program_sigma_us=0.0, program_sigma_rel=0.0, verify_read_sigma_us=0.0,
            read_noise_rel=0.0, read_noise_abs_us=0.0, drift_time_s=0.0, stuck_on_rate=0.0,
            stuck_off_rate=0.0, wire_resistance_ohm=0.0, adc_bits=None,
        )
        base.update(overrides)
        return cls(**base)

    @classmethod
    def from_options(cls, options: dict[str, Any], base: MacroConfig | None = None,
                     where: str = "rram options") -> MacroConfig:
        """``base`` (default: the default macro) with ``options`` applied; string values (from
        the command line) are parsed by field type, and "none" means None."""
        known = {f.name: f for f in fields(cls)}
        parsed = {}
        for key, value in options.items():
            if key not in known:
                raise ConfigError(f"{where}: unknown key {key!r}; known keys: {', '.join(known)}")
            parsed[key] = _parse(key, value, known[key].type, where)
        return replace(base or cls(), **parsed)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (stored in exported maps)."""
        return asdict(self)

    @property
    def pairs(self) -> int:
        """Weights (differential column pairs) per macro row."""
        return self.cols // 2

    def adc_energy_pj(self) -> float:
        """Energy of one conversion, pJ: Walden figure of merit x 2^bits (8 bits if ideal)."""
        bits = 8 if self.adc_bits is None else self.adc_bits
        return self.adc_fom_fj * 2.0**bits * 1e-3

    def is_ideal(self) -> bool:
        """True when the macro computes the weights exactly."""
        return self == MacroConfig.ideal(**{k: getattr(self, k) for k in _NEUTRAL})


#: Fields that never change what the macro computes (geometry, timing, energy, distributions).
_NEUTRAL = (
    "rows", "cols", "g_min_us", "g_max_us", "verify_tolerance_us", "max_pulses",
    "random_distribution", "random_mean_us", "random_sigma_us", "read_noise_model",
    "drift_t0_s", "drift_nu_mean", "drift_nu_sigma", "v_read", "t_read_ns", "adc_range",
    "adcs_per_macro", "clock_mhz", "read_cycles", "adc_cycles", "adc_fom_fj", "driver_pj",
    "accumulate_pj", "fifo_pj_per_bit", "graded_bits",
)


def _parse(key: str, value: Any, annotation: str, where: str) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if "None" in annotation and text.lower() == "none":
        return None
    try:
        if annotation.startswith("int"):
            return int(text)
        if annotation.startswith("float"):
            return float(text)
    except ValueError:
        raise ConfigError(f"{where}: {key}={value!r}: expected a number") from None
    return text


def _validate(c: MacroConfig) -> None:
    def fail(name: str, expected: str) -> None:
        raise ConfigError(f"MacroConfig.{name}: expected {expected}, found {getattr(c, name)!r}")

    for name in ("rows", "cols", "max_pulses", "adcs_per_macro", "read_cycles", "graded_bits"):
        value = getattr(c, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            fail(name, "a positive integer")
    if c.cols % 2:
        fail("cols", "an even number (weights use differential column pairs)")
    if not isinstance(c.adc_cycles, int) or c.adc_cycles < 0:
        fail("adc_cycles", "an integer >= 0")
    finite = [f.name for f in fields(c) if f.type.startswith("float")]
    for name in finite:
        value = getattr(c, name)
        if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value)):
            fail(name, "a finite number")
    if c.g_min_us < 0:
        fail("g_min_us", "a conductance >= 0 µS")
    if c.g_min_us >= c.g_max_us:
        raise ConfigError(
            f"MacroConfig.g_min_us: expected < g_max_us ({c.g_max_us} µS), found {c.g_min_us} µS"
        )
    if c.levels is not None and (not isinstance(c.levels, int) or c.levels < 2):
        fail("levels", "None (analog) or an integer >= 2")
    for name in ("program_sigma_us", "program_sigma_rel", "verify_tolerance_us",
                 "verify_read_sigma_us", "read_noise_rel", "read_noise_abs_us", "drift_time_s",
                 "drift_nu_sigma", "wire_resistance_ohm", "adc_fom_fj", "driver_pj",
                 "accumulate_pj", "fifo_pj_per_bit"):
        if getattr(c, name) < 0:
            fail(name, "a value >= 0 (noise and energies cannot be negative)")
    for name in ("random_sigma_us", "drift_t0_s", "v_read", "t_read_ns", "adc_range", "clock_mhz"):
        if getattr(c, name) <= 0:
            fail(name, "a value > 0")
    if c.random_distribution not in DISTRIBUTIONS:
        fail("random_distribution", f"one of {DISTRIBUTIONS}")
    if not c.g_min_us <= c.random_mean_us <= c.g_max_us:
        fail("random_mean_us", f"a mean within [g_min_us, g_max_us] = [{c.g_min_us}, {c.g_max_us}]")
    if c.random_distribution == "lognormal" and c.g_min_us <= 0:
        fail("g_min_us", "> 0 for a lognormal single-pulse distribution")
    if c.read_noise_model not in READ_NOISE_MODELS:
        fail("read_noise_model", f"one of {READ_NOISE_MODELS}")
    for name in ("stuck_on_rate", "stuck_off_rate"):
        if not 0.0 <= getattr(c, name) <= 1.0:
            fail(name, "a fraction in [0, 1]")
    if c.stuck_on_rate + c.stuck_off_rate > 1.0:
        fail("stuck_off_rate", f"stuck_on_rate + stuck_off_rate <= 1 (stuck_on_rate={c.stuck_on_rate})")
    if c.adc_bits is not None and (not isinstance(c.adc_bits, int) or isinstance(c.adc_bits, bool)
                                   or not 1 <= c.adc_bits <= 24):
        fail("adc_bits", "None (ideal ADC) or an integer number of bits in [1, 24]")
