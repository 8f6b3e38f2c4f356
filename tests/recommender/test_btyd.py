"""BG/NBD and Gamma-Gamma reproduce the published CDNOW fits and the reference implementation.

The CDNOW summary (2,357 customers, weeks) is the file the ``lifetimes`` package ships; it is read
from its install folder without importing the package. Reference predictions were computed with
lifetimes 0.11.3 on the same data.
"""
from importlib.metadata import PackageNotFoundError, distribution

import numpy as np
import pandas as pd
import pytest

from recommender.btyd import BetaGeoModel, GammaGammaModel
from recommender.errors import NotFittedError

CDNOW_FILE = "lifetimes/datasets/cdnow_customers_summary_with_transactions.csv"
# Fader, Hardie and Lee (2005): BG/NBD on CDNOW, and Gamma-Gamma on its repeat customers.
PUBLISHED_BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    try:
        path = distribution("lifetimes").locate_file(CDNOW_FILE)
    except PackageNotFoundError:
        pytest.fail("the test extras include lifetimes for its CDNOW data: pip install -e '.[test]'")
    return pd.read_csv(path)


@pytest.fixture(scope="module")
def bg(cdnow) -> BetaGeoModel:
    return BetaGeoModel().fit(cdnow["x"], cdnow["t_x"], cdnow["T"])


@pytest.fixture(scope="module")
def gg(cdnow) -> GammaGammaModel:
    repeat = cdnow[cdnow["x"] > 0]
    return GammaGammaModel().fit(repeat["x"], repeat["zbar"])


def test_bg_nbd_reproduces_the_published_cdnow_parameters(bg):
    assert bg.params_ == pytest.approx(PUBLISHED_BG, abs=1.5e-3)


def test_gamma_gamma_reproduces_the_published_cdnow_parameters(gg):
    assert gg.params_ == pytest.approx(PUBLISHED_GG, abs=1e-2)


def test_predictions_match_the_paper_and_lifetimes(bg, gg, cdnow):
    # The paper's worked example: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in 39 weeks.
    assert bg.expected_purchases(39, np.array([2.0]), np.array([30.43]), np.array([38.86]))[0] == pytest.approx(
        1.226, abs=1e-3)
    first = cdnow.iloc[:3]
    x, t_x, T = first["x"], first["t_x"], first["T"]
    assert bg.probability_alive(x, t_x, T) == pytest.approx([0.726609, 0.212227, 1.0], abs=1e-5)
    assert bg.expected_purchases(10, x, t_x, T) == pytest.approx([0.356931, 0.058203, 0.054210], abs=1e-5)
    assert gg.expected_value(first["x"], first["zbar"]) == pytest.approx([24.658616, 18.911480, 35.171002], abs=1e-4)


def test_probability_of_purchase_is_consistent(bg, cdnow):
    x, t_x, T = cdnow["x"], cdnow["t_x"], cdnow["T"]
    short, long = bg.probability_of_purchase(4, x, t_x, T), bg.probability_of_purchase(13, x, t_x, T)
    assert ((0 <= short) & (short <= long) & (long <= bg.probability_alive(x, t_x, T) + 1e-12)).all()
    assert (short <= bg.expected_purchases(4, x, t_x, T) + 1e-12).all()


def test_monte_carlo_agrees_with_the_purchase_probability(bg, rng):
    """Draw λ and p from their posterior for one customer history and simulate the next 13 weeks."""
    x, t_x, T, horizon, draws = 3.0, 20.0, 38.0, 13.0, 400_000
    lam = rng.gamma(bg.r_ + x, 1.0 / (bg.alpha_ + T), draws)
    alive = rng.random(draws) < bg.probability_alive(np.array([x]), np.array([t_x]), np.array([T]))[0]
    bought = alive & (rng.random(draws) < 1.0 - np.exp(-lam * horizon))
    expected = bg.probability_of_purchase(horizon, np.array([x]), np.array([t_x]), np.array([T]))[0]
    assert bought.mean() == pytest.approx(expected, abs=5e-3)


def test_unfitted_and_bad_input():
    with pytest.raises(NotFittedError):
        BetaGeoModel().probability_alive(np.zeros(1), np.zeros(1), np.ones(1))
    with pytest.raises(ValueError, match="recency <= age"):
        BetaGeoModel().fit(np.array([1.0]), np.array([5.0]), np.array([3.0]))
    with pytest.raises(ValueError, match="monetary > 0"):
        GammaGammaModel().fit(np.array([1.0]), np.array([0.0]))
