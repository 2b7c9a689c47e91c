"""The accuracy sweep and its command line."""

from __future__ import annotations

import json

import numpy as np

import spikesim
from spikesim.cli import main
from spikesim.hardware.rram import sweep


def _model():
    r = np.random.default_rng(0)
    g = spikesim.Graph()
    g.add("in", spikesim.Input(20))
    g.add("h", spikesim.LIF(30, alpha=0.5, beta=0.9))
    g.add("o", spikesim.LI(4, beta=0.9))
    g.add("out", spikesim.Output("o"))
    g.connect("in", "h", r.normal(0.1, 0.5, (30, 20)), delay=r.integers(0, 3, (30, 20)))
    g.connect("h", "o", r.normal(0, 0.5, (4, 30)), delay=1)
    x = (r.random((30, 64, 20)) < 0.2).astype(float)
    return g, x


def test_sweep_ideal_points_agree_and_noise_degrades(tmp_path):
    g, x = _model()
    axes = {"read_noise_rel": [0.0, 0.5], "adc_bits": [None, 1]}
    points = sweep.sweep(g, x, axes=axes)
    acc = {(p.axis, p.value): p.accuracy for p in points}
    assert acc["read_noise_rel", 0.0] == 1.0 and acc["adc_bits", None] == 1.0
    assert acc["read_noise_rel", 0.5] < 1.0 and acc["adc_bits", 1] < 1.0
    path = sweep.plot(points, tmp_path / "s.png")
    assert path.stat().st_size > 0


def test_sweep_with_labels():
    g, x = _model()
    labels = sweep.predict(spikesim.compile(g, "reference").run(x), g)
    points = sweep.sweep(g, x, labels=labels, axes={"drift_time_s": [1.0]})
    assert points[0].accuracy == 1.0 and points[0].energy_pj_per_sample > 0


def test_cli_rram_sweep(tmp_path, capsys):
    g, x = _model()
    spikesim.save(g, tmp_path / "m.h5")
    np.savez(tmp_path / "data.npz", inputs=x[:, :16])
    out = tmp_path / "sweep.png"
    assert main(["rram-sweep", str(tmp_path / "m.h5"), "-o", str(out), "--inputs", str(tmp_path / "data.npz"),
                 "--read-noise", "0,0.1", "--adc-bits", "none,4", "--drift-times", "1,1e6"]) == 0
    table = json.loads(out.with_suffix(".json").read_text())
    assert len(table["points"]) == 6 and table["labels"] == "reference"
    assert out.exists() and "accuracy" in capsys.readouterr().out
