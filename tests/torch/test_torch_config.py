"""Run configs: presets resolve, YAML and TOML load, bad keys and values give clear errors."""

import pytest

from spikesim.cli import main
from spikesim.errors import ConfigError
from spikesim.train.config import PRESETS, from_dict, resolve


@pytest.mark.parametrize("name", PRESETS)
def test_presets_resolve_with_and_without_bundled(name):
    full = resolve(name, bundled=False)
    small = resolve(name, bundled=True)
    assert full.name == name
    assert small.train.epochs <= full.train.epochs


def test_shd_presets_match_the_paper():
    cfg = resolve("shd-delays", bundled=False)
    assert (cfg.model.hidden, cfg.model.taps, cfg.data.pool, cfg.data.dt_ms) == ([256, 256], 25, 5, 10.0)
    assert (cfg.train.lr, cfg.train.max_lr, cfg.train.position_lr, cfg.train.batch_size) == (1e-3, 5e-3, 0.1, 256)
    nodelay = resolve("shd-nodelay", bundled=False)
    assert nodelay.model.taps == 1 and not nodelay.model.learn_delays
    assert nodelay.model.hidden == cfg.model.hidden


def test_yaml_and_toml_files(tmp_path):
    (tmp_path / "a.yaml").write_text("name: a\nmodel:\n  hidden: [8]\ntrain:\n  epochs: 2\n")
    (tmp_path / "b.toml").write_text('name = "b"\n[model]\nhidden = [8]\n[train]\nepochs = 2\n')
    assert resolve(str(tmp_path / "a.yaml"), False).model.hidden == [8]
    assert resolve(str(tmp_path / "b.toml"), False, {"train": {"seed": 4}}).train.seed == 4


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"modle": {}}, r"unknown key\(s\) \['modle'\]; valid top-level keys"),
        ({"model": {"hiden": [8]}}, r"unknown key\(s\) \['hiden'\] in \[model\]; valid keys: \[.*'hidden'"),
        ({"model": {"surrogate": "sigmoid"}}, r"model.surrogate = 'sigmoid' is invalid; expected one of \['atan', 'superspike'\]"),
        ({"model": {"reset": "hard"}}, r"expected one of \['subtract', 'zero'\]"),
        ({"model": {"latency_offset": 2}}, "expected 0 or 1"),
        ({"model": {"dropout": 1.5}}, r"probability in \[0, 1\)"),
        ({"data": {"dataset": "mnist"}}, r"expected one of \['nmnist', 'shd'\]"),
        ({"train": {"epochs": "ten"}}, "expected an integer"),
        ({"train": {"epochs": 0}}, "an integer >= 1"),
        ({"data": {"pool": 3}}, "does not divide SHD's 700 channels"),
        ({"model": {"tau_ms": 5.0}}, "below data.dt_ms"),
    ],
)
def test_bad_configs_name_the_field_and_valid_options(raw, message):
    with pytest.raises(ConfigError, match=message):
        from_dict(raw, "test.yaml")


def test_cli_reports_config_errors(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("train:\n  optimizer: sgd\n")
    assert main(["run", str(bad), "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert "unknown key(s) ['optimizer'] in [train]" in err and "'batch_size'" in err
    assert main(["run", "no-such-preset"]) == 1
    assert "neither a preset (shd-delays, shd-nodelay, nmnist-delays)" in capsys.readouterr().err
    assert main(["run", "--resume", str(tmp_path / "missing")]) == 1
    assert "missing config.yaml" in capsys.readouterr().err


def test_shd_delays_parameter_count_matches_the_paper():
    # papers.md §1 check 5: weights + delay positions + BatchNorm = 214,016 for 140-256-256-20.
    from spikesim.train.build import build_model

    model = build_model(resolve("shd-delays", bundled=False), 140, 20)
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 214_016
    assert model.tail_steps == 3 * 12
