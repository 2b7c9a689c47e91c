"""Neuron populations of the IR. They describe; ``backends/`` run them.

Every population stores its **per-step coefficients** (``docs/semantics.md`` §3); these are the
simulation parameters, computed once in float64 by the ``from_tau`` constructors. The continuous
NIR-style parameters are kept beside them (``continuous``) for provenance and export.

One step of a population with input ``x`` (the sum of everything delivered this step):

    i  <- alpha*i + input_gain*x
    v' <- (beta*v + current_gain*i) + bias        (held at v while refractory)
    s  <- v' > v_th                                (spiking populations only)
    v  <- v_reset where s      (reset="zero")   or   v' - v_th where s   (reset="subtract")
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import ClassVar

import numpy as np

from spikesim.errors import GraphError
from spikesim.ir.finite import require_finite

RESET_MODES = ("zero", "subtract")
DISCRETISATIONS = ("exact", "euler")

#: Coefficient fields shared by every population, in the order of ``docs/semantics.md``.
COEFFICIENTS = (
    "alpha",
    "beta",
    "input_gain",
    "current_gain",
    "bias",
    "v_th",
    "v_reset",
    "v_init",
)


def _as_vector(value, size: int, where: str) -> np.ndarray:
    """Broadcast a scalar or (size,) value to a float64 vector, rejecting NaN/inf and bad shapes."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        array = np.full(size, float(array))
    if array.shape != (size,):
        raise GraphError(f"{where}: expected a scalar or shape ({size},), got shape {array.shape}")
    return require_finite(array, where)


@dataclass
class Input:
    """External input of ``size`` channels; its value at step t is the input array at t.

    ``shape`` optionally names the sensor layout flattened in C order, e.g. ``(2, 34, 34)`` for
    (polarity, y, x) of N-MNIST; event inputs are mapped to channels through it.
    """

    size: int
    shape: tuple[int, ...] | None = None
    kind: ClassVar[str] = "Input"

    def __post_init__(self) -> None:
        self.size = int(self.size)
        if self.size <= 0:
            raise GraphError(f"Input.size: expected a positive integer, got {self.size}")
        if self.shape is not None:
            self.shape = tuple(int(s) for s in self.shape)
            if math.prod(self.shape) != self.size:
                raise GraphError(
                    f"Input.shape: product of {self.shape} must equal size {self.size}"
                )


@dataclass
class Output:
    """Marks ``source`` as a network output; results expose it under this node's name."""

    source: str
    kind: ClassVar[str] = "Output"


@dataclass
class Continuous:
    """Continuous-time parameters (NIR convention, seconds) the coefficients were derived from.

    tau_syn * di/dt = -i + w_in * x ;  tau_mem * dv/dt = (v_leak - v) + r * (i + bias).
    ``tau_syn = 0`` means no synaptic current.
    """

    tau_mem: np.ndarray
    tau_syn: np.ndarray
    r: np.ndarray
    v_leak: np.ndarray
    w_in: np.ndarray
    bias: np.ndarray
    dt: float
    method: str


