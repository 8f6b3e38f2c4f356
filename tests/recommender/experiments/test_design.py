"""Experiment designs: checked fields, a sample size from the design, sticky deterministic assignment."""
import pytest

from recommender.errors import FieldError
from recommender.experiments import parse_experiment, running_experiment, sample_size
from recommender.rules import PlacementSettings

DESIGN = {"name": "x", "placement": "home", "variants": [{"name": "A", "weight": 3}, {"name": "B", "weight": 1,
                                                          "settings": {"strategy": "trending", "max_per_category": 2}}]}


def test_weights_are_shares_and_the_sample_size_follows_the_design():
    design = parse_experiment({**DESIGN, "baseline_rate": 0.1, "minimum_effect": 0.2})
    assert design.weights == (0.75, 0.25)
    assert design.sample_size == sample_size(0.1, 0.2) > sample_size(0.1, 0.4)
    assert design.variants[1].settings == {"strategy": "trending", "max_per_category": 2}


@pytest.mark.parametrize("change, field", [
    ({"variants": [{"name": "A"}]}, "variants"),
    ({"variants": [{"name": "A"}, {"name": "A"}]}, "variants[1].name"),
    ({"variants": [{"name": "A"}, {"name": "B", "weight": 0}]}, "variants[1].weight"),
    ({"variants": [{"name": "A"}, {"name": "B", "settings": {"min_price": -1}}]}, "variants[1].settings.min_price"),
    ({"variants": [{"name": "A"}, {"name": "B", "settings": {"colour": 1}}]}, "variants[1].settings.colour"),
    ({"metric": "revenue"}, "metric"),
    ({"baseline_rate": 0.6, "minimum_effect": 1.0}, "minimum_effect"),
    ({"placement": "no spaces"}, "placement"),
])
def test_mistakes_name_their_field(change, field):
    with pytest.raises(FieldError) as error:
        parse_experiment({**DESIGN, **change})
    assert error.value.field == field


def test_assignment_is_sticky_follows_the_split_and_depends_on_the_salt():
    stored = {**DESIGN, "id": 7, "salt": "s1"}
    running = running_experiment(stored, PlacementSettings(max_per_category=5, min_price=3.0))
    units = [f"visitor-{k}" for k in range(8000)]
    first = [running.assign(u).variant for u in units]
    assert first == [running.assign(u).variant for u in units]
    assert abs(first.count("B") / len(units) - 0.25) < 0.02
    other = running_experiment({**stored, "salt": "s2"}, PlacementSettings())
    assert sum(a != other.assign(u).variant for a, u in zip(first, units)) > 2000  # independent of another salt
    control, treated = running.settings
    assert control == PlacementSettings(max_per_category=5, min_price=3.0)
    assert (treated.strategy, treated.max_per_category, treated.min_price) == ("trending", 2, 3.0)
