"""Rules through the engine on the demo store: every list respects them and still holds ``n`` items."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recommender.engine import RecommendationEngine, SessionEvent
from recommender.rules import ItemTable, PlacementSettings, RuleBook, RuleReranker, parse_rule
from training.dataset import build_dataset, last_purchase_ages


@pytest.fixture(scope="module")
def table(demo_version) -> ItemTable:
    return ItemTable.from_records(demo_version.model.item_ids, demo_version.catalog)


@pytest.fixture(scope="module")
def plain(demo_version) -> RecommendationEngine:
    return RecommendationEngine(demo_version.model)


def ruled(plain, table, *rules, placements=None) -> RecommendationEngine:
    return plain.with_reranker(RuleReranker(RuleBook(tuple(rules), placements or {}), table))


def rule(table, rule_id: int, action: str, **fields):
    return parse_rule({"name": f"r{rule_id}", "action": action, **fields}, table.kinds, table.index, rule_id)


def categories_of(engine, picks) -> set[str]:
    model = engine.model
    return {model.category_names[model.item_category[engine.item_index[p.item_id]]] for p in picks}


def test_n_results_remain_when_most_candidates_are_excluded(plain, table, demo_store):
    category = demo_store.catalog.category.value_counts().index[0]
    only = rule(table, 1, "include_only", condition={"field": "category", "op": "eq", "value": category})
    engine = ruled(plain, table, only, placements={"default": PlacementSettings(exclude_out_of_stock=False)})
    user = demo_store.events.user_id.iloc[0]
    item = demo_store.catalog.item_id.iloc[0]
    answers = [engine.recommend_user(user, n=8), engine.recommend_user("stranger", n=8), engine.popular(n=8),
               engine.recommend_session([SessionEvent(item, "view")], n=8), engine.related_items(item, n=8),
               engine.cart_complements([item], n=8), *engine.recommend_users([user, "x"], n=8)]
    for answer in answers:
        assert len(answer.picks) == 8 and categories_of(engine, answer.picks) == {category}


def test_exclusions_hold_in_bought_together(plain, table, demo_store):
    anchor, partner = demo_store.complements[0]
    assert partner in [p["item_id"] for p in plain.bought_together(anchor, n=5)]
    without = rule(table, 1, "exclude", condition={"field": "item_id", "op": "eq", "value": partner})
    engine = ruled(plain, table, without)
    assert partner not in [p["item_id"] for p in engine.bought_together(anchor, n=5)]


def test_pins_land_in_place_after_the_fill_up(plain, table, demo_store):
    pinned = demo_store.catalog.item_id.iloc[-1]
    engine = ruled(plain, table, rule(table, 1, "pin", item_ids=[pinned], positions=[3]))
    for answer in (engine.recommend_user(demo_store.events.user_id.iloc[0], n=6), engine.popular(n=6),
                   engine.cart_complements(["no-such-item"], n=6)):
        assert [p.item_id for p in answer.picks].index(pinned) == 2 and len(answer.picks) == 6
        assert answer.picks[2].reason == "featured"


def test_placement_settings_drop_out_of_stock_items(plain, table, demo_store):
    out = set(demo_store.catalog.item_id[~demo_store.catalog.in_stock])
    engine = ruled(plain, table)
    picks = [p.item_id for u in demo_store.events.user_id.unique()[:30] for p in engine.recommend_user(u, n=10).picks]
    assert out and not out & set(picks)


def test_consumables_come_back_after_the_repurchase_window(demo_version, plain, table):
    ages = demo_version.model.last_purchase
    user_row = int(np.argmax(np.diff(ages.indptr)))
    part = slice(ages.indptr[user_row], ages.indptr[user_row + 1])
    old = ages.indices[part][ages.data[part] >= 5]
    assert len(old)
    old_ids = demo_version.model.item_ids[old].tolist()
    user = str(demo_version.model.user_ids[user_row])
    only_old = rule(table, 1, "include_only", condition={"field": "item_id", "op": "in", "value": old_ids})
    settings = {"default": PlacementSettings(exclude_out_of_stock=False),
                "replenish": PlacementSettings(exclude_out_of_stock=False, repurchase_after_days=5)}
    engine = ruled(plain, table, only_old, placements=settings)
    assert engine.recommend_user(user, n=5).picks == []
    back = {p.item_id for p in engine.recommend_user(user, n=len(old_ids), placement="replenish").picks}
    assert back and back <= set(old_ids)


def test_last_purchase_ages_keep_purchases_at_the_very_end():
    stamps = pd.to_datetime(["2026-01-01", "2026-01-05", "2026-01-11", "2026-01-11"], utc=True)
    events = pd.DataFrame({"timestamp": stamps, "user_id": ["a", "a", "a", "b"], "item_id": ["x", "x", "y", "x"],
                           "event": ["purchase", "purchase", "purchase", "view"], "quantity": 1.0,
                           "price": np.nan, "order_id": None})
    data = build_dataset(events)
    ages = last_purchase_ages(data, data.end_time)
    assert ages.shape == (2, 2) and ages.nnz == 2
    assert ages[0, 0] == pytest.approx(6.0) and ages[0, 1] == 0.0 and 1 in ages.indices[:2]


def test_a_placement_strategy_changes_how_its_lists_are_made(plain, table, demo_store):
    user = demo_store.events.user_id.iloc[0]
    item = demo_store.catalog.item_id.iloc[0]
    engine = ruled(plain, table, placements={"home": PlacementSettings(strategy="popular"),
                                             "email": PlacementSettings(strategy="collaborative")})
    best_sellers = [p.item_id for p in engine.popular(n=30).picks]
    bought = set(demo_store.events[(demo_store.events.user_id == user) & (demo_store.events.event == "purchase")].item_id)
    home = engine.recommend_user(user, n=6, placement="home")
    assert home.strategy == "popular" and not {p.item_id for p in home.picks} & bought
    assert [p.item_id for p in home.picks] == [i for i in best_sellers if i not in bought][:6]
    for answer in (engine.related_items(item, n=6, placement="home"), engine.cart_complements([item], n=6, placement="home"),
                   engine.recommend_session([SessionEvent(item, "view")], n=6, placement="home")):
        assert answer.strategy == "popular" and len(answer.picks) == 6
    collaborative = engine.recommend_user(user, n=6, placement="email")
    assert collaborative.strategy == "personalized" and {p.source for p in collaborative.picks} == {"als"}
    assert engine.recommend_user(user, n=6).picks == plain.recommend_user(user, n=6).picks  # others as before


def test_rules_switch_off_by_tag_or_all_at_once_per_placement(plain, table, demo_store):
    category = demo_store.catalog.category.value_counts().index[0]
    only = parse_rule({"name": "only", "action": "include_only", "tags": ["season"],
                       "condition": {"field": "category", "op": "eq", "value": category}}, table.kinds, None, 1)
    engine = ruled(plain, table, only, placements={"home": PlacementSettings(skip_rule_tags=("season",)),
                                                   "cart": PlacementSettings(apply_rules=False),
                                                   "email": PlacementSettings(skip_rule_tags=("other",))})
    user = demo_store.events.user_id.iloc[0]
    assert categories_of(engine, engine.recommend_user(user, n=8, placement="email").picks) == {category}
    for placement in ("home", "cart"):
        assert len(categories_of(engine, engine.recommend_user(user, n=8, placement=placement).picks)) > 1
