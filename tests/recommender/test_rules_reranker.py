"""``RuleReranker`` on a small hand-made catalog: each action alone and together, in the documented order."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import numpy as np

from recommender.engine import Candidates, PurchaseRule, RequestContext
from recommender.rules import ItemTable, PlacementSettings, RuleBook, RuleReranker, parse_rule

N = 12
CATEGORIES = ["a", "b", "c"]
RECORDS = {f"p{i}": {"category": CATEGORIES[i % 3], "price": float(10 * (i + 1)), "in_stock": i != 11,
                     "brand": "Acme" if i % 4 == 0 else "Umbra"} for i in range(N)}
TABLE = ItemTable.from_records(np.array([f"p{i}" for i in range(N)]), RECORDS)
HOME = RequestContext("home")


def rule(rule_id: int, action: str, **fields) -> object:
    return parse_rule({"name": f"rule {rule_id}", "action": action, **fields}, TABLE.kinds, TABLE.index, rule_id)


def when(field: str, op: str, value) -> dict:
    return {"condition": {"field": field, "op": op, "value": value}}


def candidates(items=range(N - 1), fallback=None) -> Candidates:
    items = np.array(list(items), dtype=np.int64)
    scores = np.linspace(1.0, 0.1, len(items)).astype(np.float32)
    return Candidates(items, scores, np.full(len(items), "als"), fallback)


def apply(*rules, settings=None, context=HOME, pool=None) -> list[int]:
    book = RuleBook(tuple(rules), settings or {})
    return RuleReranker(book, TABLE).apply(pool if pool is not None else candidates(), context).items.tolist()


def test_no_rules_keeps_the_list_but_drops_out_of_stock_items():
    assert apply(pool=candidates(range(N))) == list(range(N - 1))
    assert apply(pool=candidates(range(N)), settings={"default": PlacementSettings(exclude_out_of_stock=False)}) \
        == list(range(N))


def test_exclude():
    assert apply(rule(1, "exclude", **when("category", "eq", "a"))) == [1, 2, 4, 5, 7, 8, 10]


def test_include_only_every_applicable_rule_must_match():
    assert apply(rule(1, "include_only", **when("category", "ne", "c"))) == [0, 1, 3, 4, 6, 7, 9, 10]
    assert apply(rule(1, "include_only", **when("category", "ne", "c")),
                 rule(2, "include_only", **when("brand", "eq", "Acme"))) == [0, 4]


def test_boost_lifts_and_bury_sinks():
    boosted = apply(rule(1, "boost", factor=10, **when("item_id", "in", ["p5", "p9"])))
    assert boosted[:2] == [5, 9]
    buried = apply(rule(1, "bury", factor=0.01, **when("item_id", "eq", "p0")))
    assert buried[-1] == 0 and buried[:2] == [1, 2]


def test_boost_lifts_negative_scores_too():
    pool = Candidates(np.array([0, 1, 2]), np.array([-0.1, -0.2, -0.3], np.float32), np.full(3, "als"))
    assert apply(rule(1, "boost", factor=5, **when("item_id", "eq", "p2")), pool=pool) == [2, 0, 1]


def test_the_highest_priority_factor_wins():
    boost = rule(1, "boost", factor=50, priority=1, **when("item_id", "eq", "p8"))
    bury = rule(2, "bury", factor=0.5, priority=2, **when("category", "eq", "c"))
    assert apply(boost, bury)[-1] != 8 and apply(boost, bury).index(8) > 2
    boost_first = rule(1, "boost", factor=50, priority=3, **when("item_id", "eq", "p8"))
    assert apply(boost_first, bury)[0] == 8


def test_diversity_cap_keeps_the_best_of_each_category():
    kept = apply(settings={"home": PlacementSettings(max_per_category=2)})
    assert kept == [0, 1, 2, 3, 4, 5]


def test_pins_go_to_their_positions():
    ranked = apply(rule(1, "pin", item_ids=["p9", "p7"], positions=[1, 3]))
    assert ranked[0] == 9 and ranked[2] == 7 and len(ranked) == N - 1


def test_pins_beyond_a_short_list_go_to_its_end():
    ranked = apply(rule(1, "pin", item_ids=["p9", "p8"], positions=[2, 10]), pool=candidates([0, 1, 2]))
    assert ranked == [0, 9, 1, 2, 8]
    assert apply(rule(1, "pin", item_ids=["p9"], positions=[5]), pool=candidates([])) == [9]


def test_pinned_scores_stay_in_order():
    book = RuleBook((rule(1, "pin", item_ids=["p9", "p8"], positions=[1, 4]),))
    scores = RuleReranker(book, TABLE).apply(candidates([0, 1, 2, 3]), HOME).scores
    assert np.all(np.diff(scores) <= 0)


def test_higher_priority_pin_wins_a_slot_and_exclusions_beat_pins():
    low = rule(1, "pin", item_ids=["p5"], positions=[1], priority=0)
    high = rule(2, "pin", item_ids=["p6"], positions=[1], priority=9)
    assert apply(low, high)[0] == 6 and 5 in apply(low, high)[1:]
    excluded = rule(3, "exclude", **when("item_id", "eq", "p6"))
    assert apply(high, excluded)[0] != 6 and 6 not in apply(high, excluded)
    assert 11 not in apply(rule(4, "pin", item_ids=["p11"], positions=[1]))  # out of stock
    assert apply(high, context=RequestContext("home", exclude=np.array([6])))[0] == 0


def test_actions_combine_in_the_documented_order():
    rules = (rule(1, "exclude", **when("brand", "eq", "Acme")),
             rule(2, "boost", factor=100, **when("category", "eq", "c")),
             rule(3, "pin", item_ids=["p4", "p10"], positions=[1, 2]))
    ranked = apply(*rules, settings={"home": PlacementSettings(max_per_category=1)})
    assert 4 not in ranked and 0 not in ranked and 8 not in ranked  # excluded, even when pinned
    # boosted c first, one item per category, then p10 pinned to slot 2 (its excluded partner's slot 1 stays free)
    assert ranked == [2, 10, 1, 3]


def test_placements_limit_where_a_rule_applies():
    home_only = rule(1, "exclude", placements=["home"], **when("category", "eq", "a"))
    assert 0 not in apply(home_only) and 0 in apply(home_only, context=RequestContext("email"))
    assert 0 in apply(home_only, context=RequestContext(None))


def test_audiences():
    known_only = rule(1, "exclude", audience="known", **when("category", "eq", "a"))
    assert 0 not in apply(known_only, context=RequestContext("home", "u1", known_user=True))
    assert 0 in apply(known_only, context=RequestContext("home", None, known_user=False))
    anonymous = rule(2, "exclude", audience="anonymous", **when("category", "eq", "a"))
    assert 0 not in apply(anonymous, context=RequestContext("home"))
    segment = parse_rule({"name": "s", "action": "exclude", "audience": "at_risk_test",
                          "condition": {"field": "category", "op": "eq", "value": "a"}}, None, rule_id=3)
    at_risk = RequestContext("home", segments=frozenset({"at_risk_test"}))
    assert 0 in apply(segment) and 0 not in apply(segment, context=at_risk)


def test_schedule_boundaries():
    now = datetime.now(timezone.utc)
    later = rule(1, "exclude", starts_at=(now + timedelta(minutes=1)).isoformat(), **when("category", "eq", "a"))
    assert 0 in apply(later)
    assert 0 not in apply(later, context=RequestContext("home", now=(now + timedelta(minutes=2)).timestamp()))
    over = rule(2, "exclude", ends_at=now.isoformat(), **when("category", "eq", "a"))
    assert 0 in apply(over)
    assert 0 not in apply(over, context=RequestContext("home", now=(now - timedelta(seconds=1)).timestamp()))
    starts = rule(3, "exclude", starts_at=now.isoformat(), **when("category", "eq", "a"))
    assert 0 not in apply(starts, context=RequestContext("home", now=now.timestamp()))


def test_a_reranker_as_of_a_moment_applies_the_rules_scheduled_then():
    now = datetime.now(timezone.utc)
    sale = rule(1, "exclude", starts_at=(now + timedelta(days=3)).isoformat(),
                ends_at=(now + timedelta(days=4)).isoformat(), **when("category", "eq", "a"))
    book = RuleBook((sale,), {})
    during = RuleReranker(book, TABLE, as_of=(now + timedelta(days=3, hours=1)).timestamp())
    after = RuleReranker(book, TABLE, as_of=(now + timedelta(days=5)).timestamp())
    assert 0 in apply(sale) and 0 not in during.apply(candidates(), HOME).items.tolist()
    assert 0 in after.apply(candidates(), HOME).items.tolist()
    # a request's own moment still wins over the reranker's
    assert 0 in during.apply(candidates(), RequestContext("home", now=now.timestamp())).items.tolist()


def test_disabled_rules_do_nothing():
    assert 0 in apply(rule(1, "exclude", enabled=False, **when("category", "eq", "a")))


def test_price_bounds_keep_items_without_a_price():
    table = TABLE.with_updates({"p3": {"price": None}})
    reranker = RuleReranker(RuleBook((), {"home": PlacementSettings(min_price=30, max_price=60)}), table)
    assert reranker.apply(candidates(), HOME).items.tolist() == [2, 3, 4, 5]


def test_fill_up_items_stay_behind_candidates_even_when_boosted():
    fallback = np.array([False] * 3 + [True] * 3)
    pool = candidates([0, 1, 2, 3, 4, 5], fallback)
    ranked = apply(rule(1, "boost", factor=1000, **when("item_id", "eq", "p5")), pool=pool)
    assert ranked == [0, 1, 2, 5, 3, 4]


def test_purchase_rule_comes_from_the_placement_settings():
    book = RuleBook((), {"email": PlacementSettings(repurchase_after_days=30), "home": PlacementSettings(
        exclude_purchased=False)})
    reranker = RuleReranker(book, TABLE)
    assert reranker.purchase_rule("email") == PurchaseRule(True, 30)
    assert reranker.purchase_rule("home") == PurchaseRule(False, None)
    assert reranker.purchase_rule(None) == PurchaseRule()


def test_explain_names_the_rules_that_acted():
    rules = (rule(1, "boost", factor=2, **when("category", "eq", "a")),
             rule(2, "include_only", **when("price", "lt", 100)),
             rule(3, "pin", item_ids=["p4"], positions=[1]))
    reranker = RuleReranker(RuleBook(rules), TABLE)
    ranked = reranker.apply(candidates(), HOME)
    notes = {item: [r.id for r in touched] for item, touched in zip(ranked.items.tolist(),
                                                                     reranker.explain(ranked.items, HOME))}
    assert notes[4] == [2, 3] and notes[0] == [2, 1] and notes[1] == [2]


def test_a_hundred_rules_over_a_large_catalog_cost_little_per_request():
    n_items = 20_000
    records = {f"p{i}": {"category": f"c{i % 50}", "price": float(i % 500), "in_stock": i % 20 != 0,
                         "brand": f"b{i % 30}"} for i in range(n_items)}
    table = ItemTable.from_records(np.array(list(records)), records)
    rules = tuple(parse_rule({"name": f"r{i}", "action": ("exclude", "boost", "bury")[i % 3],
                              **({"factor": 2} if i % 3 == 1 else {"factor": 0.5} if i % 3 == 2 else {}),
                              "condition": {"field": "brand", "op": "eq", "value": f"b{i % 30}"}}, table.kinds,
                             rule_id=i + 1) for i in range(100))
    reranker = RuleReranker(RuleBook(rules), table)
    pool = Candidates(np.arange(0, 8000, 200), np.linspace(1, 0, 40).astype(np.float32), np.full(40, "als"))
    reranker.apply(pool, HOME)
    started = time.perf_counter()
    for _ in range(200):
        reranker.apply(pool, HOME)
    assert (time.perf_counter() - started) / 200 < 0.005


def test_a_revenue_objective_promotes_pricier_items_above_the_relevance_floor_only():
    # scores fall from 1.0 to 0.1 over items 0..10; prices rise 10, 20, … 110
    ranked = apply(settings={"home": PlacementSettings(objective="revenue", relevance_floor=0.5)})
    scores = dict(zip(candidates().items.tolist(), candidates().scores.tolist()))
    above = [i for i in range(N - 1) if scores[i] >= 0.5]
    assert ranked[:len(above)] == sorted(above, key=lambda i: -scores[i] * RECORDS[f"p{i}"]["price"])
    assert ranked[len(above):] == [i for i in range(N - 1) if i not in above]  # relevance order behind
    assert apply(settings={"home": PlacementSettings(objective="revenue", relevance_floor=1.0)})[0] == 0
    assert apply(settings={"home": PlacementSettings(objective="relevance")}) == list(range(N - 1))


def test_an_objective_keeps_scores_in_order_and_fill_up_items_behind():
    pool = candidates(fallback=np.arange(N - 1) >= 8)
    reranker = RuleReranker(RuleBook((), {"home": PlacementSettings(objective="revenue", relevance_floor=0.0)}), TABLE)
    ranked = reranker.apply(pool, HOME)
    assert np.all(np.diff(ranked.scores[:8]) <= 0)
    assert ranked.items[8:].tolist() == [8, 9, 10]


def test_a_margin_objective_needs_a_margin_column():
    margin = {key: {**row, "margin": 100.0 if key == "p9" else 1.0} for key, row in RECORDS.items()}
    table = ItemTable.from_records(TABLE.item_ids, margin)
    settings = {"home": PlacementSettings(objective="margin", relevance_floor=0.0)}
    assert RuleReranker(RuleBook((), settings), table).apply(candidates(), HOME).items[0] == 9
    assert apply(settings=settings) == list(range(N - 1))  # no margin column: relevance


def test_objective_settings_are_checked():
    import pytest
    from recommender.errors import FieldError
    from recommender.rules import parse_settings

    assert parse_settings({"objective": "margin", "relevance_floor": 0.2}).objective == "margin"
    for bad, field in (({"objective": "profit"}, "objective"), ({"relevance_floor": 1.5}, "relevance_floor")):
        with pytest.raises(FieldError) as error:
            parse_settings(bad)
        assert error.value.field == field


def test_revenue_weighs_an_item_by_what_one_order_line_of_it_is_worth():
    # p1 costs 20 but sells by the hundred; p2 costs 30 and sells one at a time
    bulk = {key: {**row, "units_per_order": 100.0 if key == "p1" else 1.0} for key, row in RECORDS.items()}
    table = ItemTable.from_records(TABLE.item_ids, bulk)
    settings = {"home": PlacementSettings(objective="revenue", relevance_floor=0.0)}
    assert RuleReranker(RuleBook((), settings), table).apply(candidates(range(3)), HOME).items.tolist() == [1, 0, 2]
