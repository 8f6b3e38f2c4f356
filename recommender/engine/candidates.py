"""Candidate selection for item-based and popular answers: each function returns scored items, best
first, with the signal that put each one there."""
from __future__ import annotations

import numpy as np

from ..ann import exact_top_n
from ..copurchase import Partners
from ..popularity import PopularityModel
from .model import ServingModel
from .request import Candidates


def related_items(model: ServingModel, item_unit: np.ndarray, item: int, k: int | None) -> Candidates:
    """The ``k`` nearest items (stored by training, else searched exactly or with Annoy as training
    chose), or every item by exact cosine when ``k`` is None, blended half and half with the item's
    co-purchase partners."""
    n_items = len(model.item_ids)
    neighbours = model.neighbours
    if k is None:
        ids, cosine = np.arange(n_items), item_unit @ item_unit[item]
    elif neighbours is not None and k <= neighbours.k:
        ids, cosine = neighbours.of(item, k)
    elif model.scoring == "exact":
        ids, cosine = exact_top_n(item_unit[item], item_unit, k, exclude=np.array([item]))
    else:
        ids, cosine = model.indexes["items"].query_item(item, k)
    partners = model.copurchase.bought_together(item, n_items if k is None else k)
    keep, where = np.unique(np.concatenate([ids, partners.ids]).astype(np.int64), return_inverse=True)
    scores = np.zeros(len(keep), dtype=np.float32)
    scores[where[: len(ids)]] = 0.5 * np.clip(cosine, 0, None)
    from_partners = np.zeros(len(keep), dtype=bool)
    if len(partners.ids):
        scores[where[len(ids):]] += 0.5 * partners.lift / partners.lift.max()
        from_partners[where[len(ids):]] = True
    mine = keep != item
    keep, scores, from_partners = keep[mine], scores[mine], from_partners[mine]
    order = np.lexsort((keep, -scores))
    return Candidates(keep[order], scores[order], np.where(from_partners[order], "copurchase", "als"))


def partner_candidates(partners: Partners) -> Candidates:
    """An item's association-rule partners ranked by lift."""
    return Candidates(partners.ids.astype(np.int64), partners.lift, np.full(len(partners.ids), "copurchase"))


class BasketComplements:
    """Items the basket's combined rules point to, strongest first, the basket itself left out."""

    def __init__(self, model: ServingModel, basket: np.ndarray) -> None:
        self.scores = model.copurchase.score_basket(basket)
        self.scores[basket] = 0
        hits = np.flatnonzero(self.scores > 0)
        self.ranked = hits[np.lexsort((hits, -self.scores[hits]))]

    def best(self, k: int | None) -> Candidates:
        ranked = self.ranked[:k]
        return Candidates(ranked, self.scores[ranked], np.full(len(ranked), "copurchase"))


class PopularItems:
    """A popularity ranking (overall or trending, optionally one category), scored by each item's
    share of the top item's popularity."""

    def __init__(self, model: ServingModel, trending: bool, category: int | None, exclude: np.ndarray) -> None:
        self.ranking: PopularityModel = model.trending if trending else model.popularity
        self.source = "trending" if trending else "popularity"
        self.n_items = len(model.item_ids)
        self.category, self.exclude = category, exclude
        self.peak: float | None = None

    def best(self, k: int | None) -> Candidates:
        """The ``k`` most popular items (all when ``k`` is None); the first call fixes the top score."""
        ids, scores = self.ranking.top(self.n_items if k is None else k, category=self.category, exclude=self.exclude)
        if self.peak is None:
            self.peak = scores[0] if len(scores) and scores[0] > 0 else 1.0
        return Candidates(ids, scores / self.peak, np.full(len(ids), self.source))
