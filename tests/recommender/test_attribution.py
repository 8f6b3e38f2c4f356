"""Last-click attribution: the latest earlier click of the same group within the window."""
import numpy as np

from recommender.attribution import last_click


def test_each_conversion_gets_the_latest_click_before_it_within_the_window():
    groups, times = np.array([1, 1, 2, 1, 3]), np.array([10.0, 20.0, 5.0, 100.0, 50.0])
    found = last_click(groups, times, np.array([1, 1, 2, 4, 1, 3, 1]),
                       np.array([15.0, 25.0, 5.0, 1.0, 200.0, 40.0, 100.0]), window=50)
    assert found.tolist() == [0, 1, 2, -1, -1, -1, 3]  # too late; before its click; same instant counts


def test_matches_a_loop_over_random_data(rng):
    clicks_g, clicks_t = rng.integers(0, 30, 400), rng.uniform(0, 1000, 400)
    conv_g, conv_t = rng.integers(0, 35, 300), rng.uniform(0, 1000, 300)
    found = last_click(clicks_g, clicks_t, conv_g, conv_t, window=120)
    for k in range(300):
        before = np.flatnonzero((clicks_g == conv_g[k]) & (clicks_t <= conv_t[k]) & (conv_t[k] - clicks_t <= 120))
        expected = before[np.argmax(clicks_t[before])] if len(before) else -1
        assert found[k] == expected


def test_nothing_to_attribute():
    assert last_click(np.array([]), np.array([]), np.array([1]), np.array([1.0]), 10).tolist() == [-1]
