"""Buy-till-you-die models: BG/NBD for how often a customer buys, Gamma-Gamma for how much.

Both follow Fader, Hardie and Lee ("Counting your customers the easy way", 2005; "RFM and CLV",
2005) and are fitted by maximum likelihood with ``scipy.optimize`` on log-parameters. Inputs are
the usual summary of each customer: ``frequency`` (repeat purchases: purchase occasions after the
first), ``recency`` (time from the first to the last purchase) and ``age`` (time from the first
purchase to the end of the data, ``T`` in the papers), all in one time unit (days here).
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, expit, gammaln, hyp2f1

from .errors import NotFittedError


MAX_EVALUATIONS = 1_000
LOG_BOUNDS = (-20.0, 20.0)


def _fit(negative_ll, start: np.ndarray) -> np.ndarray:
    """Minimize over log-parameters: Nelder-Mead to get close, then L-BFGS-B to polish. Both stop
    after ``MAX_EVALUATIONS`` and stay within ``LOG_BOUNDS``: data that do not identify a parameter
    (no spread in spend, nobody dropping out) send it towards 0 or infinity, which the predictions
    tolerate."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        rough = minimize(negative_ll, start, method="Nelder-Mead", bounds=[LOG_BOUNDS] * len(start),
                         options={"maxfev": MAX_EVALUATIONS, "xatol": 1e-6, "fatol": 1e-10})
        fine = minimize(negative_ll, rough.x, method="L-BFGS-B", bounds=[LOG_BOUNDS] * len(start),
                        options={"ftol": 1e-13, "gtol": 1e-9, "maxfun": MAX_EVALUATIONS})
    return np.exp(fine.x if fine.fun <= rough.fun else rough.x)


def _summary(frequency: np.ndarray, recency: np.ndarray, age: np.ndarray) -> tuple[np.ndarray, ...]:
    x = np.asarray(frequency, dtype=np.float64)
    t_x = np.asarray(recency, dtype=np.float64)
    T = np.asarray(age, dtype=np.float64)
    if not (x.shape == t_x.shape == T.shape):
        raise ValueError("frequency, recency and age must hold one entry per customer")
    if (x < 0).any() or (t_x < 0).any() or (T < t_x).any():
        raise ValueError("need frequency >= 0 and 0 <= recency <= age for every customer")
    return x, t_x, T


class BetaGeoModel:
    """BG/NBD: while alive a customer buys at Poisson rate λ ~ Gamma(r, α) and after each purchase
    drops out with probability p ~ Beta(a, b)."""

    def fit(self, frequency: np.ndarray, recency: np.ndarray, age: np.ndarray) -> "BetaGeoModel":
        x, t_x, T = _summary(frequency, recency, age)
        if not len(x):
            raise ValueError("BG/NBD needs at least one customer")
        counts, at = np.unique(x, return_inverse=True)  # few distinct counts: special functions on those only
        dropped_mask = np.where(counts > 0, 0.0, -np.inf)

        def negative_ll(log_params: np.ndarray) -> float:
            r, alpha, a, b = np.exp(log_params)
            head = gammaln(r + counts) - gammaln(r) + r * np.log(alpha)
            alive = head + betaln(a, b + counts) - betaln(a, b)
            dropped = head + betaln(a + 1, b + np.maximum(counts - 1, 0)) - betaln(a, b) + dropped_mask
            rate = r + x
            ll = np.logaddexp(alive[at] - rate * np.log(alpha + T), dropped[at] - rate * np.log(alpha + t_x))
            return -float(np.mean(ll))

        start = np.log([1.0, max(float(T.mean()), 1.0), 1.0, 1.0])
        self.r_, self.alpha_, self.a_, self.b_ = _fit(negative_ll, start)
        return self

    @property
    def params_(self) -> dict[str, float]:
        self._check_fitted()
        return {"r": float(self.r_), "alpha": float(self.alpha_), "a": float(self.a_), "b": float(self.b_)}

    def _check_fitted(self) -> None:
        if not hasattr(self, "r_"):
            raise NotFittedError(self)

    def _log_dropout_odds(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """log of P(dropped out) / P(alive) given the history; -inf for customers without repeats."""
        odds = np.full_like(x, -np.inf)
        repeat = x > 0
        xr = x[repeat]
        odds[repeat] = (np.log(self.a_) - np.log(self.b_ + xr - 1)
                        + (self.r_ + xr) * (np.log(self.alpha_ + T[repeat]) - np.log(self.alpha_ + t_x[repeat])))
        return odds

    def probability_alive(self, frequency: np.ndarray, recency: np.ndarray, age: np.ndarray) -> np.ndarray:
        """P(the customer has not dropped out by the end of the data)."""
        self._check_fitted()
        x, t_x, T = _summary(frequency, recency, age)
        return expit(-self._log_dropout_odds(x, t_x, T))

    def probability_of_purchase(self, horizon: float, frequency: np.ndarray, recency: np.ndarray,
                                age: np.ndarray) -> np.ndarray:
        """P(at least one purchase in the next ``horizon``): alive, and the Poisson clock ticks.

        Given alive, λ | history ~ Gamma(r + x, α + T), and no dropout can happen before a purchase,
        so P(no purchase) = P(dead) + P(alive) · ((α + T) / (α + T + horizon)) ** (r + x).
        """
        self._check_fitted()
        x, t_x, T = _summary(frequency, recency, age)
        alive = expit(-self._log_dropout_odds(x, t_x, T))
        silent = np.exp((self.r_ + x) * (np.log(self.alpha_ + T) - np.log(self.alpha_ + T + horizon)))
        return alive * (1.0 - silent)

    def expected_purchases(self, horizon: float, frequency: np.ndarray, recency: np.ndarray,
                           age: np.ndarray) -> np.ndarray:
        """E[purchases in the next ``horizon``] given the history (equation 10 of the BG/NBD paper)."""
        self._check_fitted()
        x, t_x, T = _summary(frequency, recency, age)
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        z = horizon / (alpha + T + horizon)
        ratio = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + horizon)))
        numerator = (a + b + x - 1) / (a - 1) * (1.0 - ratio * hyp2f1(r + x, b + x, a + b + x - 1, z))
        return numerator * expit(-self._log_dropout_odds(x, t_x, T))



