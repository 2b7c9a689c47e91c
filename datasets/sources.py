"""Where the official dataset files come from: names, MD5s, URLs, and the missing-data error.

The MD5s and URLs are those tonic 1.7.0 uses to download (see docs/datasets.md). spikesim
reads the extracted files (``shd_train.h5``, ``Train/<digit>/*.bin``, ...); the archives are
only what a user with internet fetches. ``download`` goes through tonic, lazily imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from spikesim.errors import DatasetError


@dataclass(frozen=True)
class Archive:
    """One official download: the archive name, its MD5, its URL and what it extracts to."""

    filename: str
    md5: str
    url: str
    extracts_to: str


_ZENKE = "https://zenkelab.org/datasets/"
_MENDELEY = "https://data.mendeley.com/public-files/datasets/468j46mzdv/files/"

ARCHIVES: dict[tuple[str, str], Archive] = {
    ("shd", "train"): Archive(
        "shd_train.h5.zip",
        "f3252aeb598ac776c1b526422d90eecb",
        _ZENKE + "shd_train.h5.zip",
        "shd_train.h5",
    ),
    ("shd", "test"): Archive(
        "shd_test.h5.zip",
        "1503a5064faa34311c398fb0a1ed0a6f",
        _ZENKE + "shd_test.h5.zip",
        "shd_test.h5",
    ),
    ("ssc", "train"): Archive(
        "ssc_train.h5.zip",
        "d102be95e7144fcc0553d1f45ba94170",
        _ZENKE + "ssc_train.h5.zip",
        "ssc_train.h5",
    ),
    ("ssc", "valid"): Archive(
        "ssc_valid.h5.zip",
        "b4eee3516a4a90dd0c71a6ac23a8ae43",
        _ZENKE + "ssc_valid.h5.zip",
        "ssc_valid.h5",
    ),
    ("ssc", "test"): Archive(
        "ssc_test.h5.zip",
        "a35ff1e9cffdd02a20eb850c17c37748",
        _ZENKE + "ssc_test.h5.zip",
        "ssc_test.h5",
    ),
    ("nmnist", "train"): Archive(
        "train.zip",
        "20959b8e626244a1b502305a9e6e2031",
        _MENDELEY + "39c25547-014b-4137-a934-9d29fa53c7a0/file_downloaded",
        "Train/",
    ),
    ("nmnist", "test"): Archive(
        "test.zip",
        "69ca8762b2fe404d9b9bad1103e97832",
        _MENDELEY + "05a4d654-7e03-4c15-bdfa-9bb2bcbea494/file_downloaded",
        "Test/",
    ),
    ("ntidigits", "train"): Archive(
        "n-tidigits.hdf5",
        "360a2d11e5429555c9197381cf6b58e0",
        (
            "https://www.dropbox.com/scl/fi/1x4lxt9yyw25sc3tez8oi/n-tidigits.hdf5"
            "?e=2&rlkey=w8gi5udvib2zqzosusa5tr3wq&dl=1"
        ),
        "n-tidigits.hdf5",
    ),
}
ARCHIVES[("ntidigits", "test")] = ARCHIVES[("ntidigits", "train")]

#: tonic class that downloads each dataset, and the subfolder of ``save_to`` it uses.
_TONIC_CLASS = {"shd": "SHD", "ssc": "SSC", "nmnist": "NMNIST", "ntidigits": "NTIDIGITS18"}


def missing_error(name: str, split: str, looked_in: list[Path]) -> DatasetError:
    """The error for absent files: where spikesim looked and which files to put there."""
    archive = ARCHIVES[(name, split)]
    places = ", ".join(str(p) for p in looked_in)
    return DatasetError(
        f"{name} {split} split not found (looked for {archive.extracts_to} in: {places}). "
        f"Download {archive.filename} (md5 {archive.md5}) from {archive.url}, extract it so "
        f"that {archive.extracts_to} sits in one of those folders, or pass download=True "
        f"(CLI: spikesim data fetch {name} --split {split} --out DIR) on a machine with internet."
    )


def download(name: str, split: str, root: Path) -> Path:
    """Download and extract ``name``/``split`` under ``root/<TonicClass>`` through tonic.

    Returns the folder tonic extracted into. Needs internet and ``tonic==1.7.0``.
    """
    import tonic.datasets  # lazy: tonic imports torch

    cls_name = _TONIC_CLASS[name]
    cls = getattr(tonic.datasets, cls_name)
    try:
        if name == "ssc":
            cls(str(root), split=split)
        else:
            cls(str(root), train=split == "train")
    except OSError as err:  # urllib.error.URLError is an OSError
        raise missing_error(name, split, [root / cls_name]) from err
    return root / cls_name
