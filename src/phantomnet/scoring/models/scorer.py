"""Combine RandomForest and IsolationForest into a score, a level, a decision, a confidence.

Per head (flow, session):

* the RandomForest gives class probabilities; ``rf = 100 * (1 - P(benign))``;
* the IsolationForest, fitted on benign training data, gives ``raw = -score_samples``
  (in (0, 1], 0.5 = average path length); it is calibrated piecewise-linearly on benign
  training data: median benign raw -> 0, 99.9th percentile (q999) -> 0.35, and
  ``q999 + IF_TOP * (q999 - q50)`` -> 1 (isolation scores saturate: a point far from all
  training data lands there);
* ``score = max(rf, anomaly_cap * anomaly)``: strong novelty can raise an alert but the
  unsupervised part alone can never block;
* ``confidence`` is the RandomForest's top-class probability when it decided the score,
  else the anomaly itself.

Inputs are batches (numpy arrays): one call per micro-batch, never one per flow. The forests
are evaluated by ``compiled`` (flat numpy arrays, same numbers as scikit-learn, without its
~9 ms fixed cost per call).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from phantomnet.errors import ModelError
from phantomnet.events import Decision, Level
from phantomnet.scoring.config import ScoringConfig, Thresholds
from phantomnet.scoring.features import Head
from phantomnet.scoring.models.artifact import default_model_dir, load_artifact
from phantomnet.scoring.models.compiled import (
    CompiledIsolation,
    compile_classifier,
    predict_proba,
)

Matrix = npt.NDArray[np.float64]
BENIGN = "benign"
IF_AT_Q999 = 0.35
IF_TOP = 0.25


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome for one subject."""

    score: float
    level: Level
    decision: Decision
    confidence: float
    anomaly: float
    label: str
    label_p: float

    @property
    def reasons(self) -> tuple[str, ...]:
        return (f"{self.label} p={self.label_p:.2f}", f"anomaly={self.anomaly:.2f}")


_LEVELS: tuple[Level, ...] = ("LOW", "MEDIUM", "HIGH")
_DECISIONS: tuple[Decision, ...] = ("ALLOW", "ALERT", "BLOCK")


def level_of(score: float, t: Thresholds) -> Level:
    if score >= t.high:
        return "HIGH"
    return "MEDIUM" if score >= t.medium else "LOW"


def decision_of(score: float, confidence: float, t: Thresholds) -> Decision:
    if score >= t.block and confidence >= t.block_min_confidence:
        return "BLOCK"
    return "ALERT" if score >= t.alert else "ALLOW"


class HeadModel:
    """One head: its feature names, classes, forests and anomaly calibration."""

    def __init__(self, head: str, obj: dict[str, Any]) -> None:
        try:
            self.head = head
            self.features: tuple[str, ...] = tuple(obj["features"])
            self.classes: tuple[str, ...] = tuple(str(c) for c in obj["classes"])
            self.rf = obj["rf"]
            self.iforest = obj["iforest"]
            self.q50 = float(obj["if_q50"])
            self.q999 = float(obj["if_q999"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"model head {head!r} is incomplete: {exc}") from exc
        if BENIGN not in self.classes:
            raise ModelError(f"model head {head!r} has no {BENIGN!r} class")
        self.benign = self.classes.index(BENIGN)
        self.span = max(self.q999 - self.q50, 1e-9)
        try:
            self.fast_rf = compile_classifier(self.rf)
            self.fast_if = CompiledIsolation(self.iforest)
        except (AttributeError, ValueError, TypeError) as exc:
            raise ModelError(f"model head {head!r} has unusable forests: {exc}") from exc

    def predict(self, x: Matrix) -> tuple[Matrix, Matrix]:
        """Class probabilities (n x classes) and anomaly in [0, 1] (n)."""
        proba: Matrix = predict_proba(self.fast_rf, x)
        raw: Matrix = self.fast_if.raw(x)
        low = IF_AT_Q999 * (raw - self.q50) / self.span
        top = self.q999 + IF_TOP * self.span
        high = IF_AT_Q999 + (1 - IF_AT_Q999) * (raw - self.q999) / (top - self.q999)
        anomaly = np.clip(np.where(raw <= self.q999, low, high), 0.0, 1.0)
        return proba, anomaly


class ScoringModel:
    """A loaded, verified model: ``score(head, matrix) -> list[Verdict]``."""

    def __init__(self, obj: dict[str, Any], metadata: dict[str, Any], thresholds: Thresholds):
        self.version = str(obj.get("version", "unknown"))[:64]
        self.metadata = metadata
        self.thresholds = thresholds
        heads = obj.get("heads")
        if not isinstance(heads, dict) or not heads:
            raise ModelError("model has no heads")
        self.heads: dict[str, HeadModel] = {k: HeadModel(k, v) for k, v in heads.items()}

    @classmethod
    def load(cls, config: ScoringConfig) -> ScoringModel:
        """Load the configured (or shipped) model after checking its pinned SHA-256."""
        directory = config.model_dir if config.model_dir is not None else default_model_dir()
        obj, meta = load_artifact(Path(directory), config.pinned_sha256())
        return cls(obj, meta, config.thresholds)

    def features(self, head: Head) -> tuple[str, ...]:
        return self._head(head).features

    def _head(self, head: str) -> HeadModel:
        try:
            return self.heads[head]
        except KeyError:
            raise ModelError(f"model has no {head!r} head") from None

    def score(self, head: Head, x: Matrix) -> list[Verdict]:
        """Score a batch of vectors of ``head`` (rows in the head's feature order)."""
        if x.shape[0] == 0:
            return []
        model = self._head(head)
        if x.shape[1] != len(model.features):
            raise ModelError(
                f"{head}: got {x.shape[1]} features, model wants {len(model.features)}"
            )
        proba, anomaly = model.predict(x)
        t = self.thresholds
        rf = 100.0 * (1.0 - proba[:, model.benign])
        top_p = proba.max(axis=1)
        ifs = t.anomaly_cap * anomaly
        score = np.round(np.maximum(rf, ifs), 2)
        conf = np.where(rf >= ifs, top_p, anomaly)
        level = np.where(score >= t.high, 2, np.where(score >= t.medium, 1, 0))
        blocked = (score >= t.block) & (conf >= t.block_min_confidence)
        decision = np.where(blocked, 2, np.where(score >= t.alert, 1, 0))
        labels = [model.classes[i] for i in proba.argmax(axis=1).tolist()]
        rows = zip(
            score.tolist(),
            level.tolist(),
            decision.tolist(),
            np.round(conf, 3).tolist(),
            np.round(anomaly, 3).tolist(),
            labels,
            np.round(top_p, 3).tolist(),
            strict=True,
        )
        out = [
            Verdict(s, _LEVELS[lv], _DECISIONS[d], c, a, lab, p) for s, lv, d, c, a, lab, p in rows
        ]
        return out
