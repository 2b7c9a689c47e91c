"""Projections (edges) of the IR: weighted connections with per-synapse integer latencies.

A synapse from presynaptic j to postsynaptic i with weight ``w`` and latency ``L`` steps adds
``w * out_j[t - L]`` to the target's input at step t (``docs/semantics.md`` §2). ``L = 0`` acts
within the same step, after the source has been updated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from spikesim.errors import GraphError
from spikesim.ir.finite import require_finite
from spikesim.ir.integers import whole_numbers


@dataclass(eq=False)
class Dense:
    """All-to-all projection: ``weight`` is (out, in); ``delay`` a scalar or (out, in) latency.

    ``bias`` (out,), if given, is added to the target's input every step.
    """

    src: str
    dst: str
    weight: np.ndarray
    bias: np.ndarray | None = None
    delay: np.ndarray = field(default=0)
    kind: ClassVar[str] = "Dense"

    def __post_init__(self) -> None:
        where = f"Dense {self.src}->{self.dst}"
        self.weight = require_finite(np.array(self.weight, dtype=np.float64), f"{where}.weight")
        if self.weight.ndim != 2:
            raise GraphError(f"{where}.weight: expected a 2-D (out, in) matrix, got {self.weight.ndim}-D")
        if self.bias is not None:
            self.bias = require_finite(np.array(self.bias, dtype=np.float64), f"{where}.bias")
            if self.bias.shape != (self.weight.shape[0],):
                raise GraphError(
                    f"{where}.bias: expected shape ({self.weight.shape[0]},), got {self.bias.shape}"
                )
        self.delay = whole_numbers(
            self.delay, self.weight.shape, f"{where}.delay", lo=0, unit="steps"
        )

    @property
    def shape(self) -> tuple[int, int]:
        """(out, in)."""
        return self.weight.shape

    def coo(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(post, pre, weight, delay) of the nonzero synapses, sorted by (post, pre)."""
        post, pre = np.nonzero(self.weight)
        return post, pre, self.weight[post, pre], self.delay[post, pre]

    def dense(self) -> tuple[np.ndarray, np.ndarray]:
        """(weight, delay), both (out, in)."""
        return self.weight, self.delay

    def __eq__(self, other: object) -> bool:
        return _projection_equal(self, other, ("weight", "bias", "delay"))


@dataclass(eq=False)
class Sparse:
    """Sparse projection in COO form (``post``, ``pre``, ``weight``, ``delay`` per synapse).

    ``shape`` is (out, in). Synapses are kept sorted by (post, pre); duplicates are rejected so
    that every backend sums the same terms.
    """

    src: str
    dst: str
    shape: tuple[int, int]
    post: np.ndarray
    pre: np.ndarray
    weight: np.ndarray
    delay: np.ndarray = field(default=0)
    bias: np.ndarray | None = None
    kind: ClassVar[str] = "Sparse"

    def __post_init__(self) -> None:
        where = f"Sparse {self.src}->{self.dst}"
        self.shape = tuple(int(s) for s in self.shape)
        if len(self.shape) != 2 or min(self.shape) <= 0:
            raise GraphError(f"{where}.shape: expected (out, in) with positive sizes, got {self.shape}")
        self.post = np.asarray(self.post, dtype=np.int64).ravel()
        self.pre = np.asarray(self.pre, dtype=np.int64).ravel()
        self.weight = require_finite(np.array(self.weight, dtype=np.float64).ravel(), f"{where}.weight")
        nnz = self.weight.size
        if self.post.size != nnz or self.pre.size != nnz:
            raise GraphError(
                f"{where}: post, pre and weight must have the same length, "
                f"got {self.post.size}, {self.pre.size}, {nnz}"
            )
        if nnz and (self.post.min() < 0 or self.post.max() >= self.shape[0]):
            raise GraphError(f"{where}.post: indices must lie in [0, {self.shape[0]})")
        if nnz and (self.pre.min() < 0 or self.pre.max() >= self.shape[1]):
            raise GraphError(f"{where}.pre: indices must lie in [0, {self.shape[1]})")
        self.delay = whole_numbers(self.delay, (nnz,), f"{where}.delay", lo=0, unit="steps")
        # Sorted by (post, pre), i.e. by post * in + pre. Strictly ascending keys are already
        # sorted and free of duplicates: checking that is O(n), so validating a graph again
        # (every compile does) costs no sort (the lexsort took 2.2 s per 11 M synapses).
        flat = self.post * self.shape[1] + self.pre
        if nnz > 1 and not np.all(flat[1:] > flat[:-1]):
            order = np.argsort(flat)
            flat = flat[order]
            if np.any(flat[1:] == flat[:-1]):
                raise GraphError(f"{where}: duplicate synapses (same post and pre)")
            self.post, self.pre = self.post[order], self.pre[order]
            self.weight, self.delay = self.weight[order], self.delay[order]
        if self.bias is not None:
            self.bias = require_finite(np.array(self.bias, dtype=np.float64), f"{where}.bias")
            if self.bias.shape != (self.shape[0],):
                raise GraphError(f"{where}.bias: expected shape ({self.shape[0]},), got {self.bias.shape}")

    @classmethod
    def from_dense(cls, src: str, dst: str, weight, delay=0, bias=None) -> Sparse:
        """Keep the nonzero entries of a dense (out, in) weight matrix."""
        dense = Dense(src, dst, weight, bias=bias, delay=delay)
        post, pre, w, d = dense.coo()
        return cls(src, dst, dense.shape, post, pre, w, d, bias=dense.bias)

    @property
    def nnz(self) -> int:
        """Number of stored synapses."""
        return int(self.weight.size)

    def coo(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(post, pre, weight, delay), sorted by (post, pre)."""
        return self.post, self.pre, self.weight, self.delay

    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Rows are postsynaptic neurons: (indptr (out+1,), pre, weight, delay)."""
        indptr = np.zeros(self.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.post, minlength=self.shape[0]), out=indptr[1:])
        return indptr, self.pre, self.weight, self.delay

    def dense(self) -> tuple[np.ndarray, np.ndarray]:
        """(weight, delay) as (out, in) matrices; absent synapses have weight 0, delay 0."""
        weight = np.zeros(self.shape)
        delay = np.zeros(self.shape, dtype=np.int64)
        weight[self.post, self.pre] = self.weight
        delay[self.post, self.pre] = self.delay
        return weight, delay

    def __eq__(self, other: object) -> bool:
        return _projection_equal(self, other, ("shape", "post", "pre", "weight", "delay", "bias"))


def _projection_equal(a, b, names) -> bool:
    if type(a) is not type(b) or (a.src, a.dst) != (b.src, b.dst):
        return False
    for name in names:
        x, y = getattr(a, name), getattr(b, name)
        if (x is None) != (y is None):
            return False
        if x is not None and not np.array_equal(x, y):
            return False
    return True


Projection = Dense | Sparse
PROJECTION_TYPES: dict[str, type] = {"Dense": Dense, "Sparse": Sparse}


def latency_range(edge: Dense | Sparse) -> tuple[int, int] | None:
    """(min, max) latency in steps over the synapses with nonzero weight; None if there are none.

    Zero-weight synapses carry nothing, so their latencies neither order the update nor
    constrain which backends can run the edge.
    """
    delay = edge.delay[edge.weight != 0]
    if delay.size == 0:
        return None
    return int(delay.min()), int(delay.max())
