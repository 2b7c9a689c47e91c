"""On shd-synth (a timing task), learned delays beat the same network without delays, 3 seeds."""

import json

import pytest

from spikesim.train.config import from_dict
from spikesim.train.runner import Invocation, execute

BASE = {
    "data": {"dataset": "shd", "n_steps": 70, "pool": 5, "train_limit": 800, "test_limit": 300},
    "model": {"hidden": [32], "dropout": 0.1},
    "train": {"epochs": 4, "batch_size": 32, "threads": 2},
}


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_delays_beat_no_delays(tmp_path, seed):
    acc = {}
    for name, taps in (("delays", 25), ("nodelay", 1)):
        raw = json.loads(json.dumps(BASE))
        raw["name"] = name
        raw["model"].update(taps=taps, learn_delays=taps > 1)
        raw["train"]["seed"] = seed
        metrics = execute(from_dict(raw), Invocation(None, "cpu", []), tmp_path / name, quiet=True).metrics
        acc[name] = metrics["selection"]["last_test_acc"]
    print(f"seed {seed}: test accuracy delays {acc['delays']:.3f}, no delays {acc['nodelay']:.3f}")
    assert acc["delays"] > acc["nodelay"] + 0.2, acc
