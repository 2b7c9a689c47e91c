"""Binning, pooling and the N-MNIST options, with known answers and a tonic comparison."""

from __future__ import annotations

import numpy as np
import pytest

from spikesim.datasets.events import AUDIO_DTYPE, NMNIST_DTYPE
from spikesim.datasets.transforms import (
    DenseTransform,
    bin_events,
    center_crop,
    downsample,
    merge_polarity,
    pool_channels,
)


def audio(times_us, channels):
    ev = np.zeros(len(times_us), dtype=AUDIO_DTYPE)
    ev["t"], ev["x"], ev["p"] = times_us, channels, 1
    return ev


def camera(rows):
    return np.array(rows, dtype=NMNIST_DTYPE)


def test_bin_rule_floor_t_over_dt():
    ev = audio([0, 999, 1000, 2999, 3000], [0, 1, 1, 699, 5])
    x = bin_events(ev, (700, 1, 1), dt_us=1000, n_bins=3)
    assert x.dtype == np.float32 and x.shape == (3, 700)
    assert x[0, 0] == 1 and x[0, 1] == 1 and x[1, 1] == 1 and x[2, 699] == 1
    assert x.sum() == 4  # t = 3000 is outside [0, 3·1000)


def test_length_covers_last_event_or_capped():
    ev = audio([0, 999511], [0, 3])
    assert bin_events(ev, (700, 1, 1), dt_us=1000).shape == (1000, 700)
    assert bin_events(ev, (700, 1, 1), dt_us=1000, max_bins=50).shape == (50, 700)


def test_sum_over_frames_equals_events_in_window_unlike_tonic():
    import tonic.transforms

    rng = np.random.default_rng(0)
    ev = audio(np.sort(rng.integers(0, 1_000_000, 3000)), rng.integers(0, 700, 3000))
    ev["t"][0], ev["t"][-1] = 0, 999_999  # tonic's windows start at the first event
    ours = bin_events(ev, (700, 1, 1), dt_us=1000, n_bins=1000)
    assert ours.sum() == len(ev)
    frames = tonic.transforms.ToFrame(sensor_size=(700, 1, 1), time_window=1000)(ev.copy())
    assert frames.sum() < len(ev)  # tonic drops the tail: why spikesim bins itself
    # Where tonic keeps frames, they agree bin for bin.
    np.testing.assert_array_equal(ours[: len(frames)], frames[:, 0, :].astype(np.float32))


def test_does_not_modify_input():
    ev = audio([10, 20], [1, 2])
    before = ev.copy()
    DenseTransform(dt_us=5, pool=5)(ev, (700, 1, 1))
    np.testing.assert_array_equal(ev, before)


def test_pool_700_to_140_sums_groups_of_five():
    x = np.arange(2 * 700, dtype=np.float32).reshape(2, 700)
    pooled = pool_channels(x, 5)
    assert pooled.shape == (2, 140)
    assert pooled[0, 0] == 0 + 1 + 2 + 3 + 4 and pooled[1, 139] == sum(range(1395, 1400))
    with pytest.raises(ValueError, match="groups of 3"):
        pool_channels(x, 3)


def test_camera_layout_matches_tonic_frame():
    import tonic.transforms

    ev = camera([(1, 2, 0, 1), (33, 0, 5, 0), (0, 33, 9, 1), (5, 5, 10, 0)])
    ours = bin_events(ev, (34, 34, 2), dt_us=10, n_bins=2)
    assert ours.sum() == 4
    frames = tonic.transforms.ToFrame(
        sensor_size=(34, 34, 2), time_window=10, start_time=0, end_time=20
    )(ev.copy())
    np.testing.assert_array_equal(ours, frames.reshape(len(frames), -1).astype(np.float32))


def test_crop_downsample_merge():
    ev = camera([(0, 0, 0, 1), (16, 17, 1, 0), (20, 20, 2, 1), (33, 33, 3, 0)])
    cropped, size = center_crop(ev, (34, 34, 2), (28, 28))
    assert size == (28, 28, 2) and cropped[["x", "y"]].tolist() == [(13, 14), (17, 17)]
    small, size = downsample(ev, (34, 34, 2), 4)
    assert size == (9, 9, 2) and small["x"].tolist() == [0, 4, 5, 8]
    merged, size = merge_polarity(ev, (34, 34, 2))
    assert size == (34, 34, 1) and merged["p"].tolist() == [0, 0, 0, 0]
    t = DenseTransform(dt_us=10, crop=(28, 28), downsample=2, merge_polarity=True)
    assert t.n_features((34, 34, 2)) == 14 * 14
    assert t(ev, (34, 34, 2)).sum() == 2


def test_first_saccade_option():
    ev = camera([(0, 0, 99_999, 1), (0, 0, 100_000, 1)])
    x = DenseTransform(dt_us=1000, first_saccade_only=True)(ev, (34, 34, 2))
    assert x.sum() == 1 and x.shape[0] == 100
