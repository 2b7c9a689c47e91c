"""A simulated RRAM in-memory-compute macro as a compile target (``backend="rram"``).

Modules, in pipeline order: ``config`` (the macro's parameters), ``mapping`` (projections to
delay slices and tiles of differential pairs), ``programming`` (write-verify, stochastic
switching, faults, drift), ``crossbar`` (IR drop, read noise, ADC), ``tiling`` (a projection
on several macros), ``energy`` (energy and latency report), ``simulator``/``backend`` (the
compile target), ``export`` (conductance maps for a lab, and their import) and ``sweep``.
"""

from spikesim.hardware.rram.config import MacroConfig

__all__ = ["MacroConfig"]
