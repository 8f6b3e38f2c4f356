"""Training settings: documented defaults, overridable from a JSON or TOML file.

The defaults below are starting points: every training run re-chooses the blend, the ALS
settings and the purchase decay on the store's own data (``selection``) and learns a re-ranker
(``ranker``); a file only needs the keys it changes.
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from recommender.interactions import InteractionConfig
from recommender.lifecycle import LifecycleConfig

MODES = ("new_items", "all_purchases")


@dataclass(frozen=True)
class ALSConfig:
    factors: int = 32
    regularization: float = 0.01
    alpha: float = 2.0
    iterations: int = 15
    random_state: int = 0
    num_threads: int = 0


@dataclass(frozen=True)
class CoPurchaseConfig:
    min_count: int = 5
    max_basket_size: int = 50
    top_k: int = 50
    rank_by: str = "lift"


@dataclass(frozen=True)
class ItemKNNConfig:
    neighbours: int = 100
    weighting: str = "bm25"


@dataclass(frozen=True)
class EASEConfig:
    l2: float = 300.0
    max_items: int = 4_000


@dataclass(frozen=True)
class SessionKNNConfig:
    neighbours: int = 100
    sample_size: int = 1000


@dataclass(frozen=True)
class EvaluationConfig:
    cutoff: str | None = None
    holdout_share: float = 0.15
    k: int = 10
    max_users: int = 10_000


@dataclass(frozen=True)
class AnnoyConfig:
    n_trees: int = 50
    recall_queries: int = 300
    target_recall: float = 0.95
    min_gain: float = 0.01  # a doubling of search_k that gains less recall ends the search


@dataclass(frozen=True)
class SelectionConfig:
    """Model selection in every training run, on labelled windows cut before the holdout (each
    as long as the holdout; the newest judges, the older ones teach the ranker)."""

    enabled: bool = True
    windows: int = 3
    max_users: int = 4_000  # customers judged per window
    budget_seconds: float | None = None  # ALS search; None: 20 s + 20 s per million events
    als_trials: int = 8  # the defaults first, then seeded random points
    seed: int = 0


@dataclass(frozen=True)
class RankerConfig:
    """The learned re-ranker: pooled candidates per customer, used only where it beats the blend."""

    enabled: bool = True
    pool_blend: int = 60  # the blend's best items in a customer's pool
    pool_each: int = 15  # and each signal's own best
    min_gain: float = 0.0  # relative NDCG gain over the blend on the judging window


def _default_blend() -> dict[str, dict[str, float]]:
    return {
        "new_items": {"als": 1.0, "copurchase": 0.5, "item_knn": 0.5, "ease": 4.0, "popularity": 0.3, "trending": 0.5},
        "all_purchases": {"als": 1.0, "item_knn": 0.5, "ease": 2.0, "popularity": 0.2, "buy_again": 8.0, "trending": 4.0},
    }


@dataclass(frozen=True)
class CommunityConfig:
    """Communities of customers by behaviour (``recommender.communities``): k from ``min_k`` to
    ``max_k`` by silhouette on ``sample_size`` customers."""

    min_k: int = 2
    max_k: int = 8
    sample_size: int = 3_000


@dataclass(frozen=True)
class TrainConfig:
    interactions: InteractionConfig = InteractionConfig()
    als: ALSConfig = ALSConfig()
    copurchase: CoPurchaseConfig = CoPurchaseConfig()
    item_knn: ItemKNNConfig = ItemKNNConfig()
    ease: EASEConfig = EASEConfig()
    session_knn: SessionKNNConfig = SessionKNNConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    annoy: AnnoyConfig = AnnoyConfig()
    lifecycle: LifecycleConfig = LifecycleConfig()
    selection: SelectionConfig = SelectionConfig()
    ranker: RankerConfig = RankerConfig()
    communities: CommunityConfig = CommunityConfig()
    blend: dict[str, dict[str, float]] = field(default_factory=_default_blend)
    popularity_half_life_days: float = 30.0
    trending_half_life_days: float = 7.0
    basket_gap_hours: float = 24.0
    keep_versions: int = 5
    max_bad_share: float = 0.05
    session_weight: float = 4.0  # V-SKNN beside the blend in live sessions; chosen by selection
    user_candidates: int = 40  # best new items kept per user for serving; 0: score every request live
    item_neighbours: int = 40  # nearest items kept per item for related products; 0: search per request

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def merge(base: Any, overrides: dict[str, Any], path: str = "") -> Any:
    """A copy of dataclass ``base`` with ``overrides`` applied; unknown keys are errors."""
    known = {f.name: f for f in fields(base)}
    changes = {}
    for key, value in overrides.items():
        where = f"{path}{key}"
        if key not in known:
            raise ValueError(f"unknown setting {where!r}; known: {', '.join(sorted(known))}")
        current = getattr(base, key)
        if is_dataclass(current):
            if not isinstance(value, dict):
                raise ValueError(f"setting {where!r} must be a table of settings")
            changes[key] = merge(current, value, f"{where}.")
        elif key == "blend":
            changes[key] = _merge_blend(current, value, where)
        else:
            changes[key] = value
    return replace(base, **changes)


def _merge_blend(current: dict, value: Any, where: str) -> dict:
    if not isinstance(value, dict) or set(value) - set(MODES):
        raise ValueError(f"setting {where!r} must map {' and/or '.join(MODES)} to signal weights")
    return {**current, **{mode: {k: float(w) for k, w in weights.items()} for mode, weights in value.items()}}


def config_from_dict(overrides: dict[str, Any]) -> TrainConfig:
    return merge(TrainConfig(), overrides)


def load_config(path: str | Path | None) -> TrainConfig:
    """Defaults, updated by a ``.json`` or ``.toml`` file when given."""
    if path is None:
        return TrainConfig()
    path = Path(path)
    text = path.read_text()
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: not valid {path.suffix.lstrip('.') or 'JSON'}: {exc}") from exc
    try:
        return config_from_dict(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
