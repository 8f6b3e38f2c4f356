"""The learned re-ranker's side of a training run: pools and features from a split's fitted
models, a LambdaRank model per mode trained on the validation window, and re-ranked lists.

Everything the features need is computed as of the moment the models were fitted (a split's
cut-off, or the end of the data for the published lists), so a feature never sees the window
whose purchases are the labels.
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from recommender.blend import scale_rows
from recommender.candidates import RepeatCandidates, UserCandidates
from recommender.history import UserHistory
from recommender.ranking import rows_per_batch
from recommender.rank_features import CustomerState, ItemFacts, customer_state, repurchase_intervals
from recommender.ranker import LambdaRanker
from recommender.rerank import Pool, feature_names, pool_candidates, pool_features, rerank

from .config import TrainConfig
from .dataset import PURCHASE, Dataset
from .models import FittedModels, signals
from .profiles import customer_events, stages_as_of

BATCH_USERS = 512
B, T = TypeVar("B"), TypeVar("T")
STATIC_SIGNALS = frozenset({"popularity", "trending"})  # the same scores for every customer


@dataclass(frozen=True)
class RankingInputs:
    """The fitted signals and the item and customer facts of one moment."""

    models: FittedModels
    facts: ItemFacts
    state: CustomerState
    pool_blend: int
    pool_each: int

    @property
    def signal_names(self) -> list[str]:
        return sorted(signals(self.models))


def unit_prices(data: Dataset) -> np.ndarray:
    """Each item's average unit price paid (revenue over units), NaN when no priced sale."""
    bought = (data.event == PURCHASE) & (data.quantity > 0) & (data.revenue > 0)
    revenue = np.bincount(data.item[bought], weights=data.revenue[bought], minlength=data.n_items)
    units = np.bincount(data.item[bought], weights=data.quantity[bought], minlength=data.n_items)
    return np.divide(revenue, units, out=np.full(data.n_items, np.nan), where=units > 0).astype(np.float32)


def ranking_inputs(data: Dataset, models: FittedModels, config: TrainConfig) -> RankingInputs:
    events = customer_events(data)
    price = unit_prices(data)
    interval, share = repurchase_intervals(events, data.n_items)
    popularity, trending = models.popularity.scores_, models.trending.scores_
    trend = np.divide(trending, popularity, out=np.zeros_like(popularity), where=popularity > 0)
    facts = ItemFacts(popularity=popularity, trend=trend, price=price, category=data.item_category,
                      repurchase_days=interval, repurchase_share=share)
    stage = stages_as_of(data, models.now, config.lifecycle)
    return RankingInputs(models, facts, customer_state(events, models.now, stage, price),
                         config.ranker.pool_blend, config.ranker.pool_each)


def _parts(inputs: RankingInputs, users: np.ndarray) -> dict[str, np.ndarray]:
    history = UserHistory.of(users, inputs.models.confidence, inputs.models.purchases)
    available = signals(inputs.models)
    return {name: scale_rows(np.asarray(available[name].score_users(history), np.float32))
            for name in inputs.signal_names}


def _excluded(inputs: RankingInputs, users: np.ndarray, mode: str) -> sp.csr_matrix | None:
    if mode != "new_items":
        return None
    return inputs.models.purchases[users]


@dataclass(frozen=True)
class BatchPool:
    pool: Pool
    features: np.ndarray
    parts: dict[str, np.ndarray]
    weights: dict[str, float]

    def strongest(self, rows: np.ndarray, items: np.ndarray) -> np.ndarray:
        """The blend signal contributing most at each (row, item): the pick's reason."""
        names = list(self.weights)
        values = [self.weights[name] * self.parts[name][rows, items] for name in names]
        return np.array(names)[np.argmax(values, axis=0)]


def batch_pool(inputs: RankingInputs, users: np.ndarray, weights: dict[str, float], mode: str,
               parts: dict[str, np.ndarray] | None = None) -> BatchPool:
    """One batch's pool, its feature rows and the signals' scaled scores behind them (``parts``,
    computed here unless given)."""
    parts = _parts(inputs, users) if parts is None else parts
    weights = {n: w for n, w in weights.items() if n in parts and w}
    pool = pool_candidates(parts, weights, _excluded(inputs, users, mode), inputs.pool_blend, inputs.pool_each,
                           static=STATIC_SIGNALS, skip=frozenset({"buy_again"}) if mode == "new_items" else frozenset())
    return BatchPool(pool, pool_features(pool, parts, users, inputs.facts, inputs.state), parts, weights)


def _batch_size(inputs: RankingInputs) -> int:
    return min(BATCH_USERS, rows_per_batch(inputs.models.confidence.shape[1], len(inputs.signal_names) + 1))


def _batches(users: np.ndarray, size: int) -> list[np.ndarray]:
    return [users[i:i + size] for i in range(0, len(users), size)]


