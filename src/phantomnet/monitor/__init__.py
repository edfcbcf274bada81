"""Passive network monitor: capture, batch decoding, flows, parsers, fingerprints, detectors.

Public entry points: :func:`phantomnet.monitor.replay.events_from_pcap` (offline) and
:class:`phantomnet.monitor.component.MonitorComponent` (runtime).
"""
