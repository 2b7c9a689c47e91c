"""spikesim: one spiking-graph IR with exact semantics, compiled to several backends.

``import spikesim`` loads only numpy and h5py; torch, numba, cupy and lava load on demand.
"""

from spikesim._version import SEMANTICS_VERSION, __version__
from spikesim.compile import compile  # noqa: A004
from spikesim.errors import (
    BackendUnavailableError,
    ConfigError,
    DatasetError,
    FormatError,
    GraphError,
    SpikesimError,
    UnsupportedFeatureError,
)
from spikesim.io.hdf5 import load, save
from spikesim.ir import IF, LI, LIF, Dense, Graph, Input, Output, Sparse
from spikesim.result import Result

__all__ = [
    "__version__", "SEMANTICS_VERSION", "compile", "save", "load", "Graph", "Input", "Output",
    "LIF", "LI", "IF", "Dense", "Sparse", "Result", "SpikesimError", "GraphError", "FormatError",
    "UnsupportedFeatureError", "BackendUnavailableError", "ConfigError", "DatasetError",
]
