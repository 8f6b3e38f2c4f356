"""Per-customer predictions from BG/NBD and Gamma-Gamma, fitted on (a sample of) the buyers.

The parameters describe the population, so a random sample of ``fit_customers`` buyers fits them
as well as all of them, at a fraction of the time; predictions are then made for every buyer.
Without enough history to fit (fewer than ``MIN_REPEATERS`` customers with repeat purchases, or no
time between the first purchases and the analysis date) the predictions are NaN and the parameters
``None``; Gamma-Gamma also needs ``MIN_REPEATERS`` repeat buyers with positive spend.
"""
from __future__ import annotations

import numpy as np

from .btyd import BetaGeoModel, GammaGammaModel
from .customers import CustomerFacts

HORIZONS_DAYS = (30, 90)
VALUE_DAYS = 365
MIN_REPEATERS = 10
PREDICTIONS = ("p_alive", "p_buy_30d", "p_buy_90d", "expected_purchases_12m", "expected_order_value",
               "predicted_value_12m")


def _sample(rows: np.ndarray, size: int, seed: int) -> np.ndarray:
    if len(rows) <= size:
        return rows
    return np.sort(np.random.default_rng(seed).choice(rows, size, replace=False))


def predict_customers(facts: CustomerFacts, fit_customers: int = 100_000, seed: int = 0
                      ) -> tuple[dict[str, np.ndarray], dict]:
    """``(arrays, params)``: one float32 array per name in ``PREDICTIONS`` (NaN for non-buyers) and
    the fitted parameters with the number of customers each model was fitted on."""
    x, t_x, age = facts.btyd_summary()
    buyers = np.flatnonzero(facts.purchases > 0)
    out = {name: np.full(len(x), np.nan, dtype=np.float32) for name in PREDICTIONS}
    params: dict = {"bg_nbd": None, "gamma_gamma": None}
    if (x[buyers] > 0).sum() < MIN_REPEATERS or not (age[buyers] > 0).any():
        return out, params
    fit_rows = _sample(buyers, fit_customers, seed)
    bg = BetaGeoModel().fit(x[fit_rows], t_x[fit_rows], age[fit_rows])
    params["bg_nbd"] = {**_rounded(bg.params_), "customers": len(fit_rows)}
    b = buyers
    out["p_alive"][b] = bg.probability_alive(x[b], t_x[b], age[b])
    for horizon in HORIZONS_DAYS:
        out[f"p_buy_{horizon}d"][b] = bg.probability_of_purchase(horizon, x[b], t_x[b], age[b])
    out["expected_purchases_12m"][b] = bg.expected_purchases(VALUE_DAYS, x[b], t_x[b], age[b])
    value = facts.repeat_value()
    spenders = buyers[(x[buyers] > 0) & (value[buyers] > 0)]
    if len(spenders) >= MIN_REPEATERS:
        fit_rows = _sample(spenders, fit_customers, seed)
        gg = GammaGammaModel().fit(x[fit_rows], value[fit_rows])
        params["gamma_gamma"] = {**_rounded(gg.params_), "customers": len(fit_rows)}
        out["expected_order_value"][b] = gg.expected_value(np.where(value[b] > 0, x[b], 0), value[b])
        out["predicted_value_12m"][b] = out["expected_purchases_12m"][b] * out["expected_order_value"][b]
    return out, params


def _rounded(params: dict[str, float]) -> dict[str, float]:
    return {name: round(value, 6) for name, value in params.items()}
