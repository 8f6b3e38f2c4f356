"""The console's rule form: what is posted becomes a rule, and a stored rule fills the form back as
the merchandiser wrote it (the schedule in its own time zone)."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from api.console.rule_form import definition_from_form, form_field, form_from_definition
from recommender.errors import FieldError
from recommender.rules import parse_rule

KINDS = {"category": "text", "price": "number"}


def posted(**fields) -> MultiDict:
    base = {"name": "Winter sale", "action": "boost", "factor": "2", "priority": "0", "field": "category",
            "op": "eq", "value": "coffee"}
    return MultiDict({**base, **fields})


def test_a_schedule_keeps_its_time_zone_through_an_edit():
    form = posted(starts_at="2026-12-24T09:00", ends_at="2026-12-26T18:30", timezone="Europe/Paris")
    rule = parse_rule(definition_from_form(form, KINDS), KINDS)
    assert rule.starts_at.isoformat() == "2026-12-24T09:00:00+01:00" and rule.timezone == "Europe/Paris"
    again = form_from_definition(rule.to_dict())
    assert (again["starts_at"], again["ends_at"], again["timezone"]) == (
        "2026-12-24T09:00", "2026-12-26T18:30", "Europe/Paris")


def test_a_rule_without_a_schedule_has_no_time_zone():
    rule = parse_rule(definition_from_form(posted(timezone="Europe/Paris"), KINDS), KINDS)
    assert rule.timezone is None and form_from_definition(rule.to_dict())["timezone"] == "UTC"


def test_tags_go_through_the_form_and_a_bad_one_is_marked_on_its_field():
    rule = parse_rule(definition_from_form(posted(tags="season, promo,season"), KINDS), KINDS)
    assert rule.tags == ("season", "promo") and form_from_definition(rule.to_dict())["tags"] == "season, promo"
    with pytest.raises(FieldError) as error:
        parse_rule(definition_from_form(posted(tags="no spaces allowed"), KINDS), KINDS)
    assert form_field(error.value.field, {}) == "tags"
