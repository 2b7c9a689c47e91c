"""DDP with torchrun (2 CPU processes, gloo) equals one process over the same global batch."""

import json
import os
import subprocess
import sys

import pytest
import torch

TINY = {
    "name": "ddp",
    "data": {"dataset": "shd", "n_steps": 40, "pool": 5, "train_limit": 128, "test_limit": 32, "val_fraction": 0.0},
    "model": {"hidden": [16], "taps": 5, "batchnorm": False, "dropout": 0.0},
    "train": {"epochs": 2, "batch_size": 32, "drop_last": True, "threads": 1},
}


@pytest.mark.ddp
@pytest.mark.timeout(300)
def test_two_processes_match_one(tmp_path):
    config = tmp_path / "ddp.json"
    config.write_text(json.dumps(TINY))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CI": "1"}
    common = [sys.executable, "-m", "spikesim", "run", str(config), "--quiet"]
    for out, extra in (("one", []), ("two", ["--nproc", "2"])):
        done = subprocess.run([*common, "--out", str(tmp_path / out), *extra], env=env,
                              capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, done.stderr[-3000:]
    one = torch.load(tmp_path / "one" / "checkpoint.pt", weights_only=True)
    two = torch.load(tmp_path / "two" / "checkpoint.pt", weights_only=True)
    assert one["model"].keys() == two["model"].keys()
    for key, value in one["model"].items():
        torch.testing.assert_close(two["model"][key], value, rtol=1e-4, atol=1e-5, msg=key)
    m1 = json.loads((tmp_path / "one" / "metrics.json").read_text())
    m2 = json.loads((tmp_path / "two" / "metrics.json").read_text())
    assert m2["world_size"] == 2 and m1["world_size"] == 1
    assert m2["selection"]["last_test_acc"] == m1["selection"]["last_test_acc"]
    for a, b in zip(m1["epochs"], m2["epochs"]):
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-4)
