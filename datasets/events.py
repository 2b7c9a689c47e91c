"""Event arrays in tonic's layout and the checks every loader applies to one sample.

Events are numpy structured arrays with times ``t`` in µs (int64), as tonic builds them:

- audio (SHD, SSC, N-TIDIGITS): fields ``(t, x, p)``, ``x`` the channel, ``p`` always 1;
- N-MNIST: fields ``(x, y, t, p)``, ``p`` 1 = ON, 0 = OFF.

Decreasing timestamps are **sorted** (stable, by ``t``) by default, because real recordings
sometimes carry small reorderings and every transform here needs sorted time; pass
``unsorted="error"`` to reject such samples instead. An empty sample is always an error:
no model can classify it, and silently padding it hides a broken file.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from spikesim.errors import DatasetError

#: tonic's dtype for SHD, SSC and N-TIDIGITS (int is int64 on Linux, as in tonic).
AUDIO_DTYPE = np.dtype([("t", int), ("x", int), ("p", int)])
#: tonic's dtype for N-MNIST.
NMNIST_DTYPE = np.dtype([("x", int), ("y", int), ("t", int), ("p", int)])

UnsortedPolicy = Literal["sort", "error"]


def check_sample(
    events: np.ndarray, source: str, index: int | str, unsorted: UnsortedPolicy = "sort"
) -> np.ndarray:
    """Return ``events`` sorted by ``t``, or raise ``DatasetError`` naming ``source``/``index``.

    ``source`` is the file the sample came from; ``index`` its position or id in that file.
    """
    if len(events) == 0:
        raise DatasetError(f"{source}: sample {index} is empty (0 events); expected at least one")
    t = events["t"]
    steps = np.diff(t)
    if np.any(steps < 0):
        first = int(np.argmax(steps < 0))
        if unsorted == "error":
            raise DatasetError(
                f"{source}: sample {index} has decreasing timestamps: event {first + 1} at "
                f"t={int(t[first + 1])} µs follows t={int(t[first])} µs (expected non-decreasing)"
            )
        if unsorted != "sort":
            raise ValueError(f"unsorted must be 'sort' or 'error', got {unsorted!r}")
        events = events[np.argsort(t, kind="stable")]
    return events


def audio_events(times_s: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Build ``(t, x, p)`` events from spike times in seconds and channel ids, exactly as tonic.

    Times are cast to float64 before ×1e6 and truncated toward zero to µs (tonic 1.7.0).
    """
    events = np.empty(len(times_s), dtype=AUDIO_DTYPE)
    events["t"] = (np.asarray(times_s, dtype=np.float64) * 1e6).astype(int)
    events["x"] = units
    events["p"] = 1
    return events
