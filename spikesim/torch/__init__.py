"""Training spiking networks in torch: multi-step LIF/LI, learnable delays (DCLS), IR export.

Imports torch; ``import spikesim`` never imports this package.

    from spikesim.torch import DelayNet, to_graph, from_graph, lif_multistep, Surrogate
"""

from spikesim.torch.delays import DelayedDense, gaussian_kernel, onehot_kernel
from spikesim.torch.export import decoder_spec, from_graph, to_graph
from spikesim.torch.lif import Coefficients, lif_multistep
from spikesim.torch.network import DelayNet, PopulationSpec, SpikingLayer, sum_softmax
from spikesim.torch.schedule import sigma_at_epoch
from spikesim.torch.surrogate import SURROGATES, Surrogate

__all__ = [
    "DelayedDense", "gaussian_kernel", "onehot_kernel", "decoder_spec", "from_graph", "to_graph",
    "Coefficients", "lif_multistep", "DelayNet", "PopulationSpec", "SpikingLayer", "sum_softmax",
    "sigma_at_epoch", "SURROGATES", "Surrogate",
]
