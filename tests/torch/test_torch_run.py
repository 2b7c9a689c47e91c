"""``spikesim run`` end to end on bundled shd-synth: learns, writes its outputs, resumes exactly."""

import json

import numpy as np
import pytest

import spikesim
from spikesim.cli import main
from spikesim.train.config import from_dict
from spikesim.train.runner import Invocation, execute

TINY = {
    "name": "tiny",
    "data": {"dataset": "shd", "n_steps": 70, "pool": 5, "train_limit": 600, "test_limit": 200},
    "model": {"hidden": [32], "taps": 25, "dropout": 0.1},
    "train": {"epochs": 4, "batch_size": 32, "threads": 2},
}
#: Resume needs no learning, only determinism: the smallest network that still has delays.
RESUME = {
    "name": "resume",
    "data": {"dataset": "shd", "n_steps": 40, "pool": 5, "train_limit": 96, "test_limit": 32},
    "model": {"hidden": [8], "taps": 5},
    "train": {"epochs": 2, "batch_size": 32, "threads": 2},
}


def write_config(tmp_path, **train):
    raw = json.loads(json.dumps(TINY))
    raw["train"].update(train)
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(raw))
    return path


@pytest.mark.timeout(600)
def test_short_run_beats_chance_and_writes_outputs(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(write_config(tmp_path)), "--out", str(out), "--quiet"]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    metrics = json.loads((out / "metrics.json").read_text())
    for name in ("config.yaml", "checkpoint.pt", "model.h5", "learning_curve.png", "raster.png"):
        assert (out / name).is_file(), name
    assert metrics["complete"] and len(metrics["epochs"]) == 4
    chance = 1 / 20
    assert metrics["selection"]["last_test_acc"] > 5 * chance, metrics["selection"]
    assert line["test_acc_last"] == metrics["selection"]["last_test_acc"]
    ref = metrics["backends"]["reference"]
    assert ref["same_predictions_as_torch"] and ref["spikes_equal_first_batch"]
    assert ref["acc"] == metrics["backends"]["torch_float64"]["acc"]
    graph = spikesim.load(out / "model.h5")
    assert graph.metadata["decoder"] == {"kind": "sum_softmax", "node": "readout", "var": "v"}
    assert graph.metadata["tail_steps"] == 2 * 12 and graph.metadata["seed"] == 0
    assert graph.metadata["config"]["model"]["hidden"] == [32]
    assert len(graph.metadata["dataset"]["sha256"]) == 64


@pytest.mark.timeout(600)
def test_resume_gives_the_same_result(tmp_path):
    cfg = from_dict(json.loads(json.dumps(RESUME)))
    inv = Invocation(None, "cpu", ["reference"])
    whole = execute(cfg, inv, tmp_path / "whole", quiet=True).metrics
    stopped = execute(cfg, inv, tmp_path / "split", stop_after=1, quiet=True)
    assert not stopped.finished and stopped.metrics is None
    assert not (tmp_path / "split" / "model.h5").exists()
    resumed = execute(cfg, inv, tmp_path / "split", resume=True, quiet=True).metrics
    strip = lambda hist: [{k: v for k, v in h.items() if k != "seconds"} for h in hist]  # noqa: E731
    assert strip(resumed["epochs"]) == strip(whole["epochs"])
    a, b = spikesim.load(tmp_path / "whole" / "model.h5"), spikesim.load(tmp_path / "split" / "model.h5")
    for ea, eb in zip(a.edges, b.edges):
        np.testing.assert_array_equal(ea.weight, eb.weight)
        np.testing.assert_array_equal(ea.delay, eb.delay)
