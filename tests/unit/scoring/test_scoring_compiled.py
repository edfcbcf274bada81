"""The flat-array forest evaluators give scikit-learn's numbers."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import IsolationForest, RandomForestClassifier

from phantomnet.scoring.config import ScoringConfig
from phantomnet.scoring.models.compiled import CompiledIsolation, compile_classifier, predict_proba
from phantomnet.scoring.models.scorer import ScoringModel


def test_matches_sklearn_on_random_data() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(600, 6)) * [1, 10, 100, 0.1, 1, 1000]
    y = np.where(x[:, 0] + x[:, 1] / 10 > 0.5, "a", np.where(x[:, 2] > 0, "b", "c"))
    rf = RandomForestClassifier(
        n_estimators=15, max_depth=9, class_weight="balanced", random_state=0
    ).fit(x, y)
    iso = IsolationForest(n_estimators=15, max_samples=128, random_state=0).fit(x)
    probe = np.vstack([x[:50], rng.normal(size=(50, 6)) * 50, np.zeros((1, 6))])
    flat = compile_classifier(rf)
    np.testing.assert_array_equal(flat.leaves(probe), flat.leaves_numpy(probe))
    np.testing.assert_allclose(
        predict_proba(compile_classifier(rf), probe), rf.predict_proba(probe), rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(
        CompiledIsolation(iso).raw(probe), -iso.score_samples(probe), rtol=0, atol=1e-12
    )


def test_matches_sklearn_on_the_shipped_model() -> None:
    model = ScoringModel.load(ScoringConfig())
    rng = np.random.default_rng(3)
    for head in model.heads.values():
        n = len(head.features)
        probe = np.abs(rng.normal(size=(200, n))) * rng.choice([1, 10, 1000], size=(200, n))
        np.testing.assert_allclose(
            predict_proba(head.fast_rf, probe), head.rf.predict_proba(probe), atol=1e-12
        )
        np.testing.assert_allclose(
            head.fast_if.raw(probe), -head.iforest.score_samples(probe), atol=1e-12
        )
