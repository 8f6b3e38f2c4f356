"""Per-customer facts, the key moment, live segments and cohorts on hand-built event histories."""
import numpy as np
import pytest

from recommender.customers import CART, PURCHASE, SECONDS_PER_DAY, VIEW, CustomerEvents, customer_facts
from recommender.key_moment import key_moment, key_moments_by_group, survival
from recommender.lifecycle import LifecycleConfig
from recommender.live_segments import NO_CATEGORY, browsing_interest, cart_abandoners
from recommender.trends import cohort_retention

DAY = SECONDS_PER_DAY
END = 1_000 * DAY  # the analysis date: the end of day 1000
ITEM_CATEGORY = np.array([0, 0, 1, 1])


def events(rows, n_users):
    """``rows``: (user, item, event, day, quantity, revenue, basket), ``day`` since the epoch."""
    user, item, event, day, quantity, revenue, basket = (np.array(c) for c in zip(*rows))
    return CustomerEvents(user=user.astype(np.int32), item=item.astype(np.int32), event=event.astype(np.int8),
                          time=day.astype(float) * DAY, quantity=quantity.astype(np.float32),
                          revenue=revenue.astype(float), basket=basket.astype(np.int64),
                          item_category=ITEM_CATEGORY, n_users=n_users)


HISTORY = events([
    # customer 0: two orders on day 900 (one purchase day), one on day 950, a refund line on day 960
    (0, 0, PURCHASE, 900.1, 2, 20.0, 0), (0, 1, PURCHASE, 900.5, 1, 5.0, 1), (0, 2, PURCHASE, 950.2, 1, 10.0, 2),
    (0, 2, PURCHASE, 960.0, -1, -10.0, 3),
    # customer 1: only views
    (1, 0, VIEW, 999.0, 1, 0.0, -1),
    # customer 2: only a return (negative quantity)
    (2, 3, PURCHASE, 990.0, -2, -30.0, 4),
    # customer 3: a free purchase (unknown price) on the last day, and a later event after the analysis date
    (3, 1, PURCHASE, 999.9, 1, 0.0, 5), (3, 1, PURCHASE, 1005.0, 1, 9.0, 6),
], n_users=4)


def test_customer_facts_count_purchase_days_orders_and_net_spend():
    facts = customer_facts(HISTORY, END - 1)
    assert facts.as_of_day == 999
    assert facts.purchases.tolist() == [2, 0, 0, 1]
    assert facts.orders.tolist() == [3, 0, 0, 1]
    assert facts.spend.tolist() == pytest.approx([25.0, 0.0, 0.0, 0.0])  # refunds lower spend, never below 0
    assert facts.first_day.tolist() == [900, -1, -1, 999]
    assert facts.recency_days.tolist() == [49, -1, -1, 0]
    assert facts.first_event_day.tolist() == [900, 999, 990, 999]
    x, t_x, age = facts.btyd_summary()
    assert (x.tolist(), t_x.tolist(), age.tolist()) == ([1, 0, 0, 0], [50, 0, 0, 0], [99, 0, 0, 0])
    assert facts.repeat_value().tolist() == [10.0, 0.0, 0.0, 0.0]


def test_survival_and_key_moment_by_hand():
    # 100 buyers, all followed 400 days: 10 return on day 10, 20 on day 20, 30 on day 30, 40 never.
    first = np.zeros(100, dtype=np.int64)
    second = np.r_[np.full(10, 10), np.full(20, 20), np.full(30, 30), np.full(40, -1)]
    curve, at_risk = survival(np.where(second >= 0, second, 400), second >= 0)
    assert curve[[0, 10, 20, 30, 400]] == pytest.approx([1.0, 0.9, 0.7, 0.4, 0.4])
    assert at_risk[[0, 11, 31]].tolist() == [100, 90, 40]
    moment = key_moment(first, second, as_of_day=400)
    # Never returning: 0.4. Still to return among those not back by day d: (S(d) - 0.4) / S(d) < 1/2
    # first when S(d) < 0.8, on day 20.
    assert (moment.day, moment.never_return, moment.repeaters) == (20, 0.4, 60)
    assert moment.quantiles["p50"] == 25.0 and moment.histogram[10] == 10


def test_key_moment_edge_cases():
    first = np.zeros(100, dtype=np.int64)
    mostly_gone = np.r_[np.full(30, 10), np.full(70, -1)]
    assert key_moment(first, mostly_gone, 400).day == 0
    assert key_moment(first[:10], np.full(10, 5), 400).day is None  # too few repeat customers
    empty = key_moment(np.zeros(0, np.int64), np.zeros(0, np.int64), 400)
    assert (empty.day, empty.customers, empty.histogram) == (None, 0, [])
    groups = key_moments_by_group(first, mostly_gone, np.r_[np.zeros(60, int), np.ones(40, int)], 400,
                                  min_customers=50)
    assert list(groups) == [0]


CONFIG = LifecycleConfig(cart_days=7, browse_days=14, browse_min_views=3)


def test_cart_abandoners():
    live = events([
        (0, 0, CART, 993.0, 1, 0, -1),                                     # exactly 7 days ago: in
        (1, 0, CART, 992.9, 1, 0, -1),                                     # older: out
        (2, 0, CART, 995.0, 1, 0, -1), (2, 0, PURCHASE, 996.0, 1, 5, 0),   # bought since: out
        (3, 0, PURCHASE, 994.0, 1, 5, 1), (3, 1, CART, 998.0, 1, 0, -1),   # carted after buying: in
    ], n_users=5)
    facts = customer_facts(live, END)
    assert cart_abandoners(live, facts.last_purchase_time, END, CONFIG).tolist() == [True, False, False, True,
                                                                                           False]


def test_browsing_interest():
    views = [(0, 2, VIEW, 995.0, 1, 0, -1)] * 3 + [(0, 0, VIEW, 995.0, 1, 0, -1)] * 2     # category 1 three times
    views += [(1, 2, VIEW, 995.0, 1, 0, -1)] * 3 + [(1, 3, PURCHASE, 996.0, 1, 5, 0)]      # bought in it: out
    views += [(2, 0, VIEW, 980.0, 1, 0, -1)] * 5                                          # too long ago: out
    views += [(3, 0, VIEW, 990.0, 1, 0, -1)] * 4 + [(3, 3, VIEW, 991.0, 1, 0, -1)] * 3    # most viewed wins
    live = events(views, n_users=5)
    assert browsing_interest(live, END - DAY, CONFIG).tolist() == [1, NO_CATEGORY, NO_CATEGORY, 0, NO_CATEGORY]


def test_cohort_retention_counts_complete_months_only():
    jan, feb, mar = (int(np.datetime64(d, "D").astype(np.int64)) for d in ("2024-01-10", "2024-02-05", "2024-03-02"))
    rows = [(0, 0, PURCHASE, jan, 1, 5.0, 0), (0, 0, PURCHASE, feb, 1, 5.0, 1),   # January cohort, back in February
            (1, 0, PURCHASE, jan, 1, 5.0, 2), (1, 0, PURCHASE, mar, 1, 5.0, 3),   # ... and in (partial) March
            (2, 0, PURCHASE, feb, 1, 5.0, 4)]                                      # February cohort
    facts = customer_facts(events(rows, n_users=3), (mar + 1) * DAY)
    retention = cohort_retention(facts.occasions, facts.as_of_day)
    assert retention == {"cohorts": ["2024-01", "2024-02"], "sizes": [2, 1], "retention": [[1.0, 0.5], [1.0]]}
