"""Train and evaluate the scoring models from a labelled data directory.

Evaluation, per head (flow, session), reported beside each other:

* **held-out scenario**: fit on the items marked ``train``, test on those marked ``test``
  (other tools and other runs: the figure that matters);
* **random split**: a stratified 70/30 split of all rows (the optimistic figure papers
  usually print, shown only for contrast);
* **single-feature baseline**: the best one-feature decision stump (chosen on training data)
  scored on the held-out test set (D'hooge et al.'s "castles built on sand" check).

Metrics: per-class precision/recall/F1, confusion matrix, false positives per 10,000 benign
test subjects (as alerts: decision ALERT or BLOCK; and as blocks). The shipped artefact is
then refitted on every item with the same recipe.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from phantomnet.errors import InvalidInput
from phantomnet.scoring.config import Thresholds
from phantomnet.scoring.dataset import HeadData, Item, PcapReader, build, load_manifest
from phantomnet.scoring.features import (
    FLOW_FEATURES,
    IDENTITY_FLOW_FEATURES,
    Head,
    flow_feature_names,
)
from phantomnet.scoring.models.artifact import save_artifact
from phantomnet.scoring.models.scorer import BENIGN, ScoringModel
from phantomnet.scoring.session_features import SESSION_FEATURES

Array = np.ndarray[Any, Any]


@dataclass(frozen=True, slots=True)
class Recipe:
    """Hyper-parameters (fixed, not tuned on the test split)."""

    rf_trees: int = 60
    rf_max_depth: int = 14
    rf_min_leaf: int = 2
    if_trees: int = 60
    if_max_samples: int = 256
    seed: int = 0


def fit_head(x: Array, y: Sequence[str], names: Sequence[str], recipe: Recipe) -> dict[str, Any]:
    """Fit RF on all rows and IF on the benign rows; calibrate IF on benign scores."""
    from sklearn.ensemble import IsolationForest, RandomForestClassifier

    labels = np.asarray(y)
    if BENIGN not in set(labels):
        raise InvalidInput("training data has no benign rows")
    rf = RandomForestClassifier(
        n_estimators=recipe.rf_trees,
        max_depth=recipe.rf_max_depth,
        min_samples_leaf=recipe.rf_min_leaf,
        class_weight="balanced",
        random_state=recipe.seed,
        n_jobs=1,
    ).fit(x, labels)
    benign = x[labels == BENIGN]
    iforest = IsolationForest(
        n_estimators=recipe.if_trees,
        max_samples=min(recipe.if_max_samples, len(benign)),
        random_state=recipe.seed,
        n_jobs=1,
    ).fit(benign)
    raw = -iforest.score_samples(benign)
    return {
        "features": list(names),
        "classes": [str(c) for c in rf.classes_],
        "rf": rf,
        "iforest": iforest,
        "if_q50": float(np.quantile(raw, 0.5)),
        "if_q999": float(np.quantile(raw, 0.999)),
    }


def _model(heads: dict[str, dict[str, Any]], thresholds: Thresholds) -> ScoringModel:
    return ScoringModel({"version": "eval", "heads": heads}, {}, thresholds)


def classification(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    classes: Sequence[str],
) -> dict[str, Any]:
    """Per-class precision/recall/F1/support, macro F1 and the confusion matrix."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(
        y_true, y_pred, labels=list(classes), zero_division=0
    )
    per_class = {
        c: {
            "precision": round(float(p[i]), 4),
            "recall": round(float(r[i]), 4),
            "f1": round(float(f[i]), 4),
            "support": int(s[i]),
        }
        for i, c in enumerate(classes)
    }
    present = [c for c in classes if per_class[c]["support"] > 0]
    macro = float(np.mean([per_class[c]["f1"] for c in present])) if present else 0.0
    cm = confusion_matrix(y_true, y_pred, labels=list(classes))
    return {
        "per_class": per_class,
        "macro_f1": round(macro, 4),
        "classes": list(classes),
        "confusion": cm.tolist(),
    }


