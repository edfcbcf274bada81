"""Model artefacts (skops, hash-pinned) and the score/level/decision policy."""
