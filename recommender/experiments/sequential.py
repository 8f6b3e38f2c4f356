"""Always-valid inference for a difference of two proportions: the mixture sequential probability
ratio test (mSPRT; Johari, Pekelis and Walsh, "Always Valid Inference", 2017), as Optimizely runs it.

With the normal approximation θ̂ = p̂ − p̂₀ ~ N(θ, V) and a normal mixture N(0, τ²) over the effect,
the likelihood ratio against θ = 0 is

    Λ = sqrt(V / (V + τ²)) · exp(θ̂² τ² / (2 V (V + τ²)))

and P(Λ ever reaches 1/α under θ = 0) ≤ α, however often it is looked at. So ``1/Λ`` is a p-value
valid at any stopping time, and inverting the test gives a confidence sequence for θ. ``τ`` is the
effect the experiment was designed to find (baseline × minimum effect): the test is most powerful
for effects of about that size.
"""
from __future__ import annotations

import math


def mixture_test(successes: int, n: int, control_successes: int, control_n: int, tau: float,
                 alpha: float) -> tuple[float, float, float] | None:
    """``(p_value, low, high)``: the always-valid p-value, and the confidence sequence of the
    difference of the two rates at level ``1 − alpha``; ``None`` without variance to test."""
    rate, control = successes / n, control_successes / control_n
    variance = rate * (1 - rate) / n + control * (1 - control) / control_n
    if not variance > 0 or not tau > 0:
        return None
    spread = variance + tau ** 2
    difference = rate - control
    log_ratio = 0.5 * math.log(variance / spread) + difference ** 2 * tau ** 2 / (2 * variance * spread)
    p_value = math.exp(-log_ratio) if log_ratio > 0 else 1.0
    half = math.sqrt(2 * variance * spread / tau ** 2 * (0.5 * math.log(spread / variance) - math.log(alpha)))
    return min(p_value, 1.0), difference - half, difference + half
