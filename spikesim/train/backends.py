"""Test accuracy of the exported graph on simulation backends, checked against torch.

The torch side is the evaluation-mode module in float64 (integer delays, folded BatchNorm);
each backend simulates the exported graph in float64 on the same inputs followed by the
graph's ``tail_steps`` zero steps and is decoded with the declared decoder. Predictions must
agree sample for sample; the spikes of the first batch are compared too.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch

import spikesim
from spikesim.errors import BackendUnavailableError, UnsupportedFeatureError
from spikesim.ir import Graph
from spikesim.torch.network import DelayNet, sum_softmax
from spikesim.train.data import Split


def decode(graph: Graph, v: np.ndarray) -> np.ndarray:
    """Predictions [B] from the readout's v [T, B, C] with the graph's declared decoder."""
    kind = graph.metadata["decoder"]["kind"]
    if kind != "sum_softmax":
        raise ValueError(f"graph metadata: unknown decoder kind {kind!r} (known: sum_softmax)")
    return sum_softmax(torch.from_numpy(np.asarray(v))).argmax(1).numpy()


def simulate(sim, graph: Graph, x: np.ndarray) -> Any:
    """Run ``sim`` on ``x`` [B, T, C] followed by the graph's zero tail; returns the Result."""
    tail = int(graph.metadata.get("tail_steps", 0))
    inputs = np.concatenate([x, np.zeros((x.shape[0], tail, x.shape[2]), x.dtype)], 1)
    return sim.run(np.ascontiguousarray(inputs.transpose(1, 0, 2), dtype=np.float64))


def torch_float64(model: DelayNet, split: Split, batch_size: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Predictions of the float64 evaluation-mode model and every layer's output on batch 0."""
    model64 = copy.deepcopy(model).cpu().double().eval()
    preds, first = [], None
    with torch.no_grad():
        for start in range(0, len(split), batch_size):
            outputs = model64.run(split.x[start : start + batch_size].double())
            preds.append(sum_softmax(outputs[-1]).argmax(1).numpy())
            if first is None:
                first = [o.numpy() for o in outputs]
    return np.concatenate(preds) if preds else np.zeros(0, np.int64), first or []


def evaluate_backends(
    graph: Graph, model: DelayNet, split: Split, backends: list[str], batch_size: int = 128
) -> dict[str, Any]:
    """Per backend: accuracy, prediction agreement with torch float64, and spike equality."""
    labels = split.y.numpy()
    reference, first = torch_float64(model, split, batch_size)
    report: dict[str, Any] = {"torch_float64": {"acc": float(np.mean(reference == labels)) if len(labels) else None}}
    readout = graph.metadata["decoder"]["node"]
    spiking = [n for n, p in graph.populations() if p.spiking]
    record = {readout: ["v"], **{n: ["spikes"] for n in spiking}}
    for name in backends:
        try:
            sim = spikesim.compile(graph, backend=name, dtype="float64", record=record)
        except (BackendUnavailableError, UnsupportedFeatureError) as err:
            report[name] = {"available": False, "reason": str(err)}
            continue
        preds, spikes_equal = [], None
        for start in range(0, len(split), batch_size):
            x = split.x[start : start + batch_size].double().numpy()
            result = simulate(sim, graph, x)
            preds.append(decode(graph, result.states[readout]["v"]))
            if spikes_equal is None:
                spikes_equal = all(
                    np.array_equal(np.asarray(result.spikes[n]), first[i].astype(bool))
                    for i, n in enumerate(spiking)
                )
        preds = np.concatenate(preds) if preds else np.zeros(0, np.int64)
        report[name] = {
            "available": True,
            "acc": float(np.mean(preds == labels)) if len(labels) else None,
            "mismatched_predictions": int(np.sum(preds != reference)),
            "same_predictions_as_torch": bool(np.array_equal(preds, reference)),
            "spikes_equal_first_batch": bool(spikes_equal),
        }
    return report
