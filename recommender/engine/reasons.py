"""Why each pick is there, in words a widget can show, naming the strongest evidence: the basket
item whose rule led to it, the session item or past purchase it is closest to, the customer's own
rhythm of buying it, or the signal that ranked it."""
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
                anchor: int | None, bought: np.ndarray | None = None, user_row: int = -1) -> list[str]:
        """``basket`` holds the items rules start from (a cart, or past purchases), ``bought`` the
        customer's past purchases when the answer is personal, ``user_row`` their model row."""
        if session_items is None or not len(session_items):
            session_items = self._interacted(user_row, bought)
        viewed = self._closest(ranked.items, session_items)
        similar = self._closest(ranked.items, bought)
        partners = self._bought_with(ranked.items, ranked.sources, basket)
        rhythm = self._rhythm(ranked.items, user_row)
        return [self._reason(i, source, partner, v, b, r, anchor) for i, source, partner, v, b, r
                in zip(ranked.items.tolist(), ranked.sources.tolist(), partners, viewed, similar, rhythm)]

    def _interacted(self, user_row: int, bought: np.ndarray | None) -> np.ndarray | None:
        """What a known customer viewed or carted without buying: evidence when nothing bought is."""
        if user_row < 0 or (bought is not None and len(bought)):
            return None
        confidence = self.model.confidence
        return confidence.indices[confidence.indptr[user_row]:confidence.indptr[user_row + 1]]

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

    def _closest(self, items: np.ndarray, others: np.ndarray | None) -> list[int | None]:
        """For each item, the one of ``others`` most similar to it (cosine of ALS vectors), if any."""
        if others is None or not len(others) or not len(items):
            return [None] * len(items)
        others = np.asarray(others, dtype=np.int64)
        similarity = self.item_unit[items] @ self.item_unit[others].T
        similarity[others[None, :] == items[:, None]] = -np.inf  # an item is not its own evidence
        best = np.argmax(similarity, axis=1)
        found = np.isfinite(similarity[np.arange(len(items)), best])
        return [int(others[b]) if ok else None for b, ok in zip(best.tolist(), found.tolist())]

    def _rhythm(self, items: np.ndarray, user_row: int) -> list[float | None]:
        """The customer's own days between purchases of each item, where they bought it on two days."""
        rhythm = self.model.rhythm
        if rhythm is None or user_row < 0 or not len(items):
            return [None] * len(items)
        part = slice(rhythm.indptr[user_row], rhythm.indptr[user_row + 1])
        known = dict(zip(rhythm.indices[part].tolist(), rhythm.data[part].tolist()))
        return [known.get(i) for i in items.tolist()]

    def _reason(self, item: int, source: str, partner: int | None, viewed: int | None, similar: int | None,
                rhythm: float | None, anchor: int | None) -> str:
        titles = self.model.titles
        if source == "pinned":
            return "featured"
        if anchor is not None:
            verb = "bought together with" if source == "copurchase" else "similar to"
            return f"{verb} {titles[anchor]}" if source != "popularity" else "popular right now"
        if source == "copurchase" and partner is not None:
            return f"bought together with {titles[partner]}"
        if rhythm is not None:
            return f"you buy this about every {max(1, round(rhythm))} days"
        if source == "buy_again":
            return "you bought this before"
        if source in ("als", "item_knn", "ease", "session_knn"):
            if viewed is not None:
                return f"because you viewed {titles[viewed]}"
            if similar is not None:
                return f"because you bought {titles[similar]}"
            return "customers like you bought this"
        if source == "trending":
            return "trending this week"
        return f"popular in {self.model.category_names[self.model.item_category[item]]}"
