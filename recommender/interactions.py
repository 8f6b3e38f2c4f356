"""Turn raw events into an implicit-feedback confidence matrix.

Each event contributes ``weight[event] * quantity_factor * decay``:

- ``weight`` says how much an event tells about preference (a purchase says more than a view);
- ``quantity_factor`` is the quantity, capped, for purchases (1 for views and carts) so that a
  wholesale order of 500 units does not drown every other signal;
- ``decay = 0.5 ** (age_days / half_life_days)`` lets recent behaviour count more.

Contributions of the same (user, item) pair are summed, then optionally log-scaled.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

EVENT_CODES = {"view": 0, "cart": 1, "purchase": 2}


@dataclass(frozen=True)
class EventWeights:
    """Confidence contributed by one event of each type."""

    view: float = 1.0
    cart: float = 4.0
    purchase: float = 6.0

    def as_array(self) -> np.ndarray:
        return np.array([self.view, self.cart, self.purchase], dtype=np.float64)


@dataclass(frozen=True)
class InteractionConfig:
    """How events become confidence values; every default was chosen by measurement."""

    weights: EventWeights = EventWeights()
    quantity_cap: float = 3.0
    half_life_days: float | None = None
    log_scale: bool = True
    purchase_half_life_days: float | None = None  # decay of the purchase rows behind "buy again"


def decay_factor(age_days: np.ndarray, half_life_days: float | None) -> np.ndarray:
    """Exponential time decay; ``None`` disables it. Negative ages count as age 0."""
    age = np.maximum(np.asarray(age_days, dtype=np.float64), 0.0)
    if half_life_days is None:
        return np.ones_like(age)
    if half_life_days <= 0:
        raise ValueError(f"half_life_days must be positive, got {half_life_days}")
    return np.exp2(-age / half_life_days)


def event_contributions(
    event_codes: np.ndarray,
    quantity: np.ndarray,
    age_days: np.ndarray,
    config: InteractionConfig,
) -> np.ndarray:
    """Per-event confidence contribution (before summing per pair)."""
    codes = np.asarray(event_codes)
    weights = config.weights.as_array()[codes]
    qty = np.clip(np.nan_to_num(np.asarray(quantity, dtype=np.float64), nan=1.0), 1.0, config.quantity_cap)
    qty = np.where(codes == EVENT_CODES["purchase"], qty, 1.0)
    return weights * qty * decay_factor(age_days, config.half_life_days)


def confidence_matrix(
    user_idx: np.ndarray,
    item_idx: np.ndarray,
    event_codes: np.ndarray,
    quantity: np.ndarray,
    age_days: np.ndarray,
    shape: tuple[int, int],
    config: InteractionConfig = InteractionConfig(),
) -> sp.csr_matrix:
    """Sum event contributions into a users × items float32 CSR matrix."""
    lengths = {len(user_idx), len(item_idx), len(event_codes), len(quantity), len(age_days)}
    if len(lengths) != 1:
        raise ValueError("user_idx, item_idx, event_codes, quantity and age_days must have equal length")
    values = event_contributions(event_codes, quantity, age_days, config)
    matrix = sp.csr_matrix((values, (user_idx, item_idx)), shape=shape, dtype=np.float64)
    matrix.sum_duplicates()
    if config.log_scale:
        matrix.data = np.log1p(matrix.data)
    matrix.eliminate_zeros()
    return matrix.astype(np.float32)
