"""A few users' sparse rows, and their product with an item × item matrix, in plain numpy.

A request reads one user's rows (or a small batch's) and scores them against item–item matrices:
co-purchase rules and item-kNN similarities. scipy validates every matrix it builds and builds a
sparse result for ``left @ right``; for a few rows that overhead outweighs the arithmetic, and the
blend needs dense rows anyway. So rows travel as ``CsrRows`` (the three CSR arrays, unchecked) and
a product gathers the right-hand rows each left entry names and sums them with one ``np.add.at``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class CsrRows:
    """CSR arrays of a few rows, as sliced from a valid matrix; ``tocsr()`` where scipy is needed."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple[int, int]

    @property
    def nnz(self) -> int:
        return len(self.data)

    def tocsr(self) -> sp.csr_matrix:
        return sp.csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)

    def toarray(self) -> np.ndarray:
        dense = np.zeros(self.shape, dtype=self.data.dtype)
        dense[np.repeat(np.arange(self.shape[0]), np.diff(self.indptr)), self.indices] = self.data
        return dense


Rows = sp.csr_matrix | CsrRows


def entry_positions(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the stored entries of ``rows`` lie in a CSR matrix's ``indices``/``data`` (in row
    order), and how many each row has."""
    starts = indptr[rows].astype(np.int64)
    lengths = indptr[np.asarray(rows) + 1] - starts
    offsets = np.cumsum(lengths) - lengths
    return np.arange(int(lengths.sum())) + np.repeat(starts - offsets, lengths), lengths


def take_rows(matrix: Rows, rows: np.ndarray) -> CsrRows:
    """``matrix[rows]`` from the CSR arrays: scipy's fancy indexing costs more than the copy for
    the few rows a request needs."""
    rows = np.asarray(rows, dtype=np.int64)
    positions, lengths = entry_positions(matrix.indptr, rows)
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    return CsrRows(matrix.data[positions], matrix.indices[positions], indptr, (len(rows), matrix.shape[1]))


def dense_product(left: Rows, right: sp.csr_matrix) -> np.ndarray:
    """``(left @ right).toarray()`` as float32, for a left matrix of few rows (sums in float32)."""
    m, n = left.shape[0], right.shape[1]
    if left.shape[1] != right.shape[0]:
        raise ValueError(f"cannot multiply {left.shape} by {right.shape}")
    owners = np.repeat(np.arange(m, dtype=np.int64), np.diff(left.indptr))
    positions, lengths = entry_positions(right.indptr, left.indices)
    keys = np.repeat(owners * n, lengths) + right.indices[positions]
    weights = right.data[positions].astype(np.float32) * np.repeat(left.data.astype(np.float32), lengths)
    dense = np.zeros(m * n, dtype=np.float32)
    np.add.at(dense, keys, weights)
    return dense.reshape(m, n)