@dataclass
class Population:
    """Base of LIF, LI and IF: per-neuron coefficient vectors of length ``size``."""

    size: int
    alpha: np.ndarray = 0.0
    beta: np.ndarray = 1.0
    input_gain: np.ndarray = 1.0
    current_gain: np.ndarray = 1.0
    bias: np.ndarray = 0.0
    v_th: np.ndarray = 1.0
    v_reset: np.ndarray = 0.0
    v_init: np.ndarray = 0.0
    reset: str = "zero"
    refractory: int = 0
    continuous: Continuous | None = field(default=None, repr=False)

    kind: ClassVar[str] = "Population"
    spiking: ClassVar[bool] = True

    def __post_init__(self) -> None:
        self.size = int(self.size)
        if self.size <= 0:
            raise GraphError(f"{self.kind}.size: expected a positive integer, got {self.size}")
        for name in COEFFICIENTS:
            setattr(self, name, _as_vector(getattr(self, name), self.size, f"{self.kind}.{name}"))
        if self.reset not in RESET_MODES:
            raise GraphError(
                f"{self.kind}.reset: expected one of {RESET_MODES}, got {self.reset!r}"
            )
        self.refractory = int(self.refractory)
        if self.refractory < 0:
            raise GraphError(f"{self.kind}.refractory: expected >= 0 steps, got {self.refractory}")

    def coefficient_table(self) -> dict[str, np.ndarray]:
        """The coefficient vectors by name (float64, shape (size,))."""
        return {name: getattr(self, name) for name in COEFFICIENTS}

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name == "continuous":
                if (a is None) != (b is None):
                    return False
                if a is not None and not _continuous_equal(a, b):
                    return False
            elif isinstance(a, np.ndarray):
                if not np.array_equal(a, b):
                    return False
            elif a != b:
                return False
        return True


def _continuous_equal(a: Continuous, b: Continuous) -> bool:
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            if not np.array_equal(x, y):
                return False
        elif x != y:
            return False
    return True


def discrete_coefficients(
    tau_mem, tau_syn, r, v_leak, w_in, bias, dt: float, method: str, where: str
) -> dict[str, np.ndarray]:
    """Per-step coefficients from continuous parameters (float64), as ``docs/semantics.md`` §4.

    ``exact``: alpha = exp(-dt/tau_syn), beta = exp(-dt/tau_mem), current_gain = r(1-beta),
    bias = (1-beta)(v_leak + r*bias_c). ``euler`` (norse): alpha = 1 - dt/tau_syn,
    beta = 1 - dt/tau_mem, current_gain = r*dt/tau_mem, bias = dt/tau_mem*(v_leak + r*bias_c);
    rejected when dt/tau > 1. ``tau_syn = 0`` gives alpha = 0 (no synaptic current).
    """
    if method not in DISCRETISATIONS:
        raise GraphError(f"{where}.method: expected one of {DISCRETISATIONS}, got {method!r}")
    if not (dt > 0 and math.isfinite(dt)):
        raise GraphError(f"{where}.dt: expected a positive finite time step in s, got {dt}")
    tau_mem = np.asarray(tau_mem, np.float64)
    tau_syn = np.asarray(tau_syn, np.float64)
    if not np.all(np.isfinite(tau_mem)) or np.any(tau_mem <= 0):
        raise GraphError(f"{where}.tau_mem: expected finite > 0 s, got {tau_mem}")
    if np.any(np.isnan(tau_syn)) or np.any(tau_syn < 0) or np.any(np.isinf(tau_syn)):
        raise GraphError(f"{where}.tau_syn: expected finite >= 0 s (0: no current), got {tau_syn}")
    r = np.asarray(r, np.float64)
    drive = np.asarray(v_leak, np.float64) + r * np.asarray(bias, np.float64)
    mem_rate = dt / tau_mem
    syn_rate = np.where(tau_syn > 0, dt / np.where(tau_syn > 0, tau_syn, 1.0), np.inf)
    if method == "exact":
        beta = np.exp(-mem_rate)
        alpha = np.where(tau_syn > 0, np.exp(-syn_rate), 0.0)
        current_gain = r * (1.0 - beta)
        step_bias = (1.0 - beta) * drive
    else:
        if np.any(mem_rate > 1):
            raise GraphError(f"{where}: euler needs dt/tau_mem <= 1, got {mem_rate.max():.4g}")
        if np.any((tau_syn > 0) & (syn_rate > 1)):
            raise GraphError(f"{where}: euler needs dt/tau_syn <= 1 (or tau_syn = 0)")
        beta = 1.0 - mem_rate
        alpha = np.where(tau_syn > 0, 1.0 - syn_rate, 0.0)
        current_gain = r * mem_rate
        step_bias = mem_rate * drive
    return {
        "alpha": alpha,
        "beta": beta,
        "input_gain": np.asarray(w_in, np.float64),
        "current_gain": current_gain,
        "bias": step_bias,
    }


