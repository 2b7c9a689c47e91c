"""The spiking graph IR: what a network is, independent of how a backend runs it.

Importable without torch, numba or cupy.
"""

from spikesim.ir.graph import Edge, Graph, Node
from spikesim.ir.neurons import IF, LI, LIF, Continuous, Input, Output, Population
from spikesim.ir.projections import Dense, Sparse, latency_range

__all__ = [
    "Graph", "Node", "Edge", "Input", "Output", "Population", "LIF", "LI", "IF", "Continuous",
    "Dense", "Sparse", "latency_range",
]
