"""Atomic file writes: a temp file in the target's own directory, fsync, then ``os.replace``.

The temp file must live beside the target: a rename across filesystems (e.g. from /tmp) fails.
Temp names start with ``.`` and end with ``.tmp`` so loaders and globs can ignore stale ones.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def is_temp_file(path: str | os.PathLike) -> bool:
    """True for a leftover temp file of an interrupted atomic write."""
    name = Path(path).name
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp path beside ``target``; on success fsync it and rename it over ``target``.

    Use it for writers that want a path (h5py, torch.save, matplotlib). On an exception the
    temp file is removed and ``target`` is left untouched.
    """
    target = Path(target)
    directory = target.parent if str(target.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=directory)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        _fsync_dir(directory)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_open(target: str | os.PathLike, mode: str = "w", **kwargs) -> Iterator:
    """Open a temp file beside ``target`` for writing; it replaces ``target`` only on success."""
    if not any(flag in mode for flag in "wa"):
        raise ValueError(f"atomic_open needs a write mode, got {mode!r}")
    with atomic_path(target) as tmp, open(tmp, mode, **kwargs) as handle:
        yield handle
        handle.flush()
