"""The console's rule form: what is posted becomes a rule, a stored rule fills the form back as the
merchandiser wrote it (the schedule in its own time zone), and every mistake lands on its own input."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from api.console.rule_form import definition_from_form, form_field, form_from_definition
from recommender.rules import parse_rule, rule_problems

KINDS = {"category": "text", "price": "number"}


def posted(**fields) -> MultiDict:
    base = {"name": "Winter sale", "action": "boost", "factor": "2", "priority": "0", "field": "category",
            "op": "eq", "value": "coffee"}
    return MultiDict({**base, **fields})


def definition(form: MultiDict) -> dict:
    found, errors = definition_from_form(form, KINDS)
    assert errors == {}
    return found


def mistakes(form: MultiDict) -> dict[str, str]:
    """The form's mistakes keyed by input, as the console shows them."""
    found, errors = definition_from_form(form, KINDS)
    for problem in rule_problems(found, KINDS):
        errors.setdefault(form_field(problem.field, form), problem.message)
    return errors


def test_a_schedule_keeps_its_time_zone_through_an_edit():
    form = posted(starts_at="2026-12-24T09:00", ends_at="2026-12-26T18:30", timezone="Europe/Paris")
    rule = parse_rule(definition(form), KINDS)
    assert rule.starts_at.isoformat() == "2026-12-24T09:00:00+01:00" and rule.timezone == "Europe/Paris"
    again = form_from_definition(rule.to_dict())
    assert (again["starts_at"], again["ends_at"], again["timezone"]) == (
        "2026-12-24T09:00", "2026-12-26T18:30", "Europe/Paris")


def test_a_rule_without_a_schedule_has_no_time_zone():
    rule = parse_rule(definition(posted(timezone="Europe/Paris")), KINDS)
    assert rule.timezone is None and form_from_definition(rule.to_dict())["timezone"] == "UTC"


def test_tags_go_through_the_form_and_a_bad_one_is_marked_on_its_field():
    rule = parse_rule(definition(posted(tags="season, promo,season")), KINDS)
    assert rule.tags == ("season", "promo") and form_from_definition(rule.to_dict())["tags"] == "season, promo"
    assert set(mistakes(posted(tags="no spaces allowed"))) == {"tags"}


def test_every_mistake_of_a_form_is_reported_at_once_each_on_its_input():
    form = MultiDict([("name", ""), ("action", "boost"), ("factor", "0.5"), ("priority", "x"),
                      ("field", "price"), ("op", "lt"), ("value", "cheap"),
                      ("field", "category"), ("op", "gte"), ("value", "a"),
                      ("starts_at", "tomorrow"), ("timezone", "UTC")])
    found = mistakes(form)
    assert set(found) == {"name", "factor", "priority", "value_0", "op_1", "starts_at"}
    assert "number" in found["value_0"] and "greater than 1" in found["factor"]


def test_a_mistake_in_the_json_box_is_shown_under_the_json_box():
    form = posted(condition_json='{"all": [{"field": "colour", "op": "eq", "value": "red"}]}')
    assert set(mistakes(form)) == {"condition_json"}
    assert set(mistakes(posted(condition_json="{not json"))) == {"condition_json"}
