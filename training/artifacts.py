"""The on-disk form of a model version: written by training, read (read-only) by the API.

Only ``.npy``/``.npz``, JSON and Annoy files, all loaded with ``allow_pickle=False``, so
loading a model can never run code. Large arrays are memory-mapped.

```
<version>/manifest.json       stats, settings, metrics, Annoy recall, timings, library versions
<version>/users.npy items.npy  external ids, row i = model index i
<version>/categories.npy item_category.npy
<version>/user_factors.npy item_factors.npy
<version>/copurchase.npz popularity.npz trending.npz item_knn.npz
<version>/ease.npy                        only for catalogs small enough for a dense item × item matrix
<version>/confidence.npz purchases.npz    each user's training history (fold-in, buy again)
<version>/last_purchase.npz                days from each user's last purchase of an item to the data's end
<version>/candidate_*.npy                   each user's best new items by the blend (``new_items``), scored
                                           at training time; memory-mapped by the API
<version>/neighbour_*.npy                   each item's nearest items by cosine (related products)
<version>/catalog.json                     catalog snapshot
<version>/profiles.npz segments.json       customers' stages, RFM, predictions; segment summary (training/profiles.py)
<version>/items.ann users.ann items_dot.ann
```
"""
from __future__ import annotations

import json
import platform
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version as package_version
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.als import ALSModel
from recommender.ann import VectorIndex, choose_scoring, measure_exact_vs_annoy, recall_at_k
from recommender.blend import BlendModel
from recommender.candidates import ItemNeighbours, UserCandidates, nearest_items, precompute_candidates
from recommender.copurchase import CoPurchaseModel
from recommender.ease import EASEModel
from recommender.engine import ServingModel
from recommender.item_knn import ItemKNNModel
from recommender.popularity import PopularityModel
from recommender.profiles import CustomerProfiles

from .config import TrainConfig, config_from_dict
from .dataset import Dataset, last_purchase_ages
from .profiles import load_profiles, save_profiles
from .models import FittedModels, signals

FORMAT = 1
INDEXES = {"items": "angular", "users": "angular", "items_dot": "dot"}
LIBRARIES = ("implicit", "annoy", "numpy", "scipy", "pandas")


class ArtifactError(RuntimeError):
    """A model folder is missing files or is inconsistent; it must not be served."""


def _save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    np.savez(path, **arrays)


def _recall(index: VectorIndex, name: str, models: FittedModels, sample: np.ndarray) -> float:
    items, users = models.als.item_factors_, models.als.user_factors_
    if name == "items_dot":
        return recall_at_k(index, items, users[sample % len(users)], k=10, query_is_item=False)
    return recall_at_k(index, users if name == "users" else items, sample, k=10)


def _build_indexes(folder: Path, models: FittedModels, config: TrainConfig) -> tuple[dict, dict[str, VectorIndex]]:
    """Write the three Annoy indexes; raise each one's ``search_k`` until recall@10 against exact
    search reaches ``config.annoy.target_recall`` (or the whole index is searched). Returns the
    manifest's report and the indexes."""
    rng = np.random.default_rng(0)
    sources = {"items": models.als.item_factors_, "users": models.als.user_factors_, "items_dot": models.als.item_factors_}
    report, indexes = {}, {}
    for name, metric in INDEXES.items():
        vectors = sources[name]
        index = VectorIndex(metric=metric, n_trees=config.annoy.n_trees).build(vectors, folder / f"{name}.ann")
        sample = rng.choice(len(vectors), size=min(config.annoy.recall_queries, len(vectors)), replace=False)
        search_k = config.annoy.n_trees * 10
        while True:
            index.search_k = search_k
            recall = _recall(index, name, models, sample)
            if recall >= config.annoy.target_recall or search_k >= config.annoy.n_trees * len(vectors):
                break
            search_k *= 2
        report[name] = {**index.meta(), "recall@10": round(float(recall), 4)}
        indexes[name] = index
    return report, indexes


def _user_candidates(models: FittedModels, config: TrainConfig) -> UserCandidates:
    """Every user's best ``config.user_candidates`` new items by the ``new_items`` blend."""
    available = signals(models)
    blend = BlendModel(available, {name: w for name, w in config.blend["new_items"].items() if name in available})
    return precompute_candidates(blend, models.confidence, models.purchases, config.user_candidates)


