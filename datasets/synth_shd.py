"""``shd-synth``: a small SHD-format timing task (700 channels, 20 classes), made in seconds.

Generative model (all times in ms; ``docs/datasets.md`` has the full description):

- The 700 channels form 5 **bands** of 140 neighbouring channels (28 groups of 5, so the
  structure survives the delays paper's 700 → 140 pooling).
- Each class ``c`` is a fixed permutation ``π_c`` of 5 **slots** 50 ms apart: band ``k``
  bursts at ``o_c(k) = 50·π_c(k)`` ms, so offsets span 0..200 ms (20 bins of 10 ms, within a
  25-bin maximum delay). The 20 permutations are drawn once from ``TEMPLATE_SEED`` and shared
  by every split.
- A sample starts at a random onset ``b ~ U(50, 450)`` ms. Every channel of band ``k`` fires
  ``Poisson(2)`` spikes at ``b + o_c(k) + J_k + ε``, with a per-sample band jitter
  ``J_k ~ N(0, 3 ms)`` and a per-spike jitter ``ε ~ N(0, 4 ms)``.
- Background: every channel fires Poisson noise at the speaker's rate (3..5.75 Hz) over the
  whole 800 ms sample.

So each channel's spike count has the same distribution in every class (Poisson(2) plus
background): only the *relative timing* of the bands carries the class, and the random onset
removes absolute time as a cue. Aligning the bands needs delays of up to 200 ms; a network
without delays sees one band at a time (slots are 50 ms apart, five 10 ms bins).

Files: ``<out>/SHD/shd_train.h5`` (2000 samples, speakers 0..9) and ``shd_test.h5``
(500 samples, speakers 0..11; 10 and 11 appear only in test, as in SHD), float16 times
and uint16 units as tonic's fixtures, class names ``english-zero``.. ``german-neun``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from spikesim.io.atomic import atomic_path

N_CHANNELS = 700
N_CLASSES = 20
TEMPLATE_SEED = 20191
CLASS_NAMES = [
    f"english-{w}" for w in "zero one two three four five six seven eight nine".split()
] + [f"german-{w}" for w in "null eins zwei drei vier fuenf sechs sieben acht neun".split()]


@dataclass(frozen=True)
class SynthShdConfig:
    """Sizes and noise of ``shd-synth``; durations in ms, rates in Hz."""

    n_train: int = 2000
    n_test: int = 500
    seed: int = 0
    duration_ms: float = 800.0
    onset_ms: tuple[float, float] = (50.0, 450.0)
    spikes_per_channel: float = 2.0
    band_jitter_ms: float = 3.0
    spike_jitter_ms: float = 4.0
    n_speakers: int = 12
    n_train_speakers: int = 10
    n_bands: int = 5
    span_ms: float = 200.0


def class_offsets_ms(cfg: SynthShdConfig = SynthShdConfig()) -> np.ndarray:
    """``[20, n_bands]`` burst offset of each band in each class (ms): distinct slot permutations."""
    rng = np.random.default_rng(TEMPLATE_SEED)
    perms: list[tuple[int, ...]] = []
    while len(perms) < N_CLASSES:
        perm = tuple(int(v) for v in rng.permutation(cfg.n_bands))
        if perm not in perms:
            perms.append(perm)
    return np.asarray(perms, dtype=np.float64) * cfg.span_ms / (cfg.n_bands - 1)


def speaker_rate_hz(speaker: int) -> float:
    """Background rate per channel for a speaker (Hz)."""
    return 3.0 + 0.25 * speaker


def sample(
    rng: np.random.Generator, label: int, speaker: int, cfg: SynthShdConfig, offsets_ms: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One sample: ``(times in s, sorted; units)``."""
    band_of = np.arange(N_CHANNELS) * cfg.n_bands // N_CHANNELS
    onset = rng.uniform(*cfg.onset_ms)
    band_time = onset + offsets_ms[label] + rng.normal(0.0, cfg.band_jitter_ms, cfg.n_bands)
    counts = rng.poisson(cfg.spikes_per_channel, N_CHANNELS)
    units = np.repeat(np.arange(N_CHANNELS), counts)
    times = band_time[band_of[units]] + rng.normal(0.0, cfg.spike_jitter_ms, len(units))
    noise_counts = rng.poisson(speaker_rate_hz(speaker) * cfg.duration_ms / 1000.0, N_CHANNELS)
    noise_units = np.repeat(np.arange(N_CHANNELS), noise_counts)
    noise_times = rng.uniform(0.0, cfg.duration_ms, len(noise_units))
    times = np.concatenate([times, noise_times])
    units = np.concatenate([units, noise_units])
    keep = (times >= 0) & (times < cfg.duration_ms)  # never hit with the default onsets
    order = np.argsort(times[keep], kind="stable")
    return times[keep][order] / 1000.0, units[keep][order]


def _write_split(
    path: Path,
    rng: np.random.Generator,
    n: int,
    speakers: int,
    cfg: SynthShdConfig,
    offsets_ms: np.ndarray,
) -> None:
    labels = np.arange(n) % N_CLASSES
    rng.shuffle(labels)
    speaker = rng.integers(0, speakers, n)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        times_ds = f.create_dataset(
            "spikes/times", (n,), dtype=h5py.vlen_dtype(np.float16), track_times=False
        )
        units_ds = f.create_dataset(
            "spikes/units", (n,), dtype=h5py.vlen_dtype(np.uint16), track_times=False
        )
        for i in range(n):
            times, units = sample(rng, int(labels[i]), int(speaker[i]), cfg, offsets_ms)
            times_ds[i] = times.astype(np.float16)
            units_ds[i] = units.astype(np.uint16)
        f.create_dataset("labels", data=labels.astype(np.uint16), track_times=False)
        f.create_dataset(
            "extra/keys", data=np.array([k.encode() for k in CLASS_NAMES]), track_times=False
        )
        f.create_dataset("extra/speaker", data=speaker.astype(np.uint16), track_times=False)
        ids = np.arange(cfg.n_speakers)
        meta = {"gender": ids % 2, "age": 20 + 3 * ids, "body_height": 160 + 2 * ids}
        for key, values in meta.items():
            f.create_dataset(
                f"extra/meta_info/{key}", data=values.astype(np.uint16), track_times=False
            )


def generate(out: str | Path, cfg: SynthShdConfig = SynthShdConfig()) -> Path:
    """Write ``<out>/SHD/shd_{train,test}.h5`` deterministically; returns ``<out>/SHD``."""
    folder = Path(out) / "SHD"
    offsets_ms = class_offsets_ms(cfg)
    rng = np.random.default_rng(cfg.seed)
    _write_split(folder / "shd_train.h5", rng, cfg.n_train, cfg.n_train_speakers, cfg, offsets_ms)
    _write_split(folder / "shd_test.h5", rng, cfg.n_test, cfg.n_speakers, cfg, offsets_ms)
    return folder
