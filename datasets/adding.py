"""SHD-Adding (from the ELM-neuron paper): two spoken digits in a row, label = their sum.

Built from any SHD-format source (real SHD or ``shd-synth``) with a seed:

- pair ``i`` draws two source samples uniformly with replacement (``np.random.default_rng(seed)``),
  from any language/speaker of the same split;
- the digit *values* come from the class names in ``extra/keys`` (``"english-seven"``,
  ``"german-sieben"``, ``"7"``), never from ``label % 10``, since the label order of the
  official files is not documented;
- the second digit's events start ``gap_us`` µs after the first digit's last event
  (default 50 000 µs = 50 ms of silence), so the two never overlap;
- the label is the sum, 0..18: **19 classes** named ``"0"``..``"18"``.

Public API: ``ShdAdding(source, n_samples, seed, gap_us)``, ``digit_of(class_name)``.
"""

from __future__ import annotations

import numpy as np

from spikesim.errors import DatasetError

_WORDS = {
    **dict(zip("zero one two three four five six seven eight nine".split(), range(10))),
    **dict(zip("null eins zwei drei vier fuenf sechs sieben acht neun".split(), range(10))),
    "fünf": 5,
}


def digit_of(class_name: str) -> int:
    """The digit value 0..9 named by an SHD class name (English or German word, or a digit)."""
    for part in reversed(class_name.lower().replace("_", "-").split("-")):
        part = part.strip()
        if part.isdigit() and len(part) == 1:
            return int(part)
        if part in _WORDS:
            return _WORDS[part]
    raise DatasetError(
        f"class name {class_name!r} names no digit (expected an English or German digit word "
        f"such as 'english-seven' or 'german-sieben', or a digit)"
    )


class ShdAdding:
    """SHD-Adding over an SHD-format dataset. ``ds[i] -> (events, sum)``; ``t`` in µs.

    Attributes: ``pairs`` (N, 2) source indices, ``labels`` (N,), ``classes`` ("0".."18"),
    ``speaker`` (N, 2) source speakers, ``sensor_size`` of the source.
    """

    classes = [str(s) for s in range(19)]

    def __init__(self, source, n_samples: int, seed: int = 0, gap_us: int = 50_000):
        if gap_us < 0:
            raise ValueError(f"gap_us must be >= 0 µs, got {gap_us}")
        self.source = source
        self.gap_us = int(gap_us)
        self.seed = seed
        self.sensor_size = source.sensor_size
        values = np.array([digit_of(name) for name in source.classes])
        rng = np.random.default_rng(seed)
        self.pairs = rng.integers(0, len(source), size=(n_samples, 2))
        source_labels = np.asarray(source.labels)
        self.labels = values[source_labels[self.pairs]].sum(axis=1).astype(np.int64)
        self.speaker = np.asarray(source.speaker)[self.pairs]

    def __len__(self) -> int:
        return len(self.pairs)

    def cache_identity(self) -> dict:
        """What the cache key needs: the source's identity, size, seed and gap."""
        return {
            "class": "ShdAdding",
            "source": self.source.cache_identity(),
            "n_samples": len(self.pairs),
            "seed": self.seed,
            "gap_us": self.gap_us,
        }

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        first, _ = self.source[int(self.pairs[index, 0])]
        second, _ = self.source[int(self.pairs[index, 1])]
        second = second.copy()
        second["t"] += first["t"][-1] + self.gap_us
        return np.concatenate([first, second]), int(self.labels[index])