def _item_neighbours(models: FittedModels, config: TrainConfig, index: VectorIndex, method: str) -> ItemNeighbours:
    """Every item's nearest items: exact, or through the angular Annoy ``index`` when training
    measured Annoy faster than exact search on these vectors."""
    return nearest_items(models.als.item_factors_, config.item_neighbours, index if method == "annoy" else None)


def _save_arrays(folder: Path, arrays: dict[str, np.ndarray]) -> None:
    for name, array in arrays.items():
        np.save(folder / f"{name}.npy", array)


def _scoring_choice(models: FittedModels, index: VectorIndex) -> dict:
    """Exact dot products or Annoy (the ``items_dot`` ``index``) for per-user top-N, decided by
    timing both on these vectors."""
    measurement = measure_exact_vs_annoy(models.als.item_factors_, models.als.user_factors_, n=10, n_queries=200,
                                         index=index)
    return {"method": choose_scoring(measurement), "measurement": measurement}


def _catalog_records(catalog: pd.DataFrame) -> list[dict]:
    return json.loads(catalog.to_json(orient="records", date_format="iso"))


def write_artifacts(folder: Path, data: Dataset, catalog: pd.DataFrame, models: FittedModels,
                    config: TrainConfig, manifest: dict, profiles: CustomerProfiles | None = None) -> dict:
    """Write every file of a version into ``folder``; returns what the manifest must add."""
    added = {"profiles": save_profiles(folder, profiles)} if profiles is not None else {}
    np.save(folder / "users.npy", data.user_ids)
    np.save(folder / "items.npy", data.item_ids)
    np.save(folder / "categories.npy", data.category_names)
    np.save(folder / "item_category.npy", data.item_category)
    np.save(folder / "user_factors.npy", models.als.user_factors_)
    np.save(folder / "item_factors.npy", models.als.item_factors_)
    _save_npz(folder / "copurchase.npz", models.copurchase.to_arrays())
    _save_npz(folder / "popularity.npz", models.popularity.to_arrays())
    _save_npz(folder / "trending.npz", models.trending.to_arrays())
    _save_npz(folder / "item_knn.npz", models.item_knn.to_arrays())
    if models.ease is not None:
        np.save(folder / "ease.npy", models.ease.weights_)
    sp.save_npz(folder / "confidence.npz", models.confidence, compressed=False)
    sp.save_npz(folder / "purchases.npz", models.purchases, compressed=False)
    sp.save_npz(folder / "last_purchase.npz", last_purchase_ages(data, models.now), compressed=False)
    (folder / "catalog.json").write_text(json.dumps(_catalog_records(catalog)))
    with ThreadPoolExecutor(1) as pool:  # Annoy builds on one core and releases the GIL: score users beside it
        candidates = pool.submit(_user_candidates, models, config) if config.user_candidates else None
        annoy, indexes = _build_indexes(folder, models, config)
        if candidates is not None:
            _save_arrays(folder, candidates.result().to_arrays())
    scoring = _scoring_choice(models, indexes["items_dot"])
    if config.item_neighbours:
        _save_arrays(folder, _item_neighbours(models, config, indexes["items"], scoring["method"]).to_arrays())
    return {
        "format": FORMAT,
        "trained_at": pd.Timestamp.now(tz="UTC").isoformat(),
        "data_end": pd.Timestamp(models.now, unit="s", tz="UTC").isoformat(),
        "annoy": annoy,
        "scoring": scoring,
        "blend": config.blend,
        "libraries": {name: package_version(name) for name in LIBRARIES} | {"python": platform.python_version()},
        **added,
    }


@dataclass(frozen=True)
class ModelVersion:
    """A loaded, read-only model version: what the engine serves plus its description."""

    path: Path
    manifest: dict
    model: ServingModel
    catalog: dict[str, dict]
    profiles: CustomerProfiles | None = None

    @property
    def version(self) -> str:
        return self.manifest["version"]


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as arrays:
        return dict(arrays)


