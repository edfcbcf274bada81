"""Forests flattened into numpy arrays, evaluated for a whole batch at once.

scikit-learn's ``predict_proba`` / ``score_samples`` pay a fixed cost per call (input
validation, a joblib loop over trees): about 9 ms for ONE row with 2 x 60 trees here, which
alone would break the threat-score latency goal. These evaluators walk every tree of a
forest for every row together (one numpy step per tree level) and give the same numbers as
scikit-learn (checked by ``tests/unit/scoring/test_scoring_compiled.py``): rows are cast to
float32 first, as scikit-learn's trees do, and leaves loop onto themselves.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]


class FlatForest:
    """All trees of a forest in flat arrays (global node ids; roots at ``roots``)."""

    def __init__(self, trees: list[Any], payloads: list[Array]) -> None:
        lefts, rights, features, thresholds, roots = [], [], [], [], []
        offset = 0
        depth = 0
        for tree in trees:
            n = tree.node_count
            ids = np.arange(n) + offset
            leaf = tree.children_left == -1
            lefts.append(np.where(leaf, ids, tree.children_left + offset))
            rights.append(np.where(leaf, ids, tree.children_right + offset))
            features.append(np.where(leaf, 0, tree.feature))
            thresholds.append(np.where(leaf, 0.0, tree.threshold))
            roots.append(offset)
            depth = max(depth, int(tree.max_depth))
            offset += n
        self.left = np.concatenate(lefts).astype(np.int64)
        self.right = np.concatenate(rights).astype(np.int64)
        self.feature = np.concatenate(features).astype(np.int64)
        self.threshold = np.concatenate(thresholds).astype(np.float64)
        self.payload = np.ascontiguousarray(np.concatenate(payloads))
        self.payload_t = np.ascontiguousarray(self.payload.T)
        self.roots = np.asarray(roots, dtype=np.int64)
        self.depth = depth
        self.trees = list(trees)

    def leaves(self, x: Array) -> Array:
        """Leaf node id (global) of every row in every tree: shape (rows, trees).

        Uses each tree's compiled ``apply`` on float32 rows (what scikit-learn does inside,
        without its per-call validation and joblib dispatch).
        """
        x32 = np.ascontiguousarray(x, dtype=np.float32)
        out = np.empty((x32.shape[0], len(self.trees)), dtype=np.int64)
        for t, (tree, root) in enumerate(zip(self.trees, self.roots, strict=True)):
            out[:, t] = tree.apply(x32) + root
        return out

    def leaves_numpy(self, x: Array) -> Array:
        """The same as :meth:`leaves` in pure numpy (reference for the flat arrays)."""
        x32 = np.asarray(x, dtype=np.float32).astype(np.float64)
        n = x32.shape[0]
        node = np.broadcast_to(self.roots, (n, len(self.roots))).copy()
        rows = np.arange(n)[:, None]
        for _ in range(self.depth):
            go_left = x32[rows, self.feature[node]] <= self.threshold[node]
            node = np.where(go_left, self.left[node], self.right[node])
        return node


def compile_classifier(rf: Any) -> FlatForest:
    """A RandomForestClassifier; payload = per-node class probabilities."""
    payloads = []
    for est in rf.estimators_:
        value = est.tree_.value[:, 0, :].astype(np.float64)
        total = value.sum(axis=1, keepdims=True)
        payloads.append(value / np.where(total == 0, 1.0, total))
    return FlatForest([e.tree_ for e in rf.estimators_], payloads)


def predict_proba(forest: FlatForest, x: Array) -> Array:
    """Mean of the trees' leaf probabilities (one gather + sum per class: the fastest form)."""
    leaves = forest.leaves(x)
    per_class = forest.payload_t
    n_trees = leaves.shape[1]
    cols = [np.take(per_class[k], leaves).sum(axis=1) for k in range(per_class.shape[0])]
    return np.asarray(np.stack(cols, axis=1) / n_trees)


def _average_path_length(n: Array) -> Array:
    n = np.asarray(n, dtype=np.float64)
    out = np.zeros_like(n)
    out[n == 2] = 1.0
    big = n > 2
    out[big] = 2.0 * (np.log(n[big] - 1.0) + np.euler_gamma) - 2.0 * (n[big] - 1.0) / n[big]
    return out


class CompiledIsolation:
    """An IsolationForest (all features per tree); ``raw(x)`` = ``-score_samples(x)``."""

    def __init__(self, iforest: Any) -> None:
        if any(len(f) != iforest.n_features_in_ for f in iforest.estimators_features_):
            raise ValueError("feature-subsampled isolation forests are not supported")
        payloads = []
        for est in iforest.estimators_:
            tree = est.tree_
            payloads.append(
                tree.compute_node_depths() + _average_path_length(tree.n_node_samples) - 1.0
            )
        self.forest = FlatForest([e.tree_ for e in iforest.estimators_], payloads)
        self.denominator = len(iforest.estimators_) * float(
            _average_path_length(np.asarray([iforest._max_samples]))[0]
        )

    def raw(self, x: Array) -> Array:
        depths = self.forest.payload[self.forest.leaves(x)].sum(axis=1)
        if self.denominator == 0:
            return np.ones(depths.shape[0])
        return np.asarray(2.0 ** (-depths / self.denominator))
