"""Loading a published version, read-only: ``.npy``/``.npz`` with ``allow_pickle=False`` (loading
a model never runs code), large arrays and Annoy indexes memory-mapped, every file cross-checked
against the id maps before the version is handed out."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.als import ALSModel
from recommender.ann import ExactIndex, VectorIndex
from recommender.candidates import ItemNeighbours, RepeatCandidates, UserCandidates
from recommender.copurchase import CoPurchaseModel
from recommender.ease import EASEModel
from recommender.session_knn import SessionKNNModel
from recommender.engine import ServingModel
from recommender.interactions import EventWeights, InteractionConfig
from recommender.item_knn import ItemKNNModel
from recommender.popularity import PopularityModel
from recommender.profiles import CustomerProfiles

from .errors import ArtifactError
from .integrity import check_values, verify_files
from .mapped_npz import load_csr, load_npz
from .profiles import load_profiles
from .writer import FORMAT, INDEXES, MANIFEST, index_path


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


def load_artifacts(folder: Path, verify_files_first: bool = True) -> ModelVersion:
    """Load and cross-check a version; any problem is an ``ArtifactError`` naming the folder.

    ``verify_files_first=False`` skips the checksums, for a caller that had them verified just
    before (the service, whose child-process check verifies them: ``bundle.check``)."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        if not isinstance(manifest, dict):
            raise ArtifactError(f"{folder}: {MANIFEST} must hold a JSON object")
        if manifest.get("format") != FORMAT:
            raise ArtifactError(f"{folder}: artifact format {manifest.get('format')!r}, expected {FORMAT}: "
                                "train it again")
        if verify_files_first:
            verify_files(folder, manifest)
        catalog = {str(row["item_id"]): row for row in json.loads((folder / "catalog.json").read_text())}
        model = _load_model(folder, manifest, catalog)
        profiles = load_profiles(folder, model.user_ids, model.category_names) if "profiles" in manifest else None
    except ArtifactError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ArtifactError(f"{folder}: cannot load model version: {exc}") from exc
    _check_shapes(folder, model)
    check_values(folder, model)
    return ModelVersion(folder, manifest, model, catalog, profiles=profiles)


def _load_model(folder: Path, manifest: dict, catalog: dict[str, dict]) -> ServingModel:
    """The version's signals with the settings its manifest records (``manifest["config"]``)."""
    item_factors = np.load(folder / "item_factors.npy", allow_pickle=False)
    user_factors = np.load(folder / "user_factors.npy", mmap_mode="r", allow_pickle=False)
    item_ids = np.load(folder / "items.npy", allow_pickle=False)
    settings = manifest["config"]
    dim = item_factors.shape[1]
    return ServingModel(
        user_ids=np.load(folder / "users.npy", mmap_mode="r", allow_pickle=False),
        item_ids=item_ids,
        category_names=np.load(folder / "categories.npy", allow_pickle=False),
        item_category=np.load(folder / "item_category.npy", allow_pickle=False),
        titles=np.array([str(catalog.get(i, {}).get("title") or i) for i in item_ids.tolist()]),
        als=ALSModel.from_arrays({"user_factors": user_factors, "item_factors": item_factors},
                                 regularization=settings["als"]["regularization"], alpha=settings["als"]["alpha"]),
        copurchase=CoPurchaseModel.from_arrays(load_npz(folder / "copurchase.npz"), **settings["copurchase"]),
        popularity=PopularityModel.from_arrays(load_npz(folder / "popularity.npz"),
                                               half_life_days=settings.get("popularity_half_life_days", 30.0)),
        trending=PopularityModel.from_arrays(load_npz(folder / "trending.npz"),
                                             half_life_days=settings.get("trending_half_life_days", 7.0)),
        item_knn=ItemKNNModel.from_arrays(load_npz(folder / "item_knn.npz"), **settings["item_knn"]),
        ease=_load_ease(folder, settings["ease"], len(item_ids)),
        confidence=load_csr(folder / "confidence.npz"),
        purchases=load_csr(folder / "purchases.npz"),
        indexes=_load_indexes(folder, manifest["annoy"], dim, {"items": item_factors, "users": user_factors,
                                                              "items_dot": item_factors}),
        blend_weights=settings["blend"],
        session_knn=SessionKNNModel.from_arrays(load_npz(folder / "session_knn.npz"), **settings["session_knn"]),
        session_weight=float(settings["session_weight"]),
        interactions=interaction_config(settings["interactions"]),
        scoring=manifest["scoring"]["method"],
        last_purchase=_load_optional_csr(folder / "last_purchase.npz"),
        rhythm=_load_optional_csr(folder / "rhythm.npz"),
        candidates=_load_lists(folder, UserCandidates),
        repeat_candidates=_load_lists(folder, RepeatCandidates),
        neighbours=_load_lists(folder, ItemNeighbours),
    )


