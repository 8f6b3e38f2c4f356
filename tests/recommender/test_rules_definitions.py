"""Rule and condition parsing: every mistake names its field; conditions compile to catalog masks."""
from __future__ import annotations

import numpy as np
import pytest

from recommender.errors import FieldError
from recommender.rules import (ItemTable, check_attributes, compile_condition, parse_condition, parse_rule,
                               parse_settings, rule_problems)
from recommender.rules.audiences import register_audiences

RECORDS = {
    "p0": {"title": "Red wine", "category": "alcohol", "price": 12.0, "in_stock": True, "brand": "Acme", "margin": 0.4},
    "p1": {"title": "Apple juice", "category": "drinks", "price": 3.5, "in_stock": False, "brand": "Umbra"},
    "p2": {"title": "Craft beer", "category": "alcohol", "price": None, "in_stock": True, "brand": "Acme",
           "margin": 0.1},
}


@pytest.fixture(scope="module")
def table() -> ItemTable:
    return ItemTable.from_records(np.array(["p0", "p1", "p2", "p3"]), RECORDS)


def mask(table: ItemTable, condition: dict) -> list[bool]:
    return compile_condition(parse_condition(condition, table.kinds), table).tolist()


def test_columns_get_kinds_and_missing_values(table):
    assert table.kinds == {"item_id": "text", "title": "text", "category": "text", "price": "number",
                           "in_stock": "bool", "brand": "text", "margin": "number"}
    assert table.present["price"].tolist() == [True, True, False, False]
    assert table.present["item_id"].all()


@pytest.mark.parametrize("condition, expected", [
    ({"field": "category", "op": "eq", "value": "alcohol"}, [True, False, True, False]),
    ({"field": "category", "op": "ne", "value": "alcohol"}, [False, True, False, True]),
    ({"field": "brand", "op": "in", "value": ["Umbra", "Nordlys"]}, [False, True, False, False]),
    ({"field": "brand", "op": "not_in", "value": ["Acme"]}, [False, True, False, True]),
    ({"field": "price", "op": "lt", "value": 12}, [False, True, False, False]),
    ({"field": "price", "op": "lte", "value": 12}, [True, True, False, False]),
    ({"field": "margin", "op": "gt", "value": 0.1}, [True, False, False, False]),
    ({"field": "margin", "op": "gte", "value": 0.1}, [True, False, True, False]),
    ({"field": "title", "op": "contains", "value": "WINE"}, [True, False, False, False]),
    ({"field": "in_stock", "op": "eq", "value": False}, [False, True, False, False]),
    ({"all": [{"field": "category", "op": "eq", "value": "alcohol"},
              {"field": "margin", "op": "lt", "value": 0.2}]}, [False, False, True, False]),
    ({"any": [{"field": "brand", "op": "eq", "value": "Umbra"},
              {"all": [{"field": "price", "op": "gt", "value": 10}]}]}, [True, True, False, False]),
])
def test_conditions_compile_to_masks(table, condition, expected):
    assert mask(table, condition) == expected


