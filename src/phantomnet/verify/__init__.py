"""Multi-path verification: ask the same question through independent paths and vote.

Assume the local network lies. A path (``phantomnet.verify_paths`` plug-in) answers one
question (a name's A/AAAA set, or a URL's HTTP answer); :mod:`.compare` says whether two
answers agree with OONI-style tolerance, :mod:`.quorum` applies the CA/B Forum BR 3.2.2.9
rule, :mod:`.engine` runs the paths concurrently and produces the :class:`.verdict.Verdict`.
"""
