"""Business objectives per placement: rank by expected value, not relevance alone.

A list's relevance score stands in for the chance that the customer buys the item (the blend and
the ranker are both trained to put what gets bought first), so ``score × value`` orders items by
expected revenue or margin, where ``value`` is what one order line of the item is worth: the
price (or the catalog's ``margin`` column, per unit) times ``units_per_order``, the mean quantity
of a purchase line that training learns (on Online Retail, ranking by unit price alone *lost*
revenue: cheap items sell by the hundred). A relevance floor keeps the list personal: only items
scoring at least ``floor`` times the list's best score may be promoted by value; the others
follow, in relevance order.
"""
from __future__ import annotations

import numpy as np

OBJECTIVES = ("relevance", "revenue", "margin")
VALUE_COLUMNS = {"revenue": "price", "margin": "margin"}
UNITS_COLUMN = "units_per_order"


def item_values(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Per item value for the objective: the column where known and non-negative, else the
    median of the known values (an unpriced item is neither promoted nor sunk)."""
    values = np.asarray(values, dtype=np.float64)
    usable = np.asarray(known, dtype=bool) & np.isfinite(values) & (values >= 0)
    fill = float(np.median(values[usable])) if usable.any() else 1.0
    return np.where(usable, values, fill)


def by_expected_value(scores: np.ndarray, values: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """``(order, new scores)`` of a list best first by relevance: items at or above ``floor × best``
    first, by ``max(score, 0) × value``; then the rest in their order, scored below the last
    promoted item so that scores stay in order."""
    scores = np.asarray(scores, dtype=np.float64)
    if not len(scores):
        return np.zeros(0, np.int64), scores
    threshold = floor * scores.max() if scores.max() > 0 else scores.max()
    eligible = scores >= threshold
    value = np.maximum(scores, 0) * values
    positions = np.arange(len(scores))
    top = positions[eligible][np.lexsort((positions[eligible], -value[eligible]))]
    rest = positions[~eligible]
    order = np.concatenate([top, rest])
    lowest = value[top].min() if len(top) else 0.0
    scale = lowest / threshold if threshold > 0 else 1.0
    new = np.concatenate([value[top], scores[rest] * scale])
    return order, new
