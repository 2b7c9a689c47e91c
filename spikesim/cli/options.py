"""``--option KEY=VALUE`` arguments, shared by the subcommands that take them."""

from __future__ import annotations

from spikesim.errors import ConfigError


def parse_options(items: list[str]) -> dict[str, str]:
    """{KEY: VALUE} from ``KEY=VALUE`` strings; ConfigError naming an item without ``=``."""
    options = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--option {item!r}: expected KEY=VALUE")
        options[key] = value
    return options
