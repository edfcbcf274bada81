"""Sinks: forward events to other systems (SIEM over syslog, chat and HTTP over webhooks,
STIX 2.1 bundles to a file or a TAXII 2.1 collection).

Each configured ``[sinks.<name>]`` runs as its own bus consumer (``sinks.component``), so a
slow or failing target never delays storage, detection or another sink. See docs/sinks.md.
"""
