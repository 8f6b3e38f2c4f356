"""The artifacts stage of the training job: build what serving reads and write it as a version.

Builds the Annoy indexes (each one's ``search_k`` tuned to a recall target), each user's stored
candidates and each item's stored neighbours, and decides between exact and Annoy scoring by
timing both; the files themselves are written by :mod:`bundle.writer`.
"""
from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from bundle.profiles import save_profiles
from bundle.writer import INDEXES, format_fields, index_path, write_catalog, write_lists, write_model
from recommender.ann import VectorIndex, choose_scoring, measure_exact_vs_annoy, recall_at_k
from recommender.blend import BlendModel
from recommender.candidates import ItemNeighbours, UserCandidates, nearest_items, precompute_candidates
from recommender.profiles import CustomerProfiles
from recommender.rank_features import personal_rhythm
from recommender.ranker import LambdaRanker

from .config import MODES, TrainConfig
from .dataset import Dataset, last_purchase_ages, units_per_order
from .models import FittedModels, signals
from .profiles import customer_events
from .ranking import ranked_candidates, ranking_inputs

log = logging.getLogger(__name__)


def _recall(index: VectorIndex, name: str, models: FittedModels, sample: np.ndarray) -> float:
    items, users = models.als.item_factors_, models.als.user_factors_
    if name == "items_dot":
        return recall_at_k(index, items, users[sample % len(users)], k=10, query_is_item=False)
    return recall_at_k(index, users if name == "users" else items, sample, k=10)


def _tune_search_k(index: VectorIndex, name: str, models: FittedModels, sample: np.ndarray, config: TrainConfig) -> dict:
    """Double ``search_k`` until recall@10 against exact search reaches the target, stopping
    early when a doubling gains less than ``config.annoy.min_gain`` or the next step would inspect
    more than a linear scan (``search_k`` above the number of vectors). Returns the manifest's
    report: ``search`` is ``"exact"``, with the ``reason``, when the target was missed."""
    limit, search_k, previous = index.n_items_, config.annoy.n_trees * 10, -1.0
    tried = []
    while True:
        index.search_k = min(search_k, limit)
        recall = float(_recall(index, name, models, sample))
        tried.append([index.search_k, round(recall, 4)])
        if recall >= config.annoy.target_recall:
            return {**index.meta(), "search": "annoy", "recall@10": round(recall, 4), "tried": tried}
        if index.search_k >= limit:
            reason = f"recall@10 {recall:.3f} at search_k {index.search_k}, a linear scan's work"
            break
        if recall - previous < config.annoy.min_gain:
            reason = f"recall@10 stopped improving at {recall:.3f} (search_k {index.search_k})"
            break
        previous, search_k = recall, search_k * 2
    return {**index.meta(), "search": "exact", "reason": f"{reason}; below the target {config.annoy.target_recall}",
            "annoy_recall@10": round(recall, 4), "recall@10": 1.0, "tried": tried}


def _build_indexes(folder: Path, models: FittedModels, config: TrainConfig) -> tuple[dict, dict[str, VectorIndex]]:
    """Build the three Annoy indexes, tune each one's ``search_k`` (:func:`_tune_search_k`).
    Only the indexes that serve are written. Returns the manifest's report and the indexes."""
    rng = np.random.default_rng(0)
    sources = {"items": models.als.item_factors_, "users": models.als.user_factors_, "items_dot": models.als.item_factors_}
    report, indexes = {}, {}
    for name, metric in INDEXES.items():
        vectors = sources[name]
        index = VectorIndex(metric=metric, n_trees=config.annoy.n_trees).build(vectors)
        sample = rng.choice(len(vectors), size=min(config.annoy.recall_queries, len(vectors)), replace=False)
        report[name] = _tune_search_k(index, name, models, sample, config)
        if report[name]["search"] == "exact":
            log.warning("Annoy index %s: exact search instead (%s)", name, report[name]["reason"])
        else:
            index.save(index_path(folder, name))
        indexes[name] = index
    return report, indexes


