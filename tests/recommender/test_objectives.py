import numpy as np

from recommender.objectives import by_expected_value, item_values


def test_expected_value_orders_the_eligible_by_score_times_value():
    scores = np.array([1.0, 0.9, 0.6, 0.4])
    order, new = by_expected_value(scores, np.array([1.0, 3.0, 10.0, 100.0]), floor=0.5)
    assert order.tolist() == [2, 1, 0, 3]  # 6.0, 2.7, 1.0; item 3 is below the floor
    assert np.all(np.diff(new) <= 0) and new[0] == 6.0


def test_unknown_values_take_the_median_and_an_empty_list_is_fine():
    np.testing.assert_array_equal(item_values(np.array([2.0, np.nan, 4.0, -1.0]), np.array([1, 0, 1, 1], bool)),
                                  [2.0, 3.0, 4.0, 3.0])
    order, new = by_expected_value(np.zeros(0), np.zeros(0), 0.5)
    assert len(order) == 0 and len(new) == 0


def test_ranking_by_expected_value_raises_expected_revenue_at_some_cost_in_relevance():
    rng = np.random.default_rng(3)
    gain, loss = [], []
    for _ in range(200):  # customers whose chance to buy each item is its relevance score
        chance = np.sort(rng.beta(1, 8, 50))[::-1]
        price = rng.lognormal(2.0, 1.0, 50)
        order, _ = by_expected_value(chance, price, floor=0.3)
        top, relevance = order[:10], np.arange(10)
        gain.append((chance[top] * price[top]).sum() / (chance[relevance] * price[relevance]).sum())
        loss.append(chance[top].sum() / chance[relevance].sum())
    assert np.mean(gain) > 1.2 and 0.6 < np.mean(loss) < 1.0
