"""Repeat purchase: a user's own time-decayed purchases, the "buy it again" signal."""
from __future__ import annotations

import numpy as np

from .history import UserHistory


class BuyAgainModel:
    """Scores each item by how much (and how recently) the user bought it.

    Stateless: everything it needs is in ``UserHistory.purchases``, so ``fit`` only exists to
    honour the common model contract.
    """

    def fit(self, *_ignored) -> "BuyAgainModel":
        return self

    def score_users(self, history: UserHistory) -> np.ndarray:
        return history.purchases.toarray().astype(np.float32)
