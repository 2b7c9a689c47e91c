"""``nmnist-synth``: N-MNIST-format ``.bin`` files made from scikit-learn's 8×8 digits.

Source images: ``sklearn.datasets.load_digits`` (1797 images of 8×8 pixels, 0..16, bundled with
scikit-learn, no download; from the UCI "Optical Recognition of Handwritten Digits" set).

Event model (times in µs):

1. Each image is upscaled to 28×28 by bilinear interpolation and placed at the centre of the
   34×34 sensor, intensity ``I = 0.02 + x/16``.
2. The sensor follows N-MNIST's three saccades: a triangle ``(-2,-1.5) → (2,-1.5) → (0,2) →
   (-2,-1.5)`` pixels, each leg 100 ms at constant speed, 300 ms in all. The shifted image is
   sampled by bilinear interpolation every ``step_us`` = 2000 µs. This gives 3.8k–5.6k
   events per image (median ≈ 4.4k), half of them ON, spanning 0..300 ms.
3. Each pixel is a DVS pixel: it remembers a reference log intensity and emits an ON (OFF)
   event when ``log I`` rises (falls) by the contrast threshold ``C = 0.5`` from it; the
   reference then moves by ``C``. After an event the pixel is refractory for 2 ms.
4. An event's timestamp is its step time plus a uniform offset within the step, so events
   in a file are sorted by ``t`` in 0..300000 µs.

Split: image ``i`` goes to ``Test`` when ``i % 6 == 5`` (299 images), else to ``Train``
(1498). Files are ``<out>/NMNIST/{Train,Test}/<digit>/<i:05d>.bin``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spikesim.datasets.events import NMNIST_DTYPE
from spikesim.datasets.nmnist import write_bin

SENSOR = 34
SACCADE_VERTICES = np.array([(-2.0, -1.5), (2.0, -1.5), (0.0, 2.0), (-2.0, -1.5)])


@dataclass(frozen=True)
class SynthNmnistConfig:
    """Event-camera model of ``nmnist-synth``: times in µs, threshold in log units."""

    seed: int = 0
    saccade_us: int = 100_000
    step_us: int = 2_000
    threshold: float = 0.5
    refractory_us: int = 2_000
    base_intensity: float = 0.02
    limit: int | None = None  # use only the first ``limit`` images (tests)


def _resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Bilinear interpolation matrix ``[n_out, n_in]`` (pixel centres aligned)."""
    pos = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    pos = np.clip(pos, 0, n_in - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = pos - lo
    m = np.zeros((n_out, n_in))
    m[np.arange(n_out), lo] += 1 - frac
    m[np.arange(n_out), hi] += frac
    return m


def canvases(images: np.ndarray, base: float) -> np.ndarray:
    """``[N, 34, 34]`` intensities of ``[N, 8, 8]`` digit images (0..16)."""
    r = _resize_matrix(8, 28)
    big = np.einsum("ij,njk,lk->nil", r, images / 16.0, r)
    out = np.full((len(images), SENSOR, SENSOR), base)
    out[:, 3:31, 3:31] += big
    return out.astype(np.float32)


def _shift(img: np.ndarray, dx: float, dy: float) -> np.ndarray:
    # Bilinear shift; np.roll wraps only the empty border, since |shift| < 3 px.
    ix, iy = int(np.floor(dx)), int(np.floor(dy))
    fx, fy = dx - ix, dy - iy
    a = np.roll(img, (iy, ix), axis=(1, 2))
    b = np.roll(a, 1, axis=2)
    c = np.roll(a, 1, axis=1)
    d = np.roll(c, 1, axis=2)
    return (1 - fy) * ((1 - fx) * a + fx * b) + fy * ((1 - fx) * c + fx * d)


def position(t_us: float, saccade_us: int) -> tuple[float, float]:
    """Sensor displacement (pixels) at time ``t_us`` along the three-saccade triangle."""
    leg = min(int(t_us // saccade_us), 2)
    frac = min(t_us / saccade_us - leg, 1.0)
    p = SACCADE_VERTICES[leg] + frac * (SACCADE_VERTICES[leg + 1] - SACCADE_VERTICES[leg])
    return float(p[0]), float(p[1])


def events_for(
    images: np.ndarray, cfg: SynthNmnistConfig, rng: np.random.Generator
) -> list[np.ndarray]:
    """Simulate the camera over ``[N, 8, 8]`` images; one sorted event array per image."""
    canvas = canvases(images, cfg.base_intensity)
    ref = np.log(_shift(canvas, *position(0, cfg.saccade_us)))
    ready_at = np.zeros(canvas.shape)  # µs at which each pixel may fire again
    found = []
    for t in range(cfg.step_us, 3 * cfg.saccade_us + 1, cfg.step_us):
        log_i = np.log(_shift(canvas, *position(t, cfg.saccade_us)))
        diff = log_i - ref
        fire = (np.abs(diff) >= cfg.threshold) & (ready_at <= t)
        n, y, x = np.nonzero(fire)
        on = diff[n, y, x] > 0
        ref[n, y, x] += np.where(on, cfg.threshold, -cfg.threshold)
        ready_at[n, y, x] = t + cfg.refractory_us
        stamp = t - cfg.step_us + rng.integers(0, cfg.step_us, len(n))
        found.append(np.stack([n, x, y, stamp, on.astype(np.int64)], axis=1))
    rows = np.concatenate(found)
    rows = rows[np.lexsort((rows[:, 3], rows[:, 0]))]
    bounds = np.searchsorted(rows[:, 0], np.arange(len(images) + 1))
    out = []
    for i in range(len(images)):
        chunk = rows[bounds[i] : bounds[i + 1]]
        events = np.empty(len(chunk), dtype=NMNIST_DTYPE)
        for col, field in enumerate(("x", "y", "t", "p"), start=1):
            events[field] = chunk[:, col]
        out.append(events)
    return out


def generate(out: str | Path, cfg: SynthNmnistConfig = SynthNmnistConfig()) -> Path:
    """Write ``<out>/NMNIST/{Train,Test}/<digit>/<i:05d>.bin`` deterministically; returns ``<out>/NMNIST``."""
    from sklearn.datasets import load_digits  # lazy: scikit-learn is an optional dependency

    digits = load_digits()
    images, targets = digits.images, digits.target
    if cfg.limit is not None:
        images, targets = images[: cfg.limit], targets[: cfg.limit]
    folder = Path(out) / "NMNIST"
    rng = np.random.default_rng(cfg.seed)
    batch = 256  # bounds memory: a batch's state is a few [256, 34, 34] arrays
    for start in range(0, len(images), batch):
        stop = min(start + batch, len(images))
        for i, events in zip(range(start, stop), events_for(images[start:stop], cfg, rng)):
            split = "Test" if i % 6 == 5 else "Train"
            write_bin(folder / split / str(targets[i]) / f"{i:05d}.bin", events)
    return folder
