"""An experiment's design: a placement, two or more variants (each a set of placement settings),
the traffic split, the metric it is decided on and the fixed horizon that metric needs.

Assignment is deterministic and sticky: a unit (visitor or customer id) falls in ``[0, 1)`` at
``sha256(salt + ":" + unit)``, and the cumulative split names its variant. The same visitor gets the
same variant on every host and worker, and no assignment table is read per request.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import FieldError
from ..rules.definitions import PlacementSettings, check_placement_name, is_number, parse_settings, refuse_unknown
from .sample_size import sample_size

METRICS = ("click_rate", "conversion_rate")  # the metrics an experiment can be decided on (proportions)
EXPERIMENT_FIELDS = ("name", "placement", "variants", "metric", "baseline_rate", "minimum_effect", "alpha", "power",
                     "analysis")
ANALYSES = ("fixed_horizon", "sequential")  # read once at the sample size, or at any time (mSPRT)
VARIANT_FIELDS = ("name", "weight", "settings")
VARIANT_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
MAX_VARIANTS = 5
HASH_SPAN = float(2 ** 64)


@dataclass(frozen=True)
class Variant:
    name: str
    weight: float  # share of the traffic, the weights summing to 1
    settings: Mapping[str, Any]  # placement settings this variant changes (empty: the placement as it is)

    def to_dict(self) -> dict:
        return {"name": self.name, "weight": self.weight, "settings": dict(self.settings)}


@dataclass(frozen=True)
class Experiment:
    """A checked design; ``sample_size`` is the visitors each variant needs before it is read."""

    name: str
    placement: str
    variants: tuple[Variant, ...]
    metric: str = "click_rate"
    baseline_rate: float = 0.05
    minimum_effect: float = 0.10  # the relative uplift the experiment must be able to detect
    alpha: float = 0.05
    power: float = 0.8
    sample_size: int = 0
    analysis: str = "fixed_horizon"

    @property
    def weights(self) -> tuple[float, ...]:
        return tuple(v.weight for v in self.variants)

    def to_dict(self) -> dict:
        return {"name": self.name, "placement": self.placement, "variants": [v.to_dict() for v in self.variants],
                "metric": self.metric, "baseline_rate": self.baseline_rate, "minimum_effect": self.minimum_effect,
                "alpha": self.alpha, "power": self.power, "sample_size": self.sample_size, "analysis": self.analysis}


def parse_experiment(data: Any) -> Experiment:
    """A checked experiment from its JSON form; every mistake raises ``FieldError`` naming the field."""
    if not isinstance(data, Mapping):
        raise FieldError("experiment", "must be a JSON object")
    refuse_unknown(data, EXPERIMENT_FIELDS)
    name = data.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
        raise FieldError("name", "must be a text of 1 to 200 characters")
    placement = check_placement_name(data.get("placement"), "placement")
    variants = _variants(data.get("variants"))
    metric = data.get("metric", "click_rate")
    if metric not in METRICS:
        raise FieldError("metric", f"must be one of {', '.join(METRICS)}")
    baseline = _fraction(data.get("baseline_rate", 0.05), "baseline_rate", 0.0001, 0.9)
    effect = _fraction(data.get("minimum_effect", 0.10), "minimum_effect", 0.005, 5.0)
    if baseline * (1 + effect) >= 1:
        raise FieldError("minimum_effect", "baseline_rate × (1 + minimum_effect) must stay below 1")
    alpha = _fraction(data.get("alpha", 0.05), "alpha", 0.001, 0.2)
    power = _fraction(data.get("power", 0.8), "power", 0.5, 0.99)
    analysis = data.get("analysis", "fixed_horizon")
    if analysis not in ANALYSES:
        raise FieldError("analysis", f"must be one of {', '.join(ANALYSES)}")
    n = sample_size(baseline, effect, alpha, power, len(variants))
    return Experiment(name.strip(), placement, variants, metric, baseline, effect, alpha, power, n, analysis)


def assign(experiment_salt: str, weights: tuple[float, ...], unit: str) -> int:
    """The index of the variant ``unit`` sees: the same on every call, host and worker."""
    digest = hashlib.sha256(f"{experiment_salt}:{unit}".encode()).digest()
    point, total = int.from_bytes(digest[:8], "big") / HASH_SPAN, 0.0
    for index, weight in enumerate(weights):
        total += weight
        if point < total:
            return index
    return len(weights) - 1


def variant_settings(base: PlacementSettings, variant: Variant) -> PlacementSettings:
    """The placement's settings as the variant changes them."""
    return parse_settings({**base.to_dict(), **variant.settings})


