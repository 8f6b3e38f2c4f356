"""How many visitors each variant needs to detect a relative uplift of a proportion, and the
smallest uplift a given number can detect (two-sided test at ``alpha``, Cohen's h with
statsmodels' normal power solver; with more than two variants ``alpha`` is split Bonferroni-wise
over the comparisons with the control)."""
from __future__ import annotations

import math

from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize


def sample_size(baseline: float, relative_effect: float, alpha: float = 0.05, power: float = 0.8,
                variants: int = 2) -> int:
    """Visitors per variant for ``baseline × (1 + relative_effect)`` against ``baseline``."""
    effect = abs(proportion_effectsize(baseline * (1 + relative_effect), baseline))
    n = NormalIndPower().solve_power(effect_size=effect, alpha=_per_comparison(alpha, variants), power=power,
                                     ratio=1.0, alternative="two-sided")
    return int(math.ceil(n))


def minimum_detectable_effect(baseline: float, visitors: int, alpha: float = 0.05, power: float = 0.8,
                              variants: int = 2) -> float:
    """The smallest relative uplift of ``baseline`` that ``visitors`` per variant detect with ``power``."""
    h = NormalIndPower().solve_power(nobs1=visitors, alpha=_per_comparison(alpha, variants), power=power,
                                     ratio=1.0, alternative="two-sided")
    treated = math.sin(min(float(h) / 2 + math.asin(math.sqrt(baseline)), math.pi / 2)) ** 2
    return treated / baseline - 1


def _per_comparison(alpha: float, variants: int) -> float:
    return alpha / max(variants - 1, 1)
