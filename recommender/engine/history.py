"""History lookup: a user's stored rows, or a live session folded into one history row."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from ..history import UserHistory
from ..interactions import EVENT_CODES, event_contributions
from ..row_products import CsrRows
from .model import ServingModel
from .request import SessionEvent


def session_history(model: ServingModel, row: int, items: np.ndarray, events: Sequence[SessionEvent]) -> UserHistory:
    """One history row from the session's events (weighted like training) plus the stored rows of
    user ``row`` (-1: anonymous); carts and purchases count as the basket. A session has a handful
    of events, so they are summed in plain Python: numpy's per-call overhead would cost more."""
    config = model.interactions
    codes = [EVENT_CODES[e.event] for e in events]
    ages = np.array([e.age_days for e in events], dtype=np.float64)
    weights = event_contributions(np.array(codes, dtype=np.int8), np.ones(len(codes)), ages, config).tolist()
    confidence: dict[int, float] = {}
    basket: dict[int, float] = {}
    for item, code, weight in zip(items.tolist(), codes, weights):
        confidence[item] = confidence.get(item, 0.0) + weight
        basket[item] = basket.get(item, 0.0) + (code > 0)
    if config.log_scale:
        confidence = {item: math.log1p(value) for item, value in confidence.items()}
    if row >= 0:
        _add_row(confidence, model.confidence, row)
        _add_row(basket, model.purchases, row)
    n_items = len(model.item_ids)
    return UserHistory(np.array([-1]), _one_row(confidence, n_items), _one_row(basket, n_items))


def basket_of(purchases: sp.csr_matrix, row: int) -> np.ndarray:
    """The items user ``row`` bought."""
    return purchases.indices[purchases.indptr[row]:purchases.indptr[row + 1]].astype(np.int64)


def row_indices(matrix: sp.csr_matrix) -> list[np.ndarray]:
    """The column indices of each row, sliced straight from the CSR arrays (no row copies)."""
    return [matrix.indices[start:stop].astype(np.int64) for start, stop in zip(matrix.indptr[:-1], matrix.indptr[1:])]


def _add_row(values: dict[int, float], matrix: sp.csr_matrix, row: int) -> None:
    """Add row ``row`` of ``matrix`` into ``values`` (column -> value)."""
    part = slice(matrix.indptr[row], matrix.indptr[row + 1])
    for col, value in zip(matrix.indices[part].tolist(), matrix.data[part].tolist()):
        values[col] = values.get(col, 0.0) + value


def _one_row(values: dict[int, float], n_items: int) -> CsrRows:
    """A 1 × n_items row of the non-zero ``values`` (column -> value)."""
    cols = sorted(col for col, value in values.items() if value != 0)
    return CsrRows(np.array([values[c] for c in cols], dtype=np.float32), np.array(cols, dtype=np.int32),
                   np.array([0, len(cols)]), (1, n_items))
