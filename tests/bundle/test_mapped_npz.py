"""Arrays of a version's ``.npz`` files are mapped in place and equal what numpy reads."""
import zipfile

import numpy as np
import pytest
import scipy.sparse as sp

from bundle.mapped_npz import load_csr, load_npz

from .memory import is_mapped

ARRAYS = {
    "big_floats": np.random.default_rng(0).random((300, 70)).astype(np.float32),
    "big_ints": np.arange(40_000, dtype=np.int64),
    "fortran": np.asfortranarray(np.arange(30_000, dtype=np.float64).reshape(100, 300)),
    "small": np.array([1, 2, 3], dtype=np.int16),
    "scalar": np.array("csr"),
    "empty": np.zeros((0, 5), dtype=np.float32),
    "names": np.array([f"name{i}" for i in range(5_000)]),
}


def test_uncompressed_members_are_mapped_and_equal(tmp_path):
    np.savez(tmp_path / "a.npz", **ARRAYS)
    loaded = load_npz(tmp_path / "a.npz")
    assert loaded.keys() == ARRAYS.keys()
    for name, expected in ARRAYS.items():
        np.testing.assert_array_equal(loaded[name], expected)
        assert loaded[name].dtype == expected.dtype and loaded[name].shape == expected.shape
    mapped = {name for name, array in loaded.items() if is_mapped(array)}
    assert mapped == {"big_floats", "big_ints", "fortran", "names"}
    with pytest.raises(ValueError):
        loaded["big_ints"][0] = 1  # read-only


def test_compressed_members_are_read(tmp_path):
    np.savez_compressed(tmp_path / "c.npz", **ARRAYS)
    loaded = load_npz(tmp_path / "c.npz")
    assert not any(is_mapped(array) for array in loaded.values())
    np.testing.assert_array_equal(loaded["big_floats"], ARRAYS["big_floats"])


def test_a_csr_matrix_is_the_one_scipy_reads(tmp_path):
    matrix = sp.random(2_000, 300, density=0.05, format="csr", dtype=np.float32, random_state=1)
    sp.save_npz(tmp_path / "m.npz", matrix, compressed=False)
    loaded = load_csr(tmp_path / "m.npz")
    assert loaded.shape == matrix.shape and (loaded != sp.load_npz(tmp_path / "m.npz")).nnz == 0
    assert is_mapped(loaded.data) and is_mapped(loaded.indices)


def test_object_arrays_truncated_and_broken_files_are_refused(tmp_path):
    np.savez(tmp_path / "o.npz", objects=np.array([{"a": 1}] * 20_000, dtype=object))
    with pytest.raises(ValueError, match="Python objects|pickle"):
        load_npz(tmp_path / "o.npz")
    np.savez(tmp_path / "t.npz", **ARRAYS)
    data = (tmp_path / "t.npz").read_bytes()
    (tmp_path / "t.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError):
        load_npz(tmp_path / "t.npz")
    (tmp_path / "x.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="x.npz"):
        load_npz(tmp_path / "x.npz")


def test_a_matrix_of_another_format_is_refused(tmp_path):
    sp.save_npz(tmp_path / "coo.npz", sp.coo_matrix(np.eye(3)), compressed=False)
    with pytest.raises(ValueError, match="coo matrix, not csr"):
        load_csr(tmp_path / "coo.npz")
    assert zipfile.is_zipfile(tmp_path / "coo.npz")