def _from_tau(cls, size, tau_mem, tau_syn, dt, method, r, v_leak, w_in, bias, **rest):
    where = cls.kind
    coeffs = discrete_coefficients(tau_mem, tau_syn, r, v_leak, w_in, bias, dt, method, where)
    continuous = Continuous(
        tau_mem=_as_vector(tau_mem, size, f"{where}.tau_mem"),
        tau_syn=_as_vector(tau_syn, size, f"{where}.tau_syn"),
        r=_as_vector(r, size, f"{where}.r"),
        v_leak=_as_vector(v_leak, size, f"{where}.v_leak"),
        w_in=_as_vector(w_in, size, f"{where}.w_in"),
        bias=_as_vector(bias, size, f"{where}.bias"),
        dt=float(dt),
        method=method,
    )
    return cls(size=size, **coeffs, continuous=continuous, **rest)


@dataclass(eq=False)
class LIF(Population):
    """Current-based leaky integrate-and-fire population (spiking)."""

    kind: ClassVar[str] = "LIF"
    spiking: ClassVar[bool] = True

    @classmethod
    def from_tau(
        cls,
        size: int,
        tau_mem,
        tau_syn=0.0,
        dt: float = 1e-3,
        method: str = "exact",
        *,
        r=1.0,
        v_leak=0.0,
        w_in=1.0,
        bias=0.0,
        v_th=1.0,
        v_reset=0.0,
        v_init=None,
        reset: str = "zero",
        refractory: int = 0,
    ) -> LIF:
        """Build from time constants in seconds (``tau_syn=0``: no synaptic current).

        ``v_init`` defaults to ``v_leak``, as in norse.
        """
        return _from_tau(
            cls, size, tau_mem, tau_syn, dt, method, r, v_leak, w_in, bias,
            v_th=v_th, v_reset=v_reset, v_init=v_leak if v_init is None else v_init,
            reset=reset, refractory=refractory,
        )


@dataclass(eq=False)
class LI(Population):
    """Non-spiking leaky integrator (readout); its output downstream is its membrane v."""

    kind: ClassVar[str] = "LI"
    spiking: ClassVar[bool] = False

    @classmethod
    def from_tau(
        cls,
        size: int,
        tau_mem,
        tau_syn=0.0,
        dt: float = 1e-3,
        method: str = "exact",
        *,
        r=1.0,
        v_leak=0.0,
        w_in=1.0,
        bias=0.0,
        v_init=None,
    ) -> LI:
        """Build from time constants in seconds (``tau_syn=0``: no synaptic current)."""
        return _from_tau(
            cls, size, tau_mem, tau_syn, dt, method, r, v_leak, w_in, bias,
            v_init=v_leak if v_init is None else v_init,
        )


@dataclass(eq=False)
class IF(Population):
    """Integrate-and-fire without leak: v <- v + current_gain*x + bias (beta = 1, alpha = 0)."""

    kind: ClassVar[str] = "IF"
    spiking: ClassVar[bool] = True

    @classmethod
    def from_r(
        cls,
        size: int,
        r=1.0,
        *,
        bias=0.0,
        v_th=1.0,
        v_reset=0.0,
        v_init=0.0,
        reset: str = "zero",
        refractory: int = 0,
    ) -> IF:
        """NIR's IF (dv/dt = R*I) on a step grid: each step adds ``r`` times the input."""
        return cls(
            size=size, alpha=0.0, beta=1.0, input_gain=1.0, current_gain=r, bias=bias,
            v_th=v_th, v_reset=v_reset, v_init=v_init, reset=reset, refractory=refractory,
        )


NEURON_TYPES: dict[str, type[Population]] = {cls.kind: cls for cls in (LIF, LI, IF)}
