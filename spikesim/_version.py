"""Single source of the package and semantics versions."""

__version__ = "0.1.0"

#: Version of ``docs/semantics.md``. Bump when any node's discrete-time update changes.
SEMANTICS_VERSION = 1
