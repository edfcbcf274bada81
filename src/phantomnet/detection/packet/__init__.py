"""Packet-level detectors of the monitor, one rule per module.

They run inside the capture pipeline (no bus round trip) and return ``detection`` events.
Every detector has a configurable threshold and allowlist (``[monitor.detectors.<rule>]``).
"""
