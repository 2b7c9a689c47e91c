"""The command-line skeleton: --version, info, simulate, and the README's backend matrix."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import spikesim
from spikesim.cli import main
from spikesim.cli.info import capability_matrix

REPO = Path(__file__).resolve().parents[2]


def _model(tmp_path: Path) -> Path:
    g = spikesim.Graph(dt=1e-3)
    g.add("in", spikesim.Input(2))
    g.add("h", spikesim.LIF(2, beta=0.5))
    g.add("out", spikesim.Output("h"))
    # neuron 0 sees input 0 after 1 step with weight 1.5 (> threshold 1): it spikes at t+1.
    g.connect("in", "h", np.array([[1.5, 0.0], [0.0, 0.4]]), delay=1)
    return spikesim.save(g, tmp_path / "model.h5")


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"spikesim {spikesim.__version__}"


def test_python_dash_m_runs_the_cli():
    out = subprocess.run(
        [sys.executable, "-m", "spikesim", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"spikesim {spikesim.__version__}"


def test_info_json_lists_every_backend_with_a_reason(capsys):
    assert main(["info", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["spikesim"] == spikesim.__version__
    backends = report["backends"]
    assert backends["reference"]["usable"] is True
    for name, entry in backends.items():
        assert isinstance(entry["reason"], str) and entry["reason"], name
        if entry["capabilities"] is not None:
            assert "min_latency" in entry["capabilities"]


def test_readme_backend_matrix_is_generated_from_capabilities():
    from spikesim import backends

    readme = (REPO / "README.md").read_text()
    assert capability_matrix(backends.status()) in readme, (
        "README's backend matrix is stale: paste the output of `spikesim info --matrix`"
    )


def test_simulate_writes_spikes_and_prints_a_summary(tmp_path, capsys):
    model = _model(tmp_path)
    x = np.zeros((5, 2))
    x[0] = 1.0
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "spikes.npz"
    assert main(["simulate", str(model), "--input", str(tmp_path / "x.npy"), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "h: 1 spikes over 5 steps x 1 samples x 2 neurons" in printed
    with np.load(out) as data:
        np.testing.assert_array_equal(data["spikes/h"][:, 0, 0], [0, 1, 0, 0, 0])
        assert not data["spikes/h"][:, 0, 1].any()


def test_simulate_reports_missing_and_malformed_files_cleanly(tmp_path, capsys):
    model = _model(tmp_path)
    assert main(["simulate", str(model), "--input", str(tmp_path / "none.npy")]) == 1
    assert "none.npy: no such input file" in capsys.readouterr().err
    (tmp_path / "bad.npy").write_bytes(b"not numpy")
    assert main(["simulate", str(model), "--input", str(tmp_path / "bad.npy")]) == 1
    assert "bad.npy: not a readable .npy/.npz array file" in capsys.readouterr().err
    (tmp_path / "bad.h5").write_bytes(b"junk")
    assert main(["simulate", str(tmp_path / "bad.h5"), "--input", str(tmp_path / "bad.npy")]) == 1
    assert "bad.h5: not a readable HDF5 file" in capsys.readouterr().err