def load_artifacts(folder: Path) -> ModelVersion:
    """Load and cross-check a version; any problem is an ``ArtifactError`` naming the folder."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        if manifest.get("format") != FORMAT:
            raise ArtifactError(f"{folder}: artifact format {manifest.get('format')!r}, expected {FORMAT}")
        catalog = {str(row["item_id"]): row for row in json.loads((folder / "catalog.json").read_text())}
        model = _load_model(folder, manifest, catalog)
        profiles = load_profiles(folder, model.user_ids, model.category_names) if "profiles" in manifest else None
    except ArtifactError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ArtifactError(f"{folder}: cannot load model version: {exc}") from exc
    _check_shapes(folder, model)
    return ModelVersion(folder, manifest, model, catalog, profiles=profiles)


def _load_model(folder: Path, manifest: dict, catalog: dict[str, dict]) -> ServingModel:
    item_factors = np.load(folder / "item_factors.npy", allow_pickle=False)
    user_factors = np.load(folder / "user_factors.npy", mmap_mode="r", allow_pickle=False)
    item_ids = np.load(folder / "items.npy", allow_pickle=False)
    config = config_from_dict(manifest["config"])
    dim = item_factors.shape[1]
    return ServingModel(
        user_ids=np.load(folder / "users.npy", allow_pickle=False),
        item_ids=item_ids,
        category_names=np.load(folder / "categories.npy", allow_pickle=False),
        item_category=np.load(folder / "item_category.npy", allow_pickle=False),
        titles=np.array([str(catalog.get(i, {}).get("title") or i) for i in item_ids.tolist()]),
        als=ALSModel.from_arrays({"user_factors": user_factors, "item_factors": item_factors},
                                 regularization=config.als.regularization, alpha=config.als.alpha),
        copurchase=CoPurchaseModel.from_arrays(_load_npz(folder / "copurchase.npz"), **vars(config.copurchase)),
        popularity=PopularityModel.from_arrays(_load_npz(folder / "popularity.npz")),
        trending=PopularityModel.from_arrays(_load_npz(folder / "trending.npz")),
        item_knn=ItemKNNModel.from_arrays(_load_npz(folder / "item_knn.npz"), **vars(config.item_knn)),
        ease=_load_ease(folder / "ease.npy", config),
        confidence=sp.load_npz(folder / "confidence.npz").tocsr(),
        purchases=sp.load_npz(folder / "purchases.npz").tocsr(),
        indexes={
            name: VectorIndex.load(folder / f"{name}.ann", dim, metric, manifest["annoy"][name]["search_k"])
            for name, metric in INDEXES.items()
        },
        blend_weights=config.blend,
        interactions=config.interactions,
        scoring=manifest["scoring"]["method"],
        last_purchase=_load_optional_csr(folder / "last_purchase.npz"),
        candidates=_load_lists(folder, UserCandidates),
        neighbours=_load_lists(folder, ItemNeighbours),
    )


def _load_lists(folder: Path, kind: type[UserCandidates] | type[ItemNeighbours]):
    """Lists stored at training time, memory-mapped; ``None`` when training kept none."""
    paths = {name: folder / f"{name}.npy" for name in kind.ARRAYS}
    if not all(path.exists() for path in paths.values()):
        return None
    return kind.from_arrays({name: np.load(path, mmap_mode="r", allow_pickle=False) for name, path in paths.items()})


def _load_optional_csr(path: Path) -> sp.csr_matrix | None:
    """A matrix that versions published before it existed do not have."""
    return sp.load_npz(path).tocsr() if path.exists() else None


def _load_ease(path: Path, config: TrainConfig) -> EASEModel | None:
    """EASE is only trained for small catalogs; its dense weights are memory-mapped."""
    if not path.exists():
        return None
    return EASEModel.from_arrays({"weights": np.load(path, mmap_mode="r", allow_pickle=False)}, **vars(config.ease))


def _check_shapes(folder: Path, model: ServingModel) -> None:
    n_users, n_items = len(model.user_ids), len(model.item_ids)
    checks = {
        "user_factors.npy": model.als.user_factors_.shape[0] == n_users,
        "item_factors.npy": model.als.item_factors_.shape[0] == n_items,
        "confidence.npz": model.confidence.shape == (n_users, n_items),
        "purchases.npz": model.purchases.shape == (n_users, n_items),
        "last_purchase.npz": model.last_purchase is None or model.last_purchase.shape == (n_users, n_items),
        "popularity.npz": len(model.popularity.scores_) == n_items,
        "item_category.npy": len(model.item_category) == n_items,
        "items.ann": model.indexes["items"].n_items_ == n_items,
        "users.ann": model.indexes["users"].n_items_ == n_users,
        "candidate_*.npy": model.candidates is None or model.candidates.consistent_with(n_users, n_items),
        "neighbour_*.npy": model.neighbours is None or model.neighbours.consistent_with(n_items),
    }
    broken = [name for name, ok in checks.items() if not ok]
    if broken:
        raise ArtifactError(f"{folder}: inconsistent with users.npy/items.npy: {', '.join(broken)}")
