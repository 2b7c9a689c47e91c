"""Loihi 2 fixed-point nodes of the IR: integer fields that run bit-exactly as lava-nc's
``fixed_pt`` LIF and Dense/DelayDense (lava-nc 0.10.0, ``proc/lif/models.py``,
``proc/dense/models.py``, ``utils/weightutils.py``).

``dtype="fixed"`` runs these integer fields. Each node also carries an exact *float view* in
the same state units (v and i are Lava's 24-bit ``v`` and ``u``), so a fixed graph also runs
in float64 on any backend, and float and fixed runs of one graph can be compared directly.

One step of a LoihiLIF with delivered activation ``a`` (an integer, see LoihiDense):

    u  <- fold24( sm(u * (4096 - (du + 1))) + (a << 6) )
    v  <- clip( sm(v * (4096 - dv)) + u + (bias_mant << bias_exp),  -(2^23 - 1), 2^23 - 1 )
    s  <- v > (vth_mant << 6) ;  v <- 0 where s          (u is never reset)

with ``sm(p) = sign(p) * (|p| >> 12)`` (sign-magnitude shift, rounds toward zero) and
``fold24(u)`` = ``u - 2^24`` if ``u > 2^23``, ``u + 2^24`` if ``u <= -2^23`` (one fold only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from spikesim.errors import GraphError
from spikesim.ir.integers import whole_numbers
from spikesim.ir.neurons import Population
from spikesim.ir.projections import Dense

DECAY_SHIFT = 12  # du, dv are 12-bit: decays are (4096 - d) / 4096
ACTIVATION_SHIFT = 6  # synaptic input is MSB-aligned into the 24-bit state
VTH_SHIFT = 6
STATE_BITS = 24
STATE_MAX = 2 ** (STATE_BITS - 1)  # 2^23

#: Lava's ``SignMode`` values (``lava.utils.weightutils``).
SIGN_MIXED, SIGN_EXCITATORY, SIGN_INHIBITORY = 1, 2, 3
SIGN_MODES = {SIGN_MIXED: "mixed", SIGN_EXCITATORY: "excitatory", SIGN_INHIBITORY: "inhibitory"}


def _integer(value, lo: int, hi: int, where: str) -> int:
    return int(whole_numbers(value, (), where, lo, hi))


def detect_sign_mode(weight_mant: np.ndarray) -> int:
    """Lava's ``determine_sign_mode``: excitatory if min >= 0 (also all-zero), inhibitory if
    max <= 0, else mixed."""
    if weight_mant.size == 0 or weight_mant.min() >= 0:
        return SIGN_EXCITATORY
    if weight_mant.max() <= 0:
        return SIGN_INHIBITORY
    return SIGN_MIXED


def effective_mantissas(weight_mant: np.ndarray, sign_mode: int, num_weight_bits: int) -> np.ndarray:
    """The weights Lava's fixed-point Dense actually uses: ``clip_weights`` then
    ``truncate_weights``.

    Clip to 8 bits: mixed [-256, 255], excitatory [0, 255], inhibitory [-255, 0]. Then drop
    ``8 - num_weight_bits`` low bits (+1 for mixed) with an arithmetic shift: mixed floors
    (255 -> 254, -255 -> -256), inhibitory truncates the magnitude.
    """
    w = np.asarray(weight_mant, dtype=np.int64)
    mixed = sign_mode == SIGN_MIXED
    if sign_mode == SIGN_INHIBITORY:
        w = -w
    w = np.clip(w, -256 if mixed else 0, 255)
    drop = 8 - num_weight_bits + int(mixed)
    w = (w >> drop) << drop
    return -w if sign_mode == SIGN_INHIBITORY else w


def shift_activation(accumulated: np.ndarray, weight_exp: int) -> np.ndarray:
    """Apply ``weight_exp`` to an accumulated integer sum: ``<< e`` or arithmetic ``>> -e``
    (which floors, also for negative sums)."""
    if weight_exp > 0:
        return np.left_shift(accumulated, weight_exp)
    return np.right_shift(accumulated, -weight_exp)


@dataclass(eq=False)
class LoihiLIF(Population):
    """Loihi 2 CUBA LIF in fixed point (lava ``LIF``, ``fixed_pt``); see the module docstring.

    Integer fields: ``du``, ``dv`` (12-bit decays, 0..4095; the current decays by du + 1),
    ``vth_mant`` (17-bit, compared as ``vth_mant << 6``), ``bias_mant`` (13-bit signed, per
    neuron), ``bias_exp`` (0..7), ``v_init`` (24-bit). Lava holds du, dv and vth per
    population, so they are scalars here. No refractory period; reset to zero.

    Float view (same units as the integer state): alpha = 1 - (du+1)/4096,
    beta = 1 - dv/4096, input_gain = 64, current_gain = 1, bias = bias_mant * 2^bias_exp,
    v_th = 64 * vth_mant.
    """

    du: int = 0
    dv: int = 0
    vth_mant: int = 1
    bias_mant: np.ndarray = 0
    bias_exp: int = 0
    alpha: np.ndarray = field(init=False, default=None)
    beta: np.ndarray = field(init=False, default=None)
    input_gain: np.ndarray = field(init=False, default=None)
    current_gain: np.ndarray = field(init=False, default=None)
    bias: np.ndarray = field(init=False, default=None)
    v_th: np.ndarray = field(init=False, default=None)
    v_reset: np.ndarray = field(init=False, default=None)
    reset: str = field(init=False, default="zero")
    refractory: int = field(init=False, default=0)

    kind: ClassVar[str] = "LoihiLIF"
    spiking: ClassVar[bool] = True

    def __post_init__(self) -> None:
        self.size = int(self.size)
        if self.size <= 0:
            raise GraphError(f"LoihiLIF.size: expected a positive integer, got {self.size}")
        self.du = _integer(self.du, 0, 4095, "LoihiLIF.du")
        self.dv = _integer(self.dv, 0, 4095, "LoihiLIF.dv")
        self.vth_mant = _integer(self.vth_mant, 0, 2**17 - 1, "LoihiLIF.vth_mant")
        self.bias_exp = _integer(self.bias_exp, 0, 7, "LoihiLIF.bias_exp")
        self.bias_mant = whole_numbers(
            self.bias_mant, (self.size,), "LoihiLIF.bias_mant", -4096, 4095
        )
        self.v_init = whole_numbers(
            self.v_init, (self.size,), "LoihiLIF.v_init", -(STATE_MAX - 1), STATE_MAX - 1
        ).astype(np.float64)
        unity = float(2**DECAY_SHIFT)
        self.alpha = 1.0 - (self.du + 1) / unity
        self.beta = 1.0 - self.dv / unity
        self.input_gain = float(2**ACTIVATION_SHIFT)
        self.current_gain = 1.0
        self.bias = (self.bias_mant << self.bias_exp).astype(np.float64)
        self.v_th = float(self.vth_mant << VTH_SHIFT)
        self.v_reset = 0.0
        self.reset, self.refractory = "zero", 0
        super().__post_init__()

    def integer_table(self) -> dict[str, np.ndarray]:
        """The fixed-point parameters as int64 arrays of shape (size,)."""
        n = self.size
        return {
            "du": np.full(n, self.du, np.int64),
            "dv": np.full(n, self.dv, np.int64),
            "vth": np.full(n, self.vth_mant << VTH_SHIFT, np.int64),
            "bias": self.bias_mant << self.bias_exp,
            "v_init": self.v_init.astype(np.int64),
        }


@dataclass(eq=False)
class LoihiDense(Dense):
    """Loihi 2 dense projection in fixed point (lava ``Dense``/``DelayDense``, ``fixed_pt``).

    ``weight_mant`` (out, in) integer mantissas are clipped and truncated as
    :func:`effective_mantissas`; ``sign_mode`` (1 mixed, 2 excitatory, 3 inhibitory) is
    detected from the matrix when not given, as Lava does. Per step and per latency L, the
    target receives ``shift(Σ_j w_ij · out_j[t - L], weight_exp)`` over the synapses of
    latency L (:func:`shift_activation`, floor for negative exponents). ``weight`` is the
    float view ``w_eff * 2^weight_exp``.
    """

    weight: np.ndarray = field(init=False, default=None)
    bias: np.ndarray | None = field(init=False, default=None)
    weight_mant: np.ndarray = None
    weight_exp: int = 0
    num_weight_bits: int = 8
    sign_mode: int | None = None
    kind: ClassVar[str] = "LoihiDense"

    def __post_init__(self) -> None:
        where = f"LoihiDense {self.src}->{self.dst}"
        if self.weight_mant is None:
            raise GraphError(f"{where}.weight_mant: missing (expected an (out, in) integer matrix)")
        shape = np.shape(self.weight_mant)
        if len(shape) != 2:
            raise GraphError(f"{where}.weight_mant: expected a 2-D (out, in) matrix, got shape {shape}")
        self.weight_mant = whole_numbers(
            self.weight_mant, shape, f"{where}.weight_mant", -(2**31), 2**31 - 1
        )
        self.weight_exp = _integer(self.weight_exp, -8, 7, f"{where}.weight_exp")
        if self.sign_mode is None:
            self.sign_mode = detect_sign_mode(self.weight_mant)
        self.sign_mode = _integer(self.sign_mode, 1, 3, f"{where}.sign_mode")
        # Lava drops 8 - bits (+1 if mixed) low bits; a negative count is invalid.
        top = 9 if self.sign_mode == SIGN_MIXED else 8
        self.num_weight_bits = _integer(self.num_weight_bits, 0, top, f"{where}.num_weight_bits")
        self.bias = None
        self.weight = self.effective().astype(np.float64) * 2.0**self.weight_exp
        super().__post_init__()

    def effective(self) -> np.ndarray:
        """(out, in) int64 mantissas after Lava's 8-bit clip and truncation."""
        return effective_mantissas(self.weight_mant, self.sign_mode, self.num_weight_bits)

    def __eq__(self, other: object) -> bool:
        return super().__eq__(other) and all(
            getattr(self, k) == getattr(other, k) for k in ("weight_exp", "num_weight_bits", "sign_mode")
        ) and np.array_equal(self.weight_mant, other.weight_mant)
