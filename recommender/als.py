"""Implicit-feedback matrix factorization (Hu, Koren & Volinsky 2008) through ``implicit``."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from implicit.cpu._als import _least_squares as least_squares
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from .errors import NotFittedError
from .history import UserHistory
from .row_products import Rows, take_rows


class ALSModel:
    """Alternating least squares on a users × items confidence matrix.

    The CPU solver is used on purpose so results do not depend on whether the host has CUDA.
    ``alpha`` scales confidence as in implicit (``C = 1 + alpha * r``).
    """

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 10.0,
        iterations: int = 15,
        random_state: int = 0,
        num_threads: int = 0,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.random_state = random_state
        self.num_threads = num_threads

    def _solver(self) -> AlternatingLeastSquares:
        with threadpool_limits(1, "blas"):
            return AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=self.alpha,
                iterations=self.iterations,
                random_state=self.random_state,
                num_threads=self.num_threads,
            )

    def fit(self, confidence: sp.csr_matrix) -> "ALSModel":
        """Factorize ``confidence`` (users × items); rows with no interactions get zero vectors."""
        solver = self._solver()
        with threadpool_limits(1, "blas"):
            solver.fit(sp.csr_matrix(confidence, dtype=np.float32), show_progress=False)
        self._set_factors(solver.user_factors, solver.item_factors, solver)
        return self

    def _set_factors(self, user_factors: np.ndarray, item_factors: np.ndarray, solver=None) -> None:
        self.user_factors_ = user_factors if user_factors.dtype == np.float32 else user_factors.astype(np.float32)
        self.item_factors_ = np.ascontiguousarray(item_factors, dtype=np.float32)
        self._fold_solver = solver or self._solver()
        self._fold_solver.user_factors = self.user_factors_
        self._fold_solver.item_factors = self.item_factors_
        self._fold_solver.num_threads = 1

    def _check_fitted(self) -> None:
        if not hasattr(self, "item_factors_"):
            raise NotFittedError(self)

    def fold_in(self, interactions: Rows) -> np.ndarray:
        """User vectors for histories the model has not seen, by one exact least-squares step.

        This is implicit's ``recalculate_user``: item factors stay fixed and each row's user vector
        is solved from its confidences (times ``alpha``) by implicit's own Cholesky solver, so a
        live session gets a vector in well under a millisecond. The solver is called on the CSR
        arrays directly: ``recalculate_user`` would first build two scipy matrices, which costs a
        request more than the solve. It runs on one thread: a serving worker answers one request
        at a time.
        """
        self._check_fitted()
        if interactions.shape[1] != self.item_factors_.shape[0]:
            raise ValueError(f"interactions have {interactions.shape[1]} items, the model was fitted on "
                             f"{self.item_factors_.shape[0]}")
        solver = self._fold_solver
        vectors = np.zeros((interactions.shape[0], self.factors), dtype=np.float32)
        confidence = np.asarray(interactions.data, dtype=np.float32) * np.float32(self.alpha)
        indptr, indices = (np.asarray(a, dtype=np.int64) for a in (interactions.indptr, interactions.indices))
        least_squares(solver.YtY, indptr, indices, confidence, vectors, self.item_factors_, self.regularization,
                      num_threads=1)
        return vectors

    def user_vectors(self, history: UserHistory) -> np.ndarray:
        """Stored vectors for fitted users, folded-in vectors for the others (``users == -1``)."""
        self._check_fitted()
        known = history.users >= 0
        if known.all():
            return self.user_factors_[history.users]
        vectors = np.zeros((len(history), self.factors), dtype=np.float32)
        vectors[known] = self.user_factors_[history.users[known]]
        unknown = np.flatnonzero(~known)
        rows = history.interactions if len(unknown) == len(history) else take_rows(history.interactions, unknown)
        vectors[unknown] = self.fold_in(rows)
        return vectors

    def score_users(self, history: UserHistory) -> np.ndarray:
        """Predicted preference of every item for each user: ``m × n_items`` dot products."""
        vectors = np.asarray(self.user_vectors(history))
        if len(vectors) == 1:  # a matrix-vector product: BLAS's gemv beats a 1-row gemm
            return (self.item_factors_ @ vectors[0])[None, :]
        return vectors @ self.item_factors_.T

    def to_arrays(self) -> dict[str, np.ndarray]:
        self._check_fitted()
        return {"user_factors": self.user_factors_, "item_factors": self.item_factors_}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], **params) -> "ALSModel":
        item_factors = arrays["item_factors"]
        model = cls(**{"factors": item_factors.shape[1], **params})
        model._set_factors(arrays["user_factors"], item_factors)
        return model
