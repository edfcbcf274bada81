"""Pure protocol parsers over bytes: they return a parsed message, ``None`` (incomplete or
not this protocol) or an :class:`~phantomnet.monitor.parsers.base.Anomaly`, and never raise.
"""
