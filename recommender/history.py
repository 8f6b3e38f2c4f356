"""What the scoring models know about a batch of users at query time."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .row_products import Rows, take_rows


@dataclass(frozen=True)
class UserHistory:
    """Aligned rows for a batch of ``m`` users.

    ``users`` holds each user's row in the fitted model, or -1 when the model must fold the user
    in from ``interactions`` (an anonymous visitor, or a known user with a live session).
    ``interactions`` are confidence rows built like the training matrix; ``purchases`` are
    time-decayed purchase quantities, the input of buy-again and co-purchase scoring.
    """

    users: np.ndarray
    interactions: Rows
    purchases: Rows

    def __post_init__(self) -> None:
        m = len(self.users)
        if self.interactions.shape[0] != m or self.purchases.shape[0] != m:
            raise ValueError("interactions and purchases must contain 1 row for every user in users")
        if self.interactions.shape[1] != self.purchases.shape[1]:
            raise ValueError("interactions and purchases must have the same number of items")

    @property
    def n_items(self) -> int:
        return self.interactions.shape[1]

    def __len__(self) -> int:
        return len(self.users)

    @classmethod
    def of(cls, users: np.ndarray, interactions: Rows, purchases: Rows) -> "UserHistory":
        """The stored rows of fitted ``users`` (indices into both matrices)."""
        users = np.asarray(users, dtype=np.int64)
        return cls(users, take_rows(interactions, users), take_rows(purchases, users))

