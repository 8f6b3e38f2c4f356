"""Annoy indexes over ALS factors, their exact counterparts, and the choice between them.

ALS scores are dot products ``user · item``. Three searches use them:

* related products: nearest item vectors by cosine (``VectorIndex(metric="angular")``);
* similar users: nearest user vectors by cosine (``metric="angular"``);
* top-N items for a user vector, i.e. maximum inner product search (``metric="dot"``).

For MIPS we use Annoy's own ``"dot"`` metric rather than the explicit augmentation of
Bachrach et al. 2014 (append ``sqrt(M² - |x|²)`` to every item, query with 0, search
``"angular"``), which implicit's ``AnnoyModel`` uses. At equal ``n_trees`` the ``"dot"``
metric found more of the exact top 10 on ALS factors (implicit CPU ALS, 3000 users ×
2000 items × 32 factors): recall@10 at ``search_k`` -1 / 1000 / 3000 was 0.31 / 0.72 /
0.96 against 0.01 / 0.38 / 0.79 for the augmentation with 10 trees, and 0.80 / 0.87 /
0.97 against 0.41 / 0.70 / 0.97 with 50 trees. Item-item and user-user angular search
on the same factors reached 0.95 at ``search_k=1000`` with 10 trees.

Annoy is no faster than exact scoring on ALS vectors once recall is high, and exact
top-N is one matrix-vector product, so ``measure_exact_vs_annoy`` and
``exact_scoring_threshold`` measure which one to serve with instead of assuming. With
64 factors (``als_like_factors``, one thread, median per query, recall@10 ≥ 0.9) exact
took 0.25 / 1.2 / 9–10 ms at 20k / 100k / 500k items, Annoy 0.7 / 2.3–2.9 / 10–20 ms
at ``search_k`` 10k / 30k / 100k.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Literal

import annoy
import numpy as np
from threadpoolctl import threadpool_limits

from recommender.errors import NotFittedError, UnknownItemError

Metric = Literal["angular", "dot"]
METRICS: tuple[str, ...] = ("angular", "dot")
DEFAULT_SEARCH_K_GRID: tuple[int, ...] = (1_000, 3_000, 10_000, 30_000, 100_000, 300_000)


class VectorIndex:
    """An Annoy index over the rows of a factor matrix; row ``i`` is Annoy item ``i``.

    Scores are in the model's own terms: cosine similarity for ``"angular"`` (Annoy's
    distance ``d`` is ``sqrt(2 - 2 cos)``, so ``cos = 1 - d²/2``) and the dot product
    for ``"dot"``. Trees are built with ``n_jobs=1`` by default because Annoy seeds each
    build thread separately and interleaves their nodes, so a threaded build is not
    reproducible even with ``seed`` set.
    """

    def __init__(
        self,
        metric: Metric = "angular",
        n_trees: int = 50,
        search_k: int = -1,
        seed: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.metric = metric
        self.n_trees = n_trees
        self.search_k = search_k
        self.seed = seed
        self.n_jobs = n_jobs

    def build(self, vectors: np.ndarray, path: str | os.PathLike[str] | None = None) -> VectorIndex:
        """Index ``vectors`` (n × dim); with ``path`` the built index is saved there and memory-mapped.

        The trees are built in memory and written with one ``save``: Annoy's on-disk build grows a
        memory-mapped file, and on a full disk that ends the process with SIGBUS instead of an error."""
        if self.metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {self.metric!r}")
        vectors = _check_matrix(vectors, "vectors")
        index = annoy.AnnoyIndex(vectors.shape[1], self.metric)
        index.set_seed(self.seed)
        for i, row in enumerate(vectors):
            index.add_item(i, row.tolist())  # Annoy reads a list faster than numpy scalars
        index.build(self.n_trees, n_jobs=self.n_jobs)
        self._set_index(index, vectors.shape[1])
        return self if path is None else self.save(path)

    def save(self, path: str | os.PathLike[str]) -> VectorIndex:
        """Write the built index in one write and memory-map it from there (raises OSError)."""
        self._check_built()
        self.index_.save(os.fspath(path))
        return self

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], dim: int, metric: Metric, search_k: int = -1
    ) -> VectorIndex:
        """Memory-map a saved index: pages are read on demand and shared across processes."""
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
        index = annoy.AnnoyIndex(dim, metric)
        index.load(os.fspath(path), prefault=False)
        loaded = cls(metric=metric, n_trees=index.get_n_trees(), search_k=search_k)
        loaded._set_index(index, dim)
        return loaded

    def _set_index(self, index: annoy.AnnoyIndex, dim: int) -> None:
        self.index_ = index
        self.dim_ = dim
        self.n_items_ = index.get_n_items()

    def meta(self) -> dict:
        """What the index file does not record, for the artifact manifest."""
        self._check_built()
        return {
            "metric": self.metric,
            "dim": self.dim_,
            "n_trees": self.index_.get_n_trees(),
            "search_k": self.search_k,
            "n_items": self.n_items_,
        }

    def query_vector(
        self, vec: np.ndarray, n: int, exclude: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """At most ``n`` nearest rows to ``vec``, best first, never one of ``exclude``."""
        self._check_built()
        vec = np.asarray(vec, dtype=np.float32)
        if vec.shape != (self.dim_,) or not np.all(np.isfinite(vec)):
            raise ValueError(f"vec must be a finite vector of length {self.dim_}, got shape {vec.shape}")
        exclude = _check_ids(exclude)
        count = min(n + len(exclude), self.n_items_)
        ids, dist = self.index_.get_nns_by_vector(vec, count, search_k=self.search_k, include_distances=True)
        return self._finish(ids, dist, exclude, n)

    def query_item(
        self, i: int, n: int, exclude: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """At most ``n`` nearest rows to row ``i``, excluding ``i`` itself and ``exclude``."""
        self._check_built()
        if not 0 <= i < self.n_items_:
            raise UnknownItemError(f"row {i} is not in the index (0..{self.n_items_ - 1})")
        exclude = np.append(_check_ids(exclude), i)
        count = min(n + len(exclude), self.n_items_)
        ids, dist = self.index_.get_nns_by_item(int(i), count, search_k=self.search_k, include_distances=True)
        return self._finish(ids, dist, exclude, n)

    def _finish(
        self, ids: list[int], dist: list[float], exclude: np.ndarray, n: int
    ) -> tuple[np.ndarray, np.ndarray]:
        ids_arr = np.asarray(ids, dtype=np.int64)
        scores = np.asarray(dist, dtype=np.float32)
        if self.metric == "angular":
            scores = 1 - scores**2 / 2
        keep = np.isin(ids_arr, exclude, invert=True)
        return ids_arr[keep][:n], scores[keep][:n]

    def _check_built(self) -> None:
        if not hasattr(self, "index_"):
            raise NotFittedError(self)


class ExactIndex:
    """Exact search with :class:`VectorIndex`'s query methods: what serving uses for an index
    whose Annoy search could not reach its recall target for less work than a linear scan."""

    def __init__(self, vectors: np.ndarray, metric: Metric) -> None:
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
        self.metric = metric
        vectors = np.asarray(vectors, dtype=np.float32)
        self.vectors_ = normalize_rows(vectors) if metric == "angular" else vectors
        self.n_items_, self.dim_ = vectors.shape

    def query_vector(self, vec: np.ndarray, n: int, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        vec = np.asarray(vec, dtype=np.float32)
        if vec.shape != (self.dim_,) or not np.all(np.isfinite(vec)):
            raise ValueError(f"vec must be a finite vector of length {self.dim_}, got shape {vec.shape}")
        query = normalize_rows(vec) if self.metric == "angular" else vec
        return exact_top_n(query, self.vectors_, n, exclude)

    def query_item(self, i: int, n: int, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        if not 0 <= i < self.n_items_:
            raise UnknownItemError(f"row {i} is not in the index (0..{self.n_items_ - 1})")
        return exact_top_n(self.vectors_[i], self.vectors_, n, np.append(_check_ids(exclude), i))


def normalize_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; zero rows stay zero (cosine 0 with everything, as in Annoy)."""
    norms = np.sqrt(np.einsum("...i,...i->...", x, x))[..., np.newaxis]
    return x / np.where(norms > 0, norms, 1)


