"""Why each pick is there, in words a widget can show: the basket item whose rule led to it, the
session item it is closest to, or the signal that ranked it."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..row_products import entry_positions
from .model import ServingModel
from .request import Candidates


class Reasons:
    def __init__(self, model: ServingModel, item_unit: np.ndarray) -> None:
        self.model = model
        self.item_unit = item_unit
        copurchase = model.copurchase
        self.rules: sp.csr_matrix = copurchase.lift_ if copurchase.rank_by == "lift" else copurchase.confidence_

    def explain(self, ranked: Candidates, basket: np.ndarray | None, session_items: np.ndarray | None,
                anchor: int | None) -> list[str]:
        viewed = self._closest_viewed(ranked.items, session_items)
        partners = self._bought_with(ranked.items, ranked.sources, basket)
        return [self._reason(i, source, partner, v, anchor)
                for i, source, partner, v in zip(ranked.items.tolist(), ranked.sources.tolist(), partners, viewed)]

    def _bought_with(self, items: np.ndarray, sources: np.ndarray, basket: np.ndarray | None) -> list[int | None]:
        """For each co-purchase pick, the basket item whose rule toward it is strongest (the lowest
        id on ties); ``None`` for the others."""
        wanted = items[sources == "copurchase"]
        if basket is None or not len(basket) or not len(wanted):
            return [None] * len(items)
        antecedents = np.sort(basket)
        positions, lengths = entry_positions(self.rules.indptr, antecedents)
        mine = np.isin(self.rules.indices[positions], wanted)
        best: dict[int, tuple[float, int]] = {}
        for partner, strength, antecedent in zip(self.rules.indices[positions[mine]].tolist(),
                                                 self.rules.data[positions[mine]].tolist(),
                                                 np.repeat(antecedents, lengths)[mine].tolist()):
            if partner not in best or strength > best[partner][0]:
                best[partner] = (strength, antecedent)
        return [best[i][1] if i in best else None for i in items.tolist()]

    def _closest_viewed(self, items: np.ndarray, session_items: np.ndarray | None) -> list[int | None]:
        """For each item, the session item most similar to it (cosine of ALS vectors), if any."""
        if session_items is None or not len(session_items) or not len(items):
            return [None] * len(items)
        similarity = self.item_unit[items] @ self.item_unit[session_items].T
        return session_items[np.argmax(similarity, axis=1)].tolist()

    def _reason(self, item: int, source: str, partner: int | None, viewed: int | None, anchor: int | None) -> str:
        titles = self.model.titles
        if source == "pinned":
            return "featured"
        if anchor is not None:
            verb = "bought together with" if source == "copurchase" else "similar to"
            return f"{verb} {titles[anchor]}" if source != "popularity" else "popular right now"
        if source == "copurchase" and partner is not None:
            return f"bought together with {titles[partner]}"
        if source == "buy_again":
            return "you bought this before"
        if source in ("als", "item_knn", "ease"):
            if viewed is not None:
                return f"because you viewed {titles[viewed]}"
            return "customers like you bought this"
        if source == "trending":
            return "trending now"
        return f"popular in {self.model.category_names[self.model.item_category[item]]}"
