"""A version put through every kind of query in a process of its own, before a server maps it.

Annoy and numpy are native code: a damaged index whose manifest was rewritten to match it would
crash the process that queries it (SIGSEGV, ``std::length_error``) instead of raising. The
service runs this check as a child process (:func:`check_in_child`) so such a version kills the
child, is refused with the signal named, and never takes a worker down or into a crash loop.

``python -m bundle.check FOLDER`` exits 0 when the version answered every query.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np

from recommender.engine import RecommendationEngine, SessionEvent

from .errors import ArtifactError
from .loader import ModelVersion, load_artifacts
from .writer import MANIFEST

SAMPLE = 100
TIMEOUT_SECONDS = 300
_passed: set[tuple[str, str]] = set()  # (folder, manifest digest) that passed in this process's children


def exercise(version: ModelVersion, sample: int = SAMPLE) -> None:
    """Query every Annoy index and every kind of answer for a spread of ids."""
    model = version.model
    rng = np.random.default_rng(0)
    users = rng.choice(len(model.user_ids), size=min(sample, len(model.user_ids)), replace=False)
    items = rng.choice(len(model.item_ids), size=min(sample, len(model.item_ids)), replace=False)
    for name, index in model.indexes.items():
        for row in users if name == "users" else items:
            index.query_item(int(row), 10)
    for vector in model.als.user_factors_[users]:
        model.indexes["items_dot"].query_vector(np.asarray(vector), 10)
    engine = RecommendationEngine(model)
    user_ids, item_ids = model.user_ids[users].tolist(), model.item_ids[items].tolist()
    engine.recommend_users(user_ids, 10)
    engine.recommend_users(user_ids[:10], 10, exclude_purchased=False)
    for user, item in zip(user_ids[:20], item_ids[:20]):
        engine.similar_users(user, 10)
        engine.related_items(item, 10)
        engine.bought_together(item, 10)
        engine.recommend_session([SessionEvent(item, "view"), SessionEvent(item, "cart")], user, 10)
    engine.cart_complements(item_ids[:5], 10)
    engine.popular(10)
    engine.popular(10, trending=True)


def check_in_child(folder: Path, timeout: float = TIMEOUT_SECONDS) -> bool:
    """Run the check in a child process; raise ``ArtifactError`` naming how it failed. A version
    that passed once is not queried again by this process: returns whether the child ran (and so
    verified the files) now."""
    folder = Path(folder)
    try:
        key = (str(folder.resolve()), hashlib.sha256((folder / MANIFEST).read_bytes()).hexdigest())
    except OSError as exc:
        raise ArtifactError(f"{folder}: cannot read {MANIFEST}: {exc}") from exc
    if key in _passed:
        return False
    try:
        done = subprocess.run([sys.executable, "-m", "bundle.check", str(folder)], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ArtifactError(f"{folder}: the check queries did not finish in {timeout:.0f}s") from None
    if done.returncode < 0:
        raise ArtifactError(f"{folder}: querying it crashed the checking process (signal {-done.returncode})")
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise ArtifactError(lines[-1] if lines else f"{folder}: the check failed with status {done.returncode}")
    _passed.add(key)
    return True


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bundle.check FOLDER", file=sys.stderr)
        return 2
    try:
        exercise(load_artifacts(Path(argv[0])))
    except ArtifactError as exc:
        print(exc, file=sys.stderr)
        return 1
    except Exception as exc:  # a version that loads but cannot answer
        print(f"{argv[0]}: failed its check queries: {exc!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
