"""IR graph <-> ``DelayNet``: build a trainable module from a graph, export a trained one.

The exported graph is ``input -> layer_1 -> ... -> readout`` with one ``Dense`` edge per layer
whose weight, bias and integer latencies are the module's evaluation parameters converted
to float64 (bit-identical for a float32 or float64 module). ``graph.metadata`` records the
decoder and the zero tail the input needs::

    {"decoder": {"kind": "sum_softmax", "node": "readout", "var": "v"},
     "tail_steps": 36, "taps": 25, "latency_offset": 0, ...}
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from spikesim.errors import GraphError
from spikesim.ir import LI, LIF, Dense, Graph, Input, Output
from spikesim.ir.neurons import COEFFICIENTS
from spikesim.torch.network import DelayNet, PopulationSpec, SpikingLayer
from spikesim.torch.surrogate import Surrogate


def decoder_spec(readout: str) -> dict[str, str]:
    """The metadata entry naming how predictions are read from a graph's record."""
    return {"kind": "sum_softmax", "node": readout, "var": "v"}


def to_graph(model: DelayNet, metadata: dict[str, Any] | None = None) -> Graph:
    """Export ``model``'s evaluation parameters to an IR graph (float64, validated).

    The module's training mode is left unchanged.
    """
    was_training = model.training
    model.eval()
    try:
        graph = Graph(dt=float(model.dt), discretisation="euler", metadata=dict(metadata or {}))
        graph.add(model.input_name, Input(model.input_size))
        src = model.input_name
        for name, layer in zip(model.names, model.layers):
            coeffs = {n: getattr(layer, f"coef_{n}").detach().double().cpu().numpy() for n in COEFFICIENTS}
            size = coeffs["beta"].shape[0]
            if layer.spiking:
                graph.add(name, LIF(size=size, **coeffs, reset=layer.reset))
            else:
                graph.add(name, LI(size=size, **coeffs))
            weight, bias = layer.eval_parameters()
            graph.connect(
                src, name, _numpy(weight), delay=layer.synapse.latency().cpu().numpy(),
                bias=None if bias is None else _numpy(bias),
            )
            src = name
        graph.add("output", Output(model.names[-1]))
        graph.metadata.update(
            decoder=decoder_spec(model.names[-1]),
            tail_steps=model.tail_steps,
            taps=model.layers[0].synapse.taps,
            latency_offset=model.layers[0].synapse.latency_offset,
        )
        return graph.validate()
    finally:
        model.train(was_training)


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().to(torch.float64).numpy()


def from_graph(
    graph: Graph, surrogate: Surrogate | None = None, learn_delays: bool = False
) -> DelayNet:
    """A trainable ``DelayNet`` with ``graph``'s weights, latencies and coefficients (float64).

    ``graph`` must be a chain ``Input -> population -> ... -> LI`` of Dense edges without
    refractory periods. Latencies become fixed (or, with ``learn_delays``, trainable) delay
    positions over ``max latency + 1`` taps.
    """
    graph.validate()
    inputs = graph.inputs()
    if len(inputs) != 1:
        raise GraphError(f"from_graph: expected exactly one Input node, found {inputs}")
    surrogate = surrogate or Surrogate()
    taps = graph.max_latency() + 1
    chain, src, layers = [], inputs[0], []
    while True:
        nxt = [e for e in graph.edges if e.src == src]
        if not nxt:
            break
        if len(nxt) != 1 or not isinstance(nxt[0], Dense) or len(graph.incoming(nxt[0].dst)) != 1:
            raise GraphError(f"from_graph: node {src!r} must feed exactly one population through one Dense edge")
        edge = nxt[0]
        pop = graph.nodes[edge.dst]
        if pop.refractory:
            raise GraphError(f"from_graph: node {edge.dst!r}.refractory: training does not support refractory periods")
        spec = PopulationSpec(pop.size, pop.coefficient_table(), pop.spiking, pop.reset)
        # float64 before copying: the graph's parameters must not pass through float32.
        layer = SpikingLayer(graph.size(src), spec, surrogate, taps, learn_delays, 0, bias=edge.bias is not None).double()
        with torch.no_grad():
            layer.synapse.weight.copy_(torch.from_numpy(edge.weight))
            layer.synapse.position.copy_(torch.from_numpy(edge.delay.astype(np.float64)))
            if edge.bias is not None:
                layer.synapse.bias.copy_(torch.from_numpy(edge.bias))
        chain.append(edge.dst)
        layers.append(layer)
        src = edge.dst
    if len(chain) + 1 != sum(1 for n in graph.nodes if n not in graph.outputs()):
        raise GraphError("from_graph: every population must lie on one chain from the Input")
    if not chain or graph.nodes[chain[-1]].spiking:
        raise GraphError("from_graph: the chain must end in a non-spiking LI readout")
    return DelayNet(graph.size(inputs[0]), layers, chain, graph.dt, graph.metadata.get("tail_steps", 0), inputs[0])
