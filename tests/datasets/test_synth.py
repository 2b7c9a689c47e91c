"""Bundled data: shd-synth is a timing task, nmnist-synth looks like N-MNIST, both read by tonic."""

from __future__ import annotations

from unittest import mock

import h5py
import numpy as np
import pytest

from spikesim.datasets import bundled, load_nmnist, load_shd
from spikesim.datasets.synth_nmnist import SynthNmnistConfig
from spikesim.datasets.synth_nmnist import generate as generate_nmnist
from spikesim.datasets.synth_shd import N_CLASSES, SynthShdConfig, class_offsets_ms


@pytest.fixture(scope="module")
def shd_synth(tmp_path_factory):
    return bundled.ensure("shd-synth", tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def nmnist_small(tmp_path_factory):
    out = tmp_path_factory.mktemp("nm")
    generate_nmnist(out, SynthNmnistConfig(limit=60))
    return out


def counts(ds):
    """Per-channel spike counts ``[N, 700]``, read in bulk (h5py per-sample access is slow)."""
    with h5py.File(ds.path, "r") as f:
        units = f["spikes/units"][()]
    return np.stack([np.bincount(u, minlength=700) for u in units])


def test_shd_synth_sizes_and_metadata(shd_synth):
    train, test = load_shd(shd_synth, "train"), load_shd(shd_synth, "test")
    assert (len(train), len(test)) == (2000, 500)
    assert len(train.classes) == 20 and train.classes[7] == "english-seven"
    assert np.bincount(train.labels).tolist() == [100] * 20
    assert set(train.speaker.tolist()) == set(range(10))
    assert {10, 11} <= set(test.speaker.tolist())
    events, _ = train[0]
    assert events["t"].max() < 800_000 and 2500 < len(events) < 5000


def test_class_templates_are_distinct_permutations():
    cfg = SynthShdConfig()
    offsets = class_offsets_ms(cfg)
    assert offsets.shape == (N_CLASSES, cfg.n_bands)
    assert len({tuple(row) for row in offsets}) == N_CLASSES
    assert offsets.min() == 0 and offsets.max() == pytest.approx(cfg.span_ms)


def test_counts_carry_no_class_information(shd_synth):
    """Logistic regression on per-channel spike counts stays at chance (5 % ± 5 points)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    train, test = load_shd(shd_synth, "train"), load_shd(shd_synth, "test")
    # Regularised, so that any count signal present would generalise to the test split.
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=300))
    with threadpool_limits(1):  # BLAS threads on a busy 2-core machine make lbfgs 15x slower
        model.fit(counts(train), train.labels)
    accuracy = model.score(counts(test), test.labels)
    assert abs(accuracy - 1 / N_CLASSES) <= 0.05, accuracy


def test_relative_timing_carries_the_class(shd_synth):
    """The band burst order, read after 700→140 pooling and 10 ms binning, gives the class."""
    from spikesim.datasets import DenseDataset, DenseTransform

    test = load_shd(shd_synth, "test")
    dense = DenseDataset(test, DenseTransform(dt_us=10_000, n_bins=80, pool=5))
    n_bands = SynthShdConfig().n_bands
    offsets = class_offsets_ms()
    hits = 0
    for i in range(100):
        x, label, _ = dense[i]
        bands = x.reshape(80, n_bands, 140 // n_bands).sum(axis=2)  # bands of pooled groups
        peak_ms = bands.argmax(axis=0) * 10.0
        relative = peak_ms - peak_ms.min()
        hits += int(np.argmin(np.abs(offsets - relative).sum(axis=1)) == label)
    assert hits >= 95


def test_shd_synth_deterministic_and_cached(shd_synth, tmp_path):
    from spikesim.datasets import synth_shd

    cfg = SynthShdConfig(n_train=5, n_test=3)
    a = synth_shd.generate(tmp_path / "a", cfg)
    b = synth_shd.generate(tmp_path / "b", cfg)
    for name in ("shd_train.h5", "shd_test.h5"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    stamp = (shd_synth / "SHD" / "shd_train.h5").stat().st_mtime_ns
    assert bundled.ensure("shd-synth", shd_synth.parent) == shd_synth
    assert (shd_synth / "SHD" / "shd_train.h5").stat().st_mtime_ns == stamp


def test_shd_synth_read_identically_by_tonic(shd_synth):
    import tonic.datasets

    ours = load_shd(shd_synth, "test")
    with mock.patch.object(tonic.datasets.SHD, "_check_exists", return_value=True):
        theirs = tonic.datasets.SHD(str(shd_synth), train=False)
    assert len(theirs) == len(ours)
    for i in range(0, len(ours), 25):
        np.testing.assert_array_equal(ours[i][0], theirs[i][0])
        assert ours[i][1] == theirs[i][1]


def test_nmnist_synth_statistics(nmnist_small):
    ds = load_nmnist(nmnist_small, "train")
    assert len(ds) == 50 and len(load_nmnist(nmnist_small, "test")) == 10
    n = np.array([len(ds[i][0]) for i in range(len(ds))])
    assert 3000 <= n.min() and n.max() <= 6000, (n.min(), n.max())
    on = np.mean([ds[i][0]["p"].mean() for i in range(len(ds))])
    assert 0.4 < on < 0.6
    events = ds[0][0]
    assert events["t"].min() < 5000 and 290_000 < events["t"].max() < 300_000
    assert np.all(np.diff(events["t"]) >= 0)
    assert events["x"].max() <= 33 and events["y"].max() <= 33
    # label = the sklearn digit: image 0 is a 0, image 1 a 1
    assert ds.files[0].name == "00000.bin" and ds.labels[0] == 0


def test_nmnist_synth_read_identically_by_tonic(nmnist_small):
    import tonic.datasets

    ours = load_nmnist(nmnist_small, "test")
    with mock.patch.object(tonic.datasets.NMNIST, "_check_exists", return_value=True):
        theirs = tonic.datasets.NMNIST(str(nmnist_small), train=False)
    assert len(theirs) == len(ours)
    for i in range(len(ours)):
        np.testing.assert_array_equal(ours[i][0], theirs[i][0])
        assert ours[i][1] == theirs[i][1]


def test_nmnist_synth_deterministic(nmnist_small, tmp_path):
    generate_nmnist(tmp_path, SynthNmnistConfig(limit=60))
    for file in sorted((nmnist_small / "NMNIST").rglob("*.bin"))[:10]:
        twin = tmp_path / file.relative_to(nmnist_small)
        assert twin.read_bytes() == file.read_bytes()


def test_unknown_bundled_name(tmp_path):
    from spikesim.errors import DatasetError

    with pytest.raises(DatasetError, match="unknown bundled dataset 'mnist'.*shd-synth"):
        bundled.ensure("mnist", tmp_path)


@pytest.mark.slow
def test_nmnist_synth_full(tmp_path):
    folder = bundled.ensure("nmnist-synth", tmp_path)
    assert len(load_nmnist(folder, "train")) == 1498 and len(load_nmnist(folder, "test")) == 299


def test_shd_adding_over_shd_synth(shd_synth):
    from spikesim.datasets import ShdAdding

    source = load_shd(shd_synth, "test")
    ds = ShdAdding(source, n_samples=200, seed=0)
    values = np.array([int(i) % 10 for i in range(20)])  # english-k and german-k both name k
    expected = values[source.labels[ds.pairs]].sum(axis=1)
    assert ds.labels.tolist() == expected.tolist()
    assert ds.labels.min() >= 0 and ds.labels.max() <= 18
    events, label = ds[0]
    assert np.all(np.diff(events["t"]) >= 0) and label == expected[0]
