"""Time-based holdout evaluation of every model, in the two modes a store cares about.

- ``new_items``: can the model find what the customer buys next that they never bought before
  (already-bought items are excluded from the list and from the truth);
- ``all_purchases``: repeat buying counts, as for replenishment and "buy it again".

Test users are customers seen before the cut-off who buy after it.
"""
from __future__ import annotations

from dataclasses import dataclass
import numpy as np
import pandas as pd
import scipy.sparse as sp
from joblib import Parallel, delayed

from recommender.blend import scale_rows
from recommender.lifecycle import STAGES
from recommender.history import UserHistory
from recommender.metrics import per_user_ndcg, ranking_metrics
from recommender.ranker import LambdaRanker
from recommender.ranking import rows_per_batch, top_n

from .config import MODES, TrainConfig
from .dataset import PURCHASE, Dataset
from .models import LOCAL, Engine, FittedModels, fit_models, signals
from .profiles import stages_as_of
from .ranking import ranked_lists, ranking_inputs
from .session_evaluation import session_task

BATCH_USERS = 512


@dataclass(frozen=True)
class Split:
    train: Dataset
    cutoff: float
    users: np.ndarray
    relevant: dict[str, sp.csr_matrix]
    bought_before: sp.csr_matrix


def resolve_cutoff(data: Dataset, config: TrainConfig) -> float:
    """The configured cut-off date, or the point leaving ``holdout_share`` of the time range."""
    if config.evaluation.cutoff:
        return pd.Timestamp(config.evaluation.cutoff, tz="UTC").timestamp()
    start, end = float(data.time.min()), float(data.time.max())
    return start + (1.0 - config.evaluation.holdout_share) * (end - start)


def _binary(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    matrix = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=shape)
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def split_by_time(data: Dataset, cutoff: float, max_users: int, seed: int = 0) -> Split:
    before = data.time < cutoff
    train = data.select(before)
    seen = np.zeros(data.n_users, dtype=bool)
    seen[train.user[train.user >= 0]] = True
    test = ~before & (data.event == PURCHASE) & (data.user >= 0)
    test &= seen[np.maximum(data.user, 0)]
    shape = (data.n_users, data.n_items)
    relevant_all = _binary(data.user[test], data.item[test], shape)
    bought = (train.event == PURCHASE) & (train.user >= 0)
    bought_before = _binary(train.user[bought], train.item[bought], shape)
    relevant_new = relevant_all - relevant_all.multiply(bought_before)
    relevant_new.eliminate_zeros()
    users = np.flatnonzero(np.diff(relevant_all.indptr) > 0)
    if len(users) > max_users:
        users = np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
    relevant = {"new_items": relevant_new[users], "all_purchases": relevant_all[users]}
    return Split(train, cutoff, users, relevant, bought_before[users])


def evaluated_models(config: TrainConfig, available: set[str], mode: str) -> dict[str, dict[str, float]]:
    """Model name → signal weights; baselines are single signals, the blend comes last.

    Scaling a row by its peak keeps its ranking, so a single signal with weight 1 ranks exactly
    like the model alone; "buy again" breaks ties (items never bought) by popularity.
    """
    models = {
        "popularity": {"popularity": 1.0},
        "trending": {"trending": 1.0},
        "buy_again": {"buy_again": 1.0, "popularity": 1e-3},
        "copurchase": {"copurchase": 1.0},
        "item_knn": {"item_knn": 1.0},
        "ease": {"ease": 1.0},
        "als": {"als": 1.0},
        "blend": {name: w for name, w in config.blend[mode].items() if name in available and w},
    }
    return {name: weights for name, weights in models.items() if set(weights) <= available}


def _recommend_batch(split: Split, models: FittedModels, weights: dict, rows: np.ndarray, k: int) -> dict:
    """Top-k of every (model, mode) for a batch of test users, scoring each signal once."""
    history = UserHistory.of(split.users[rows], models.confidence, models.purchases)
    available = signals(models)
    needed = {name for model in weights.values() for name in model}
    parts = {name: scale_rows(np.asarray(available[name].score_users(history), np.float32)) for name in needed}
    out = {}
    for (name, mode), model in weights.items():
        total = sum(w * parts[signal] for signal, w in model.items())
        exclude = split.bought_before[rows] if mode == "new_items" else None
        out[name, mode] = top_n(total, k, exclude)[0]
    return out


