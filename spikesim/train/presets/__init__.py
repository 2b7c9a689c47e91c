"""Preset run configs (TOML), loaded by name with ``spikesim.train.config.read_raw``."""
