"""LiveMembership: training's segments brought up to date by stored events."""
from __future__ import annotations

import pytest

from recommender.live_segments import Evidence, LiveEvidence, LiveMembership, StoreOrders

NOW = 1_800_000_000.0


@pytest.fixture(scope="module")
def profiles(demo_store):
    from recommender.lifecycle import LifecycleConfig
    from training.dataset import build_dataset
    from training.profiles import build_profiles

    return build_profiles(build_dataset(demo_store.events, demo_store.catalog), LifecycleConfig())


def trained(profiles, segment: str) -> str:
    return next(str(u) for u in profiles.user_ids if segment in profiles.segments_of(str(u)))


def not_in(profiles, *segments: str) -> str:
    return next(str(u) for u in profiles.user_ids if not set(profiles.segments_of(str(u))) & set(segments))


def order(user: str, at: float, orders: int = 1, category: str = "tea") -> StoreOrders:
    return StoreOrders(orders, 10.0, Evidence(user, "e-" + user, "purchase", "p1", at, category), frozenset({category}))


def test_stored_abandoners_come_first_with_their_cart_event(profiles):
    user = not_in(profiles, "cart_abandoner")
    cart = Evidence(user, "cart-9", "cart", "p7", NOW - 3600)
    live = LiveMembership(profiles, LiveEvidence(NOW, abandoned_carts=(cart,)), 30.0)
    first = live.members("cart_abandoner")[0]
    assert (first.user_id, first.since, first.why["event_id"]) == (user, NOW - 3600, "cart-9")
    assert "cart_abandoner" in live.segments_of(user)


def test_a_purchase_since_training_ends_a_trained_abandonment(profiles):
    user = trained(profiles, "cart_abandoner")
    before = LiveMembership(profiles, LiveEvidence(NOW), 30.0)
    assert user in {m.user_id for m in before.members("cart_abandoner")}
    bought = LiveMembership(profiles, LiveEvidence(NOW, orders={user: order(user, NOW - 60)}), 30.0)
    assert user not in {m.user_id for m in bought.members("cart_abandoner")}
    assert "cart_abandoner" not in bought.segments_of(user)


def test_stages_move_with_purchases(profiles):
    lapsed = next(str(u) for u in profiles.user_ids if profiles.segment_of(str(u)) == "lapsed")
    evidence = LiveEvidence(NOW, orders={lapsed: order(lapsed, NOW - 60), "newcomer": order("newcomer", NOW - 60),
                                         "old-news": order("old-news", NOW - 90 * 86_400.0)})
    live = LiveMembership(profiles, evidence, 30.0)
    assert live.stage_of(lapsed) == "active" and lapsed not in {m.user_id for m in live.members("lapsed")}
    assert live.stage_of("newcomer") == "first_time" and live.members("first_time")[0].user_id == "newcomer"
    assert live.stage_of("old-news") == "active"  # a first order outside the window is no longer "first"
    assert live.segments_of(None) == ("prospect",)


def test_browsing_interest_names_its_category_and_ends_with_a_purchase_in_it(profiles):
    user = not_in(profiles, "browsing_interest")
    view = Evidence(user, "v-3", "view", "p2", NOW - 100, "coffee")
    live = LiveMembership(profiles, LiveEvidence(NOW, browsing=(view,)), 30.0)
    membership = next(m for m in live.memberships(user) if m.segment == "browsing_interest")
    assert membership.category == "coffee" and membership.to_dict()["why"]["category"] == "coffee"
    browser = trained(profiles, "browsing_interest")
    category = profiles.profile(profiles.index_of(browser))["browsing_interest"]
    ended = LiveMembership(profiles, LiveEvidence(NOW, orders={browser: order(browser, NOW, category=category)}), 30.0)
    assert "browsing_interest" not in ended.segments_of(browser)
