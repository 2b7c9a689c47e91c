"""``spikesim run``'s machinery: configs and presets, data, the training loop, DDP, reports.

Imports torch. Entry point for code: ``spikesim.train.runner.execute(cfg, invocation, out)``.
"""
