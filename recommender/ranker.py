"""A learned re-ranker: LightGBM LambdaRank over the features of each customer's candidates.

LambdaRank optimises NDCG directly from groups (one group per customer, one row per candidate,
label 1 when the customer bought the candidate in the labelled window). A tenth of the groups is
held out for early stopping, so the number of trees is learned from the store, not fixed.
"""
from __future__ import annotations

import lightgbm as lgb
import numpy as np

from .errors import NotFittedError


class LambdaRanker:
    def __init__(self, n_estimators: int = 600, learning_rate: float = 0.03, num_leaves: int = 15,
                 min_child_samples: int = 100, early_stopping_rounds: int = 60, eval_share: float = 0.15,
                 n_jobs: int = 2, random_state: int = 0) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.early_stopping_rounds = early_stopping_rounds
        self.eval_share = eval_share
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _params(self) -> dict:
        return {"objective": "lambdarank", "metric": "ndcg", "eval_at": [10], "learning_rate": self.learning_rate,
                "num_leaves": self.num_leaves, "min_data_in_leaf": self.min_child_samples,
                "feature_fraction": 0.9, "bagging_fraction": 0.9, "bagging_freq": 1, "seed": self.random_state,
                "num_threads": self.n_jobs, "verbosity": -1, "deterministic": True, "force_row_wise": True}

    def fit(self, features: np.ndarray, labels: np.ndarray, groups: np.ndarray,
            feature_names: list[str] | None = None) -> "LambdaRanker":
        """``groups`` holds each group's row count, in row order (as LightGBM reads it)."""
        groups = np.asarray(groups, dtype=np.int64)
        if groups.sum() != len(features) or len(labels) != len(features):
            raise ValueError("features, labels and groups must describe the same rows")
        rng = np.random.default_rng(self.random_state)
        held = rng.random(len(groups)) < self.eval_share
        row_held = np.repeat(held, groups)
        names = feature_names or [f"f{i}" for i in range(features.shape[1])]
        train = lgb.Dataset(features[~row_held], labels[~row_held], group=groups[~held], feature_name=names,
                            free_raw_data=True)
        sets, callbacks = [], []
        if held.any() and (~held).any():
            sets = [lgb.Dataset(features[row_held], labels[row_held], group=groups[held], reference=train)]
            callbacks = [lgb.early_stopping(self.early_stopping_rounds, verbose=False)]
        self.booster_ = lgb.train(self._params(), train, num_boost_round=self.n_estimators, valid_sets=sets,
                                  callbacks=callbacks)
        self.feature_names_ = names
        self.n_trees_ = self.booster_.best_iteration or self.booster_.current_iteration()
        return self

    def predict(self, features: np.ndarray) -> np.ndarray:
        if not hasattr(self, "booster_"):
            raise NotFittedError(self)
        return self.booster_.predict(features, num_iteration=self.n_trees_, num_threads=self.n_jobs)

    def importance(self) -> dict[str, float]:
        """Each feature's share of the total split gain, largest first."""
        if not hasattr(self, "booster_"):
            raise NotFittedError(self)
        gain = self.booster_.feature_importance("gain", iteration=self.n_trees_)
        total = gain.sum() or 1.0
        pairs = sorted(zip(self.feature_names_, gain / total), key=lambda pair: -pair[1])
        return {name: round(float(share), 4) for name, share in pairs}