def _user_candidates(data: Dataset, models: FittedModels, config: TrainConfig,
                     rankers: dict[str, LambdaRanker]) -> list[UserCandidates]:
    """Every user's best ``config.user_candidates`` items per mode (new items; with past purchases):
    by the learned ranker where selection kept one for the mode, else by the mode's blend."""
    available = signals(models)
    inputs = ranking_inputs(data, models, config) if rankers else None
    lists = []
    for mode in MODES:
        weights = {name: w for name, w in config.blend[mode].items() if name in available}
        if mode in rankers:
            lists.append(ranked_candidates(inputs, rankers[mode], weights, config.user_candidates, mode))
        else:
            lists.append(precompute_candidates(BlendModel(available, weights), models.confidence, models.purchases,
                                               config.user_candidates, exclude_purchased=mode == "new_items"))
    return lists


def _item_neighbours(models: FittedModels, config: TrainConfig, index: VectorIndex, method: str) -> ItemNeighbours:
    """Every item's nearest items: exact, or through the angular Annoy ``index`` when training
    measured Annoy faster than exact search on these vectors."""
    return nearest_items(models.als.item_factors_, config.item_neighbours, index if method == "annoy" else None)


def _scoring_choice(models: FittedModels, index: VectorIndex, search: str) -> dict:
    """Exact dot products or Annoy (the ``items_dot`` ``index``) for per-user top-N, decided by
    timing both on these vectors; exact when the index missed its recall target (``search``)."""
    if search == "exact":
        return {"method": "exact", "measurement": None}
    measurement = measure_exact_vs_annoy(models.als.item_factors_, models.als.user_factors_, n=10, n_queries=200,
                                         index=index)
    return {"method": choose_scoring(measurement), "measurement": measurement}


def _catalog_records(catalog: pd.DataFrame, data: Dataset) -> list[dict]:
    """The catalog as JSON records, with ``units_per_order`` (the mean quantity of a purchase line
    of the item, learned here) where the item sold: a revenue or margin objective weighs a pick by
    what one order of it is worth, not by its unit price alone."""
    per_order = pd.Series(units_per_order(data).round(3), index=data.item_ids)
    records = json.loads(catalog.to_json(orient="records", date_format="iso"))
    for record in records:
        value = per_order.get(str(record["item_id"]), np.nan)
        if np.isfinite(value):
            record["units_per_order"] = float(value)
    return records


def write_artifacts(folder: Path, data: Dataset, catalog: pd.DataFrame, models: FittedModels,
                    config: TrainConfig, manifest: dict, profiles: CustomerProfiles | None = None,
                    rankers: dict[str, LambdaRanker] | None = None) -> dict:
    """Write every file of a version into ``folder``; returns what the manifest must add."""
    added = {"profiles": save_profiles(folder, profiles)} if profiles is not None else {}
    write_model(folder, user_ids=data.user_ids, item_ids=data.item_ids, category_names=data.category_names,
                item_category=data.item_category, als=models.als, copurchase=models.copurchase,
                popularity=models.popularity, trending=models.trending, item_knn=models.item_knn,
                session_knn=models.session_knn, ease=models.ease,
                confidence=models.confidence, purchases=models.purchases,
                last_purchase=last_purchase_ages(data, models.now),
                rhythm=personal_rhythm(customer_events(data), data.n_items))
    write_catalog(folder, _catalog_records(catalog, data))
    with ThreadPoolExecutor(1) as pool:  # Annoy builds on one core and releases the GIL: score users beside it
        candidates = pool.submit(_user_candidates, data, models, config, rankers or {}) if config.user_candidates else None
        annoy, indexes = _build_indexes(folder, models, config)
        if candidates is not None:
            for lists in candidates.result():
                write_lists(folder, lists)
    scoring = _scoring_choice(models, indexes["items_dot"], annoy["items_dot"]["search"])
    if config.item_neighbours:
        method = scoring["method"] if annoy["items"]["search"] == "annoy" else "exact"
        write_lists(folder, _item_neighbours(models, config, indexes["items"], method))
    return {
        **format_fields(),
        "trained_at": pd.Timestamp.now(tz="UTC").isoformat(),
        "data_end": pd.Timestamp(models.now, unit="s", tz="UTC").isoformat(),
        "annoy": annoy,
        "scoring": scoring,
        "blend": config.blend,
        "candidates": {mode: "ranker" if mode in (rankers or {}) else "blend" for mode in MODES}
        if config.user_candidates else None,
        **added,
    }
