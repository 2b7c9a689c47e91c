"""``spikesim data synth`` and ``spikesim data info`` (text and JSON)."""

from __future__ import annotations

import argparse
import json

import pytest

from spikesim.cli import data


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    data.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_info_shd_json(shd_root, capsys):
    assert run(["data", "info", str(shd_root / "SHD" / "shd_train.h5"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["format"] == "shd"
    part = info["parts"][0]
    assert part["n_samples"] == 2 and part["sensor_size"] == [700, 1, 1]
    assert part["events_per_sample"] == {"min": 1, "median": 2.5, "max": 4}
    assert part["time_span_us"] == {"first": 0, "last": 999511}


def test_info_text_nmnist_folder_and_file(nmnist_root, capsys):
    assert run(["data", "info", str(nmnist_root)]) == 0
    out = capsys.readouterr().out
    assert "format nmnist" in out and "Train: 3 samples" in out and "Test: 1 samples" in out
    assert "t 0..8388607 µs" in out
    assert (
        run(["data", "info", str(nmnist_root / "NMNIST" / "Train" / "7" / "00003.bin"), "--json"])
        == 0
    )
    part = json.loads(capsys.readouterr().out)["parts"][0]
    assert part["events_per_sample"]["max"] == 2 and part["time_span_us"]["last"] == 100000


def test_info_ntidigits(ntidigits_file, capsys):
    assert run(["data", "info", str(ntidigits_file), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["format"] == "ntidigits" and [p["name"] for p in info["parts"]] == ["train", "test"]
    assert info["parts"][0]["n_samples"] == 3 and info["parts"][0]["sensor_size"] == [64, 1, 1]


def test_info_bad_input_is_a_clean_error(tmp_path):
    from spikesim.errors import DatasetError

    (tmp_path / "x.bin").write_bytes(b"\x00" * 7)
    with pytest.raises(DatasetError, match="byte offset 5"):
        run(["data", "info", str(tmp_path / "x.bin")])
    with pytest.raises(DatasetError, match="no supported dataset"):
        run(["data", "info", str(tmp_path)])


def test_synth_writes_real_layout(tmp_path, capsys, monkeypatch):
    from spikesim.datasets import synth_shd

    small = synth_shd.SynthShdConfig(n_train=40, n_test=20)
    monkeypatch.setattr(synth_shd, "SynthShdConfig", lambda: small)
    assert run(["data", "synth", "shd-synth", "--out", str(tmp_path)]) == 0
    assert (
        tmp_path / "SHD" / "shd_train.h5"
    ).is_file() and "wrote shd-synth" in capsys.readouterr().out
    assert run(["data", "info", str(tmp_path), "--json"]) == 0
    parts = json.loads(capsys.readouterr().out)["parts"]
    assert [p["n_samples"] for p in parts] == [20, 40]


def test_fetch_finds_existing_files_without_download(shd_root, capsys):
    from unittest import mock

    with mock.patch("spikesim.datasets.sources.download") as download:
        assert run(["data", "fetch", "shd", "--out", str(shd_root)]) == 0
    download.assert_not_called()
    assert "shd_train.h5" in capsys.readouterr().out


def test_fetch_offline_names_files(tmp_path):
    import urllib.error
    from unittest import mock

    import tonic.datasets

    from spikesim.errors import DatasetError

    def offline(self, *args, **kwargs):
        raise urllib.error.URLError("no internet")

    with mock.patch.object(tonic.datasets.NMNIST, "__init__", offline):
        with pytest.raises(
            DatasetError, match=r"test\.zip \(md5 69ca8762b2fe404d9b9bad1103e97832\)"
        ):
            run(["data", "fetch", "nmnist", "--split", "test", "--out", str(tmp_path)])


def test_info_real_nmnist_sample(real_data, capsys):
    path = real_data / "nmnist_sample_label_unknown.bin"
    if not path.exists():
        pytest.skip(f"real sample folder absent: {real_data}")
    assert run(["data", "info", str(path), "--json"]) == 0
    part = json.loads(capsys.readouterr().out)["parts"][0]
    assert part["n_samples"] == 1 and part["events_per_sample"]["max"] == 4325
    assert part["time_span_us"] == {"first": 654, "last": 311175}
    assert part["sensor_size"] == [34, 34, 2]