@pytest.mark.parametrize("data, field, words", [
    ({"name": "x", "action": "exclude", "condition": {"field": "colour", "op": "eq", "value": "red"}},
     "condition.field", "brand, category, in_stock, item_id, margin, price, title"),
    ({"name": "x", "action": "exclude", "condition": {"field": "brand", "op": "like", "value": "A"}},
     "condition.op", "must be one of"),
    ({"name": "x", "action": "exclude", "condition": {"field": "price", "op": "contains", "value": "1"}},
     "condition.op", "number column"),
    ({"name": "x", "action": "exclude", "condition": {"field": "price", "op": "lt", "value": "cheap"}},
     "condition.value", "must be a number"),
    ({"name": "x", "action": "exclude", "condition": {"any": [{"field": "brand", "op": "eq", "value": "A"},
                                                               {"field": "brand", "op": "eq"}]}},
     "condition.any[1].value", "required"),
    ({"name": "x", "action": "boost", "factor": 0, "condition": {"field": "brand", "op": "eq", "value": "A"}},
     "factor", "> 0"),
    ({"name": "x", "action": "boost", "factor": -2, "condition": {"field": "brand", "op": "eq", "value": "A"}},
     "factor", "> 0"),
    ({"name": "x", "action": "boost", "factor": 0.5, "condition": {"field": "brand", "op": "eq", "value": "A"}},
     "factor", "greater than 1"),
    ({"name": "x", "action": "bury", "factor": 2, "condition": {"field": "brand", "op": "eq", "value": "A"}},
     "factor", "between 0 and 1"),
    ({"name": "x", "action": "exclude", "starts_at": "next tuesday",
      "condition": {"field": "brand", "op": "eq", "value": "A"}}, "starts_at", "ISO 8601"),
    ({"name": "x", "action": "exclude", "starts_at": "2026-01-01T00:00:00",
      "condition": {"field": "brand", "op": "eq", "value": "A"}}, "starts_at", "time zone"),
    ({"name": "x", "action": "exclude", "starts_at": "2026-01-02T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z",
      "condition": {"field": "brand", "op": "eq", "value": "A"}}, "ends_at", "later than"),
    ({"name": "x", "action": "exclude", "audience": "vip", "condition": {"field": "brand", "op": "eq", "value": "A"}},
     "audience", "known, anonymous"),
    ({"name": "x", "action": "pin", "item_ids": ["p0", "p9"], "positions": [1, 2]}, "item_ids[1]",
     "not in the catalog"),
    ({"name": "x", "action": "pin", "item_ids": ["p0", "p1"], "positions": [1, 1]}, "positions", "repeat"),
    ({"name": "x", "action": "pin", "item_ids": ["p0"], "positions": [0]}, "positions[0]", "from 1"),
    ({"name": "x", "action": "exclude"}, "condition", "required"),
    ({"name": "x", "action": "hide", "condition": {}}, "action", "must be one of"),
    ({"name": "", "action": "exclude", "condition": {"field": "brand", "op": "eq", "value": "A"}}, "name", "text"),
    ({"name": "x", "action": "exclude", "colour": 1, "condition": {"field": "brand", "op": "eq", "value": "A"}},
     "colour", "unknown field"),
    ({"name": "x", "action": "exclude", "placements": ["home page"],
      "condition": {"field": "brand", "op": "eq", "value": "A"}}, "placements[0]", "letters"),
])
def test_invalid_rules_name_the_field(table, data, field, words):
    with pytest.raises(FieldError) as caught:
        parse_rule(data, table.kinds, table.index)
    assert caught.value.field == field and words in caught.value.message


def test_a_valid_rule_round_trips(table):
    data = {"name": "Sale", "action": "pin", "item_ids": ["p2", "p0"], "positions": [1, 3], "placements": ["home"],
            "audience": "known", "starts_at": "2026-11-27T00:00:00+01:00", "ends_at": "2026-11-30T00:00:00Z",
            "priority": 5, "enabled": False}
    rule = parse_rule(data, table.kinds, table.index, rule_id=7)
    assert rule.id == 7 and rule.starts_at.utcoffset().total_seconds() == 3600
    assert parse_rule(rule.to_dict(), table.kinds, table.index, rule_id=7) == rule


def test_registered_segments_become_audiences(table):
    data = {"name": "x", "action": "exclude", "audience": "first_time_test",
            "condition": {"field": "brand", "op": "eq", "value": "A"}}
    with pytest.raises(FieldError):
        parse_rule(data, table.kinds)
    register_audiences("first_time_test")
    assert parse_rule(data, table.kinds).audience == "first_time_test"


def test_stored_rules_read_back_without_a_catalog():
    data = {"name": "x", "action": "exclude", "audience": "some_segment",
            "condition": {"field": "season", "op": "in", "value": ["winter"]}}
    rule = parse_rule(data, None)
    assert rule.condition.field == "season" and rule.audience == "some_segment"


def test_a_condition_on_a_vanished_column_matches_nothing(table):
    condition = parse_condition({"field": "season", "op": "eq", "value": "winter"}, None)
    assert not compile_condition(condition, table).any()
    condition = parse_condition({"field": "brand", "op": "eq", "value": 3}, None)  # the column's kind changed
    assert not compile_condition(condition, table).any()


def test_placement_settings():
    assert parse_settings({}).exclude_out_of_stock is True
    assert parse_settings({"repurchase_after_days": 30, "max_per_category": 2}).max_per_category == 2
    for bad, field in [({"max_per_category": 0}, "max_per_category"), ({"min_price": 5, "max_price": 1}, "max_price"),
                       ({"repurchase_after_days": -1}, "repurchase_after_days"), ({"colour": 1}, "colour"),
                       ({"exclude_out_of_stock": "yes"}, "exclude_out_of_stock")]:
        with pytest.raises(FieldError) as caught:
            parse_settings(bad)
        assert caught.value.field == field


