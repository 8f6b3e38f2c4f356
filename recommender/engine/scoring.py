"""Scoring: one blend over a batch of histories, each user's exclusions masked, cut to the best
``k`` per user; the rest of the row stays available when re-ranking needs more candidates."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..blend import BlendModel, Blended
from ..history import UserHistory
from ..ranking import top_n
from .request import Candidates


@dataclass(frozen=True)
class ScoredBatch:
    """A blended batch: per user the best candidates, and every finite score behind them."""

    blended: Blended
    top: np.ndarray
    scores: np.ndarray
    sources: np.ndarray

    def best(self, row: int) -> Candidates:
        finite = np.isfinite(self.scores[row])
        return Candidates(self.top[row][finite], self.scores[row][finite], self.sources[row][finite])

    def every(self, row: int) -> Candidates:
        """Every item the blend scored (finite) for ``row``, best first: the grown candidate set."""
        return every_scored(self.blended, row)


def score_batch(blend: BlendModel, history: UserHistory, excluded: list[np.ndarray], k: int,
                extra: dict[str, np.ndarray] | None = None) -> ScoredBatch:
    """Blend, add the ``extra`` weighted parts (a live session's V-SKNN scores), mask each user's
    ``excluded`` items and cut the whole batch at once."""
    blended = blend.score(history)
    total = blended.total
    for name, part in (extra or {}).items():
        total += part
        blended.dense[name] = part
    rows = np.repeat(np.arange(len(history)), [len(e) for e in excluded])
    total[rows, np.concatenate(excluded) if excluded else rows] = -np.inf
    top, scores = top_n(total, k)
    sources = blended.strongest(np.broadcast_to(np.arange(len(history))[:, None], top.shape), top)
    return ScoredBatch(blended, top, scores, sources)


def every_scored(blended: Blended, row: int) -> Candidates:
    total = blended.total[row]
    ids = np.flatnonzero(np.isfinite(total))
    order = ids[np.lexsort((ids, -total[ids]))]
    sources = blended.strongest(np.full(len(order), row), order)
    return Candidates(order, total[order], sources.astype(str))


def recent_purchases(basket: np.ndarray, last_purchase: sp.csr_matrix | None, row: int,
                     after_days: float | None) -> np.ndarray:
    """The basket less the items whose last purchase is at least ``after_days`` old (consumables)."""
    if after_days is None or last_purchase is None or row < 0:
        return basket
    part = slice(last_purchase.indptr[row], last_purchase.indptr[row + 1])
    return np.setdiff1d(basket, last_purchase.indices[part][last_purchase.data[part] >= after_days])
