"""Export round trip: the exported graph on the simulators gives the torch model's predictions and spikes."""

import numpy as np
import pytest
import torch

import spikesim
from spikesim import backends as backend_registry
from spikesim.errors import BackendUnavailableError, GraphError
from spikesim.torch import (
    DelayNet,
    PopulationSpec,
    SpikingLayer,
    Surrogate,
    from_graph,
    sum_softmax,
    to_graph,
)
from spikesim.train.backends import decode, simulate

BETA = 1 - 10 / 10.05


def make_net(offset=0, taps=9, batchnorm=True):
    torch.manual_seed(0)
    s = Surrogate()
    layers = [
        SpikingLayer(10, PopulationSpec.lif(16, BETA), s, taps, True, offset, batchnorm, 0.3),
        SpikingLayer(16, PopulationSpec.lif(12, BETA), s, taps, True, offset, batchnorm, 0.3),
        SpikingLayer(12, PopulationSpec.li(5, BETA), s, taps, True, offset),
    ]
    net = DelayNet(10, layers, ["hidden1", "hidden2", "readout"], 0.01, 3 * ((taps - 1) // 2))
    x = torch.rand(6, 20, 10) * 3
    net.train()
    for _ in range(3):  # give BatchNorm non-trivial running statistics
        net(x)
    return net.double().eval()


def inputs(batch=8, steps=20, channels=10):
    g = torch.Generator().manual_seed(5)
    return torch.poisson(torch.full((batch, steps, channels), 0.4), generator=g).double()


def backends():
    names = ["reference"]
    try:
        backend_registry.load("numba")
        names.append("numba")
    except BackendUnavailableError:
        pass
    return names


@pytest.mark.parametrize("offset", [0, 1])
@pytest.mark.parametrize("backend", backends())
def test_exported_graph_matches_torch_eval(offset, backend):
    net = make_net(offset)
    graph = to_graph(net)
    assert graph.metadata["decoder"] == {"kind": "sum_softmax", "node": "readout", "var": "v"}
    assert graph.metadata["tail_steps"] == 12
    assert min(e.delay.min() for e in graph.edges) >= offset
    x = inputs()
    with torch.no_grad():
        outs = net.run(x)
    record = {"hidden1": ["spikes"], "hidden2": ["spikes"], "readout": ["v"]}
    result = simulate(spikesim.compile(graph, backend=backend, record=record), graph, x.numpy())
    for i, name in enumerate(["hidden1", "hidden2"]):
        np.testing.assert_array_equal(np.asarray(result.spikes[name]), outs[i].numpy().astype(bool))
    assert np.asarray(result.spikes["hidden1"]).any()  # the check is not vacuous
    np.testing.assert_allclose(result.states["readout"]["v"], outs[2].numpy(), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(decode(graph, result.states["readout"]["v"]), sum_softmax(outs[2]).argmax(1).numpy())


def test_export_is_bit_identical_to_eval_parameters(tmp_path):
    net = make_net()
    graph = spikesim.load(spikesim.save(to_graph(net, {"seed": 3}), tmp_path / "model.h5"))
    assert graph.metadata["seed"] == 3
    for layer, edge in zip(net.layers, graph.edges):
        weight, bias = layer.eval_parameters()
        np.testing.assert_array_equal(edge.weight, weight.numpy())
        np.testing.assert_array_equal(edge.delay, layer.synapse.latency().numpy())
        if bias is not None:
            np.testing.assert_array_equal(edge.bias, bias.numpy())
    # BatchNorm folding changes no output (float rounding only).
    x = inputs()
    with torch.no_grad():
        folded = net.run(x)[-1]
        net.layers[0].current = lambda h, layer=net.layers[0]: layer.bn(layer.synapse(h))
        unfolded = net.run(x)[-1]
    torch.testing.assert_close(folded, unfolded, rtol=1e-9, atol=1e-9)


def test_from_graph_round_trip():
    net = make_net()
    graph = to_graph(net)
    rebuilt = from_graph(graph).eval()
    x = inputs()
    with torch.no_grad():
        np.testing.assert_allclose(rebuilt(x).numpy(), net(x).numpy(), rtol=0, atol=1e-12)
    assert to_graph(rebuilt) == graph


def test_from_graph_rejects_non_chains():
    graph = spikesim.Graph(dt=1e-3)
    graph.add("in", spikesim.Input(2))
    graph.add("a", spikesim.LIF(size=2))
    graph.add("b", spikesim.LI(size=2))
    graph.connect("in", "a", np.eye(2))
    graph.connect("in", "b", np.eye(2))
    with pytest.raises(GraphError, match="exactly one population"):
        from_graph(graph)
