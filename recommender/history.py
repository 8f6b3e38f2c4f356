"""What the scoring models know about a batch of users at query time."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class UserHistory:
    """Aligned rows for a batch of ``m`` users.

    ``users`` holds each user's row in the fitted model, or -1 when the model must fold the user
    in from ``interactions`` (an anonymous visitor, or a known user with a live session).
    ``interactions`` are confidence rows built like the training matrix; ``purchases`` are
    time-decayed purchase quantities, the input of buy-again and co-purchase scoring.
    """

    users: np.ndarray
    interactions: sp.csr_matrix
    purchases: sp.csr_matrix

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

    def rows(self, index: np.ndarray | slice) -> "UserHistory":
        """A sub-batch of these users."""
        return UserHistory(self.users[index], self.interactions[index], self.purchases[index])

    @classmethod
    def of(cls, users: np.ndarray, interactions: sp.csr_matrix, purchases: sp.csr_matrix) -> "UserHistory":
        """The stored rows of fitted ``users`` (indices into both matrices)."""
        users = np.asarray(users, dtype=np.int64)
        return cls(users, take_rows(interactions, users), take_rows(purchases, users))


def take_rows(matrix: sp.csr_matrix, rows: np.ndarray) -> sp.csr_matrix:
    """``matrix[rows]`` straight from the CSR arrays: scipy's fancy indexing costs more than the
    copy for the few rows a request needs."""
    starts, stops = matrix.indptr[rows], matrix.indptr[np.asarray(rows) + 1]
    lengths = stops - starts
    picks = np.concatenate([np.arange(a, b) for a, b in zip(starts, stops)]) if len(rows) else np.array([], np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    return sp.csr_matrix((matrix.data[picks], matrix.indices[picks], indptr), shape=(len(rows), matrix.shape[1]))
