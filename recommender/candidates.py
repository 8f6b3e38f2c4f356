"""Lists scored at training time so that a request starts from a lookup: each known user's best
blended items, and each item's nearest items.

Scoring one user at request time costs a pass over every item per signal plus a top-N cut; a
batch of users costs far less per user (matrix products, one partition per row). So training
scores every known user once, exactly, with the blend and exclusions the default answer uses
(``new_items``: nothing the user bought), and keeps the best ``k``. A request for a known user then
starts from that list; business rules still apply per request, and when they leave too few
items the engine scores the user live over the whole catalog. Related products likewise start
from each item's stored nearest neighbours by cosine instead of a search per request.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from .ann import VectorIndex, exact_top_n_batch, normalize_rows
from .blend import BlendModel
from .history import UserHistory
from .ranking import top_n

BATCH_USERS = 64


@dataclass(frozen=True)
class UserCandidates:
    """``items[u]`` best first with their blended ``scores``; ``sources[u]`` indexes ``source_names``
    (the signal contributing most). A row ends early with item -1 when fewer items were eligible."""

    items: np.ndarray
    scores: np.ndarray
    sources: np.ndarray
    source_names: np.ndarray

    ARRAYS = ("candidate_items", "candidate_scores", "candidate_sources", "candidate_source_names")

    @property
    def k(self) -> int:
        return self.items.shape[1]

    def row(self, user: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One user's ``(items, scores, source names)``, without the -1 padding."""
        items = self.items[user]
        length = int(np.count_nonzero(items >= 0))
        return (items[:length].astype(np.int64), np.asarray(self.scores[user, :length]),
                self.source_names[self.sources[user, :length]])

    def consistent_with(self, n_users: int, n_items: int) -> bool:
        """Whether these arrays fit a model of ``n_users`` × ``n_items`` (checked when loading)."""
        shape = self.items.shape
        return (len(shape) == 2 and shape[0] == n_users and self.scores.shape == shape
                and self.sources.shape == shape and int(self.items.max(initial=-1)) < n_items
                and int(self.sources.max(initial=0)) < len(self.source_names))

    def to_arrays(self) -> dict[str, np.ndarray]:
        return dict(zip(self.ARRAYS, (self.items, self.scores, self.sources, self.source_names)))

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "UserCandidates":
        return cls(*(arrays[name] for name in cls.ARRAYS))


class RepeatCandidates(UserCandidates):
    """Each user's best items *including* what they bought before (the ``all_purchases`` mode):
    the stored answer of replenishment placements and ``export --include-purchased``."""

    ARRAYS = ("repeat_items", "repeat_scores", "repeat_sources", "repeat_source_names")


def precompute_candidates(blend: BlendModel, interactions: sp.csr_matrix, purchases: sp.csr_matrix, k: int,
                          n_jobs: int = 2, exclude_purchased: bool = True) -> UserCandidates:
    """The best ``k`` items of every user (row) by ``blend``, leaving out what each one bought
    (``RepeatCandidates`` keeping them when not ``exclude_purchased``).

    Batches of ``BATCH_USERS`` (small enough to stay in cache) run on ``n_jobs`` threads with one
    BLAS thread each: the products and partitions release the GIL."""
    n_users = interactions.shape[0]
    batches = [np.arange(start, min(start + BATCH_USERS, n_users)) for start in range(0, n_users, BATCH_USERS)]
    names = np.array(sorted(set(blend.weights) | {"popularity"}))
    items = np.empty((n_users, k), dtype=np.int32)
    scores = np.empty((n_users, k), dtype=np.float32)
    sources = np.empty((n_users, k), dtype=np.int8)
    with threadpool_limits(1):
        Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(_best_of_batch)(blend, interactions, purchases, rows, names, (items, scores, sources),
                                    exclude_purchased)
            for rows in batches)
    return (UserCandidates if exclude_purchased else RepeatCandidates)(items, scores, sources, names)


def _best_of_batch(blend: BlendModel, interactions: sp.csr_matrix, purchases: sp.csr_matrix, rows: np.ndarray,
                   names: np.ndarray, out: tuple[np.ndarray, np.ndarray, np.ndarray], exclude_purchased: bool) -> None:
    """Score one batch and write its rows of ``out`` (items, scores, source codes into ``names``)."""
    history = UserHistory.of(rows, interactions, purchases)
    blended = blend.score(history)
    if exclude_purchased:
        bought = history.purchases
        blended.total[np.repeat(np.arange(len(rows)), np.diff(bought.indptr)), bought.indices] = -np.inf
    items, scores = top_n(blended.total, out[0].shape[1])
    sources = blended.strongest(np.broadcast_to(np.arange(len(rows))[:, None], items.shape), np.maximum(items, 0))
    out[0][rows], out[1][rows] = items, scores
    out[2][rows] = np.where(items >= 0, np.searchsorted(names, sources), np.searchsorted(names, "popularity"))


@dataclass(frozen=True)
class ItemNeighbours:
    """``ids[i]``: the items nearest to item ``i`` by cosine of their vectors, best first, with
    their ``cosines``; -1 pads a row when there are fewer."""

    ids: np.ndarray
    cosines: np.ndarray

    ARRAYS = ("neighbour_ids", "neighbour_cosines")

    @property
    def k(self) -> int:
        return self.ids.shape[1]

    def of(self, item: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        ids = self.ids[item, :k]
        keep = ids >= 0
        return ids[keep].astype(np.int64), np.asarray(self.cosines[item, :k])[keep]

    def consistent_with(self, n_items: int) -> bool:
        shape = self.ids.shape
        return (len(shape) == 2 and shape[0] == n_items and self.cosines.shape == shape
                and int(self.ids.max(initial=-1)) < n_items)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return dict(zip(self.ARRAYS, (self.ids, self.cosines)))

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "ItemNeighbours":
        return cls(*(arrays[name] for name in cls.ARRAYS))


def nearest_items(vectors: np.ndarray, k: int, index: VectorIndex | None = None) -> ItemNeighbours:
    """Each row's ``k`` nearest other rows by cosine: exact (one matrix product per block of rows)
    or, given an angular ``index``, by Annoy, for catalogs where training measured it faster."""
    n, k = len(vectors), min(k, max(len(vectors) - 1, 0))
    ids = np.full((n, k), -1, dtype=np.int32)
    cosines = np.zeros((n, k), dtype=np.float32)
    if index is not None:
        for item in range(n):
            found, similar = index.query_item(item, k)
            ids[item, :len(found)], cosines[item, :len(found)] = found, similar
        return ItemNeighbours(ids, cosines)
    unit = normalize_rows(np.asarray(vectors, dtype=np.float32))
    with threadpool_limits(1):
        found, similar = exact_top_n_batch(unit, unit, k + 1)
    others = found != np.arange(n)[:, None]
    others[others.all(axis=1), -1] = False  # an item not among its own nearest drops its last instead
    return ItemNeighbours(found[others].reshape(n, k).astype(np.int32), similar[others].reshape(n, k))
