import numpy as np
import pytest

from recommender.id_index import IdIndex


@pytest.fixture
def ids():
    rng = np.random.default_rng(3)
    return np.array([f"c{n}" for n in rng.permutation(5_000)])  # unsorted, widths 2 to 5


def test_every_id_finds_its_row_and_others_are_unknown(ids):
    index = IdIndex(ids)
    truth = {uid: row for row, uid in enumerate(ids.tolist())}
    asked = [*ids.tolist()[::7], "c5000", "c", "", "x1", None, "c12345678"]  # longer than the ids
    expected = [truth.get(uid, -1) if uid is not None else -1 for uid in asked]
    assert index.rows(asked).tolist() == expected
    assert [index.get(uid) for uid in asked] == expected
    assert "c17" in index and "c17x" not in index and None not in index
    assert index[ids[42]] == 42
    with pytest.raises(KeyError):
        index["nobody"]


def test_a_longer_id_is_not_truncated_to_a_known_one():
    index = IdIndex(np.array(["ab", "abc"]))  # dtype <U3
    assert index.rows(["abcd", "abc", "ab"]).tolist() == [-1, 1, 0]


def test_hidden_ids_are_unknown_and_the_rest_unchanged(ids):
    index = IdIndex(ids)
    hidden = index.without([ids[0], ids[9], "not-a-customer"])
    assert hidden.rows([ids[0], ids[9], ids[1]]).tolist() == [-1, -1, 1]
    assert len(hidden) == len(ids) - 2 and len(index) == len(ids)
    assert index.get(ids[0]) == 0  # the original is untouched
    assert hidden.without([]) is hidden


def test_an_empty_index_knows_nobody():
    assert IdIndex(np.array([], dtype=str)).rows(["a", None]).tolist() == [-1, -1]
