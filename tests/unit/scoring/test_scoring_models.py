"""Artefacts (skops, SHA-256 pinned, trusted types) and the score/level/decision policy."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from phantomnet.errors import ArtifactIntegrityError, ConfigError, ModelError
from phantomnet.scoring.config import (
    DEFAULT_MODEL_SHA256,
    ScoringConfig,
    Thresholds,
    scoring_config,
)
from phantomnet.scoring.models.artifact import (
    MODEL_FILE,
    default_model_dir,
    load_artifact,
    save_artifact,
)
from phantomnet.scoring.models.scorer import ScoringModel, decision_of, level_of
from phantomnet.scoring.train import Recipe, fit_head

RNG = np.random.default_rng(1)


def tiny_head() -> dict[str, Any]:
    benign = RNG.normal(0, 1, size=(300, 4))
    attack = RNG.normal(6, 1, size=(300, 4))
    x = np.vstack([benign, attack])
    y = ["benign"] * 300 + ["scan"] * 300
    return fit_head(x, y, ["a", "b", "c", "d"], Recipe(rf_trees=8, if_trees=8))


def test_thresholds_levels_and_decisions() -> None:
    t = Thresholds()
    assert [level_of(s, t) for s in (0, 39.9, 40, 69.9, 70, 100)] == [
        "LOW",
        "LOW",
        "MEDIUM",
        "MEDIUM",
        "HIGH",
        "HIGH",
    ]
    assert decision_of(90, 0.9, t) == "BLOCK"
    assert decision_of(90, 0.3, t) == "ALERT"  # not confident enough to block
    assert decision_of(50, 0.9, t) == "ALERT"
    assert decision_of(10, 0.9, t) == "ALLOW"
    with pytest.raises(ValueError):
        Thresholds(medium=80, high=70)


def test_config_requires_a_pin_for_a_custom_model(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="model_sha256"):
        scoring_config({"model_dir": str(tmp_path)})
    with pytest.raises(ConfigError, match=r"scoring\.model_sha256"):
        scoring_config({"model_dir": str(tmp_path), "model_sha256": "nothex"})
    assert scoring_config({}).pinned_sha256() == DEFAULT_MODEL_SHA256


def test_save_load_roundtrip_and_scores(tmp_path: Path) -> None:
    digest = save_artifact(
        {"version": "t1", "heads": {"flow": tiny_head()}}, {"note": "unit"}, tmp_path
    )
    assert digest == hashlib.sha256((tmp_path / MODEL_FILE).read_bytes()).hexdigest()
    cfg = ScoringConfig(model_dir=tmp_path, model_sha256=digest)
    model = ScoringModel.load(cfg)
    assert model.version == "t1" and model.metadata["artifact_sha256"] == digest
    verdicts = model.score("flow", np.array([[0, 0, 0, 0], [6, 6, 6, 6]], dtype=float))
    assert verdicts[0].level == "LOW" and verdicts[0].decision == "ALLOW"
    assert verdicts[1].label == "scan" and verdicts[1].decision == "BLOCK"
    assert verdicts[1].score >= 85
    with pytest.raises(ModelError, match="features"):
        model.score("flow", np.zeros((1, 3)))
    with pytest.raises(ModelError, match="no 'session' head"):
        model.score("session", np.zeros((1, 4)))


def test_anomaly_alone_alerts_but_never_blocks(tmp_path: Path) -> None:
    head = tiny_head()
    model = ScoringModel({"heads": {"flow": head}}, {}, Thresholds())
    # Far from everything: the forest may call it anything, the anomaly is maximal.
    [v] = model.score("flow", np.array([[-40.0, 40.0, -40.0, 40.0]]))
    assert v.anomaly > 0.7
    [near] = model.score("flow", np.array([[0.1, 0.0, -0.1, 0.0]]))
    assert near.anomaly < 0.2
    if v.label == "benign":
        assert v.score == round(Thresholds().anomaly_cap * v.anomaly, 2)
        assert v.decision != "BLOCK"


def test_tampered_artefact_is_refused_before_loading(tmp_path: Path) -> None:
    digest = save_artifact({"version": "t", "heads": {"flow": tiny_head()}}, {}, tmp_path)
    path = tmp_path / MODEL_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactIntegrityError, match="does not match"):
        load_artifact(tmp_path, digest)
    # Even a file that would be a perfectly valid model is refused under a wrong pin.
    good = save_artifact({"version": "t", "heads": {"flow": tiny_head()}}, {}, tmp_path)
    with pytest.raises(ArtifactIntegrityError):
        load_artifact(tmp_path, "0" * 64)
    assert load_artifact(tmp_path, good)[0]["version"] == "t"


def test_untrusted_types_are_refused(tmp_path: Path) -> None:
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    obj = {"heads": {"flow": {"features": ["a"]}}, "trap": FunctionTransformer(func=print)}
    data = sio.dumps(obj, compression=zipfile.ZIP_DEFLATED)
    (tmp_path / MODEL_FILE).write_bytes(data)
    with pytest.raises(ModelError, match="untrusted"):
        load_artifact(tmp_path, hashlib.sha256(data).hexdigest())
    with pytest.raises(ModelError, match="untrusted"):
        save_artifact(obj, {}, tmp_path / "out")


def test_garbage_and_missing_files_are_model_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot read"):
        load_artifact(tmp_path, "0" * 64)
    (tmp_path / MODEL_FILE).write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="not a valid skops model"):
        load_artifact(tmp_path, hashlib.sha256(b"not a zip").hexdigest())


def test_shipped_default_model_matches_its_pinned_hash() -> None:
    directory = default_model_dir()
    data = (directory / MODEL_FILE).read_bytes()
    assert hashlib.sha256(data).hexdigest() == DEFAULT_MODEL_SHA256
    assert len(data) < 2 * 1024 * 1024
    model = ScoringModel.load(ScoringConfig())
    assert set(model.heads) == {"flow", "session"}
    assert model.metadata["artifact_sha256"] == DEFAULT_MODEL_SHA256


def test_equal_models_give_equal_bytes(tmp_path: Path) -> None:
    head = tiny_head()
    a = save_artifact({"version": "x", "heads": {"flow": head}}, {}, tmp_path / "a")
    b = save_artifact({"version": "x", "heads": {"flow": dict(head)}}, {}, tmp_path / "b")
    assert a == b  # no memory addresses or timestamps in the artefact
    model = ScoringModel.load(ScoringConfig(model_dir=tmp_path / "b", model_sha256=b))
    assert model.score("flow", np.zeros((1, 4)))[0].label == "benign"


def test_batch_policy_agrees_with_the_scalar_rules() -> None:
    t = Thresholds()
    model = ScoringModel({"heads": {"flow": tiny_head()}}, {}, t)
    x = np.random.default_rng(5).normal(3, 3, size=(400, 4))
    verdicts = model.score("flow", x)
    assert {v.level for v in verdicts} >= {"LOW", "HIGH"}
    for v in verdicts:
        assert v.level == level_of(v.score, t)
        assert v.decision == decision_of(v.score, v.confidence, t)
        assert v.reasons[0].startswith(v.label)