def evaluate_split(split: Split, models: FittedModels, config: TrainConfig, stages: np.ndarray | None = None,
                   rankers: dict[str, LambdaRanker] | None = None) -> dict:
    """``metrics[mode][model][metric]`` plus the number of test users per mode; with ``stages`` (the
    lifecycle stage code of each test user) also ``metrics_by_stage``; with ``rankers`` (per mode)
    also a ``ranker`` model: the blend's pool re-ranked."""
    k = config.evaluation.k
    available = set(signals(models))
    weights = {(name, mode): model for mode in MODES for name, model in evaluated_models(config, available, mode).items()}
    n_signals = len({name for model in weights.values() for name in model})
    size = min(BATCH_USERS, rows_per_batch(split.train.n_items, n_signals + 2))
    batches = np.array_split(np.arange(len(split.users)), max(1, -(-len(split.users) // size)))
    parts = Parallel(n_jobs=2, prefer="threads")(
        delayed(_recommend_batch)(split, models, weights, rows, k) for rows in batches
    )
    lists = {key: np.vstack([part[key] for part in parts]) for key in weights}
    if rankers:
        inputs = ranking_inputs(split.train, models, config)
        for mode, ranker in rankers.items():
            lists["ranker", mode] = ranked_lists(inputs, ranker, split.users, config.blend[mode], mode, k)
    metrics: dict = {mode: {} for mode in MODES}
    for (name, mode), ids in lists.items():
        metrics[mode][name] = ranking_metrics(ids, split.relevant[mode], k=k, n_items=split.train.n_items)
    users = {mode: int((np.diff(split.relevant[mode].indptr) > 0).sum()) for mode in MODES}
    result = {"metrics": metrics, "test_users": users}
    if stages is not None:
        result["metrics_by_stage"] = metrics_by_stage(split, lists, stages, k)
    return result


def metrics_by_stage(split: Split, lists: dict, stages: np.ndarray, k: int) -> dict:
    """``[mode][stage]``: the judged test users and each model's NDCG@k among them."""
    out: dict = {mode: {} for mode in MODES}
    for mode in MODES:
        scores = {name: per_user_ndcg(ids, split.relevant[mode], k) for (name, m), ids in lists.items() if m == mode}
        judged = np.diff(split.relevant[mode].indptr) > 0
        for code, stage in enumerate(STAGES):
            rows = judged & (stages == code)
            if rows.any():
                out[mode][stage] = {"users": int(rows.sum()),
                                    f"ndcg@{k}": {name: round(float(s[rows].mean()), 4) for name, s in scores.items()}}
    return out


def evaluate(data: Dataset, config: TrainConfig, rankers: dict[str, LambdaRanker] | None = None,
             engine: Engine = LOCAL) -> dict:
    """Fit on events before the cut-off, score the purchases after it."""
    cutoff = resolve_cutoff(data, config)
    split = split_by_time(data, cutoff, config.evaluation.max_users)
    if len(split.users) == 0:
        raise ValueError("no customer seen before the evaluation cut-off buys after it: move the cut-off")
    models = fit_models(split.train, config, now=cutoff, engine=engine)
    stages = stages_as_of(split.train, cutoff, config.lifecycle)[split.users]
    result = evaluate_split(split, models, config, stages, rankers)
    result["cutoff"] = pd.Timestamp(cutoff, unit="s", tz="UTC").isoformat()
    result["sessions"] = session_task(data, cutoff, models, config)
    return result


def format_table(metrics: dict) -> str:
    """The metrics as a plain-text table, one block per mode."""
    lines = []
    for mode, by_model in metrics.items():
        names = list(next(iter(by_model.values())))
        lines.append(f"{mode:<16}" + "".join(f"{n:>13}" for n in names))
        for model, values in by_model.items():
            lines.append(f"  {model:<14}" + "".join(f"{values[n]:>13.4f}" for n in names))
    return "\n".join(lines)
