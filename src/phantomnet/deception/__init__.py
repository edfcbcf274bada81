"""Deception: the shared fake host every honeypot door shows.

* :mod:`persona`: what the machine claims to be (data files in ``personas/``), per install.
* :mod:`fakefs`: base tree + per-attacker copy-on-write overlay (SQLite, no pickle).
* :mod:`shell`: a bash-like interpreter over the fake host (``run_command``).
* :mod:`honeytokens`, :mod:`credentials`: planted secrets and login policy.
* :mod:`host`: :class:`~phantomnet.deception.host.FakeHost` bundles them.
"""
