"""Every reader of an HDF5 file reports a file that is not HDF5 by name, in its own error type."""

from __future__ import annotations

import pytest

from spikesim.errors import DatasetError, FormatError


def _readers():
    from spikesim.datasets.info import describe
    from spikesim.datasets.ntidigits import NTidigitsDataset
    from spikesim.datasets.shd import SpikeH5Dataset
    from spikesim.hardware import netx
    from spikesim.hardware.rram.export import load_maps
    from spikesim.io.hdf5 import load

    return [
        ("graph", load, FormatError),
        ("netx", netx.load, FormatError),
        ("rram maps", load_maps, FormatError),
        ("shd", lambda p: SpikeH5Dataset(p)._open_checked(), DatasetError),
        ("ntidigits", lambda p: NTidigitsDataset(p, "train"), DatasetError),
        ("dataset info", describe, DatasetError),
    ]


@pytest.mark.parametrize("reader", _readers(), ids=lambda r: r[0])
def test_unreadable_hdf5_names_the_file(reader, tmp_path):
    _, read, error = reader
    path = tmp_path / "junk.h5"
    path.write_bytes(b"this is not an HDF5 file")
    with pytest.raises(error, match=r"junk\.h5: not a readable HDF5 file"):
        read(path)


def test_export_option_without_equals_sign_is_named(tmp_path, capsys):
    from spikesim.cli import main

    code = main(
        [
            "export",
            str(tmp_path / "m.h5"),
            "--format",
            "netx",
            "-o",
            str(tmp_path / "o.h5"),
            "--option",
            "adc_bits",
        ]
    )
    assert code == 1
    assert "--option 'adc_bits': expected KEY=VALUE" in capsys.readouterr().err
