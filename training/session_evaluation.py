"""The session task: given the first items of a later session, predict the next one.

Sessions after a cut-off (a visitor's events until a 30-minute pause; on Online Retail, invoices)
are replayed item by item: after each prefix the models rank the catalog (the prefix left out)
and the next item of the session is looked up; HR@20 and MRR@20 average over every position.
The models see only what was known before the cut-off: V-SKNN over the earlier sessions, ALS
folding the prefix in as an anonymous visitor (what the service does for a session today),
co-purchase rules from the prefix as a basket, popularity, and the blend of V-SKNN with ALS
fold-in that the live-session path serves (its weight chosen on the judging window).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommender.blend import scale_rows
from recommender.history import UserHistory

from .config import TrainConfig
from .dataset import Dataset, session_codes
from .models import FittedModels

K = 20
SESSION_WEIGHTS = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 1e6)  # V-SKNN's weight beside ALS fold-in (1e6: alone)


def later_sessions(data: Dataset, cutoff: float, max_sessions: int, max_length: int = 11,
                  seed: int = 0) -> list[np.ndarray]:
    """The item sequences (in event order, repeats dropped, cut to ``max_length`` items) of sessions
    starting after ``cutoff`` with at least two items, up to ``max_sessions`` of them (a seeded
    sample)."""
    codes = session_codes(data)
    after = np.flatnonzero((codes >= 0) & (data.time >= cutoff))
    first_time = np.full(int(codes.max()) + 1 if len(codes) else 0, np.inf)
    np.minimum.at(first_time, codes[codes >= 0], data.time[codes >= 0])
    after = after[first_time[codes[after]] >= cutoff]
    order = after[np.lexsort((after, codes[after]))]
    groups = np.split(data.item[order], np.flatnonzero(np.diff(codes[order])) + 1) if len(order) else []
    sequences = [g[np.sort(np.unique(g, return_index=True)[1])][:max_length] for g in groups]
    sequences = [s for s in sequences if len(s) >= 2]
    if len(sequences) > max_sessions:
        keep = np.sort(np.random.default_rng(seed).choice(len(sequences), max_sessions, replace=False))
        sequences = [sequences[i] for i in keep]
    return sequences


def _prefix_history(prefixes: list[np.ndarray], n_items: int) -> UserHistory:
    rows = np.repeat(np.arange(len(prefixes)), [len(p) for p in prefixes])
    cols = np.concatenate(prefixes)
    matrix = sp.csr_matrix((np.ones(len(cols), np.float32), (rows, cols)), shape=(len(prefixes), n_items))
    return UserHistory(np.full(len(prefixes), -1), matrix, matrix)


def _hits(scores: np.ndarray, prefixes: list[np.ndarray], targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per prefix: whether the target is in the top ``K`` and its reciprocal rank (0 beyond)."""
    scores = scores.copy()
    scores[np.repeat(np.arange(len(prefixes)), [len(p) for p in prefixes]), np.concatenate(prefixes)] = -np.inf
    target = scores[np.arange(len(targets)), targets]
    rank = 1 + (scores > target[:, None]).sum(axis=1)
    return rank <= K, np.where(rank <= K, 1.0 / rank, 0.0)


def _signal_scores(models: FittedModels, prefixes: list[np.ndarray]) -> dict[str, np.ndarray]:
    history = _prefix_history(prefixes, models.confidence.shape[1])
    return {
        "session_knn": np.vstack([models.session_knn.score_sequence(p) for p in prefixes]),
        "als_fold_in": np.asarray(models.als.score_users(history), np.float32),
        "copurchase": models.copurchase.score_users(history),
        "popularity": np.broadcast_to(models.popularity.scores_, (len(prefixes), history.n_items)).astype(np.float32),
    }


def replay(models: FittedModels, sequences: list[np.ndarray],
           weights: tuple[float, ...] = SESSION_WEIGHTS, batch: int = 256) -> dict:
    """HR@20 and MRR@20 of every model (and of each V-SKNN weight beside ALS fold-in) over every
    position of ``sequences``."""
    prefixes = [s[:i] for s in sequences for i in range(1, len(s))]
    targets = np.array([s[i] for s in sequences for i in range(1, len(s))], dtype=np.int64)
    sums: dict[str, np.ndarray] = {}
    for start in range(0, len(prefixes), batch):
        part, truth = prefixes[start:start + batch], targets[start:start + batch]
        signals = _signal_scores(models, part)
        scaled = {name: scale_rows(signals[name]) for name in ("session_knn", "als_fold_in")}
        runs = dict(signals) | {f"blend@{w:g}": scaled["als_fold_in"] + w * scaled["session_knn"] for w in weights}
        for name, scores in runs.items():
            hit, reciprocal = _hits(np.asarray(scores, np.float32), part, truth)
            sums[name] = sums.get(name, np.zeros(2)) + [hit.sum(), reciprocal.sum()]
    n = max(len(prefixes), 1)
    return {"positions": len(prefixes), "sessions": len(sequences),
            "metrics": {name: {f"hr@{K}": round(float(s[0] / n), 4), f"mrr@{K}": round(float(s[1] / n), 4)}
                        for name, s in sums.items()}}


def session_task(data: Dataset, cutoff: float, models: FittedModels, config: TrainConfig, end: float | None = None,
                 max_sessions: int = 500) -> dict:
    """Replay the sessions between ``cutoff`` and ``end`` against ``models`` (fitted on the events
    before ``cutoff``, V-SKNN included)."""
    later = data if end is None else data.select(data.time < end)
    return replay(models, later_sessions(later, cutoff, max_sessions, seed=config.selection.seed))


def best_session_weight(result: dict) -> float:
    """The V-SKNN weight beside ALS fold-in with the best MRR@20."""
    blends = {name: m[f"mrr@{K}"] for name, m in result["metrics"].items() if name.startswith("blend@")}
    return float(max(blends, key=blends.get).removeprefix("blend@"))