def exact_top_n(
    query: np.ndarray,
    vectors: np.ndarray,
    n: int,
    exclude: np.ndarray | None = None,
    normalized: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top ``n`` rows of ``vectors`` by dot product (cosine if ``normalized``).

    Ties go to the lower id. ``normalized=True`` normalizes ``vectors`` on every call:
    for many cosine queries, pass ``normalize_rows(vectors)`` once instead.
    """
    query = np.asarray(query, dtype=vectors.dtype)
    if query.shape != (vectors.shape[1],):
        raise ValueError(f"query must have shape ({vectors.shape[1]},) to match vectors, got {query.shape}")
    if normalized:
        query, vectors = normalize_rows(query), normalize_rows(vectors)
    scores = vectors @ query
    exclude = _check_ids(exclude)
    if exclude.size and not (0 <= exclude.min() and exclude.max() < len(scores)):
        raise ValueError(f"exclude ids must lie in 0..{len(scores) - 1}")
    scores[exclude] = -np.inf
    available = len(scores) - len(np.unique(exclude))
    return _top_n(scores, min(n, available))


def exact_top_n_batch(
    queries: np.ndarray, vectors: np.ndarray, n: int, normalized: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``exact_top_n`` for every row of ``queries`` (m × d) with one matrix product per chunk."""
    if normalized:
        queries, vectors = normalize_rows(np.asarray(queries, dtype=np.float32)), normalize_rows(vectors)
    queries = np.asarray(queries, dtype=vectors.dtype)
    n = min(n, len(vectors))
    ids = np.empty((len(queries), n), dtype=np.int64)
    scores = np.empty((len(queries), n), dtype=vectors.dtype)
    chunk = max(1, 2**24 // max(1, len(vectors)))  # keeps the score block near 64 MiB
    for start in range(0, len(queries), chunk):
        block = queries[start : start + chunk] @ vectors.T
        for row, row_scores in enumerate(block, start):
            ids[row], scores[row] = _top_n(row_scores, n)
    return ids, scores


def _top_n(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Best ``n`` of ``scores``; every candidate tied with the n-th is ranked by id."""
    if n <= 0:
        return np.empty(0, dtype=np.int64), scores[:0]
    kth = np.partition(scores, len(scores) - n)[len(scores) - n]
    candidates = np.flatnonzero(scores >= kth)
    order = np.lexsort((candidates, -scores[candidates]))[:n]
    top = candidates[order]
    return top.astype(np.int64), scores[top]


def recall_at_k(
    index: VectorIndex,
    vectors: np.ndarray,
    queries: np.ndarray,
    k: int = 10,
    query_is_item: bool = True,
) -> float:
    """Share of the exact top ``k`` that ``index`` returns, with the index's own metric.

    ``vectors`` are the indexed rows. ``queries`` are row ids (the row itself excluded,
    as ``query_item`` does) when ``query_is_item``, else query vectors (m × d).
    """
    normalized = index.metric == "angular"
    base = normalize_rows(vectors) if normalized else vectors
    if query_is_item:
        ids = np.asarray(queries, dtype=np.int64)
        nearest, _ = exact_top_n_batch(base[ids], base, k + 1)
        truth = np.array([row[row != i][:k] for row, i in zip(nearest, ids)])
        answers = [index.query_item(int(i), k)[0] for i in ids]
    else:
        truth, _ = exact_top_n_batch(queries, base, k)
        answers = [index.query_vector(q, k)[0] for q in queries]
    return _recall(answers, truth)


def measure_exact_vs_annoy(
    item_vectors: np.ndarray,
    user_vectors: np.ndarray,
    n: int = 10,
    n_trees: int = 10,
    search_k_grid: tuple[int, ...] = DEFAULT_SEARCH_K_GRID,
    n_queries: int = 500,
    target_recall: float = 0.9,
    seed: int = 0,
    index: VectorIndex | None = None,
) -> dict:
    """Median per-query time of exact top-``n`` against Annoy MIPS at the recall it must reach.

    ``search_k`` is tried in increasing order and the first that reaches ``target_recall``
    is timed against exact scoring, query by query in turn, so that both see the same
    load on a busy machine; both run single-threaded, as one request does in a serving
    worker. ``annoy_us`` and ``search_k`` are None when Annoy never reached the target,
    and ``recall`` is then the best one seen. ``index`` is a ``"dot"`` index already built
    over ``item_vectors`` (training's own); without one a throwaway index is built on all cores.
    Its ``search_k`` is restored afterwards.
    """
    item_vectors = _check_matrix(item_vectors, "item_vectors")
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(user_vectors), size=min(n_queries, len(user_vectors)), replace=False)
    queries = np.asarray(user_vectors, dtype=np.float32)[picked]
    truth, _ = exact_top_n_batch(queries, item_vectors, n)
    if index is None:
        index = VectorIndex(metric="dot", n_trees=n_trees, seed=seed, n_jobs=-1).build(item_vectors)
    elif index.metric != "dot" or index.n_items_ != len(item_vectors):
        raise ValueError("index must be a dot-product index over item_vectors")
    kept_search_k, n_trees = index.search_k, index.index_.get_n_trees()
    best_recall, chosen = 0.0, None
    for search_k in sorted(search_k_grid):
        index.search_k = search_k
        best_recall = max(best_recall, _recall([index.query_vector(q, n)[0] for q in queries], truth))
        if best_recall >= target_recall:
            chosen = search_k
            break
    timed = [lambda q: exact_top_n(q, item_vectors, n)]
    if chosen is not None:
        timed.append(lambda q: index.query_vector(q, n))
    with threadpool_limits(1, "blas"):
        exact_us, *annoy_us = _median_us(timed, queries)
    index.search_k = kept_search_k
    return {"n_items": len(item_vectors), "dim": item_vectors.shape[1], "n": n, "n_trees": n_trees,
            "n_queries": len(queries), "target_recall": target_recall, "exact_us": exact_us,
            "annoy_us": annoy_us[0] if annoy_us else None, "search_k": chosen, "recall": best_recall}


def _recall(answers: list[np.ndarray], truth: np.ndarray) -> float:
    """Share of the exact answers found; 1 when there is nothing to find (a one-item index)."""
    return sum(np.intersect1d(a, t).size for a, t in zip(answers, truth)) / truth.size if truth.size else 1.0


def _median_us(functions: list[Callable[[np.ndarray], object]], queries: np.ndarray) -> list[float]:
    """Median microseconds per query of each function, the functions taking turns per query.

    One untimed call each first pays for cold caches; the median keeps a query that the
    machine preempted from deciding the result.
    """
    seconds = np.empty((len(functions), len(queries)))
    for f in functions:
        f(queries[0])
    for j, q in enumerate(queries):
        for i, f in enumerate(functions):
            start = time.perf_counter()
            f(q)
            seconds[i, j] = time.perf_counter() - start
    return [float(x) * 1e6 for x in np.median(seconds, axis=1)]


def choose_scoring(measurement: dict, min_speedup: float = 1.5) -> str:
    """``"annoy"`` only when it reached the target recall and was ``min_speedup`` times faster.

    The margin is there because Annoy gives up part of the top-N and per-query timings
    on a shared machine varied twofold between runs (exact top 10 over 500k items:
    9–21 ms): a near tie is not worth the lost recall.
    """
    annoy_us = measurement["annoy_us"]
    return "annoy" if annoy_us is not None and annoy_us * min_speedup < measurement["exact_us"] else "exact"


def exact_scoring_threshold(
    dim: int,
    sizes: tuple[int, ...] = (5_000, 20_000, 100_000, 500_000),
    n: int = 10,
    n_trees: int = 5,
    n_queries: int = 50,
    target_recall: float = 0.9,
    min_speedup: float = 1.5,
    seed: int = 0,
) -> int:
    """Largest catalog size in ``sizes`` where exact top-``n`` still wins (``choose_scoring``).

    Sizes are measured in increasing order on ``als_like_factors`` and the search stops at
    the first size Annoy wins, since exact cost grows faster with the catalog than
    Annoy's. Returns 0 when Annoy wins already at the smallest size. Few trees keep the
    builds cheap: at a given ``search_k`` recall barely depends on ``n_trees`` (0.93 with
    5 trees, 0.94 with 10 at 500k items and ``search_k=100_000``). The defaults take
    9–16 s on a busy 2-core machine, most of it building the 500k index.
    """
    largest = 0
    for size in sorted(sizes):
        items, users = als_like_factors(size, n_queries, dim, seed=seed)
        measurement = measure_exact_vs_annoy(
            items, users, n=n, n_trees=n_trees, n_queries=n_queries, target_recall=target_recall, seed=seed
        )
        if choose_scoring(measurement, min_speedup) == "annoy":
            break
        largest = size
    return largest


def als_like_factors(
    n_items: int, n_users: int, dim: int, seed: int = 0, n_clusters: int = 50
) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic float32 (items, users) factors with the geometry of fitted ALS factors.

    Directions cluster around a few "categories"; item norms are log-normal (popular
    items get long vectors, median about 0.08 with a long tail past 1), user norms are
    around 1.5 — the spread seen in implicit's ALS factors, and what makes MIPS harder
    for Annoy than cosine search.
    """
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((n_clusters, dim), dtype=np.float32)

    def directions(count: int) -> np.ndarray:
        noise = rng.standard_normal((count, dim), dtype=np.float32)
        return normalize_rows(centers[rng.integers(n_clusters, size=count)] + noise)

    items = directions(n_items) * rng.lognormal(-2.5, 0.8, size=(n_items, 1)).astype(np.float32)
    users = directions(n_users) * rng.lognormal(0.4, 0.4, size=(n_users, 1)).astype(np.float32)
    return items, users


def _check_matrix(vectors: np.ndarray, name: str) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] == 0 or vectors.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array (n × dim), got shape {vectors.shape}")
    if not np.all(np.isfinite(vectors)):
        raise ValueError(f"{name} must be finite: found NaN or inf")
    return vectors


def _check_ids(ids: np.ndarray | None) -> np.ndarray:
    if ids is None:
        return np.empty(0, dtype=np.int64)
    ids = np.asarray(ids)
    if ids.ndim != 1 or (ids.size and not np.issubdtype(ids.dtype, np.integer)):
        raise ValueError(f"exclude must be a 1-D array of integer ids, got {ids.dtype} shape {ids.shape}")
    return ids.astype(np.int64)