def test_catalog_updates_are_checked_against_column_kinds(table):
    assert check_attributes({"price": 3, "season": "winter", "in_stock": None}, table.kinds, "x") == \
        {"price": 3, "season": "winter", "in_stock": None}
    links = {"url": "https://shop.example/p/7", "image_url": "/img/p7.jpg"}
    assert check_attributes(links, table.kinds, "x") == links
    for bad, field in [({"price": "cheap"}, "x.price"), ({"in_stock": "no"}, "x.in_stock"),
                       ({"price": -1}, "x.price"), ({"item_id": "p7"}, "x.item_id"), ({"bad name": 1}, "x.bad name"),
                       ({"tags": ["a"]}, "x.tags"), ({"image_url": "javascript:alert(1)"}, "x.image_url"),
                       ({"url": "//evil.example/p"}, "x.url"), ({"image_url": 12}, "x.image_url")]:
        with pytest.raises(FieldError) as caught:
            check_attributes(bad, table.kinds, "x")
        assert caught.value.field == field


def test_table_updates_leave_the_old_table_alone(table):
    updated = table.with_updates({"p1": {"in_stock": True, "season": "summer"}, "p9": {"price": 1.0},
                                  "p3": {"title": "A much longer title than any before it"}})
    assert updated.columns["in_stock"][1] == 1 and table.columns["in_stock"][1] == 0
    assert updated.kinds["season"] == "text" and updated.present["season"].tolist() == [False, True, False, False]
    assert updated.columns["title"][3] == "A much longer title than any before it"


@pytest.mark.parametrize("action, factor", [("boost", 1e38), ("boost", 1000.5), ("bury", 1e-38), ("bury", 0.0009)])
def test_factors_that_would_overflow_scores_are_refused(table, action, factor):
    condition = {"field": "category", "op": "eq", "value": "alcohol"}
    with pytest.raises(FieldError) as error:
        parse_rule({"name": "x", "action": action, "factor": factor, "condition": condition}, table.kinds, table.index)
    assert error.value.field == "factor"


def test_the_largest_factors_allowed_still_parse(table):
    condition = {"field": "category", "op": "eq", "value": "alcohol"}
    for action, factor in (("boost", 1000), ("bury", 0.001)):
        rule = parse_rule({"name": "x", "action": action, "factor": factor, "condition": condition}, table.kinds,
                          table.index)
        assert rule.factor == factor


def test_a_condition_value_has_a_length_limit(table):
    with pytest.raises(FieldError) as error:
        parse_condition({"field": "brand", "op": "in", "value": ["Acme", "x" * 1001]}, table.kinds)
    assert error.value.field == "condition.value[1]"


def test_a_rule_time_zone_must_be_a_real_zone(table):
    base = {"name": "x", "action": "exclude", "condition": {"field": "category", "op": "eq", "value": "alcohol"}}
    assert parse_rule({**base, "timezone": "Asia/Tokyo"}, table.kinds, table.index).timezone == "Asia/Tokyo"
    with pytest.raises(FieldError) as error:
        parse_rule({**base, "timezone": "Mars/Olympus"}, table.kinds, table.index)
    assert error.value.field == "timezone"


def test_rule_problems_lists_every_mistake_where_parse_rule_stops_at_the_first(table):
    data = {"name": "", "action": "boost", "factor": 0.5, "priority": "high", "tags": ["no spaces"],
            "starts_at": "2026-12-24T10:00:00+00:00", "ends_at": "2026-12-24T09:00:00+00:00",
            "condition": {"any": [{"field": "price", "op": "lt", "value": "cheap"},
                                  {"field": "category", "op": "eq", "value": "alcohol"},
                                  {"field": "colour", "op": "eq", "value": "red"}]}}
    problems = {problem.field: problem.message for problem in rule_problems(data, table.kinds)}
    assert set(problems) == {"name", "factor", "priority", "tags[0]", "ends_at", "condition.any[0].value",
                             "condition.any[2].field"}
    with pytest.raises(FieldError):
        parse_rule(data, table.kinds)
    good = {**data, "name": "ok", "factor": 2, "priority": 1, "tags": [], "ends_at": None,
            "condition": {"field": "category", "op": "eq", "value": "alcohol"}}
    assert rule_problems(good, table.kinds) == [] and parse_rule(good, table.kinds).factor == 2.0
    assert [p.field for p in rule_problems({"name": "pin", "action": "pin", "item_ids": ["nope"], "positions": [1]},
                                           table.kinds, table.index)] == ["item_ids[0]"]
