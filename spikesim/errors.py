"""Exceptions raised by spikesim. Each message names the file, node or field and what was expected."""


class SpikesimError(Exception):
    """Base class of every error spikesim raises on purpose."""


class GraphError(SpikesimError, ValueError):
    """An IR graph is invalid: shapes, delays, cycles, parameters or names."""


class FormatError(SpikesimError, ValueError):
    """A file is corrupt, truncated, foreign or missing a field."""


class UnsupportedFeatureError(SpikesimError, NotImplementedError):
    """A backend cannot simulate a feature of the graph exactly."""


class BackendUnavailableError(SpikesimError, RuntimeError):
    """A backend cannot run on this machine (no GPU, no Lava environment, missing package)."""


class ConfigError(SpikesimError, ValueError):
    """A run configuration has unknown keys or invalid values."""


class DatasetError(SpikesimError, ValueError):
    """A dataset is missing or its files are malformed."""
