"""Threat intelligence: geolocation of attacker addresses (``geo``)."""
