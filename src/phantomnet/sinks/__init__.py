"""Sinks: forward events to other systems (SIEM over syslog, chat and HTTP over webhooks).

Each configured ``[sinks.<name>]`` runs as its own bus consumer (``sinks.component``), so a
slow or failing target never delays storage, detection or another sink. See docs/sinks.md.
"""