def false_positives(y_true: Sequence[str], decisions: Sequence[str]) -> dict[str, Any]:
    """Alerts and blocks on benign subjects, per 10,000 benign subjects."""
    benign = [d for t, d in zip(y_true, decisions, strict=True) if t == BENIGN]
    n = len(benign)
    alerts = sum(d != "ALLOW" for d in benign)
    blocks = sum(d == "BLOCK" for d in benign)
    per = (lambda k: round(k * 10_000 / n, 1)) if n else (lambda k: None)
    return {
        "benign": n,
        "alerts": alerts,
        "blocks": blocks,
        "alerts_per_10k": per(alerts),
        "blocks_per_10k": per(blocks),
    }


def evaluate(
    head: Head,
    train: tuple[Array, list[str]],
    test: tuple[Array, list[str]],
    names: Sequence[str],
    recipe: Recipe,
    thresholds: Thresholds,
) -> dict[str, Any]:
    """Fit on ``train``, measure on ``test`` (classes = union, sorted, benign first)."""
    fitted = fit_head(train[0], train[1], names, recipe)
    verdicts = _model({head: fitted}, thresholds).score(head, test[0])
    classes = sorted(set(train[1]) | set(test[1]), key=lambda c: (c != BENIGN, c))
    preds = [v.label for v in verdicts]
    result = classification(test[1], preds, classes)
    result["false_positives"] = false_positives(test[1], [v.decision for v in verdicts])
    # Detection view: did an attack subject get at least an alert?
    attacks = [v.decision != "ALLOW" for t, v in zip(test[1], verdicts, strict=True) if t != BENIGN]
    result["attack_alert_rate"] = round(sum(attacks) / len(attacks), 4) if attacks else None
    importances = fitted["rf"].feature_importances_
    order = np.argsort(importances)[::-1][:8]
    result["top_features"] = [[names[i], round(float(importances[i]), 4)] for i in order]
    return result


def single_feature_baseline(
    train: tuple[Array, list[str]], test: tuple[Array, list[str]], names: Sequence[str]
) -> dict[str, Any]:
    """Best one-feature stump (as many leaves as classes), chosen on training macro F1."""
    from sklearn.metrics import f1_score
    from sklearn.tree import DecisionTreeClassifier

    n_classes = len(set(train[1]))
    best: tuple[float, int] = (-1.0, 0)
    for j in range(train[0].shape[1]):
        stump = DecisionTreeClassifier(max_leaf_nodes=max(n_classes, 2), random_state=0)
        stump.fit(train[0][:, j : j + 1], train[1])
        f1 = float(f1_score(train[1], stump.predict(train[0][:, j : j + 1]), average="macro"))
        if f1 > best[0]:
            best = (f1, j)
    j = best[1]
    stump = DecisionTreeClassifier(max_leaf_nodes=max(n_classes, 2), random_state=0)
    stump.fit(train[0][:, j : j + 1], train[1])
    classes = sorted(set(train[1]) | set(test[1]), key=lambda c: (c != BENIGN, c))
    result = classification(test[1], list(stump.predict(test[0][:, j : j + 1])), classes)
    result["feature"] = names[j]
    result["train_macro_f1"] = round(best[0], 4)
    return result


def _split(d: HeadData, which: str) -> tuple[Array, list[str]]:
    idx = [i for i, s in enumerate(d.splits) if s == which]
    x = d.matrix()
    return x[idx] if idx else np.empty((0, x.shape[1] if x.ndim == 2 else 0)), [
        d.labels[i] for i in idx
    ]


def random_split(
    d: HeadData, names: Sequence[str], recipe: Recipe, thresholds: Thresholds, head: Head
) -> dict[str, Any]:
    from sklearn.model_selection import train_test_split

    x, y = d.matrix(), d.labels
    xa, xb, ya, yb = train_test_split(x, y, test_size=0.3, random_state=recipe.seed, stratify=y)
    return evaluate(head, (xa, list(ya)), (xb, list(yb)), names, recipe, thresholds)