class GammaGammaModel:
    """Gamma-Gamma: each purchase's value ~ Gamma(p, ν), the customer's ν ~ Gamma(q, γ).

    Fitted on customers with repeat purchases: ``frequency`` > 0 and ``monetary`` (mean value of the
    repeat purchases) > 0.
    """

    def fit(self, frequency: np.ndarray, monetary: np.ndarray) -> "GammaGammaModel":
        x = np.asarray(frequency, dtype=np.float64)
        m = np.asarray(monetary, dtype=np.float64)
        if x.shape != m.shape or not len(x) or (x <= 0).any() or (m <= 0).any():
            raise ValueError("Gamma-Gamma needs customers with frequency > 0 and monetary > 0, one entry each")
        counts, at = np.unique(x, return_inverse=True)
        log_m, spent = np.log(m), m * x
        x_log_xm = x * (np.log(x) + log_m)

        def negative_ll(log_params: np.ndarray) -> float:
            p, q, gamma = np.exp(log_params)
            shape = gammaln(p * counts + q) - gammaln(p * counts) - gammaln(q) + q * np.log(gamma)
            ll = shape[at] + p * x_log_xm - log_m - (p * x + q) * np.log(gamma + spent)
            return -float(np.mean(ll))

        start = np.log([1.0, 1.0, max(float(m.mean()), 1e-3)])
        self.p_, self.q_, self.gamma_ = _fit(negative_ll, start)
        return self

    @property
    def params_(self) -> dict[str, float]:
        self._check_fitted()
        return {"p": float(self.p_), "q": float(self.q_), "gamma": float(self.gamma_)}

    def _check_fitted(self) -> None:
        if not hasattr(self, "p_"):
            raise NotFittedError(self)

    def expected_value(self, frequency: np.ndarray, monetary: np.ndarray) -> np.ndarray:
        """E[value of a future purchase]: the population mean shrunk towards the customer's own.

        Customers without repeat purchases get the population mean p·γ / (q - 1). With q <= 1 that
        mean is infinite; then the observed mean (or, without one, the mean of all observed means)
        is used instead.
        """
        self._check_fitted()
        x = np.asarray(frequency, dtype=np.float64)
        m = np.where(x > 0, np.asarray(monetary, dtype=np.float64), 0.0)
        p, q, gamma = self.p_, self.q_, self.gamma_
        if q > 1:
            return p * (gamma + x * m) / (p * x + q - 1)
        observed = m[x > 0]
        fallback = float(observed.mean()) if len(observed) else 0.0
        return np.where(x > 0, m, fallback)

