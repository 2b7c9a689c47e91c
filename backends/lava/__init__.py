"""The Lava backend: lava-nc 0.10.0's CPU simulation of Loihi 2 (``Loihi2SimCfg``).

lava-nc runs only on Python 3.10, so the simulation runs **out of process** in
``.venv-lava`` (``make lava-env``): the graph is lowered to Lava processes (``lowering.py``),
written with its inputs to one HDF5 file, run by ``runner.py`` there, and read back.
``float64`` runs ``floating_pt``; ``fixed`` runs ``fixed_pt`` on LoihiLIF/LoihiDense graphs.
"""

from __future__ import annotations

from spikesim.capabilities import Capabilities
from spikesim.ir import Graph


def capabilities() -> Capabilities:
    """What Lava's LIF and Dense/DelayDense can reproduce exactly.

    Lava's LIF has no subtract reset, no reset value other than 0, no refractory period (in
    ``LIF``) and no bias on projections; its bias enters v. Dense delivers one step late, so
    every latency is >= 1; DelayDense holds Loihi 2's 6-bit delays (latency <= 64).
    """
    return Capabilities(
        node_types=("Input", "Output", "LIF", "IF", "LoihiLIF"),
        projection_types=("Dense", "Sparse", "LoihiDense"),
        reset_modes=("zero",),
        refractory=False,
        bias_placement=("neuron",),
        graded_input=True,
        min_latency=1,
        max_latency=64,
        precisions=("float64", "fixed"),
        fixed_coefficients=(("v_reset", 0.0),),
    )


def availability() -> tuple[bool, str]:
    """Whether ``.venv-lava`` (or ``$SPIKESIM_LAVA_VENV``) exists and imports lava-nc 0.10.0."""
    from spikesim.backends.lava.environment import probe

    return probe()


def compile(graph: Graph, batch_size=None, dtype="float64", record=None, **options):  # noqa: A001
    """Build a LavaSimulator. Options: ``timeout_s`` (seconds per runner call, default 600)."""
    from spikesim.backends.lava.simulator import LavaSimulator
    from spikesim.errors import GraphError, UnsupportedFeatureError

    unknown = set(options) - {"timeout_s"}
    if unknown:
        raise GraphError(f"lava backend: unknown options {sorted(unknown)} (known: timeout_s)")
    for name, pop in graph.populations():
        if dtype != "fixed" and (pop.current_gain == 0).any():
            raise UnsupportedFeatureError(
                f"backend 'lava' cannot run node {name!r}: field current_gain = 0 "
                "(Lava's u feeds v with gain 1; the gain is folded into the weights)"
            )
    return LavaSimulator(graph, batch_size, dtype, record, **options)
