"""Popularity brought forward with new purchases equals popularity fitted on all of them."""
import numpy as np

from recommender.popularity import PopularityModel


def test_bringing_forward_equals_fitting_again(rng):
    items, ages = rng.integers(0, 20, 300), rng.uniform(0, 60, 300)
    later_items, later_ages = rng.integers(0, 20, 40), rng.uniform(0, 3, 40)
    elapsed = 3.0
    old = PopularityModel(7.0).fit(items, ages, 20)
    again = PopularityModel(7.0).fit(np.r_[items, later_items], np.r_[ages + elapsed, later_ages], 20)
    forward = old.brought_forward(later_items, later_ages, elapsed)
    np.testing.assert_allclose(forward.scores_, again.scores_, rtol=1e-5)
    assert forward.half_life_days == 7.0 and old.scores_.sum() < forward.scores_.sum() + 1e-9


def test_a_burst_of_sales_tops_the_list():
    model = PopularityModel(7.0).fit(np.repeat(np.arange(5), [50, 40, 30, 20, 1]), np.zeros(141), 5)
    assert model.top(1)[0][0] == 0
    assert model.brought_forward(np.full(80, 4), np.zeros(80), 0.5).top(1)[0][0] == 4
