"""Event-level detectors: small, synchronous and deterministic given their inputs."""
