"""Shared fixtures of the Lava tests: the Lava-environment skip and the fixed-point rule cases.

Each rule case is a tiny LoihiLIF/LoihiDense graph with a hand-computed answer for one rule of
``spikesim.ir.fixed`` (lava-nc 0.10.0 ``fixed_pt``); the reference and Lava must both give it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from spikesim.ir import Graph, Input
from spikesim.ir.fixed import LoihiDense, LoihiLIF

REAL_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def real_file():
    """``real_file(name)``: a file of ../shared/data/real, or skip when it is absent."""

    def locate(name: str) -> Path:
        path = REAL_DATA / name
        if not path.exists():
            pytest.skip(f"real sample file {path} is absent")
        return path

    return locate


@pytest.fixture(scope="session")
def lava_env():
    """Skip unless .venv-lava (or $SPIKESIM_LAVA_VENV) holds a working lava-nc 0.10.0."""
    from spikesim.backends.lava import availability

    usable, reason = availability()
    if not usable:
        pytest.skip(f"Lava environment not usable: {reason}")
    return reason


@dataclass
class RuleCase:
    """A rule, its graph and inputs, and the expected {(population, var): [T, N] for sample 0}."""

    rule: str
    graph: Graph
    inputs: np.ndarray
    expected: dict[tuple[str, str], np.ndarray]

    @property
    def record(self) -> dict[str, list[str]]:
        rec: dict[str, list[str]] = {}
        for pop, var in self.expected:
            rec.setdefault(pop, []).append(var)
        return rec


def _single(rule, n_in, weights, inputs, expected, weight_exp=0, latency=1, **lif) -> RuleCase:
    g = Graph()
    g.add("in", Input(n_in))
    g.add("p", LoihiLIF(len(weights), **lif))
    g.add_edge(LoihiDense("in", "p", weight_mant=np.asarray(weights), weight_exp=weight_exp, delay=latency))
    return RuleCase(rule, g.validate(), np.asarray(inputs, np.float64)[:, None, :], expected)


def fixed_rule_cases() -> list[RuleCase]:
    """One case per rule; u (``i``) and v are Lava's integer state (activation << 6)."""
    fresh = dict(du=4095, dv=4095, vth_mant=131071)  # u = a_in << 6 each step, v ~ u
    eye4 = np.eye(4, dtype=np.int64)
    spike_all = [[1, 1, 1, 1], [0, 0, 0, 0]]
    cases = [
        # Mixed-sign matrix: clip to [-256, 255], then floor off the LSB: 255 -> 254, -255 -> -256.
        _single("mixed clip and LSB floor", 4, eye4 * [255, -255, 3, -3], spike_all,
                {("p", "i"): np.array([[0, 0, 0, 0], [254 * 64, -256 * 64, 2 * 64, -4 * 64]])}, **fresh),
        # Excitatory matrix: clip to [0, 255] and keep the LSB (sign mode detected per matrix).
        _single("excitatory clip", 4, eye4 * [300, 255, 3, 1], spike_all,
                {("p", "i"): np.array([[0, 0, 0, 0], [255 * 64, 255 * 64, 3 * 64, 64]])}, **fresh),
        # weight_exp = -2 shifts the accumulated sum arithmetically: 2 >> 2 = 0, -2 >> 2 = -1.
        _single("weight_exp floors", 2, [[2, 0], [0, -2]], [[1, 1], [0, 0]],
                {("p", "i"): np.array([[0, 0], [0, -64]])}, weight_exp=-2, **fresh),
        # Current decays by du + 1 as sign-magnitude >> 12: -192 * 3073 / 4096 = -144.04 -> -144.
        _single("current decay du+1, toward zero", 1, [[-3]], [[1], [0], [0]],
                {("p", "i"): np.array([[0], [-192], [-144]])}, du=1022, dv=4095, vth_mant=10),
        # Voltage decays by dv, toward zero: -1001 * 2048 / 4096 = -500.5 -> -500 (not -501).
        _single("voltage decay dv, toward zero", 1, [[0]], [[0], [0]],
                {("p", "v"): np.array([[-500], [-250]])}, du=0, dv=2048, vth_mant=10, v_init=-1001),
        # u folds once beyond 2^23: 2^23 + 64 -> -2^23 + 64; exactly 2^23 stays; -2^23 -> +2^23.
        _single("u wraps once", 1, [[1]], [[0], [131073], [131072]],
                {("p", "i"): np.array([[0], [0], [8388672 - 2**24]])}, **fresh),
        _single("u at +2^23 kept", 1, [[1]], [[131072], [0]],
                {("p", "i"): np.array([[0], [2**23]])}, **fresh),
        _single("u at -2^23 folds", 1, [[-1]], [[131072], [0]],
                {("p", "i"): np.array([[0], [2**23]])}, **fresh),
        # v is clipped to -(2^23 - 1): u = -131071 << 6 plus bias -4096 << 7.
        _single("v clips", 1, [[-1]], [[131071], [0]],
                {("p", "v"): np.array([[-524288], [-8388607]])},
                du=4095, dv=4095, vth_mant=10, bias_mant=-4096, bias_exp=7),
        # Spike when v > vth << 6 (64 is not > 64); only v resets, u (du = 0: barely decays) stays.
        _single("threshold strict, only v resets", 1, [[1]], [[1], [2], [0], [0]],
                {("p", "spikes"): np.array([[0], [0], [1], [1]]), ("p", "i"): np.array([[0], [64], [191], [190]]),
                 ("p", "v"): np.array([[0], [64], [0], [0]])}, du=0, dv=4095, vth_mant=1),
        # Latency L maps to Lava delay L - 1: a spike at t = 0 over latency 3 lands at t = 3.
        _single("latency 3", 1, [[5]], [[1], [0], [0], [0], [0]],
                {("p", "i"): np.array([[0], [0], [0], [320], [0]])}, latency=3, **fresh),
    ]
    return cases


@pytest.fixture(scope="session")
def rule_cases() -> list[RuleCase]:
    return fixed_rule_cases()
