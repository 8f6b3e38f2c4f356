"""Re-ranking with fallback: when the rules leave fewer than ``n`` candidates, the candidate set
grows (from the first ``n × OVERFETCH`` to every item the signal scores) and then popular items are
added behind it (each item once, marked ``fallback``), and the rules see that whole pool, so a
widget always gets an answer that respects them."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..blend import scale_rows
from .model import ServingModel
from .request import Candidates, RequestContext, Reranker


def rerank_with_fallback(reranker: Reranker, candidates: Candidates, n: int, context: RequestContext,
                         grow: Callable[[], Candidates] | None, fill: Callable[[Candidates], Candidates]) -> Candidates:
    """Re-rank; when fewer than ``n`` remain, re-rank every candidate ``grow`` gives, then that pool
    with ``fill``'s items behind it; cut to ``n``."""
    ranked = reranker.apply(candidates, context)
    if len(ranked) < n and grow is not None:
        candidates = grow()
        ranked = reranker.apply(candidates, context)
    if len(ranked) < n:
        ranked = reranker.apply(fill(candidates), context)
    return ranked.take(np.arange(min(n, len(ranked))))


def with_popular(model: ServingModel, candidates: Candidates, context: RequestContext, category: int | None,
                 trending: bool) -> Candidates:
    """``candidates`` followed by every other popular item (tiny scores, marked ``fallback``)."""
    ranking = model.trending if trending else model.popularity
    taken = np.union1d(candidates.items, context.exclude)
    ids, scores = ranking.top(len(model.item_ids), category=category, exclude=taken)
    scores = scale_rows(scores[None, :].astype(np.float32))[0] * 1e-3 if len(scores) else scores
    filler = Candidates(ids, scores, np.full(len(ids), "popularity"), np.ones(len(ids), dtype=bool))
    return Candidates(*(np.concatenate([a, b]) for a, b in (
        (candidates.items, filler.items), (candidates.scores, filler.scores),
        (candidates.sources.astype(str), filler.sources), (candidates.tiers.astype(bool), filler.fallback))))
