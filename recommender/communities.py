"""Communities: customers grouped by behaviour, a handful of them, each addressed with its own content.

``CommunityFinder`` runs spherical k-means on the customers' behaviour vectors (their ALS factors,
compared by cosine) for every k from ``min_k`` to ``max_k`` on a sample, keeps the k with the best
mean silhouette on that sample (the measured criterion: how much closer each customer is to its
own community than to the next one), and assigns every customer with that k. ``describe`` names
each community by the categories that set it apart. A rule audience or export segment names a
community as ``community:<slug>``.
"""
from __future__ import annotations

import re

import numpy as np

COMMUNITY_PREFIX = "community:"
COMMUNITY_PATTERN = r"^community:[a-z0-9][a-z0-9-]{0,63}$"
NO_COMMUNITY = -1


class CommunityFinder:
    def __init__(self, min_k: int = 2, max_k: int = 8, sample_size: int = 3_000, iterations: int = 30,
                 seed: int = 0) -> None:
        self.min_k = min_k
        self.max_k = max_k
        self.sample_size = sample_size
        self.iterations = iterations
        self.seed = seed

    def fit(self, vectors: np.ndarray) -> "CommunityFinder":
        """``vectors``: one behaviour vector per customer (a zero row has no community)."""
        unit, usable = _unit_rows(np.asarray(vectors, dtype=np.float32))
        rng = np.random.default_rng(self.seed)
        rows = np.flatnonzero(usable)
        sample = rows if len(rows) <= self.sample_size else np.sort(rng.choice(rows, self.sample_size, replace=False))
        top = min(self.max_k, len(sample) - 1)
        self.silhouettes_: dict[int, float] = {}
        for k in range(self.min_k, top + 1):
            _, labels = _kmeans(unit[sample], k, self.iterations, np.random.default_rng(self.seed))
            self.silhouettes_[k] = silhouette(unit[sample], labels)
        self.k_ = max(self.silhouettes_, key=lambda k: (self.silhouettes_[k], -k)) if self.silhouettes_ else 1
        self.centers_, labels = _kmeans(unit[rows], self.k_, self.iterations, np.random.default_rng(self.seed))
        self.labels_ = np.full(len(unit), NO_COMMUNITY, dtype=np.int16)
        self.labels_[rows] = labels
        return self


def silhouette(unit: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette under cosine distance; a member of a community of one scores 0."""
    distance = 1.0 - unit @ unit.T
    k = int(labels.max()) + 1
    onehot = np.eye(k, dtype=np.float32)[labels]
    sums = distance @ onehot
    sizes = onehot.sum(axis=0)
    own = sizes[labels] - 1
    a = np.where(own > 0, sums[np.arange(len(labels)), labels] / np.maximum(own, 1), 0.0)
    others = sums / np.maximum(sizes, 1)
    others[np.arange(len(labels)), labels] = np.inf
    others[:, sizes == 0] = np.inf
    b = others.min(axis=1)
    score = np.where((own > 0) & np.isfinite(b), (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    return float(score.mean())


def describe(labels: np.ndarray, user_of_event: np.ndarray, category_of_event: np.ndarray, n_categories: int,
             category_names: np.ndarray, top: int = 2) -> list[dict]:
    """Each community's name (the ``top`` categories most over-represented in its events, weighted
    by their share), unique ``slug`` and category ranking."""
    k = int(labels.max()) + 1 if len(labels) else 0
    known = labels[user_of_event] >= 0
    group = labels[user_of_event[known]].astype(np.int64)
    counts = np.bincount(group * n_categories + category_of_event[known], minlength=k * n_categories)
    counts = counts.reshape(k, n_categories).astype(np.float64)
    overall = counts.sum(axis=0) / max(counts.sum(), 1.0)
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    distinct = share * share / np.maximum(overall, 1e-12)
    described, taken = [], set()
    for community in range(k):
        order = np.lexsort((np.arange(n_categories), -distinct[community]))
        names = [str(category_names[c]) for c in order[:top] if counts[community, c] > 0] or ["everything"]
        name = " & ".join(names)
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:56] or "community"
        base, number = slug, 2
        while slug in taken:
            slug, number = f"{base}-{number}", number + 1
        taken.add(slug)
        described.append({"id": community, "name": name, "slug": slug,
                          "audience": COMMUNITY_PREFIX + slug,
                          "top_categories": [str(category_names[c]) for c in order[:5] if counts[community, c] > 0]})
    return described


def _unit_rows(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    norms = np.linalg.norm(vectors, axis=1)
    usable = norms > 1e-12
    unit = np.zeros_like(vectors)
    unit[usable] = vectors[usable] / norms[usable, None]
    return unit, usable


def _kmeans(unit: np.ndarray, k: int, iterations: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Spherical k-means with k-means++ seeding; an emptied community restarts at the member
    farthest from its centre."""
    centers = _seed(unit, k, rng)
    labels = np.zeros(len(unit), dtype=np.int64)
    for step in range(iterations):
        similarity = unit @ centers.T
        new = similarity.argmax(axis=1)
        for empty in np.setdiff1d(np.arange(k), new):
            farthest = int(similarity[np.arange(len(unit)), new].argmin())
            new[farthest] = empty
        if step > 0 and np.array_equal(new, labels):
            break
        labels = new
        sums = np.stack([unit[labels == c].sum(axis=0) for c in range(k)])
        centers = _unit_rows(sums)[0]
    return centers, labels


def _seed(unit: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    chosen = [int(rng.integers(len(unit)))]
    closest = 1.0 - unit @ unit[chosen[0]]
    for _ in range(1, k):
        weights = np.maximum(closest, 0.0) ** 2
        total = weights.sum()
        pick = int(rng.choice(len(unit), p=weights / total)) if total > 0 else int(rng.integers(len(unit)))
        chosen.append(pick)
        closest = np.minimum(closest, 1.0 - unit @ unit[pick])
    return unit[chosen].copy()