def interaction_config(settings: dict[str, Any]) -> InteractionConfig:
    """The manifest's ``interactions`` table as the engine's config (sessions are weighted like training)."""
    return InteractionConfig(**{**settings, "weights": EventWeights(**settings["weights"])})


def _load_lists(folder: Path, kind: type[UserCandidates] | type[RepeatCandidates] | type[ItemNeighbours]):
    """Lists stored at training time, memory-mapped; ``None`` when training kept none."""
    paths = {name: folder / f"{name}.npy" for name in kind.ARRAYS}
    if not all(path.exists() for path in paths.values()):
        return None
    return kind.from_arrays({name: np.load(path, mmap_mode="r", allow_pickle=False) for name, path in paths.items()})


def _load_optional_csr(path: Path) -> sp.csr_matrix | None:
    """A matrix that versions published before it existed do not have."""
    return load_csr(path) if path.exists() else None


def _load_ease(folder: Path, settings: dict[str, Any], n_items: int) -> EASEModel | None:
    """EASE's dense weights over the catalog's head, memory-mapped; ``None`` when not trained."""
    if not (folder / "ease.npy").exists():
        return None
    arrays = {name: np.load(folder / file, mmap_mode="r", allow_pickle=False)
              for name, file in (("weights", "ease.npy"), ("items", "ease_items.npy"))}
    return EASEModel.from_arrays(arrays, n_items=n_items, **settings)


def _load_indexes(folder: Path, report: dict, dim: int, vectors: dict[str, np.ndarray]) -> dict:
    """Each Annoy index memory-mapped, or exact search over the factors where training found Annoy
    could not reach its recall target (``search: exact`` in the manifest)."""
    return {name: ExactIndex(vectors[name], metric) if report[name].get("search") == "exact"
            else VectorIndex.load(index_path(folder, name), dim, metric, report[name]["search_k"])
            for name, metric in INDEXES.items()}


def _check_shapes(folder: Path, model: ServingModel) -> None:
    n_users, n_items = len(model.user_ids), len(model.item_ids)
    checks = {
        "user_factors.npy": model.als.user_factors_.shape[0] == n_users,
        "item_factors.npy": model.als.item_factors_.shape[0] == n_items,
        "confidence.npz": model.confidence.shape == (n_users, n_items),
        "purchases.npz": model.purchases.shape == (n_users, n_items),
        "last_purchase.npz": model.last_purchase is None or model.last_purchase.shape == (n_users, n_items),
        "rhythm.npz": model.rhythm is None or model.rhythm.shape == (n_users, n_items),
        "popularity.npz": len(model.popularity.scores_) == n_items,
        "session_knn.npz": model.session_knn.sessions_.shape[1] == n_items,
        "ease.npy": model.ease is None or model.ease.consistent_with(n_items),
        "item_category.npy": len(model.item_category) == n_items,
        "items.ann": model.indexes["items"].n_items_ == n_items,
        "users.ann": model.indexes["users"].n_items_ == n_users,
        "items_dot.ann": model.indexes["items_dot"].n_items_ == n_items,
        "candidate_*.npy": model.candidates is None or model.candidates.consistent_with(n_users, n_items),
        "repeat_*.npy": model.repeat_candidates is None or model.repeat_candidates.consistent_with(n_users, n_items),
        "neighbour_*.npy": model.neighbours is None or model.neighbours.consistent_with(n_items),
    }
    broken = [name for name, ok in checks.items() if not ok]
    if broken:
        raise ArtifactError(f"{folder}: inconsistent with users.npy/items.npy: {', '.join(broken)}")
