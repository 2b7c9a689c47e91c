"""The conformance harness: random graphs every backend must simulate like the reference.

``generate_case(caps, seed)`` draws a random valid graph that a backend with capabilities
``caps`` supports, plus inputs; ``cases(caps)`` wraps it as a hypothesis strategy (the
``hypothesis`` package is needed only for that). ``assert_conforms`` runs a backend and the
reference and applies the policy of ``docs/semantics.md`` §7.
"""

from spikesim.conformance.check import (
    FLOAT_POLICY,
    ConformancePolicy,
    assert_conforms,
    compare_results,
    threshold_margin,
)
from spikesim.conformance.generate import Case, generate_case, generate_cases

__all__ = [
    "Case", "generate_case", "generate_cases", "cases", "assert_conforms", "compare_results",
    "threshold_margin", "ConformancePolicy", "FLOAT_POLICY",
]


def cases(caps, **kwargs):
    """Hypothesis strategy of margin-respecting :class:`Case` objects for ``caps``."""
    from spikesim.conformance.strategies import cases as _cases

    return _cases(caps, **kwargs)
