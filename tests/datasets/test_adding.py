"""SHD-Adding: digit values from class names, sum labels, gap between the digits."""

from __future__ import annotations

import pytest

from spikesim.datasets import ShdAdding, load_shd
from spikesim.datasets.adding import digit_of
from spikesim.errors import DatasetError


def test_digit_of_names():
    assert digit_of("english-seven") == 7 and digit_of("german-sieben") == 7
    assert digit_of("german-fünf") == 5 and digit_of("3") == 3 and digit_of("german-null") == 0
    with pytest.raises(DatasetError, match="'hello' names no digit"):
        digit_of("hello")


def test_sums_use_class_names_not_label_mod_10(tmp_path, write_shd):
    # Labels 0 and 1 name the digits 9 and 8: label % 10 would give 0 and 1.
    keys = [b"german-neun", b"english-eight"] + [b"english-zero"] * 18
    path = write_shd(tmp_path / "s.h5", [[0.1, 0.2], [0.05]], [[1, 2], [3]], [0, 1], keys=keys)
    ds = ShdAdding(load_shd(path), n_samples=50, seed=3, gap_us=1000)
    assert len(ds.classes) == 19
    expected = {(0, 0): 18, (0, 1): 17, (1, 0): 17, (1, 1): 16}
    for i in range(len(ds)):
        a, b = ds.pairs[i]
        assert ds.labels[i] == expected[(a, b)]
    events, label = ds[0]
    a, b = ds.pairs[0]
    first = load_shd(path)[int(a)][0]
    second = load_shd(path)[int(b)][0]
    assert label == expected[(a, b)]
    assert len(events) == len(first) + len(second)
    # The second digit starts gap_us after the first digit's last event.
    assert events["t"][len(first)] == first["t"][-1] + 1000 + second["t"][0]


def test_seeded(tmp_path, write_shd):
    path = write_shd(
        tmp_path / "s.h5",
        [[0.1]] * 4,
        [[1]] * 4,
        [0, 1, 2, 3],
        keys=[f"english-{w}".encode() for w in "zero one two three".split()] * 5,
    )
    a = ShdAdding(load_shd(path), 20, seed=1)
    assert (a.pairs == ShdAdding(load_shd(path), 20, seed=1).pairs).all()
    assert not (a.pairs == ShdAdding(load_shd(path), 20, seed=2).pairs).all()
