"""Hypothesis strategies over :func:`generate_case` (imports hypothesis; tests only)."""

from __future__ import annotations

from hypothesis import strategies as st

from spikesim.capabilities import Capabilities
from spikesim.conformance.check import FLOAT_POLICY, threshold_margin
from spikesim.conformance.generate import Case, generate_case


def cases(caps: Capabilities, check_margin: bool = True, **kwargs) -> st.SearchStrategy[Case]:
    """Cases for ``caps``; with ``check_margin`` draws violating the float margin are rejected."""
    strategy = st.integers(min_value=0, max_value=2**31 - 1).map(lambda s: generate_case(caps, s, **kwargs))
    if check_margin:
        strategy = strategy.filter(
            lambda c: FLOAT_POLICY.margin_ok(c.graph, threshold_margin(c.graph, c.inputs))
        )
    return strategy