def _variants(value: Any) -> tuple[Variant, ...]:
    if not isinstance(value, list) or not 2 <= len(value) <= MAX_VARIANTS:
        raise FieldError("variants", f"must be an array of 2 to {MAX_VARIANTS} variants")
    variants, names = [], set()
    for i, item in enumerate(value):
        where = f"variants[{i}]"
        if not isinstance(item, Mapping):
            raise FieldError(where, "must be a JSON object with name, weight and settings")
        refuse_unknown(item, VARIANT_FIELDS, where + ".")
        name = item.get("name")
        if not isinstance(name, str) or not re.fullmatch(VARIANT_PATTERN, name):
            raise FieldError(f"{where}.name", "must be 1 to 32 letters, digits, '_' or '-'")
        if name in names:
            raise FieldError(f"{where}.name", f"variant {name!r} is named twice")
        names.add(name)
        weight = item.get("weight", 1)
        if not is_number(weight) or weight <= 0:
            raise FieldError(f"{where}.weight", "must be a number > 0 (weights are shares of the traffic)")
        variants.append((name, float(weight), _settings(item.get("settings", {}), f"{where}.settings")))
    total = sum(weight for _, weight, _ in variants)
    return tuple(Variant(name, weight / total, settings) for name, weight, settings in variants)


def _settings(value: Any, where: str) -> dict:
    """The settings a variant changes, checked as placement settings would be."""
    if not isinstance(value, Mapping):
        raise FieldError(where, "must be a JSON object of placement settings")
    try:
        checked = parse_settings(dict(value)).to_dict()
    except FieldError as exc:
        raise FieldError(f"{where}.{exc.field}", exc.message) from None
    return {name: checked[name] for name in value}


def _fraction(value: Any, name: str, low: float, high: float) -> float:
    if not is_number(value) or not low <= value <= high:
        raise FieldError(name, f"must be a number from {low:g} to {high:g}")
    return float(value)



@dataclass(frozen=True)
class Assigned:
    """The variant one unit sees in one running experiment."""

    experiment_id: int
    placement: str
    index: int
    variant: str


@dataclass(frozen=True)
class RunningExperiment:
    """What a worker needs to assign a unit and answer it: the split and each variant's settings."""

    id: int
    placement: str
    salt: str
    weights: tuple[float, ...]
    names: tuple[str, ...]
    settings: tuple[PlacementSettings, ...]

    def assign(self, unit: str) -> Assigned:
        index = assign(self.salt, self.weights, unit)
        return Assigned(self.id, self.placement, index, self.names[index])


def stored_experiment(stored: Mapping[str, Any]) -> Experiment:
    """The design of an experiment as the store keeps it (its JSON form beside the store's fields)."""
    return parse_experiment({name: stored[name] for name in EXPERIMENT_FIELDS if name in stored})


def running_experiment(stored: Mapping[str, Any], base: PlacementSettings) -> RunningExperiment:
    """A stored experiment (its design, ``id`` and ``salt``) over the placement's current settings."""
    design = stored_experiment(stored)
    return RunningExperiment(int(stored["id"]), design.placement, str(stored["salt"]), design.weights,
                             tuple(v.name for v in design.variants),
                             tuple(variant_settings(base, v) for v in design.variants))