def _each_batch(work: Callable[[B], T], batches: list[B]) -> list[T]:
    """``work`` on every batch, two at a time: the products, partitions and LightGBM release the
    GIL, so two threads (one BLAS thread each) keep both cores busy."""
    with threadpool_limits(1, "blas"), ThreadPoolExecutor(2) as pool:
        return list(pool.map(work, batches))


@dataclass(frozen=True)
class LabelledWindow:
    """Ranking inputs as of a cut-off and, per mode, the purchases after it (rows are ``users``)."""

    inputs: RankingInputs
    users: np.ndarray
    relevant: dict[str, sp.csr_matrix]


@dataclass(frozen=True)
class Examples:
    """LambdaRank's input: feature rows, 0/1 labels and the size of each customer's group."""

    features: np.ndarray
    labels: np.ndarray
    groups: np.ndarray

    @classmethod
    def join(cls, parts: list["Examples"]) -> "Examples":
        return cls(np.vstack([p.features for p in parts]), np.concatenate([p.labels for p in parts]),
                   np.concatenate([p.groups for p in parts]))


def _labelled(found: BatchPool, truth: sp.csr_matrix) -> Examples:
    """One batch's rows with labels; customers whose pool holds none of their purchases teach
    nothing and are left out."""
    pool = found.pool
    label = np.asarray(truth[pool.rows, pool.items[pool.rows, pool.cols]]).ravel() > 0
    sizes = pool.group_sizes()
    hits = np.add.reduceat(label, np.r_[0, np.cumsum(sizes)[:-1]]) if len(label) else np.zeros(0)
    keep = np.repeat(hits > 0, sizes)
    return Examples(found.features[keep], label[keep].astype(np.int32), sizes[hits > 0])


def window_examples(window: LabelledWindow, blends: dict[str, dict[str, float]]) -> dict[str, Examples]:
    """Each mode's examples of one window; the signals score each batch once for every mode."""
    size = _batch_size(window.inputs)
    starts = list(range(0, len(window.users), size))

    def work(start: int) -> dict[str, Examples]:
        batch = window.users[start:start + size]
        parts = _parts(window.inputs, batch)
        return {mode: _labelled(batch_pool(window.inputs, batch, weights, mode, parts),
                                window.relevant[mode][start:start + len(batch)])
                for mode, weights in blends.items()}

    done = _each_batch(work, starts)
    return {mode: Examples.join([d[mode] for d in done]) for mode in blends}


def fit_ranker(examples: Examples, signal_names: list[str], seed: int = 0) -> LambdaRanker:
    """One LambdaRank model over ``examples``."""
    return LambdaRanker(random_state=seed).fit(examples.features, examples.labels, examples.groups,
                                               feature_names(signal_names))


def ranked_lists(inputs: RankingInputs, ranker: LambdaRanker, users: np.ndarray, weights: dict[str, float],
                 mode: str, n: int) -> np.ndarray:
    """``len(users) × n`` item ids, best first by ``ranker``."""
    def work(batch: np.ndarray) -> np.ndarray:
        found = batch_pool(inputs, batch, weights, mode)
        return rerank(found.pool, ranker.predict(found.features), n)[0]

    out = _each_batch(work, _batches(users, _batch_size(inputs)))
    return np.vstack(out) if out else np.zeros((0, n), np.int64)


def ranked_candidates(inputs: RankingInputs, ranker: LambdaRanker, weights: dict[str, float], n: int,
                      mode: str = "new_items") -> UserCandidates:
    """Every customer's best ``n`` items of ``mode`` by ``ranker`` (new items, or with past purchases
    as ``RepeatCandidates``), stored for serving like the blend's.

    Stored scores are ``exp(prediction − the row's best)``: positive and in the ranker's order, so
    a merchant's boost (a factor) moves them as it moves blended scores."""
    n_users = inputs.models.confidence.shape[0]
    names = np.array(sorted(set(weights) | {"popularity"}))
    items = np.full((n_users, n), -1, dtype=np.int32)
    scores = np.zeros((n_users, n), dtype=np.float32)
    sources = np.full((n_users, n), np.searchsorted(names, "popularity"), dtype=np.int8)

    def work(batch: np.ndarray) -> None:
        found = batch_pool(inputs, batch, weights, mode)
        ids, predicted = rerank(found.pool, ranker.predict(found.features), n)
        real = ids >= 0
        peak = np.where(real, predicted, -np.inf).max(axis=1, keepdims=True)
        rows, cols = np.nonzero(real)
        items[batch] = ids
        scores[batch] = np.where(real, np.exp(np.where(real, predicted - peak, 0.0)), 0.0)
        sources[batch[rows], cols] = np.searchsorted(names, found.strongest(rows, ids[rows, cols]))

    _each_batch(work, _batches(np.arange(n_users), _batch_size(inputs)))
    return (UserCandidates if mode == "new_items" else RepeatCandidates)(items, scores, sources, names)
