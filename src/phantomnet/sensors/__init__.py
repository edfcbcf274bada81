"""Honeypot sensors: the shared base (limits, sessions, identity) and one folder per protocol."""
