"""Every detector, event level and packet level, and the rule catalogue.

* event level (``phantomnet.detectors`` entry points): :mod:`.brute_force`, :mod:`.http_attacks`,
  :mod:`.ftp_traversal`, run on the bus by :class:`.engine.DetectorEngine`;
* packet level (:mod:`.packet`): run in the monitor's capture pipeline;
* :mod:`.config`: the one validated config base; :mod:`.common`: cooldown LRU and the
  evidence format; :mod:`.catalogue`: the single list of rule names.
"""
