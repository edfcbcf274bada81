"""Packet-level detectors, one rule per module, run by the monitor's capture pipeline.

They run inside the pipeline (no bus round trip) and return ``detection`` events. Every
detector has a configurable threshold and allowlist (``[monitor.detectors.<rule>]``, defined
in :mod:`phantomnet.detection.config`). They read the monitor's flow table, decoded batch
and packet metadata (``monitor.flows``, ``monitor.decode``, ``monitor.dispatch``...) and
the parsed messages of :mod:`phantomnet.analyzers`; nothing else of the monitor.
"""
