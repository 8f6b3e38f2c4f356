"""Writing the files of a model version into a staging folder (see :mod:`bundle.publish`)."""
from __future__ import annotations

import json
import platform
from importlib.metadata import version as package_version
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recommender.als import ALSModel
from recommender.candidates import ItemNeighbours, UserCandidates
from recommender.copurchase import CoPurchaseModel
from recommender.ease import EASEModel
from recommender.session_knn import SessionKNNModel
from recommender.item_knn import ItemKNNModel
from recommender.popularity import PopularityModel

from .integrity import MANIFEST, file_digests

FORMAT = 2  # 2: the manifest lists every file with its size and SHA-256
INDEXES = {"items": "angular", "users": "angular", "items_dot": "dot"}
LIBRARIES = ("implicit", "annoy", "numpy", "scipy", "pandas")


def index_path(folder: Path, name: str) -> Path:
    """Where the Annoy index ``name`` (one of ``INDEXES``) of a version lives."""
    return Path(folder) / f"{name}.ann"


def write_model(folder: Path, *, user_ids: np.ndarray, item_ids: np.ndarray, category_names: np.ndarray,
                item_category: np.ndarray, als: ALSModel, copurchase: CoPurchaseModel, popularity: PopularityModel,
                trending: PopularityModel, item_knn: ItemKNNModel, session_knn: SessionKNNModel, ease: EASEModel | None,
                confidence: sp.csr_matrix, purchases: sp.csr_matrix, last_purchase: sp.csr_matrix,
                rhythm: sp.csr_matrix) -> None:
    """The id maps, the fitted signals and each user's history."""
    folder = Path(folder)
    write_arrays(folder, {"users": user_ids, "items": item_ids, "categories": category_names,
                          "item_category": item_category, "user_factors": als.user_factors_,
                          "item_factors": als.item_factors_})
    for name, model in (("copurchase", copurchase), ("popularity", popularity), ("trending", trending),
                        ("item_knn", item_knn), ("session_knn", session_knn)):
        np.savez(folder / f"{name}.npz", **model.to_arrays())
    if ease is not None:
        np.save(folder / "ease.npy", ease.weights_)
        np.save(folder / "ease_items.npy", ease.items_)
    for name, matrix in (("confidence", confidence), ("purchases", purchases), ("last_purchase", last_purchase),
                         ("rhythm", rhythm)):
        sp.save_npz(folder / f"{name}.npz", matrix, compressed=False)


def write_lists(folder: Path, lists: UserCandidates | ItemNeighbours) -> None:
    """Stored candidate or neighbour lists, one ``.npy`` per array so the service can mmap them."""
    write_arrays(folder, lists.to_arrays())


def write_arrays(folder: Path, arrays: dict[str, np.ndarray]) -> None:
    for name, array in arrays.items():
        np.save(Path(folder) / f"{name}.npy", array)


def write_catalog(folder: Path, records: list[dict]) -> None:
    """The catalog snapshot the version was trained with (one JSON object per product)."""
    (Path(folder) / "catalog.json").write_text(json.dumps(records))


def format_fields() -> dict:
    """What every manifest records about the format and the libraries that wrote it."""
    return {"format": FORMAT,
            "libraries": {name: package_version(name) for name in LIBRARIES} | {"python": platform.python_version()}}


def write_manifest(folder: Path, manifest: dict) -> dict:
    """Write ``manifest.json`` last, with the size and SHA-256 of every other file of the version;
    returns the manifest as written."""
    manifest = {**manifest, "files": file_digests(folder)}
    (Path(folder) / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str))
    return manifest
