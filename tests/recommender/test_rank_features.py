import numpy as np
import scipy.sparse as sp

from recommender.customers import CustomerEvents, PURCHASE, VIEW
from recommender.rank_features import (ITEM_FEATURES, PAIR_FEATURES, ItemFacts, customer_state, pair_features,
                                       repurchase_intervals)
from recommender.rerank import Pool, feature_names, pool_candidates, pool_features, rerank

DAY = 86_400.0


def events(rows, n_users=2, categories=(0, 0, 1)):
    """rows: (user, item, day, event, basket)."""
    user, item, day, event, basket = (np.array(col) for col in zip(*rows))
    return CustomerEvents(user=user, item=item, event=event.astype(np.int8), time=day * DAY,
                          quantity=np.ones(len(rows), np.float32), revenue=np.zeros(len(rows)),
                          basket=basket, item_category=np.array(categories), n_users=n_users)


HISTORY = events([
    (0, 0, 0, PURCHASE, 0), (0, 0, 10, PURCHASE, 1), (0, 0, 30, PURCHASE, 2),  # item 0 every 10 then 20 days
    (0, 2, 30, PURCHASE, 2),
    (1, 0, 5, PURCHASE, 3), (1, 1, 5, PURCHASE, 3), (1, 1, 5, VIEW, -1),
])


def test_repurchase_interval_is_the_median_gap_and_share_counts_repeat_buyers():
    median, share = repurchase_intervals(HISTORY, 3)
    assert median[0] == 15.0  # gaps 10 and 20
    assert np.isnan(median[1]) and np.isnan(median[2])
    np.testing.assert_allclose(share, [0.5, 0.0, 0.0])


def test_customer_state_as_of_a_moment_ignores_later_purchases():
    price = np.array([2.0, 4.0, np.nan], np.float32)
    state = customer_state(HISTORY, as_of=20 * DAY, stage=np.array([3, 1]), price=price)
    assert state.last_bought[0, 0] == 10.0 and state.times_bought[0, 0] == 2.0
    assert state.last_bought[0, 2] == 0 and state.times_bought[0, 2] == 0  # bought on day 30: after as_of
    assert state.orders.tolist() == [2.0, 1.0]
    assert state.days_since_any.tolist() == [10.0, 15.0]
    assert state.rhythm_days[0] == 10.0 and np.isnan(state.rhythm_days[1])
    np.testing.assert_allclose(state.category_share.toarray(), [[1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(state.usual_price, [2.0, 3.0])


def test_pair_features_name_every_column_and_mark_never_bought_as_missing():
    facts = ItemFacts(popularity=np.array([3, 1, 1], np.float32), trend=np.ones(3, np.float32),
                      price=np.array([2.0, 4.0, np.nan], np.float32), category=np.array([0, 0, 1]),
                      repurchase_days=np.array([15.0, np.nan, np.nan], np.float32),
                      repurchase_share=np.zeros(3, np.float32))
    state = customer_state(HISTORY, as_of=40 * DAY, stage=np.array([3, 1]), price=facts.price)
    rows = pair_features(np.array([0, 0, 1]), np.array([0, 1, 0]), facts, state)
    assert rows.shape == (3, len(ITEM_FEATURES) + len(PAIR_FEATURES))
    column = {name: rows[:, i] for i, name in enumerate(ITEM_FEATURES + PAIR_FEATURES)}
    assert column["days_since_bought"][0] == 10.0 and np.isnan(column["days_since_bought"][1])
    assert column["bought_over_interval"][0] == 10.0 / 15.0
    assert column["times_bought"].tolist() == [3.0, 0.0, 1.0]
    assert column["price_over_usual"][1] == 2.0


def test_pool_unites_each_signals_best_without_duplicates_or_excluded_items():
    parts = {"a": np.array([[0.9, 0.8, 0.1, 0.0, 0.0]], np.float32),
             "b": np.array([[0.0, 0.0, 0.0, 0.2, 1.0]], np.float32)}
    exclude = sp.csr_matrix(np.array([[0, 1, 0, 0, 0]]))
    pool = pool_candidates(parts, {"a": 1.0}, exclude, n_blend=2, n_each=1)
    real = pool.items[0][pool.items[0] >= 0]
    assert real.tolist() == [0, 2, 4]  # a's best two without the excluded 1, b's best, by the blend
    assert len(set(real)) == len(real)
    ids, scores = rerank(pool, np.array([0.1, 0.5, 0.9]), n=4)
    assert ids[0].tolist() == [4, 2, 0, -1] and scores[0, -1] == -np.inf


def test_pool_features_have_one_row_per_pooled_item_and_a_name_per_column():
    parts = {"a": np.random.default_rng(0).random((2, 3)).astype(np.float32)}
    pool = Pool(np.array([[0, 2, -1], [1, -1, -1]]), np.array([[2.0, 1.0, -np.inf], [1.0, -np.inf, -np.inf]]))
    facts = ItemFacts(*(np.zeros(3, np.float32) for _ in range(3)), category=np.array([0, 0, 1]),
                      repurchase_days=np.full(3, np.nan, np.float32), repurchase_share=np.zeros(3, np.float32))
    state = customer_state(HISTORY, 40 * DAY, np.zeros(2), np.full(3, np.nan, np.float32))
    rows = pool_features(pool, parts, np.array([0, 1]), facts, state)
    assert rows.shape == (3, len(feature_names(["a"])))
    assert rows[:, 0].tolist() == [parts["a"][0, 0], parts["a"][0, 2], parts["a"][1, 1]]
    assert rows[:, 1].tolist() == [1, 2, 1]  # rank by signal a inside each customer's pool


def test_personal_rhythm_is_the_mean_gap_between_a_customers_purchase_days():
    from recommender.rank_features import personal_rhythm

    rhythm = personal_rhythm(HISTORY, 3)
    assert rhythm.shape == (2, 3) and rhythm.nnz == 1
    assert rhythm[0, 0] == 15.0  # days 0, 10, 30: two gaps over 30 days


def test_static_signals_pool_their_shared_best_without_each_rows_exclusions():
    shared = np.array([0.1, 0.9, 0.8, 0.7, 0.0], np.float32)
    parts = {"a": np.array([[1.0, 0, 0, 0, 0], [0, 0, 0, 0, 1.0]], np.float32), "popular": np.tile(shared, (2, 1))}
    exclude = sp.csr_matrix(np.array([[0, 1, 0, 0, 0], [0, 0, 0, 0, 0]]))
    pool = pool_candidates(parts, {"a": 1.0}, exclude, n_blend=1, n_each=2, static=frozenset({"popular"}))
    assert sorted(pool.items[0][pool.items[0] >= 0].tolist()) == [0, 2, 3]  # 1 is excluded: 2 and 3 instead
    assert sorted(pool.items[1][pool.items[1] >= 0].tolist()) == [0, 1, 2, 4]  # a ties 0 with the rest
    skipped = pool_candidates(parts, {"a": 1.0}, None, n_blend=1, n_each=2, skip=frozenset({"popular"}))
    assert sorted(skipped.items[1][skipped.items[1] >= 0].tolist()) == [0, 4]  # a's best two; popular not pooled
