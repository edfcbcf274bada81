"""Threat scoring: features from events, IsolationForest + RandomForest, the scoring service.

``features`` turns ``network.flow`` events and honeypot sessions into numeric vectors;
``models`` holds the hash-pinned skops artefacts and the score/level/decision policy;
``train`` builds and evaluates models from labelled captures; ``service`` is the bus consumer.
Nothing here imports storage or the API (docs/architecture.md §7).
"""
