"""Hardware targets: simulated devices and exporters for neuromorphic chips."""
