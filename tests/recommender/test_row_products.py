"""Sparse rows and their products with item × item matrices, against scipy."""
import numpy as np
import scipy.sparse as sp

from recommender.row_products import CsrRows, dense_product, entry_positions, take_rows


def random_csr(rng, shape, density):
    return sp.random(*shape, density=density, format="csr", dtype=np.float32, random_state=rng)


def test_take_rows_matches_fancy_indexing(rng):
    matrix = random_csr(rng, (50, 30), 0.2)
    rows = np.array([3, 0, 49, 3, 17])
    taken = take_rows(matrix, rows)
    assert isinstance(taken, CsrRows) and taken.shape == (5, 30)
    np.testing.assert_array_equal(taken.toarray(), matrix[rows].toarray())
    np.testing.assert_array_equal(taken.tocsr().toarray(), matrix[rows].toarray())
    assert take_rows(matrix, np.array([], dtype=np.int64)).shape == (0, 30)


def test_entry_positions_lists_each_rows_entries_in_order(rng):
    matrix = random_csr(rng, (20, 10), 0.3)
    positions, lengths = entry_positions(matrix.indptr, np.array([5, 2]))
    expected = np.r_[matrix.indptr[5]:matrix.indptr[6], matrix.indptr[2]:matrix.indptr[3]]
    np.testing.assert_array_equal(positions, expected)
    assert lengths.tolist() == [matrix.indptr[6] - matrix.indptr[5], matrix.indptr[3] - matrix.indptr[2]]


def test_dense_product_matches_scipy_for_csr_and_taken_rows(rng):
    left, right = random_csr(rng, (40, 60), 0.1), random_csr(rng, (60, 60), 0.15)
    expected = (left @ right).toarray()
    np.testing.assert_allclose(dense_product(left, right), expected, rtol=1e-5, atol=1e-6)
    rows = np.array([7, 1, 7])
    np.testing.assert_allclose(dense_product(take_rows(left, rows), right), expected[rows], rtol=1e-5, atol=1e-6)
    assert dense_product(left, right).dtype == np.float32


def test_dense_product_of_an_empty_row_is_zero(rng):
    right = random_csr(rng, (5, 5), 0.5)
    empty = CsrRows(np.array([], np.float32), np.array([], np.int32), np.array([0, 0]), (1, 5))
    assert dense_product(empty, right).tolist() == [[0.0] * 5]
