"""What makes a version trustworthy before a worker maps it: every file's size and SHA-256 as the
manifest recorded them at publish, and arrays whose values a server can answer from.

A flipped byte, a truncated or missing file, a file of another version copied in: each is refused
with the file named, before Annoy or numpy read a byte of it, so a damaged file can never crash a
worker. The value checks catch what a bug in training would write (NaN or infinite factors and
scores, ids pointing past the catalog).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from recommender.engine import ServingModel

from .errors import ArtifactError

MANIFEST = "manifest.json"
_CHUNK = 1 << 20
_BLOCK_VALUES = 1 << 22


def file_digests(folder: Path) -> dict[str, dict]:
    """``{name: {"bytes", "sha256"}}`` of every file of a version but its manifest."""
    return {path.name: {"bytes": path.stat().st_size, "sha256": sha256(path)}
            for path in sorted(Path(folder).iterdir()) if path.is_file() and path.name != MANIFEST}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_files(folder: Path, manifest: dict) -> None:
    """Raise ``ArtifactError`` unless every file the manifest lists is there with its size and digest."""
    listed = manifest.get("files")
    if not isinstance(listed, dict) or not listed:
        raise ArtifactError(f"{folder}: the manifest lists no file checksums")
    for name, expected in listed.items():
        path = Path(folder) / name
        if Path(name).name != name or not path.is_file():
            raise ArtifactError(f"{folder}: {name} is missing")
        if path.stat().st_size != expected.get("bytes"):
            raise ArtifactError(f"{folder}: {name} has {path.stat().st_size:,} bytes, the manifest says "
                                f"{expected.get('bytes')!r} (truncated or replaced)")
        if sha256(path) != expected.get("sha256"):
            raise ArtifactError(f"{folder}: {name} does not match its SHA-256 in the manifest (damaged or replaced)")


def check_values(folder: Path, model: ServingModel) -> None:
    """Raise ``ArtifactError`` naming the first file whose values cannot be served.

    Arrays are read ``_BLOCK_VALUES`` values at a time: a memory-mapped file (the stored lists,
    user factors) is checked without a worker ever holding a copy of it."""
    n_items = len(model.item_ids)
    finite = {
        "user_factors.npy": model.als.user_factors_, "item_factors.npy": model.als.item_factors_,
        "popularity.npz": model.popularity.scores_, "trending.npz": model.trending.scores_,
        "confidence.npz": model.confidence.data, "purchases.npz": model.purchases.data,
        "copurchase.npz": model.copurchase.lift_.data, "item_knn.npz": model.item_knn.similarity_.data,
    }
    if model.ease is not None:
        finite["ease.npy"] = model.ease.weights_
    if model.rhythm is not None:
        finite["rhythm.npz"] = model.rhythm.data
    padded = {}  # rows end early with id -1, whose values are not read
    for lists, prefix in ((model.candidates, "candidate"), (model.repeat_candidates, "repeat")):
        if lists is not None:
            padded[f"{prefix}_scores.npy"] = (lists.scores, lists.items)
    if model.neighbours is not None:
        padded["neighbour_cosines.npy"] = (model.neighbours.cosines, model.neighbours.ids)
    bad = [name for name, values in finite.items() if not all(np.isfinite(b).all() for b in _blocks(values))]
    bad += [name for name, (values, ids) in padded.items()
            if not all(np.isfinite(v[i >= 0]).all() for v, i in zip(_blocks(values), _blocks(ids)))]
    if bad:
        raise ArtifactError(f"{folder}: {bad[0]} holds NaN or infinite values")
    ids = {"item_category.npy": (model.item_category, len(model.category_names), 0),
           "confidence.npz": (model.confidence.indices, n_items, 0),
           "purchases.npz": (model.purchases.indices, n_items, 0)}
    if model.session_knn is not None:
        ids["session_knn.npz"] = (model.session_knn.sessions_.indices, n_items, 0)
    for lists, prefix in ((model.candidates, "candidate"), (model.repeat_candidates, "repeat")):
        if lists is not None:
            ids[f"{prefix}_items.npy"] = (lists.items, n_items, -1)
    if model.neighbours is not None:
        ids["neighbour_ids.npy"] = (model.neighbours.ids, n_items, -1)
    for name, (values, limit, lowest) in ids.items():
        if any(block.size and (block.min() < lowest or block.max() >= limit) for block in _blocks(values)):
            raise ArtifactError(f"{folder}: {name} holds ids outside {lowest}..{limit - 1}")


def _blocks(values: np.ndarray):
    """``values`` in consecutive row blocks of about ``_BLOCK_VALUES`` values each."""
    values = np.asarray(values)
    if values.ndim == 0:
        yield values.reshape(1)
        return
    rows = max(1, _BLOCK_VALUES // max(1, values[:1].size))
    for start in range(0, len(values), rows):
        yield values[start:start + rows]