def head_report(
    head: Head, d: HeadData, names: Sequence[str], recipe: Recipe, thresholds: Thresholds
) -> dict[str, Any]:
    train, test = _split(d, "train"), _split(d, "test")
    counts: dict[str, dict[str, int]] = {}
    for label, split in zip(d.labels, d.splits, strict=True):
        counts.setdefault(label, {"train": 0, "test": 0})[split] += 1
    report: dict[str, Any] = {"rows": len(d.rows), "counts": counts, "scenarios": _scenarios(d)}
    if not train[1] or not test[1]:
        report["skipped"] = "needs rows in both the train and the test split"
        return report
    report["held_out"] = evaluate(head, train, test, names, recipe, thresholds)
    report["random_split"] = random_split(d, names, recipe, thresholds, head)
    report["baseline"] = single_feature_baseline(train, test, names)
    return report


def _scenarios(d: HeadData) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for group, label, split, tool in zip(d.groups, d.labels, d.splits, d.tools, strict=True):
        entry = out.setdefault(group, {"label": label, "split": split, "tool": tool, "rows": 0})
        entry["rows"] += 1
    return out


def train(
    data_dir: Path,
    out_dir: Path,
    *,
    pcap_reader: PcapReader | None = None,
    recipe: Recipe | None = None,
    thresholds: Thresholds | None = None,
    include_identity: bool = False,
    version: str | None = None,
) -> dict[str, Any]:
    """Build, evaluate, refit on everything, save; return the report (also written)."""
    from phantomnet.scoring.report import write_report

    recipe = recipe or Recipe()
    thresholds = thresholds or Thresholds()
    items: list[Item] = load_manifest(data_dir)
    data = build(items, pcap_reader, include_identity=include_identity, seed=recipe.seed)
    names: dict[Head, tuple[str, ...]] = {
        "flow": flow_feature_names(include_identity),
        "session": tuple(s.name for s in SESSION_FEATURES),
    }
    report: dict[str, Any] = {
        "heads": {},
        "recipe": asdict(recipe),
        "thresholds": thresholds.model_dump(),
    }
    heads: dict[str, dict[str, Any]] = {}
    for head, d in data.items():
        if not d.rows:
            continue
        report["heads"][head] = head_report(head, d, names[head], recipe, thresholds)
        heads[head] = fit_head(d.matrix(), d.labels, names[head], recipe)
    if "flow" not in heads:
        raise InvalidInput(f"{data_dir}: no flows to train on")
    version = version or datetime.now(UTC).strftime("pn-%Y%m%d-%H%M%S")
    metadata = _metadata(version, data_dir, items, report, names, include_identity)
    digest = save_artifact({"version": version, "heads": heads}, metadata, out_dir)
    report.update(version=version, artifact_sha256=digest, data=metadata["training_data"])
    write_report(report, out_dir)
    return report


def _metadata(
    version: str,
    data_dir: Path,
    items: list[Item],
    report: dict[str, Any],
    names: dict[Head, tuple[str, ...]],
    include_identity: bool,
) -> dict[str, Any]:
    import sklearn
    import skops

    docs = {s.name: s.doc for s in (*FLOW_FEATURES, *IDENTITY_FLOW_FEATURES, *SESSION_FEATURES)}
    return {
        "version": version,
        "created_at": datetime.now(UTC).isoformat(),
        "sklearn_version": sklearn.__version__,
        "skops_version": skops.__version__,
        "python": platform.python_version(),
        "include_identity": include_identity,
        "features": {
            h: [{"name": n, "doc": docs.get(n, "")} for n in ns] for h, ns in names.items()
        },
        "training_data": {
            "directory": data_dir.name,
            "items": [
                {
                    "scenario": i.scenario,
                    "run": i.run,
                    "label": i.label,
                    "tool": i.tool,
                    "split": i.split,
                }
                for i in items
            ],
        },
        "metrics": {
            h: {k: r.get(k) for k in ("held_out", "baseline", "random_split") if k in r}
            for h, r in report["heads"].items()
        },
    }
