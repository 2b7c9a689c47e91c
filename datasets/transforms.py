"""Event transforms and dense binning. Everything here is numpy and returns new arrays.

Binning rule (``bin_events``): an event at ``t`` µs with ``0 <= t < T·dt`` lands in bin
``floor(t / dt)``; events outside ``[0, T·dt)`` are dropped, nothing else is. tonic's ``ToFrame``
is not used because it silently drops tail events and zeroes ``p`` in place (see
``docs/datasets.md``). Crop and downsample are one-line numpy operations; calling tonic's
versions would import torch into every data-loader worker for no gain.

Dense layout: ``[T, C]`` float32 spike counts. Audio events ``(t, x, p)`` use ``C = W`` (the
channel ``x``); camera events ``(x, y, t, p)`` use ``C = P·H·W`` with channel
``(p·H + y)·W + x``, i.e. tonic's ``(T, P, H, W)`` frame flattened.

Public API: ``DenseTransform`` (all parameters, hashed by the cache), ``bin_events``,
``pool_channels``, ``center_crop``, ``downsample``, ``merge_polarity``, ``first_saccade``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

#: N-MNIST's first saccade ends at 100 ms (tonic's ``first_saccade_only`` rule), in µs.
FIRST_SACCADE_END_US = 100_000

SensorSize = tuple[int, int, int]


def n_channels(sensor_size: SensorSize) -> int:
    """Number of dense channels for a sensor ``(W, H, P)``."""
    width, height, polarities = sensor_size
    return width * height * polarities


def bin_events(
    events: np.ndarray,
    sensor_size: SensorSize,
    dt_us: int,
    n_bins: int | None = None,
    max_bins: int | None = None,
) -> np.ndarray:
    """Count events in ``dt_us``-wide bins: ``[T, C]`` float32, ``T`` in steps.

    ``n_bins`` fixes ``T`` (window ``[0, n_bins·dt_us)``); otherwise ``T`` covers the last event,
    capped at ``max_bins`` when given. Audio sensors ``(W, 1, 1)`` count by ``x`` only.
    """
    if dt_us <= 0:
        raise ValueError(f"dt_us must be > 0 µs, got {dt_us}")
    width, height, polarities = sensor_size
    t = events["t"]
    if n_bins is None:
        n_bins = int(t.max()) // dt_us + 1 if len(t) else 1
        if max_bins is not None:
            n_bins = min(n_bins, max_bins)
    keep = (t >= 0) & (t < n_bins * dt_us)
    steps = t[keep] // dt_us
    if "y" in events.dtype.names:
        p = events["p"][keep].astype(np.int64) if polarities > 1 else 0
        channel = (p * height + events["y"][keep]) * width + events["x"][keep]
    else:
        channel = events["x"][keep]
    c = n_channels(sensor_size)
    counts = np.bincount(steps * c + channel, minlength=n_bins * c)
    return counts.reshape(n_bins, c).astype(np.float32)


def pool_channels(frames: np.ndarray, factor: int) -> np.ndarray:
    """Sum groups of ``factor`` neighbouring channels: ``[T, C] -> [T, C // factor]`` (700 → 140 for 5)."""
    steps, c = frames.shape
    if c % factor:
        raise ValueError(f"{c} channels do not split into groups of {factor}")
    return frames.reshape(steps, c // factor, factor).sum(axis=2)


def center_crop(events: np.ndarray, sensor_size: SensorSize, size: tuple[int, int]):
    """Keep the central ``size = (W, H)`` pixels; returns ``(events, new_sensor_size)``."""
    width, height, polarities = sensor_size
    x0, y0 = (width - size[0]) // 2, (height - size[1]) // 2
    x, y = events["x"], events["y"]
    keep = (x >= x0) & (x < x0 + size[0]) & (y >= y0) & (y < y0 + size[1])
    out = events[keep].copy()
    out["x"] -= x0
    out["y"] -= y0
    return out, (size[0], size[1], polarities)


def downsample(events: np.ndarray, sensor_size: SensorSize, factor: int):
    """Merge ``factor × factor`` pixel blocks (``x // factor``); returns ``(events, new_size)``."""
    width, height, polarities = sensor_size
    out = events.copy()
    out["x"] //= factor
    out["y"] //= factor
    return out, (-(-width // factor), -(-height // factor), polarities)


def merge_polarity(events: np.ndarray, sensor_size: SensorSize):
    """Count ON and OFF events together (``p = 0``); returns ``(events, (W, H, 1))``."""
    out = events.copy()
    out["p"] = 0
    return out, (sensor_size[0], sensor_size[1], 1)


def first_saccade(events: np.ndarray) -> np.ndarray:
    """Keep N-MNIST events of the first saccade, ``t < 100000`` µs."""
    return events[events["t"] < FIRST_SACCADE_END_US]


@dataclass(frozen=True)
class DenseTransform:
    """Events → ``[T, C]`` float32 counts. Every field enters the cache key.

    ``dt_us``: bin width (µs). ``n_bins``/``max_bins``: fixed or maximum length (steps).
    ``pool``: sum groups of this many channels (5 turns SHD's 700 into 140).
    Camera options, applied in this order: ``first_saccade_only``, ``crop`` (W, H),
    ``downsample`` (integer factor), ``merge_polarity``.
    """

    dt_us: int = 10_000
    n_bins: int | None = None
    max_bins: int | None = None
    pool: int = 1
    crop: tuple[int, int] | None = None
    downsample: int = 1
    merge_polarity: bool = False
    first_saccade_only: bool = False

    def params(self) -> dict:
        """All parameters as a JSON-ready dict (the cache key's transform part)."""
        out = asdict(self)
        out["crop"] = list(self.crop) if self.crop else None
        return out

    def output_size(self, sensor_size: SensorSize) -> SensorSize:
        """The sensor size after the camera options (before pooling)."""
        width, height, polarities = sensor_size
        if self.crop:
            width, height = self.crop
        if self.downsample > 1:
            width, height = -(-width // self.downsample), -(-height // self.downsample)
        if self.merge_polarity:
            polarities = 1
        return (width, height, polarities)

    def n_features(self, sensor_size: SensorSize) -> int:
        """``C`` of the output for a source sensor ``(W, H, P)``."""
        return n_channels(self.output_size(sensor_size)) // self.pool

    def __call__(self, events: np.ndarray, sensor_size: SensorSize) -> np.ndarray:
        if "y" in events.dtype.names:
            if self.first_saccade_only:
                events = first_saccade(events)
            if self.crop:
                events, sensor_size = center_crop(events, sensor_size, self.crop)
            if self.downsample > 1:
                events, sensor_size = downsample(events, sensor_size, self.downsample)
            if self.merge_polarity:
                events, sensor_size = merge_polarity(events, sensor_size)
        frames = bin_events(events, sensor_size, self.dt_us, self.n_bins, self.max_bins)
        return pool_channels(frames, self.pool) if self.pool > 1 else frames
